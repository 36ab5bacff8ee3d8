// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The check pipeline of a prediction, before the model runs: the state gate,
// the "no row yet" marker, then the row against the model it is for (schema
// fingerprint, length, finiteness). Each check answers the PredictStatus the
// predictor returns; the predictor records and describes the failures.
// The hot checks are inline: they run on every prediction, where a call into
// another translation unit would show in the cycle's cost.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "mlgov/feature_schema.h"
#include "mlgov/ml_state.h"

namespace mlgov::internal {

// True when the state refuses every prediction (DISABLED_CONFIG,
// DISABLED_GOVERNANCE).
constexpr bool is_blocked(MlState state) noexcept {
  return state == MlState::kDisabledConfig || state == MlState::kDisabledGovernance;
}

// The answer of a blocked state: kMlDisabled for DISABLED_CONFIG,
// kGovernanceDisabled otherwise. Only for a state where is_blocked() holds.
constexpr PredictStatus blocked_status(MlState state) noexcept {
  return state == MlState::kDisabledConfig ? PredictStatus::kMlDisabled
                                           : PredictStatus::kGovernanceDisabled;
}

// True for FeatureRow{} (no row yet: kInsufficientHistory, not a failure).
constexpr bool is_no_row(const FeatureRow& row) noexcept { return row.is_none(); }

// True when every value is finite. Branch-free: an OR over "exponent bits all
// ones" (NaN or +-inf) on the bit patterns, which the compiler vectorises; a
// failing row is located again only on the failure path (first_non_finite).
inline bool all_finite(std::span<const float> values) noexcept {
  std::uint32_t bad = 0;
  for (const float v : values) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    bad |= static_cast<std::uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

// The checks of a row (not FeatureRow{}) against the model it is for, in the
// documented order: the row's schema has `expected`'s fingerprint
// (kFeatureMismatch, also for a row without a schema), it holds n_features
// values (kWrongFeatureCount), every value is finite (kNonFiniteFeature).
// kOk when the model may evaluate it.
inline PredictStatus check_row(const FeatureRow& row, const FeatureSchema& expected,
                               std::size_t n_features) noexcept {
  if (row.schema == nullptr || !row.schema->same_fingerprint(expected)) [[unlikely]] {
    return PredictStatus::kFeatureMismatch;
  }
  if (row.values.size() != n_features) [[unlikely]] {
    return PredictStatus::kWrongFeatureCount;
  }
  if (!all_finite(row.values)) [[unlikely]] {
    return PredictStatus::kNonFiniteFeature;
  }
  return PredictStatus::kOk;
}

// The index of the first NaN or infinite value, or values.size() when all are
// finite. For the failure path (the message names the feature).
std::size_t first_non_finite(std::span<const float> values) noexcept;

}  // namespace mlgov::internal
