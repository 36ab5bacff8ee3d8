#!/usr/bin/env bash
# The mlgov demo, end to end, on a fresh Debian 12 machine (as root for the
# package install): install the missing packages, build the tool and the
# example engine, synthesize a 225-symbol market, train a handful of models,
# compute features, audit, then run the example host engine with ML enabled
# and a feature-order bug injected mid-run, so governance switches ML off;
# show the heartbeats, the JSON logs, the state file, an operator's
# re-enable, and where everything was written.
#
# Everything is written under demo/ (gitignored); rerunning starts the demo's
# runtime state afresh. The shipped configs/golden_config.yaml keeps ML off:
# the demo enables ML in its own copy, demo/config.yaml.
#
# Environment:
#   MLGOV_BUILD_DIR   build directory (default build/release, the release preset's)
#   MLGOV_DEMO_DIR    working directory (default demo)
#   DEMO_TREES        trees per model in the demo's config copy (default 300,
#                     the shipped training parameters)
#   DEMO_CYCLES       host engine cycles after the warm-up (default 60)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MLGOV_BUILD_DIR:-build/release}"
DEMO_DIR="${MLGOV_DEMO_DIR:-demo}"
TREES="${DEMO_TREES:-300}"
CYCLES="${DEMO_CYCLES:-60}"
INJECT_AT=$((CYCLES / 2))
SYMBOLS="S001,S002,S003,S004,S005"
T0=$(date +%s)

step() { printf '\n\033[1m==> [%3ds] %s\033[0m\n' "$(($(date +%s) - T0))" "$*"; }
# Prints the command (arguments with spaces or shell characters in quotes), then runs it.
show() {
  local arg line='$'
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./,=:@%+-]+$ ]]; then line+=" $arg"; else line+=" '$arg'"; fi
  done
  printf '%s\n' "$line"
  "$@"
}

step "1/10 Debian packages (installs only what is missing)"
./scripts/install-deps.sh

step "2/10 Build: configure the release preset, build the mlgov tool and the example engine"
cmake --preset release -B "$BUILD_DIR" >/dev/null
cmake --build "$BUILD_DIR" -j 2 --target mlgov_cli host_engine mlgov_quickstart
BUILD_ABS="$(cd "$BUILD_DIR" && pwd)"
MLGOV_BIN="$BUILD_ABS/tools/mlgov"
HOST_ENGINE="$BUILD_ABS/examples/host_engine/host_engine"
export PATH="$MLGOV_BIN:$PATH"

mkdir -p "$DEMO_DIR"
cd "$DEMO_DIR"
DEMO_ABS="$(pwd)"
case "$DEMO_ABS" in
  / | "$ROOT" | "$HOME") echo "demo: refusing to use $DEMO_ABS as the demo directory" >&2; exit 2 ;;
esac
# Rerunnable: the runtime state (latch, logs, metrics), the models and the
# reports start afresh; the synthetic data is regenerated identically.
rm -rf runtime models reports
mkdir -p reports

step "3/10 The demo's config: a copy of configs/golden_config.yaml with ML enabled"
sed -e 's/^\(  ml_enabled:\) false/\1 true /' \
    -e "s#^\(  contracts_dir:\) contracts#\1 \"$ROOT/contracts\"#" \
    -e "s/^\(  n_estimators:\) 300/\1 $TREES/" \
    "$ROOT/configs/golden_config.yaml" >config.yaml
grep -q '^  ml_enabled: true' config.yaml
grep -q '^  ml_enabled: false' "$ROOT/configs/golden_config.yaml"
diff "$ROOT/configs/golden_config.yaml" config.yaml || true
"$BUILD_ABS/examples/quickstart/mlgov_quickstart" config.yaml | sed -n 1,6p

step "4/10 Synthesize a market: 225 symbols x 10 years, 11 sectors, benchmark SPX"
show mlgov synth --symbols 225 --years 10 --sectors 11 --seed 7 --out data
printf 'symbol,sector\nGOOG,REAL\n' >real_sectors.csv

step "5/10 Train $SYMBOLS (synthetic) and GOOG (real data) with $TREES trees each"
show mlgov train --symbols "$SYMBOLS" --data data --benchmark SPX --sectors data/sectors.csv \
  --out models/ml_alpha --config config.yaml
show mlgov train --symbols GOOG --data "$ROOT/data/real" --benchmark SPX \
  --sectors real_sectors.csv --out models/ml_alpha --config config.yaml
ls -1 models/ml_alpha
jq -c '{symbol, trained_at, training_data_period, metrics}' models/ml_alpha/S001_v1_*/model_meta.json

step "6/10 Features for two symbols (28 float32 columns in contract order)"
show mlgov features --data data --symbols S001,S002 --benchmark SPX --sectors data/sectors.csv \
  --contracts-dir "$ROOT/contracts" --out reports/features.csv
echo "$(($(wc -l <reports/features.csv) - 1)) rows; first columns of the last rows:"
tail -n 2 reports/features.csv | cut -d, -f1-6

step "7/10 Audit the trained symbols (contract, values, streaming == batch, models)"
audit_rc=0
show mlgov audit --symbols "$SYMBOLS" --data data --benchmark SPX --sectors data/sectors.csv \
  --models models/ml_alpha --config config.yaml --out reports/audit.json || audit_rc=$?
jq '{passed: .passed, failed: .failed, pass_rate: .pass_rate}' reports/audit.json
if [ "$audit_rc" -ne 0 ]; then
  echo "demo: the audit exited $audit_rc (below --min-pass-rate): see reports/audit.json" >&2
fi

step "8/10 Host engine: ML on, $CYCLES cycles, a feature-order bug injected from cycle $INJECT_AT"
show "$HOST_ENGINE" --config config.yaml --data data --real-data "$ROOT/data/real" \
  --cycles "$CYCLES" --heartbeat-every 10 --inject-mismatch-at "$INJECT_AT" \
  --metrics-file runtime/metrics/mlgov.prom 2>host_engine.console.log | tee host_engine.out
echo "--- the heartbeats:"
grep '^\[HEARTBEAT\]' host_engine.out

step "9/10 What the operator sees: JSON logs, metrics, the governance state file"
echo "--- runtime/logs/errors.jsonl: the failures and the trip"
jq -c '{ts, level, symbol, status, reason}' runtime/logs/errors.jsonl
echo "--- the mismatch details of the first failure"
jq -c -n 'first(inputs | select(.reason == "FEATURE_MISMATCH")) | .details' runtime/logs/errors.jsonl
echo "--- runtime/logs/live.jsonl: heartbeat records"
jq -c 'select(.component == "HEARTBEAT") | {ts, state, ml_state, model_errors}' \
  runtime/logs/live.jsonl | tail -n 3
echo "--- runtime/metrics/mlgov.prom"
grep -E '^mlgov_((host_)?state\{.*\} 1|failures_total\{.*\} [1-9]|predictions_total|blocked_calls_total)' \
  runtime/metrics/mlgov.prom
show mlgov governance status --config config.yaml || echo "(exit $?: 1 means ML is disabled)"

step "10/10 The operator re-enables after the fix (RUNBOOKS/ML_HYGIENE.md, section 9)"
show mlgov governance reenable --config config.yaml --operator demo \
  --reason "demo: injected column swap understood; host fixed"

echo "--- a running engine would follow within a second; this one has exited, so it runs again"
show "$HOST_ENGINE" --config config.yaml --data data --real-data "$ROOT/data/real" \
  --cycles 10 --heartbeat-every 10 --metrics-file runtime/metrics/mlgov.prom \
  >host_engine.restart.out 2>>host_engine.console.log
grep -E '^(host_engine: ml_state|\[HEARTBEAT\]|host_engine: [0-9]+ cycles done)' host_engine.restart.out

step "Done in $(($(date +%s) - T0)) s. Where things are:"
cat <<EOF
  config (ML enabled)   $DEMO_ABS/config.yaml   (configs/golden_config.yaml untouched)
  synthetic market      $DEMO_ABS/data/
  models                $DEMO_ABS/models/ml_alpha/
  features              $DEMO_ABS/reports/features.csv
  audit report          $DEMO_ABS/reports/audit.json
  structured logs       $DEMO_ABS/runtime/logs/live.jsonl
                        $DEMO_ABS/runtime/logs/errors.jsonl
  metrics (Prometheus)  $DEMO_ABS/runtime/metrics/mlgov.prom
  governance state      $DEMO_ABS/runtime/governance_state.json
  engine output         $DEMO_ABS/host_engine.out (stdout), host_engine.console.log (mlgov's throttled console)
  runbook               $ROOT/RUNBOOKS/ML_HYGIENE.md
EOF
