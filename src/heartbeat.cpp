// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/heartbeat.h"

#include <array>
#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

#include "mlgov/logging.h"

namespace mlgov {
namespace {

constexpr std::array<MlState, 4> kAllStates = {MlState::kEnabledOk, MlState::kEnabledDegraded,
                                               MlState::kDisabledConfig,
                                               MlState::kDisabledGovernance};

// Consumes `prefix` from the front of `text`.
bool eat(std::string_view& text, std::string_view prefix) noexcept {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// Consumes a decimal integer (digits only, optional '-' when T is signed; no
// leading '+', no leading zeros except "0").
template <typename T>
bool eat_number(std::string_view& text, T& out) noexcept {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec != std::errc() || ptr == first) return false;
  const std::string_view digits(first, static_cast<std::size_t>(ptr - first));
  const std::string_view unsigned_part = digits.front() == '-' ? digits.substr(1) : digits;
  if (unsigned_part.size() > 1 && unsigned_part.front() == '0') return false;
  text.remove_prefix(digits.size());
  return true;
}

// Consumes characters up to (not including) `stop`, or to the end.
std::string_view eat_until(std::string_view& text, std::string_view stop) noexcept {
  const std::size_t pos = text.find(stop);
  const std::string_view word = text.substr(0, pos);
  text.remove_prefix(word.size());
  return word;
}

}  // namespace

std::string_view heartbeat_state(const HeartbeatInput& input) noexcept {
  if (input.host_halted) return "HALTED";
  if (input.ml_state == MlState::kEnabledDegraded ||
      input.ml_state == MlState::kDisabledGovernance) {
    return "DEGRADED";
  }
  return "OK";
}

std::string format_heartbeat_line(const HeartbeatInput& input) {
  std::string line = "[HEARTBEAT] uptime=";
  line += std::to_string(input.uptime.count());
  line += "s | symbols=";
  line += std::to_string(input.symbols);
  line += " | cycles=";
  line += std::to_string(input.cycles);
  line += " | state=";
  line += heartbeat_state(input);
  line += " | ml_state=";
  line += to_string(input.ml_state);
  line += " | model_errors=";
  line += std::to_string(input.model_errors);
  return line;
}

std::string format_heartbeat_json(const HeartbeatInput& input,
                                  std::chrono::system_clock::time_point ts) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["ts"] = format_utc_millis(ts);
  j["component"] = "HEARTBEAT";
  j["level"] = "INFO";
  j["uptime_s"] = static_cast<std::int64_t>(input.uptime.count());
  j["symbols"] = input.symbols;
  j["cycles"] = input.cycles;
  j["state"] = heartbeat_state(input);
  j["ml_state"] = to_string(input.ml_state);
  j["model_errors"] = input.model_errors;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::optional<HeartbeatInput> parse_heartbeat_line(std::string_view line) noexcept {
  HeartbeatInput in;
  std::chrono::seconds::rep uptime = 0;
  if (!eat(line, "[HEARTBEAT] uptime=") || !eat_number(line, uptime) ||
      !eat(line, "s | symbols=") || !eat_number(line, in.symbols) || !eat(line, " | cycles=") ||
      !eat_number(line, in.cycles) || !eat(line, " | state=")) {
    return std::nullopt;
  }
  in.uptime = std::chrono::seconds(uptime);
  const std::string_view state = eat_until(line, " | ");
  if (!eat(line, " | ml_state=")) return std::nullopt;
  const std::string_view ml_state = eat_until(line, " | ");
  bool known = false;
  for (MlState s : kAllStates) {
    if (to_string(s) == ml_state) {
      in.ml_state = s;
      known = true;
    }
  }
  if (!known || !eat(line, " | model_errors=") || !eat_number(line, in.model_errors) ||
      !line.empty()) {
    return std::nullopt;
  }
  in.host_halted = state == "HALTED";
  if (heartbeat_state(in) != state) return std::nullopt;
  return in;
}

std::string log_heartbeat(spdlog::logger& logger, const HeartbeatInput& input, const Clock& clock) {
  std::string line = format_heartbeat_line(input);
  logger.log(clock.wall_now(), spdlog::source_loc{}, spdlog::level::info,
             spdlog::string_view_t(line));
  return line;
}

}  // namespace mlgov
