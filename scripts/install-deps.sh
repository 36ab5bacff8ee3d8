#!/usr/bin/env bash
# Installs the Debian 12 packages mlgov needs, only those that are missing.
# Idempotent: a second run installs nothing and does not touch apt's lists.
# prometheus (for promtool and the scrape test's server) and
# prometheus-node-exporter are installed as programs only: their Debian
# services are kept from starting (policy-rc.d during the install, then
# stopped and disabled if a running systemd started them anyway), so nothing
# listens on their default ports; the tests start their own on loopback.
set -euo pipefail

# python3-pandas is for benchmarks only (bench/pandas_features.py, the
# baseline scripts/bench-features-e2e.sh times `mlgov features` against):
# nothing built or tested links or runs it.
# redis-server and redis-tools are programs for the fleet tests and
# scripts/demo-fleet.sh, which start their own server on a free loopback port
# in a throwaway directory: the Debian service is kept from starting like
# prometheus's. libhiredis-dev is what mlgov::redis links. chromium renders
# the `mlgov drift` HTML report in its headless test.
packages=(
  build-essential cmake git
  libxgboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libcli11-dev libgtest-dev libbenchmark-dev
  jq python3-pandas
  clang libclang-rt-14-dev
  prometheus prometheus-node-exporter curl python3-yaml
  redis-server redis-tools libhiredis-dev
  chromium
)
services=(prometheus prometheus-node-exporter redis-server)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' postinst from starting services (exit 101 = "not
# allowed"); an existing policy-rc.d is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# install-deps.sh: no service starts during the install\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Under a running systemd the unit may still have been enabled and started
# (deb-systemd-invoke ignores policy-rc.d on some setups): stop and disable
# the services of the packages installed just now.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  for svc in "${services[@]}"; do
    for pkg in "${missing[@]}"; do
      if [ "$pkg" = "$svc" ]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
    done
  done
fi
