// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/heartbeat.h"

#include <cstdint>

#include <nlohmann/json.hpp>

#include "mlgov/logging.h"

namespace mlgov {

std::string_view heartbeat_state(const HeartbeatRecord& heartbeat) noexcept {
  if (heartbeat.host_halted) return "HALTED";
  if (heartbeat.ml_state == MlState::kEnabledDegraded ||
      heartbeat.ml_state == MlState::kDisabledGovernance) {
    return "DEGRADED";
  }
  return "OK";
}

std::string format_heartbeat_line(const HeartbeatRecord& heartbeat) {
  std::string line = "[HEARTBEAT] uptime=";
  line += std::to_string(heartbeat.uptime.count());
  line += "s | symbols=";
  line += std::to_string(heartbeat.symbols);
  line += " | cycles=";
  line += std::to_string(heartbeat.cycles);
  line += " | state=";
  line += heartbeat_state(heartbeat);
  line += " | ml_state=";
  line += to_string(heartbeat.ml_state);
  line += " | model_errors=";
  line += std::to_string(heartbeat.model_errors);
  return line;
}

std::string format_heartbeat_json(const HeartbeatRecord& heartbeat) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["ts"] = format_utc_millis(heartbeat.time);
  j["component"] = "HEARTBEAT";
  j["level"] = "INFO";
  j["uptime_s"] = static_cast<std::int64_t>(heartbeat.uptime.count());
  j["symbols"] = heartbeat.symbols;
  j["cycles"] = heartbeat.cycles;
  j["state"] = heartbeat_state(heartbeat);
  j["ml_state"] = to_string(heartbeat.ml_state);
  j["model_errors"] = heartbeat.model_errors;
  if (heartbeat.drift) {
    j["drift_worst_psi"] = heartbeat.drift->worst_psi;
    j["drift_worst_feature"] = heartbeat.drift->worst_feature;
    j["drift_features_warning"] = heartbeat.drift->features_in_warning;
    j["drift_features_alert"] = heartbeat.drift->features_in_alert;
  }
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace mlgov
