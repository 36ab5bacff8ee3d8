// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// backend: auto. The rule is fixed, not timed at load (a load must not
// depend on how busy the machine is): the AVX-512 evaluator is faster than
// the scalar one on every shape measured (100x4, 300x6, 500x8, one row and
// 225-row batches; `mlgov bench` shows them side by side on the host), and
// both are far faster than XGBoost's C API for one row or a batch.
#include "model/model_backend.h"
#include "model/model_document.h"
#include "model/native_forest.h"
#include "model/vector_forest.h"

namespace mlgov::internal {

AutoBackend load_auto_backend(const ValidatedModel& model, const std::string& source) {
  AutoBackend chosen;
  if (!model.unsupported.empty()) {
    chosen.backend = load_xgboost_backend(model, source);
    chosen.reason =
        "xgboost: the native evaluator does not take this model (" + model.unsupported + ")";
    return chosen;
  }
  std::unique_ptr<NativeForest> forest = NativeForest::build(model, source);
  const std::string why_not = VectorForest::unsupported_reason(*forest);
  if (!why_not.empty()) {
    chosen.reason = "native: native_simd does not evaluate " + why_not;
    chosen.backend = std::move(forest);
  } else if (!VectorForest::cpu_has_avx512()) {
    chosen.reason = "native: this CPU has no AVX-512F for native_simd";
    chosen.backend = std::move(forest);
  } else {
    chosen.reason = "native_simd: trees at most " + std::to_string(VectorForest::kMaxDepth) +
                    " deep and AVX-512F present";
    chosen.backend = VectorForest::build(std::move(forest), source);
  }
  return chosen;
}

}  // namespace mlgov::internal
