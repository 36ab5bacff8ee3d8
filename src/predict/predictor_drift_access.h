// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal, for benchmarks: one predictor's drift recording switched off and
// on, so drift's cost in the cycle is measured on the same models, rows and
// memory layout (two predictors differ in where their trees landed, which
// moves a cycle by more than drift costs).
#pragma once

#include "mlgov/drift.h"
#include "mlgov/governed_predictor.h"

namespace mlgov::internal {

struct PredictorDriftAccess {
  // While false, predictions record no row and prefetch nothing for drift
  // (as with drift.enabled false); true again resumes. Default true.
  static void set_recording(GovernedPredictor& predictor, bool on) noexcept;
  // The predictor's monitor, or nullptr when it watches no drift.
  static DriftMonitor* monitor(GovernedPredictor& predictor) noexcept;
};

}  // namespace mlgov::internal
