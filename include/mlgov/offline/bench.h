// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The hot-path report of `mlgov bench`: every tree evaluator side by side
// (native_simd, native, XGBoost), what `backend: auto` picks and why, and a
// whole 225-symbol governed cycle with the governance share of it, measured
// on this machine with models trained on the spot.
#pragma once

#include <filesystem>

namespace mlgov::offline {

// What run_bench measures, and how long.
struct BenchOptions {
  bool quick = false;                   // fewer samples: a rough figure in seconds
  std::filesystem::path contracts_dir;  // where feature_contract_ml_v1.json lives
};

// Trains small models in a temporary directory, measures, and prints the
// tables to stdout. Returns false when a prediction failed (the figures are
// then not valid). Throws mlgov::Error when the contract cannot be loaded.
// Threading: uses the calling thread only; run it on a quiet machine.
bool run_bench(const BenchOptions& options);

}  // namespace mlgov::offline
