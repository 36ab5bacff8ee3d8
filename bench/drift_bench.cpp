// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// DriftMonitor::record on its own, 225 models of 28 features (each its own
// edges), one row per model a cycle, the batch form the predictor uses
// (reserve_rows once, record_reserved per row):
//   BM_DriftRecordCycle/hot_*  the tables in cache: the binning's compute,
//                             per kernel clone (generic: the build's target,
//                             SSE2 here; avx2; avx512)
//   BM_DriftRecordCycle/cold_avx512  the caches flushed between cycles (a
//                             64 MB walk, untimed), no prefetch: what
//                             binning after the trees would cost
//   BM_DriftRecordCycle/cold_prefetched_avx512  the same, each model's
//                             tables prefetched 4 rows ahead
// The in-cycle figure that #14 judges is BM_DriftCostPaired in
// hot_path_bench (drift on against off over the same models and rows).
//   build/release/bench/drift_bench --benchmark_repetitions=5
#include <chrono>
#include <cstddef>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "drift/record_kernel.h"
#include "mlgov/drift.h"

namespace {

using namespace mlgov;

constexpr std::size_t kFeatures = 28;
constexpr std::size_t kModels = 225;

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (std::size_t f = 0; f < kFeatures; ++f) out.push_back(fmt::format("f{}", f));
  return out;
}

// Model m's feature f: min m, edges m + 1..9 scaled by (f + 1), max m + 10(f + 1).
TrainingBins bins_of(std::size_t m) {
  nlohmann::json stats = nlohmann::json::object();
  const std::vector<std::string> n = names();
  for (std::size_t f = 0; f < kFeatures; ++f) {
    const double base = static_cast<double>(m);
    const double scale = static_cast<double>(f + 1);
    nlohmann::json deciles = nlohmann::json::array();
    for (int k = 1; k <= 9; ++k) deciles.push_back(base + k * scale);
    stats[n[f]] = {{"min", base}, {"max", base + 10 * scale}, {"deciles", deciles}};
  }
  return TrainingBins::from_feature_stats(stats, n, "bench");
}

enum class Cache { kHot, kCold, kColdPrefetched };

using internal::DriftRecordKernel;

void BM_DriftRecordCycle(benchmark::State& state, Cache cache, DriftRecordKernel kernel) {
  DriftConfig config;
  std::vector<DriftModel> models;
  for (std::size_t m = 0; m < kModels; ++m) models.push_back({fmt::format("S{}", m), bins_of(m)});
  DriftMonitor monitor(names(), config, std::move(models));
  if (!internal::DriftMonitorAccess::use(monitor, kernel)) {
    state.SkipWithError("this CPU does not run the kernel");
    return;
  }
  // 64 cycles of rows, values spread over each model's range (and a few
  // outside it), so the bins vary the way live rows do.
  constexpr std::size_t kCycles = 64;
  std::vector<float> rows(kCycles * kModels * kFeatures);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(-0.05f, 1.05f);
  for (std::size_t c = 0; c < kCycles; ++c) {
    for (std::size_t m = 0; m < kModels; ++m) {
      for (std::size_t f = 0; f < kFeatures; ++f) {
        rows[(c * kModels + m) * kFeatures + f] =
            static_cast<float>(m) + 10.0f * static_cast<float>(f + 1) * unit(rng);
      }
    }
  }
  std::vector<char> flush(cache == Cache::kHot ? 0 : 64u << 20, 1);
  std::size_t cycle = 0;
  for (auto _ : state) {
    if (cache != Cache::kHot) {
      // Untimed: evict everything the previous cycle brought in.
      unsigned sum = 0;
      for (std::size_t i = 0; i < flush.size(); i += 64) sum += flush[i]++;
      benchmark::DoNotOptimize(sum);
    }
    const float* cycle_rows = &rows[(cycle++ % kCycles) * kModels * kFeatures];
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t place = monitor.reserve_rows(kModels);
    for (std::size_t m = 0; m < kModels; ++m) {
      if (cache == Cache::kColdPrefetched && m + 4 < kModels) monitor.prefetch(m + 4);
      monitor.record_reserved(place++, m, {cycle_rows + m * kFeatures, kFeatures});
    }
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  state.counters["ns_per_row"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kModels),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}
BENCHMARK_CAPTURE(BM_DriftRecordCycle, hot_generic, Cache::kHot, DriftRecordKernel::kGeneric)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_DriftRecordCycle, hot_avx2, Cache::kHot, DriftRecordKernel::kAvx2)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_DriftRecordCycle, hot_avx512, Cache::kHot, DriftRecordKernel::kAvx512)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_DriftRecordCycle, cold_avx512, Cache::kCold, DriftRecordKernel::kAvx512)
    ->UseManualTime()
    ->Iterations(300);
BENCHMARK_CAPTURE(BM_DriftRecordCycle, cold_prefetched_avx512, Cache::kColdPrefetched,
                  DriftRecordKernel::kAvx512)
    ->UseManualTime()
    ->Iterations(300);

}  // namespace

BENCHMARK_MAIN();
