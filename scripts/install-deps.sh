#!/usr/bin/env bash
# Installs the Debian 12 packages mlgov needs, only those that are missing.
# Idempotent: a second run installs nothing and does not touch apt's lists.
set -euo pipefail

packages=(
  build-essential cmake git
  libxgboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libcli11-dev libgtest-dev libbenchmark-dev
  jq python3-pandas
  clang libclang-rt-14-dev
)

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
