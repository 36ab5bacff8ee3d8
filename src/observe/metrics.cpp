// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/metrics.h"

#include <array>
#include <charconv>
#include <string_view>
#include <system_error>

#include "mlgov/atomic_file.h"

namespace mlgov {
namespace {

constexpr std::array<MlState, 4> kAllStates = {MlState::kEnabledOk, MlState::kEnabledDegraded,
                                               MlState::kDisabledConfig,
                                               MlState::kDisabledGovernance};

// The exposition's order of the failure and skip reasons (stable for
// dashboards, whatever the enum's order).
constexpr std::array<PredictStatus, 5> kFailureStatuses = {
    PredictStatus::kFeatureMismatch, PredictStatus::kWrongFeatureCount,
    PredictStatus::kNonFiniteFeature, PredictStatus::kModelError, PredictStatus::kModelRefused};
constexpr std::array<PredictStatus, 2> kSkipStatuses = {PredictStatus::kNoModel,
                                                        PredictStatus::kInsufficientHistory};

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

namespace {

// Appends exposition lines to one string: a family's # HELP and # TYPE, then
// its samples.
class Exposition {
 public:
  Exposition() { out_.reserve(3072); }

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  // `labels` is "" or a complete {...} with escaped values.
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    start(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
  }

  void sample(std::string_view name, std::string_view labels, double value) {
    start(name, labels);
    // Shortest form that reads back as the same double (a Go ParseFloat
    // accepts it); never "inf"/"nan" here, the inputs are finite.
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, ec == std::errc() ? end : buf);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  void start(std::string_view name, std::string_view labels) {
    out_ += name;
    out_ += labels;
    out_ += ' ';
  }

  std::string out_;
};

// {key="value"} for a value that needs no escaping (a fixed lower_snake word).
// Appended piece by piece: GCC 12's -Wrestrict misfires on chained operator+.
std::string label(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(key.size() + value.size() + 5);
  out += '{';
  out += key;
  out += "=\"";
  out += value;
  out += "\"}";
  return out;
}

constexpr std::array<HostState, kHostStateCount> kAllHostStates = {
    HostState::kOk, HostState::kDegraded, HostState::kHalted};

}  // namespace

std::string_view metric_label(HostState state) noexcept {
  switch (state) {
    case HostState::kOk:
      return "ok";
    case HostState::kDegraded:
      return "degraded";
    case HostState::kHalted:
      return "halted";
  }
  return "unknown";
}

std::string_view to_string(HostState state) noexcept {
  switch (state) {
    case HostState::kOk:
      return "OK";
    case HostState::kDegraded:
      return "DEGRADED";
    case HostState::kHalted:
      return "HALTED";
  }
  return "UNKNOWN";
}

std::string_view metric_label(MlState state) noexcept {
  switch (state) {
    case MlState::kEnabledOk:
      return "enabled_ok";
    case MlState::kEnabledDegraded:
      return "enabled_degraded";
    case MlState::kDisabledConfig:
      return "disabled_config";
    case MlState::kDisabledGovernance:
      return "disabled_governance";
  }
  return "unknown";
}

std::string_view metric_label(PredictStatus status) noexcept {
  switch (status) {
    case PredictStatus::kOk:
      return "ok";
    case PredictStatus::kMlDisabled:
      return "ml_disabled";
    case PredictStatus::kGovernanceDisabled:
      return "governance_disabled";
    case PredictStatus::kNoModel:
      return "no_model";
    case PredictStatus::kFeatureMismatch:
      return "feature_mismatch";
    case PredictStatus::kWrongFeatureCount:
      return "wrong_feature_count";
    case PredictStatus::kNonFiniteFeature:
      return "non_finite_feature";
    case PredictStatus::kModelError:
      return "model_error";
    case PredictStatus::kInsufficientHistory:
      return "insufficient_history";
    case PredictStatus::kModelRefused:
      return "model_refused";
    case PredictStatus::kSpanLengthMismatch:
      return "span_length_mismatch";
  }
  return "unknown";
}

std::string format_prometheus(const MetricsSnapshot& s) {
  Exposition x;
  const auto esc = [](std::string_view v) {
    return escape_prometheus_label(v, kMaxPrometheusLabelBytes);
  };

  x.family("mlgov_build_info", "gauge",
           "The mlgov library's version and git commit and the feature contract; always 1.");
  std::string build_labels = "{version=\"";
  build_labels += esc(s.version);
  build_labels += "\",git_commit=\"";
  build_labels += esc(s.git_commit);
  build_labels += "\",contract=\"";
  build_labels += esc(s.contract);
  build_labels += "\"}";
  x.sample("mlgov_build_info", build_labels, std::uint64_t{1});

  x.family("mlgov_predictions_total", "counter", "Successful predictions since start.");
  x.sample("mlgov_predictions_total", "", s.predictions);

  x.family("mlgov_failures_total", "counter",
           "Governance failures since start (they feed the failure window), by reason.");
  for (const PredictStatus reason : kFailureStatuses) {
    x.sample("mlgov_failures_total", label("reason", metric_label(reason)),
             s.failures_by_reason[static_cast<std::size_t>(reason)]);
  }

  x.family("mlgov_skipped_total", "counter",
           "Calls without a prediction that are not failures (no model for the symbol, too "
           "little history), by reason.");
  for (const PredictStatus reason : kSkipStatuses) {
    x.sample("mlgov_skipped_total", label("reason", metric_label(reason)),
             s.failures_by_reason[static_cast<std::size_t>(reason)]);
  }

  x.family("mlgov_blocked_calls_total", "counter",
           "Calls refused while ML was disabled by config or by governance.");
  x.sample("mlgov_blocked_calls_total", "", s.blocked_calls);

  x.family("mlgov_model_errors_total", "counter",
           "Governance failures recorded since start (the heartbeat's model_errors).");
  x.sample("mlgov_model_errors_total", "", s.model_errors);

  x.family("mlgov_state", "gauge", "1 for the current ML state, 0 for the others.");
  for (MlState state : kAllStates) {
    x.sample("mlgov_state", label("state", metric_label(state)),
             std::uint64_t{state == s.state ? 1u : 0u});
  }

  x.family("mlgov_host_state", "gauge",
           "1 for the host state of the heartbeat (ok, degraded, halted), 0 for the others; "
           "all 0 before the first heartbeat.");
  for (HostState state : kAllHostStates) {
    x.sample("mlgov_host_state", label("state", metric_label(state)),
             std::uint64_t{s.host_state == state ? 1u : 0u});
  }

  x.family("mlgov_failures_in_window", "gauge", "Governance failures inside the sliding window.");
  x.sample("mlgov_failures_in_window", "", s.failures_in_window);

  x.family("mlgov_models_loaded", "gauge", "Models loaded.");
  x.sample("mlgov_models_loaded", "", s.models_loaded);

  x.family("mlgov_models_degraded", "gauge", "Loaded models that are legacy (no meta) or stale.");
  x.sample("mlgov_models_degraded", "", s.models_degraded);

  x.family("mlgov_cycles_total", "counter", "The host's cycles, as of the last heartbeat.");
  x.sample("mlgov_cycles_total", "", s.cycles);

  x.family("mlgov_last_heartbeat_timestamp_seconds", "gauge",
           "Unix time of the last heartbeat; 0 before the first.");
  x.sample("mlgov_last_heartbeat_timestamp_seconds", "", s.last_heartbeat_seconds);

  if (!s.drift_watched) return x.take();
  x.family("mlgov_drift_worst_psi", "gauge",
           "The largest PSI of a feature's live values against the training deciles, as of the "
           "last drift evaluation.");
  x.sample("mlgov_drift_worst_psi", "", s.drift_worst_psi);
  x.family("mlgov_drift_features", "gauge", "Features in drift warning and in drift alert.");
  x.sample("mlgov_drift_features", label("level", "warning"), s.drift_features_warning);
  x.sample("mlgov_drift_features", label("level", "alert"), s.drift_features_alert);
  return x.take();
}

std::string format_audit_prometheus(const AuditMetrics& a) {
  Exposition x;
  x.family("mlgov_audit_pass_rate", "gauge",
           "Share of the audited symbols that passed every check in the last audit (0 to 1).");
  x.sample("mlgov_audit_pass_rate", "", a.pass_rate);
  x.family("mlgov_audit_min_pass_rate", "gauge",
           "The minimum pass rate the last audit was judged by (--min-pass-rate).");
  x.sample("mlgov_audit_min_pass_rate", "", a.min_pass_rate);
  x.family("mlgov_audit_symbols", "gauge", "Symbols in the last audit, by result.");
  x.sample("mlgov_audit_symbols", label("result", "passed"), a.passed);
  x.sample("mlgov_audit_symbols", label("result", "failed"), a.failed);
  x.family("mlgov_audit_last_run_timestamp_seconds", "gauge", "Unix time of the last audit.");
  x.sample("mlgov_audit_last_run_timestamp_seconds", "", a.timestamp_seconds);
  return x.take();
}

void write_prometheus_text(std::string_view text, const std::filesystem::path& file) {
  // Like the governance state file: the parent directory is created, so a
  // fresh runtime/ works without the host preparing it.
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  write_file_atomically(file, text);
}

void write_prometheus_file(const MetricsSnapshot& snapshot, const std::filesystem::path& file) {
  write_prometheus_text(format_prometheus(snapshot), file);
}

}  // namespace mlgov
