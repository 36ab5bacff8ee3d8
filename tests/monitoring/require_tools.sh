# Sourced by the monitoring tests: require_tools TOOL... returns when every
# tool is on PATH. A missing tool skips the test (exit 77, ctest's
# SKIP_RETURN_CODE) with a message, except in CI (CI=true), where it is a
# failure: CI installs them with scripts/install-deps.sh and must never skip.
require_tools() {
  local missing=()
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL - missing ${missing[*]} (CI=true: a monitoring test never skips in CI;" \
      "scripts/install-deps.sh installs prometheus, prometheus-node-exporter and curl)" >&2
    exit 1
  fi
  echo "SKIP - missing ${missing[*]}: run scripts/install-deps.sh" \
    "(prometheus gives promtool and prometheus; prometheus-node-exporter)" >&2
  exit 77
}
