// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The report `mlgov bench` prints: measures the hot path on this machine and
// prints the figures the README quotes, with the machine they were measured
// on. In the offline library so that the tool needs only public headers. Same process, same models,
// same rows:
//   1. per-row and per-225-row-batch latency of every backend side by side
//      (native, native_simd, XGBoosterPredictFromDense with nthread=1;
//      interleaved halves), ns per tree-row, and what backend: auto picks
//      and why, for 100x4, 300x6, 500x8 models;
//   2. a whole 225-symbol cycle (streaming features + governed predictions,
//      by ModelHandle) and the governance share of it, measured two ways:
//      paired (each cycle runs the 225 governed predictions and the 225 bare
//      evaluations of the same rows back to back, the order alternating; the
//      median of the per-cycle differences, per order and averaged) and per
//      call on a tiny model (1 tree, depth 1, served by a second predictor:
//      governed try_predict and predict_batch against the bare evaluator, in
//      ns per call, x 225).
// Latencies are p50/p99 of individually timed calls (steady_clock; its ~20 ns
// overhead is included in every figure).
#include "mlgov/offline/bench.h"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <xgboost/c_api.h>

#include "model/model_backend.h"
#include "model/model_document.h"
#include "offline/hot_path_fixture.h"

namespace mlgov::offline {
namespace {

using Clock = std::chrono::steady_clock;

struct Percentiles {
  double p50 = 0;
  double p99 = 0;
};

Percentiles percentiles(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))];
  };
  return {at(0.50), at(0.99)};
}

using internal::micros;

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

void print_machine() {
  utsname u{};
  ::uname(&u);
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  std::printf("machine: %s, %u hardware threads, %s %s\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), u.sysname, u.release);
  std::printf("build:   g++ %d.%d, %s; XGBoost %d.%d.%d\n", __GNUC__, __GNUC_MINOR__,
#ifdef NDEBUG
              "optimised (NDEBUG)",
#else
              "NOT optimised (debug build: figures are meaningless)",
#endif
              major, minor, patch);
}

// Times `calls` single-row predictions cycling over `rows`.
Percentiles time_rows(internal::ModelBackend& backend, const std::vector<float>& rows,
                      std::size_t cols, std::size_t calls) {
  const std::size_t n = rows.size() / cols;
  std::vector<double> us;
  us.reserve(calls);
  float out = 0;
  for (std::size_t i = 0; i < calls; ++i) {
    const float* row = rows.data() + (i % n) * cols;
    const auto t0 = Clock::now();
    backend.predict(row, 1, &out);
    us.push_back(micros(Clock::now() - t0));
  }
  return percentiles(std::move(us));
}

// Times `calls` predictions of one 225-row batch.
Percentiles time_batch(internal::ModelBackend& backend, const std::vector<float>& rows,
                       std::size_t cols, std::size_t batch, std::size_t calls) {
  std::vector<float> out(batch);
  std::vector<double> us;
  us.reserve(calls);
  const std::size_t n = rows.size() / cols;
  for (std::size_t i = 0; i < calls; ++i) {
    const std::size_t start = (i * batch) % (n - batch);
    const auto t0 = Clock::now();
    backend.predict(rows.data() + start * cols, batch, out.data());
    us.push_back(micros(Clock::now() - t0));
  }
  return percentiles(std::move(us));
}

bool run(bool quick, const std::string& contracts_dir) {
  print_machine();
  const std::size_t row_calls = quick ? 2000 : 20000;
  const std::size_t batch_calls = quick ? 100 : 1000;
  const std::size_t cycles = quick ? 200 : 2000;
  constexpr std::size_t kBatch = 225;

  // Rows with real feature distributions: the synthetic universe's features.
  SyntheticMarketOptions market_options;
  market_options.symbols = 20;
  market_options.years = 3;
  const SyntheticMarket market = generate_synthetic_market(market_options);
  const FeatureComputer computer(load_feature_contract("ml_v1", contracts_dir));
  const FeatureFrame frame =
      computer.compute_universe(market.symbols, market.benchmark, market.sectors);
  const std::size_t cols = frame.cols();

  std::printf("\n1. model evaluation, %zu features, rows from a synthetic universe (%zu rows)\n",
              cols, frame.rows());
  std::printf("   %-7s %-12s %12s %12s %14s %14s %10s\n", "model", "backend", "row p50 us",
              "row p99 us", "225-batch p50", "225-batch p99", "ns/tree-row");
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / ("mlgov-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  for (const auto& [trees, depth] : {std::pair{100, 4}, std::pair{300, 6}, std::pair{500, 8}}) {
    const auto model_file =
        scratch / ("model_" + std::to_string(trees) + "x" + std::to_string(depth) + ".json");
    internal::train_fixture_model(frame, trees, depth, model_file);
    const internal::ValidatedModel validated = internal::read_and_validate_model(model_file, {});
    auto native = internal::load_native_backend(validated, model_file.string());
    auto simd = internal::load_native_simd_backend(validated, model_file.string());
    auto xgb = internal::load_xgboost_backend(validated, model_file.string());
    const internal::AutoBackend chosen =
        internal::load_auto_backend(validated, model_file.string());
    // Interleaved, so that a busy machine slows every backend alike.
    Percentiles n_row, s_row, x_row, n_batch, s_batch, x_batch;
    for (int half = 0; half < 2; ++half) {
      const auto keep = [half](Percentiles& into, const Percentiles& got) {
        into.p50 += got.p50 / 2;
        into.p99 += got.p99 / 2;
      };
      keep(n_row, time_rows(*native, frame.values, cols, row_calls / 2));
      keep(s_row, time_rows(*simd, frame.values, cols, row_calls / 2));
      keep(x_row, time_rows(*xgb, frame.values, cols, row_calls / 8));
      keep(n_batch, time_batch(*native, frame.values, cols, kBatch, batch_calls / 2));
      keep(s_batch, time_batch(*simd, frame.values, cols, kBatch, batch_calls / 2));
      keep(x_batch, time_batch(*xgb, frame.values, cols, kBatch, batch_calls / 4));
    }
    const std::string name = std::to_string(trees) + "x" + std::to_string(depth);
    const double tree_rows = static_cast<double>(trees) * static_cast<double>(kBatch);
    std::printf("   %-7s %-12s %12.2f %12.2f %14.1f %14.1f %10.2f\n", name.c_str(), "native",
                n_row.p50, n_row.p99, n_batch.p50, n_batch.p99, 1000 * n_batch.p50 / tree_rows);
    std::printf("   %-7s %-12s %12.2f %12.2f %14.1f %14.1f %10.2f\n", "", "native_simd", s_row.p50,
                s_row.p99, s_batch.p50, s_batch.p99, 1000 * s_batch.p50 / tree_rows);
    std::printf("   %-7s %-12s %12.2f %12.2f %14.1f %14.1f %10.2f\n", "", "xgboost", x_row.p50,
                x_row.p99, x_batch.p50, x_batch.p99, 1000 * x_batch.p50 / tree_rows);
    std::printf("   %-7s auto picks %s\n", "", chosen.reason.c_str());
  }
  std::filesystem::remove_all(scratch);

  internal::HotPathOptions options;
  options.backend = PredictorBackend::kAuto;
  options.symbols = 225;
  options.years = quick ? 3 : 10;
  options.contracts_dir = contracts_dir;
  options.tiny_model = true;
  internal::HotPathFixture fixture(options);
  fixture.warm_up();
  const std::size_t n = fixture.symbols().size();
  std::printf("\n2. one engine cycle, 225 symbols, 300x6 model per symbol, backend auto (%s)\n",
              fixture.predictor().model_info(fixture.symbols()[0])->backend.c_str());
  // The bare evaluations go through the very evaluators the predictors call
  // (the registry shares one between byte-identical model files): nothing
  // differs but the governance, not even the model's addresses.
  GovernedPredictor& tiny = fixture.tiny_predictor();
  const std::vector<internal::ModelBackend*> bare = fixture.bare_backends(fixture.predictor());
  const std::vector<internal::ModelBackend*> tiny_bare = fixture.bare_backends(tiny);
  const std::vector<ModelHandle>& tiny_handles = fixture.tiny_handles();
  std::vector<PredictResult> tiny_results(n);
  // Per cycle: features, then governed and bare (paired), then the tiny
  // model's governed single calls, governed batch and bare calls (ns per row).
  std::vector<double> cycle_us, feature_us, predict_us, bare_us;
  std::vector<double> tiny_call_ns, tiny_batch_ns, tiny_bare_ns;
  internal::OrderBalancedMedian diff, tiny_call_diff, tiny_batch_diff;
  std::size_t ok = 0;
  std::size_t tiny_ok = 0;
  for (std::size_t c = 0; c < cycles; ++c) {
    if (fixture.dates_left() == 0) {
      fixture.rewind();
      fixture.warm_up();
    }
    const bool governed_first = c % 2 == 0;
    const internal::HotPathFixture::PairedCycle paired = fixture.paired_cycle(bare, governed_first);
    ok += paired.ok;
    feature_us.push_back(paired.features_us);
    predict_us.push_back(paired.governed_us);
    cycle_us.push_back(paired.features_us + paired.governed_us);
    bare_us.push_back(paired.bare_us);
    diff.add(paired.governed_us - paired.bare_us, governed_first);

    const double per_row = 1000.0 / static_cast<double>(n);  // us per batch -> ns per row
    double call = 0;
    double batch = 0;
    double plain = 0;
    const auto time_calls = [&] {
      const auto s0 = Clock::now();
      for (std::size_t i = 0; i < n; ++i) {
        tiny_ok += tiny.try_predict(tiny_handles[i], fixture.rows()[i]).ok() ? 1 : 0;
      }
      call = micros(Clock::now() - s0) * per_row;
    };
    const auto time_batch = [&] {
      const auto s0 = Clock::now();
      tiny_ok += tiny.predict_batch(tiny_handles, fixture.rows(), tiny_results);
      batch = micros(Clock::now() - s0) * per_row;
    };
    const auto time_bare = [&] {
      const auto s0 = Clock::now();
      fixture.run_bare(tiny_bare);
      plain = micros(Clock::now() - s0) * per_row;
    };
    if (governed_first) {
      time_calls();
      time_batch();
      time_bare();
    } else {
      time_bare();
      time_batch();
      time_calls();
    }
    tiny_call_ns.push_back(call);
    tiny_batch_ns.push_back(batch);
    tiny_bare_ns.push_back(plain);
    tiny_call_diff.add(call - plain, governed_first);
    tiny_batch_diff.add(batch - plain, governed_first);
  }
  if (ok != cycles * n || tiny_ok != 2 * cycles * n) return false;
  const Percentiles cycle = percentiles(cycle_us);
  const Percentiles feat = percentiles(feature_us);
  const Percentiles pred = percentiles(predict_us);
  const Percentiles bare_p = percentiles(bare_us);
  std::printf("   %-44s %10s %10s\n", "", "p50 us", "p99 us");
  std::printf("   %-44s %10.1f %10.1f\n", "whole cycle (features + governed predict)", cycle.p50,
              cycle.p99);
  std::printf("   %-44s %10.1f %10.1f\n", "  225 streaming feature updates", feat.p50, feat.p99);
  std::printf("   %-44s %10.1f %10.1f\n", "  225 governed predictions (handle batch)", pred.p50,
              pred.p99);
  std::printf("   %-44s %10.1f %10.1f\n", "  the same 225 rows, bare evaluator", bare_p.p50,
              bare_p.p99);
  std::printf("   per symbol-bar: features %.3f us, governed predict %.3f us\n", feat.p50 / 225.0,
              pred.p50 / 225.0);

  const Percentiles t_call = percentiles(tiny_call_ns);
  const Percentiles t_batch = percentiles(tiny_batch_ns);
  const Percentiles t_bare = percentiles(tiny_bare_ns);
  std::printf("\n   tiny model (1 tree, depth 1), the cycle's rows  %10s %10s\n", "p50 ns",
              "p99 ns");
  std::printf("   %-44s %10.1f %10.1f\n", "  governed try_predict(handle), per call", t_call.p50,
              t_call.p99);
  std::printf("   %-44s %10.1f %10.1f\n", "  governed predict_batch(handles), per row", t_batch.p50,
              t_batch.p99);
  std::printf("   %-44s %10.1f %10.1f\n", "  bare native evaluator, per call", t_bare.p50,
              t_bare.p99);

  // Medians of the paired differences, per order and averaged (the first run
  // after the feature update finds colder caches).
  const double per_call_ns = tiny_call_diff.value();
  const double per_row_ns = tiny_batch_diff.value();
  const double per_call_us = per_call_ns * static_cast<double>(n) / 1000.0;
  const double per_row_us = per_row_ns * static_cast<double>(n) / 1000.0;
  std::printf("\n   governance share of the cycle (p50 %.1f us), medians of paired differences:\n",
              cycle.p50);
  std::printf(
      "     paired, 300x6 model, governed - bare per cycle:  %6.2f us = %5.2f%%"
      "  (governed first %.2f, bare first %.2f)\n",
      diff.value(), 100.0 * diff.value() / cycle.p50, diff.governed_first(), diff.bare_first());
  std::printf("     tiny model, try_predict: %6.1f ns/call x %zu = %6.2f us = %5.2f%%\n",
              per_call_ns, n, per_call_us, 100.0 * per_call_us / cycle.p50);
  std::printf("     tiny model, batch:       %6.1f ns/row  x %zu = %6.2f us = %5.2f%%\n",
              per_row_ns, n, per_row_us, 100.0 * per_row_us / cycle.p50);
  std::printf("\n%zu cycles, %zu predictions, all OK\n", cycles, ok + tiny_ok);
  return true;
}

}  // namespace

bool run_bench(const BenchOptions& options) {
  return run(options.quick, options.contracts_dir.string());
}

}  // namespace mlgov::offline
