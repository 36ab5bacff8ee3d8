// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/metrics.h"

#include <array>
#include <string_view>

#include "mlgov/atomic_file.h"

namespace mlgov {
namespace {

constexpr std::array<MlState, 4> kAllStates = {MlState::kEnabledOk, MlState::kEnabledDegraded,
                                               MlState::kDisabledConfig,
                                               MlState::kDisabledGovernance};

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

std::string escape_prometheus_label(std::string_view value, std::size_t max_bytes) {
  std::string out;
  out.reserve(value.size() + 8);
  std::size_t i = 0;
  while (i < value.size()) {
    const std::size_t len = utf8_sequence_length(value, i);
    const std::size_t consumed = len == 0 ? 1 : len;
    if (i + consumed > max_bytes) break;  // the limit cuts at a character boundary
    const char c = value[i];
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not valid UTF-8
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.append(value.substr(i, len));
    }
    i += consumed;
  }
  return out;
}

std::string format_prometheus(const MetricsSnapshot& s) {
  std::string out;
  out.reserve(2048);
  const auto header = [&](std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP mlgov_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE mlgov_";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  };
  const auto sample = [&](std::string_view name, std::string_view labels, std::uint64_t value) {
    out += "mlgov_";
    out += name;
    out += labels;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  };

  header("predictions_total", "counter", "Successful predictions since start.");
  sample("predictions_total", "", s.predictions);

  header("failures_total", "counter", "Failed predictions since start, by reason.");
  for (std::size_t r = 0; r < kFailureReasonCount; ++r) {
    const std::string labels =
        "{reason=\"" + std::string(to_string(static_cast<FailureReason>(r))) + "\"}";
    sample("failures_total", labels, s.failures_by_reason[r]);
  }

  header("blocked_calls_total", "counter",
         "Calls refused while ML was disabled by config or by governance.");
  sample("blocked_calls_total", "", s.blocked_calls);

  header("model_errors_total", "counter", "Governance failures recorded since start.");
  sample("model_errors_total", "", s.model_errors);

  header("state", "gauge", "1 for the current ML state, 0 for the others.");
  for (MlState state : kAllStates) {
    const std::string labels = "{state=\"" + std::string(to_string(state)) + "\"}";
    sample("state", labels, state == s.state ? 1 : 0);
  }

  header("failures_in_window", "gauge", "Governance failures inside the sliding window.");
  sample("failures_in_window", "", s.failures_in_window);

  header("models_loaded", "gauge", "Models loaded.");
  sample("models_loaded", "", s.models_loaded);

  header("models_degraded", "gauge", "Loaded models that are legacy (no meta) or stale.");
  sample("models_degraded", "", s.models_degraded);

  header("last_error_info", "gauge",
         "The last error message (1), or an empty message (0) when there was none.");
  const std::string labels =
      "{message=\"" + escape_prometheus_label(s.last_error, kMaxPrometheusLabelBytes) + "\"}";
  sample("last_error_info", labels, s.last_error.empty() ? 0 : 1);
  return out;
}

void write_prometheus_file(const MetricsSnapshot& snapshot, const std::filesystem::path& file) {
  // Like the governance state file: the parent directory is created, so a
  // fresh runtime/ works without the host preparing it.
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  write_file_atomically(file, format_prometheus(snapshot));
}

}  // namespace mlgov
