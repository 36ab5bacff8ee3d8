// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The streams: BenchmarkStream, FeatureStream (one symbol, one bar at a time,
// on its fixed-size windows) and UniverseStream (every symbol of a universe
// stepped one date at a time, with the cross-sectional rank).
#include "mlgov/feature_computer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/logger.h>

#include "features/bar_rules.h"
#include "features/feature_kernel.h"
#include "features/feature_windows.h"
#include "features/universe_rules.h"
#include "mlgov/errors.h"

namespace mlgov {

using internal::kNumFeatures;
using internal::missing_benchmark_message;
using internal::rank_ret_20d;
using internal::sector_members_of;

std::string_view to_string(FeatureStatus status) noexcept {
  switch (status) {
    case FeatureStatus::kReady:
      return "READY";
    case FeatureStatus::kInsufficientHistory:
      return "INSUFFICIENT_HISTORY";
    case FeatureStatus::kOutOfOrder:
      return "OUT_OF_ORDER";
    case FeatureStatus::kMissingBenchmark:
      return "MISSING_BENCHMARK";
    case FeatureStatus::kInvalidBar:
      return "INVALID_BAR";
    case FeatureStatus::kNoBar:
      return "NO_BAR";
    case FeatureStatus::kUnknownSymbol:
      return "UNKNOWN_SYMBOL";
  }
  return "UNKNOWN";
}

// ---------------------------------------------------------------- benchmark

FeatureStatus BenchmarkStream::try_update(const Bar& bar) noexcept {
  if (count_ > 0 && bar.time <= last_.time) return FeatureStatus::kOutOfOrder;
  if (internal::bar_value_violation(bar) != nullptr) return FeatureStatus::kInvalidBar;
  if (count_ > 0) ret_ = internal::simple_return(bar.close, last_.close);
  last_ = bar;
  ++count_;
  return FeatureStatus::kReady;
}

void BenchmarkStream::update(const Bar& bar, std::string_view name) {
  const FeatureStatus status = try_update(bar);
  if (status == FeatureStatus::kOutOfOrder) {
    throw DataError(fmt::format("{} {}: {}: does not follow {}", name, format_bar_time(bar.time),
                                internal::kRuleNonIncreasingDate, format_bar_time(last_.time)));
  }
  if (status == FeatureStatus::kInvalidBar) {
    throw DataError(fmt::format("{} {}: {}", name, format_bar_time(bar.time),
                                internal::bar_value_violation(bar)));
  }
}

// ---------------------------------------------------------------- symbol stream

struct FeatureStream::Impl {
  const FeatureComputer* computer = nullptr;
  const std::uint8_t* columns = nullptr;
  std::size_t ncols = 0;
  int cross_rank_column = -1;
  std::int64_t min_history = 0;
  internal::SymbolWindows w;
  std::array<float, kNumFeatures> out{};
  bool has_row = false;

  // update() in two halves, so that a universe can run the kernel on several
  // symbols at once between them. push: checks and appends the bar; kReady
  // means the windows hold a new row for the kernel, then set_row.
  FeatureStatus push(const Bar& bar, const BenchmarkStream& benchmark) noexcept;
  void set_row(const double (&f)[kNumFeatures]) noexcept {
    for (std::size_t j = 0; j < ncols; ++j) out[j] = static_cast<float>(f[columns[j]]);
    has_row = true;
  }
};

FeatureStream::FeatureStream(const FeatureComputer& computer, std::string symbol)
    : impl_(std::make_unique<Impl>()), symbol_(std::move(symbol)) {
  impl_->computer = &computer;
  impl_->columns = computer.columns_.data();
  impl_->ncols = computer.columns_.size();
  impl_->cross_rank_column = computer.cross_rank_column_;
  impl_->min_history = computer.min_history_;
}

FeatureStream::~FeatureStream() = default;
FeatureStream::FeatureStream(FeatureStream&&) noexcept = default;
FeatureStream& FeatureStream::operator=(FeatureStream&&) noexcept = default;

namespace {

FeatureStatus check_symbol_bar(const internal::SymbolWindows& w, const Bar& bar,
                               const BenchmarkStream& benchmark) noexcept {
  if (w.count > 0 && bar.time <= w.last.time) return FeatureStatus::kOutOfOrder;
  if (internal::bar_value_violation(bar) != nullptr) return FeatureStatus::kInvalidBar;
  if (!benchmark.has_bar() || benchmark.time() != bar.time) {
    return FeatureStatus::kMissingBenchmark;
  }
  // From the second bar on, b_t is needed: the benchmark must have a bar
  // before this date (else the symbol traded before the benchmark existed).
  if (w.count > 0 && !benchmark.has_return()) return FeatureStatus::kMissingBenchmark;
  return FeatureStatus::kReady;
}

}  // namespace

FeatureStatus FeatureStream::Impl::push(const Bar& bar, const BenchmarkStream& benchmark) noexcept {
  const FeatureStatus check = check_symbol_bar(w, bar, benchmark);
  if (check != FeatureStatus::kReady) return check;
  w.push(bar, benchmark.has_return() ? benchmark.last_return() : 0.0);
  if (w.count < min_history) {
    has_row = false;
    return FeatureStatus::kInsufficientHistory;
  }
  return FeatureStatus::kReady;
}

FeatureStatus FeatureStream::try_update(const Bar& bar, const BenchmarkStream& benchmark) noexcept {
  Impl& s = *impl_;
  const FeatureStatus status = s.push(bar, benchmark);
  if (status != FeatureStatus::kReady) return status;
  double f[kNumFeatures];
  internal::compute_features(s.w, f);
  s.set_row(f);
  return FeatureStatus::kReady;
}

std::optional<FeatureRow> FeatureStream::update(const Bar& bar, const BenchmarkStream& benchmark) {
  const FeatureStatus status = try_update(bar, benchmark);
  switch (status) {
    case FeatureStatus::kReady:
      return row();
    case FeatureStatus::kInsufficientHistory:
      return std::nullopt;
    case FeatureStatus::kOutOfOrder:
      throw DataError(fmt::format("{} {}: {}: does not follow {}", symbol_,
                                  format_bar_time(bar.time), internal::kRuleNonIncreasingDate,
                                  format_bar_time(impl_->w.last.time)));
    case FeatureStatus::kInvalidBar:
      throw DataError(fmt::format("{} {}: {}", symbol_, format_bar_time(bar.time),
                                  internal::bar_value_violation(bar)));
    case FeatureStatus::kMissingBenchmark:
      throw DataError(missing_benchmark_message(symbol_, "", bar.time));
    default:
      throw DataError(
          fmt::format("{} {}: {}", symbol_, format_bar_time(bar.time), to_string(status)));
  }
}

FeatureRow FeatureStream::row() const noexcept {
  if (!impl_->has_row) return FeatureRow::none();
  return {impl_->computer->schema().get(), std::span<const float>(impl_->out.data(), impl_->ncols)};
}

std::int64_t FeatureStream::bar_count() const noexcept { return impl_->w.count; }

BarTime FeatureStream::last_time() const noexcept {
  return impl_->w.count > 0 ? impl_->w.last.time : 0;
}

std::optional<float> FeatureStream::ret_20d() const noexcept {
  if (!impl_->w.has_ret_20d()) return std::nullopt;
  return impl_->w.ret_20d();
}

void FeatureStream::set_cross_rank(float value) noexcept {
  if (impl_->cross_rank_column >= 0) impl_->out[impl_->cross_rank_column] = value;
}

// ---------------------------------------------------------------- universe

struct UniverseStream::Impl {
  const FeatureComputer* computer = nullptr;
  std::string benchmark_name;
  BenchmarkStream benchmark;
  std::vector<std::string> symbols;
  std::vector<FeatureStream> streams;
  std::vector<FeatureStatus> status;
  std::vector<std::vector<std::size_t>> sector_members;  // sector -> symbol indices
  std::vector<std::pair<float, std::size_t>> scratch;    // capacity = universe size
  internal::StreamKernel stream_kernel = internal::best_stream_kernel();

  void rank_sector(const std::vector<std::size_t>& members) noexcept {
    scratch.clear();
    for (std::size_t i : members) {
      const FeatureStatus st = status[i];
      if (st != FeatureStatus::kReady && st != FeatureStatus::kInsufficientHistory) continue;
      const std::optional<float> r = streams[i].ret_20d();
      if (r) scratch.emplace_back(*r, i);
    }
    rank_ret_20d(scratch, [this](std::size_t i, float value) {
      if (status[i] == FeatureStatus::kReady) streams[i].set_cross_rank(value);
    });
  }
};

UniverseStream::UniverseStream(const FeatureComputer& computer, std::vector<std::string> symbols,
                               const SectorMap& sectors, std::string benchmark_name)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.computer = &computer;
  s.benchmark_name = std::move(benchmark_name);
  s.sector_members = sector_members_of(symbols, sectors);
  s.streams.reserve(symbols.size());
  for (const std::string& sym : symbols) s.streams.emplace_back(computer, sym);
  s.symbols = std::move(symbols);
  s.status.assign(s.symbols.size(), FeatureStatus::kNoBar);
  s.scratch.reserve(s.symbols.size());
}

UniverseStream::~UniverseStream() = default;
UniverseStream::UniverseStream(UniverseStream&&) noexcept = default;
UniverseStream& UniverseStream::operator=(UniverseStream&&) noexcept = default;

std::size_t UniverseStream::size() const noexcept { return impl_->symbols.size(); }
const std::string& UniverseStream::symbol(std::size_t i) const noexcept {
  return impl_->symbols[i];
}
std::optional<std::size_t> UniverseStream::index_of(std::string_view symbol) const noexcept {
  for (std::size_t i = 0; i < impl_->symbols.size(); ++i) {
    if (impl_->symbols[i] == symbol) return i;
  }
  return std::nullopt;
}

FeatureStatus UniverseStream::try_step(const Bar& benchmark_bar,
                                       std::span<const Bar* const> bars) noexcept {
  Impl& s = *impl_;
  // On a rejected date no window changes, and no symbol keeps the previous
  // date's row: a host that ignores the result must not serve yesterday's
  // rows again today.
  if (bars.size() != s.symbols.size()) {
    std::fill(s.status.begin(), s.status.end(), FeatureStatus::kNoBar);
    return FeatureStatus::kUnknownSymbol;
  }
  const FeatureStatus bench_status = s.benchmark.try_update(benchmark_bar);
  if (bench_status != FeatureStatus::kReady) {
    std::fill(s.status.begin(), s.status.end(), FeatureStatus::kMissingBenchmark);
    return bench_status;
  }
  // The symbols whose windows await the kernel, run kStreamLanes at a time
  // (the rest one by one): the same bits as FeatureStream::try_update.
  constexpr int kLanes = internal::kStreamLanes;
  FeatureStream::Impl* pending[kLanes];
  const internal::SymbolWindows* windows[kLanes];
  int npending = 0;
  double f[kLanes][kNumFeatures];
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar* bar = bars[i];
    if (bar == nullptr) {
      s.status[i] = FeatureStatus::kNoBar;
    } else if (bar->time != benchmark_bar.time) {
      s.status[i] = FeatureStatus::kMissingBenchmark;
    } else {
      FeatureStream::Impl& symbol = *s.streams[i].impl_;
      s.status[i] = symbol.push(*bar, s.benchmark);
      if (s.status[i] == FeatureStatus::kReady) {
        internal::prefetch_windows(symbol.w);
        pending[npending] = &symbol;
        windows[npending] = &symbol.w;
        if (++npending == kLanes) {
          s.stream_kernel.rows(windows, f);
          for (int k = 0; k < kLanes; ++k) pending[k]->set_row(f[k]);
          npending = 0;
        }
      }
    }
  }
  for (int k = 0; k < npending; ++k) {
    internal::compute_features(*windows[k], f[k]);
    pending[k]->set_row(f[k]);
  }
  for (const auto& members : s.sector_members) s.rank_sector(members);
  return FeatureStatus::kReady;
}

void UniverseStream::step(const Bar& benchmark_bar, std::span<const Bar* const> bars) {
  Impl& s = *impl_;
  const BarTime previous = s.benchmark.time();
  const FeatureStatus st = try_step(benchmark_bar, bars);
  const std::string date = format_bar_time(benchmark_bar.time);
  switch (st) {
    case FeatureStatus::kReady:
      break;
    case FeatureStatus::kUnknownSymbol:
      throw DataError(fmt::format("universe step {}: {} bar slots for {} symbols", date,
                                  bars.size(), s.symbols.size()));
    case FeatureStatus::kOutOfOrder:
      throw DataError(fmt::format("{} {}: {}: does not follow {}", s.benchmark_name, date,
                                  internal::kRuleNonIncreasingDate, format_bar_time(previous)));
    default:
      throw DataError(fmt::format("{} {}: {}", s.benchmark_name, date,
                                  internal::bar_value_violation(benchmark_bar)));
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const FeatureStatus si = s.status[i];
    if (si == FeatureStatus::kReady || si == FeatureStatus::kInsufficientHistory ||
        si == FeatureStatus::kNoBar) {
      continue;
    }
    const Bar& bar = *bars[i];
    if (si == FeatureStatus::kMissingBenchmark) {
      throw DataError(missing_benchmark_message(s.symbols[i], s.benchmark_name, bar.time));
    }
    if (si == FeatureStatus::kOutOfOrder) {
      throw DataError(fmt::format("{} {}: {}: does not follow {}", s.symbols[i],
                                  format_bar_time(bar.time), internal::kRuleNonIncreasingDate,
                                  format_bar_time(s.streams[i].last_time())));
    }
    throw DataError(fmt::format("{} {}: {}", s.symbols[i], format_bar_time(bar.time),
                                internal::bar_value_violation(bar)));
  }
}

FeatureStatus UniverseStream::status(std::size_t i) const noexcept {
  if (i >= impl_->status.size()) return FeatureStatus::kUnknownSymbol;
  return impl_->status[i];
}

FeatureRow UniverseStream::row(std::size_t i) const noexcept {
  if (status(i) != FeatureStatus::kReady) return FeatureRow::none();
  return impl_->streams[i].row();
}

const FeatureStream& UniverseStream::stream(std::size_t i) const noexcept {
  return impl_->streams[i];
}
const BenchmarkStream& UniverseStream::benchmark() const noexcept { return impl_->benchmark; }
const std::string& UniverseStream::benchmark_name() const noexcept { return impl_->benchmark_name; }

}  // namespace mlgov
