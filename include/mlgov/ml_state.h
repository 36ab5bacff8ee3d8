// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The predictor's states and the outcomes of a prediction, with their exact
// spellings in logs, heartbeats and metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mlgov/enum_formatter.h"
namespace mlgov {

// ENABLED|OK          ML on, every loaded model healthy.
// ENABLED|DEGRADED    ML on, but some model is legacy (no meta), stale, or
//                     was refused at load.
// DISABLED_CONFIG     features.ml_enabled is not true: no signal, by choice.
// DISABLED_GOVERNANCE latched off by the failure window; an operator must
//                     re-enable.
enum class MlState : std::uint8_t {
  kEnabledOk,
  kEnabledDegraded,
  kDisabledConfig,
  kDisabledGovernance
};

// "ENABLED|OK", "ENABLED|DEGRADED", "DISABLED_CONFIG", "DISABLED_GOVERNANCE".
std::string_view to_string(MlState state) noexcept;

// The outcome of one prediction, and the reason a call gave no prediction.
// One enum for the predictor's answers and for the metrics' counters
// (MetricsSnapshot::failures_by_reason is indexed by it). The governance
// failures (counts_as_governance_failure) feed the failure window; the others
// are answers, not faults of a model.
enum class PredictStatus : std::uint8_t {
  kOk,                   // OK: value holds the prediction
  kMlDisabled,           // ML_DISABLED: DISABLED_CONFIG, no signal by choice (blocked)
  kGovernanceDisabled,   // GOVERNANCE_DISABLED: latched off (blocked, no model touched)
  kNoModel,              // NO_MODEL: no model for the symbol or handle (counted, not a failure)
  kFeatureMismatch,      // FEATURE_MISMATCH: the row's fingerprint/names/order differ (failure)
  kWrongFeatureCount,    // WRONG_FEATURE_COUNT: row length != the model's n_features (failure)
  kNonFiniteFeature,     // NON_FINITE_FEATURE: NaN or inf in the row (failure)
  kModelError,           // MODEL_ERROR: the model failed to evaluate or gave non-finite (failure)
  kInsufficientHistory,  // INSUFFICIENT_HISTORY: the row is FeatureRow{} (no row yet; not a
                         // failure)
  kModelRefused,         // MODEL_REFUSED: a model refused at load (failure; never a call's answer)
  kSpanLengthMismatch,   // SPAN_LENGTH_MISMATCH: predict_batch's spans differ in length (caller
                         // error: nothing evaluated, nothing recorded)
};
inline constexpr std::size_t kPredictStatusCount = 11;

// "OK", "ML_DISABLED", "GOVERNANCE_DISABLED", "NO_MODEL", "FEATURE_MISMATCH",
// "WRONG_FEATURE_COUNT", "NON_FINITE_FEATURE", "MODEL_ERROR",
// "INSUFFICIENT_HISTORY", "MODEL_REFUSED", "SPAN_LENGTH_MISMATCH".
std::string_view to_string(PredictStatus status) noexcept;

// True for the statuses that feed the governance failure window: a feature
// mismatch, a wrong count, a non-finite feature, a model error, a refused
// model.
constexpr bool counts_as_governance_failure(PredictStatus status) noexcept {
  switch (status) {
    case PredictStatus::kFeatureMismatch:
    case PredictStatus::kWrongFeatureCount:
    case PredictStatus::kNonFiniteFeature:
    case PredictStatus::kModelError:
    case PredictStatus::kModelRefused:
      return true;
    default:
      return false;
  }
}

}  // namespace mlgov

template <>
struct fmt::formatter<mlgov::MlState> : mlgov::EnumFormatter<mlgov::MlState> {};
template <>
struct fmt::formatter<mlgov::PredictStatus> : mlgov::EnumFormatter<mlgov::PredictStatus> {};
