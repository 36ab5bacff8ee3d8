// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// XGBoost training (offline library, mlgov::offline): trains a gbtree booster through the C API
// from row-major float32 matrices and writes model.json. Used by the tests (real models, no mock
// booster) and by `mlgov train`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mlgov::offline {

// A training or validation set: n_rows x n_features floats, row-major, NaN =
// missing, and one label per row. The spans must outlive the call.
struct DenseDataset {
  std::span<const float> features;
  std::span<const float> labels;
  std::size_t n_features = 0;

  std::size_t n_rows() const noexcept { return n_features == 0 ? 0 : features.size() / n_features; }
};

// What to train. `params` go to XGBoosterSetParam in order (a key may repeat,
// e.g. several "eval_metric"). When absent, "nthread" defaults to "1" and
// "seed" to "0" so that the same inputs give a byte-identical model.json.
// When "eval_metric" is absent and a validation set is given, the metrics
// are "logloss" and "auc" for binary:logistic and "rmse" otherwise.
struct TrainSpec {
  std::vector<std::pair<std::string, std::string>> params;
  int rounds = 100;
};

// The metrics XGBoost reported on the validation set after the last round,
// by metric name ("logloss", "auc", "rmse", ...). Empty without validation.
struct TrainResult {
  std::map<std::string, double> valid_metrics;
  // XGBoost's raw evaluation line for the last round ("" without validation).
  std::string last_eval_line;

  std::optional<double> metric(const std::string& name) const;
};

// Trains `spec.rounds` boosting rounds on `train` (evaluating on `valid` if
// given) and saves the booster to `model_file` (JSON when the name ends in
// .json, UBJSON for .ubj). Throws ModelError naming the step and XGBoost's
// message on any failure (bad shapes, unknown parameter value, unwritable
// file). Deterministic for identical inputs and parameters with nthread=1.
// Thread-safety: independent calls may run concurrently.
TrainResult train_xgboost_model(const DenseDataset& train, const DenseDataset* valid,
                                const TrainSpec& spec, const std::filesystem::path& model_file);

}  // namespace mlgov::offline
