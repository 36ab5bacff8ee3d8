// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The heartbeat line operators grep for:
// [HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | ml_state=DISABLED_GOVERNANCE | model_errors=574
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

// The same fields as one JSON line for live.jsonl:
// {"ts":"...","component":"HEARTBEAT","level":"INFO","uptime_s":159,"symbols":225,
//  "cycles":2,"state":"DEGRADED","ml_state":"DISABLED_GOVERNANCE","model_errors":574}
std::string format_heartbeat_json(const HeartbeatInput& input,
                                  std::chrono::system_clock::time_point ts);

}  // namespace mlgov
