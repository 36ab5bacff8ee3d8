#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs missing Debian packages, then
# builds and runs ctest in the release preset, the asan preset (address +
# undefined behaviour) and the tsan preset (the concurrency tests), then a
# 20-second smoke run of every libFuzzer target (scripts/fuzz.sh, fuzz preset).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
jobs=$(nproc)
start=$(date +%s)

for preset in release asan; do
  echo "=== [$preset] configure + build"
  cmake --preset "$preset" -DMLGOV_WERROR=ON >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== [$preset] ctest"
  ctest --preset "$preset" -j "$jobs"
done

echo "=== [tsan] configure + build the concurrency tests"
cmake --preset tsan -DMLGOV_WERROR=ON >/dev/null
tsan_targets=$(cd tests && ls *_concurrency_test.cpp 2>/dev/null | sed 's/\.cpp$//' || true)
if [ -n "$tsan_targets" ]; then
  # shellcheck disable=SC2086
  cmake --build --preset tsan -j "$jobs" --target $tsan_targets
  # --no-tests=error: a tsan stage that finds nothing to run must fail, not pass.
  ctest --preset tsan -j "$jobs" --no-tests=error
fi

echo "=== [fuzz] smoke run: every parser's libFuzzer target for 20 s"
./scripts/fuzz.sh 20

echo "=== all test runs passed in $(( $(date +%s) - start ))s"
