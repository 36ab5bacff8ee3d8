#!/usr/bin/env bash
# Builds the `fuzz` preset (clang, libFuzzer, AddressSanitizer + UBSan) and
# runs each libFuzzer target of tests/fuzz for SECONDS (default 30), from its
# seed corpus (tests/fuzz/corpus/<target>). Prints the executions per target;
# fails if any target crashes, leaks, times out (5 s on one input) or runs out
# of memory (2 GB). A crashing input is kept as build/fuzz/artifacts/<target>/
# crash-*: copy it to tests/fuzz/regressions/<target>/ so that
# fuzz_regression_test replays it in every preset.
#
#   scripts/fuzz.sh               # every target, 30 s each (CI runs 20 s)
#   scripts/fuzz.sh 600           # every target, 10 minutes each
#   scripts/fuzz.sh 600 config    # one target (or several, by name)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
all_targets=(bars sectors contract meta state config model)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

echo "=== [fuzz] configure + build"
cmake --preset fuzz >/dev/null
# shellcheck disable=SC2046
cmake --build --preset fuzz -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

dict_of() {
  case "$1" in
    bars|sectors) echo tests/fuzz/csv.dict ;;
    config) echo tests/fuzz/yaml.dict ;;
    *) echo tests/fuzz/json.dict ;;
  esac
}

failed=()
summary=()
for target in "${targets[@]}"; do
  work=build/fuzz/corpus/$target          # what the fuzzer adds (not committed)
  artifacts=build/fuzz/artifacts/$target/
  log=build/fuzz/logs/$target.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  echo "=== [fuzz] $target for ${seconds}s"
  status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build/fuzz/tests/fuzz/fuzz_$target" \
      -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
      -dict="$(dict_of "$target")" -artifact_prefix="$artifacts" \
      "$work" "tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    summary+=("$target: FAILED (exit $status) after ${execs:-?} executions; log $log")
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 || true
  else
    summary+=("$target: ${execs:-?} executions in ${seconds}s, no crash")
  fi
done

echo "=== [fuzz] summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "=== [fuzz] FAILED: ${failed[*]} (inputs under build/fuzz/artifacts/)" >&2
  exit 1
fi
