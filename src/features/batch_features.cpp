// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The batch: FeatureComputer, its contract columns and compute_universe, a
// phased implementation over each symbol's whole history (SymbolHistory) that
// gives the streams' values to the bit, with the streams themselves as the
// reference schedule for inputs the phases do not handle.
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

#include "features/bar_rules.h"
#include "features/batch_layout.h"
#include "features/feature_kernel.h"
#include "features/universe_rules.h"
#include "mlgov/errors.h"

namespace mlgov {

using internal::kNumFeatures;
using internal::missing_benchmark_message;
using internal::rank_ret_20d;
using internal::sector_members_of;

const std::vector<std::string>& supported_features() {
  static const std::vector<std::string> names(internal::kFeatureNames.begin(),
                                              internal::kFeatureNames.end());
  return names;
}

const std::vector<std::string>& FeatureFrame::columns() const noexcept {
  static const std::vector<std::string> kNone;
  return schema ? schema->names() : kNone;
}

const std::string& FeatureFrame::fingerprint() const noexcept {
  static const std::string kNone;
  return schema ? schema->fingerprint() : kNone;
}

std::optional<std::size_t> FeatureFrame::column_index(std::string_view name) const noexcept {
  const std::vector<std::string>& names = columns();
  for (std::size_t j = 0; j < names.size(); ++j) {
    if (names[j] == name) return j;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- computer

FeatureComputer::FeatureComputer(FeatureContract contract, FeatureComputerOptions options)
    : contract_(std::move(contract)), options_(std::move(options)) {
  std::vector<std::string> unknown;
  for (const std::string& name : contract_.names()) {
    const auto it = std::find(internal::kFeatureNames.begin(), internal::kFeatureNames.end(), name);
    if (it == internal::kFeatureNames.end()) {
      unknown.push_back(name);
      continue;
    }
    const auto id = static_cast<std::uint8_t>(it - internal::kFeatureNames.begin());
    if (id == internal::kCrossRankSector) cross_rank_column_ = static_cast<int>(columns_.size());
    columns_.push_back(id);
  }
  if (!unknown.empty()) {
    throw ContractError(fmt::format(
        "{}: contract \"{}\" names {} feature(s) FeatureComputer cannot compute: {}",
        contract_.source(), contract_.name(), unknown.size(), fmt::join(unknown, ", ")));
  }
  min_history_ = std::max(internal::kLookback, contract_.min_history());
}

void FeatureComputer::warn(const std::string& message) const {
  if (options_.logger) options_.logger->warn("{}", message);
}

namespace {

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
    stream.step(bench_bar, today);
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
  const internal::BatchKernel batch_kernel = internal::best_batch_kernel();
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
              r20[j] = internal::ret_20d_value(bars[j].close, bars[j - 20].close);
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
    bench_return[k] = internal::simple_return(bench[k].close, bench[k - 1].close);
  }

  // B: features per symbol, each row written to the frame once.
  // The contract's order is usually the spec's: then a row converts as one run.
  bool spec_order = ncols == static_cast<std::size_t>(kNumFeatures);
  for (std::size_t c = 0; spec_order && c < ncols; ++c) spec_order = columns_[c] == c;
  for_chunks(
      n, workers, 2,
      [&](std::size_t begin, std::size_t end) {
        internal::SymbolHistory history;
        double f[internal::kMaxBatchLanes][kNumFeatures];
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
              if (ranked) f[k][internal::kCrossRankSector] = rank_of[i][t + k];
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
            internal::compute_feature_rows<double>(history.rows_from(t), f);
            emit(t, 1);
          }
        }
      },
      [] {});
  return true;
}

}  // namespace mlgov
