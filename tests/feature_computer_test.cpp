// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Every ml_v1 feature on a small constructed series whose value is derived by
// hand from docs/features_ml_v1.md (the derivation is in the comment), every
// fallback of the spec's table, the contract's column order, and the
// streaming error rules. Values are compared with a float32-sized tolerance:
// the hand derivation is exact arithmetic, the code rounds.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sstream>

#include "mlgov/bars.h"
#include "mlgov/errors.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "test_support.h"

namespace mlgov {
namespace {

constexpr BarTime kDay0 = 1577836800;  // 2020-01-01
constexpr BarTime kDay = 86400;
constexpr int kN = 253;  // the minimum history: exactly one row, t = 252

// n bars on consecutive days, o = h = l = c = price, volume `volume`.
std::vector<Bar> flat(int n, double price = 100, double volume = 1000) {
  std::vector<Bar> bars(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    bars[static_cast<std::size_t>(i)] = {kDay0 + i * kDay, price, price, price, price, volume};
  }
  return bars;
}

// Bar i (negative: from the end, -1 = last) gets o = h = l = c = price.
Bar& at(std::vector<Bar>& bars, int i) {
  return bars[static_cast<std::size_t>(i < 0 ? static_cast<int>(bars.size()) + i : i)];
}
void set_price(std::vector<Bar>& bars, int i, double price) {
  Bar& b = at(bars, i);
  b.open = b.high = b.low = b.close = price;
}

BarSeries series(std::string symbol, std::vector<Bar> bars) {
  return BarSeries{std::move(symbol), std::move(bars), ""};
}

FeatureComputer ml_v1() {
  return FeatureComputer(load_feature_contract("ml_v1", testing::source_dir() / "contracts"));
}

// The last row of `bars` against `bench` (default: flat benchmark on the same
// dates), by column name.
std::map<std::string, float> last_row(const std::vector<Bar>& bars,
                                      const std::vector<Bar>* bench = nullptr) {
  const std::vector<Bar> flat_bench = flat(static_cast<int>(bars.size()));
  const FeatureFrame frame = ml_v1().compute_symbol(
      series("X", bars), series("BENCH", bench != nullptr ? *bench : flat_bench));
  EXPECT_GT(frame.rows(), 0U);
  std::map<std::string, float> row;
  if (frame.rows() == 0) return row;
  const auto values = frame.row_values(frame.rows() - 1);
  for (std::size_t j = 0; j < frame.cols(); ++j) row[frame.columns()[j]] = values[j];
  return row;
}

void expect_feature(const std::map<std::string, float>& row, const std::string& name,
                    double expected) {
  ASSERT_TRUE(row.count(name)) << name;
  EXPECT_NEAR(row.at(name), expected, 1e-5 * std::max(1.0, std::abs(expected))) << name;
}

// ------------------------------------------------------------ returns

TEST(FeatureComputer, Ret1dIsTheOneBarReturn) {
  auto bars = flat(kN);
  set_price(bars, -1, 110);  // c_t = 110, c_{t-1} = 100: 110/100 - 1
  expect_feature(last_row(bars), "ret_1d", 0.1);
}

TEST(FeatureComputer, Ret5dReadsTheCloseFiveBarsBack) {
  auto bars = flat(kN);
  set_price(bars, -6, 80);  // c_{t-5} = 80, c_t = 100: 100/80 - 1
  expect_feature(last_row(bars), "ret_5d", 0.25);
}

TEST(FeatureComputer, Ret10dReadsTheCloseTenBarsBack) {
  auto bars = flat(kN);
  set_price(bars, -11, 125);  // 100/125 - 1
  expect_feature(last_row(bars), "ret_10d", -0.2);
}

TEST(FeatureComputer, Ret20dReadsTheCloseTwentyBarsBack) {
  auto bars = flat(kN);
  set_price(bars, -21, 50);  // 100/50 - 1
  expect_feature(last_row(bars), "ret_20d", 1.0);
}

TEST(FeatureComputer, Ret60dReadsTheCloseSixtyBarsBack) {
  auto bars = flat(kN);
  set_price(bars, -61, 200);  // 100/200 - 1
  expect_feature(last_row(bars), "ret_60d", -0.5);
}

TEST(FeatureComputer, Mom12_1SkipsTheLastMonth) {
  auto bars = flat(kN);
  set_price(bars, 0, 120);    // c_{t-252} (the oldest bar of the window)
  set_price(bars, -22, 150);  // c_{t-21}
  set_price(bars, -1, 999);   // c_t does not enter: 150/120 - 1
  expect_feature(last_row(bars), "mom_12_1", 0.25);
}

// ------------------------------------------------------------ moving averages

TEST(FeatureComputer, SmaRatio20ComparesTheCloseWithItsTwentyBarMean) {
  auto bars = flat(kN);
  set_price(bars, -1, 121);  // SMA_20 = (19*100 + 121)/20 = 101.05
  expect_feature(last_row(bars), "sma_ratio_20", 121.0 / 101.05 - 1);
}

TEST(FeatureComputer, SmaRatio50ComparesTheCloseWithItsFiftyBarMean) {
  auto bars = flat(kN);
  set_price(bars, -1, 150);  // SMA_50 = (49*100 + 150)/50 = 101
  expect_feature(last_row(bars), "sma_ratio_50", 150.0 / 101 - 1);
}

TEST(FeatureComputer, SmaRatio200ComparesTheCloseWithItsTwoHundredBarMean) {
  auto bars = flat(kN);
  set_price(bars, -1, 300);    // SMA_200 = (199*100 + 300)/200 = 101
  set_price(bars, -201, 1e6);  // just outside the 200-bar window: ignored
  expect_feature(last_row(bars), "sma_ratio_200", 300.0 / 101 - 1);
}

TEST(FeatureComputer, SmaCross12_26ComparesTheTwoMeans) {
  auto bars = flat(kN);
  for (int i = 1; i <= 12; ++i) set_price(bars, -i, 113);
  // SMA_12 = 113; SMA_26 = (14*100 + 12*113)/26 = 2756/26 = 106
  expect_feature(last_row(bars), "sma_cross_12_26", 113.0 / 106 - 1);
}

// ------------------------------------------------------------ oscillators

TEST(FeatureComputer, Rsi14FromAverageGainAndLoss) {
  auto bars = flat(kN);
  // From c_{t-14} = 100 the 14 last changes alternate +2, -1 (7 of each):
  // G = 14/14 = 1, L = 7/14 = 0.5, G/L = 2, RSI = 100 - 100/3.
  double c = 100;
  for (int k = 13; k >= 0; --k) {
    c += (k % 2 == 1) ? 2 : -1;
    set_price(bars, -1 - k, c);
  }
  expect_feature(last_row(bars), "rsi_14", 100 - 100.0 / 3);
}

TEST(FeatureComputer, Rsi14Is100WhenThereIsNoLoss) {
  auto bars = flat(kN);
  for (int k = 13; k >= 0; --k) set_price(bars, -1 - k, 100 + (14 - k));  // all +1: L = 0, G = 1
  expect_feature(last_row(bars), "rsi_14", 100);
}

TEST(FeatureComputer, Rsi14Is50WhenPricesAreFlat) {
  expect_feature(last_row(flat(kN)), "rsi_14", 50);  // G = L = 0
}

TEST(FeatureComputer, StochK14PlacesTheCloseInTheFourteenBarRange) {
  auto bars = flat(kN);
  at(bars, -9).high = 120;   // MAX_14(h) = 120
  at(bars, -4).low = 80;     // MIN_14(l) = 80
  at(bars, -20).high = 500;  // older than 14 bars: ignored
  Bar& last = at(bars, -1);
  last.close = last.high = 110;  // (110 - 80)/(120 - 80)
  expect_feature(last_row(bars), "stoch_k_14", 0.75);
}

TEST(FeatureComputer, StochK14IsOneHalfWhenHighEqualsLow) {
  expect_feature(last_row(flat(kN)), "stoch_k_14", 0.5);  // range 0
}

TEST(FeatureComputer, BbPos20InUnitsOfTwoStandardDeviations) {
  auto bars = flat(kN);
  set_price(bars, -1, 120);
  // mean = (19*100 + 120)/20 = 101; squared deviations 19*1 + 19^2 = 380;
  // sample variance 380/19 = 20; (120 - 101)/(2*sqrt(20))
  expect_feature(last_row(bars), "bb_pos_20", 19 / (2 * std::sqrt(20.0)));
}

TEST(FeatureComputer, BbPos20IsZeroWhenPricesAreFlat) {
  expect_feature(last_row(flat(kN)), "bb_pos_20", 0);
}

// ------------------------------------------------------------ volatility

// Makes the last `returns.size()` returns exactly those (o = h = l = c).
void set_last_returns(std::vector<Bar>& bars, const std::vector<double>& returns) {
  const int n = static_cast<int>(returns.size());
  double c = at(bars, -1 - n).close;
  for (int k = 0; k < n; ++k) {
    c *= 1 + returns[static_cast<std::size_t>(k)];
    set_price(bars, -n + k, c);
  }
}

TEST(FeatureComputer, Vol5IsTheSampleStdOfFiveReturns) {
  auto bars = flat(kN);
  set_last_returns(bars, {0.1, -0.1, 0.1, -0.1, 0.1});
  // mean 0.02; deviations 0.08 (x3), -0.12 (x2): ss = 0.0192 + 0.0288 = 0.048;
  // variance 0.048/4 = 0.012
  expect_feature(last_row(bars), "vol_5", std::sqrt(0.012));
}

TEST(FeatureComputer, Vol20IsTheSampleStdOfTwentyReturns) {
  auto bars = flat(kN);
  std::vector<double> r;
  for (int k = 0; k < 20; ++k) r.push_back(k % 2 == 0 ? 0.01 : -0.01);
  set_last_returns(bars, r);
  // mean 0, ss = 20 * 1e-4, variance 0.002/19
  expect_feature(last_row(bars), "vol_20", std::sqrt(0.002 / 19));
}

TEST(FeatureComputer, Vol60IsTheSampleStdOfSixtyReturns) {
  auto bars = flat(kN);
  std::vector<double> r;
  for (int k = 0; k < 60; ++k) r.push_back(k % 2 == 0 ? 0.01 : -0.01);
  set_last_returns(bars, r);
  expect_feature(last_row(bars), "vol_60", std::sqrt(0.006 / 59));  // ss = 60e-4
}

TEST(FeatureComputer, VolatilitiesAreZeroWhenPricesAreFlat) {
  const auto row = last_row(flat(kN));
  expect_feature(row, "vol_5", 0);
  expect_feature(row, "vol_20", 0);
  expect_feature(row, "vol_60", 0);
}

TEST(FeatureComputer, Atr14NormIsTheMeanTrueRangeOverTheClose) {
  auto bars = flat(kN);
  for (int i = 1; i <= 14; ++i) {
    at(bars, -i).high = 102;
    at(bars, -i).low = 99;
  }
  // c_{t-1} = 100: TR = max(102 - 99, |102 - 100|, |99 - 100|) = 3 on each bar
  expect_feature(last_row(bars), "atr_14_norm", 3.0 / 100);
}

TEST(FeatureComputer, Atr14NormUsesTheGapToThePreviousClose) {
  auto bars = flat(kN);
  set_price(bars, -1, 110);
  // Last bar: h = l = 110, c_{t-1} = 100: TR = max(0, 10, 10) = 10; the other
  // 13 TRs are 0. SMA_14 = 10/14, over c_t = 110.
  expect_feature(last_row(bars), "atr_14_norm", 10.0 / 14 / 110);
}

TEST(FeatureComputer, HlRangeIsTheBarRangeOverTheClose) {
  auto bars = flat(kN);
  at(bars, -1).high = 105;
  at(bars, -1).low = 95;  // (105 - 95)/100
  expect_feature(last_row(bars), "hl_range", 0.1);
}

TEST(FeatureComputer, Gap1dComparesTheOpenWithThePreviousClose) {
  auto bars = flat(kN);
  at(bars, -1).open = 103;
  at(bars, -1).high = 103;  // 103/100 - 1
  expect_feature(last_row(bars), "gap_1d", 0.03);
}

// One jump of +10% at t-52, flat otherwise: the 60 returns are one x = 0.1
// and 59 zeros. With p = 1/60: m2 = x^2 p(1-p), m3 = x^3 p(1-p)(1-2p),
// m4 = x^4 p(1-p)((1-p)^3 + p^3).
std::vector<Bar> one_jump() {
  auto bars = flat(kN);
  for (int i = 200; i < kN; ++i) set_price(bars, i, 110);
  return bars;
}

TEST(FeatureComputer, Skew60OfASingleJump) {
  // m3/m2^1.5 = (1-2p)/sqrt(p(1-p)) = (58/60)/(sqrt(59)/60) = 58/sqrt(59);
  // times sqrt(60*59)/58 gives sqrt(60).
  expect_feature(last_row(one_jump()), "skew_60", std::sqrt(60.0));
}

TEST(FeatureComputer, Kurt60OfASingleJump) {
  // m4/m2^2 = ((1-p)^3 + p^3)/(p(1-p)) = (59^3 + 1)/(60*59) = 205380/3540 = 3423/59;
  // (3599 * 3423/59 - 3*59^2)/(58*57) = (61*3423 - 10443)/3306 = 198360/3306 = 60.
  expect_feature(last_row(one_jump()), "kurt_60", 60.0);
}

TEST(FeatureComputer, SkewAndKurtAreZeroWhenReturnsAreConstant) {
  const auto row = last_row(flat(kN));  // every r = 0: m2 = 0
  expect_feature(row, "skew_60", 0);
  expect_feature(row, "kurt_60", 0);
}

// ------------------------------------------------------------ volume

TEST(FeatureComputer, VolumeRatio20ComparesTheVolumeWithItsMean) {
  auto bars = flat(kN);
  at(bars, -1).volume = 3000;  // mean = (19*1000 + 3000)/20 = 1100
  expect_feature(last_row(bars), "volume_ratio_20", 3000.0 / 1100);
}

TEST(FeatureComputer, VolumeRatio20IsOneWhenVolumeIsZero) {
  expect_feature(last_row(flat(kN, 100, 0)), "volume_ratio_20", 1.0);
}

TEST(FeatureComputer, DollarVolumeLog20IsTheLogOfOnePlusTheMeanDollarVolume) {
  auto bars = flat(kN, 100, 1000);
  at(bars, -1).volume = 3000;
  // c*v = 1e5 on 19 bars and 3e5 on the last: mean 1.1e5
  expect_feature(last_row(bars), "dollar_volume_log_20", std::log(1 + 1.1e5));
}

TEST(FeatureComputer, DollarVolumeLog20IsZeroWithoutVolume) {
  expect_feature(last_row(flat(kN, 100, 0)), "dollar_volume_log_20", 0.0);  // ln(1 + 0)
}

TEST(FeatureComputer, VolumeZ20IsTheStandardisedVolume) {
  auto bars = flat(kN);
  at(bars, -1).volume = 3000;
  // mean 1100; squared deviations 19*100^2 + 1900^2 = 3.8e6; variance 3.8e6/19
  // = 2e5; z = 1900/sqrt(2e5)
  expect_feature(last_row(bars), "volume_z_20", 1900 / std::sqrt(2e5));
}

TEST(FeatureComputer, VolumeZ20IsZeroWhenVolumeIsConstantOrZero) {
  expect_feature(last_row(flat(kN, 100, 1000)), "volume_z_20", 0);
  expect_feature(last_row(flat(kN, 100, 0)), "volume_z_20", 0);
}

// ------------------------------------------------------------ 252-bar range

TEST(FeatureComputer, DistHigh252IncludesBarTMinus251AndExcludesTMinus252) {
  auto bars = flat(300);
  at(bars, -252).high = 125;  // t-251: inside the window
  at(bars, -253).high = 200;  // t-252: outside
  expect_feature(last_row(bars), "dist_high_252", 100.0 / 125 - 1);
}

TEST(FeatureComputer, DistLow252IncludesBarTMinus251AndExcludesTMinus252) {
  auto bars = flat(300);
  at(bars, -252).low = 80;  // inside
  at(bars, -253).low = 50;  // outside
  expect_feature(last_row(bars), "dist_low_252", 100.0 / 80 - 1);
}

TEST(FeatureComputer, DistHighAndLowAreZeroWhenPricesAreFlat) {
  const auto row = last_row(flat(kN));
  expect_feature(row, "dist_high_252", 0);
  expect_feature(row, "dist_low_252", 0);
}

// ------------------------------------------------------------ beta

TEST(FeatureComputer, Beta60OfASymbolMovingTwiceTheBenchmark) {
  auto bench = flat(kN, 1000);
  auto bars = flat(kN, 100);
  std::vector<double> b;
  std::vector<double> r;
  for (int k = 0; k < 60; ++k) {
    b.push_back(k % 3 == 0 ? 0.01 : -0.004);
    r.push_back(2 * b.back());
  }
  set_last_returns(bench, b);
  set_last_returns(bars, r);
  // r = 2b on every date: Cov(r, b) = 2 Var(b)
  expect_feature(last_row(bars, &bench), "beta_60", 2.0);
}

TEST(FeatureComputer, Beta60IsZeroWhenTheBenchmarkIsFlat) {
  auto bars = flat(kN);
  set_last_returns(bars, {0.05, -0.02, 0.03});
  expect_feature(last_row(bars), "beta_60", 0.0);  // Var(b) = 0
}

TEST(FeatureComputer, Beta60UsesTheBenchmarkReturnFromItsOwnPreviousBar) {
  // The benchmark has one more date than the symbol, between the symbol's
  // t-1 and t. On the benchmark's extra date it gains +10%; on t it is flat.
  // So b_t = 0 (from its own previous bar), not +10% (from the symbol's t-1).
  // The symbol's r_t = +5% and all other r and b are 0: with b all zero,
  // Var(b) = 0 and beta is the fallback 0; with the shifted b it would be
  // 0.5. The benchmark's series is flat 1000 until the jump to 1100.
  auto bars = flat(kN);
  set_price(bars, -1, 105);
  std::vector<Bar> bench;
  for (int i = 0; i < kN - 1; ++i) bench.push_back(bars[static_cast<std::size_t>(i)]);
  for (Bar& b : bench) b.open = b.high = b.low = b.close = 1000;
  Bar extra = bench.back();
  extra.time += kDay / 2;  // noon: between the symbol's last two dates
  extra.open = extra.high = extra.low = extra.close = 1100;
  bench.push_back(extra);
  Bar last = extra;
  last.time = at(bars, -1).time;
  bench.push_back(last);
  expect_feature(last_row(bars, &bench), "beta_60", 0.0);
}

// ------------------------------------------------------------ cross-sectional rank

// A bar series whose last close is 100 * (1 + ret20) after flat 100: ret_20d = ret20.
std::vector<Bar> with_ret20(int n, double ret20) {
  auto bars = flat(n);
  set_price(bars, -1, 100 * (1 + ret20));
  return bars;
}

TEST(FeatureComputer, CrossRankSectorRanksWithinTheSectorWithTiesAveraged) {
  // Sector A on the last date: A1 0.1, A2 0.2, A3 0.2, A4 0.3, plus A5 with
  // only 30 bars (has a ret_20d, no row) at 0.25 and A6 with 20 bars (no
  // ret_20d: not ranked). n = 5; ascending ranks 1, 2.5, 2.5, 5 (A5 is 4);
  // (k-1)/(n-1): A1 0, A2 = A3 = 1.5/4 = 0.375, A4 = 1. B1 is alone in B: 0.5.
  std::vector<BarSeries> u = {
      series("A1", with_ret20(kN, 0.1)), series("A2", with_ret20(kN, 0.2)),
      series("A3", with_ret20(kN, 0.2)), series("A4", with_ret20(kN, 0.3)),
      series("B1", with_ret20(kN, 0.9)),
  };
  // A5 and A6 end on the same last date as the others.
  auto a5 = with_ret20(30, 0.25);
  auto a6 = with_ret20(20, -0.5);
  for (Bar& b : a5) b.time += (kN - 30) * kDay;
  for (Bar& b : a6) b.time += (kN - 20) * kDay;
  u.push_back(series("A5", a5));
  u.push_back(series("A6", a6));
  SectorMap sectors;
  for (const char* s : {"A1", "A2", "A3", "A4", "A5", "A6"}) sectors.sector_of[s] = "A";
  sectors.sector_of["B1"] = "B";
  const FeatureFrame frame = ml_v1().compute_universe(u, series("BENCH", flat(kN)), sectors);
  ASSERT_EQ(frame.rows(), 5U);
  const std::size_t col = *frame.column_index("cross_rank_sector");
  std::map<std::string, float> rank;
  for (std::size_t i = 0; i < frame.rows(); ++i) rank[frame.symbols[i]] = frame.row_values(i)[col];
  EXPECT_FLOAT_EQ(rank["A1"], 0.0f);
  EXPECT_FLOAT_EQ(rank["A2"], 0.375f);
  EXPECT_FLOAT_EQ(rank["A3"], 0.375f);
  EXPECT_FLOAT_EQ(rank["A4"], 1.0f);
  EXPECT_FLOAT_EQ(rank["B1"], 0.5f);
}

TEST(FeatureComputer, CrossRankSectorIgnoresSymbolsWithoutABarThatDate) {
  // A2 stops one day early, so on the last date A1 is alone in its sector.
  auto a2 = with_ret20(kN, 0.5);
  a2.pop_back();
  std::vector<BarSeries> u = {series("A1", with_ret20(kN, 0.1)), series("A2", a2)};
  SectorMap sectors;
  sectors.sector_of = {{"A1", "A"}, {"A2", "A"}};
  const FeatureFrame frame = ml_v1().compute_universe(u, series("BENCH", flat(kN)), sectors);
  ASSERT_EQ(frame.rows(), 1U);
  EXPECT_FLOAT_EQ(frame.row_values(0)[*frame.column_index("cross_rank_sector")], 0.5f);
}

TEST(FeatureComputer, CrossRankSectorIsOneHalfForASingleSymbol) {
  expect_feature(last_row(with_ret20(kN, 0.3)), "cross_rank_sector", 0.5);
}

TEST(FeatureComputer, UniverseRejectsASymbolWithoutASector) {
  SectorMap sectors;
  sectors.source = "sectors.csv";
  sectors.sector_of = {{"A1", "A"}};
  const std::vector<BarSeries> u = {series("A1", flat(kN)), series("ZZ", flat(kN))};
  try {
    ml_v1().compute_universe(u, series("BENCH", flat(kN)), sectors);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("ZZ"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no sector"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------ contract and rows

FeatureContract contract_of(const std::vector<std::string>& names) {
  std::vector<std::string> items;
  for (const auto& n : names) {
    items.push_back(fmt::format(R"({{"name":"{}","dtype":"float32","lookback":1}})", n));
  }
  return FeatureContract::parse(
      fmt::format(R"({{"name":"custom","version":"1","min_history":253,"features":[{}]}})",
                  fmt::join(items, ",")),
      "custom.json");
}

TEST(FeatureComputer, ColumnsFollowTheContractOrder) {
  auto bars = flat(kN);
  set_price(bars, -1, 110);  // ret_1d = 0.1, hl_range = 0, rsi_14 = 100
  const FeatureComputer computer(contract_of({"rsi_14", "hl_range", "ret_1d"}));
  const FeatureFrame frame = computer.compute_symbol(series("X", bars), series("BENCH", flat(kN)));
  ASSERT_EQ(frame.rows(), 1U);
  EXPECT_EQ(frame.columns(), (std::vector<std::string>{"rsi_14", "hl_range", "ret_1d"}));
  EXPECT_EQ(frame.fingerprint(), computer.contract().fingerprint());
  const auto row = frame.row_values(0);
  EXPECT_FLOAT_EQ(row[0], 100.0f);
  EXPECT_FLOAT_EQ(row[1], 0.0f);
  EXPECT_NEAR(row[2], 0.1f, 1e-6);
  EXPECT_EQ(frame.row(0).schema, computer.schema().get());
}

TEST(FeatureComputer, Ml_v1ColumnsAreTheSpecOrder) {
  const FeatureComputer computer = ml_v1();
  EXPECT_EQ(computer.contract().names(), supported_features());
  EXPECT_EQ(supported_features().size(), 28U);
  EXPECT_EQ(supported_features().front(), "ret_1d");
  EXPECT_EQ(supported_features().back(), "cross_rank_sector");
}

TEST(FeatureComputer, RejectsAContractWithUnknownFeaturesListingThem) {
  try {
    FeatureComputer computer(contract_of({"ret_1d", "moon_phase", "ret_5d", "ema_12"}));
    FAIL() << "expected ContractError";
  } catch (const ContractError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("moon_phase"), std::string::npos) << what;
    EXPECT_NE(what.find("ema_12"), std::string::npos) << what;
    EXPECT_EQ(what.find("ret_5d"), std::string::npos) << what;
  }
}

TEST(FeatureComputer, FewerThan253BarsGiveNoRowsAndAWarning) {
  const FeatureFrame frame =
      ml_v1().compute_symbol(series("SHORT", flat(252)), series("BENCH", flat(252)));
  EXPECT_EQ(frame.rows(), 0U);
  ASSERT_EQ(frame.warnings.size(), 1U);
  EXPECT_NE(frame.warnings[0].find("SHORT"), std::string::npos) << frame.warnings[0];
  EXPECT_NE(frame.warnings[0].find("252"), std::string::npos) << frame.warnings[0];
}

TEST(FeatureComputer, TheShortHistoryWarningGoesToTheHostsLogger) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  FeatureComputerOptions options;
  options.logger = logger;
  const FeatureComputer computer(
      load_feature_contract("ml_v1", testing::source_dir() / "contracts"), options);
  computer.compute_symbol(series("SHORT", flat(100)), series("BENCH", flat(100)));
  EXPECT_NE(log.str().find("SHORT: 100 bars"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("warning"), std::string::npos) << log.str();
}

TEST(FeatureComputer, Exactly253BarsGiveOneRowOnTheLastDate) {
  const FeatureFrame frame = ml_v1().compute_symbol(series("X", flat(kN)), series("B", flat(kN)));
  ASSERT_EQ(frame.rows(), 1U);
  EXPECT_EQ(frame.times[0], kDay0 + 252 * kDay);
  EXPECT_EQ(frame.symbols[0], "X");
  EXPECT_TRUE(frame.warnings.empty());
}

TEST(FeatureComputer, BatchRejectsASymbolDateMissingFromTheBenchmarkNamingIt) {
  auto bench = flat(kN);
  bench.erase(bench.begin() + 100);  // 2020-04-10
  try {
    ml_v1().compute_symbol(series("GOOG", flat(kN)), series("SPX", bench));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("GOOG"), std::string::npos) << what;
    EXPECT_NE(what.find("2020-04-10"), std::string::npos) << what;
  }
}

// ------------------------------------------------------------ streaming rules

TEST(FeatureStream, ReportsInsufficientHistoryUntilBar253) {
  const FeatureComputer computer = ml_v1();
  BenchmarkStream bench;
  FeatureStream stream(computer, "X");
  const auto bars = flat(kN);
  for (int i = 0; i < kN - 1; ++i) {
    ASSERT_EQ(bench.try_update(bars[static_cast<std::size_t>(i)]), FeatureStatus::kReady);
    ASSERT_EQ(stream.try_update(bars[static_cast<std::size_t>(i)], bench),
              FeatureStatus::kInsufficientHistory);
  }
  bench.try_update(bars.back());
  EXPECT_EQ(stream.try_update(bars.back(), bench), FeatureStatus::kReady);
  EXPECT_EQ(stream.row().values.size(), 28U);
}

// Feeds `bars` with a benchmark of the same bars; returns the stream.
void feed(FeatureStream& stream, BenchmarkStream& bench, const std::vector<Bar>& bars) {
  for (const Bar& b : bars) {
    ASSERT_EQ(bench.try_update(b), FeatureStatus::kReady);
    const FeatureStatus st = stream.try_update(b, bench);
    ASSERT_TRUE(st == FeatureStatus::kReady || st == FeatureStatus::kInsufficientHistory);
  }
}

TEST(FeatureStream, RejectsADuplicateBarAndKeepsItsState) {
  const FeatureComputer computer = ml_v1();
  auto bars = flat(kN + 1);
  set_price(bars, -1, 110);
  BenchmarkStream bench;
  FeatureStream stream(computer, "X");
  feed(stream, bench, std::vector<Bar>(bars.begin(), bars.end() - 1));
  Bar dup = at(bars, -2);
  dup.close = dup.high = 500;
  EXPECT_EQ(stream.try_update(dup, bench), FeatureStatus::kOutOfOrder);
  EXPECT_EQ(stream.bar_count(), kN);
  // The next real bar gives the row it would have given without the duplicate.
  bench.try_update(bars.back());
  ASSERT_EQ(stream.try_update(bars.back(), bench), FeatureStatus::kReady);
  EXPECT_NEAR(stream.row().values[0], 0.1f, 1e-6);  // ret_1d = 110/100 - 1
}

TEST(FeatureStream, RejectsAnOlderBarWithADataErrorNamingSymbolAndDate) {
  const FeatureComputer computer = ml_v1();
  const auto bars = flat(10);
  BenchmarkStream bench;
  FeatureStream stream(computer, "GOOG");
  feed(stream, bench, bars);
  try {
    stream.update(bars[3], bench);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("GOOG"), std::string::npos) << what;
    EXPECT_NE(what.find("2020-01-04"), std::string::npos) << what;
    EXPECT_NE(what.find("non-increasing"), std::string::npos) << what;
  }
  EXPECT_EQ(stream.bar_count(), 10);
}

TEST(FeatureStream, MissingBenchmarkBarIsAnErrorNamingSymbolAndDate) {
  const FeatureComputer computer = ml_v1();
  const auto bars = flat(10);
  BenchmarkStream bench;
  FeatureStream stream(computer, "GOOG");
  feed(stream, bench, std::vector<Bar>(bars.begin(), bars.end() - 1));
  // The benchmark is still on 2020-01-09; the symbol's bar is 2020-01-10.
  EXPECT_EQ(stream.try_update(bars.back(), bench), FeatureStatus::kMissingBenchmark);
  EXPECT_EQ(stream.bar_count(), 9);
  try {
    stream.update(bars.back(), bench);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("GOOG"), std::string::npos) << what;
    EXPECT_NE(what.find("2020-01-10"), std::string::npos) << what;
  }
}

TEST(FeatureStream, RejectsABarBreakingAnInputRule) {
  const FeatureComputer computer = ml_v1();
  auto bars = flat(2);
  BenchmarkStream bench;
  FeatureStream stream(computer, "X");
  feed(stream, bench, {bars[0]});
  bars[1].low = 101;  // above high, open and close
  bench.try_update(flat(2)[1]);
  EXPECT_EQ(stream.try_update(bars[1], bench), FeatureStatus::kInvalidBar);
  EXPECT_EQ(stream.bar_count(), 1);
}

TEST(FeatureStream, CrossRankIsOneHalfOutsideAUniverse) {
  const FeatureComputer computer = ml_v1();
  BenchmarkStream bench;
  FeatureStream stream(computer, "X");
  feed(stream, bench, with_ret20(kN, 0.2));
  EXPECT_FLOAT_EQ(stream.row().values[27], 0.5f);
  ASSERT_TRUE(stream.ret_20d().has_value());
  EXPECT_NEAR(*stream.ret_20d(), 0.2f, 1e-6);
}

// "No row" has one value: a stream that is not ready returns FeatureRow{},
// never a row with the schema and no values (which the predictor would count
// as a wrong feature count).
TEST(FeatureStream, RowBeforeTheFirstReadyBarIsTheNoRowValue) {
  const FeatureComputer computer = ml_v1();
  BenchmarkStream bench;
  FeatureStream stream(computer, "X");
  const auto bars = flat(kN);
  EXPECT_TRUE(stream.row().is_none());
  for (int i = 0; i < kN - 1; ++i) {
    bench.try_update(bars[static_cast<std::size_t>(i)]);
    stream.try_update(bars[static_cast<std::size_t>(i)], bench);
    const FeatureRow row = stream.row();
    EXPECT_TRUE(row.is_none()) << "bar " << i;
    EXPECT_EQ(row.schema, FeatureRow{}.schema) << "bar " << i;
    EXPECT_EQ(row.values.data(), FeatureRow{}.values.data()) << "bar " << i;
  }
  bench.try_update(bars.back());
  stream.try_update(bars.back(), bench);
  EXPECT_FALSE(stream.row().is_none());
  EXPECT_EQ(stream.row().schema, computer.schema().get());
}

TEST(UniverseStream, RowOfASymbolNotReadyIsTheNoRowValue) {
  const FeatureComputer computer = ml_v1();
  SectorMap sectors;
  sectors.sector_of = {{"A", "tech"}, {"B", "tech"}};
  UniverseStream stream(computer, {"A", "B"}, sectors, "BENCH");
  const auto bars = flat(kN);
  for (int i = 0; i < kN; ++i) {
    const Bar& bar = bars[static_cast<std::size_t>(i)];
    // B has no bar on the last date: not ready on that step.
    const std::vector<const Bar*> today = {&bar, i == kN - 1 ? nullptr : &bar};
    ASSERT_EQ(stream.try_step(bar, today), FeatureStatus::kReady);
    if (i < kN - 1) {
      EXPECT_TRUE(stream.row(0).is_none()) << "bar " << i;
      EXPECT_TRUE(stream.row(1).is_none()) << "bar " << i;
    }
  }
  EXPECT_EQ(stream.status(0), FeatureStatus::kReady);
  EXPECT_EQ(stream.row(0).values.size(), 28U);
  EXPECT_NE(stream.status(1), FeatureStatus::kReady);
  EXPECT_TRUE(stream.row(1).is_none());
  EXPECT_TRUE(stream.row(7).is_none());  // no such symbol
}

TEST(UniverseStream, RejectedBenchmarkBarLeavesNoRowOfThePreviousDate) {
  const FeatureComputer computer = ml_v1();
  SectorMap sectors;
  sectors.sector_of = {{"A", "tech"}};
  UniverseStream stream(computer, {"A"}, sectors, "BENCH");
  const auto bars = flat(kN + 1);
  for (int i = 0; i < kN; ++i) {
    const Bar& bar = bars[static_cast<std::size_t>(i)];
    const std::vector<const Bar*> today = {&bar};
    ASSERT_EQ(stream.try_step(bar, today), FeatureStatus::kReady);
  }
  ASSERT_FALSE(stream.row(0).is_none());
  // The same date again: the benchmark refuses it, and A's row of that
  // date is not offered a second time.
  const Bar& last = bars[kN - 1];
  const std::vector<const Bar*> again = {&last};
  EXPECT_EQ(stream.try_step(last, again), FeatureStatus::kOutOfOrder);
  EXPECT_EQ(stream.status(0), FeatureStatus::kMissingBenchmark);
  EXPECT_TRUE(stream.row(0).is_none());
  // Nothing was pushed: the next date steps as if the refused one never came.
  const Bar& next = bars[kN];
  const std::vector<const Bar*> tomorrow = {&next};
  EXPECT_EQ(stream.try_step(next, tomorrow), FeatureStatus::kReady);
  EXPECT_EQ(stream.status(0), FeatureStatus::kReady);
  EXPECT_EQ(stream.stream(0).bar_count(), kN + 1);
}

TEST(FeatureRow, NoneIsTheDefaultValue) {
  constexpr FeatureRow none = FeatureRow::none();
  static_assert(none.is_none());
  static_assert(FeatureRow{}.is_none());
  const std::vector<float> values(28, 1.0f);
  const FeatureComputer computer = ml_v1();
  EXPECT_FALSE((FeatureRow{computer.schema().get(), {}}).is_none());
  EXPECT_FALSE((FeatureRow{nullptr, values}).is_none());
}

}  // namespace
}  // namespace mlgov
