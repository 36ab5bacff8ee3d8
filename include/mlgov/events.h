// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// What mlgov reports, as typed records, and the observer that receives them.
// A record is built once where it happens (a failure, a latch, a heartbeat)
// and handed to an EventSink; a sink formats it (to one JSON line, a console
// line, a host's spdlog logger) once. logging.h has the sinks mlgov ships.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <spdlog/common.h>
#include <nlohmann/json.hpp>

#include "mlgov/ml_state.h"

namespace mlgov {

// One governance event: a failure recorded, a latch, a re-enable, a model
// loaded degraded, a state file that went missing. Rendered by
// format_event_json (logging.h) as
// {"ts","component":"ML_GOVERNANCE","level","model","symbol","status","reason",
//  "ml_state","message","details"}.
struct GovernanceEvent {
  std::chrono::system_clock::time_point time;  // the injected clock's wall time when it happened
  spdlog::level::level_enum level = spdlog::level::info;
  std::string model;   // the contract, e.g. "ml_v1"
  std::string symbol;  // "" when the event is not about one symbol
  // What happened, e.g. "FAILURE_RECORDED", "DISABLED_BY_GOVERNANCE",
  // "REENABLED" (the vocabulary is in RUNBOOKS/ML_HYGIENE.md).
  std::string status;
  std::string reason;  // why, e.g. "FEATURE_MISMATCH", "OPERATOR"
  // The predictor's state once the event happened; nullopt where no
  // predictor state exists yet (model loading).
  std::optional<MlState> ml_state;
  std::string message;  // one human sentence
  // Structured details (a feature mismatch's diff, the operator and reason
  // of a re-enable...); always a JSON object.
  nlohmann::json details = nlohmann::json::object();
};

// One heartbeat: what the host reports about itself, plus the predictor's
// state. Rendered by format_heartbeat_line and format_heartbeat_json
// (heartbeat.h).
struct HeartbeatRecord {
  std::chrono::system_clock::time_point time;  // the injected clock's wall time
  std::chrono::seconds uptime{0};
  std::uint64_t symbols = 0;
  std::uint64_t cycles = 0;
  bool host_halted = false;  // the host's own state: HALTED wins over everything
  MlState ml_state = MlState::kDisabledConfig;
  std::uint64_t model_errors = 0;  // failures recorded since start
  // Drift (drift.h), as of this heartbeat's evaluation; only when the
  // predictor watches drift (drift.enabled and ML on).
  struct Drift {
    double worst_psi = 0.0;     // the largest pooled feature PSI
    std::string worst_feature;  // its feature ("" before min_rows rows)
    std::uint64_t features_in_warning = 0;
    std::uint64_t features_in_alert = 0;
  };
  std::optional<Drift> drift;
};

// The observer mlgov reports to: one hook per kind of record. Called
// synchronously from the thread where the record happened (a predicting
// thread recording a failure, the caller of heartbeat(), the state-file
// watcher), possibly from several threads at once: an implementation
// serialises what needs it. Must not throw (the hooks are noexcept; a sink
// that cannot write counts or drops the record) and should be quick: a
// failure is reported under the predictor's failure mutex.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const GovernanceEvent& event) noexcept = 0;
  virtual void on_heartbeat(const HeartbeatRecord& heartbeat) noexcept = 0;
};

}  // namespace mlgov
