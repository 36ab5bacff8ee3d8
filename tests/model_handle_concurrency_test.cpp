// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Seven threads run handle batches at once while another trips the latch,
// re-enables, and trips it again. Run under ThreadSanitizer (label "tsan").
// No timing assertion: the checks are on counts and values, which every
// interleaving must satisfy.
#include <atomic>
#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mlgov/governed_predictor.h"
#include "mlgov/model_handle.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using testing::ml_v1;
using testing::OwnedRow;

TEST(ModelHandleConcurrency, HandleBatchesWhileFailuresTripTheLatch) {
  testing::TempDir dir;
  Config config = testing::test_config(dir.path());
  config.backend = PredictorBackend::kAuto;
  const std::vector<std::string> symbols = {"AAA", "BBB", "CCC", "DDD"};
  for (const auto& s : symbols) testing::install_model(config.paths.models_dir, s);

  PredictorOptions options;
  options.clock = std::make_shared<ManualClock>();
  GovernedPredictor predictor(config, ml_v1(), options);
  ASSERT_EQ(predictor.state(), MlState::kEnabledOk);

  std::vector<ModelHandle> handles;
  for (const auto& s : symbols) handles.push_back(predictor.resolve(s));
  const OwnedRow good(ml_v1().schema(), 0.25f);
  const OwnedRow bad(testing::edited_schema([](auto& n) { std::swap(n[0], n[1]); }));
  const std::vector<FeatureRow> rows(symbols.size(), good.row());
  // The reference value, computed before any thread starts.
  const float expected = predictor.predict(handles[0], good.row());

  constexpr int kThreads = 8;
  constexpr int kBatchesPerThread = 800;
  std::barrier start(kThreads);
  std::atomic<std::uint64_t> ok{0}, blocked{0}, wrong_value{0}, other{0}, mixed{0}, failures{0};

  auto predicting = [&] {
    std::vector<PredictResult> out(rows.size());
    start.arrive_and_wait();
    for (int i = 0; i < kBatchesPerThread; ++i) {
      const std::size_t n_ok = predictor.predict_batch(handles, rows, out);
      ok.fetch_add(n_ok);
      for (const PredictResult& r : out) {
        if (r.status == PredictStatus::kOk) {
          // All four symbols share the same model file: same value.
          if (r.value != expected) wrong_value.fetch_add(1);
        } else if (r.status == PredictStatus::kGovernanceDisabled) {
          blocked.fetch_add(1);
        } else {
          other.fetch_add(1);
        }
      }
      // Good rows only, and the state read once: all OK or all blocked.
      if (n_ok != 0 && n_ok != out.size()) mixed.fetch_add(1);
    }
  };
  // One thread fails three times (latch), re-enables, fails three more (latch).
  auto failing = [&] {
    start.arrive_and_wait();
    for (int round = 0; round < 2; ++round) {
      for (int k = 0; k < 3; ++k) {
        const PredictResult r = predictor.try_predict(handles[1], bad.row());
        if (r.status == PredictStatus::kFeatureMismatch) failures.fetch_add(1);
        std::this_thread::yield();
      }
      if (round == 0) predictor.reenable("tsan", "concurrency test");
    }
  };

  std::vector<std::thread> threads;
  threads.emplace_back(failing);
  for (int t = 1; t < kThreads; ++t) threads.emplace_back(predicting);
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 6u);
  EXPECT_EQ(predictor.state(), MlState::kDisabledGovernance);
  EXPECT_EQ(wrong_value.load(), 0u);
  EXPECT_EQ(other.load(), 0u);
  EXPECT_EQ(mixed.load(), 0u);
  const MetricsSnapshot m = predictor.metrics();
  EXPECT_EQ(m.model_errors, 6u);
  // Every row is accounted for: the reference call plus the batches.
  EXPECT_EQ(ok.load() + blocked.load(),
            std::uint64_t{(kThreads - 1) * kBatchesPerThread * symbols.size()});
  EXPECT_EQ(m.predictions, ok.load() + 1);
  EXPECT_EQ(m.blocked_calls, blocked.load());
}

}  // namespace
}  // namespace mlgov
