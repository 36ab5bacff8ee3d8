// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/offline/xgboost_trainer.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "mlgov/errors.h"
#include "model/xgboost_handles.h"

namespace mlgov::offline {
namespace {

using internal::BoosterPtr;
using internal::DMatrixPtr;
using internal::xgb_check;

constexpr std::string_view kContext = "xgboost training";

DMatrixPtr make_dmatrix(const DenseDataset& data, std::string_view which) {
  const std::string ctx = std::string(kContext) + " (" + std::string(which) + " set)";
  if (data.n_features == 0) throw ModelError(ctx + ": n_features is 0");
  if (data.features.size() % data.n_features != 0) {
    throw ModelError(
        ctx + ": " + std::to_string(data.features.size()) +
        " feature values are not a multiple of n_features=" + std::to_string(data.n_features));
  }
  const std::size_t rows = data.n_rows();
  if (rows == 0) throw ModelError(ctx + ": no rows");
  if (data.labels.size() != rows) {
    throw ModelError(ctx + ": " + std::to_string(data.labels.size()) + " labels for " +
                     std::to_string(rows) + " rows");
  }
  DMatrixHandle raw = nullptr;
  xgb_check(XGDMatrixCreateFromMat(data.features.data(), static_cast<bst_ulong>(rows),
                                   static_cast<bst_ulong>(data.n_features),
                                   std::numeric_limits<float>::quiet_NaN(), &raw),
            ctx, "XGDMatrixCreateFromMat");
  DMatrixPtr matrix(raw);
  xgb_check(XGDMatrixSetFloatInfo(matrix.get(), "label", data.labels.data(),
                                  static_cast<bst_ulong>(rows)),
            ctx, "XGDMatrixSetFloatInfo(label)");
  return matrix;
}

bool has_param(const TrainSpec& spec, std::string_view key) {
  return std::any_of(spec.params.begin(), spec.params.end(),
                     [&](const auto& kv) { return kv.first == key; });
}

std::string param_or(const TrainSpec& spec, std::string_view key, std::string fallback) {
  for (const auto& [k, v] : spec.params) {
    if (k == key) fallback = v;  // the last setting wins, as in XGBoost
  }
  return fallback;
}

// Parses "[41]\tvalid-logloss:0.52\tvalid-auc:0.81" into {logloss, auc}.
std::map<std::string, double> parse_eval_line(const std::string& line) {
  std::map<std::string, double> out;
  std::istringstream in(line);
  std::string token;
  while (std::getline(in, token, '\t')) {
    const auto dash = token.find('-');
    const auto colon = token.rfind(':');
    if (dash == std::string::npos || colon == std::string::npos || colon < dash) continue;
    const std::string name = token.substr(dash + 1, colon - dash - 1);
    const std::string value = token.substr(colon + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end != value.c_str()) out[name] = v;
  }
  return out;
}

}  // namespace

std::optional<double> TrainResult::metric(const std::string& name) const {
  const auto it = valid_metrics.find(name);
  if (it == valid_metrics.end()) return std::nullopt;
  return it->second;
}

TrainResult train_xgboost_model(const DenseDataset& train, const DenseDataset* valid,
                                const TrainSpec& spec, const std::filesystem::path& model_file) {
  const std::string ctx = std::string(kContext) + " -> " + model_file.string();
  if (spec.rounds < 1) {
    throw ModelError(ctx + ": rounds must be >= 1, got " + std::to_string(spec.rounds));
  }
  if (valid != nullptr && valid->n_features != train.n_features) {
    throw ModelError(ctx + ": validation set has " + std::to_string(valid->n_features) +
                     " features, training set " + std::to_string(train.n_features));
  }
  DMatrixPtr dtrain = make_dmatrix(train, "training");
  DMatrixPtr dvalid;
  if (valid != nullptr) dvalid = make_dmatrix(*valid, "validation");

  DMatrixHandle cache[2] = {dtrain.get(), dvalid.get()};
  BoosterHandle raw = nullptr;
  xgb_check(XGBoosterCreate(cache, dvalid ? 2 : 1, &raw), ctx, "XGBoosterCreate");
  BoosterPtr booster(raw);

  auto set = [&](const std::string& key, const std::string& value) {
    xgb_check(XGBoosterSetParam(booster.get(), key.c_str(), value.c_str()), ctx,
              "XGBoosterSetParam(" + key + "=" + value + ")");
  };
  if (!has_param(spec, "nthread")) set("nthread", "1");
  if (!has_param(spec, "seed")) set("seed", "0");
  for (const auto& [key, value] : spec.params) set(key, value);
  if (dvalid && !has_param(spec, "eval_metric")) {
    if (param_or(spec, "objective", "reg:squarederror") == "binary:logistic") {
      set("eval_metric", "logloss");
      set("eval_metric", "auc");
    } else {
      set("eval_metric", "rmse");
    }
  }

  TrainResult result;
  for (int iter = 0; iter < spec.rounds; ++iter) {
    xgb_check(XGBoosterUpdateOneIter(booster.get(), iter, dtrain.get()), ctx,
              "XGBoosterUpdateOneIter(" + std::to_string(iter) + ")");
  }
  if (dvalid) {
    DMatrixHandle eval_sets[1] = {dvalid.get()};
    const char* eval_names[1] = {"valid"};
    const char* eval_text = nullptr;
    xgb_check(
        XGBoosterEvalOneIter(booster.get(), spec.rounds - 1, eval_sets, eval_names, 1, &eval_text),
        ctx, "XGBoosterEvalOneIter");
    result.last_eval_line = eval_text == nullptr ? "" : eval_text;
    result.valid_metrics = parse_eval_line(result.last_eval_line);
  }
  if (model_file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(model_file.parent_path(), ec);
  }
  xgb_check(XGBoosterSaveModel(booster.get(), model_file.string().c_str()), ctx,
            "XGBoosterSaveModel");
  return result;
}

}  // namespace mlgov::offline
