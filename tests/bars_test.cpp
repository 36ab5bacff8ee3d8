// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The strict bar and sector-map loaders: every input rule of
// docs/features_ml_v1.md is a DataError naming the file, the 1-based line and
// the rule broken.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "mlgov/bars.h"
#include "mlgov/errors.h"
#include "test_support.h"

namespace mlgov {
namespace {

using testing::TempDir;
using testing::write_text;

constexpr const char* kHeader = "date,open,high,low,close,volume\n";
constexpr const char* kGood1 = "2024-01-02,10,11,9,10.5,1000\n";
constexpr const char* kGood2 = "2024-01-03,10.5,12,10,11,2000\n";

// Loading `content` must throw a DataError whose message holds
// "<file>:<line>:" and `rule`.
void expect_rejected(const std::string& content, int line, const std::string& rule) {
  TempDir dir;
  const auto file = dir / "BAD.csv";
  write_text(file, content);
  try {
    load_bars_csv(file, "BAD");
    FAIL() << "expected DataError for rule " << rule;
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string() + ":" + std::to_string(line) + ":"), std::string::npos)
        << what;
    EXPECT_NE(what.find(rule), std::string::npos) << what;
  }
}

TEST(LoadBarsCsv, ReadsAValidFile) {
  TempDir dir;
  write_text(dir / "X.csv", std::string(kHeader) + kGood1 + kGood2);
  const BarSeries s = load_bars_csv(dir / "X.csv", "X");
  EXPECT_EQ(s.symbol, "X");
  EXPECT_EQ(s.source, (dir / "X.csv").string());
  ASSERT_EQ(s.bars.size(), 2U);
  EXPECT_EQ(format_bar_time(s.bars[0].time), "2024-01-02");
  EXPECT_EQ(s.bars[1].open, 10.5);
  EXPECT_EQ(s.bars[1].high, 12);
  EXPECT_EQ(s.bars[1].low, 10);
  EXPECT_EQ(s.bars[1].close, 11);
  EXPECT_EQ(s.bars[1].volume, 2000);
}

TEST(LoadBarsCsv, AcceptsATimePartAndCrlfLineEnds) {
  TempDir dir;
  write_text(dir / "X.csv",
             "date,open,high,low,close,volume\r\n2024-01-02T15:30:00,10,11,9,10,0\r\n");
  const BarSeries s = load_bars_csv(dir / "X.csv", "X");
  ASSERT_EQ(s.bars.size(), 1U);
  EXPECT_EQ(format_bar_time(s.bars[0].time), "2024-01-02T15:30:00");
  EXPECT_EQ(s.bars[0].volume, 0);  // zero volume is allowed
}

TEST(LoadBarsCsv, RejectsAMissingFile) {
  TempDir dir;
  try {
    load_bars_csv(dir / "NOPE.csv", "NOPE");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("NOPE.csv"), std::string::npos) << e.what();
  }
}

TEST(LoadBarsCsv, RejectsAnEmptyFileAsAWrongHeader) { expect_rejected("", 1, "wrong header"); }

TEST(LoadBarsCsv, RejectsAWrongHeader) {
  expect_rejected(std::string("date,open,high,low,close\n") + kGood1, 1, "wrong header");
}

TEST(LoadBarsCsv, RejectsAHeaderlessFile) {
  expect_rejected(std::string(kGood1) + kGood2, 1, "wrong header");
}

TEST(LoadBarsCsv, RejectsAShortRow) {
  expect_rejected(std::string(kHeader) + kGood1 + "2024-01-03,10,11,9,10\n", 3, "short row");
}

TEST(LoadBarsCsv, RejectsABlankLineAsAShortRow) {
  expect_rejected(std::string(kHeader) + kGood1 + "\n" + kGood2, 3, "short row");
}

TEST(LoadBarsCsv, RejectsALongRow) {
  expect_rejected(std::string(kHeader) + "2024-01-02,10,11,9,10,5,7\n", 2, "long row");
}

TEST(LoadBarsCsv, RejectsAnUnparseableNumber) {
  expect_rejected(std::string(kHeader) + kGood1 + "2024-01-03,10,11x,9,10,5\n", 3,
                  "unparseable number");
}

TEST(LoadBarsCsv, RejectsAnEmptyNumber) {
  expect_rejected(std::string(kHeader) + "2024-01-02,10,11,9,,5\n", 2, "unparseable number");
}

TEST(LoadBarsCsv, RejectsAnImpossibleDate) {
  expect_rejected(std::string(kHeader) + "2023-02-29,10,11,9,10,5\n", 2, "unparseable date");
}

TEST(LoadBarsCsv, RejectsADateInAnotherFormat) {
  expect_rejected(std::string(kHeader) + "01/02/2024,10,11,9,10,5\n", 2, "unparseable date");
}

TEST(LoadBarsCsv, RejectsADuplicateDate) {
  expect_rejected(std::string(kHeader) + kGood1 + kGood2 + "2024-01-03,11,12,10,11,5\n", 4,
                  "non-increasing or duplicate date");
}

TEST(LoadBarsCsv, RejectsADecreasingDate) {
  expect_rejected(std::string(kHeader) + kGood2 + kGood1, 3, "non-increasing or duplicate date");
}

TEST(LoadBarsCsv, RejectsANonPositivePrice) {
  expect_rejected(std::string(kHeader) + "2024-01-02,0,11,0,10,5\n", 2,
                  "non-finite or non-positive price");
}

TEST(LoadBarsCsv, RejectsANegativePrice) {
  expect_rejected(std::string(kHeader) + kGood1 + "2024-01-03,10,11,9,-10,5\n", 3,
                  "non-finite or non-positive price");
}

TEST(LoadBarsCsv, RejectsANonFinitePrice) {
  expect_rejected(std::string(kHeader) + "2024-01-02,10,inf,9,10,5\n", 2,
                  "non-finite or non-positive price");
  expect_rejected(std::string(kHeader) + "2024-01-02,10,11,9,nan,5\n", 2,
                  "non-finite or non-positive price");
}

TEST(LoadBarsCsv, RejectsANegativeVolume) {
  expect_rejected(std::string(kHeader) + kGood1 + "2024-01-03,10,11,9,10,-1\n", 3,
                  "negative or non-finite volume");
}

TEST(LoadBarsCsv, RejectsANonFiniteVolume) {
  expect_rejected(std::string(kHeader) + "2024-01-02,10,11,9,10,nan\n", 2,
                  "negative or non-finite volume");
}

TEST(LoadBarsCsv, RejectsHighBelowLow) {
  expect_rejected(std::string(kHeader) + "2024-01-02,10,9,11,10,5\n", 2, "high < low");
}

TEST(LoadBarsCsv, RejectsHighBelowOpenOrClose) {
  expect_rejected(std::string(kHeader) + "2024-01-02,10,10.5,9,11,5\n", 2,
                  "high < max(open, close)");
}

TEST(LoadBarsCsv, RejectsLowAboveOpenOrClose) {
  expect_rejected(std::string(kHeader) + "2024-01-02,9,11,9.5,10,5\n", 2, "low > min(open, close)");
}

// ------------------------------------------------------------ line cap

// The DataError `fn` throws (a failure if it throws nothing).
template <typename Fn>
std::string data_error_of(Fn fn) {
  try {
    fn();
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected DataError";
  return "";
}

TEST(LoadBarsCsv, RejectsALineLongerThanTheCapNamingItsLineAndTheCap) {
  TempDir dir;
  // Line 3 holds 65 bytes: one more than the cap of 64.
  write_text(dir / "X.csv",
             std::string(kHeader) + kGood1 + "2024-01-03," + std::string(54, '1') + "\n" + kGood2);
  const std::string what = data_error_of([&] { load_bars_csv(dir / "X.csv", "X", 64); });
  EXPECT_NE(what.find("X.csv:3:"), std::string::npos) << what;
  EXPECT_NE(what.find("line too long"), std::string::npos) << what;
  EXPECT_NE(what.find("64 bytes"), std::string::npos) << what;
  EXPECT_NE(what.find("limits.max_csv_line_bytes"), std::string::npos) << what;
}

TEST(LoadBarsCsv, AcceptsALineOfExactlyTheCap) {
  TempDir dir;
  const std::string row = "2024-01-02,10,11,9,10.5,1000";  // 28 bytes
  write_text(dir / "X.csv", std::string(kHeader) + row + "\n");
  EXPECT_EQ(load_bars_csv(dir / "X.csv", "X", 32).bars.size(), 1U);  // the header is 31
  EXPECT_EQ(load_bars_csv(dir / "X.csv", "X", 31).bars.size(), 1U);
  EXPECT_NE(data_error_of([&] { load_bars_csv(dir / "X.csv", "X", 30); }).find("X.csv:1:"),
            std::string::npos);
}

TEST(LoadBarsCsv, DefaultCapIs64KiB) {
  EXPECT_EQ(kDefaultMaxCsvLineBytes, 65536U);
  TempDir dir;
  // A volume field padded with leading zeros: 65536 bytes is read, 65537 is not.
  const std::string prefix = "2024-01-02,10,11,9,10.5,";
  write_text(dir / "ok.csv",
             std::string(kHeader) + prefix + std::string(65536 - prefix.size() - 1, '0') + "7\n");
  EXPECT_EQ(load_bars_csv(dir / "ok.csv", "X").bars.at(0).volume, 7);
  write_text(dir / "long.csv",
             std::string(kHeader) + prefix + std::string(65537 - prefix.size() - 1, '0') + "7\n");
  const std::string what = data_error_of([&] { load_bars_csv(dir / "long.csv", "X"); });
  EXPECT_NE(what.find("long.csv:2: line too long"), std::string::npos) << what;
  EXPECT_NE(what.find("65536"), std::string::npos) << what;
}

TEST(LoadBarsCsv, StopsReadingAnEndlessLineAtTheCap) {
  // /dev/zero is one line that never ends: a loader that read the whole line
  // before checking it would never return.
  if (!std::filesystem::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  const std::string what = data_error_of([] { load_bars_csv("/dev/zero", "Z", 4096); });
  EXPECT_NE(what.find("/dev/zero:1: line too long"), std::string::npos) << what;
}

// "YYYY-MM-DD" dates from 1900-01-01 on, one day per call (independent of
// the library's calendar: a plain month walk).
class DateWalk {
 public:
  std::string next() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y_, m_, d_);
    const bool leap = (y_ % 4 == 0 && y_ % 100 != 0) || y_ % 400 == 0;
    const int month_days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (++d_ > month_days[m_ - 1]) {
      d_ = 1;
      if (++m_ > 12) {
        m_ = 1;
        ++y_;
      }
    }
    return buf;
  }

 private:
  int y_ = 1900;
  int m_ = 1;
  int d_ = 1;
};

TEST(LoadBarsCsv, ReadsAFileOfManyReadBlocksWithLinesAcrossTheirEdges) {
  // 4 MB of rows of varying length: rows straddle every block edge the
  // reader has, whatever its block size.
  TempDir dir;
  std::string text = kHeader;
  const int n = 90000;
  DateWalk dates;
  std::string last_date;
  for (int i = 0; i < n; ++i) {
    last_date = dates.next();
    text += last_date + ",10,11,9," + std::to_string(9 + (i % 200) * 0.01) + "," +
            std::to_string(i) + (i % 3 == 0 ? "\r\n" : "\n");
  }
  write_text(dir / "big.csv", text);
  const BarSeries series = load_bars_csv(dir / "big.csv", "BIG");
  ASSERT_EQ(series.bars.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(series.bars[i].volume, i);
    ASSERT_EQ(series.bars[i].close, std::stod(std::to_string(9 + (i % 200) * 0.01))) << i;
  }
  EXPECT_EQ(format_bar_time(series.bars.back().time), last_date);
}

TEST(LoadBarsCsv, ReadsALineLongerThanAReadBlockWhenTheCapAllowsIt) {
  TempDir dir;
  std::string text = kHeader;
  DateWalk dates;
  for (int i = 0; i < 1000; ++i) text += dates.next() + ",10,11,9,10,1\n";
  // A volume of 3 MB: leading zeros, then 7.
  text += dates.next() + ",10,11,9,10," + std::string(3'000'000, '0') + "7\n";
  text += dates.next() + ",10,11,9,10,8\n";
  write_text(dir / "wide.csv", text);
  const BarSeries series = load_bars_csv(dir / "wide.csv", "W", 4'000'000);
  ASSERT_EQ(series.bars.size(), 1002U);
  EXPECT_EQ(series.bars[1000].volume, 7);
  EXPECT_EQ(series.bars[1001].volume, 8);
  const std::string what = data_error_of([&] { load_bars_csv(dir / "wide.csv", "W", 2'000'000); });
  EXPECT_NE(what.find("wide.csv:1002: line too long"), std::string::npos) << what;
}

TEST(LoadBarsCsv, ErrorQuotesAtMost80BytesOfTheOffendingField) {
  TempDir dir;
  const std::string field(5000, 'x');
  write_text(dir / "X.csv", std::string(kHeader) + "2024-01-02," + field + ",11,9,10.5,1000\n");
  const std::string what = data_error_of([&] { load_bars_csv(dir / "X.csv", "X"); });
  EXPECT_NE(what.find("open \"" + std::string(80, 'x') + "...\" is not a number"),
            std::string::npos)
      << what;
  EXPECT_EQ(what.find(std::string(81, 'x')), std::string::npos) << what;
}

TEST(LoadBarsCsv, ErrorWritesControlBytesAsEscapes) {
  TempDir dir;
  write_text(dir / "X.csv", std::string(kHeader) + std::string("2024-01-0\x01,1,1,1,1,1\n"));
  const std::string what = data_error_of([&] { load_bars_csv(dir / "X.csv", "X"); });
  EXPECT_NE(what.find("\"2024-01-0\\x01\" is not"), std::string::npos) << what;
}

TEST(ParseBarsCsv, ReadsTextWithTheFileRules) {
  const BarSeries s = parse_bars_csv(std::string(kHeader) + kGood1 + kGood2, "mem", "M");
  EXPECT_EQ(s.source, "mem");
  ASSERT_EQ(s.bars.size(), 2U);
  EXPECT_EQ(s.bars[1].close, 11);
  const std::string what =
      data_error_of([] { parse_bars_csv(std::string(kHeader) + kGood2 + kGood1, "mem", "M"); });
  EXPECT_NE(what.find("mem:3: non-increasing or duplicate date"), std::string::npos) << what;
}

TEST(ValidateBars, NamesTheSourceAndTheBarIndex) {
  BarSeries s;
  s.symbol = "MEM";
  s.source = "feed";
  s.bars = {{100, 10, 11, 9, 10, 1}, {100, 10, 11, 9, 10, 1}};
  try {
    validate_bars(s);
    FAIL();
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("feed bar 1"), std::string::npos) << what;
    EXPECT_NE(what.find("non-increasing or duplicate date"), std::string::npos) << what;
  }
}

TEST(ValidateBars, AcceptsValidBars) {
  BarSeries s;
  s.symbol = "MEM";
  s.bars = {{100, 10, 11, 9, 10, 1}, {200, 10, 10, 10, 10, 0}};
  EXPECT_NO_THROW(validate_bars(s));
}

TEST(WriteBarsCsv, RoundTripsExactly) {
  TempDir dir;
  BarSeries s;
  s.symbol = "RT";
  // close 0.1 + 0.2 = 0.30000000000000004 needs 17 digits, not %.6f
  s.bars = {{0, 1.5, 2.25, 1.0, 2.0, 100}, {86400, 2.0, 2.0, 0.1, 0.1 + 0.2, 123456789.0}};
  write_bars_csv(s, dir / "RT.csv");
  const BarSeries back = load_bars_csv(dir / "RT.csv", "RT");
  ASSERT_EQ(back.bars.size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.bars[i].time, s.bars[i].time);
    EXPECT_EQ(back.bars[i].open, s.bars[i].open);
    EXPECT_EQ(back.bars[i].high, s.bars[i].high);
    EXPECT_EQ(back.bars[i].low, s.bars[i].low);
    EXPECT_EQ(back.bars[i].close, s.bars[i].close);
    EXPECT_EQ(back.bars[i].volume, s.bars[i].volume);
  }
}

TEST(BarTime, FormatsAndParsesDatesAndTimes) {
  BarTime t = 0;
  ASSERT_TRUE(parse_bar_time("1970-01-02", t));
  EXPECT_EQ(t, 86400);
  ASSERT_TRUE(parse_bar_time("2000-03-01T00:00:01", t));
  EXPECT_EQ(t, 951868801);  // 2000-03-01 is day 11017 (after the leap day of 2000)
  EXPECT_EQ(format_bar_time(951868801), "2000-03-01T00:00:01");
  EXPECT_EQ(format_bar_time(951868800), "2000-03-01");
  EXPECT_TRUE(parse_bar_time("2024-02-29", t));
  EXPECT_FALSE(parse_bar_time("2100-02-29", t));  // 2100 is not a leap year
  EXPECT_FALSE(parse_bar_time("2024-13-01", t));
  EXPECT_FALSE(parse_bar_time("2024-01-01T24:00:00", t));
  EXPECT_FALSE(parse_bar_time("2024-01-01 10:00:00", t));
  EXPECT_FALSE(parse_bar_time("", t));
}

// ------------------------------------------------------------ sector map

void expect_sectors_rejected(const std::string& content, int line, const std::string& rule) {
  TempDir dir;
  const auto file = dir / "sectors.csv";
  write_text(file, content);
  try {
    load_sector_map(file);
    FAIL() << "expected DataError for " << rule;
  } catch (const DataError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string() + ":" + std::to_string(line) + ":"), std::string::npos)
        << what;
    EXPECT_NE(what.find(rule), std::string::npos) << what;
  }
}

TEST(LoadSectorMap, ReadsSymbolsAndSectors) {
  TempDir dir;
  write_text(dir / "s.csv", "symbol,sector\nGOOG,Tech\nXOM,Energy\n");
  const SectorMap m = load_sector_map(dir / "s.csv");
  EXPECT_EQ(m.sector_of.size(), 2U);
  EXPECT_EQ(m.sector_of.at("GOOG"), "Tech");
  EXPECT_EQ(m.sector_of.at("XOM"), "Energy");
}

TEST(LoadSectorMap, RejectsAWrongHeader) {
  expect_sectors_rejected("ticker,sector\nGOOG,Tech\n", 1, "wrong header");
}

TEST(LoadSectorMap, RejectsAShortRow) {
  expect_sectors_rejected("symbol,sector\nGOOG,Tech\nXOM\n", 3, "short row");
}

TEST(LoadSectorMap, RejectsAnEmptySector) {
  expect_sectors_rejected("symbol,sector\nGOOG,\n", 2, "empty field");
}

TEST(LoadSectorMap, RejectsADuplicateSymbol) {
  expect_sectors_rejected("symbol,sector\nGOOG,Tech\nGOOG,Energy\n", 3, "duplicate symbol");
}

TEST(LoadSectorMap, RejectsALongRow) {
  expect_sectors_rejected("symbol,sector\nGOOG,Tech,Extra\n", 2, "long row");
}

TEST(LoadSectorMap, RejectsALineLongerThanTheCap) {
  TempDir dir;
  write_text(dir / "s.csv", "symbol,sector\nGOOG,Tech\nXOM," + std::string(100, 'E') + "\n");
  const std::string what = data_error_of([&] { load_sector_map(dir / "s.csv", 64); });
  EXPECT_NE(what.find("s.csv:3: line too long"), std::string::npos) << what;
  EXPECT_EQ(load_sector_map(dir / "s.csv", 104).sector_of.at("XOM"), std::string(100, 'E'));
}

TEST(LoadSectorMap, DuplicateSymbolErrorQuotesAtMost80Bytes) {
  const std::string symbol(200, 'S');
  const std::string what = data_error_of(
      [&] { parse_sector_map("symbol,sector\n" + symbol + ",A\n" + symbol + ",B\n", "mem"); });
  EXPECT_NE(what.find("mem:3: duplicate symbol"), std::string::npos) << what;
  EXPECT_NE(what.find(std::string(80, 'S') + "...\""), std::string::npos) << what;
  EXPECT_EQ(what.find(std::string(81, 'S')), std::string::npos) << what;
}

TEST(ParseSectorMap, ReadsTextWithTheFileRules) {
  const SectorMap m = parse_sector_map("symbol,sector\r\nGOOG,Tech\r\n", "mem");
  EXPECT_EQ(m.source, "mem");
  EXPECT_EQ(m.sector_of.at("GOOG"), "Tech");
}

}  // namespace
}  // namespace mlgov
