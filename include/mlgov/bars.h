// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Bars: OHLCV bar series, their strict CSV loader, and the sector map.
// The input rules are those of docs/features_ml_v1.md, "Inputs and what bad
// input gets"; every violation is a DataError naming file, line and rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mlgov {

// Seconds since 1970-01-01T00:00:00Z. A daily bar's time is its date at
// midnight UTC.
using BarTime = std::int64_t;

// One OHLCV bar. Plain value.
struct Bar {
  BarTime time = 0;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
};

// One symbol's bars, strictly increasing in time. Plain value.
struct BarSeries {
  std::string symbol;
  std::vector<Bar> bars;
  std::string source;  // file it was loaded from ("" when built in memory)
};

// The default cap on one CSV line (config: limits.max_csv_line_bytes).
inline constexpr std::size_t kDefaultMaxCsvLineBytes = 65536;

// Loads `date,open,high,low,close,volume` CSV (header required; dates
// YYYY-MM-DD, optionally followed by THH:MM:SS). Throws DataError naming the
// file, the 1-based line and the rule for: unreadable file, wrong header,
// short or long row, unparseable number or date, non-increasing or duplicate
// date, non-finite or non-positive price, negative or non-finite volume,
// high < low, high < max(open, close), low > min(open, close), and a line
// longer than `max_line_bytes` (counted without its '\n'; reading stops at
// the cap, so a huge line costs no more memory than the cap). Messages quote
// at most 80 bytes of the offending text.
BarSeries load_bars_csv(const std::filesystem::path& file, std::string symbol,
                        std::size_t max_line_bytes = kDefaultMaxCsvLineBytes);

// The same rules on CSV text in memory; `source` names it in errors.
BarSeries parse_bars_csv(std::string_view csv_text, const std::string& source, std::string symbol,
                         std::size_t max_line_bytes = kDefaultMaxCsvLineBytes);

// Checks the same rules on bars built in memory (source names it in errors;
// "line" becomes the 0-based bar index). Throws DataError.
void validate_bars(const BarSeries& series);

// Writes bars in the format load_bars_csv reads (prices with %.6f unless a
// value needs more digits to round-trip). Throws std::system_error.
void write_bars_csv(const BarSeries& series, const std::filesystem::path& file);

// "YYYY-MM-DD" for a midnight time, "YYYY-MM-DDTHH:MM:SS" otherwise.
std::string format_bar_time(BarTime time);
// Parses either form; returns false when `text` is not a real date/time.
bool parse_bar_time(std::string_view text, BarTime& out) noexcept;

// symbol -> sector. Plain value.
struct SectorMap {
  std::map<std::string, std::string, std::less<>> sector_of;
  std::string source;
};

// Loads a `symbol,sector` CSV (header required). Throws DataError naming file
// and line for an unreadable file, a wrong header, a short or long row, an
// empty field, a duplicate symbol or a line longer than `max_line_bytes`
// (read no further than the cap).
SectorMap load_sector_map(const std::filesystem::path& file,
                          std::size_t max_line_bytes = kDefaultMaxCsvLineBytes);

// The same rules on CSV text in memory; `source` names it in errors.
SectorMap parse_sector_map(std::string_view csv_text, const std::string& source,
                           std::size_t max_line_bytes = kDefaultMaxCsvLineBytes);

}  // namespace mlgov
