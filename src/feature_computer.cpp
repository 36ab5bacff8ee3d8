// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/feature_computer.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/logger.h>

#include "bar_rules.h"
#include "feature_kernels.h"
#include "mlgov/errors.h"

namespace mlgov {

using detail::kNumFeatures;

const char* to_string(FeatureStatus status) noexcept {
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

const std::vector<std::string>& supported_features() {
  static const std::vector<std::string> names(detail::kFeatureNames.begin(),
                                              detail::kFeatureNames.end());
  return names;
}

std::optional<std::size_t> FeatureFrame::column_index(std::string_view name) const noexcept {
  for (std::size_t j = 0; j < columns.size(); ++j) {
    if (columns[j] == name) return j;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- computer

FeatureComputer::FeatureComputer(FeatureContract contract, FeatureComputerOptions options)
    : contract_(std::move(contract)), options_(std::move(options)) {
  std::vector<std::string> unknown;
  for (const std::string& name : contract_.names()) {
    const auto it = std::find(detail::kFeatureNames.begin(), detail::kFeatureNames.end(), name);
    if (it == detail::kFeatureNames.end()) {
      unknown.push_back(name);
      continue;
    }
    const auto id = static_cast<std::uint8_t>(it - detail::kFeatureNames.begin());
    if (id == detail::kCrossRankSector) cross_rank_column_ = static_cast<int>(columns_.size());
    columns_.push_back(id);
  }
  if (!unknown.empty()) {
    throw ContractError(fmt::format(
        "{}: contract \"{}\" names {} feature(s) FeatureComputer cannot compute: {}",
        contract_.source(), contract_.name(), unknown.size(), fmt::join(unknown, ", ")));
  }
  min_history_ = std::max(detail::kLookback, contract_.min_history());
}

void FeatureComputer::warn(const std::string& message) const {
  if (options_.logger) options_.logger->warn("{}", message);
}

namespace {

std::string missing_benchmark_message(std::string_view symbol, std::string_view benchmark,
                                      BarTime time) {
  return fmt::format(
      "{}: the benchmark{}{} has no bar on {} (every date of the symbol needs one for beta_60)",
      symbol, benchmark.empty() ? "" : " ", benchmark, format_bar_time(time));
}

// THE cross_rank_sector rule (docs/features_ml_v1.md, feature 28), shared by
// UniverseStream and the batch: `scratch` holds (ret_20d as emitted, symbol
// index) for every ranked symbol of one sector on one date; sorts it and calls
// assign(index, value) with each symbol's (k - 1) / (n - 1), ties averaged.
template <class Assign>
void rank_ret_20d(std::vector<std::pair<float, std::size_t>>& scratch, Assign&& assign) {
  const std::size_t n = scratch.size();
  if (n == 0) return;
  std::sort(scratch.begin(), scratch.end());
  std::size_t k = 0;
  while (k < n) {
    std::size_t end = k + 1;
    while (end < n && scratch[end].first == scratch[k].first) ++end;
    // 1-based ranks k+1..end share their average (k+1+end)/2; the feature
    // is (rank - 1) / (n - 1) = ((k + end - 1) / 2) / (n - 1).
    const double value =
        n == 1 ? 0.5 : (static_cast<double>(k + end - 1) / 2.0) / static_cast<double>(n - 1);
    for (std::size_t q = k; q < end; ++q) assign(scratch[q].second, static_cast<float>(value));
    k = end;
  }
}

// Symbol indices per sector, in first-appearance order of the sectors. Throws
// DataError for a duplicate symbol or a symbol without a sector (in the order
// of `symbols`).
std::vector<std::vector<std::size_t>> sector_members_of(const std::vector<std::string>& symbols,
                                                        const SectorMap& sectors) {
  std::vector<std::vector<std::size_t>> members;
  std::map<std::string, std::size_t, std::less<>> sector_index;
  std::map<std::string, std::size_t, std::less<>> seen;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const std::string& sym = symbols[i];
    if (!seen.emplace(sym, i).second) {
      throw DataError(fmt::format("universe: symbol \"{}\" is listed twice", sym));
    }
    const auto it = sectors.sector_of.find(sym);
    if (it == sectors.sector_of.end()) {
      throw DataError(fmt::format("{}: symbol \"{}\" has no sector",
                                  sectors.source.empty() ? "sector map" : sectors.source, sym));
    }
    const auto [sit, inserted] = sector_index.emplace(it->second, members.size());
    if (inserted) members.emplace_back();
    members[sit->second].push_back(i);
  }
  return members;
}

// v.resize(n) for the frame's values (57 MB for 225 symbols x 2520 bars):
// asks the kernel first for transparent huge pages on the new storage (Linux,
// advisory), so that the resize's first touch faults a few 2 MB pages instead
// of thousands of 4 KB ones. On this project's VM the 4 KB faults cost about
// a third of the whole batch.
template <class T>
void resize_large(std::vector<T>& v, std::size_t n) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Only storage big enough to be its own mapping (glibc mmaps large blocks),
  // never a stretch of the shared heap.
  constexpr std::size_t kLargeBytes = std::size_t{32} << 20;
  if (v.capacity() < n && n * sizeof(T) >= kLargeBytes) {
    v.reserve(n);
    constexpr std::uintptr_t kPage = 4096;
    const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
    const std::uintptr_t first = (begin + kPage - 1) & ~(kPage - 1);
    const std::uintptr_t last = (begin + v.capacity() * sizeof(T)) & ~(kPage - 1);
    if (last > first) {
      ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // advisory
    }
  }
#endif
  v.resize(n);
}

// Runs `first` on the caller, then fn(begin, end) over [0, n) in contiguous
// chunks of `chunk` that `workers` threads (the caller and workers - 1
// std::threads) take in turn as they become free. Joins every thread, then
// rethrows the first exception (of `first`, then of the workers in order).
// Which thread runs a chunk never changes what the chunk computes.
template <class Fn, class First>
void for_chunks(std::size_t n, std::size_t workers, std::size_t chunk, const Fn& fn,
                const First& first) {
  workers = std::max<std::size_t>(1, std::min(workers, (n + chunk - 1) / chunk));
  if (workers == 1) {
    first();
    if (n > 0) fn(std::size_t{0}, n);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::exception_ptr> errors(workers + 1);
  auto run = [&](std::size_t w) {
    try {
      if (w == 0) first();
      for (;;) {
        const std::size_t begin = next.fetch_add(chunk);
        if (begin >= n) break;
        fn(begin, std::min(n, begin + chunk));
      }
    } catch (...) {
      errors[w] = std::current_exception();
      next.store(n);  // the others stop at their next chunk
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) {
    try {
      pool.emplace_back(run, w);
    } catch (const std::system_error&) {
      break;  // no more threads: the caller takes what is left
    }
  }
  run(0);
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace

FeatureFrame FeatureComputer::compute_symbol(const BarSeries& bars,
                                             const BarSeries& benchmark) const {
  SectorMap own;
  own.sector_of.emplace(bars.symbol, "(own sector)");
  own.source = "(compute_symbol)";
  return compute_universe({bars}, benchmark, own);
}

FeatureFrame FeatureComputer::compute_universe(const std::vector<BarSeries>& symbols,
                                               const BarSeries& benchmark,
                                               const SectorMap& sectors) const {
  validate_bars(benchmark);
  std::vector<std::string> names;
  names.reserve(symbols.size());
  for (const BarSeries& s : symbols) {
    validate_bars(s);
    names.push_back(s.symbol);
  }
  const std::string bench_name = benchmark.symbol.empty() ? "benchmark" : benchmark.symbol;
  const std::vector<std::vector<std::size_t>> sector_members = sector_members_of(names, sectors);

  FeatureFrame frame;
  frame.schema = schema();
  frame.columns = contract_.names();
  frame.fingerprint = contract_.fingerprint();
  for (const BarSeries& s : symbols) {
    const auto n = static_cast<std::int64_t>(s.bars.size());
    if (n < min_history_) {
      std::string message = fmt::format("{}: {} bars, fewer than the {} needed: no feature rows",
                                        s.symbol, n, min_history_);
      warn(message);
      frame.warnings.push_back(std::move(message));
    }
  }
  if (!compute_universe_parallel(symbols, benchmark, sector_members, frame)) {
    compute_universe_serial(symbols, benchmark, names, sectors, bench_name, frame);
  }
  return frame;
}

// The reference schedule: a UniverseStream stepped date by date. Used when the
// phased batch finds an input it does not handle (a symbol date missing from
// the benchmark, ...), so that the error thrown is exactly this one.
void FeatureComputer::compute_universe_serial(const std::vector<BarSeries>& symbols,
                                              const BarSeries& benchmark,
                                              const std::vector<std::string>& names,
                                              const SectorMap& sectors,
                                              const std::string& bench_name,
                                              FeatureFrame& frame) const {
  UniverseStream stream(*this, names, sectors, bench_name);
  frame.times.clear();
  frame.symbols.clear();
  frame.values.clear();
  std::vector<std::size_t> cursor(symbols.size(), 0);
  std::vector<const Bar*> today(symbols.size(), nullptr);
  for (const Bar& bench_bar : benchmark.bars) {
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      const auto& bars = symbols[i].bars;
      today[i] = nullptr;
      if (cursor[i] >= bars.size()) continue;
      const Bar& bar = bars[cursor[i]];
      if (bar.time < bench_bar.time) {
        throw DataError(missing_benchmark_message(symbols[i].symbol, bench_name, bar.time));
      }
      if (bar.time == bench_bar.time) {
        today[i] = &bar;
        ++cursor[i];
      }
    }
    stream.step_or_throw(bench_bar, today);
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      if (stream.status(i) != FeatureStatus::kReady) continue;
      const FeatureRow row = stream.row(i);
      frame.times.push_back(bench_bar.time);
      frame.symbols.push_back(symbols[i].symbol);
      frame.values.insert(frame.values.end(), row.values.begin(), row.values.end());
    }
  }
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (cursor[i] < symbols[i].bars.size()) {
      throw DataError(missing_benchmark_message(symbols[i].symbol, bench_name,
                                                symbols[i].bars[cursor[i]].time));
    }
  }
}

// The phased batch. Same values, same row order as compute_universe_serial:
//   A (parallel over symbols): each bar's benchmark date index (any bar whose
//     date the benchmark lacks -> return false: the serial path throws) and
//     each bar's float32 ret_20d.
//   (serial) where each date's rows start (rows are by date, then symbol).
//   R (parallel over dates): the frame row of every (symbol, bar) that has
//     one, each row's date and symbol, and each bar's cross_rank_sector by
//     rank_ret_20d, the rule UniverseStream applies.
//   B (parallel over symbols): the symbol's history as kernel inputs
//     (SymbolHistory, the values a FeatureStream would hold), then the kernel
//     on 8 or 16 consecutive rows at a time, each row written to the
//     frame once, with its rank.
// The inputs were validated (validate_bars), so every bar from min_history - 1
// on has a row, as the stream would give it. Returns false, leaving `frame`'s
// rows to the caller, if the serial path must run.
bool FeatureComputer::compute_universe_parallel(
    const std::vector<BarSeries>& symbols, const BarSeries& benchmark,
    const std::vector<std::vector<std::size_t>>& sector_members, FeatureFrame& frame) const {
  // Rows evaluated per kernel call (8 or 16 by the instruction set).
  const detail::BatchKernel batch_kernel = detail::best_batch_kernel();
  const auto lanes = static_cast<std::size_t>(batch_kernel.lanes);
  const std::size_t n = symbols.size();
  const std::vector<Bar>& bench = benchmark.bars;
  const std::size_t dates = bench.size();
  const std::size_t hardware = std::max(1U, std::thread::hardware_concurrency());
  const std::size_t workers =
      options_.threads > 0 ? static_cast<std::size_t>(options_.threads) : hardware;
  const auto first_row_bar = static_cast<std::size_t>(min_history_ - 1);
  const std::size_t ncols = columns_.size();
  const bool ranked = cross_rank_column_ >= 0;
  std::size_t rows = 0;
  for (const BarSeries& s : symbols) {
    if (s.bars.size() > first_row_bar) rows += s.bars.size() - first_row_bar;
  }

  // A: per bar, its date index and (from bar 20 on) its ret_20d; the frame's
  // dates and symbols allocated on the caller meanwhile (its values during R).
  std::vector<std::vector<std::uint32_t>> date_of(n);
  std::vector<std::vector<float>> ret20_of(ranked ? n : 0);
  std::vector<char> bad(n, 0);
  for_chunks(
      n, workers, 8,
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          const std::vector<Bar>& bars = symbols[i].bars;
          std::vector<std::uint32_t>& d = date_of[i];
          d.resize(bars.size());
          std::size_t k = 0;
          for (std::size_t j = 0; j < bars.size(); ++j) {
            while (k < dates && bench[k].time < bars[j].time) ++k;
            if (k == dates || bench[k].time != bars[j].time) {
              bad[i] = 1;
              break;
            }
            d[j] = static_cast<std::uint32_t>(k);
            ++k;
          }
          if (ranked) {
            std::vector<float>& r20 = ret20_of[i];
            r20.assign(bars.size(), 0.0f);
            for (std::size_t j = 20; j < bars.size(); ++j) {
              r20[j] = detail::ret_20d_value(bars[j].close, bars[j - 20].close);
            }
          }
        }
      },
      [&] {
        frame.times.resize(rows);
        frame.symbols.resize(rows);
      });
  if (std::find(bad.begin(), bad.end(), 1) != bad.end()) return false;

  // Row layout: rows are by date, then symbol order; date k's rows start at
  // date_start[k]. Phase R fills row_of_bar[i][j - first_row_bar], the frame
  // row of symbol i's bar j.
  std::vector<std::size_t> date_start(dates + 1, 0);
  std::vector<std::vector<std::uint32_t>> row_of_bar(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (date_of[i].size() <= first_row_bar) continue;
    row_of_bar[i].resize(date_of[i].size() - first_row_bar);
    for (std::size_t j = first_row_bar; j < date_of[i].size(); ++j) ++date_start[date_of[i][j] + 1];
  }
  for (std::size_t k = 0; k < dates; ++k) date_start[k + 1] += date_start[k];

  // R: date by date, each row's frame row, date and symbol, and the rank of
  // every bar with 21 bars by its date (a row of its own or not) among its
  // sector's: rank_of[i][j] for symbol i's bar j.
  std::vector<std::vector<float>> rank_of(ranked ? n : 0);
  for (std::size_t i = 0; i < rank_of.size(); ++i) rank_of[i].assign(date_of[i].size(), 0.5f);
  for_chunks(
      dates, workers, 64,
      [&](std::size_t begin, std::size_t end) {
        std::vector<std::pair<float, std::size_t>> scratch;
        scratch.reserve(n);
        std::vector<std::size_t> bar_today(n);
        constexpr std::size_t kNoBar = static_cast<std::size_t>(-1);
        // cursor[i]: symbol i's first bar on or after the current date.
        std::vector<std::size_t> cursor(n);
        for (std::size_t i = 0; i < n; ++i) {
          cursor[i] = static_cast<std::size_t>(
              std::lower_bound(date_of[i].begin(), date_of[i].end(), begin) - date_of[i].begin());
        }
        for (std::size_t k = begin; k < end; ++k) {
          std::size_t r = date_start[k];
          for (std::size_t i = 0; i < n; ++i) {
            bar_today[i] = kNoBar;
            const std::size_t j = cursor[i];
            if (j == date_of[i].size() || date_of[i][j] != k) continue;
            ++cursor[i];
            bar_today[i] = j;
            if (j < first_row_bar) continue;
            row_of_bar[i][j - first_row_bar] = static_cast<std::uint32_t>(r);
            frame.times[r] = bench[k].time;
            frame.symbols[r] = symbols[i].symbol;
            ++r;
          }
          if (!ranked) continue;
          for (const std::vector<std::size_t>& members : sector_members) {
            scratch.clear();
            for (std::size_t i : members) {
              if (bar_today[i] != kNoBar && bar_today[i] >= 20) {
                scratch.emplace_back(ret20_of[i][bar_today[i]], i);
              }
            }
            rank_ret_20d(scratch,
                         [&](std::size_t i, float value) { rank_of[i][bar_today[i]] = value; });
          }
        }
      },
      [&] { resize_large(frame.values, rows * ncols); });  // phase B's; R does not touch it

  // b_k, the benchmark's return on date k (k >= 1), as BenchmarkStream has it.
  std::vector<double> bench_return(dates, 0.0);
  for (std::size_t k = 1; k < dates; ++k) {
    bench_return[k] = detail::simple_return(bench[k].close, bench[k - 1].close);
  }

  // B: features per symbol, each row written to the frame once.
  // The contract's order is usually the spec's: then a row converts as one run.
  bool spec_order = ncols == static_cast<std::size_t>(kNumFeatures);
  for (std::size_t c = 0; spec_order && c < ncols; ++c) spec_order = columns_[c] == c;
  for_chunks(
      n, workers, 2,
      [&](std::size_t begin, std::size_t end) {
        detail::SymbolHistory history;
        double f[detail::kMaxBatchLanes][kNumFeatures];
        for (std::size_t i = begin; i < end; ++i) {
          const std::vector<Bar>& bars = symbols[i].bars;
          const std::vector<std::uint32_t>& d = date_of[i];
          const std::size_t m = bars.size();
          if (m <= first_row_bar) continue;
          // b_j: the benchmark's return on bar j's date (j >= 1, so d[j] >= 1:
          // date_of is strictly increasing).
          history.build(bars, [&](std::size_t j) { return bench_return[d[j]]; });
          // The frame row of bar t.
          const auto row_of = [&](std::size_t t) -> std::size_t {
            return row_of_bar[i][t - first_row_bar];
          };
          // A symbol's rows are a date's rows apart in the frame: far apart,
          // and cold. Their cache lines are requested before the kernel runs.
          const auto prefetch = [&](std::size_t t, int lanes) {
            for (std::size_t k = 0; k < static_cast<std::size_t>(lanes); ++k) {
              const char* p =
                  reinterpret_cast<const char*>(frame.values.data() + row_of(t + k) * ncols);
              for (std::size_t b = 0; b < ncols * sizeof(float); b += 64)
                __builtin_prefetch(p + b, 1);
              __builtin_prefetch(p + ncols * sizeof(float) - 1, 1);
            }
          };
          const auto emit = [&](std::size_t t, int lanes) {
            for (std::size_t k = 0; k < static_cast<std::size_t>(lanes); ++k) {
              if (ranked) f[k][detail::kCrossRankSector] = rank_of[i][t + k];
              float* out = frame.values.data() + row_of(t + k) * ncols;
              if (spec_order) {
                for (int c = 0; c < kNumFeatures; ++c) out[c] = static_cast<float>(f[k][c]);
              } else {
                for (std::size_t c = 0; c < ncols; ++c) {
                  out[c] = static_cast<float>(f[k][columns_[c]]);
                }
              }
            }
          };
          std::size_t t = first_row_bar;
          for (; t + lanes <= m; t += lanes) {
            prefetch(t, batch_kernel.lanes);
            batch_kernel.rows(history.rows_from(t), f);
            emit(t, batch_kernel.lanes);
          }
          for (; t < m; ++t) {
            detail::compute_feature_rows<double>(history.rows_from(t), f);
            emit(t, 1);
          }
        }
      },
      [] {});
  return true;
}

FeatureFrame compute_features_for_symbol(const BarSeries& bars, const BarSeries& benchmark,
                                         std::string_view contract_name,
                                         const std::filesystem::path& contracts_dir) {
  const FeatureComputer computer(load_feature_contract(contract_name, contracts_dir));
  return computer.compute_symbol(bars, benchmark);
}

// ---------------------------------------------------------------- benchmark

FeatureStatus BenchmarkStream::update(const Bar& bar) noexcept {
  if (count_ > 0 && bar.time <= last_.time) return FeatureStatus::kOutOfOrder;
  if (detail::bar_value_violation(bar) != nullptr) return FeatureStatus::kInvalidBar;
  if (count_ > 0) ret_ = detail::simple_return(bar.close, last_.close);
  last_ = bar;
  ++count_;
  return FeatureStatus::kReady;
}

void BenchmarkStream::update_or_throw(const Bar& bar, std::string_view name) {
  const FeatureStatus status = update(bar);
  if (status == FeatureStatus::kOutOfOrder) {
    throw DataError(fmt::format("{} {}: {}: does not follow {}", name, format_bar_time(bar.time),
                                detail::kRuleNonIncreasingDate, format_bar_time(last_.time)));
  }
  if (status == FeatureStatus::kInvalidBar) {
    throw DataError(fmt::format("{} {}: {}", name, format_bar_time(bar.time),
                                detail::bar_value_violation(bar)));
  }
}

// ---------------------------------------------------------------- symbol stream

struct FeatureStream::Impl {
  const FeatureComputer* computer = nullptr;
  const std::uint8_t* columns = nullptr;
  std::size_t ncols = 0;
  int cross_rank_column = -1;
  std::int64_t min_history = 0;
  detail::SymbolWindows w;
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

FeatureStatus check_symbol_bar(const detail::SymbolWindows& w, const Bar& bar,
                               const BenchmarkStream& benchmark) noexcept {
  if (w.count > 0 && bar.time <= w.last.time) return FeatureStatus::kOutOfOrder;
  if (detail::bar_value_violation(bar) != nullptr) return FeatureStatus::kInvalidBar;
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

FeatureStatus FeatureStream::update(const Bar& bar, const BenchmarkStream& benchmark) noexcept {
  Impl& s = *impl_;
  const FeatureStatus status = s.push(bar, benchmark);
  if (status != FeatureStatus::kReady) return status;
  double f[kNumFeatures];
  detail::compute_features(s.w, f);
  s.set_row(f);
  return FeatureStatus::kReady;
}

std::optional<FeatureRow> FeatureStream::update_or_throw(const Bar& bar,
                                                         const BenchmarkStream& benchmark) {
  const FeatureStatus status = update(bar, benchmark);
  switch (status) {
    case FeatureStatus::kReady:
      return row();
    case FeatureStatus::kInsufficientHistory:
      return std::nullopt;
    case FeatureStatus::kOutOfOrder:
      throw DataError(fmt::format("{} {}: {}: does not follow {}", symbol_,
                                  format_bar_time(bar.time), detail::kRuleNonIncreasingDate,
                                  format_bar_time(impl_->w.last.time)));
    case FeatureStatus::kInvalidBar:
      throw DataError(fmt::format("{} {}: {}", symbol_, format_bar_time(bar.time),
                                  detail::bar_value_violation(bar)));
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
  detail::StreamKernel stream_kernel = detail::best_stream_kernel();

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

FeatureStatus UniverseStream::step(const Bar& benchmark_bar,
                                   std::span<const Bar* const> bars) noexcept {
  Impl& s = *impl_;
  if (bars.size() != s.symbols.size()) return FeatureStatus::kUnknownSymbol;
  const FeatureStatus bench_status = s.benchmark.update(benchmark_bar);
  if (bench_status != FeatureStatus::kReady) return bench_status;
  // The symbols whose windows await the kernel, run kStreamLanes at a time
  // (the rest one by one): the same bits as FeatureStream::update.
  constexpr int kLanes = detail::kStreamLanes;
  FeatureStream::Impl* pending[kLanes];
  const detail::SymbolWindows* windows[kLanes];
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
        detail::prefetch_windows(symbol.w);
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
    detail::compute_features(*windows[k], f[k]);
    pending[k]->set_row(f[k]);
  }
  for (const auto& members : s.sector_members) s.rank_sector(members);
  return FeatureStatus::kReady;
}

void UniverseStream::step_or_throw(const Bar& benchmark_bar, std::span<const Bar* const> bars) {
  Impl& s = *impl_;
  const BarTime previous = s.benchmark.time();
  const FeatureStatus st = step(benchmark_bar, bars);
  const std::string date = format_bar_time(benchmark_bar.time);
  switch (st) {
    case FeatureStatus::kReady:
      break;
    case FeatureStatus::kUnknownSymbol:
      throw DataError(fmt::format("universe step {}: {} bar slots for {} symbols", date,
                                  bars.size(), s.symbols.size()));
    case FeatureStatus::kOutOfOrder:
      throw DataError(fmt::format("{} {}: {}: does not follow {}", s.benchmark_name, date,
                                  detail::kRuleNonIncreasingDate, format_bar_time(previous)));
    default:
      throw DataError(fmt::format("{} {}: {}", s.benchmark_name, date,
                                  detail::bar_value_violation(benchmark_bar)));
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
                                  format_bar_time(bar.time), detail::kRuleNonIncreasingDate,
                                  format_bar_time(s.streams[i].last_time())));
    }
    throw DataError(fmt::format("{} {}: {}", s.symbols[i], format_bar_time(bar.time),
                                detail::bar_value_violation(bar)));
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
