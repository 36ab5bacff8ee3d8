// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The predictor's states and the reasons a prediction can fail, with their
// exact spellings in logs, heartbeats and metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

// Why a predict() call failed. Each counts as a governance failure except
// kNoModel and kInsufficientHistory, which are conditions of the universe, not
// faults of a model.
enum class FailureReason : std::uint8_t {
  kFeatureMismatch,      // FEATURE_MISMATCH: fingerprint/names/order differ
  kWrongFeatureCount,    // WRONG_FEATURE_COUNT: row length != model's n_features
  kNonFiniteFeature,     // NON_FINITE_FEATURE: NaN or inf in the row
  kModelError,           // MODEL_ERROR: the model failed to evaluate
  kModelRefused,         // MODEL_REFUSED: a model was refused at load (meta mismatch, ...)
  kNoModel,              // NO_MODEL: no model for this symbol (not a governance failure)
  kInsufficientHistory,  // INSUFFICIENT_HISTORY: fewer bars than min_history (not a failure)
};
inline constexpr std::size_t kFailureReasonCount = 7;

// "FEATURE_MISMATCH", "WRONG_FEATURE_COUNT", "NON_FINITE_FEATURE",
// "MODEL_ERROR", "MODEL_REFUSED", "NO_MODEL", "INSUFFICIENT_HISTORY".
std::string_view to_string(FailureReason reason) noexcept;

// True for the reasons that feed the governance failure window.
constexpr bool counts_as_governance_failure(FailureReason reason) noexcept {
  return reason != FailureReason::kNoModel && reason != FailureReason::kInsufficientHistory;
}

}  // namespace mlgov
