#!/usr/bin/env bash
# `mlgov features` end to end against an idiomatic pandas implementation of
# the same spec (bench/pandas_features.py), side by side on one universe:
# CSV files in, one features CSV out, each run a fresh process.
#
#   scripts/bench-features-e2e.sh [--runs N] [--symbols 225] [--years 10]
#                                 [--build build/release] [--work DIR]
#
# 1. writes the universe with the CLI's synthetic market (`mlgov synth`,
#    225 symbols x 10 years = 510,300 feature rows by default);
# 2. runs `mlgov features` and the pandas script N times each (default 3),
#    alternating, and prints each run's wall and CPU time and the medians;
# 3. prints each side's phases (read, compute, write) from one more run;
# 4. checks the two outputs agree (bench/compare_features.py): every value
#    within 1e-7 + 1e-6 * |value|, and says how many are bit-identical.
# Needs python3-pandas (scripts/install-deps.sh). Exits 1 when the outputs
# disagree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
symbols=225
years=10
build="$root/build/release"
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --symbols) symbols=$2; shift 2 ;;
    --years) years=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench-features-e2e: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mlgov="$build/tools/mlgov/mlgov"
python=/usr/bin/python3  # Debian's, where python3-pandas lives
[ -x "$mlgov" ] || { echo "bench-features-e2e: no $mlgov (cmake --build --preset release --target mlgov_cli)" >&2; exit 2; }
"$python" -c 'import pandas' 2>/dev/null || { echo "bench-features-e2e: pandas missing (scripts/install-deps.sh installs python3-pandas)" >&2; exit 2; }
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/mlgov-features-e2e.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

"$mlgov" synth --symbols "$symbols" --years "$years" --out "$work/universe" >/dev/null
echo "universe: $symbols symbols x $years years in $work/universe ($(du -sh "$work/universe" | cut -f1)), $(nproc) CPUs, $(date -u +%FT%TZ)"

ours=("$mlgov" features --data "$work/universe" --sectors "$work/universe/sectors.csv"
      --contracts-dir "$root/contracts" --out "$work/ours.csv")
theirs=("$python" "$root/bench/pandas_features.py" "$work/universe" --out "$work/pandas.csv")

# Runs a command once; appends "wall cpu" (seconds) to the file $1.
time_run() {
  local out=$1; shift
  local TIMEFORMAT='%R %U %S'
  local t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  read -r wall user sys <<<"$t"
  awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { printf "%s %.2f\n", w, u + s }' >>"$out"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

: >"$work/ours.times"
: >"$work/pandas.times"
for ((i = 1; i <= runs; i++)); do
  time_run "$work/ours.times" "${ours[@]}"
  time_run "$work/pandas.times" "${theirs[@]}"
  printf 'run %d: mlgov %s s wall (%s s CPU), pandas %s s wall (%s s CPU)\n' "$i" \
    $(tail -1 "$work/ours.times") $(tail -1 "$work/pandas.times")
done
ours_wall=$(cut -d' ' -f1 "$work/ours.times" | median)
ours_cpu=$(cut -d' ' -f2 "$work/ours.times" | median)
pandas_wall=$(cut -d' ' -f1 "$work/pandas.times" | median)
pandas_cpu=$(cut -d' ' -f2 "$work/pandas.times" | median)
echo "median of $runs: mlgov features $ours_wall s wall ($ours_cpu s CPU), pandas $pandas_wall s wall ($pandas_cpu s CPU)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo "mlgov features is $(ratio "$pandas_wall" "$ours_wall")x faster end to end (wall; CPU: $(ratio "$pandas_cpu" "$ours_cpu")x)"
echo "output: $(stat -c %s "$work/ours.csv") bytes (mlgov), $(stat -c %s "$work/pandas.csv") bytes (pandas)"

echo "phases, one more run each:"
"${ours[@]}" --timings 2>&1 >/dev/null | sed 's/^/  /'
"${theirs[@]}" --timings 2>&1 >/dev/null | sed 's/^/  /'

echo "agreement (pandas computes in float64 with compensated running sums, we add each window oldest to newest):"
"$python" "$root/bench/compare_features.py" "$work/ours.csv" "$work/pandas.csv"
