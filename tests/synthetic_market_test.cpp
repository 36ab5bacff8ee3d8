// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The synthetic market: determinism to the byte, the spec's bar rules, the
// business-day calendar, sectors, the benchmark, and realistic volatility.
#include "mlgov/offline/synthetic_market.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/bars.h"
#include "test_support.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using mlgov::testing::TempDir;

SyntheticMarketOptions small(std::uint64_t seed = 7) {
  SyntheticMarketOptions o;
  o.symbols = 24;
  o.years = 2;
  o.sectors = 5;
  o.seed = seed;
  return o;
}

// FNV-1a 64 over every file of `dir` in name order (name, NUL, content, NUL).
std::uint64_t hash_directory(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::uint64_t h = 1469598103934665603ULL;
  auto feed = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0;
    h *= 1099511628211ULL;
  };
  for (const auto& f : files) {
    feed(f.filename().string());
    feed(read_file(f));
  }
  return h;
}

// 0 = Monday .. 6 = Sunday for a midnight BarTime (1970-01-01 was a Thursday).
int weekday(BarTime t) { return static_cast<int>(((t / 86400) % 7 + 3) % 7); }

double annualised_log_return_vol(const BarSeries& s) {
  std::vector<double> r;
  for (std::size_t i = 1; i < s.bars.size(); ++i) {
    r.push_back(std::log(s.bars[i].close / s.bars[i - 1].close));
  }
  double mean = 0;
  for (double x : r) mean += x;
  mean /= static_cast<double>(r.size());
  double ss = 0;
  for (double x : r) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(r.size() - 1)) * std::sqrt(252.0);
}

TEST(SyntheticMarket, SameSeedWritesTheSameBytes) {
  TempDir a, b;
  write_synthetic_market(generate_synthetic_market(small()), a.path());
  write_synthetic_market(generate_synthetic_market(small()), b.path());
  EXPECT_EQ(hash_directory(a.path()), hash_directory(b.path()));
}

TEST(SyntheticMarket, DifferentSeedWritesDifferentBars) {
  TempDir a, b;
  write_synthetic_market(generate_synthetic_market(small(7)), a.path());
  write_synthetic_market(generate_synthetic_market(small(8)), b.path());
  EXPECT_NE(read_file(a / "S001.csv"), read_file(b / "S001.csv"));
  EXPECT_NE(read_file(a / "SPX.csv"), read_file(b / "SPX.csv"));
}

TEST(SyntheticMarket, WritesOneFilePerSymbolPlusBenchmarkAndSectors) {
  TempDir dir;
  write_synthetic_market(generate_synthetic_market(small()), dir.path());
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.insert(e.path().filename().string());
  }
  std::set<std::string> expected = {"SPX.csv", "sectors.csv"};
  for (int i = 1; i <= 24; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "S%03d.csv", i);
    expected.insert(name);
  }
  EXPECT_EQ(names, expected);
}

TEST(SyntheticMarket, DefaultsAre225SymbolsOf2520BusinessDaysIn11Sectors) {
  const SyntheticMarket m = generate_synthetic_market(SyntheticMarketOptions{});
  ASSERT_EQ(m.symbols.size(), 225u);
  EXPECT_EQ(m.symbols.front().symbol, "S001");
  EXPECT_EQ(m.symbols.back().symbol, "S225");
  for (const auto& s : m.symbols) ASSERT_EQ(s.bars.size(), 2520u) << s.symbol;  // 10 x 252
  EXPECT_EQ(m.benchmark.symbol, "SPX");
  EXPECT_EQ(m.benchmark.bars.size(), 2520u);
  std::set<std::string> sectors;
  for (const auto& [sym, sec] : m.sectors.sector_of) sectors.insert(sec);
  EXPECT_EQ(sectors.size(), 11u);
  EXPECT_EQ(*sectors.begin(), "SEC01");
  EXPECT_EQ(*sectors.rbegin(), "SEC11");
  EXPECT_EQ(m.sectors.sector_of.size(), 225u);
}

TEST(SyntheticMarket, EverySeriesPassesTheSpecRules) {
  const SyntheticMarket m = generate_synthetic_market(small());
  for (const auto& s : m.symbols) EXPECT_NO_THROW(validate_bars(s)) << s.symbol;
  EXPECT_NO_THROW(validate_bars(m.benchmark));
}

TEST(SyntheticMarket, WrittenFilesLoadBackToTheSameBars) {
  // Prices are multiples of 1e-4 written with four decimals, so the strict
  // loader reads back exactly the doubles generated.
  TempDir dir;
  const SyntheticMarket m = generate_synthetic_market(small());
  write_synthetic_market(m, dir.path());
  for (const BarSeries* s : {&m.symbols.front(), &m.symbols.back(), &m.benchmark}) {
    const BarSeries loaded = load_bars_csv(dir / (s->symbol + ".csv"), s->symbol);
    ASSERT_EQ(loaded.bars.size(), s->bars.size());
    for (std::size_t i = 0; i < s->bars.size(); ++i) {
      const Bar& x = s->bars[i];
      const Bar& y = loaded.bars[i];
      ASSERT_EQ(x.time, y.time) << s->symbol << " bar " << i;
      ASSERT_EQ(x.open, y.open) << s->symbol << " bar " << i;
      ASSERT_EQ(x.high, y.high) << s->symbol << " bar " << i;
      ASSERT_EQ(x.low, y.low) << s->symbol << " bar " << i;
      ASSERT_EQ(x.close, y.close) << s->symbol << " bar " << i;
      ASSERT_EQ(x.volume, y.volume) << s->symbol << " bar " << i;
    }
  }
  const SectorMap sectors = load_sector_map(dir / "sectors.csv");
  EXPECT_EQ(sectors.sector_of, m.sectors.sector_of);
}

TEST(SyntheticMarket, DatesAreConsecutiveBusinessDaysFromTheStart) {
  const SyntheticMarket m = generate_synthetic_market(small());
  const auto& bars = m.benchmark.bars;
  // 2010-01-04 (a Monday) is day 14613 since the epoch: 40 years of 365 days
  // plus 10 leap days (1972..2008) = 14610, plus 3 days into January.
  EXPECT_EQ(bars.front().time, 14613LL * 86400);
  EXPECT_EQ(format_bar_time(bars.front().time), "2010-01-04");
  for (std::size_t i = 0; i < bars.size(); ++i) {
    ASSERT_LT(weekday(bars[i].time), 5) << format_bar_time(bars[i].time);
    if (i == 0) continue;
    const BarTime gap = bars[i].time - bars[i - 1].time;
    // Monday follows Friday after 3 days; any other business day after 1.
    ASSERT_EQ(gap, (weekday(bars[i].time) == 0 ? 3 : 1) * 86400) << format_bar_time(bars[i].time);
  }
  // 504 business days = 100 full weeks + 4 days: the last bar is a Thursday,
  // 100 * 7 + 3 = 703 days after the first.
  EXPECT_EQ(bars.back().time, bars.front().time + 703LL * 86400);
}

TEST(SyntheticMarket, WeekendStartMovesToMonday) {
  SyntheticMarketOptions o = small();
  o.start_date = "2010-01-02";  // a Saturday
  EXPECT_EQ(format_bar_time(generate_synthetic_market(o).benchmark.bars.front().time),
            "2010-01-04");
}

TEST(SyntheticMarket, BenchmarkHasABarOnEveryDateOfEverySymbol) {
  const SyntheticMarket m = generate_synthetic_market(small());
  for (const auto& s : m.symbols) {
    ASSERT_EQ(s.bars.size(), m.benchmark.bars.size());
    for (std::size_t i = 0; i < s.bars.size(); ++i) {
      ASSERT_EQ(s.bars[i].time, m.benchmark.bars[i].time) << s.symbol << " bar " << i;
    }
  }
}

TEST(SyntheticMarket, SectorsAreSpreadRoundRobin) {
  const SyntheticMarket m = generate_synthetic_market(small());  // 24 symbols, 5 sectors
  EXPECT_EQ(m.sectors.sector_of.at("S001"), "SEC01");
  EXPECT_EQ(m.sectors.sector_of.at("S005"), "SEC05");
  EXPECT_EQ(m.sectors.sector_of.at("S006"), "SEC01");
  EXPECT_EQ(m.sectors.sector_of.at("S024"), "SEC04");
  // 24 = 4 * 5 + 4: sectors 1..4 hold 5 symbols, sector 5 holds 4.
  std::map<std::string, int> count;
  for (const auto& [sym, sec] : m.sectors.sector_of) ++count[sec];
  EXPECT_EQ(count, (std::map<std::string, int>{
                       {"SEC01", 5}, {"SEC02", 5}, {"SEC03", 5}, {"SEC04", 5}, {"SEC05", 4}}));
}

TEST(SyntheticMarket, VolatilityIsRealistic) {
  // Stocks are built for 20%..40% a year; over 10 years the realised figure
  // may stray a little (t-distributed shocks, GARCH market), hence 15%..50%.
  // The market factor is ~1%/day: the index's daily vol is in 0.6%..1.6%.
  SyntheticMarketOptions o;
  o.symbols = 40;
  const SyntheticMarket m = generate_synthetic_market(o);
  for (const auto& s : m.symbols) {
    const double vol = annualised_log_return_vol(s);
    EXPECT_GT(vol, 0.15) << s.symbol;
    EXPECT_LT(vol, 0.50) << s.symbol;
  }
  const double index_daily = annualised_log_return_vol(m.benchmark) / std::sqrt(252.0);
  EXPECT_GT(index_daily, 0.006);
  EXPECT_LT(index_daily, 0.016);
}

TEST(SyntheticMarket, ReturnsHaveFatTails) {
  // Student-t shocks: the pooled excess kurtosis of daily log returns is
  // clearly above the normal's 0.
  SyntheticMarketOptions o;
  o.symbols = 20;
  const SyntheticMarket m = generate_synthetic_market(o);
  double excess_sum = 0;
  for (const auto& s : m.symbols) {
    std::vector<double> r;
    for (std::size_t i = 1; i < s.bars.size(); ++i) {
      r.push_back(std::log(s.bars[i].close / s.bars[i - 1].close));
    }
    double mean = 0;
    for (double x : r) mean += x;
    mean /= static_cast<double>(r.size());
    double m2 = 0, m4 = 0;
    for (double x : r) {
      m2 += (x - mean) * (x - mean);
      m4 += (x - mean) * (x - mean) * (x - mean) * (x - mean);
    }
    m2 /= static_cast<double>(r.size());
    m4 /= static_cast<double>(r.size());
    excess_sum += m4 / (m2 * m2) - 3;
  }
  EXPECT_GT(excess_sum / 20, 0.5);
}

TEST(SyntheticMarket, VolumesArePositiveExceptRareZeroDays) {
  const SyntheticMarket m = generate_synthetic_market(small());
  std::size_t zero = 0, total = 0;
  for (const auto& s : m.symbols) {
    for (const auto& b : s.bars) {
      ASSERT_GE(b.volume, 0);
      ASSERT_EQ(b.volume, std::floor(b.volume));  // whole shares
      zero += b.volume == 0;
      ++total;
    }
  }
  EXPECT_LT(zero * 1000, total);  // fewer than 1 in 1000
  for (const auto& b : m.benchmark.bars) ASSERT_GT(b.volume, 0);
}

TEST(SyntheticMarket, ASymbolDoesNotDependOnTheUniverseSize) {
  // Each symbol draws from its own stream: S001 of a 5-symbol universe equals
  // S001 of a 24-symbol one with the same seed, years and sectors.
  SyntheticMarketOptions few = small();
  few.symbols = 5;
  const SyntheticMarket a = generate_synthetic_market(few);
  const SyntheticMarket b = generate_synthetic_market(small());
  ASSERT_EQ(a.symbols[0].bars.size(), b.symbols[0].bars.size());
  for (std::size_t i = 0; i < a.symbols[0].bars.size(); ++i) {
    ASSERT_EQ(a.symbols[0].bars[i].close, b.symbols[0].bars[i].close) << i;
  }
}

TEST(SyntheticMarket, SymbolNamesWidenPast999) {
  SyntheticMarketOptions o;
  o.symbols = 1000;
  o.years = 1;
  const SyntheticMarket m = generate_synthetic_market(o);
  EXPECT_EQ(m.symbols.front().symbol, "S0001");
  EXPECT_EQ(m.symbols.back().symbol, "S1000");
}

TEST(SyntheticMarket, OutOfRangeOptionsAreRefusedByName) {
  auto expect_refused = [](SyntheticMarketOptions o, const std::string& name) {
    try {
      generate_synthetic_market(o);
      ADD_FAILURE() << "expected std::invalid_argument for " << name;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  SyntheticMarketOptions o = small();
  o.symbols = 0;
  expect_refused(o, "symbols");
  o = small();
  o.years = 0;
  expect_refused(o, "years");
  o = small();
  o.sectors = 0;
  expect_refused(o, "sectors");
  o = small();
  o.sectors = 25;  // more sectors than the 24 symbols
  expect_refused(o, "sectors");
  for (const char* bad_date : {"2010-02-30", "2010-1-04", "20100104", "", "2010-13-01"}) {
    o = small();
    o.start_date = bad_date;
    expect_refused(o, "start_date");
  }
  for (const char* bad_benchmark : {"", "..", "../SPX", "a/b", "sectors", "S001"}) {
    o = small();
    o.benchmark_symbol = bad_benchmark;
    expect_refused(o, "benchmark_symbol");
  }
}

TEST(SyntheticMarket, WriteRefusesUnsafeSymbolNames) {
  TempDir dir;
  SyntheticMarket m = generate_synthetic_market(small());
  m.symbols[0].symbol = "../escape";
  EXPECT_THROW(write_synthetic_market(m, dir / "out"), std::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir / "escape.csv"));
}

TEST(SynthCommand, WritesTheMarketAndRefusesBadOptions) {
  if (mlgov::testing::cli_path().empty()) GTEST_SKIP() << "tools not built";
  TempDir dir;
  std::string out;
  const std::string cli = mlgov::testing::cli_path();
  ASSERT_EQ(mlgov::testing::run_command(cli +
                                            " synth --symbols 24 --years 2 --sectors 5 --seed 7 "
                                            "--out " +
                                            (dir / "m").string(),
                                        &out),
            0)
      << out;
  TempDir lib;
  write_synthetic_market(generate_synthetic_market(small()), lib.path());
  EXPECT_EQ(hash_directory(dir / "m"), hash_directory(lib.path()));

  EXPECT_EQ(
      mlgov::testing::run_command(cli + " synth --sectors 0 --out " + (dir / "x").string(), &out),
      2);
  EXPECT_NE(out.find("sectors"), std::string::npos) << out;
  EXPECT_EQ(mlgov::testing::run_command(cli + " synth --symbols 3", &out), 2);  // --out missing
}

}  // namespace
}  // namespace mlgov
