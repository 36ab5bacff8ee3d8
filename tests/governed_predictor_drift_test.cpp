// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Drift through a real GovernedPredictor: real XGBoost models whose
// model_meta.json carries the feature_stats `mlgov train` computes
// (offline::feature_statistics) over training rows drawn uniform in [0, 1);
// live rows from the same distribution, then with one feature's unit wrong
// (x 100: nearly every value above the training max).
#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlgov/governed_predictor.h"
#include "mlgov/offline/training.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using testing::capture_logger;
using testing::CaptureSink;
using testing::install_model;
using testing::MetaMode;
using testing::ml_v1;
using testing::TempDir;

constexpr std::size_t kSymbols = 20;
constexpr std::size_t kFeatures = 28;

// Training stats of uniform [0, 1) columns, as `mlgov train` writes them.
nlohmann::json uniform_training_stats() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const std::size_t rows = 3000;
  std::vector<float> values(rows * kFeatures);
  for (float& v : values) v = uniform(rng);
  return offline::feature_statistics(values, rows, ml_v1().names());
}

class StateLog final : public StateListener {
 public:
  void on_state_change(MlState, MlState new_state, std::string_view) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    states_.push_back(new_state);
  }
  std::vector<MlState> states() const {
    std::lock_guard<std::mutex> lock(mu_);
    return states_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<MlState> states_;
};

// A host whose listener takes a heartbeat on another thread when the state
// changes (and waits for it, within a deadlock bound): it must complete while
// the heartbeat that changed the state is still telling the listener.
class HeartbeatOnChange final : public StateListener {
 public:
  GovernedPredictor* predictor = nullptr;
  std::vector<bool> completed;  // one per change: the inner heartbeat completed

  void on_state_change(MlState, MlState, std::string_view) noexcept override {
    pending_.push_back(std::async(std::launch::async, [this] {
      predictor->heartbeat(std::chrono::seconds(60), 1, 1);
      (void)predictor->metrics();
      (void)predictor->drift();
    }));
    // A deadlock detector, not a timing: blocked, it never completes.
    completed.push_back(pending_.back().wait_for(std::chrono::seconds(30)) ==
                        std::future_status::ready);
  }

  // Before the predictor goes: every heartbeat taken has returned.
  void wait_for_the_heartbeats() {
    for (auto& f : pending_) f.wait();
  }

 private:
  std::vector<std::future<void>> pending_;
};

class PredictorDrift : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::test_config(root_.path());
    // A window of 10 cycles of 20 symbols, judged once full.
    config_.drift.window_rows = 200;
    config_.drift.min_rows = 200;
    config_.drift.clear_evaluations = 2;
    const nlohmann::json stats = uniform_training_stats();
    for (std::size_t s = 0; s < kSymbols; ++s) {
      const std::string symbol = fmt::format("S{:02}", s);
      ModelMeta meta = testing::good_meta(symbol);
      meta.feature_stats = stats;
      install_model(config_.paths.models_dir, symbol, "20251120_120000", MetaMode::kGood, &meta);
      symbols_.push_back(symbol);
    }
  }

  std::unique_ptr<GovernedPredictor> make_predictor() {
    PredictorOptions options;
    options.logger = capture_logger(sink_);
    options.listener = &listener_;
    auto p = std::make_unique<GovernedPredictor>(config_, ml_v1(), options);
    for (const std::string& symbol : symbols_) handles_.push_back(p->resolve(symbol));
    return p;
  }

  // `cycles` cycles through predict_batch, every row uniform [0, 1) but
  // feature `bad` (an index, or -1) multiplied by `factor`.
  void run_cycles(GovernedPredictor& p, int cycles, int bad = -1, float factor = 1.0f) {
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::vector<std::vector<float>> values(handles_.size(), std::vector<float>(kFeatures));
    std::vector<FeatureRow> rows(handles_.size());
    std::vector<PredictResult> out(handles_.size());
    for (int c = 0; c < cycles; ++c) {
      for (std::size_t i = 0; i < handles_.size(); ++i) {
        for (float& v : values[i]) v = uniform(rng_);
        if (bad >= 0) values[i][static_cast<std::size_t>(bad)] *= factor;
        rows[i] = {ml_v1().schema().get(), values[i]};
      }
      ASSERT_EQ(p.predict_batch(handles_, rows, out), handles_.size());
    }
  }

  std::string heartbeat(GovernedPredictor& p) {
    return p.heartbeat(std::chrono::seconds(60), handles_.size(), 1);
  }

  TempDir root_;
  Config config_;
  std::vector<std::string> symbols_;
  std::vector<ModelHandle> handles_;
  std::shared_ptr<CaptureSink> sink_ = std::make_shared<CaptureSink>();
  StateLog listener_;
  std::mt19937 rng_{2024};
};

TEST_F(PredictorDrift, RowsLikeTheTrainingRowsRaiseNothing) {
  auto p = make_predictor();
  run_cycles(*p, 10);
  heartbeat(*p);
  EXPECT_TRUE(sink_->with_status("DRIFT_WARNING").empty());
  EXPECT_TRUE(sink_->with_status("DRIFT_ALERT").empty());
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  const DriftSnapshot snap = p->drift();
  EXPECT_EQ(snap.window_rows, 200u);
  ASSERT_EQ(snap.features.size(), kFeatures);
  // 200 uniform rows over 10 bins: sampling noise only (9/200 on average).
  EXPECT_LT(snap.worst_psi, 0.25);
  // Outside the 3000 training rows' [min, max] only by sampling (about 1 in
  // 1500 rows).
  for (const FeatureDrift& d : snap.features) EXPECT_LT(d.out_of_range_fraction, 0.05);
}

TEST_F(PredictorDrift, AUnitBugAlertsOnThatFeatureAndDegradesUntilItClears) {
  auto p = make_predictor();
  run_cycles(*p, 10);
  heartbeat(*p);
  // ret_1d (feature 0) in percent: 99% of the values above the training max.
  run_cycles(*p, 10, 0, 100.0f);
  heartbeat(*p);
  const auto alerts = sink_->with_status("DRIFT_ALERT");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["details"]["feature"], "ret_1d");
  EXPECT_EQ(alerts[0]["reason"], "OUT_OF_RANGE");
  EXPECT_GT(alerts[0]["details"]["out_of_range_fraction"].get<double>(), 0.9);
  EXPECT_EQ(alerts[0]["details"]["shares"].size(), 10u);
  EXPECT_FALSE(alerts[0]["details"]["top_symbols"].empty());
  EXPECT_EQ(alerts[0]["ml_state"], "ENABLED|DEGRADED");
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  EXPECT_EQ(listener_.states(), std::vector<MlState>{MlState::kEnabledDegraded});
  EXPECT_EQ(p->metrics().drift_features_alert, 1u);

  // Fixed: the window refills with good rows; the first calm heartbeat
  // holds the alert (clear_evaluations 2), the second clears it.
  run_cycles(*p, 10);
  heartbeat(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  EXPECT_TRUE(sink_->with_status("DRIFT_ALERT_CLEARED").empty());
  heartbeat(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  const auto cleared = sink_->with_status("DRIFT_ALERT_CLEARED");
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0]["details"]["feature"], "ret_1d");
  EXPECT_EQ(listener_.states(),
            (std::vector<MlState>{MlState::kEnabledDegraded, MlState::kEnabledOk}));
}

TEST_F(PredictorDrift, TheHeartbeatRecordCarriesTheWorstFeatureAndTheCounts) {
  auto p = make_predictor();
  run_cycles(*p, 10, 0, 100.0f);
  heartbeat(*p);
  std::vector<nlohmann::json> beats;
  for (const auto& j : sink_->json_records()) {
    if (j.value("component", "") == "HEARTBEAT") beats.push_back(j);
  }
  ASSERT_EQ(beats.size(), 1u);
  EXPECT_EQ(beats[0]["drift_worst_feature"], "ret_1d");
  // Nearly every row above the max: PSI of the few in range >= 1.
  EXPECT_GT(beats[0]["drift_worst_psi"].get<double>(), 1.0);
  EXPECT_EQ(beats[0]["drift_features_alert"], 1);
  EXPECT_EQ(beats[0]["drift_features_warning"], 0);
  EXPECT_EQ(beats[0]["ml_state"], "ENABLED|DEGRADED");
}

TEST_F(PredictorDrift, AlertCountsAsFailureLatchesAPersistentUnitBug) {
  config_.drift.alert_counts_as_failure = true;  // max_failures 3
  auto p = make_predictor();
  run_cycles(*p, 10, 0, 100.0f);
  heartbeat(*p);
  heartbeat(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  heartbeat(*p);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  const auto latched = sink_->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latched.size(), 1u);
  EXPECT_EQ(latched[0]["reason"], "DRIFT_ALERT");
}

TEST_F(PredictorDrift, AListenerTakingAHeartbeatOnADriftAlertDoesNotDeadlock) {
  HeartbeatOnChange host;
  PredictorOptions options;
  options.logger = capture_logger(sink_);
  options.listener = &host;
  GovernedPredictor p(config_, ml_v1(), options);
  host.predictor = &p;
  for (const std::string& symbol : symbols_) handles_.push_back(p.resolve(symbol));
  run_cycles(p, 10, 0, 100.0f);
  heartbeat(p);
  host.wait_for_the_heartbeats();
  EXPECT_EQ(p.state(), MlState::kEnabledDegraded);
  EXPECT_EQ(host.completed, std::vector<bool>{true});
}

TEST_F(PredictorDrift, AnAlertIsNoFailureByDefault) {
  auto p = make_predictor();
  run_cycles(*p, 10, 0, 100.0f);
  for (int i = 0; i < 5; ++i) heartbeat(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  EXPECT_EQ(p->model_errors(), 0u);
}

TEST_F(PredictorDrift, SingleCallsFeedTheWindowToo) {
  auto p = make_predictor();
  std::vector<float> values(kFeatures, 0.5f);
  const FeatureRow row{ml_v1().schema().get(), values};
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(p->try_predict(handles_[0], row).ok());
  ASSERT_TRUE(p->try_predict(symbols_[1], row).ok());
  EXPECT_EQ(p->drift().window_rows, 8u);
}

TEST_F(PredictorDrift, RejectedRowsTakeNoPart) {
  auto p = make_predictor();
  std::vector<float> values(kFeatures, 0.5f);
  values[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(p->try_predict(handles_[0], {ml_v1().schema().get(), values}).status,
            PredictStatus::kNonFiniteFeature);
  EXPECT_EQ(p->drift().rows_recorded, 0u);
}

// A batch's rows that fail or are refused take no part: their places stay
// empty and are not counted as recorded, and the rows before them are.
TEST_F(PredictorDrift, ABatchRecordsItsAcceptedRowsOnly) {
  auto p = make_predictor();
  std::vector<std::vector<float>> values(handles_.size(), std::vector<float>(kFeatures, 0.5f));
  values[1][4] = std::numeric_limits<float>::quiet_NaN();  // refused: non-finite
  std::vector<FeatureRow> rows(handles_.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = {ml_v1().schema().get(), values[i]};
  rows[2] = FeatureRow{};  // no row this cycle
  std::vector<ModelHandle> handles = handles_;
  handles[3] = ModelHandle{};  // no model
  std::vector<PredictResult> out(rows.size());
  const std::size_t ok = p->predict_batch(handles, rows, out);
  ASSERT_EQ(ok, rows.size() - 3);
  const DriftSnapshot snap = p->drift();
  EXPECT_EQ(snap.rows_recorded, ok);
  EXPECT_EQ(snap.window_rows, ok);
  // The window holds the accepted rows and nothing else: every feature of
  // every row is 0.5, in one bin.
  for (const FeatureDrift& d : snap.features) EXPECT_EQ(d.rows, ok) << d.feature;
}

TEST_F(PredictorDrift, ALegacyModelTakesNoPartAndIsReportedOnce) {
  install_model(config_.paths.models_dir, "LEGACY", "20251120_120000", MetaMode::kNone);
  auto p = make_predictor();
  const ModelHandle legacy = p->resolve("LEGACY");
  std::vector<float> values(kFeatures, 0.5f);
  ASSERT_TRUE(p->try_predict(legacy, {ml_v1().schema().get(), values}).ok());
  run_cycles(*p, 10);
  heartbeat(*p);
  heartbeat(*p);
  const auto unavailable = sink_->with_status("DRIFT_UNAVAILABLE");
  ASSERT_EQ(unavailable.size(), 1u);
  ASSERT_EQ(unavailable[0]["details"]["models"].size(), 1u);
  EXPECT_EQ(unavailable[0]["details"]["models"][0]["symbol"], "LEGACY");
  const DriftSnapshot snap = p->drift();
  EXPECT_EQ(snap.rows_recorded, 200u);  // the legacy row is not among them
  EXPECT_EQ(snap.models_without_stats, std::vector<std::string>{"LEGACY"});
}

TEST_F(PredictorDrift, AnOverrideOfAFeatureNotInTheContractIsAConfigError) {
  config_.drift.features["ret_1e"].warn_psi = 0.5;
  config_.drift.features["ret_1e"].where = "engine.yaml:40";
  try {
    make_predictor();
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("engine.yaml:40: drift.features.ret_1e: not a feature "
                                         "of the contract ml_v1"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(PredictorDrift, DriftOffMeansNoMonitorAndNoHeartbeatFields) {
  config_.drift.enabled = false;
  auto p = make_predictor();
  run_cycles(*p, 10, 0, 100.0f);
  heartbeat(*p);
  EXPECT_TRUE(p->drift().features.empty());
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  for (const auto& j : sink_->json_records()) EXPECT_FALSE(j.contains("drift_worst_psi"));
}

}  // namespace
}  // namespace mlgov
