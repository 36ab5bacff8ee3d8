#!/usr/bin/env bash
# The shipped monitoring pieces, checked with the real promtool:
#   rules      monitoring/prometheus/mlgov-alerts.yml parses (promtool check
#              rules), its unit tests pass (promtool test rules), every alert
#              has a severity, a summary and a runbook_url naming a section
#              that exists in RUNBOOKS/ML_HYGIENE.md and a row in its alert
#              table, and every alert is tested both firing and silent.
#   dashboard  monitoring/grafana/mlgov.json is JSON with the panels the
#              release asks for, and every panel's PromQL parses (written as
#              recording rules and checked by promtool check rules), with
#              Grafana's variables replaced by values.
#
# Usage: rules_and_dashboard_test.sh rules|dashboard SOURCE_DIR   (run by ctest)
set -euo pipefail

mode=$1
SRC=$2
# shellcheck source=require_tools.sh
. "$SRC/tests/monitoring/require_tools.sh"
require_tools promtool python3 jq

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
check() {  # check NAME COMMAND...: runs the command, reports the named expectation
  local name=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "ok   - $name"
  else
    echo "FAIL - $name"
    sed 's/^/       /' "$work/out"
    failures=$((failures + 1))
  fi
}

case "$mode" in
rules)
  cd "$SRC/monitoring/prometheus"
  check "promtool check rules accepts mlgov-alerts.yml" promtool check rules mlgov-alerts.yml
  check "promtool test rules: every unit test passes" bash -c 'promtool test rules tests/*.yml'
  check "every alert has a severity, a summary, a runbook section and tests" \
    python3 - "$SRC" <<'PY'
import glob, re, sys, yaml
src = sys.argv[1]
rules = yaml.safe_load(open(f"{src}/monitoring/prometheus/mlgov-alerts.yml"))
runbook = open(f"{src}/RUNBOOKS/ML_HYGIENE.md").read()

def slug(heading):  # GitHub's anchor of a Markdown heading
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")

anchors = {slug(m.group(1)) for m in re.finditer(r"^#+ (.*)$", runbook, re.M)}
alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
firing, silent = set(), set()
for f in glob.glob(f"{src}/monitoring/prometheus/tests/*.yml"):
    for t in yaml.safe_load(open(f))["tests"]:
        for a in t.get("alert_rule_test", []):
            (firing if a.get("exp_alerts") else silent).add(a["alertname"])
errors = []
for a in alerts:
    name = a["alert"]
    if a.get("labels", {}).get("severity") not in ("critical", "warning"):
        errors.append(f"{name}: labels.severity must be critical or warning")
    ann = a.get("annotations", {})
    if not ann.get("summary"):
        errors.append(f"{name}: no annotations.summary")
    url = ann.get("runbook_url", "")
    m = re.fullmatch(r"RUNBOOKS/ML_HYGIENE\.md#([\w\-]+)", url)
    if not m:
        errors.append(f"{name}: runbook_url {url!r} is not RUNBOOKS/ML_HYGIENE.md#<section>")
    elif m.group(1) not in anchors:
        errors.append(f"{name}: runbook_url anchor #{m.group(1)} is no heading of RUNBOOKS/ML_HYGIENE.md")
    if not re.search(rf"^\|[^\n]*`{name}`[^\n]*\(#{re.escape(m.group(1) if m else '')}\)", runbook, re.M):
        errors.append(f"{name}: no row in the runbook's alert table linking #{m.group(1) if m else '?'}")
    if name not in firing:
        errors.append(f"{name}: no unit test expects it to fire")
    if name not in silent:
        errors.append(f"{name}: no unit test expects it to stay silent")
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY
  ;;
dashboard)
  dash="$SRC/monitoring/grafana/mlgov.json"
  check "mlgov.json is JSON" jq -e . "$dash"
  check "every panel has a title and at least one PromQL target" \
    jq -e '[.panels[] | (.title | length > 0) and ((.targets // []) | length > 0)
            and all(.targets[]; (.expr // "") | length > 0)] | all' "$dash"
  for title in "ML state" "Governance failures by reason" "Blocked calls" "Heartbeat age" \
    "Weekly audit pass rate"; do
    check "a panel named \"$title\"" \
      jq -e --arg t "$title" 'any(.panels[]; .title | startswith($t))' "$dash"
  done
  # Grafana's variables: the range macros become a duration, $instance a regex.
  jq '{groups: [{name: "mlgov_dashboard", rules: [.panels[] as $p | $p.targets[] |
        {record: ("mlgov_dashboard:panel_\($p.id)_\(.refId)"),
         expr: (.expr | gsub("\\$__rate_interval|\\$__interval|\\$__range"; "5m")
                      | gsub("\\$instance"; ".*"))}]}]}' "$dash" >"$work/panels.rules.json"
  check "no panel query uses an unknown Grafana variable" \
    jq -e '[.groups[].rules[].expr | test("\\$") | not] | all' "$work/panels.rules.json"
  check "every panel query parses (promtool check rules)" \
    promtool check rules "$work/panels.rules.json"
  check "the queries use only metric names mlgov writes" \
    bash -c "jq -r '.groups[].rules[].expr' '$work/panels.rules.json' | grep -o 'mlgov_[a-z_]*' | sort -u |
      grep -vxE 'mlgov_(build_info|predictions_total|failures_total|skipped_total|blocked_calls_total|model_errors_total|state|host_state|failures_in_window|models_loaded|models_degraded|cycles_total|last_heartbeat_timestamp_seconds|audit_pass_rate|audit_min_pass_rate|audit_symbols|audit_last_run_timestamp_seconds)' && exit 1 || exit 0"
  ;;
*)
  echo "usage: $0 rules|dashboard SOURCE_DIR" >&2
  exit 2
  ;;
esac

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all $mode checks passed"
