// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// HotPathFixture (internal, header-only): a complete live set-up for
// measuring the per-cycle hot path exactly as a host engine runs it: a
// synthetic universe streamed one date per cycle through UniverseStream, and
// every symbol's row scored by a GovernedPredictor over real XGBoost models
// (one trained model copied into each symbol's directory, with its meta).
// The predictions go by ModelHandle (resolved once, in the constructor), as a
// host should run them. With HotPathOptions::tiny_model, a second predictor
// serves a one-tree, depth-1 model to the same symbols: the evaluation then
// costs next to nothing, so governed minus bare on it is the governance cost
// per call, independent of the model's size.
// Used by bench/hot_path_bench.cpp, `mlgov bench` and the zero-allocation
// test, so all three measure the same thing.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlgov/config.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/logging.h"
#include "mlgov/model_meta.h"
#include "mlgov/offline/synthetic_market.h"
#include "mlgov/offline/training.h"
#include "mlgov/offline/xgboost_trainer.h"
#include "model/model_backend.h"
#include "predict/predictor_drift_access.h"

namespace mlgov::internal {

// A steady-clock duration in microseconds, as every hot-path figure is given.
inline double micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

struct HotPathOptions {
  int symbols = 225;
  int years = 3;  // dates available: 252 * years (253 are warm-up)
  int trees = 300;
  int depth = 6;
  PredictorBackend backend = PredictorBackend::kNative;
  std::filesystem::path contracts_dir;  // where feature_contract_ml_v1.json is
  std::uint64_t seed = 7;
  bool tiny_model = false;  // also build tiny_predictor() (1 tree, depth 1)
  // The metas carry feature_stats (of the training frame), so predictor()
  // watches drift (the config's defaults); set_drift_recording(false) stops
  // its recording, for the paired drift cost on the same models.
  bool drift = false;
};

// Trains one binary:logistic model on the universe's own features (label:
// the 5-bar forward return is positive) and writes it to `model_file`.
inline void train_fixture_model(const FeatureFrame& frame, int trees, int depth,
                                const std::filesystem::path& model_file) {
  const std::size_t cols = frame.cols();
  const auto ret_5d = *frame.column_index("ret_5d");
  std::vector<float> x;
  std::vector<float> y;
  // Rows are date-major; a symbol's row 5 dates later is 5 * n_symbols rows on.
  std::size_t n_symbols = 1;
  while (n_symbols < frame.rows() && frame.times[n_symbols] == frame.times[0]) ++n_symbols;
  for (std::size_t i = 0; i + 5 * n_symbols < frame.rows(); ++i) {
    const auto row = frame.row_values(i);
    x.insert(x.end(), row.begin(), row.end());
    y.push_back(frame.row_values(i + 5 * n_symbols)[ret_5d] > 0 ? 1.0f : 0.0f);
  }
  offline::TrainSpec spec;
  spec.rounds = trees;
  spec.params = {{"objective", "binary:logistic"},
                 {"max_depth", std::to_string(depth)},
                 {"eta", "0.05"},
                 {"subsample", "0.8"},
                 {"colsample_bytree", "0.8"},
                 {"tree_method", "hist"},
                 {"seed", "42"},
                 {"nthread", "2"}};
  offline::train_xgboost_model({x, y, cols}, nullptr, spec, model_file);
}

// The median of paired differences (governed - bare) measured back to back
// with the order alternating. Whichever runs first after the feature update
// finds colder caches, so the differences form two clusters by order, and the
// median of the mix would land on the edge of one of them; the median of each
// order, averaged, cancels the order effect (and slow drift cancels within
// each pair).
class OrderBalancedMedian {
 public:
  // `governed_first`: the order of this pair.
  void add(double difference, bool governed_first) {
    (governed_first ? governed_first_ : bare_first_).push_back(difference);
  }
  double governed_first() const { return median(governed_first_); }
  double bare_first() const { return median(bare_first_); }
  // The mean of the two orders' medians (one order's alone when the other
  // has no sample; 0 when neither has).
  double value() const {
    if (governed_first_.empty()) return bare_first();
    if (bare_first_.empty()) return governed_first();
    return 0.5 * (governed_first() + bare_first());
  }

 private:
  static double median(std::vector<double> v) {
    if (v.empty()) return 0;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
  }
  std::vector<double> governed_first_;
  std::vector<double> bare_first_;
};

class HotPathFixture {
 public:
  explicit HotPathFixture(const HotPathOptions& options) : options_(options) {
    std::random_device rd;
    root_ = std::filesystem::temp_directory_path() /
            fmt::format("mlgov-hotpath-{}-{}", ::getpid(), rd() & 0xFFFFFF);
    std::filesystem::create_directories(root_ / "models");

    SyntheticMarketOptions market_options;
    market_options.symbols = options.symbols;
    market_options.years = options.years;
    market_options.seed = options.seed;
    market_ = generate_synthetic_market(market_options);

    contract_ =
        std::make_unique<FeatureContract>(load_feature_contract("ml_v1", options.contracts_dir));
    computer_ = std::make_unique<FeatureComputer>(*contract_);

    // One model, trained on the first 300 dates x up to 20 symbols, copied to
    // every symbol with a meta that matches the contract.
    {
      std::vector<BarSeries> sample(
          market_.symbols.begin(),
          market_.symbols.begin() + std::min<std::size_t>(20, market_.symbols.size()));
      for (auto& s : sample) {
        if (s.bars.size() > 600) s.bars.resize(600);
      }
      BarSeries bench = market_.benchmark;
      if (bench.bars.size() > 600) bench.bars.resize(600);
      const FeatureFrame frame = computer_->compute_universe(sample, bench, market_.sectors);
      train_fixture_model(frame, options.trees, options.depth, root_ / "model.json");
      if (options.tiny_model) train_fixture_model(frame, 1, 1, root_ / "tiny_model.json");
      if (options.drift) {
        std::vector<float> values;
        for (std::size_t i = 0; i < frame.rows(); ++i) {
          const auto row = frame.row_values(i);
          values.insert(values.end(), row.begin(), row.end());
        }
        feature_stats_ = offline::feature_statistics(values, frame.rows(), contract_->names());
      }
    }
    ModelMeta meta;
    meta.feature_stats = feature_stats_;
    set_contract(meta, *contract_);
    meta.trained_at = "2026-01-01T00:00:00Z";
    meta.git_commit = "hot-path-fixture";
    meta.training_data_period = {"2010-01-04", "2011-12-30"};
    meta.xgboost_version = "1.7.4";
    const auto deploy = [&](const std::filesystem::path& model, const std::filesystem::path& dir) {
      for (const auto& series : market_.symbols) {
        const auto sub = dir / (series.symbol + "_v1_20260101_000000");
        std::filesystem::create_directories(sub);
        std::filesystem::copy_file(model, sub / "model.json");
        meta.symbol = series.symbol;
        save_model_meta(meta, sub / "model_meta.json");
      }
    };
    deploy(root_ / "model.json", root_ / "models");
    for (const auto& series : market_.symbols) symbols_.push_back(series.symbol);

    config_.ml_enabled = true;
    config_.backend = options.backend;
    config_.paths.models_dir = root_ / "models";
    config_.paths.contracts_dir = options.contracts_dir;
    config_.governance.state_file = root_ / "governance_state.json";
    predictor_ = std::make_unique<GovernedPredictor>(config_, *contract_, quiet());
    // Resolved once: the per-cycle calls never hash a symbol.
    for (const auto& symbol : symbols_) handles_.push_back(predictor_->resolve(symbol));

    if (options.tiny_model) {
      deploy(root_ / "tiny_model.json", root_ / "tiny_models");
      Config tiny = config_;
      tiny.paths.models_dir = root_ / "tiny_models";
      tiny.governance.state_file = root_ / "tiny_governance_state.json";
      tiny_predictor_ = std::make_unique<GovernedPredictor>(tiny, *contract_, quiet());
      for (const auto& symbol : symbols_) tiny_handles_.push_back(tiny_predictor_->resolve(symbol));
    }

    universe_ = std::make_unique<UniverseStream>(*computer_, symbols_, market_.sectors,
                                                 market_.benchmark.symbol);
    bar_ptrs_.resize(symbols_.size());
    rows_.resize(symbols_.size());
    results_.resize(symbols_.size());
    bare_out_.resize(symbols_.size());
  }

  ~HotPathFixture() {
    predictor_.reset();
    tiny_predictor_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  HotPathFixture(const HotPathFixture&) = delete;
  HotPathFixture& operator=(const HotPathFixture&) = delete;

  // Dates left to stream.
  std::size_t dates_left() const noexcept { return market_.benchmark.bars.size() - next_date_; }

  // Streams dates until every symbol has a feature row (the warm-up).
  void warm_up() {
    while (next_date_ < static_cast<std::size_t>(computer_->min_history())) step_features();
  }

  // The feature half of a cycle: one bar per symbol through the universe
  // stream. Returns false when the data ran out. No allocation.
  bool step_features() noexcept {
    if (next_date_ >= market_.benchmark.bars.size()) return false;
    for (std::size_t i = 0; i < bar_ptrs_.size(); ++i) {
      bar_ptrs_[i] = &market_.symbols[i].bars[next_date_];
    }
    universe_->try_step(market_.benchmark.bars[next_date_], bar_ptrs_);
    for (std::size_t i = 0; i < rows_.size(); ++i) rows_[i] = universe_->row(i);
    ++next_date_;
    return true;
  }

  // The prediction half: every symbol's row through the governed predictor,
  // by handle (one batch). Returns the number of kOk results. No allocation
  // on the success path.
  std::size_t predict_all() noexcept {
    return predictor_->predict_batch(handles_, rows_, results_);
  }

  // Switches predictor()'s drift recording (HotPathOptions::drift): off, a
  // batch records nothing, as with drift.enabled false.
  void set_drift_recording(bool on) noexcept {
    internal::PredictorDriftAccess::set_recording(*predictor_, on);
  }
  // predictor()'s drift monitor (nullptr without HotPathOptions::drift).
  DriftMonitor* drift_monitor() noexcept {
    return internal::PredictorDriftAccess::monitor(*predictor_);
  }

  // The same through try_predict(symbol, row), the convenience over
  // resolve() (a hash lookup per row).
  std::size_t predict_all_by_symbol() noexcept {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      results_[i] = predictor_->try_predict(symbols_[i], rows_[i]);
      ok += results_[i].ok() ? 1 : 0;
    }
    return ok;
  }

  // A whole cycle. Returns the number of kOk predictions.
  std::size_t cycle() noexcept {
    if (!step_features()) return 0;
    return predict_all();
  }

  // Rewinds the data to the start (new streams; allocates).
  void rewind() {
    universe_ = std::make_unique<UniverseStream>(*computer_, symbols_, market_.sectors,
                                                 market_.benchmark.symbol);
    next_date_ = 0;
  }

  // A fresh scratch state file is expected here: keep the predictor's
  // "no governance state" start-up warning off the benchmark's output.
  static PredictorOptions quiet() {
    PredictorOptions options;
    options.logger = make_null_logger();
    return options;
  }

  GovernedPredictor& predictor() noexcept { return *predictor_; }
  // The evaluators `predictor` itself calls, one per symbol in symbol order
  // (the very instances: the registry shares one between byte-identical
  // model files), for measuring the bare evaluation against the governed one
  // with nothing else differing, not even the model's addresses.
  std::vector<ModelBackend*> bare_backends(const GovernedPredictor& predictor) const {
    std::vector<ModelBackend*> out;
    for (const auto& symbol : symbols_) {
      const LoadedModel* model = predictor.registry().find(symbol);
      if (model == nullptr) throw std::logic_error("HotPathFixture: no model for " + symbol);
      out.push_back(model->backend.get());
    }
    return out;
  }
  // The current rows through `backends` (from bare_backends), no governance.
  void run_bare(const std::vector<ModelBackend*>& backends) noexcept {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      backends[i]->predict(rows_[i].values.data(), 1, &bare_out_[i]);
    }
  }

  // One cycle of the paired governance measurement: the features, then the
  // governed predictions and the same rows through `bare` (bare_backends of
  // predictor()), back to back in the order given. Times in microseconds.
  struct PairedCycle {
    double features_us = 0;
    double governed_us = 0;
    double bare_us = 0;
    std::size_t ok = 0;  // kOk governed predictions
  };
  PairedCycle paired_cycle(const std::vector<ModelBackend*>& bare, bool governed_first) noexcept {
    using Clock = std::chrono::steady_clock;
    PairedCycle c;
    const auto t0 = Clock::now();
    step_features();
    const auto t1 = Clock::now();
    if (governed_first) {
      c.ok = predict_all();
      const auto t2 = Clock::now();
      run_bare(bare);
      c.governed_us = micros(t2 - t1);
      c.bare_us = micros(Clock::now() - t2);
    } else {
      run_bare(bare);
      const auto t2 = Clock::now();
      c.ok = predict_all();
      c.bare_us = micros(t2 - t1);
      c.governed_us = micros(Clock::now() - t2);
    }
    c.features_us = micros(t1 - t0);
    return c;
  }

  const std::vector<ModelHandle>& handles() const noexcept { return handles_; }
  // Only with HotPathOptions::tiny_model.
  GovernedPredictor& tiny_predictor() noexcept { return *tiny_predictor_; }
  const std::vector<ModelHandle>& tiny_handles() const noexcept { return tiny_handles_; }
  std::filesystem::path tiny_model_file() const { return root_ / "tiny_model.json"; }
  const std::vector<FeatureRow>& rows() const noexcept { return rows_; }
  const std::vector<PredictResult>& results() const noexcept { return results_; }
  const std::vector<std::string>& symbols() const noexcept { return symbols_; }
  std::filesystem::path model_file() const { return root_ / "model.json"; }
  const FeatureContract& contract() const noexcept { return *contract_; }

 private:
  HotPathOptions options_;
  std::filesystem::path root_;
  SyntheticMarket market_;
  std::unique_ptr<FeatureContract> contract_;
  std::unique_ptr<FeatureComputer> computer_;
  Config config_;
  std::unique_ptr<GovernedPredictor> predictor_;
  std::unique_ptr<GovernedPredictor> tiny_predictor_;
  nlohmann::json feature_stats_ = nlohmann::json::object();  // with options.drift
  std::unique_ptr<UniverseStream> universe_;
  std::vector<std::string> symbols_;
  std::vector<ModelHandle> handles_;
  std::vector<ModelHandle> tiny_handles_;
  std::vector<const Bar*> bar_ptrs_;
  std::vector<FeatureRow> rows_;
  std::vector<PredictResult> results_;
  std::vector<float> bare_out_;  // run_bare's outputs
  std::size_t next_date_ = 0;
};

}  // namespace mlgov::internal
