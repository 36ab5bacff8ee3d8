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

std::string_view to_string(FailureReason reason) noexcept {
  switch (reason) {
    case FailureReason::kFeatureMismatch:
      return "FEATURE_MISMATCH";
    case FailureReason::kWrongFeatureCount:
      return "WRONG_FEATURE_COUNT";
    case FailureReason::kNonFiniteFeature:
      return "NON_FINITE_FEATURE";
    case FailureReason::kModelError:
      return "MODEL_ERROR";
    case FailureReason::kModelRefused:
      return "MODEL_REFUSED";
    case FailureReason::kNoModel:
      return "NO_MODEL";
    case FailureReason::kInsufficientHistory:
      return "INSUFFICIENT_HISTORY";
  }
  return "UNKNOWN";
}

}  // namespace mlgov
