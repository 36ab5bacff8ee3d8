// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Shared fixtures for the registry, predictor, concurrency and CLI tests:
// real XGBoost models trained once per test program, model directories laid
// out as `mlgov train` writes them, a log sink that captures every record,
// and feature rows.
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <nlohmann/json.hpp>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/feature_contract.h"
#include "mlgov/feature_schema.h"
#include "mlgov/logging.h"
#include "mlgov/model_meta.h"
#include "test_support.h"
#include "xgboost_test_models.h"

namespace mlgov::testing {

// Captures every record (level and payload). Thread-safe (base_sink's mutex
// serialises sink_it_; records() takes the same lock through its own mutex).
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Record {
    spdlog::level::level_enum level;
    std::string payload;
  };
  std::vector<Record> records() const {
    std::lock_guard<std::mutex> lock(records_mutex_);
    return records_;
  }
  // Payloads parsed as JSON, skipping the ones that are not JSON objects.
  std::vector<nlohmann::json> json_records() const {
    std::vector<nlohmann::json> out;
    for (const auto& r : records()) {
      auto j = nlohmann::json::parse(r.payload, nullptr, false);
      if (j.is_object()) out.push_back(std::move(j));
    }
    return out;
  }
  // JSON records whose "status" equals `status`.
  std::vector<nlohmann::json> with_status(const std::string& status) const {
    std::vector<nlohmann::json> out;
    for (auto& j : json_records()) {
      if (j.value("status", "") == status) out.push_back(std::move(j));
    }
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard<std::mutex> lock(records_mutex_);
    records_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}

 private:
  mutable std::mutex records_mutex_;
  std::vector<Record> records_;
};

// An EventSink handing every record to a spdlog logger (at TRACE) whose one
// sink is `sink`: the records arrive as a host's own logger receives them.
inline std::shared_ptr<EventSink> capture_logger(const std::shared_ptr<CaptureSink>& sink) {
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::trace);
  return std::make_shared<SpdlogEventSink>(std::move(logger));
}

// The shipped contract (28 features).
inline const FeatureContract& ml_v1() {
  static const FeatureContract contract =
      load_feature_contract("ml_v1", source_dir() / "contracts");
  return contract;
}

// Model files trained once per program: small (10 trees, depth 3) but real.
inline std::filesystem::path trained_model(std::size_t n_features) {
  static TempDir dir;
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  const auto sub = dir.path() / ("m" + std::to_string(n_features));
  if (!std::filesystem::exists(sub / "model.json")) {
    TestModelSpec spec;
    spec.n_features = n_features;
    spec.rounds = 10;
    spec.max_depth = 3;
    spec.n_rows = 500;
    train_test_model(sub, spec);
  }
  return sub / "model.json";
}

// A meta that passes check_model_meta_against(ml_v1()).
inline ModelMeta good_meta(const std::string& symbol,
                           const std::string& period_end = "2025-12-31") {
  ModelMeta meta;
  meta.symbol = symbol;
  set_contract(meta, ml_v1());
  meta.trained_at = "2026-01-01T00:00:00Z";
  meta.git_commit = "0000000000000000000000000000000000000000";
  meta.training_data_period = {"2000-01-03", period_end};
  meta.model_file = "model.json";
  meta.xgboost_version = "1.7.4";
  return meta;
}

enum class MetaMode { kGood, kNone };

// Lays out models_dir/<symbol>_v1_<ts>/ with a copy of the 28-feature model
// (or `model_file`) and a meta (good_meta, or `meta` when given). Returns
// the directory.
inline std::filesystem::path install_model(const std::filesystem::path& models_dir,
                                           const std::string& symbol,
                                           const std::string& ts = "20251120_120000",
                                           MetaMode mode = MetaMode::kGood,
                                           const ModelMeta* meta = nullptr,
                                           const std::filesystem::path& model_file = {}) {
  const auto dir = models_dir / (symbol + "_v1_" + ts);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(model_file.empty() ? trained_model(28) : model_file,
                             dir / "model.json", std::filesystem::copy_options::overwrite_existing);
  if (meta != nullptr) {
    save_model_meta(*meta, dir / "model_meta.json");
  } else if (mode == MetaMode::kGood) {
    save_model_meta(good_meta(symbol), dir / "model_meta.json");
  }
  return dir;
}

// A config with ML on and every path inside `root`.
inline Config test_config(const std::filesystem::path& root) {
  Config config;
  config.ml_enabled = true;
  config.contract = "ml_v1";
  config.backend = PredictorBackend::kXgboost;
  config.paths.models_dir = root / "models";
  config.paths.logs_dir = root / "logs";
  config.governance.state_file = root / "state" / "governance_state.json";
  std::filesystem::create_directories(config.paths.models_dir);
  return config;
}

// A row of `schema` holding its own values (finite, inside the training
// range: every feature 0.5).
struct OwnedRow {
  std::shared_ptr<const FeatureSchema> schema;
  std::vector<float> values;
  explicit OwnedRow(std::shared_ptr<const FeatureSchema> s, float fill = 0.5f)
      : schema(std::move(s)), values(schema->size(), fill) {}
  FeatureRow row() const { return {schema.get(), values}; }
};

// A schema named like ml_v1 but with the contract's names edited by `edit`.
template <class Edit>
std::shared_ptr<const FeatureSchema> edited_schema(Edit edit, std::string contract_name = "ml_v1",
                                                   std::string version = "") {
  std::vector<std::string> names = ml_v1().names();
  edit(names);
  return FeatureSchema::create(std::move(contract_name),
                               version.empty() ? ml_v1().version() : std::move(version),
                               std::move(names));
}

// A row missing ml_v1's last feature (27 names, 27 values): a feature mismatch.
inline OwnedRow missing_row() {
  return OwnedRow(edited_schema([](auto& names) { names.pop_back(); }));
}

}  // namespace mlgov::testing
