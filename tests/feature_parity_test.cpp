// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Batch and streaming give the same float32 bits for every row, and a row
// depends only on its window (finite memory): docs/features_ml_v1.md,
// principles 1 and 2. Compared bit for bit, never with a tolerance.
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mlgov/bars.h"
#include "mlgov/errors.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/offline/synthetic_market.h"
#include "test_support.h"

namespace mlgov {
namespace {

using testing::source_dir;

FeatureComputer ml_v1() {
  return FeatureComputer(load_feature_contract("ml_v1", source_dir() / "contracts"));
}

BarSeries real(const std::string& symbol) {
  return load_bars_csv(source_dir() / "data" / "real" / (symbol + ".csv"), symbol);
}

// Asserts a == b bit for bit; names the row and column of the first difference.
void expect_same_bits(std::span<const float> a, std::span<const float> b,
                      const std::vector<std::string>& columns, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (std::size_t j = 0; j < a.size(); ++j) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(a[j]), std::bit_cast<std::uint32_t>(b[j]))
        << where << " column " << columns[j] << ": " << a[j] << " vs " << b[j];
  }
}

// Streams `bars` against `benchmark` with FeatureStream/BenchmarkStream, one
// bar at a time, and checks each ready row against the batch frame's row.
void expect_streaming_equals_batch(const BarSeries& bars, const BarSeries& benchmark) {
  const FeatureComputer computer = ml_v1();
  const FeatureFrame frame = computer.compute_symbol(bars, benchmark);
  ASSERT_GT(frame.rows(), 0U);

  BenchmarkStream bench;
  FeatureStream stream(computer, bars.symbol);
  std::size_t next_row = 0;
  std::size_t j = 0;
  for (const Bar& bar : bars.bars) {
    while (j < benchmark.bars.size() && benchmark.bars[j].time <= bar.time) {
      ASSERT_EQ(bench.try_update(benchmark.bars[j]), FeatureStatus::kReady);
      ++j;
    }
    const FeatureStatus status = stream.try_update(bar, bench);
    if (status == FeatureStatus::kInsufficientHistory) continue;
    ASSERT_EQ(status, FeatureStatus::kReady) << format_bar_time(bar.time);
    ASSERT_LT(next_row, frame.rows());
    ASSERT_EQ(frame.times[next_row], bar.time);
    expect_same_bits(stream.row().values, frame.row_values(next_row), frame.columns(),
                     bars.symbol + " " + format_bar_time(bar.time));
    ++next_row;
  }
  EXPECT_EQ(next_row, frame.rows());
  EXPECT_EQ(frame.rows(), bars.bars.size() - 252);
}

// Rows of `a` and `b` on the same (date, symbol) must agree bit for bit;
// returns how many were compared.
std::size_t expect_common_rows_equal(const FeatureFrame& a, const FeatureFrame& b) {
  std::map<std::pair<BarTime, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < b.rows(); ++i) index[{b.times[i], b.symbols[i]}] = i;
  std::size_t compared = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    const auto it = index.find({a.times[i], a.symbols[i]});
    if (it == index.end()) continue;
    expect_same_bits(a.row_values(i), b.row_values(it->second), a.columns(),
                     a.symbols[i] + " " + format_bar_time(a.times[i]));
    if (::testing::Test::HasFatalFailure()) return compared;
    ++compared;
  }
  return compared;
}

BarSeries drop_leading(const BarSeries& s, std::size_t n) {
  BarSeries out = s;
  out.bars.erase(out.bars.begin(), out.bars.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

// A small deterministic universe independent of the library's generator:
// random-walk closes with OHLC around them, 5 sectors, some symbols starting
// late and some skipping dates (a gap must not shift the benchmark return).
struct Universe {
  std::vector<BarSeries> symbols;
  BarSeries benchmark;
  SectorMap sectors;
};

Universe make_universe(int n_symbols, int n_dates) {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto uniform = [&state]() {  // splitmix64 -> [0, 1)
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  };
  auto make_bar = [&](BarTime t, double prev_close, double ret) {
    Bar b;
    b.time = t;
    b.close = prev_close * (1.0 + ret);
    b.open = prev_close * (1.0 + 0.01 * (uniform() - 0.5));
    b.high = std::max(b.open, b.close) * (1.0 + 0.01 * uniform());
    b.low = std::min(b.open, b.close) * (1.0 - 0.01 * uniform());
    b.volume = std::floor(1e5 + 1e6 * uniform());
    return b;
  };
  Universe u;
  u.benchmark.symbol = "BENCH";
  const BarTime start = 1262563200;  // 2010-01-04
  std::vector<double> market(static_cast<std::size_t>(n_dates));
  double bench_close = 1000;
  for (int d = 0; d < n_dates; ++d) {
    market[static_cast<std::size_t>(d)] = 0.02 * (uniform() - 0.5);
    const Bar b = make_bar(start + 86400LL * d, bench_close, market[static_cast<std::size_t>(d)]);
    bench_close = b.close;
    u.benchmark.bars.push_back(b);
  }
  u.sectors.source = "(test universe)";
  for (int s = 0; s < n_symbols; ++s) {
    BarSeries series;
    series.symbol = "S" + std::to_string(100 + s);
    u.sectors.sector_of[series.symbol] = "SEC" + std::to_string(s % 5);
    const int first = s % 7 == 3 ? 40 + s : 0;  // some start late
    double close = 20 + 5 * s;
    for (int d = first; d < n_dates; ++d) {
      if (s % 11 == 5 && d % 37 == 10) continue;  // some skip dates
      // a few identical ret_20d ties come from flat stretches in symbol 0
      const double ret = s == 0 && d % 50 < 25
                             ? 0.0
                             : 1.2 * market[static_cast<std::size_t>(d)] + 0.03 * (uniform() - 0.5);
      const Bar b = make_bar(start + 86400LL * d, close, ret);
      close = b.close;
      series.bars.push_back(b);
    }
    u.symbols.push_back(std::move(series));
  }
  return u;
}

TEST(FeatureParity, StreamingEqualsBatchForGoogAgainstSpx) {
  expect_streaming_equals_batch(real("GOOG"), real("SPX"));
}

TEST(FeatureParity, StreamingEqualsBatchForSpxAgainstItself) {
  expect_streaming_equals_batch(real("SPX"), real("SPX"));
}

// Steps a UniverseStream date by date and checks every ready row against
// compute_universe's frame.
void expect_universe_streaming_equals_batch(const Universe& u) {
  const FeatureComputer computer = ml_v1();
  const FeatureFrame frame = computer.compute_universe(u.symbols, u.benchmark, u.sectors);
  ASSERT_GT(frame.rows(), 1000U);

  std::vector<std::string> names;
  for (const auto& s : u.symbols) names.push_back(s.symbol);
  UniverseStream stream(computer, names, u.sectors, u.benchmark.symbol);
  std::vector<std::size_t> cursor(u.symbols.size(), 0);
  std::vector<const Bar*> today(u.symbols.size());
  std::size_t next_row = 0;
  for (const Bar& bench_bar : u.benchmark.bars) {
    for (std::size_t i = 0; i < u.symbols.size(); ++i) {
      const auto& bars = u.symbols[i].bars;
      today[i] = cursor[i] < bars.size() && bars[cursor[i]].time == bench_bar.time
                     ? &bars[cursor[i]++]
                     : nullptr;
    }
    ASSERT_EQ(stream.try_step(bench_bar, today), FeatureStatus::kReady);
    for (std::size_t i = 0; i < u.symbols.size(); ++i) {
      if (stream.status(i) != FeatureStatus::kReady) continue;
      ASSERT_LT(next_row, frame.rows());
      ASSERT_EQ(frame.times[next_row], bench_bar.time);
      ASSERT_EQ(frame.symbols[next_row], u.symbols[i].symbol);
      expect_same_bits(stream.row(i).values, frame.row_values(next_row), frame.columns(),
                       u.symbols[i].symbol + " " + format_bar_time(bench_bar.time));
      ++next_row;
    }
  }
  EXPECT_EQ(next_row, frame.rows());
}

Universe synthetic(int years) {
  SyntheticMarketOptions options;
  options.symbols = 50;
  options.years = years;
  options.sectors = 5;
  options.seed = 11;
  SyntheticMarket m = generate_synthetic_market(options);
  return Universe{std::move(m.symbols), std::move(m.benchmark), std::move(m.sectors)};
}

// Drops every bar before the benchmark's `n`-th date (not n bars per symbol:
// symbols with gaps would then start on different dates and change the
// ranked set).
Universe drop_leading_dates(const Universe& u, std::size_t n) {
  Universe late = u;
  const BarTime cut = u.benchmark.bars[n].time;
  for (auto& s : late.symbols) {
    std::size_t k = 0;
    while (k < s.bars.size() && s.bars[k].time < cut) ++k;
    s = drop_leading(s, k);
  }
  return late;
}

TEST(FeatureParity, UniverseStreamingEqualsBatchForASyntheticFiftySymbolMarket) {
  expect_universe_streaming_equals_batch(synthetic(2));
}

TEST(FeatureParity, UniverseStreamingEqualsBatchWithGapsLateStartsAndTies) {
  expect_universe_streaming_equals_batch(make_universe(50, 400));
}

TEST(FeatureParity, UniverseBatchGivesTheSameBitsForEveryThreadCount) {
  // compute_universe splits symbols (then dates) across worker threads; the
  // frame must not depend on how: same rows, same order, same bits.
  const Universe u = make_universe(50, 400);
  const auto contract = load_feature_contract("ml_v1", source_dir() / "contracts");
  FeatureComputerOptions one;
  one.threads = 1;
  const FeatureFrame base =
      FeatureComputer(contract, one).compute_universe(u.symbols, u.benchmark, u.sectors);
  ASSERT_GT(base.rows(), 1000U);
  for (int threads : {2, 3, 7, 64}) {
    FeatureComputerOptions options;
    options.threads = threads;
    const FeatureFrame frame =
        FeatureComputer(contract, options).compute_universe(u.symbols, u.benchmark, u.sectors);
    ASSERT_EQ(frame.rows(), base.rows()) << threads << " threads";
    ASSERT_EQ(frame.times, base.times) << threads << " threads";
    ASSERT_EQ(frame.symbols, base.symbols) << threads << " threads";
    for (std::size_t i = 0; i < base.rows(); ++i) {
      expect_same_bits(frame.row_values(i), base.row_values(i), base.columns(),
                       std::to_string(threads) + " threads, row " + std::to_string(i));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(FeatureParity, UniverseBatchReportsTheEarliestMissingBenchmarkDateFirst) {
  // Date by date, the first symbol bar the benchmark lacks is the error, even
  // when a later-listed symbol holds it: the benchmark lacks 2010-01-10 and
  // 2010-01-06 (days 6 and 2 after 2010-01-04); S1 (listed first) trades on
  // the 10th, S2 on the 6th, so the error names S2 and 2010-01-06.
  const BarTime day0 = 1262563200;  // 2010-01-04
  auto flat_bars = [&](const std::vector<int>& days) {
    std::vector<Bar> bars;
    for (int d : days) {
      Bar b;
      b.time = day0 + 86400LL * d;
      b.open = 10;
      b.high = 11;
      b.low = 9;
      b.close = 10;
      b.volume = 1000;
      bars.push_back(b);
    }
    return bars;
  };
  std::vector<int> bench_days;
  for (int d = 0; d < 300; ++d) {
    if (d != 2 && d != 6) bench_days.push_back(d);
  }
  std::vector<int> s1_days = bench_days;
  s1_days.insert(s1_days.begin() + 5, 6);  // 0, 1, 3, 4, 5, 6, 7, ...
  std::vector<int> s2_days = bench_days;
  s2_days.insert(s2_days.begin() + 2, 2);  // 0, 1, 2, 3, ...
  auto series = [&](const std::string& symbol, const std::vector<int>& days) {
    BarSeries s;
    s.symbol = symbol;
    s.bars = flat_bars(days);
    return s;
  };
  const BarSeries bench = series("SPX", bench_days);
  const std::vector<BarSeries> u = {series("S1", s1_days), series("S2", s2_days)};
  SectorMap sectors;
  sectors.sector_of = {{"S1", "A"}, {"S2", "A"}};
  for (int threads : {1, 2}) {
    FeatureComputerOptions options;
    options.threads = threads;
    try {
      FeatureComputer(load_feature_contract("ml_v1", source_dir() / "contracts"), options)
          .compute_universe(u, bench, sectors);
      FAIL() << "expected DataError";
    } catch (const DataError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find("S2: the benchmark SPX has no bar on 2010-01-06"), 0U) << what;
    }
  }
}

TEST(FeatureParity, PerSymbolStreamsEqualTheUniverseExceptTheRank) {
  // The universe adds only cross_rank_sector: every other column of a symbol
  // is what its own FeatureStream gives.
  const Universe u = make_universe(12, 320);
  const FeatureComputer computer = ml_v1();
  const FeatureFrame frame = computer.compute_universe(u.symbols, u.benchmark, u.sectors);
  const std::size_t rank_col = *frame.column_index("cross_rank_sector");
  for (const BarSeries& s : u.symbols) {
    const FeatureFrame own = computer.compute_symbol(s, u.benchmark);
    std::map<BarTime, std::size_t> at;
    for (std::size_t i = 0; i < frame.rows(); ++i) {
      if (frame.symbols[i] == s.symbol) at[frame.times[i]] = i;
    }
    ASSERT_EQ(at.size(), own.rows()) << s.symbol;
    for (std::size_t r = 0; r < own.rows(); ++r) {
      const auto u_row = frame.row_values(at.at(own.times[r]));
      const auto o_row = own.row_values(r);
      for (std::size_t j = 0; j < frame.cols(); ++j) {
        if (j == rank_col) continue;
        ASSERT_EQ(std::bit_cast<std::uint32_t>(u_row[j]), std::bit_cast<std::uint32_t>(o_row[j]))
            << s.symbol << " " << frame.columns()[j];
      }
    }
  }
}

TEST(FeatureParity, FiveHundredExtraLeadingBarsChangeNothingForSpx) {
  const FeatureComputer computer = ml_v1();
  const BarSeries spx = real("SPX");
  const BarSeries late = drop_leading(spx, 500);
  const FeatureFrame full = computer.compute_symbol(spx, spx);
  const FeatureFrame shorter = computer.compute_symbol(late, spx);
  EXPECT_EQ(expect_common_rows_equal(shorter, full), shorter.rows());
}

TEST(FeatureParity, FiveHundredExtraLeadingBarsChangeNothingForGoog) {
  const FeatureComputer computer = ml_v1();
  const BarSeries goog = real("GOOG");
  const BarSeries spx = real("SPX");
  const FeatureFrame full = computer.compute_symbol(goog, spx);
  const FeatureFrame shorter = computer.compute_symbol(drop_leading(goog, 500), spx);
  ASSERT_EQ(shorter.rows(), goog.bars.size() - 500 - 252);
  EXPECT_EQ(expect_common_rows_equal(shorter, full), shorter.rows());
}

void expect_leading_dates_change_nothing(const Universe& u) {
  const Universe late = drop_leading_dates(u, 500);
  const FeatureComputer computer = ml_v1();
  const FeatureFrame full = computer.compute_universe(u.symbols, u.benchmark, u.sectors);
  const FeatureFrame shorter = computer.compute_universe(late.symbols, u.benchmark, u.sectors);
  ASSERT_GT(shorter.rows(), 1000U);
  EXPECT_EQ(expect_common_rows_equal(shorter, full), shorter.rows());
}

TEST(FeatureParity, FiveHundredExtraLeadingDatesChangeNothingForASyntheticMarket) {
  expect_leading_dates_change_nothing(synthetic(4));
}

TEST(FeatureParity, FiveHundredExtraLeadingDatesChangeNothingWithGapsAndLateStarts) {
  expect_leading_dates_change_nothing(make_universe(50, 900));
}

TEST(FeatureParity, EveryValueOfTheRealDataIsFinite) {
  const FeatureComputer computer = ml_v1();
  const FeatureFrame frame = computer.compute_symbol(real("GOOG"), real("SPX"));
  for (float v : frame.values) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace mlgov
