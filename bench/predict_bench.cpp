// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The three evaluators side by side: native_simd (VectorForest, AVX-512),
// native (NativeForest, scalar) and XGBoost's C API
// (XGBoosterPredictFromDense, nthread=1), same process, same model file.
// Models are trained in the setup on synthetic data with 28 features: 100
// trees x depth 4, 300 x 6, 500 x 8. ns_per_tree_row = call time / (trees x
// rows). On a shared machine interleave the repetitions and read medians:
//
//   build/release/bench/predict_bench --benchmark_repetitions=10
//       --benchmark_enable_random_interleaving=true
//       --benchmark_report_aggregates_only=true   (one command line)
//
// Row: one single-row predict() call (rows cycle through 225 prepared ones).
// Batch225: one predict() call over 225 rows (one cycle of a 225-symbol
// engine). Batch225NaN: the same with 5% missing values. Time per iteration
// is per call; items/s counts rows.
#include <benchmark/benchmark.h>

#include <time.h>
#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlgov/offline/xgboost_trainer.h"
#include "model/model_backend.h"
#include "model/model_document.h"
#include "model/native_forest.h"

namespace {

constexpr std::size_t kFeatures = 28;
constexpr std::size_t kCycleRows = 225;

struct ModelShape {
  int trees;
  int depth;
};
constexpr ModelShape kShapes[] = {{100, 4}, {300, 6}, {500, 8}};

// Deterministic data: xorshift, features on mixed scales, `nan_fraction` NaN.
std::vector<float> make_rows(std::size_t n, std::uint64_t seed, double nan_fraction) {
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<double>(s >> 11) * 0x1.0p-53;
  };
  std::vector<float> x(n * kFeatures);
  for (float& v : x) {
    v = next() < nan_fraction ? std::nanf("") : static_cast<float>((next() - 0.5) * 6.0);
  }
  return x;
}

std::vector<float> make_labels(const std::vector<float>& x) {
  std::vector<float> y(x.size() / kFeatures);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const float* r = x.data() + i * kFeatures;
    auto v = [&](int j) { return std::isnan(r[j]) ? 0.0f : r[j]; };
    y[i] = (v(0) - 0.5f * v(1) + (v(2) > 0.5f ? 1.0f : -0.3f) + 0.3f * v(0) * v(5) +
                std::sin(3.0f * v(7)) >
            0)
               ? 1.0f
               : 0.0f;
  }
  return y;
}

struct Fixture {
  std::filesystem::path dir;
  std::vector<std::unique_ptr<mlgov::internal::ModelBackend>> native, simd, xgboost;
  // What the governed predictor passes on: finite features only (it refuses
  // NaN/inf before inference). Training data has 5% missing values.
  std::vector<float> rows = make_rows(kCycleRows, 42, 0.0);
  std::vector<float> rows_with_nan = make_rows(kCycleRows, 43, 0.05);

  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("mlgov-predict-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto x = make_rows(5000, 1, 0.05);
    const auto y = make_labels(x);
    for (const ModelShape& shape : kShapes) {
      const auto file =
          dir / (std::to_string(shape.trees) + "x" + std::to_string(shape.depth) + "_model.json");
      mlgov::offline::TrainSpec spec{{{"objective", "binary:logistic"},
                                      {"max_depth", std::to_string(shape.depth)},
                                      {"eta", "0.05"},
                                      {"tree_method", "hist"},
                                      {"nthread", "2"}},
                                     shape.trees};
      mlgov::offline::train_xgboost_model({x, y, kFeatures}, nullptr, spec, file);
      native.push_back(mlgov::internal::load_native_backend(file));
      simd.push_back(mlgov::internal::load_native_simd_backend(
          mlgov::internal::read_and_validate_model(file, {}), file.string()));
      xgboost.push_back(mlgov::internal::load_xgboost_backend(file));
    }
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// Owned by main() and destroyed before it returns, not a static: the
// XGBoost boosters must be freed while XGBoost's thread-local state still
// exists (a static destroyed at exit freed them after it, and glibc aborted
// with "corrupted size vs. prev_size").
std::optional<Fixture>& fixture_slot() {
  static std::optional<Fixture> slot;
  return slot;
}

Fixture& fixture() { return *fixture_slot(); }

// This thread's CPU time (what a busy shared machine does not inflate).
double thread_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return 1e9 * static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec);
}

// ns_per_tree_row: the call's wall time over trees x rows; cpu_ns_per_tree_row
// the same in thread CPU time.
void tree_row_counter(benchmark::State& state, std::chrono::steady_clock::time_point t0,
                      double cpu0, int trees, std::size_t rows) {
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  const double tree_rows =
      static_cast<double>(state.iterations()) * trees * static_cast<double>(rows);
  state.counters["ns_per_tree_row"] = ns / tree_rows;
  state.counters["cpu_ns_per_tree_row"] = (thread_cpu_ns() - cpu0) / tree_rows;
}

void run_row(benchmark::State& state, mlgov::internal::ModelBackend& backend, int trees) {
  const auto& rows = fixture().rows;
  float out = 0;
  std::size_t i = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_ns();
  for (auto _ : state) {
    if (!backend.predict(rows.data() + i * kFeatures, 1, &out)) {
      state.SkipWithError("predict failed");
      break;
    }
    benchmark::DoNotOptimize(out);
    i = i + 1 == kCycleRows ? 0 : i + 1;
  }
  tree_row_counter(state, t0, cpu0, trees, 1);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void run_batch(benchmark::State& state, mlgov::internal::ModelBackend& backend, int trees,
               bool with_nan = false) {
  const auto& rows = with_nan ? fixture().rows_with_nan : fixture().rows;
  std::vector<float> out(kCycleRows);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = thread_cpu_ns();
  for (auto _ : state) {
    if (!backend.predict(rows.data(), kCycleRows, out.data())) {
      state.SkipWithError("predict failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  tree_row_counter(state, t0, cpu0, trees, kCycleRows);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kCycleRows));
}

void register_all() {
  using Run = void (*)(benchmark::State&, mlgov::internal::ModelBackend&, int);
  for (std::size_t m = 0; m < std::size(kShapes); ++m) {
    const int trees = kShapes[m].trees;
    const std::string shape = std::to_string(trees) + "x" + std::to_string(kShapes[m].depth);
    const Run row = [](benchmark::State& s, mlgov::internal::ModelBackend& b, int t) {
      run_row(s, b, t);
    };
    const Run batch = [](benchmark::State& s, mlgov::internal::ModelBackend& b, int t) {
      run_batch(s, b, t);
    };
    const Run batch_nan = [](benchmark::State& s, mlgov::internal::ModelBackend& b, int t) {
      run_batch(s, b, t, true);
    };
    for (const auto& [name, member] :
         {std::pair{"native_simd", &Fixture::simd}, std::pair{"native", &Fixture::native},
          std::pair{"xgboost", &Fixture::xgboost}}) {
      const auto which = member;
      benchmark::RegisterBenchmark(
          ("Row/" + std::string(name) + "/" + shape).c_str(),
          [m, trees, row, which](benchmark::State& s) { row(s, *(fixture().*which)[m], trees); });
      benchmark::RegisterBenchmark(("Batch225/" + std::string(name) + "/" + shape).c_str(),
                                   [m, trees, batch, which](benchmark::State& s) {
                                     batch(s, *(fixture().*which)[m], trees);
                                   });
      benchmark::RegisterBenchmark(("Batch225NaN/" + std::string(name) + "/" + shape).c_str(),
                                   [m, trees, batch_nan, which](benchmark::State& s) {
                                     batch_nan(s, *(fixture().*which)[m], trees);
                                   });
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  try {
    fixture_slot().emplace();  // train the models before any timing
  } catch (const std::exception& e) {
    std::fprintf(stderr, "predict_bench setup failed: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fixture_slot().reset();
  return 0;
}
