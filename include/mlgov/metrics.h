// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Metrics: a snapshot of the predictor's counters and its writer in the
// Prometheus text exposition format (node_exporter textfile collector).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "mlgov/ml_state.h"

namespace mlgov {

// A plain value, taken by GovernedPredictor::metrics().
struct MetricsSnapshot {
  std::uint64_t predictions = 0;  // successful predictions since start
  std::array<std::uint64_t, kFailureReasonCount> failures_by_reason{};  // by FailureReason
  std::uint64_t blocked_calls = 0;  // refused while DISABLED_CONFIG or DISABLED_GOVERNANCE
  std::uint64_t model_errors = 0;   // governance failures recorded since start
  MlState state = MlState::kDisabledConfig;
  std::uint64_t failures_in_window = 0;
  std::uint64_t models_loaded = 0;
  std::uint64_t models_degraded = 0;  // legacy or stale
  std::string last_error;             // "" when none
};

// Text exposition format, every name prefixed mlgov_, with # HELP and
// # TYPE lines: mlgov_predictions_total, mlgov_failures_total{reason="..."},
// mlgov_blocked_calls_total, mlgov_model_errors_total, mlgov_state{state="..."}
// (1 for the current state, 0 for the others), mlgov_failures_in_window,
// mlgov_models_loaded, mlgov_models_degraded, mlgov_last_error_info{message="..."}.
// Label values are escaped per the format (backslash, quote, newline).
// Every family is always present; failures_total lists every FailureReason
// in enum order; last_error_info is 1 with the message (at most
// kMaxPrometheusLabelBytes bytes of it) or 0 with message="" when there was
// no error. Ends with a newline. Pure.
std::string format_prometheus(const MetricsSnapshot& snapshot);

// The longest last_error (in input bytes) put in a label.
inline constexpr std::size_t kMaxPrometheusLabelBytes = 256;

// `value` as a Prometheus label value (without the quotes): backslash, double
// quote and newline escaped as \\, \" and \n, each invalid UTF-8 byte replaced
// by U+FFFD, and cut at a character boundary so that at most `max_bytes`
// bytes of the input are used. Pure.
std::string escape_prometheus_label(std::string_view value, std::size_t max_bytes);

// Writes format_prometheus(snapshot) to `file` atomically (a .prom file for
// the textfile collector), creating its parent directory if needed. Throws
// std::system_error naming the path that failed.
void write_prometheus_file(const MetricsSnapshot& snapshot, const std::filesystem::path& file);

}  // namespace mlgov
