// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Feature computation speed on the issue-3 universe (225 symbols x 2520 bars,
// generate_synthetic_market defaults):
//   BM_BatchUniverse       the whole universe in batch, cross_rank_sector included
//   BM_BatchUniverseOneThread  the same on one thread (its whole CPU cost)
//   BM_StreamingOneSymbol  one FeatureStream update (plus its benchmark bar)
//   BM_StreamingCycle225   one UniverseStream step: 225 symbol-bars and the ranks
//   BM_StreamKernel/...    the streaming kernel alone on 8 symbols' windows held
//                          in cache: one by one (compute_features, what
//                          FeatureStream::update runs) or 8 at once in SIMD
//                          lanes (each instruction set), what a universe step runs
// Target: streaming <= 1 us per symbol-bar for all 28 features. Run with
//   bench/features_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

#include "features/feature_kernel.h"
#include "mlgov/bars.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/offline/synthetic_market.h"

namespace {

using namespace mlgov;

const SyntheticMarket& market() {
  static const SyntheticMarket m = generate_synthetic_market(SyntheticMarketOptions{});
  return m;
}

const FeatureComputer& computer() {
  static const FeatureComputer c(
      load_feature_contract("ml_v1", std::filesystem::path(MLGOV_SOURCE_DIR) / "contracts"));
  return c;
}

constexpr BarTime kDay = 86400;

void BM_BatchUniverse(benchmark::State& state) {
  const SyntheticMarket& m = market();
  std::size_t rows = 0;
  for (auto _ : state) {
    const FeatureFrame frame = computer().compute_universe(m.symbols, m.benchmark, m.sectors);
    rows = frame.rows();
    benchmark::DoNotOptimize(frame.values.data());
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["symbol_bars"] = static_cast<double>(m.symbols.size() * m.symbols[0].bars.size());
}
BENCHMARK(BM_BatchUniverse)->Unit(benchmark::kMillisecond);

// The same batch on one thread (FeatureComputerOptions::threads = 1): its
// wall time is the batch's whole CPU cost, the figure to compare when the
// machine's other core is busy.
void BM_BatchUniverseOneThread(benchmark::State& state) {
  const SyntheticMarket& m = market();
  FeatureComputerOptions options;
  options.threads = 1;
  const FeatureComputer one_thread(computer().contract(), options);
  std::size_t rows = 0;
  for (auto _ : state) {
    const FeatureFrame frame = one_thread.compute_universe(m.symbols, m.benchmark, m.sectors);
    rows = frame.rows();
    benchmark::DoNotOptimize(frame.values.data());
  }
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_BatchUniverseOneThread)->Unit(benchmark::kMillisecond);

// Bars replayed forever: values cycle through the series, times keep rising.
Bar replay(const std::vector<Bar>& bars, std::size_t k) {
  Bar b = bars[k % bars.size()];
  b.time = bars.front().time + static_cast<BarTime>(k) * kDay;
  return b;
}

void BM_StreamingOneSymbol(benchmark::State& state) {
  const SyntheticMarket& m = market();
  const auto& bars = m.symbols[0].bars;
  const auto& bench = m.benchmark.bars;
  BenchmarkStream benchmark_stream;
  FeatureStream stream(computer(), m.symbols[0].symbol);
  std::size_t k = 0;
  for (; k < 260; ++k) {
    benchmark_stream.try_update(replay(bench, k));
    stream.try_update(replay(bars, k), benchmark_stream);
  }
  std::size_t ready = 0;
  for (auto _ : state) {
    benchmark_stream.try_update(replay(bench, k));
    ready += stream.try_update(replay(bars, k), benchmark_stream) == FeatureStatus::kReady;
    benchmark::DoNotOptimize(stream.row().values.data());
    ++k;
  }
  if (ready != static_cast<std::size_t>(state.iterations())) state.SkipWithError("row not ready");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StreamingOneSymbol);

void BM_StreamingCycle225(benchmark::State& state) {
  const SyntheticMarket& m = market();
  const std::size_t n = m.symbols.size();
  std::vector<std::string> names;
  for (const auto& s : m.symbols) names.push_back(s.symbol);
  UniverseStream stream(computer(), names, m.sectors, m.benchmark.symbol);
  std::vector<Bar> today(n);
  std::vector<const Bar*> ptrs(n);
  for (std::size_t i = 0; i < n; ++i) ptrs[i] = &today[i];
  auto fill = [&](std::size_t k) {
    for (std::size_t i = 0; i < n; ++i) today[i] = replay(m.symbols[i].bars, k);
  };
  std::size_t k = 0;
  for (; k < 260; ++k) {
    fill(k);
    stream.try_step(replay(m.benchmark.bars, k), ptrs);
  }
  for (auto _ : state) {
    fill(k);
    const FeatureStatus st = stream.try_step(replay(m.benchmark.bars, k), ptrs);
    benchmark::DoNotOptimize(st);
    ++k;
  }
  if (stream.status(0) != FeatureStatus::kReady) state.SkipWithError("row not ready");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["ns_per_symbol_bar"] =
      benchmark::Counter(static_cast<double>(state.iterations() * static_cast<std::int64_t>(n)),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_StreamingCycle225)->Unit(benchmark::kMicrosecond);

// 8 symbols' windows after 300 bars each, for the kernel benchmarks.
std::vector<internal::SymbolWindows> eight_symbols_windows() {
  const SyntheticMarket& m = market();
  std::vector<internal::SymbolWindows> w(internal::kStreamLanes);
  for (int k = 0; k < internal::kStreamLanes; ++k) {
    const auto& bars = m.symbols[static_cast<std::size_t>(k)].bars;
    for (std::size_t t = 0; t < 300; ++t) {
      const double b = m.benchmark.bars[t].close / m.benchmark.bars[t > 0 ? t - 1 : 0].close - 1;
      w[static_cast<std::size_t>(k)].push(bars[t], b);
    }
  }
  return w;
}

void BM_StreamKernelOneByOne(benchmark::State& state) {
  const std::vector<internal::SymbolWindows> w = eight_symbols_windows();
  double f[internal::kStreamLanes][internal::kNumFeatures];
  for (auto _ : state) {
    for (int k = 0; k < internal::kStreamLanes; ++k) internal::compute_features(w[k], f[k]);
    benchmark::DoNotOptimize(f);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * internal::kStreamLanes);
}
BENCHMARK(BM_StreamKernelOneByOne);

void BM_StreamKernelLanes(benchmark::State& state, internal::StreamKernel kernel) {
  const std::vector<internal::SymbolWindows> w = eight_symbols_windows();
  const internal::SymbolWindows* ptrs[internal::kStreamLanes];
  for (int k = 0; k < internal::kStreamLanes; ++k) ptrs[k] = &w[k];
  double f[internal::kStreamLanes][internal::kNumFeatures];
  for (auto _ : state) {
    kernel.rows(ptrs, f);
    benchmark::DoNotOptimize(f);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * internal::kStreamLanes);
}
BENCHMARK_CAPTURE(BM_StreamKernelLanes, sse2,
                  internal::StreamKernel{internal::compute_stream_rows_sse2, "sse2"});
#if defined(__x86_64__)
const bool kHasAvx2 = __builtin_cpu_supports("avx2");
const bool kHasAvx512 = __builtin_cpu_supports("avx512f");
void BM_StreamKernelLanesAvx2(benchmark::State& state) {
  if (!kHasAvx2) return state.SkipWithError("no AVX2");
  BM_StreamKernelLanes(state, {internal::compute_stream_rows_avx2, "avx2"});
}
BENCHMARK(BM_StreamKernelLanesAvx2);
void BM_StreamKernelLanesAvx512(benchmark::State& state) {
  if (!kHasAvx512) return state.SkipWithError("no AVX-512");
  BM_StreamKernelLanes(state, {internal::compute_stream_rows_avx512, "avx512"});
}
BENCHMARK(BM_StreamKernelLanesAvx512);
#endif

}  // namespace

BENCHMARK_MAIN();
