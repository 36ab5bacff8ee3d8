// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The synthetic market generator. Everything random comes from xoshiro256**
// streams seeded through splitmix64; normals come from Marsaglia's polar
// method (log and sqrt only) and Student-t variates are built from normals, so
// the output depends on no standard-library distribution and on no libm
// function beyond exp, log and sqrt.
//
// Each random stream is keyed by (seed, role, index): the market factor, each
// sector factor and each symbol draw from their own stream. So symbol S001 is
// the same in a 50-symbol and a 225-symbol universe with the same seed, years
// and sector count.
#include "mlgov/offline/synthetic_market.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "util/civil_date.h"

namespace mlgov {
namespace {

using internal::civil_from_days;
using internal::days_from_civil;
using internal::is_leap;

// ---------------------------------------------------------------------------
// Random numbers.

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256** (Blackman and Vigna) with its own normal and Student-t draws.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t role, std::uint64_t index) {
    std::uint64_t sm = seed;
    // Mix the stream key into the splitmix state so streams do not overlap.
    sm ^= splitmix64(sm) + role * 0xD1B54A32D192ED03ULL;
    sm ^= splitmix64(sm) + index * 0x8CB92BA72F3D8DD7ULL;
    for (auto& word : s_) word = splitmix64(sm);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Standard normal, Marsaglia's polar method (pairs; the second is cached).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0, v = 0, s = 0;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }

  // Student-t with 5 degrees of freedom scaled to unit variance (the t5
  // variance is 5/3): Z / sqrt(chi2_5 / 5) * sqrt(3/5).
  double student_t5_unit() {
    const double z = normal();
    double chi2 = 0;
    for (int i = 0; i < 5; ++i) {
      const double n = normal();
      chi2 += n * n;
    }
    return z / std::sqrt(chi2 / 5.0) * kT5Scale;
  }

 private:
  static constexpr double kT5Scale = 0.7745966692414834;  // sqrt(3/5)
  std::array<std::uint64_t, 4> s_{};
  double spare_ = 0;
  bool has_spare_ = false;
};

// Stream roles.
constexpr std::uint64_t kRoleMarket = 1;
constexpr std::uint64_t kRoleSector = 2;
constexpr std::uint64_t kRoleSymbol = 3;
constexpr std::uint64_t kRoleBenchmark = 4;

// Parses a strict YYYY-MM-DD into days since 1970-01-01.
bool parse_date(const std::string& text, std::int64_t& days) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int y = std::stoi(text.substr(0, 4));
  const int m = std::stoi(text.substr(5, 2));
  const int d = std::stoi(text.substr(8, 2));
  static constexpr std::array<int, 12> kMonthDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  if (y < 1970 || m < 1 || m > 12 || d < 1) return false;
  const int dim = kMonthDays[static_cast<std::size_t>(m - 1)] + (m == 2 && is_leap(y) ? 1 : 0);
  if (d > dim) return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// 0 = Monday .. 6 = Sunday; 1970-01-01 was a Thursday.
int weekday(std::int64_t days) { return static_cast<int>(((days % 7) + 7 + 3) % 7); }

std::vector<BarTime> business_days(std::int64_t start_days, std::size_t count) {
  std::vector<BarTime> times;
  times.reserve(count);
  std::int64_t day = start_days;
  while (times.size() < count) {
    if (weekday(day) < 5) times.push_back(day * 86400);
    ++day;
  }
  return times;
}

std::string padded(const char* prefix, int value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) {
    digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  }
  return prefix + digits;
}

int digit_count(int value) { return static_cast<int>(std::to_string(value).size()); }

bool is_valid_symbol_name(const std::string& s) {
  if (s.empty() || s == "." || s == ".." || s == "sectors") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

// ---------------------------------------------------------------------------
// Bars from a log-return path.

// Prices are rounded to 1e-4 (and at least 1e-4), so that they print exactly
// with four decimals and read back as the same doubles. Rounding is monotone,
// so high >= max(open, close) and low <= min(open, close) survive it.
double quantize_price(double p) {
  const double ticks = std::round(p * 1e4);
  return std::max(ticks, 1.0) / 1e4;
}

struct PathParams {
  double start_price = 100;
  double daily_vol = 0.015;     // typical daily volatility (sizes gaps and ranges)
  double log_volume_mean = 13;  // mean of log(volume)
  double volume_phi = 0.8;      // AR(1) coefficient of log volume
  double volume_noise = 0.25;   // innovation sd of log volume
  double zero_volume_prob = 0;  // chance of a zero-volume day
};

// Turns daily close-to-close log returns into OHLCV bars.
std::vector<Bar> make_bars(const std::vector<double>& log_returns,
                           const std::vector<BarTime>& times, const PathParams& p, Rng& rng) {
  std::vector<Bar> bars;
  bars.reserve(log_returns.size());
  double log_close = std::log(p.start_price);
  double prev_close = p.start_price;
  double log_vol_dev = 0;  // log volume minus its mean
  for (std::size_t t = 0; t < log_returns.size(); ++t) {
    const double r = log_returns[t];
    log_close += r;
    const double close = std::exp(log_close);
    // The overnight gap takes part of the day's move plus its own noise.
    const double gap = 0.3 * r + 0.2 * p.daily_vol * rng.normal();
    const double open = prev_close * std::exp(gap);
    const double up = 0.5 * p.daily_vol * std::fabs(rng.normal());
    const double down = 0.5 * p.daily_vol * std::fabs(rng.normal());
    const double high = std::max(open, close) * std::exp(up);
    const double low = std::min(open, close) * std::exp(-down);

    // Volume: AR(1) in logs, higher on days with large moves.
    log_vol_dev = p.volume_phi * log_vol_dev + p.volume_noise * rng.normal();
    const double shock = 0.25 * std::min(std::fabs(r) / p.daily_vol, 4.0);
    double volume = std::round(std::exp(p.log_volume_mean + log_vol_dev + shock));
    if (rng.uniform() < p.zero_volume_prob) volume = 0;

    Bar bar;
    bar.time = times[t];
    bar.open = quantize_price(open);
    bar.high = quantize_price(high);
    bar.low = quantize_price(low);
    bar.close = quantize_price(close);
    bar.volume = std::max(volume, 0.0);
    bars.push_back(bar);
    prev_close = close;
  }
  return bars;
}

// ---------------------------------------------------------------------------
// CSV output.

void append_fixed(std::string& out, double value, int precision) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, precision);
  out.append(buf, res.ptr);
}

std::string format_date(BarTime time) {
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(time / 86400, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

void write_whole_file(const std::filesystem::path& file, const std::string& content) {
  std::FILE* f = std::fopen(file.c_str(), "wb");
  if (f == nullptr) {
    throw std::system_error(errno, std::generic_category(), "cannot open " + file.string());
  }
  const std::size_t written = std::fwrite(content.data(), 1, content.size(), f);
  const int close_rc = std::fclose(f);
  if (written != content.size() || close_rc != 0) {
    throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(),
                            "cannot write " + file.string());
  }
}

std::string bars_csv(const BarSeries& series) {
  std::string out = "date,open,high,low,close,volume\n";
  out.reserve(series.bars.size() * 64);
  for (const Bar& b : series.bars) {
    out += format_date(b.time);
    for (double price : {b.open, b.high, b.low, b.close}) {
      out += ',';
      append_fixed(out, price, 4);
    }
    out += ',';
    append_fixed(out, b.volume, 0);
    out += '\n';
  }
  return out;
}

}  // namespace

SyntheticMarket generate_synthetic_market(const SyntheticMarketOptions& o) {
  if (o.symbols < 1 || o.symbols > 99999) {
    throw std::invalid_argument("synthetic market: symbols must be in 1..99999, got " +
                                std::to_string(o.symbols));
  }
  if (o.years < 1 || o.years > 100) {
    throw std::invalid_argument("synthetic market: years must be in 1..100, got " +
                                std::to_string(o.years));
  }
  if (o.sectors < 1 || o.sectors > o.symbols) {
    throw std::invalid_argument("synthetic market: sectors must be in 1..symbols (" +
                                std::to_string(o.symbols) + "), got " + std::to_string(o.sectors));
  }
  std::int64_t start_days = 0;
  if (!parse_date(o.start_date, start_days)) {
    throw std::invalid_argument(
        "synthetic market: start_date must be a real date YYYY-MM-DD (1970 or later), got '" +
        o.start_date + "'");
  }
  if (!is_valid_symbol_name(o.benchmark_symbol)) {
    throw std::invalid_argument(
        "synthetic market: benchmark_symbol must be letters, digits, '.', '-', '_' (not '.', "
        "'..' or 'sectors'), got '" +
        o.benchmark_symbol + "'");
  }
  const int symbol_width = std::max(3, digit_count(o.symbols));
  const int sector_width = std::max(2, digit_count(o.sectors));
  for (int i = 1; i <= o.symbols; ++i) {
    if (padded("S", i, symbol_width) == o.benchmark_symbol) {
      throw std::invalid_argument("synthetic market: benchmark_symbol '" + o.benchmark_symbol +
                                  "' collides with a generated symbol name");
    }
  }

  const std::size_t n = static_cast<std::size_t>(o.years) * 252;
  const std::vector<BarTime> times = business_days(start_days, n);

  // Market factor: GARCH(1,1) volatility around 1%/day with t5 shocks, and a
  // drift of about 7% a year.
  constexpr double kMarketVol = 0.01;
  constexpr double kMarketDrift = 0.07 / 252;
  constexpr double kGarchAlpha = 0.08;
  constexpr double kGarchBeta = 0.90;
  std::vector<double> market(n);
  {
    Rng rng(o.seed, kRoleMarket, 0);
    const double omega = kMarketVol * kMarketVol * (1 - kGarchAlpha - kGarchBeta);
    double var = kMarketVol * kMarketVol;
    for (std::size_t t = 0; t < n; ++t) {
      const double shock = std::sqrt(var) * rng.student_t5_unit();
      market[t] = shock;
      var = omega + kGarchAlpha * shock * shock + kGarchBeta * var;
    }
  }

  // Sector factors: 0.6%/day, t5.
  constexpr double kSectorVol = 0.006;
  std::vector<std::vector<double>> sector(static_cast<std::size_t>(o.sectors),
                                          std::vector<double>(n));
  for (int k = 0; k < o.sectors; ++k) {
    Rng rng(o.seed, kRoleSector, static_cast<std::uint64_t>(k));
    for (double& x : sector[static_cast<std::size_t>(k)]) x = kSectorVol * rng.student_t5_unit();
  }

  SyntheticMarket out;
  out.sectors.source = "";
  out.symbols.reserve(static_cast<std::size_t>(o.symbols));
  std::vector<double> returns(n);
  for (int i = 0; i < o.symbols; ++i) {
    Rng rng(o.seed, kRoleSymbol, static_cast<std::uint64_t>(i));
    const int k = i % o.sectors;
    // Total annual volatility 20%..40%, split into market, sector and
    // idiosyncratic variance shares; beta follows from the market share.
    const double annual_vol = rng.uniform(0.20, 0.40);
    const double daily_var = annual_vol * annual_vol / 252;
    const double market_share = rng.uniform(0.15, 0.45);
    const double sector_share = rng.uniform(0.05, 0.15);
    const double idio_share = 1 - market_share - sector_share;
    const double beta = std::sqrt(market_share * daily_var) / kMarketVol;
    const double gamma = std::sqrt(sector_share * daily_var) / kSectorVol;
    const double idio_vol = std::sqrt(idio_share * daily_var);
    const double alpha = rng.uniform(-0.03, 0.05) / 252;
    // Log-return drift so that the expected simple return is alpha + beta*mu.
    const double drift = alpha + beta * kMarketDrift - 0.5 * daily_var;
    const auto& sec = sector[static_cast<std::size_t>(k)];
    for (std::size_t t = 0; t < n; ++t) {
      returns[t] = drift + beta * market[t] + gamma * sec[t] + idio_vol * rng.student_t5_unit();
    }
    PathParams p;
    p.start_price = std::exp(rng.uniform(std::log(10.0), std::log(300.0)));
    p.daily_vol = std::sqrt(daily_var);
    p.log_volume_mean = rng.uniform(std::log(2e5), std::log(2e7));
    p.zero_volume_prob = 1.0 / 4000;

    BarSeries series;
    series.symbol = padded("S", i + 1, symbol_width);
    series.bars = make_bars(returns, times, p, rng);
    out.sectors.sector_of.emplace(series.symbol, padded("SEC", k + 1, sector_width));
    out.symbols.push_back(std::move(series));
  }

  // The benchmark: an index whose log return is the market factor plus drift.
  {
    Rng rng(o.seed, kRoleBenchmark, 0);
    for (std::size_t t = 0; t < n; ++t) {
      returns[t] = kMarketDrift - 0.5 * kMarketVol * kMarketVol + market[t];
    }
    PathParams p;
    p.start_price = 1000;
    p.daily_vol = kMarketVol;
    p.log_volume_mean = std::log(3.5e9);
    p.volume_phi = 0.9;
    p.volume_noise = 0.1;
    out.benchmark.symbol = o.benchmark_symbol;
    out.benchmark.bars = make_bars(returns, times, p, rng);
  }
  return out;
}

void write_synthetic_market(const SyntheticMarket& market, const std::filesystem::path& dir) {
  auto check_name = [](const std::string& symbol) {
    if (!is_valid_symbol_name(symbol)) {
      throw std::invalid_argument("write_synthetic_market: symbol '" + symbol +
                                  "' is not a safe file name");
    }
  };
  for (const BarSeries& s : market.symbols) check_name(s.symbol);
  check_name(market.benchmark.symbol);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::system_error(ec, "cannot create directory " + dir.string());
  for (const BarSeries& s : market.symbols)
    write_whole_file(dir / (s.symbol + ".csv"), bars_csv(s));
  write_whole_file(dir / (market.benchmark.symbol + ".csv"), bars_csv(market.benchmark));
  std::string sectors = "symbol,sector\n";
  for (const auto& [symbol, sec] : market.sectors.sector_of) {
    sectors += symbol;
    sectors += ',';
    sectors += sec;
    sectors += '\n';
  }
  write_whole_file(dir / "sectors.csv", sectors);
}

}  // namespace mlgov
