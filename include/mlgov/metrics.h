// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Metrics: a snapshot of the predictor's counters and its writer in the
// Prometheus text exposition format (node_exporter textfile collector), and
// the same for the result of `mlgov audit`. Names and labels follow the
// Prometheus conventions: counters end in _total, times are seconds,
// label values are lower_snake words from a fixed set (never free text), and
// every known state is its own 0/1 series so that "absent" never reads as
// healthy. monitoring/prometheus/mlgov-alerts.yml and
// monitoring/grafana/mlgov.json are written against these names.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "mlgov/enum_formatter.h"
#include "mlgov/ml_state.h"
#include "mlgov/version.h"  // library_git_commit

namespace mlgov {

// The host's health as the heartbeat's state= reports it.
enum class HostState : std::uint8_t { kOk, kDegraded, kHalted };
inline constexpr std::size_t kHostStateCount = 3;

// "OK", "DEGRADED", "HALTED" (the heartbeat's state= spellings).
std::string_view to_string(HostState state) noexcept;

// A plain value, taken by GovernedPredictor::metrics().
struct MetricsSnapshot {
  // mlgov_build_info's labels.
  std::string version;     // the library's version, e.g. "1.0.0"
  std::string git_commit;  // the commit the library was built from, or "unknown"
  std::string contract;    // the feature contract, "<name>@<version>", e.g. "ml_v1@1.0.0"

  std::uint64_t predictions = 0;  // successful predictions since start
  // Calls without a prediction, indexed by PredictStatus. The governance
  // failures (counts_as_governance_failure) go to mlgov_failures_total, the
  // skips (kNoModel, kInsufficientHistory) to mlgov_skipped_total; the
  // blocked calls are in blocked_calls, and the other entries stay 0.
  std::array<std::uint64_t, kPredictStatusCount> failures_by_reason{};
  std::uint64_t blocked_calls = 0;  // refused while DISABLED_CONFIG or DISABLED_GOVERNANCE
  std::uint64_t model_errors = 0;   // governance failures recorded since start
  MlState state = MlState::kDisabledConfig;
  std::uint64_t failures_in_window = 0;
  std::uint64_t models_loaded = 0;
  std::uint64_t models_degraded = 0;  // legacy or stale
  // The last governance failure's message ("" when none), for the host's
  // own use: never exported (free text has no place in a label; the full
  // record is in errors.jsonl).
  std::string last_error;

  // From the last heartbeat; nullopt before the first one.
  std::optional<HostState> host_state;
  std::uint64_t cycles = 0;  // the host's cycle count at the last heartbeat
  // Wall-clock time of the last heartbeat, seconds since the Unix epoch (0 = none yet).
  double last_heartbeat_seconds = 0.0;

  // Drift, as of the last heartbeat's evaluation (0 before it). Exported
  // only when drift_watched (drift.enabled and a model with feature_stats).
  bool drift_watched = false;
  double drift_worst_psi = 0.0;
  std::uint64_t drift_features_warning = 0;
  std::uint64_t drift_features_alert = 0;
};

// "ok", "degraded", "halted" (the label values of mlgov_host_state).
std::string_view metric_label(HostState state) noexcept;
// "enabled_ok", "enabled_degraded", "disabled_config", "disabled_governance".
std::string_view metric_label(MlState state) noexcept;
// "feature_mismatch", ..., "no_model", "insufficient_history": to_string()
// in lower case.
std::string_view metric_label(PredictStatus status) noexcept;

// Text exposition format, every family with # HELP and # TYPE lines, in this
// order:
//   mlgov_build_info{version,git_commit,contract} 1                  gauge
//   mlgov_predictions_total                                          counter
//   mlgov_failures_total{reason}  feature_mismatch, wrong_feature_count,
//                                 non_finite_feature, model_error, model_refused counter
//   mlgov_skipped_total{reason}   no_model, insufficient_history     counter
//   mlgov_blocked_calls_total                                        counter
//   mlgov_model_errors_total      (the heartbeat's model_errors)     counter
//   mlgov_state{state}            1 for the ML state, 0 for the other three
//   mlgov_host_state{state}       1 for the host state, 0 for the others;
//                                 all 0 before the first heartbeat
//   mlgov_failures_in_window, mlgov_models_loaded, mlgov_models_degraded gauges
//   mlgov_cycles_total                                               counter
//   mlgov_last_heartbeat_timestamp_seconds (0 before the first)      gauge
//   mlgov_drift_worst_psi, mlgov_drift_features{level="warning"|"alert"} gauges,
//                                 only when drift_watched
// Build-info values are escaped (escape_prometheus_label, at most
// kMaxPrometheusLabelBytes bytes each). Ends with a newline. Pure.
std::string format_prometheus(const MetricsSnapshot& snapshot);

// The result of one `mlgov audit` run.
struct AuditMetrics {
  std::uint64_t passed = 0;  // symbols that passed every check
  std::uint64_t failed = 0;
  double pass_rate = 0.0;          // passed / (passed + failed)
  double min_pass_rate = 0.0;      // the --min-pass-rate the run was judged by
  double timestamp_seconds = 0.0;  // when the audit ran, seconds since the Unix epoch
};

// Text exposition format with # HELP and # TYPE lines:
//   mlgov_audit_pass_rate, mlgov_audit_min_pass_rate (ratios, gauges),
//   mlgov_audit_symbols{result="passed"|"failed"} (gauge),
//   mlgov_audit_last_run_timestamp_seconds (gauge).
// No family shared with format_prometheus, so both files can sit in one
// textfile-collector directory. Ends with a newline. Pure.
std::string format_audit_prometheus(const AuditMetrics& audit);

// The longest input (in bytes) put in one label value.
inline constexpr std::size_t kMaxPrometheusLabelBytes = 256;

// `value` as a Prometheus label value (without the quotes): backslash, double
// quote and newline escaped as \\, \" and \n, each invalid UTF-8 byte replaced
// by U+FFFD, and cut at a character boundary so that at most `max_bytes`
// bytes of the input are used. Pure.
std::string escape_prometheus_label(std::string_view value, std::size_t max_bytes);

// Writes `text` (an exposition) to `file` atomically (a .prom file for the
// textfile collector, which must never see half a file), creating its parent
// directory if needed. Throws std::system_error naming the path that failed.
void write_prometheus_text(std::string_view text, const std::filesystem::path& file);

// write_prometheus_text(format_prometheus(snapshot), file).
void write_prometheus_file(const MetricsSnapshot& snapshot, const std::filesystem::path& file);

}  // namespace mlgov

template <>
struct fmt::formatter<mlgov::HostState> : mlgov::EnumFormatter<mlgov::HostState> {};
