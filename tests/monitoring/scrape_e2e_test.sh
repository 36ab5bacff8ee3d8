#!/usr/bin/env bash
# A real scrape of the metrics of a real engine run, as an operator wires it:
#   1. examples/host_engine runs the README story on a small universe (6
#      symbols, models for S001-S003, a column swap injected at cycle 6: the
#      third mismatch latches DISABLED_GOVERNANCE) and writes its metrics
#      into a textfile directory; `mlgov audit --metrics-file` writes the
#      audit's there too (one of 6 symbols has a truncated model: 5/6 pass).
#   2. promtool check metrics accepts both files.
#   3. prometheus-node-exporter, with only the textfile collector, serves
#      them on a free loopback port; /metrics fetched over HTTP has the mlgov
#      series with the run's values and node_textfile_scrape_error 0.
#   4. A Prometheus server on loopback (throwaway storage, scrape and rule
#      evaluation every second, monitoring/prometheus/mlgov-alerts.yml
#      loaded) scrapes that exporter: /api/v1/alerts shows
#      MlgovGovernanceDisabled firing, and every query of the Grafana
#      dashboard returns data through /api/v1/query.
# Both servers are started here, on 127.0.0.1 only, and killed on exit; every
# wait is bounded.
#
# Usage: scrape_e2e_test.sh HOST_ENGINE MLGOV SOURCE_DIR   (run by ctest)
#
# Expected values, by hand (the story of tests/host_engine_e2e.sh): cycles
# 1-5 give 3 x 5 = 15 predictions; cycle 6 gives 3 FEATURE_MISMATCH failures
# (the third latches); cycles 7-12 block 3 x 6 = 18 calls; the last
# heartbeat is at cycle 12 with state=DEGRADED. The engine asks only for
# symbols with a model and a ready row: no skip.
set -euo pipefail

HOST=$1
MLGOV=$2
SRC=$3
# shellcheck source=require_tools.sh
. "$SRC/tests/monitoring/require_tools.sh"
require_tools promtool prometheus prometheus-node-exporter curl jq python3

work=$(mktemp -d)
server_pids=()
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

failures=0
check() {  # check NAME COMMAND...: runs the command, reports the named expectation
  local name=$1
  shift
  if "$@" >/dev/null; then
    echo "ok   - $name"
  else
    echo "FAIL - $name"
    failures=$((failures + 1))
  fi
}
has_line() { grep -Eq -- "$1" "$2"; }
# near VALUE EXPECTED: two floats equal within 1e-9.
near() { python3 -c 'import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 1e-9 else 1)' "$1" "$2"; }
# sample FILE SERIES: the value of the sample line that starts with SERIES.
sample() { awk -v s="$2" 'index($0, s " ") == 1 { print $NF; exit }' "$1"; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http URL SECONDS PID: until URL answers 2xx, PID dies, or time is up.
wait_http() {
  local deadline=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
# start_server LOG URL_PATH COMMAND...: starts COMMAND with --web.listen-address
# on a free loopback port (retrying if the port was taken meanwhile); sets
# $port and records the pid for cleanup.
start_server() {
  local log=$1 path=$2
  shift 2
  local attempt pid
  for attempt in 1 2 3; do
    port=$(free_port)
    "$@" --web.listen-address="127.0.0.1:$port" >"$log" 2>&1 &
    pid=$!
    server_pids+=("$pid")
    if wait_http "http://127.0.0.1:$port$path" 60 "$pid"; then return 0; fi
    kill "$pid" 2>/dev/null || true
    echo "attempt $attempt: $1 did not come up on 127.0.0.1:$port:"
    tail -n 5 "$log"
  done
  return 1
}

# 1. The engine run and the audit.
"$MLGOV" synth --symbols 6 --years 2 --sectors 2 --seed 3 --out data >/dev/null
sed -e 's/^\(  ml_enabled:\) false/\1 true/' \
    -e "s#^\(  contracts_dir:\) contracts#\1 \"$SRC/contracts\"#" \
    -e 's/^\(  n_estimators:\) 300/\1 5/' -e 's/^\(  max_depth:\) 6/\1 3/' \
    "$SRC/configs/golden_config.yaml" >config.yaml
"$MLGOV" train --symbols S001,S002,S003 --data data --benchmark SPX --sectors data/sectors.csv \
  --out models/ml_alpha --config config.yaml >/dev/null
mkdir textfile
started=$(date +%s)
"$HOST" --config config.yaml --data data --cycles 12 --heartbeat-every 4 --inject-mismatch-at 6 \
  --metrics-file textfile/mlgov.prom >engine.out 2>engine.console
finished=$(date +%s)
prom=textfile/mlgov.prom

cp -r models/ml_alpha audit_models
s003=$(ls -d audit_models/S003_v1_*)
head -c 100 "$s003/model.json" >truncated.json
mv truncated.json "$s003/model.json"
rc=0
"$MLGOV" audit --symbols all --data data --benchmark SPX --sectors data/sectors.csv \
  --models audit_models --config config.yaml --out reports/audit.json \
  --metrics-file textfile/mlgov_audit.prom >audit.out 2>&1 || rc=$?
check "the audit exits 1 (5 of 6 symbols pass, below 0.95)" test "$rc" -eq 1
audit_prom=textfile/mlgov_audit.prom
touch not_a_dir
rc=0
"$MLGOV" audit --symbols S004 --data data --benchmark SPX --sectors data/sectors.csv \
  --config config.yaml --out reports/audit2.json --metrics-file not_a_dir/mlgov_audit.prom \
  >audit_bad.out 2>&1 || rc=$?
check "an unwritable --metrics-file exits 2 naming the option and the path" \
  bash -c "test $rc -eq 2 && grep -q -- '--metrics-file not_a_dir/mlgov_audit.prom: cannot write it' audit_bad.out"

# 2. The files themselves.
check "the heartbeat line keeps the release's format" has_line \
  '^\[HEARTBEAT\] uptime=[0-9]+s \| symbols=6 \| cycles=12 \| state=DEGRADED \| ml_state=DISABLED_GOVERNANCE \| model_errors=3$' \
  engine.out
check "promtool check metrics accepts the engine's file" \
  bash -c "promtool check metrics <'$prom' >lint.out 2>&1 && ! [ -s lint.out ]"
check "promtool check metrics accepts the audit's file" \
  bash -c "promtool check metrics <'$audit_prom' >lint_audit.out 2>&1 && ! [ -s lint_audit.out ]"
hb=$(sample "$prom" mlgov_last_heartbeat_timestamp_seconds)
check "the last heartbeat's timestamp lies within the run ($started..$finished): $hb" \
  python3 -c 'import sys; t = float(sys.argv[1]); sys.exit(0 if int(sys.argv[2]) <= t <= int(sys.argv[3]) + 1 else 1)' \
  "${hb:-0}" "$started" "$finished"

# 3. node_exporter's textfile collector, over HTTP.
start_server node_exporter.log /metrics prometheus-node-exporter --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$work/textfile" || {
  echo "FAIL - prometheus-node-exporter did not start"
  exit 1
}
exporter_port=$port
curl -fsS --max-time 10 "http://127.0.0.1:$exporter_port/metrics" >scrape.txt
expect_scraped() {  # expect_scraped SERIES VALUE
  check "scraped: $1 $2" test "$(sample scrape.txt "$1")" = "$2"
}
expect_scraped node_textfile_scrape_error 0
expect_scraped 'mlgov_state{state="enabled_ok"}' 0
expect_scraped 'mlgov_state{state="enabled_degraded"}' 0
expect_scraped 'mlgov_state{state="disabled_config"}' 0
expect_scraped 'mlgov_state{state="disabled_governance"}' 1
expect_scraped 'mlgov_host_state{state="ok"}' 0
expect_scraped 'mlgov_host_state{state="degraded"}' 1
expect_scraped 'mlgov_host_state{state="halted"}' 0
expect_scraped mlgov_predictions_total 15
expect_scraped mlgov_blocked_calls_total 18
expect_scraped mlgov_model_errors_total 3
expect_scraped 'mlgov_failures_total{reason="feature_mismatch"}' 3
expect_scraped 'mlgov_failures_total{reason="model_error"}' 0
expect_scraped 'mlgov_skipped_total{reason="no_model"}' 0
expect_scraped 'mlgov_skipped_total{reason="insufficient_history"}' 0
expect_scraped mlgov_models_loaded 3
expect_scraped mlgov_cycles_total 12
expect_scraped 'mlgov_audit_symbols{result="passed"}' 5
expect_scraped 'mlgov_audit_symbols{result="failed"}' 1
check "scraped: mlgov_audit_pass_rate is 5/6" near "$(sample scrape.txt mlgov_audit_pass_rate)" \
  0.8333333333333334
# The version is the one the tool reports (the CMake project's), dots escaped.
version=$("$MLGOV" --version)
check "scraped: mlgov_build_info names version $version and contract ml_v1@1.0.0" has_line \
  "^mlgov_build_info\\{contract=\"ml_v1@1\\.0\\.0\",git_commit=\"([0-9a-f]{40}|unknown)\",version=\"${version//./\\.}\"\\} 1\$" \
  scrape.txt
check "no free text in labels: no last_error series" bash -c '! grep -q last_error scrape.txt'
names=$( (grep -o 'mlgov_[a-z_]*' "$SRC/monitoring/prometheus/mlgov-alerts.yml"
  jq -r '.panels[].targets[].expr' "$SRC/monitoring/grafana/mlgov.json" | grep -o 'mlgov_[a-z_]*') |
  sort -u)
for name in $names; do
  check "the rules' and dashboard's $name is scraped" has_line "^$name(\{| )" scrape.txt
done

# 4. A Prometheus server scraping that exporter, with the alert rules.
cat >prometheus.yml <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $SRC/monitoring/prometheus/mlgov-alerts.yml
scrape_configs:
  - job_name: mlgov_textfile
    static_configs:
      - targets: ['127.0.0.1:$exporter_port']
YAML
start_server prometheus.log /-/ready prometheus --config.file="$work/prometheus.yml" \
  --storage.tsdb.path="$work/tsdb" || {
  echo "FAIL - prometheus did not become ready"
  exit 1
}
api="http://127.0.0.1:$port/api/v1"
firing='[.data.alerts[] | select(.state == "firing") | .labels.alertname] | sort | unique'
deadline=$((SECONDS + 60))
until curl -fsS --max-time 5 "$api/alerts" >alerts.json 2>/dev/null &&
  jq -e "$firing | index(\"MlgovGovernanceDisabled\")" alerts.json >/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then break; fi
  sleep 0.5
done
check "Prometheus fires MlgovGovernanceDisabled with severity critical and the scraped labels" \
  jq -e --arg inst "127.0.0.1:$exporter_port" \
  'any(.data.alerts[]; .state == "firing" and .labels == {alertname: "MlgovGovernanceDisabled",
     severity: "critical", state: "disabled_governance", instance: $inst, job: "mlgov_textfile"}
     and .annotations.runbook_url == "RUNBOOKS/ML_HYGIENE.md#5-first-look")' alerts.json
check "the firing alerts are exactly MlgovGovernanceDisabled and MlgovAuditPassRateLow" \
  jq -e "$firing == [\"MlgovAuditPassRateLow\", \"MlgovGovernanceDisabled\"]" alerts.json
# Give rate() two samples in its window, then ask every dashboard query.
sleep 3
while IFS= read -r expr; do
  q=$(printf '%s' "$expr" | sed -e 's/\$__rate_interval/1m/g' -e 's/\$instance/.*/g')
  curl -fsS --max-time 5 -G "$api/query" --data-urlencode "query=$q" >query.json || true
  check "dashboard query returns data: ${expr:0:70}..." \
    jq -e '.status == "success" and (.data.result | length > 0)' query.json
done < <(jq -r '.panels[].targets[].expr' "$SRC/monitoring/grafana/mlgov.json")

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed; outputs:"
  for f in engine.out audit.out lint.out lint_audit.out scrape.txt alerts.json node_exporter.log \
    prometheus.log; do
    echo "==== $f"
    tail -n 60 "$f" 2>/dev/null || true
  done
  exit 1
fi
echo "all monitoring scrape checks passed"
