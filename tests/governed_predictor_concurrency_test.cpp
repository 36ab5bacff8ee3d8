// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Eight threads call predict() at once while one of them trips the latch,
// re-enables, and trips it again. Run under ThreadSanitizer (label "tsan").
// No timing assertion: the checks are on counts and values, which every
// interleaving must satisfy.
#include <atomic>
#include <barrier>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mlgov/governed_predictor.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using testing::ml_v1;
using testing::OwnedRow;

struct CountingListener final : StateListener {
  std::mutex mu;
  std::vector<MlState> to;
  void on_state_change(MlState, MlState new_state, std::string_view) noexcept override {
    std::lock_guard<std::mutex> lock(mu);
    to.push_back(new_state);
  }
};

TEST(GovernedPredictorConcurrency, EightThreadsPredictWhileFailuresTripTheLatch) {
  testing::TempDir dir;
  Config config = testing::test_config(dir.path());
  config.backend = PredictorBackend::kAuto;
  const std::vector<std::string> symbols = {"AAA", "BBB", "CCC", "DDD"};
  for (const auto& s : symbols) testing::install_model(config.paths.models_dir, s);

  CountingListener listener;
  PredictorOptions options;
  options.clock = std::make_shared<ManualClock>();
  options.listener = &listener;
  GovernedPredictor predictor(config, ml_v1(), options);
  ASSERT_EQ(predictor.state(), MlState::kEnabledOk);

  const OwnedRow good(ml_v1().schema(), 0.25f);
  const OwnedRow bad(testing::edited_schema([](auto& n) { std::swap(n[0], n[1]); }));
  // The reference value, computed before any thread starts.
  const float expected = predictor.predict("AAA", good.row());

  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 3000;
  std::barrier start(kThreads);
  std::atomic<std::uint64_t> ok{0}, blocked{0}, wrong_value{0}, other{0}, failures{0};

  auto predicting = [&](int t) {
    start.arrive_and_wait();
    for (int i = 0; i < kCallsPerThread; ++i) {
      const PredictResult r = predictor.try_predict(symbols[(t + i) % symbols.size()], good.row());
      if (r.status == PredictStatus::kOk) {
        ok.fetch_add(1);
        // All four symbols share the same model file: same value.
        if (r.value != expected) wrong_value.fetch_add(1);
      } else if (r.status == PredictStatus::kGovernanceDisabled) {
        blocked.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
      if (i % 500 == 0) {
        (void)predictor.state();
        (void)predictor.metrics();
        (void)predictor.heartbeat(std::chrono::seconds(i), symbols.size(), i);
      }
    }
  };
  // Thread 0 fails three times (latch), re-enables, fails three more (latch).
  auto failing = [&] {
    start.arrive_and_wait();
    for (int round = 0; round < 2; ++round) {
      for (int k = 0; k < 3; ++k) {
        const PredictResult r = predictor.try_predict("BBB", bad.row());
        if (r.status == PredictStatus::kFeatureMismatch) failures.fetch_add(1);
        std::this_thread::yield();
      }
      if (round == 0) predictor.reenable("tsan", "concurrency test");
    }
  };

  std::vector<std::thread> threads;
  threads.emplace_back(failing);
  for (int t = 1; t < kThreads; ++t) threads.emplace_back(predicting, t);
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 6u);
  EXPECT_EQ(predictor.state(), MlState::kDisabledGovernance);
  EXPECT_EQ(wrong_value.load(), 0u);
  EXPECT_EQ(other.load(), 0u);
  const MetricsSnapshot m = predictor.metrics();
  EXPECT_EQ(m.model_errors, 6u);
  // Every call is accounted for: the reference call plus the predicting threads.
  EXPECT_EQ(ok.load() + blocked.load(), std::uint64_t{(kThreads - 1) * kCallsPerThread});
  EXPECT_EQ(m.predictions, ok.load() + 1);
  EXPECT_EQ(m.blocked_calls, blocked.load());
  // Latched, re-enabled, latched: three notifications in that order.
  std::lock_guard<std::mutex> lock(listener.mu);
  ASSERT_EQ(listener.to.size(), 3u);
  EXPECT_EQ(listener.to[0], MlState::kDisabledGovernance);
  EXPECT_EQ(listener.to[1], MlState::kEnabledOk);
  EXPECT_EQ(listener.to[2], MlState::kDisabledGovernance);
}

}  // namespace
}  // namespace mlgov
