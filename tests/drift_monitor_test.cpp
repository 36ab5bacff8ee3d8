// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The drift figures from the outside: bins of values against hand-made
// training stats, PSI computed by hand, the windows, the judgement.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlgov/drift.h"
#include "mlgov/errors.h"

namespace {

using mlgov::DriftConfig;
using mlgov::DriftLevel;
using mlgov::DriftModel;
using mlgov::DriftMonitor;
using mlgov::TrainingBins;

// Stats whose edges are 0, 1, ..., 9, 10: bin k (1..10) holds [k-1, k).
nlohmann::json integer_stats() {
  return {{"mean", 5.0},
          {"std", 2.9},
          {"min", 0.0},
          {"max", 10.0},
          {"deciles", {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0}}};
}

std::vector<std::string> names(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(fmt::format("f{}", i));
  return out;
}

TrainingBins integer_bins(std::size_t n_features) {
  nlohmann::json stats = nlohmann::json::object();
  const std::vector<std::string> features = names(n_features);
  for (const std::string& name : features) stats[name] = integer_stats();
  return TrainingBins::from_feature_stats(stats, features, "test/model_meta.json");
}

// The bin by the definition, in double: independent of the float lanes.
int bin_by_definition(double value, const std::vector<double>& edges) {
  if (std::isnan(value)) return mlgov::kNanBin;
  if (value < edges.front()) return 0;
  if (value > edges.back()) return 11;
  int bin = 0;
  for (std::size_t k = 0; k + 1 < edges.size(); ++k) bin += value >= edges[k] ? 1 : 0;
  return bin;
}

// A small config for the windows, judged from the first row, with the
// issue's thresholds (PSI warns at 0.1 and alerts at 0.25; out of range
// warns at 0.05 and alerts at 0.5), whatever the shipped defaults are.
DriftConfig small_config(std::size_t window = 100) {
  DriftConfig c;
  c.warn_psi = 0.1;
  c.alert_psi = 0.25;
  c.clear_psi = 0.2;
  c.out_of_range_warn = 0.05;
  c.out_of_range_alert = 0.5;
  c.stale_warn = 0.9;
  c.window_rows = window;
  c.model_window_rows = window;
  c.min_rows = 1;
  c.clear_evaluations = 2;
  c.stale_window_rows = 5;
  return c;
}

std::vector<DriftModel> models(std::size_t n_models, std::size_t n_features) {
  std::vector<DriftModel> out;
  for (std::size_t m = 0; m < n_models; ++m) {
    out.push_back({fmt::format("S{}", m), integer_bins(n_features)});
  }
  return out;
}

// Feeds `rows` rows round-robin over the monitor's models, every feature
// the value `value_of(row)`.
template <class F>
void feed(DriftMonitor& monitor, std::size_t rows, F value_of) {
  const std::size_t nf = monitor.features().size();
  std::vector<float> row(nf);
  for (std::size_t i = 0; i < rows; ++i) {
    std::fill(row.begin(), row.end(), value_of(i));
    monitor.record(i % monitor.n_models(), row);
  }
}

// The transitions of the pooled figures (a frozen feed's per-symbol ones left
// out: rows repeated on purpose make them too).
std::vector<mlgov::DriftTransition> pooled(const mlgov::DriftEvaluation& e) {
  std::vector<mlgov::DriftTransition> out;
  for (const auto& t : e.transitions) {
    if (t.symbol.empty()) out.push_back(t);
  }
  return out;
}

// --- bins ---------------------------------------------------------------

TEST(TrainingBins, ValueOnADecileEdgeGoesToTheUpperBin) {
  const TrainingBins bins = integer_bins(1);
  EXPECT_EQ(bins.bin_of(0, 3.0f), 4);                        // [3, 4)
  EXPECT_EQ(bins.bin_of(0, std::nextafter(3.0f, 0.0f)), 3);  // [2, 3)
}

TEST(TrainingBins, TrainingMinIsInRangeAndBelowItIsNot) {
  const TrainingBins bins = integer_bins(1);
  EXPECT_EQ(bins.bin_of(0, 0.0f), 1);
  EXPECT_EQ(bins.bin_of(0, std::nextafter(0.0f, -1.0f)), mlgov::kBelowRangeBin);
  EXPECT_EQ(bins.bin_of(0, -std::numeric_limits<float>::infinity()), mlgov::kBelowRangeBin);
}

TEST(TrainingBins, TrainingMaxIsInRangeAndAboveItIsNot) {
  const TrainingBins bins = integer_bins(1);
  EXPECT_EQ(bins.bin_of(0, 10.0f), 10);
  EXPECT_EQ(bins.bin_of(0, std::nextafter(10.0f, 11.0f)), mlgov::kAboveRangeBin);
  EXPECT_EQ(bins.bin_of(0, std::numeric_limits<float>::infinity()), mlgov::kAboveRangeBin);
}

TEST(TrainingBins, NanIsCountedApart) {
  const TrainingBins bins = integer_bins(1);
  EXPECT_EQ(bins.bin_of(0, std::numeric_limits<float>::quiet_NaN()), mlgov::kNanBin);
}

TEST(TrainingBins, AnEdgeThatIsNoFloatComparesAsTheDouble) {
  // 0.1 is no float: 0.1f is just above it, the float below it just below.
  nlohmann::json stats = {
      {"x",
       {{"min", 0.0}, {"max", 1.0}, {"deciles", {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}}}}};
  const std::vector<std::string> features{"x"};
  const TrainingBins bins = TrainingBins::from_feature_stats(stats, features, "m");
  ASSERT_GT(static_cast<double>(0.1f), 0.1);
  EXPECT_EQ(bins.bin_of(0, 0.1f), 2);
  EXPECT_EQ(bins.bin_of(0, std::nextafter(0.1f, 0.0f)), 1);
}

TEST(TrainingBins, BinRowAgreesWithTheDefinitionForEveryFeatureAndValue) {
  // 19 features: two full groups of 8 and a partial one; each feature its
  // own random edges; values on the edges, beside them, out of range, NaN.
  const std::size_t n = 19;
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  nlohmann::json stats = nlohmann::json::object();
  std::vector<std::vector<double>> edges(n);
  const std::vector<std::string> features = names(n);
  for (std::size_t f = 0; f < n; ++f) {
    for (int k = 0; k < 11; ++k) edges[f].push_back(static_cast<float>(normal(rng)));
    std::sort(edges[f].begin(), edges[f].end());
    stats[features[f]] = {
        {"min", edges[f][0]},
        {"max", edges[f][10]},
        {"deciles", std::vector<double>(edges[f].begin() + 1, edges[f].end() - 1)}};
  }
  const TrainingBins bins = TrainingBins::from_feature_stats(stats, features, "m");
  std::vector<float> row(n);
  std::vector<std::uint8_t> out(n);
  for (int trial = 0; trial < 2000; ++trial) {
    for (std::size_t f = 0; f < n; ++f) {
      const int pick = trial % 4;
      const float edge = static_cast<float>(edges[f][static_cast<std::size_t>(trial) % 11]);
      row[f] = pick == 0   ? edge
               : pick == 1 ? std::nextafter(edge, -100.0f)
               : pick == 2 ? static_cast<float>(normal(rng) * 2)
                           : (trial % 40 == 3 ? std::numeric_limits<float>::quiet_NaN() : edge);
    }
    bins.bin_row(row, out);
    for (std::size_t f = 0; f < n; ++f) {
      ASSERT_EQ(out[f], bin_by_definition(row[f], edges[f]))
          << "feature " << f << " value " << row[f];
    }
  }
}

TEST(TrainingBins, TiedDecilesGiveTheTrainingSharesOfThePointMasses) {
  // A rank taking 0, 0.5 and 1: 0 up to the 1st decile, 0.5 from the 2nd to
  // the 4th, 1 from the 5th. Bin [0, 0.5) holds the quantiles 0..0.2, bin
  // [0.5, 1) 0.2..0.5, bin [1, 1] 0.5..1; the bins between equal edges none.
  nlohmann::json stats = {
      {"rank", {{"min", 0.0}, {"max", 1.0}, {"deciles", {0.0, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1}}}}};
  const std::vector<std::string> features{"rank"};
  const TrainingBins bins = TrainingBins::from_feature_stats(stats, features, "m");
  const std::array<double, 10> expected{0, 0.2, 0, 0, 0.3, 0, 0, 0, 0, 0.5};
  for (std::size_t j = 0; j < 10; ++j) EXPECT_NEAR(bins.expected_shares(0)[j], expected[j], 1e-12);
  EXPECT_EQ(bins.bin_of(0, 0.0f), 2);
  EXPECT_EQ(bins.bin_of(0, 0.5f), 5);
  EXPECT_EQ(bins.bin_of(0, 1.0f), 10);
}

TEST(TrainingBins, DistinctDecilesExpectATenthPerBin) {
  const TrainingBins bins = integer_bins(1);
  for (double share : bins.expected_shares(0)) EXPECT_DOUBLE_EQ(share, 0.1);
}

TEST(TrainingBins, StatsMissingAFeatureAreRefusedNamingIt) {
  const std::vector<std::string> features{"ret_1d", "ret_5d"};
  const nlohmann::json stats = {{"ret_1d", integer_stats()}};
  try {
    TrainingBins::from_feature_stats(stats, features, "models/S1/model_meta.json");
    FAIL() << "no error";
  } catch (const mlgov::ModelMetaError& e) {
    EXPECT_NE(std::string(e.what()).find("models/S1/model_meta.json: feature_stats.ret_5d"),
              std::string::npos)
        << e.what();
  }
}

TEST(TrainingBins, DecilesOutOfOrderAreRefused) {
  nlohmann::json stats = {{"x", integer_stats()}};
  stats["x"]["deciles"][4] = 9.5;
  const std::vector<std::string> features{"x"};
  EXPECT_THROW(TrainingBins::from_feature_stats(stats, features, "m"), mlgov::ModelMetaError);
}

TEST(TrainingBins, EightDecilesAreRefused) {
  nlohmann::json stats = {{"x", integer_stats()}};
  stats["x"]["deciles"].erase(0);
  const std::vector<std::string> features{"x"};
  EXPECT_THROW(TrainingBins::from_feature_stats(stats, features, "m"), mlgov::ModelMetaError);
}

TEST(TrainingBins, AMetaWithoutStatsHasNoBins) {
  mlgov::ModelMeta meta;
  meta.features = {"x"};
  meta.n_features = 1;
  EXPECT_FALSE(TrainingBins::from_meta(meta, "m").has_value());
  meta.feature_stats = {{"x", integer_stats()}};
  EXPECT_TRUE(TrainingBins::from_meta(meta, "m").has_value());
}

// --- PSI -----------------------------------------------------------------

TEST(Psi, UniformAgainstUniformIsZero) {
  const std::array<double, 10> uniform{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
  EXPECT_NEAR(mlgov::psi_against_uniform(uniform), 0.0, 1e-15);
}

TEST(Psi, AKnownSkewHasTheHandComputedValue) {
  // 0.3 in the first bin, nothing in the last two: (0.3-0.1) ln 3 + 2 x
  // (0-0.1) ln(0.0001/0.1).
  const std::array<double, 10> skew{0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0, 0};
  EXPECT_NEAR(mlgov::psi_against_uniform(skew), 0.2 * std::log(3.0) + 0.2 * std::log(1000.0),
              1e-12);
}

// --- the monitor's figures -------------------------------------------------

TEST(DriftMonitor, RowsSpreadEvenlyOverTheDecilesHavePsiZero) {
  DriftMonitor monitor(names(3), small_config(), models(10, 3));
  feed(monitor, 100, [](std::size_t i) { return static_cast<float>(i % 10) + 0.5f; });
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  ASSERT_EQ(snap.features.size(), 3u);
  for (const auto& d : snap.features) {
    EXPECT_EQ(d.rows, 100u);
    EXPECT_NEAR(d.psi, 0.0, 1e-12);
    for (double share : d.shares) EXPECT_DOUBLE_EQ(share, 0.1);
  }
}

TEST(DriftMonitor, ASkewedWindowHasTheHandComputedPsi) {
  // 100 rows: 30 in [0,1), 10 in each of [1,2) .. [7,8), none above 8.
  DriftMonitor monitor(names(1), small_config(), models(4, 1));
  feed(monitor, 100,
       [](std::size_t i) { return i < 30 ? 0.5f : static_cast<float>((i - 30) / 10 + 1) + 0.5f; });
  const mlgov::FeatureDrift d = monitor.snapshot().features[0];
  EXPECT_DOUBLE_EQ(d.shares[0], 0.3);
  EXPECT_DOUBLE_EQ(d.shares[9], 0.0);
  EXPECT_NEAR(d.psi, 0.2 * std::log(3.0) + 0.2 * std::log(1000.0), 1e-12);
}

TEST(DriftMonitor, OutOfRangeRowsAreCountedApartFromTheDecileShares) {
  // 200 rows: 20 below the min, 10 above the max, 170 spread over the bins
  // (17 each).
  DriftMonitor monitor(names(1), small_config(200), models(2, 1));
  feed(monitor, 200, [](std::size_t i) {
    if (i < 20) return -5.0f;
    if (i < 30) return 50.0f;
    return static_cast<float>((i - 30) % 10) + 0.25f;
  });
  const mlgov::FeatureDrift d = monitor.snapshot().features[0];
  EXPECT_EQ(d.in_range_rows, 170u);
  EXPECT_DOUBLE_EQ(d.below_range_fraction, 0.1);
  EXPECT_DOUBLE_EQ(d.above_range_fraction, 0.05);
  EXPECT_DOUBLE_EQ(d.out_of_range_fraction, 0.15);
  EXPECT_NEAR(d.psi, 0.0, 1e-12);
}

TEST(DriftMonitor, AFeatureWhollyOutOfRangeHasTheLargestPsi) {
  DriftMonitor monitor(names(1), small_config(), models(1, 1));
  feed(monitor, 50, [](std::size_t) { return -1.0f; });
  const mlgov::FeatureDrift d = monitor.snapshot().features[0];
  EXPECT_EQ(d.in_range_rows, 0u);
  EXPECT_DOUBLE_EQ(d.out_of_range_fraction, 1.0);
  EXPECT_NEAR(d.psi, 10 * 0.1 * std::log(1000.0), 1e-12);
}

TEST(DriftMonitor, StaleShareCountsValuesEqualToTheSymbolsPreviousOne) {
  // S0 gets 1, 1, 2, 2 (3 rows with a previous value, 2 equal to it); S1
  // gets 3, 4 (1 with a previous value, not equal).
  DriftMonitor monitor(names(1), small_config(), models(2, 1));
  const std::vector<std::pair<std::size_t, float>> rows{{0, 1.5f}, {1, 3.5f}, {0, 1.5f},
                                                        {0, 2.5f}, {1, 4.5f}, {0, 2.5f}};
  for (const auto& [model, value] : rows) monitor.record(model, std::span<const float>(&value, 1));
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_DOUBLE_EQ(snap.features[0].stale_share, 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(snap.models[0].features[0].stale_share, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(snap.models[1].features[0].stale_share, 0.0);
}

TEST(DriftMonitor, TheWindowHoldsOnlyTheLastRows) {
  // 100 rows in [0,1), then 100 in [9,10]: a window of 100 sees only the latter.
  DriftMonitor monitor(names(1), small_config(100), models(3, 1));
  feed(monitor, 200, [](std::size_t i) { return i < 100 ? 0.5f : 9.5f; });
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_EQ(snap.rows_recorded, 200u);
  EXPECT_EQ(snap.window_rows, 100u);
  EXPECT_DOUBLE_EQ(snap.features[0].shares[0], 0.0);
  EXPECT_DOUBLE_EQ(snap.features[0].shares[9], 1.0);
}

TEST(DriftMonitor, EachModelHasItsOwnLongerWindow) {
  // Pooled window 100, model window 150: S0's last 150 rows are 100 in
  // [0,1) and 50 in [5,6) though the pooled window no longer sees the former.
  DriftConfig config = small_config(100);
  config.model_window_rows = 150;
  DriftMonitor monitor(names(1), config, models(1, 1));
  feed(monitor, 300, [](std::size_t i) { return i < 250 ? 0.5f : 5.5f; });
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_DOUBLE_EQ(snap.features[0].shares[5], 0.5);
  ASSERT_EQ(snap.models.size(), 1u);
  EXPECT_EQ(snap.models[0].rows, 150u);
  EXPECT_NEAR(snap.models[0].features[0].shares[0], 100.0 / 150.0, 1e-12);
  EXPECT_NEAR(snap.models[0].features[0].shares[5], 50.0 / 150.0, 1e-12);
}

TEST(DriftMonitor, AModelWithoutStatsTakesNoPart) {
  std::vector<DriftModel> ms = models(2, 1);
  ms.push_back({"LEGACY", std::nullopt});
  DriftMonitor monitor(names(1), small_config(), std::move(ms));
  EXPECT_FALSE(monitor.watches(2));
  const float v = 0.5f;
  monitor.record(2, std::span<const float>(&v, 1));
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_EQ(snap.window_rows, 0u);
  EXPECT_EQ(snap.models_without_stats, std::vector<std::string>{"LEGACY"});
}

TEST(DriftMonitor, TheSymbolSkewingAFeatureComesFirst) {
  // S0..S3 spread evenly; S4 always in [0,1).
  DriftMonitor monitor(names(1), small_config(200), models(5, 1));
  feed(monitor, 200,
       [](std::size_t i) { return i % 5 == 4 ? 0.5f : static_cast<float>((i / 5) % 10) + 0.5f; });
  const mlgov::FeatureDrift d = monitor.snapshot().features[0];
  ASSERT_FALSE(d.top_symbols.empty());
  EXPECT_EQ(d.top_symbols[0].symbol, "S4");
  double sum = 0;
  for (const auto& c : d.top_symbols) sum += c.psi_contribution;
  EXPECT_LE(sum, d.psi + 1e-12);
}

TEST(DriftMonitor, TheOnlySkewedSymbolCarriesTheWholePsi) {
  DriftMonitor monitor(names(1), small_config(300), models(3, 1));
  feed(monitor, 300,
       [](std::size_t i) { return i % 3 == 0 ? 0.5f : static_cast<float>(i % 10) + 0.5f; });
  // S1 and S2 spread evenly over the bins: they contribute nothing, so S0's
  // contribution is the whole PSI, and S0 alone is listed.
  const mlgov::FeatureDrift d = monitor.snapshot().features[0];
  ASSERT_EQ(d.top_symbols.size(), 1u);
  EXPECT_EQ(d.top_symbols[0].symbol, "S0");
  EXPECT_GT(d.psi, 0.1);
  EXPECT_NEAR(d.top_symbols[0].psi_contribution, d.psi, 1e-12);
}

TEST(DriftMonitor, AReservedPlaceNeverRecordedLeavesTheWindowARowShort) {
  DriftMonitor monitor(names(1), small_config(), models(1, 1));
  const std::uint64_t first = monitor.reserve_rows(3);
  const float v = 2.5f;
  monitor.record_reserved(first, 0, std::span<const float>(&v, 1));
  monitor.record_reserved(first + 2, 0, std::span<const float>(&v, 1));
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_EQ(snap.rows_recorded, 3u);
  EXPECT_EQ(snap.window_rows, 2u);
}

TEST(DriftMonitor, AForgonePlaceIsNotCountedAsRecorded) {
  DriftMonitor monitor(names(1), small_config(), models(1, 1));
  const std::uint64_t first = monitor.reserve_rows(3);
  const float v = 2.5f;
  monitor.record_reserved(first, 0, std::span<const float>(&v, 1));
  monitor.record_reserved(first + 1, 0, std::span<const float>(&v, 1));
  monitor.forgo_rows(1);
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_EQ(snap.rows_recorded, 2u);
  EXPECT_EQ(snap.window_rows, 2u);
}

TEST(DriftMonitor, ARowWhosePlaceTheWindowHasSlidPastIsNotInIt) {
  // A batch that reserved its places before others reserved a whole window:
  // its late row must not count in the pooled window, nor push a newer row
  // out.
  DriftMonitor monitor(names(1), small_config(100), models(2, 1));
  const std::uint64_t late = monitor.reserve_rows(1);
  const float newer = 2.5f;  // bin 3
  const std::uint64_t first = monitor.reserve_rows(100);
  for (std::uint64_t p = first; p < first + 100; ++p) {
    monitor.record_reserved(p, 1, std::span<const float>(&newer, 1));
  }
  const float old = 7.5f;  // bin 8
  monitor.record_reserved(late, 0, std::span<const float>(&old, 1));
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_EQ(snap.window_rows, 100u);
  EXPECT_EQ(snap.features[0].shares[2], 1.0);  // only the newer rows
  // The late row still counts for its own model's window.
  EXPECT_EQ(snap.models[0].rows, 1u);
}

TEST(DriftMonitor, ASymbolFedFarMoreThanTheOthersCountsItsLatestRowsInThePooledWindow) {
  // 100 models: each model's ring holds 1,024 rows (65,536 / 100 rounded
  // up: drift.h). One symbol fed 2,000 times in a row fills the pooled
  // window's places, and its ring keeps its latest 1,024, each with its
  // stale flag but the oldest (its previous row is gone). Each value twice
  // in a row: odd rows repeat their previous.
  DriftConfig config = small_config(2000);
  config.model_window_rows = 10;
  DriftMonitor monitor(names(1), config, models(100, 1));
  for (int i = 0; i < 2000; ++i) {
    const float v = static_cast<float>(i / 2 % 10) + 0.5f;
    monitor.record(0, std::span<const float>(&v, 1));
  }
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_EQ(snap.rows_recorded, 2000u);
  EXPECT_EQ(snap.window_rows, 1024u);  // rows 976..1999
  // Rows 977..1999 have their previous row; 512 of them (the odd) repeat it.
  EXPECT_DOUBLE_EQ(snap.features[0].stale_share, 512.0 / 1023.0);
  EXPECT_EQ(snap.models[0].rows, 10u);
  EXPECT_DOUBLE_EQ(snap.models[0].features[0].stale_share, 0.5);
  // Fed evenly, the same 2,000 rows are all there.
  DriftMonitor even(names(1), config, models(100, 1));
  for (int i = 0; i < 2000; ++i) {
    const float v = static_cast<float>(i % 10) + 0.5f;
    even.record(static_cast<std::size_t>(i) % 100, std::span<const float>(&v, 1));
  }
  EXPECT_EQ(even.snapshot().window_rows, 2000u);
}

TEST(DriftMonitor, OneSymbolFedAloneAmongManyStillFillsThePooledWindowToMinRows) {
  // 225 models at the default windows (2,000 pooled, min_rows 1,000), one
  // symbol fed: its ring holds min_rows + 1 rows or more, so the pooled
  // window reaches min_rows and is judged.
  DriftConfig config = small_config(2000);
  config.model_window_rows = 500;
  config.min_rows = 1000;
  DriftMonitor monitor(names(1), config, models(225, 1));
  for (int i = 0; i < 3000; ++i) {
    const float v = static_cast<float>(i % 10) + 0.5f;
    monitor.record(7, std::span<const float>(&v, 1));
  }
  const mlgov::DriftSnapshot snap = monitor.snapshot();
  EXPECT_GE(snap.window_rows, config.min_rows);
  EXPECT_EQ(snap.window_rows, 1024u);
}

TEST(DriftMonitor, PrefetchOfAModelWithoutStatsOrOutOfRangeDoesNothing) {
  std::vector<mlgov::DriftModel> ms = models(1, 1);
  ms.push_back({"LEGACY", std::nullopt});
  DriftMonitor monitor(names(1), small_config(), std::move(ms));
  monitor.prefetch(0);
  monitor.prefetch(1);
  monitor.prefetch(99);
  EXPECT_EQ(monitor.snapshot().rows_recorded, 0u);
}

// --- the judgement -----------------------------------------------------------

TEST(DriftMonitor, NothingIsJudgedBeforeMinRows) {
  DriftConfig config = small_config();
  config.min_rows = 50;
  DriftMonitor monitor(names(1), config, models(1, 1));
  feed(monitor, 49, [](std::size_t) { return -1.0f; });
  EXPECT_TRUE(pooled(monitor.evaluate()).empty());
  feed(monitor, 1, [](std::size_t) { return -1.0f; });
  const mlgov::DriftEvaluation e = monitor.evaluate();
  const auto transitions = pooled(e);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].to, DriftLevel::kAlert);
}

TEST(DriftMonitor, PsiBetweenWarnAndAlertIsAWarning) {
  // Shares 0.2, 0.1 x 7, 0.1, 0: (0.1) ln 2 + 0.1 ln 1000 = 0.76; so with
  // warn 0.5 and alert 1.0 it is a warning, by PSI.
  DriftConfig config = small_config();
  config.warn_psi = 0.5;
  config.alert_psi = 1.0;
  config.clear_psi = 0.5;
  DriftMonitor monitor(names(1), config, models(2, 1));
  feed(monitor, 100,
       [](std::size_t i) { return i < 20 ? 0.5f : static_cast<float>((i - 20) / 10 + 1) + 0.5f; });
  const mlgov::DriftEvaluation e = monitor.evaluate();
  const auto transitions = pooled(e);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].to, DriftLevel::kWarning);
  EXPECT_EQ(transitions[0].reason, "PSI");
  EXPECT_FALSE(e.alert_now);
  EXPECT_EQ(e.snapshot.features_in_warning, 1u);
}

TEST(DriftMonitor, AnAlertClearsOnlyAfterClearEvaluationsBelowClearPsi) {
  DriftMonitor monitor(names(1), small_config(100), models(2, 1));  // clear_evaluations 2
  feed(monitor, 100, [](std::size_t) { return 0.5f; });
  {
    const mlgov::DriftEvaluation e = monitor.evaluate();
    const auto transitions = pooled(e);
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_EQ(transitions[0].to, DriftLevel::kAlert);
    EXPECT_TRUE(e.alert_now);
    EXPECT_TRUE(e.in_alert);
  }
  // The window becomes uniform again: the first calm evaluation holds.
  feed(monitor, 100, [](std::size_t i) { return static_cast<float>(i % 10) + 0.5f; });
  {
    const mlgov::DriftEvaluation e = monitor.evaluate();
    EXPECT_TRUE(pooled(e).empty());
    EXPECT_FALSE(e.alert_now);
    EXPECT_TRUE(e.in_alert);
    EXPECT_EQ(e.snapshot.features[0].level, DriftLevel::kAlert);
  }
  {
    const mlgov::DriftEvaluation e = monitor.evaluate();
    const auto transitions = pooled(e);
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_EQ(transitions[0].from, DriftLevel::kAlert);
    EXPECT_EQ(transitions[0].to, DriftLevel::kOk);
    EXPECT_EQ(transitions[0].reason, "CLEARED");
    EXPECT_FALSE(e.in_alert);
  }
}

TEST(DriftMonitor, ACalmRunIsBrokenByAnEvaluationAtOrAboveClearPsi) {
  // clear_psi 0.1, two calm evaluations to clear. The middle window: 40 rows
  // in each of the first two bins, 15 in each other: PSI = 2 x 0.1 ln 2 +
  // 8 x (0.075 - 0.1) ln 0.75 = 0.196, below alert (0.25), above clear_psi.
  DriftConfig config = small_config(200);
  config.clear_psi = 0.1;
  DriftMonitor monitor(names(1), config, models(1, 1));
  const auto uniform = [](std::size_t i) { return static_cast<float>(i % 10) + 0.5f; };
  feed(monitor, 200, [](std::size_t) { return 0.5f; });
  ASSERT_TRUE(monitor.evaluate().alert_now);
  feed(monitor, 200, uniform);
  EXPECT_TRUE(monitor.evaluate().in_alert);  // calm 1
  feed(monitor, 200, [](std::size_t i) {
    return i < 80 ? static_cast<float>(i / 40) + 0.5f
                  : static_cast<float>((i - 80) / 15 + 2) + 0.5f;
  });
  const mlgov::DriftEvaluation middle = monitor.evaluate();
  ASSERT_NEAR(middle.snapshot.features[0].psi, 0.2 * std::log(2.0) - 0.2 * std::log(0.75), 1e-12);
  EXPECT_TRUE(middle.in_alert);  // the run is broken
  feed(monitor, 200, uniform);
  EXPECT_TRUE(monitor.evaluate().in_alert);  // calm 1 again
  const mlgov::DriftEvaluation last = monitor.evaluate();
  EXPECT_FALSE(last.in_alert);  // calm 2
  ASSERT_EQ(pooled(last).size(), 1u);
  EXPECT_EQ(pooled(last)[0].reason, "CLEARED");
}

TEST(DriftMonitor, AnOutOfRangeAlertHoldsUntilOutOfRangeIsBelowItsWarnLevel) {
  // out_of_range_warn 0.05, alert 0.5, two calm evaluations to clear.
  DriftMonitor monitor(names(1), small_config(100), models(1, 1));
  const auto uniform = [](std::size_t i) { return static_cast<float>(i % 10) + 0.5f; };
  feed(monitor, 60, [](std::size_t) { return -1.0f; });
  feed(monitor, 40, uniform);
  {
    const mlgov::DriftEvaluation e = monitor.evaluate();
    ASSERT_EQ(pooled(e).size(), 1u);
    EXPECT_EQ(pooled(e)[0].reason, "OUT_OF_RANGE");
    EXPECT_TRUE(e.in_alert);
  }
  // 10 rows of 100 out of range: below the alert, not below the warn level.
  feed(monitor, 10, [](std::size_t) { return -1.0f; });
  feed(monitor, 80, uniform);
  for (int i = 0; i < 3; ++i) {
    const mlgov::DriftEvaluation e = monitor.evaluate();
    ASSERT_DOUBLE_EQ(e.snapshot.features[0].out_of_range_fraction, 0.1);
    EXPECT_TRUE(e.in_alert) << "evaluation " << i;
  }
  feed(monitor, 100, uniform);
  EXPECT_TRUE(monitor.evaluate().in_alert);   // calm 1
  EXPECT_FALSE(monitor.evaluate().in_alert);  // calm 2: cleared
}

TEST(DriftMonitor, AFeatureThatRepeatsAcrossTheOtherSymbolsIsNotJudgedStalePerSymbol) {
  // Every symbol holds its value (like a rank in its sector): not a frozen
  // feed of one symbol, so no per-symbol warning; the pooled share is 1.
  DriftMonitor monitor(names(1), small_config(), models(3, 1));
  std::vector<float> row(1);
  for (int i = 0; i < 10; ++i) {
    for (std::size_t m = 0; m < 3; ++m) {
      row[0] = static_cast<float>(m) + 0.5f;
      monitor.record(m, row);
    }
  }
  const mlgov::DriftEvaluation e = monitor.evaluate();
  for (const auto& t : e.transitions) EXPECT_TRUE(t.symbol.empty()) << t.symbol;
  ASSERT_EQ(e.snapshot.models.size(), 3u);
  EXPECT_DOUBLE_EQ(e.snapshot.models[0].features[0].others_stale_share, 1.0);
  EXPECT_FALSE(e.snapshot.models[0].features[0].stale_judged);
  EXPECT_DOUBLE_EQ(e.snapshot.features[0].stale_share, 1.0);
}

TEST(DriftMonitor, AFeatureOverrideChangesOnlyThatFeaturesThresholds) {
  DriftConfig config = small_config();
  config.features["f1"].alert_psi = 50.0;
  config.features["f1"].out_of_range_alert = 1.0;
  DriftMonitor monitor(names(2), config, models(1, 2));
  feed(monitor, 100, [](std::size_t) { return 0.5f; });
  const mlgov::DriftEvaluation e = monitor.evaluate();
  const auto transitions = pooled(e);
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[0].feature, "f0");
  EXPECT_EQ(transitions[0].to, DriftLevel::kAlert);
  EXPECT_EQ(transitions[1].feature, "f1");
  EXPECT_EQ(transitions[1].to, DriftLevel::kWarning);
}

TEST(DriftMonitor, AnOverrideOfAnUnknownFeatureIsAConfigErrorNamingIt) {
  DriftConfig config = small_config();
  config.features["ret_1e"].warn_psi = 0.2;
  config.features["ret_1e"].where = "config.yaml:41";
  try {
    DriftMonitor monitor(names(2), config, models(1, 2));
    FAIL() << "no error";
  } catch (const mlgov::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "config.yaml:41: drift.features.ret_1e: not a feature of the contract");
  }
}

TEST(DriftMonitor, WindowsNeedingOver4GbAreAConfigErrorNamingTheSettings) {
  // 225 models of 28 features, model_window_rows 100,000: 131,072 slots of
  // 176 bytes a model, 5.2 GB (4,950 MiB).
  DriftConfig config = small_config(2000);
  config.model_window_rows = 100000;
  try {
    DriftMonitor monitor(names(28), config, models(225, 28));
    FAIL() << "no error";
  } catch (const mlgov::ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("225 models x 131072 ring slots need 4950 MB"), std::string::npos)
        << message;
    EXPECT_NE(message.find("drift.model_window_rows (100000)"), std::string::npos) << message;
    EXPECT_NE(message.find("drift.min_rows"), std::string::npos) << message;
  }
  // The defaults for the same models are well under it.
  config.model_window_rows = 500;
  EXPECT_NO_THROW(DriftMonitor(names(28), config, models(225, 28)));
}

TEST(DriftMonitor, AFrozenFeedIsAWarningForItsSymbol) {
  // S0..S2 change every row; S1 repeats the same row from its 3rd on. The
  // stale window is 5 rows: after 6 rows of S1 its last 5 are all stale.
  DriftMonitor monitor(names(2), small_config(), models(3, 2));
  std::vector<float> row(2);
  for (int i = 0; i < 8; ++i) {
    for (std::size_t m = 0; m < 3; ++m) {
      const float v = m == 1 && i >= 2 ? 4.5f : static_cast<float>((i + m) % 10) + 0.25f;
      std::fill(row.begin(), row.end(), v);
      monitor.record(m, row);
    }
  }
  const mlgov::DriftEvaluation e = monitor.evaluate();
  std::vector<std::string> stale;
  for (const auto& t : e.transitions) {
    if (!t.symbol.empty()) {
      EXPECT_EQ(t.reason, "STALE");
      EXPECT_EQ(t.to, DriftLevel::kWarning);
      stale.push_back(fmt::format("{}.{}", t.symbol, t.feature));
    }
  }
  EXPECT_EQ(stale, (std::vector<std::string>{"S1.f0", "S1.f1"}));
}

TEST(DriftMonitor, AFeatureWithTiedDecilesIsNotJudgedStale) {
  nlohmann::json stats = {
      {"rank", {{"min", 0.0}, {"max", 1.0}, {"deciles", {0.0, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1}}}}};
  const std::vector<std::string> features{"rank"};
  std::vector<DriftModel> ms;
  ms.push_back({"S0", TrainingBins::from_feature_stats(stats, features, "m")});
  DriftMonitor monitor(features, small_config(), std::move(ms));
  const float v = 1.0f;
  for (int i = 0; i < 10; ++i) monitor.record(0, std::span<const float>(&v, 1));
  const mlgov::DriftEvaluation e = monitor.evaluate();
  EXPECT_DOUBLE_EQ(e.snapshot.features[0].stale_share, 1.0);
  EXPECT_FALSE(e.snapshot.features[0].stale_judged);
  for (const auto& t : e.transitions) EXPECT_NE(t.reason, "STALE");
}

}  // namespace
