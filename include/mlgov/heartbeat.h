// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The heartbeat line operators grep for:
// [HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | ml_state=DISABLED_GOVERNANCE
// | model_errors=574
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "mlgov/clock.h"
#include "mlgov/ml_state.h"

namespace mlgov {

// What the host reports about itself, plus the predictor's state.
struct HeartbeatInput {
  std::chrono::seconds uptime{0};
  std::uint64_t symbols = 0;
  std::uint64_t cycles = 0;
  bool host_halted = false;  // the host's own state: HALTED wins over everything
  MlState ml_state = MlState::kDisabledConfig;
  std::uint64_t model_errors = 0;  // failures recorded since start
};

// state= is HALTED when host_halted; DEGRADED when ml_state is ENABLED|DEGRADED
// or DISABLED_GOVERNANCE; OK otherwise (DISABLED_CONFIG is a choice, not a
// fault). Pure.
std::string_view heartbeat_state(const HeartbeatInput& input) noexcept;

// The exact line above (no trailing newline). Pure.
std::string format_heartbeat_line(const HeartbeatInput& input);

// The same fields as one JSON line for live.jsonl (no trailing newline):
// {"ts":"...","component":"HEARTBEAT","level":"INFO","uptime_s":159,"symbols":225,
//  "cycles":2,"state":"DEGRADED","ml_state":"DISABLED_GOVERNANCE","model_errors":574}
// ts as format_utc_millis (logging.h). Pure.
std::string format_heartbeat_json(const HeartbeatInput& input,
                                  std::chrono::system_clock::time_point ts);

// The inverse of format_heartbeat_line: the input that produces exactly
// `line`, or nullopt when `line` is not such a line (any other text, a
// state= that disagrees with ml_state, a number out of range). Pure.
std::optional<HeartbeatInput> parse_heartbeat_line(std::string_view line) noexcept;

// Logs format_heartbeat_line(input) at INFO on `logger`, stamped with
// clock.wall_now(), and returns it. With make_governance_logger's sinks the
// console shows the line (never throttled) and live.jsonl gets the JSON
// record (JsonLinesFileSink turns heartbeat lines into format_heartbeat_json).
std::string log_heartbeat(spdlog::logger& logger, const HeartbeatInput& input, const Clock& clock);

}  // namespace mlgov
