#!/usr/bin/env bash
# Several engines, one latch: the fleet demo (README, "Several engines").
#
# Starts a throwaway redis-server (its own loopback port, its own directory,
# append-only persistence; never the system service), then three example
# host engines on one governance scope, each paced at one cycle every 100 ms
# and printing a heartbeat every second. Engine A gets the classic column-swap
# bug injected for a few cycles: its failures latch the scope on the server,
# and all three heartbeats turn DISABLED_GOVERNANCE (B and C never saw a bad
# row). Then the operator's `mlgov governance reenable --config ...` reaches
# all three running engines, without a restart. The stream on the server
# holds the audit trail. The server and the engines are stopped at exit.
#
# Everything is written under demo-fleet/ (gitignored); rerunning starts afresh.
#
# Environment:
#   MLGOV_BUILD_DIR        build directory (default build/release)
#   MLGOV_DEMO_FLEET_DIR   working directory (default demo-fleet)
#   DEMO_FLEET_TIMEOUT     seconds to wait for each fleet-wide change (default 20)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${MLGOV_BUILD_DIR:-build/release}"
DEMO_DIR="${MLGOV_DEMO_FLEET_DIR:-demo-fleet}"
TIMEOUT="${DEMO_FLEET_TIMEOUT:-20}"
SCOPE="demo-desk"
ENGINES=(A B C)
T0=$(date +%s)

step() { printf '\n\033[1m==> [%3ds] %s\033[0m\n' "$(($(date +%s) - T0))" "$*"; }
show() {
  local arg line='$'
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./,=:@%+-]+$ ]]; then line+=" $arg"; else line+=" '$arg'"; fi
  done
  printf '%s\n' "$line"
  "$@"
}

step "1/7 Debian packages (installs only what is missing: redis-server, libhiredis-dev, ...)"
./scripts/install-deps.sh

step "2/7 Build the mlgov tool and the example engine (with mlgov::redis)"
cmake --preset release -B "$BUILD_DIR" >/dev/null
cmake --build "$BUILD_DIR" -j 2 --target mlgov_cli host_engine
BUILD_ABS="$(cd "$BUILD_DIR" && pwd)"
HOST_ENGINE="$BUILD_ABS/examples/host_engine/host_engine"
export PATH="$BUILD_ABS/tools/mlgov:$PATH"

mkdir -p "$DEMO_DIR"
cd "$DEMO_DIR"
DEMO_ABS="$(pwd)"
case "$DEMO_ABS" in
  / | "$ROOT" | "$HOME") echo "demo-fleet: refusing to use $DEMO_ABS" >&2; exit 2 ;;
esac
rm -rf runtime redis models
mkdir -p runtime redis

# Everything this script starts is stopped at exit, by its process id.
pids=()
redis_pid=""
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

step "3/7 A throwaway redis-server: loopback, a free port, append-only, in $DEMO_DIR/redis"
port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 20000))
  # A refused connection means nothing listens there.
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "demo-fleet: no free loopback port found" >&2; exit 1; }
redis-server --bind 127.0.0.1 --port "$port" --dir "$DEMO_ABS/redis" --appendonly yes \
  --save '' --daemonize no --logfile "$DEMO_ABS/redis/redis.log" &
redis_pid=$!
for _ in $(seq 1 100); do
  if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; then break; fi
  sleep 0.1
done
show redis-cli -p "$port" ping

step "4/7 A small market, three models, one config per engine (same scope: $SCOPE)"
show mlgov synth --symbols 6 --years 3 --sectors 2 --seed 7 --out data >/dev/null
sed -e 's/^\(  n_estimators:\) 300/\1 20/' -e 's/^\(  ml_enabled:\) false/\1 true /' \
  -e "s#^\(  contracts_dir:\) contracts#\1 \"$ROOT/contracts\"#" \
  "$ROOT/configs/golden_config.yaml" >train.yaml
show mlgov train --symbols S001,S002,S003 --data data --benchmark SPX --sectors data/sectors.csv \
  --out models/ml_alpha --config train.yaml >/dev/null
ls -1 models/ml_alpha
for e in "${ENGINES[@]}"; do
  # The golden config with ML on, each engine's own logs, and the shared store.
  lower=$(echo "$e" | tr 'A-Z' 'a-z')
  sed -e 's/^\(  ml_enabled:\) false/\1 true /' \
    -e "s#^\(  contracts_dir:\) contracts#\1 \"$ROOT/contracts\"#" \
    -e "s#^\(  logs_dir:\) runtime/logs#\1 runtime/engine-$lower/logs#" \
    -e "s#^  store: file .*#  store: redis\n  redis:\n    url: redis://127.0.0.1:$port/0\n    scope: $SCOPE#" \
    "$ROOT/configs/golden_config.yaml" >"engine-$lower.yaml"
done
echo "--- engine-a.yaml, the governance section (B and C differ only in logs_dir):"
sed -n '/^governance:/,/^$/p' engine-a.yaml | grep -v '^ *#'
grep -q '^  store: redis' engine-a.yaml

step "5/7 Three engines: one cycle per 100 ms, a heartbeat per second; A gets a column swap at cycle 30"
# follow NAME FILE PID: prints the engine's heartbeats and alerts as they come, stamped.
follow() {
  tail -n +1 -F --pid="$3" "$2" 2>/dev/null |
    grep --line-buffered -E '^\[(HEARTBEAT|ALERT)\]|injecting|mismatch stops' |
    while IFS= read -r line; do printf '%(%H:%M:%S)T  %s  %s\n' -1 "$1" "$line"; done
}
for e in "${ENGINES[@]}"; do
  lower=$(echo "$e" | tr 'A-Z' 'a-z')
  extra=()
  if [ "$e" = A ]; then extra=(--inject-mismatch-at 30 --inject-mismatch-cycles 5); fi
  "$HOST_ENGINE" --config "engine-$lower.yaml" --data data --cycles 100000 --cycle-ms 100 \
    --heartbeat-every 10 --metrics-file "runtime/engine-$lower/mlgov.prom" "${extra[@]}" \
    >"runtime/engine-$lower.out" 2>"runtime/engine-$lower.console.log" &
  pids+=($!)
  follow "$e" "runtime/engine-$lower.out" "$!" &
  pids+=($!)
done

# wait_all PATTERN: until the latest heartbeat of every engine matches.
wait_all() {
  local deadline=$(($(date +%s) + TIMEOUT)) e lower last ok
  while [ "$(date +%s)" -lt "$deadline" ]; do
    ok=1
    for e in "${ENGINES[@]}"; do
      lower=$(echo "$e" | tr 'A-Z' 'a-z')
      last=$(grep '^\[HEARTBEAT\]' "runtime/engine-$lower.out" 2>/dev/null | tail -n 1 || true)
      [[ "$last" == *"$1"* ]] || ok=0
    done
    if [ "$ok" -eq 1 ]; then return 0; fi
    sleep 0.2
  done
  echo "demo-fleet: not every engine reached '$1' within ${TIMEOUT}s (see $DEMO_ABS/runtime/)" >&2
  return 1
}
wait_all "ml_state=DISABLED_GOVERNANCE"
sleep 1
echo "--- all three engines are DISABLED_GOVERNANCE; only A saw bad rows."

step "6/7 What the operator sees: one latch, one audit trail, on the server"
show mlgov governance status --config engine-b.yaml || echo "(exit $?: 1 means ML is disabled)"
echo "--- the scope's history stream (XRANGE {mlgov:$SCOPE}:history):"
history() {
  redis-cli -p "$port" -2 --json XRANGE "{mlgov:$SCOPE}:history" - + |
    jq -r '.[] | "  \(.[0])  " + ([.[1] | _nwise(2) | "\(.[0])=\(.[1])"] | join("  "))'
}
history

step "7/7 The operator re-enables once; the three running engines follow, no restart"
show mlgov governance reenable --config engine-c.yaml --operator demo \
  --reason "demo: injected column swap on engine A understood; A fixed"
wait_all "ml_state=ENABLED|OK"
sleep 1
echo "--- all three engines are ENABLED|OK again; the history stream now ends with:"
history | tail -n 2
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done

cat <<EOF

Done in $(($(date +%s) - T0)) s. Where things are:
  engine configs        $DEMO_ABS/engine-{a,b,c}.yaml   (governance.store: redis, scope $SCOPE)
  engine output         $DEMO_ABS/runtime/engine-{a,b,c}.out
  engine logs           $DEMO_ABS/runtime/engine-{a,b,c}/logs/live.jsonl, errors.jsonl
  redis (stopped now)   $DEMO_ABS/redis/ (append-only file, redis.log)
  README                "Several engines"; runbook: RUNBOOKS/ML_HYGIENE.md, "The store is down"
EOF
