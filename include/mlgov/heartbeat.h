// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The heartbeat line operators grep for:
// [HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | ml_state=DISABLED_GOVERNANCE
// | model_errors=574
// and its JSON record for live.jsonl. The record itself (HeartbeatRecord) is
// in events.h; GovernedPredictor::heartbeat() builds it, hands it to the
// sinks and returns the line.
#pragma once

#include <string>
#include <string_view>

#include "mlgov/events.h"

namespace mlgov {

// state= is HALTED when host_halted; DEGRADED when ml_state is ENABLED|DEGRADED
// or DISABLED_GOVERNANCE; OK otherwise (DISABLED_CONFIG is a choice, not a
// fault). Pure.
std::string_view heartbeat_state(const HeartbeatRecord& heartbeat) noexcept;

// The exact line above (no trailing newline; heartbeat.time is not shown).
// Pure.
std::string format_heartbeat_line(const HeartbeatRecord& heartbeat);

// The same fields as one JSON line (no trailing newline), ts from
// heartbeat.time as format_utc_millis (logging.h):
// {"ts":"...","component":"HEARTBEAT","level":"INFO","uptime_s":159,"symbols":225,
//  "cycles":2,"state":"DEGRADED","ml_state":"DISABLED_GOVERNANCE","model_errors":574}
// Pure; throws only std::bad_alloc.
std::string format_heartbeat_json(const HeartbeatRecord& heartbeat);

}  // namespace mlgov
