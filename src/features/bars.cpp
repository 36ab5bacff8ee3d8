// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/bars.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "features/bar_rules.h"
#include "io/text_excerpt.h"
#include "mlgov/errors.h"
#include "util/civil_date.h"

namespace mlgov {
namespace {

using internal::civil_from_days;
using internal::days_from_civil;
using internal::is_leap;

constexpr std::string_view kBarsHeader = "date,open,high,low,close,volume";
constexpr std::string_view kSectorsHeader = "symbol,sector";

unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool parse_digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

// Strict: the whole field must be a decimal number ("nan"/"inf" parse and are
// then rejected by the value rules, which name them precisely).
bool parse_double(std::string_view text, double& out) noexcept {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (*first == '+') ++first;  // from_chars rejects a leading '+'
  if (first == last) return false;
  const auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last;
}

// Splits `line` on commas into `fields` (views into `line`).
void split_csv(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

[[noreturn]] void fail_at(const std::string& file, std::size_t line, std::string_view rule,
                          const std::string& detail) {
  throw DataError(fmt::format("{}:{}: {}: {}", file, line, rule, detail));
}

std::string value_text(double x) { return fmt::format("{}", x); }

std::string describe_violation(const Bar& bar, const char* rule) {
  using namespace internal;
  const std::string_view r = rule;
  if (r == kRuleBadPrice) {
    return fmt::format("open={} high={} low={} close={}", value_text(bar.open),
                       value_text(bar.high), value_text(bar.low), value_text(bar.close));
  }
  if (r == kRuleBadVolume) return fmt::format("volume={}", value_text(bar.volume));
  if (r == kRuleHighBelowLow) {
    return fmt::format("high={} low={}", value_text(bar.high), value_text(bar.low));
  }
  return fmt::format("open={} high={} low={} close={}", value_text(bar.open), value_text(bar.high),
                     value_text(bar.low), value_text(bar.close));
}

std::string format_number(double x) {
  std::string text = fmt::format("{:.6f}", x);
  double back = 0;
  if (!parse_double(text, back) || back != x) text = fmt::format("{}", x);  // shortest round-trip
  return text;
}

}  // namespace

std::string format_bar_time(BarTime time) {
  const std::int64_t days = (time >= 0 ? time : time - 86399) / 86400;
  const std::int64_t secs = time - days * 86400;
  std::int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, y, m, d);
  if (secs == 0) return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", y, m, d, secs / 3600,
                     (secs / 60) % 60, secs % 60);
}

bool parse_bar_time(std::string_view text, BarTime& out) noexcept {
  if (text.size() != 10 && text.size() != 19) return false;
  unsigned y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (!parse_digits(text, 0, 4, y) || text[4] != '-' || !parse_digits(text, 5, 2, m) ||
      text[7] != '-' || !parse_digits(text, 8, 2, d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return false;
  std::int64_t secs = 0;
  if (text.size() == 19) {
    unsigned hh = 0;
    unsigned mm = 0;
    unsigned ss = 0;
    if (text[10] != 'T' || !parse_digits(text, 11, 2, hh) || text[13] != ':' ||
        !parse_digits(text, 14, 2, mm) || text[16] != ':' || !parse_digits(text, 17, 2, ss)) {
      return false;
    }
    if (hh > 23 || mm > 59 || ss > 59) return false;
    secs = hh * 3600 + mm * 60 + ss;
  }
  out = days_from_civil(y, m, d) * 86400 + secs;
  return true;
}

namespace {

// Where the line reader's bytes come from: a file read in large blocks
// through read_some(), or text already in memory (no source: the window is
// the whole text and nothing is copied).
class FileBlocks {
 public:
  explicit FileBlocks(std::FILE* f) noexcept : f_(f) {}
  // Reads up to `n` bytes into `dst`; 0 at the end of the file or on error.
  std::size_t read_some(char* dst, std::size_t n) noexcept {
    return std::fread(dst, 1, n, f_);  // one thread reads the file
  }
  bool failed() const noexcept { return std::ferror(f_) != 0; }

 private:
  std::FILE* f_;
};

// Hands out one line at a time as a view into a window of the input, never
// holding more than a block plus `max_line_bytes` of a file: a hostile file
// with a gigabyte on one line costs the cap, not a gigabyte. Lines are views:
// nothing is allocated per line or per field.
class LineReader {
 public:
  // Lines of `text` (a view of it, nothing copied).
  LineReader(std::string_view text, const std::string& name, std::size_t max_line_bytes)
      : window_(text), name_(name), max_line_bytes_(max_line_bytes) {}

  // Lines of `file`, read in blocks.
  LineReader(FileBlocks& file, const std::string& name, std::size_t max_line_bytes)
      : file_(&file), name_(name), max_line_bytes_(max_line_bytes) {
    grow(kBlockBytes);
  }

  // The next line without its '\n' (and without a '\r' before it), valid
  // until the next call; false at the end of the input. Throws DataError for
  // a line longer than the cap or a read error.
  bool next(std::string_view& line) {
    while (true) {
      const std::size_t avail = window_.size() - pos_;
      const char* start = window_.data() + pos_;
      const void* newline = avail == 0 ? nullptr : std::memchr(start, '\n', avail);
      if (newline != nullptr) {
        const auto length = static_cast<std::size_t>(static_cast<const char*>(newline) - start);
        ++line_no_;
        if (length > max_line_bytes_) too_long(start);
        pos_ += length + 1;
        line = trim_cr(std::string_view(start, length));
        return true;
      }
      if (avail > max_line_bytes_) {
        ++line_no_;
        too_long(start);
      }
      if (!refill()) {  // the end of the input: the rest is the last line
        check_read();
        const std::size_t rest = window_.size() - pos_;
        if (rest == 0) return false;
        ++line_no_;
        line = trim_cr(std::string_view(window_.data() + pos_, rest));
        pos_ = window_.size();
        return true;
      }
    }
  }

  std::size_t line_no() const noexcept { return line_no_; }

 private:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

  static std::string_view trim_cr(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  [[noreturn]] void too_long(const char* start) const {
    fail_at(
        name_, line_no_, "line too long",
        fmt::format("more than {} bytes (limits.max_csv_line_bytes); it starts \"{}\"",
                    max_line_bytes_, internal::excerpt(std::string_view(start, max_line_bytes_))));
  }

  // Moves the unread tail of the window to the front of the buffer and reads
  // more after it. False when there is nothing more to read.
  bool refill() {
    if (file_ == nullptr || at_end_) return false;
    const std::size_t tail = window_.size() - pos_;
    if (tail > 0 && window_.data() + pos_ != buffer_.get()) {
      std::memmove(buffer_.get(), window_.data() + pos_, tail);
    }
    window_ = std::string_view(buffer_.get(), tail);
    pos_ = 0;
    // A line (within the cap) longer than half a block grows the buffer,
    // geometrically: a long line is copied O(1) times, not once per block.
    if (capacity_ - tail < kBlockBytes / 2) grow(std::max(tail + kBlockBytes, 2 * capacity_));
    const std::size_t got = file_->read_some(buffer_.get() + tail, capacity_ - tail);
    if (got == 0) at_end_ = true;
    window_ = std::string_view(buffer_.get(), tail + got);
    return got > 0;
  }

  // A buffer of `capacity` bytes holding the window's content (not zeroed).
  void grow(std::size_t capacity) {
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (!window_.empty()) std::memcpy(bigger.get(), window_.data(), window_.size());
    window_ = std::string_view(bigger.get(), window_.size());
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }

  void check_read() const {
    if (file_ != nullptr && file_->failed()) {
      throw DataError(fmt::format("{}:{}: unreadable file: read error", name_, line_no_ + 1));
    }
  }

  std::string_view window_;
  std::size_t pos_ = 0;
  FileBlocks* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  bool at_end_ = false;
  const std::string& name_;
  std::size_t max_line_bytes_;
  std::size_t line_no_ = 0;
};

// Closes a FILE* on every path out of a loader.
struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

FileHandle open_for_reading(const std::string& name) {
  FileHandle f(std::fopen(name.c_str(), "rb"));
  if (!f) {
    throw DataError(fmt::format("{}:0: unreadable file: cannot open ({})", name,
                                std::generic_category().message(errno)));
  }
  return f;
}

void check_line_cap(const std::string& name, std::size_t max_line_bytes) {
  if (max_line_bytes == 0) {
    throw DataError(fmt::format("{}: max_line_bytes must be positive", name));
  }
}

BarSeries read_bars(LineReader& reader, const std::string& name, std::string symbol) {
  BarSeries series;
  series.symbol = std::move(symbol);
  series.source = name;
  std::string_view line;
  if (!reader.next(line)) fail_at(name, 1, "wrong header", "the file is empty");
  if (line != kBarsHeader) {
    fail_at(name, 1, "wrong header",
            fmt::format("expected \"{}\", found \"{}\"", kBarsHeader, internal::excerpt(line)));
  }
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    const std::size_t line_no = reader.line_no();
    const std::string_view text = line;
    split_csv(text, fields);
    if (fields.size() < 6) {
      fail_at(name, line_no, "short row",
              fmt::format("{} field(s), expected 6 (date,open,high,low,close,volume)",
                          text.empty() ? 0 : fields.size()));
    }
    if (fields.size() > 6) {
      fail_at(name, line_no, "long row", fmt::format("{} fields, expected 6", fields.size()));
    }
    Bar bar;
    if (!parse_bar_time(fields[0], bar.time)) {
      fail_at(name, line_no, "unparseable date",
              fmt::format("\"{}\" is not YYYY-MM-DD[THH:MM:SS]", internal::excerpt(fields[0])));
    }
    static constexpr const char* kColumns[] = {"open", "high", "low", "close", "volume"};
    double* const targets[] = {&bar.open, &bar.high, &bar.low, &bar.close, &bar.volume};
    for (int i = 0; i < 5; ++i) {
      if (!parse_double(fields[i + 1], *targets[i])) {
        fail_at(name, line_no, "unparseable number",
                fmt::format("{} \"{}\" is not a number", kColumns[i],
                            internal::excerpt(fields[i + 1])));
      }
    }
    if (!series.bars.empty() && bar.time <= series.bars.back().time) {
      fail_at(name, line_no, internal::kRuleNonIncreasingDate,
              fmt::format("{} does not follow {}", format_bar_time(bar.time),
                          format_bar_time(series.bars.back().time)));
    }
    if (const char* rule = internal::bar_value_violation(bar)) {
      fail_at(name, line_no, rule, describe_violation(bar, rule));
    }
    series.bars.push_back(bar);
  }
  return series;
}

SectorMap read_sector_map(LineReader& reader, const std::string& name) {
  SectorMap map;
  map.source = name;
  std::string_view line;
  if (!reader.next(line)) fail_at(name, 1, "wrong header", "the file is empty");
  if (line != kSectorsHeader) {
    fail_at(name, 1, "wrong header",
            fmt::format("expected \"{}\", found \"{}\"", kSectorsHeader, internal::excerpt(line)));
  }
  std::vector<std::string_view> fields;
  while (reader.next(line)) {
    const std::size_t line_no = reader.line_no();
    split_csv(line, fields);
    if (fields.size() < 2) {
      fail_at(name, line_no, "short row", "expected 2 fields (symbol,sector)");
    }
    if (fields.size() > 2) {
      fail_at(name, line_no, "long row", fmt::format("{} fields, expected 2", fields.size()));
    }
    if (fields[0].empty() || fields[1].empty()) {
      fail_at(name, line_no, "empty field", "symbol and sector must both be non-empty");
    }
    const auto [it, inserted] =
        map.sector_of.emplace(std::string(fields[0]), std::string(fields[1]));
    if (!inserted) {
      fail_at(name, line_no, "duplicate symbol",
              fmt::format("\"{}\" already has sector \"{}\"", internal::excerpt(fields[0]),
                          internal::excerpt(it->second)));
    }
  }
  return map;
}

}  // namespace

BarSeries load_bars_csv(const std::filesystem::path& file, std::string symbol,
                        std::size_t max_line_bytes) {
  const std::string name = file.string();
  const FileHandle f = open_for_reading(name);
  check_line_cap(name, max_line_bytes);
  FileBlocks blocks(f.get());
  LineReader reader(blocks, name, max_line_bytes);
  return read_bars(reader, name, std::move(symbol));
}

BarSeries parse_bars_csv(std::string_view csv_text, const std::string& source, std::string symbol,
                         std::size_t max_line_bytes) {
  check_line_cap(source, max_line_bytes);
  LineReader reader(csv_text, source, max_line_bytes);
  return read_bars(reader, source, std::move(symbol));
}

void validate_bars(const BarSeries& series) {
  const std::string& name = series.source.empty() ? series.symbol : series.source;
  for (std::size_t i = 0; i < series.bars.size(); ++i) {
    const Bar& bar = series.bars[i];
    if (i > 0 && bar.time <= series.bars[i - 1].time) {
      throw DataError(fmt::format("{} bar {}: {}: {} does not follow {}", name, i,
                                  internal::kRuleNonIncreasingDate, format_bar_time(bar.time),
                                  format_bar_time(series.bars[i - 1].time)));
    }
    if (const char* rule = internal::bar_value_violation(bar)) {
      throw DataError(fmt::format("{} bar {} ({}): {}: {}", name, i, format_bar_time(bar.time),
                                  rule, describe_violation(bar, rule)));
    }
  }
}

void write_bars_csv(const BarSeries& series, const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.string().c_str(), "wb");
  if (f == nullptr) {
    throw std::system_error(errno, std::generic_category(), "cannot write " + file.string());
  }
  std::string text;
  text.reserve(64 * (series.bars.size() + 1));
  text.append(kBarsHeader).push_back('\n');
  for (const Bar& bar : series.bars) {
    text += format_bar_time(bar.time);
    for (double x : {bar.open, bar.high, bar.low, bar.close, bar.volume}) {
      text.push_back(',');
      text += format_number(x);
    }
    text.push_back('\n');
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !ok) {
    throw std::system_error(ok ? errno : write_errno, std::generic_category(),
                            "cannot write " + file.string());
  }
}

SectorMap load_sector_map(const std::filesystem::path& file, std::size_t max_line_bytes) {
  const std::string name = file.string();
  const FileHandle f = open_for_reading(name);
  check_line_cap(name, max_line_bytes);
  FileBlocks blocks(f.get());
  LineReader reader(blocks, name, max_line_bytes);
  return read_sector_map(reader, name);
}

SectorMap parse_sector_map(std::string_view csv_text, const std::string& source,
                           std::size_t max_line_bytes) {
  check_line_cap(source, max_line_bytes);
  LineReader reader(csv_text, source, max_line_bytes);
  return read_sector_map(reader, source);
}

}  // namespace mlgov
