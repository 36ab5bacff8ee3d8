// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/ml_state.h"

namespace mlgov {

std::string_view to_string(MlState state) noexcept {
  switch (state) {
    case MlState::kEnabledOk:
      return "ENABLED|OK";
    case MlState::kEnabledDegraded:
      return "ENABLED|DEGRADED";
    case MlState::kDisabledConfig:
      return "DISABLED_CONFIG";
    case MlState::kDisabledGovernance:
      return "DISABLED_GOVERNANCE";
  }
  return "UNKNOWN";
}

std::string_view to_string(PredictStatus status) noexcept {
  switch (status) {
    case PredictStatus::kOk:
      return "OK";
    case PredictStatus::kMlDisabled:
      return "ML_DISABLED";
    case PredictStatus::kGovernanceDisabled:
      return "GOVERNANCE_DISABLED";
    case PredictStatus::kNoModel:
      return "NO_MODEL";
    case PredictStatus::kFeatureMismatch:
      return "FEATURE_MISMATCH";
    case PredictStatus::kWrongFeatureCount:
      return "WRONG_FEATURE_COUNT";
    case PredictStatus::kNonFiniteFeature:
      return "NON_FINITE_FEATURE";
    case PredictStatus::kModelError:
      return "MODEL_ERROR";
    case PredictStatus::kInsufficientHistory:
      return "INSUFFICIENT_HISTORY";
    case PredictStatus::kModelRefused:
      return "MODEL_REFUSED";
    case PredictStatus::kSpanLengthMismatch:
      return "SPAN_LENGTH_MISMATCH";
  }
  return "UNKNOWN";
}

}  // namespace mlgov
