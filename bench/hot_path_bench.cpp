// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The hot path of one engine cycle over 225 symbols, as the host runs it:
// one streaming feature update per symbol (UniverseStream), then the
// governed prediction of every row (validation, inference, governance).
//
//   BM_Cycle          features + governed predictions (the whole cycle)
//   BM_Features       the 225 streaming updates alone
//   BM_GovernedPredict the 225 governed predictions alone (same rows)
//   BM_BareBackend    the same 225 rows through the bare native evaluator (one
//                     shared instance, as the registry holds identical models):
//                     BM_GovernedPredict - BM_BareBackend is the governance share
//
// Each reports p50_us / p99_us of the per-iteration latency as counters.
// Run: build/release/bench/hot_path_bench --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "hot_path_fixture.h"
#include "model_backend.h"

namespace mlgov::internal {
namespace {

HotPathFixture& fixture() {
  static auto* f = [] {
    HotPathOptions options;
    options.symbols = 225;
    options.years = 8;
    options.trees = 300;
    options.depth = 6;
    options.contracts_dir = std::filesystem::path(MLGOV_SOURCE_DIR) / "contracts";
    auto* made = new HotPathFixture(options);
    made->warm_up();
    return made;
  }();
  return *f;
}

// Keeps the fixture streaming: rewinds (untimed) when the dates run out.
void ensure_dates(benchmark::State& state, HotPathFixture& f) {
  if (f.dates_left() > 0) return;
  state.PauseTiming();
  f.rewind();
  f.warm_up();
  state.ResumeTiming();
}

class LatencyRecorder {
 public:
  void add(std::chrono::steady_clock::duration d) {
    samples_.push_back(std::chrono::duration<double, std::micro>(d).count());
  }
  void report(benchmark::State& state) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto pct = [&](double p) {
      return samples_[std::min(samples_.size() - 1, static_cast<std::size_t>(p * samples_.size()))];
    };
    state.counters["p50_us"] = pct(0.50);
    state.counters["p99_us"] = pct(0.99);
  }

 private:
  std::vector<double> samples_;
};

void BM_Cycle(benchmark::State& state) {
  auto& f = fixture();
  LatencyRecorder latency;
  std::size_t ok = 0;
  for (auto _ : state) {
    ensure_dates(state, f);
    const auto t0 = std::chrono::steady_clock::now();
    ok += f.cycle();
    latency.add(std::chrono::steady_clock::now() - t0);
  }
  benchmark::DoNotOptimize(ok);
  latency.report(state);
  state.counters["symbols"] = static_cast<double>(f.symbols().size());
  if (ok != static_cast<std::size_t>(state.iterations()) * f.symbols().size()) {
    // Say what went wrong: the predictor's own failure counters.
    static std::string message;
    const MetricsSnapshot m = f.predictor().metrics();
    message = "a prediction failed: ok=" + std::to_string(ok) +
              " expected=" + std::to_string(state.iterations() * f.symbols().size()) +
              " state=" + std::string(to_string(m.state)) + " last_error=" + m.last_error;
    state.SkipWithError(message.c_str());
  }
}
BENCHMARK(BM_Cycle)->Unit(benchmark::kMicrosecond);

void BM_Features(benchmark::State& state) {
  auto& f = fixture();
  LatencyRecorder latency;
  for (auto _ : state) {
    ensure_dates(state, f);
    const auto t0 = std::chrono::steady_clock::now();
    f.step_features();
    latency.add(std::chrono::steady_clock::now() - t0);
  }
  latency.report(state);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(f.symbols().size()));
}
BENCHMARK(BM_Features)->Unit(benchmark::kMicrosecond);

void BM_GovernedPredict(benchmark::State& state) {
  auto& f = fixture();
  ensure_dates(state, f);
  f.step_features();
  LatencyRecorder latency;
  std::size_t ok = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    ok += f.predict_all();
    latency.add(std::chrono::steady_clock::now() - t0);
  }
  benchmark::DoNotOptimize(ok);
  latency.report(state);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(f.symbols().size()));
}
BENCHMARK(BM_GovernedPredict)->Unit(benchmark::kMicrosecond);

void BM_BareBackend(benchmark::State& state) {
  auto& f = fixture();
  ensure_dates(state, f);
  f.step_features();
  // One evaluator for every symbol, as the registry shares byte-identical
  // model files (the fixture deploys one model to all 225 symbols).
  const std::shared_ptr<ModelBackend> shared = load_native_backend(f.model_file());
  std::vector<ModelBackend*> backends(f.symbols().size(), shared.get());
  std::vector<float> out(f.symbols().size());
  LatencyRecorder latency;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < backends.size(); ++i) {
      backends[i]->predict(f.rows()[i].values.data(), 1, &out[i]);
    }
    latency.add(std::chrono::steady_clock::now() - t0);
    benchmark::DoNotOptimize(out.data());
  }
  latency.report(state);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(f.symbols().size()));
}
BENCHMARK(BM_BareBackend)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mlgov::internal

BENCHMARK_MAIN();
