// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The README's per-cycle snippet ("One cycle, from the first bar"), compiled
// verbatim (CMake extracts it into readme_cycle_snippet.h at configure time),
// run as a new engine runs it: a fresh universe, try_predict for every symbol
// from the first bar. The warm-up must not trip governance: a stream that is
// not ready gives FeatureRow::none(), which is kInsufficientHistory, not a
// failure.
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlgov/offline/synthetic_market.h"
#include "predictor_fixture.h"
#include "readme_cycle_snippet.h"

namespace mlgov {
namespace {

constexpr int kWarmUpBars = 300;
constexpr int kMinHistory = 253;  // ml_v1's min_history: the first row is bar 253

class ReadmeSnippet : public ::testing::Test {
 protected:
  void SetUp() override {
    SyntheticMarketOptions options;
    options.symbols = 6;
    options.sectors = 2;
    options.years = 2;  // 504 bars; the test replays the first 300
    market = generate_synthetic_market(options);
    for (const BarSeries& s : market.symbols) {
      symbols.push_back(s.symbol);
      testing::install_model(dir.path() / "models", s.symbol);
    }
    config_file = dir.path() / "config.yaml";
    testing::write_text(config_file,
                        fmt::format(R"(features:
  ml_enabled: true
  contract: ml_v1
governance:
  state_file: {0}/state/governance_state.json
paths:
  contracts_dir: {1}/contracts
  models_dir: {0}/models
  logs_dir: {0}/logs
data:
  benchmark_symbol: SPX
)",
                                    dir.path().string(), testing::source_dir().string()));
  }

  // Feeds bars [from, to) of every symbol, one cycle per date.
  void replay(MlSignal& engine, int from, int to) {
    std::vector<const Bar*> today(symbols.size());
    for (int t = from; t < to; ++t) {
      const auto at = static_cast<std::size_t>(t);
      for (std::size_t i = 0; i < symbols.size(); ++i) today[i] = &market.symbols[i].bars[at];
      engine.cycle(market.benchmark.bars[at], today);
    }
  }

  testing::TempDir dir;
  SyntheticMarket market;
  std::vector<std::string> symbols;
  std::filesystem::path config_file;
};

TEST_F(ReadmeSnippet, WarmUpFromTheFirstBarEndsEnabledOkWithZeroFailures) {
  MlSignal engine(config_file.string(), symbols, market.sectors);
  ASSERT_EQ(engine.predictor.state(), MlState::kEnabledOk);

  // Bars 1..252: no row yet, so no signal and nothing counted as a failure.
  replay(engine, 0, kMinHistory - 1);
  EXPECT_EQ(engine.predictor.state(), MlState::kEnabledOk);
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    EXPECT_TRUE(engine.stream.row(i).is_none()) << symbols[i];
    EXPECT_TRUE(std::isnan(engine.signal[i])) << symbols[i];
  }

  replay(engine, kMinHistory - 1, kWarmUpBars);
  const MetricsSnapshot m = engine.predictor.metrics();
  EXPECT_EQ(engine.predictor.state(), MlState::kEnabledOk);
  EXPECT_EQ(m.model_errors, 0u);
  EXPECT_EQ(m.failures_in_window, 0u);
  for (const PredictStatus reason :
       {PredictStatus::kFeatureMismatch, PredictStatus::kWrongFeatureCount,
        PredictStatus::kNonFiniteFeature, PredictStatus::kModelError,
        PredictStatus::kModelRefused}) {
    EXPECT_EQ(m.failures_by_reason[static_cast<std::size_t>(reason)], 0u) << to_string(reason);
  }
  // Bars 253..300 each gave every symbol a prediction: 48 dates x 6 symbols.
  EXPECT_EQ(m.predictions, static_cast<std::uint64_t>((kWarmUpBars - kMinHistory + 1) * 6));
}

TEST_F(ReadmeSnippet, AfterTheWarmUpEverySymbolPredicts) {
  MlSignal engine(config_file.string(), symbols, market.sectors);
  replay(engine, 0, kWarmUpBars);
  replay(engine, kWarmUpBars, kWarmUpBars + 1);
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const PredictResult r = engine.predictor.try_predict(engine.models[i], engine.stream.row(i));
    EXPECT_EQ(r.status, PredictStatus::kOk) << symbols[i];
    // binary:logistic: a probability.
    EXPECT_GT(engine.signal[i], 0.0f) << symbols[i];
    EXPECT_LT(engine.signal[i], 1.0f) << symbols[i];
    EXPECT_EQ(engine.signal[i], r.value) << symbols[i];
  }
  EXPECT_EQ(engine.predictor.state(), MlState::kEnabledOk);
}

}  // namespace
}  // namespace mlgov
