// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelBackend over XGBoost's C API: in-place prediction from a dense float32
// matrix (XGBoosterPredictFromDense) with nthread=1.
//
// Thread-safety: XGBoost documents prediction (including in-place prediction)
// on gbtree/dart boosters as thread-safe since 1.4, as long as nobody trains
// or reconfigures the booster at the same time; the result buffer XGBoost
// returns lives in per-thread storage. This backend never mutates the booster
// after construction, so predict() takes no lock. The array-interface JSON
// is formatted into a thread_local char buffer (no allocation on our side;
// XGBoost itself allocates inside the call).
#include <xgboost/c_api.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "mlgov/errors.h"
#include "model/model_backend.h"
#include "model/model_document.h"
#include "model/xgboost_handles.h"

namespace mlgov::internal {
namespace {

// The prediction config: normal prediction (type 0, transformed), all trees,
// NaN marks a missing value.
constexpr const char* kPredictConfig =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
    R"("strict_shape": false, "cache_id": 0, "missing": NaN})";

class XgboostBackend final : public ModelBackend {
 public:
  XgboostBackend(BoosterPtr booster, std::size_t n_features)
      : booster_(std::move(booster)), n_features_(n_features) {}

  std::string_view name() const noexcept override { return "xgboost"; }
  std::size_t num_features() const noexcept override { return n_features_; }

  bool predict(const float* rows, std::size_t n_rows, float* out) noexcept override {
    if (n_rows == 0) return true;
    if (rows == nullptr || out == nullptr) return false;
    // {"data": [ptr, true], "shape": [n, f], "typestr": "<f4", "version": 3}
    thread_local std::array<char, 192> interface_json;
    const int len = std::snprintf(
        interface_json.data(), interface_json.size(),
        R"({"data": [%)" PRIuPTR R"(, true], "shape": [%zu, %zu], "typestr": "<f4", "version": 3})",
        reinterpret_cast<std::uintptr_t>(rows), n_rows, n_features_);
    if (len <= 0 || static_cast<std::size_t>(len) >= interface_json.size()) return false;

    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(booster_.get(), interface_json.data(), kPredictConfig, nullptr,
                                  &shape, &dim, &result) != 0) {
      return false;
    }
    // One score per row: shape (n) or (n, 1). Anything else (multi-class) is
    // not a single score and is refused rather than misread.
    bst_ulong total = 1;
    for (bst_ulong d = 0; d < dim; ++d) total *= shape[d];
    if (result == nullptr || total != n_rows) return false;
    std::memcpy(out, result, n_rows * sizeof(float));
    return true;
  }

 private:
  BoosterPtr booster_;
  std::size_t n_features_;
};

}  // namespace

std::unique_ptr<ModelBackend> load_xgboost_backend(const ValidatedModel& model,
                                                   const std::string& source) {
  const std::string json = model.xgboost_json();
  BoosterHandle raw = nullptr;
  xgb_check(XGBoosterCreate(nullptr, 0, &raw), source, "XGBoosterCreate");
  BoosterPtr booster(raw);
  xgb_check(XGBoosterLoadModelFromBuffer(booster.get(), json.data(), json.size()), source,
            "loading the XGBoost model");
  xgb_check(XGBoosterSetParam(booster.get(), "nthread", "1"), source,
            "XGBoosterSetParam(nthread=1)");
  bst_ulong n_features = 0;
  xgb_check(XGBoosterGetNumFeature(booster.get(), &n_features), source, "XGBoosterGetNumFeature");
  if (n_features == 0) throw ModelError(source + ": model reports 0 features");
  return std::make_unique<XgboostBackend>(std::move(booster), static_cast<std::size_t>(n_features));
}

std::unique_ptr<ModelBackend> load_xgboost_backend(const std::filesystem::path& model_file) {
  return load_xgboost_backend(read_and_validate_model(model_file, ModelLimits{}),
                              model_file.string());
}

}  // namespace mlgov::internal
