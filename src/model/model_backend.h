// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelBackend (internal): what evaluates a loaded tree model. Two
// implementations: XGBoost's C API (xgboost_backend.cpp), the native
// evaluator (native_forest.cpp: scalar, trees walked node by node) and its
// AVX-512 form (model/vector_forest.cpp: 16 rows or 16 trees per
// instruction). The predictor owns one per symbol.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mlgov::internal {

// Thread-safety: predict() may be called from several threads at once on the
// same backend (implementations keep per-call or per-thread scratch).
class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  // "native", "native_simd" or "xgboost".
  virtual std::string_view name() const noexcept = 0;
  // The number of features the model was trained on.
  virtual std::size_t num_features() const noexcept = 0;
  // Scores `n_rows` rows (row-major, num_features() floats each, NaN =
  // missing) into out[0..n_rows), after the objective's transform (a
  // probability for binary:logistic). Returns false on failure and leaves
  // `out` unspecified. Never throws; allocates nothing in steady state
  // (n_rows no larger than on earlier calls).
  virtual bool predict(const float* rows, std::size_t n_rows, float* out) noexcept = 0;
};

struct ValidatedModel;  // model_document.h

// XGBoost C API backend (XGBoosterPredictFromDense, nthread=1), loaded from
// the validated document written back as JSON text
// (XGBoosterLoadModelFromBuffer): XGBoost never reads a file itself, and
// never sees a structure validate_model_document did not check. Throws
// ModelError "<source>: ..." with XGBoost's message when it refuses the model.
std::unique_ptr<ModelBackend> load_xgboost_backend(const ValidatedModel& model,
                                                   const std::string& source);
// Reads (read_regular_file), validates and loads `model_file` (model.json, or
// model.ubj as UBJSON) with the default ModelLimits. Throws ModelError (or
// InvalidModelError) naming the file.
std::unique_ptr<ModelBackend> load_xgboost_backend(const std::filesystem::path& model_file);

// Native backend from a validated model. Throws UnsupportedModelError naming
// what the native evaluator does not evaluate (categorical splits,
// multi-class, dart, gblinear, an objective other than binary:logistic /
// reg:squarederror) so the caller can fall back to load_xgboost_backend.
std::unique_ptr<ModelBackend> load_native_backend(const ValidatedModel& model,
                                                  const std::string& source);
// Reads, validates and builds `model_file` with the default ModelLimits.
std::unique_ptr<ModelBackend> load_native_backend(const std::filesystem::path& model_file);

// The native evaluator's AVX-512 form (VectorForest, same results bit for
// bit). Throws UnsupportedModelError as load_native_backend does, and also
// for trees deeper than 8. On a CPU without AVX-512F it evaluates with the
// scalar native evaluator (so it is selectable everywhere).
std::unique_ptr<ModelBackend> load_native_simd_backend(const ValidatedModel& model,
                                                       const std::string& source);

// What `backend: auto` loads, and why (one sentence for `mlgov bench` and
// the logs).
struct AutoBackend {
  std::unique_ptr<ModelBackend> backend;
  std::string reason;
};
// backend: auto. native_simd when the native evaluator takes the model, its
// trees are at most 8 deep and this CPU has AVX-512F (measured faster than
// native on every shape benchmarked: see README, performance); else native
// when the native evaluator takes the model; else XGBoost. Throws what the
// chosen loader throws.
AutoBackend load_auto_backend(const ValidatedModel& model, const std::string& source);

}  // namespace mlgov::internal
