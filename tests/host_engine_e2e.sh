#!/usr/bin/env bash
# examples/host_engine end to end, the story of the README demo on a small
# universe: an injected column swap trips governance at the third failure,
# the latch survives a restart, `mlgov governance status` exits 1 while it
# holds, an operator's re-enable brings ML back, and
# the shipped config (ML off) gives DISABLED_CONFIG.
#
# Usage: host_engine_e2e.sh HOST_ENGINE MLGOV SOURCE_DIR   (run by ctest)
#
# Universe: 6 synthetic symbols x 2 years (504 bars), models for S001, S002
# and S003 only. The engine warms up on 252 bars, then runs 12 cycles with
# the mismatch injected from cycle 6. Expected counts, by hand:
#   cycles 1-5: 3 symbols x 5 = 15 OK predictions
#   cycle 6:    S001 and S002 fail (FAILURE_RECORDED), S003 fails third and
#               trips (DISABLED_BY_GOVERNANCE): 3 FEATURE_MISMATCH
#   cycles 7-12: 3 x 6 = 18 calls blocked (GOVERNANCE_DISABLED)
set -euo pipefail

HOST=$1
MLGOV=$2
SRC=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

failures=0
check() {  # check NAME COMMAND...: runs the command, reports the named expectation
  local name=$1
  shift
  if "$@"; then
    echo "ok   - $name"
  else
    echo "FAIL - $name"
    failures=$((failures + 1))
  fi
}
has_line() { grep -Eq -- "$1" "$2"; }
jq_true() { jq -e "$1" "$2" >/dev/null; }
jq_slurp_true() { jq -s -e "$1" "$2" >/dev/null; }

"$MLGOV" synth --symbols 6 --years 2 --sectors 2 --seed 3 --out data >/dev/null
sed -e 's/^\(  ml_enabled:\) false/\1 true/' \
    -e "s#^\(  contracts_dir:\) contracts#\1 \"$SRC/contracts\"#" \
    -e 's/^\(  n_estimators:\) 300/\1 5/' -e 's/^\(  max_depth:\) 6/\1 3/' \
    "$SRC/configs/golden_config.yaml" >config.yaml
"$MLGOV" train --symbols S001,S002,S003 --data data --benchmark SPX --sectors data/sectors.csv \
  --out models/ml_alpha --config config.yaml >/dev/null

run_engine() {  # run_engine OUT [extra options]: runs the engine, returns its exit code
  local out=$1
  shift
  "$HOST" --config config.yaml --data data --cycles 12 --heartbeat-every 4 \
    --metrics-file runtime/metrics/mlgov.prom "$@" >"$out" 2>"$out.console"
}

# 1. The injected mismatch.
rc=0
run_engine run1.out --inject-mismatch-at 6 || rc=$?
check "the engine completes with exit 0 although governance tripped" test "$rc" -eq 0
check "cycle 4 heartbeat: OK and ENABLED|OK with no errors" has_line \
  '^\[HEARTBEAT\] uptime=[0-9]+s \| symbols=6 \| cycles=4 \| state=OK \| ml_state=ENABLED\|OK \| model_errors=0$' run1.out
check "cycle 8 heartbeat: DEGRADED and DISABLED_GOVERNANCE after 3 errors" has_line \
  '^\[HEARTBEAT\] uptime=[0-9]+s \| symbols=6 \| cycles=8 \| state=DEGRADED \| ml_state=DISABLED_GOVERNANCE \| model_errors=3$' run1.out
check "the host's listener saw the switch to DISABLED_GOVERNANCE" has_line \
  '^\[ALERT\] ml_state ENABLED\|OK -> DISABLED_GOVERNANCE: 3 failures within 300s' run1.out
check "totals: 15 OK, 18 blocked, 3 mismatches" has_line \
  '^host_engine: 12 cycles done; predictions: OK=15 GOVERNANCE_DISABLED=18 FEATURE_MISMATCH=3$' run1.out
errors=runtime/logs/errors.jsonl
check "errors.jsonl holds exactly the three failures" jq_slurp_true 'length == 3' "$errors"
check "failures 1 and 2 are recorded FEATURE_MISMATCH errors of S001 and S002" jq_slurp_true \
  '[.[0:2][] | [.level, .status, .reason, .symbol]] == [["ERROR","FAILURE_RECORDED","FEATURE_MISMATCH","S001"],["ERROR","FAILURE_RECORDED","FEATURE_MISMATCH","S002"]]' \
  "$errors"
check "failure 3 (S003) is the CRITICAL trip" jq_slurp_true \
  '[.[2] | .level, .status, .reason, .symbol, .component] == ["CRITICAL","DISABLED_BY_GOVERNANCE","FEATURE_MISMATCH","S003","ML_GOVERNANCE"]' \
  "$errors"
check "the mismatch details name the swapped columns" jq_slurp_true \
  '.[0].details | .first_order_difference == 0 and .expected_name == "ret_1d" and .got_name == "ret_5d" and .missing == [] and .extra == []' \
  "$errors"
check "live.jsonl has the three heartbeat records of run 1" jq_slurp_true \
  '[.[] | select(.component == "HEARTBEAT") | .cycles] == [4, 8, 12]' runtime/logs/live.jsonl
check "the state file is latched" jq_true '.state == "DISABLED_GOVERNANCE"' runtime/governance_state.json
check "metrics: state disabled_governance" has_line '^mlgov_state\{state="disabled_governance"\} 1$' \
  runtime/metrics/mlgov.prom
check "metrics: 15 predictions, 18 blocked calls" test \
  "$(grep -cE '^(mlgov_predictions_total 15|mlgov_blocked_calls_total 18)$' runtime/metrics/mlgov.prom)" -eq 2

# 2. A restart (no injection) stays disabled: the latch is persisted.
run_engine run2.out || echo "run 2 exited $?"
check "after a restart the heartbeat still says DISABLED_GOVERNANCE" has_line \
  'cycles=12 \| state=DEGRADED \| ml_state=DISABLED_GOVERNANCE \| model_errors=0$' run2.out
check "after a restart every call is blocked (3 x 12)" has_line \
  'predictions: GOVERNANCE_DISABLED=36$' run2.out

# 3. The operator re-enables (a running engine would follow within a second;
# this one has exited, so the next start predicts again).
rc=0
"$MLGOV" governance status --config config.yaml >status.out 2>&1 || rc=$?
check "mlgov governance status exits 1 while latched" test "$rc" -eq 1
"$MLGOV" governance reenable --config config.yaml --operator e2e \
  --reason "test: injected swap removed" >/dev/null
run_engine run3.out || echo "run 3 exited $?"
check "after the re-enable the heartbeat says ENABLED|OK" has_line \
  'cycles=12 \| state=OK \| ml_state=ENABLED\|OK \| model_errors=0$' run3.out
check "after the re-enable all 3 x 12 predictions succeed" has_line 'predictions: OK=36$' run3.out

# 4. The shipped config keeps ML off (its relative contracts_dir resolves here).
ln -s "$SRC/contracts" contracts
"$HOST" --config "$SRC/configs/golden_config.yaml" --data data --cycles 2 --heartbeat-every 2 \
  --metrics-file golden.prom >run4.out 2>run4.out.console || true
check "the golden config gives DISABLED_CONFIG and state=OK" has_line \
  'cycles=2 \| state=OK \| ml_state=DISABLED_CONFIG \| model_errors=0$' run4.out

# 5. Bad input: a clear error and exit 2.
rc=0
"$HOST" --config config.yaml --data "$work/no-such-dir" >bad.out 2>&1 || rc=$?
check "a missing data directory exits 2 naming it" \
  bash -c "test $rc -eq 2 && grep -q 'no-such-dir: not a directory' bad.out"

# 6. A symbol that could name a path outside the data directory is refused.
mkdir -p evil
cp data/SPX.csv evil/
printf 'symbol,sector\n../data/S001,SEC01\n' >evil/sectors.csv
rc=0
"$HOST" --config config.yaml --data evil >evil.out 2>&1 || rc=$?
check "a path-like symbol in sectors.csv exits 2 naming the symbol" \
  bash -c "test $rc -eq 2 && grep -q \"symbol '../data/S001' is not\" evil.out"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed; outputs:"
  for f in run1.out run1.out.console run2.out run3.out run4.out; do
    echo "==== $f"
    cat "$f" || true
  done
  exit 1
fi
echo "all host_engine checks passed"
