// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Real XGBoost models for tests (no mock booster): deterministic synthetic
// data and a one-call trainer that writes <dir>/model.json.
//
//   mlgov::testing::TempDir dir;
//   auto model = mlgov::testing::train_test_model(dir.path());          // 28 features
//   auto model2 = mlgov::testing::train_test_model(dir / "m2", {.n_features = 27});
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/read_file.h"
#include "mlgov/offline/xgboost_trainer.h"

namespace mlgov::testing {

// splitmix64: a tiny portable generator, so the data (and thus the models)
// are the same with every standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// n_rows x n_features row-major floats. Feature j has its own shape so that
// trees split on varied distributions: j % 4 == 0 roughly normal, 1 uniform
// on [-3, 3), 2 on a coarse grid (multiples of 0.25, so inputs often equal a
// split condition exactly), 3 heavy-tailed. A `nan_fraction` of all values is
// NaN (missing).
inline std::vector<float> synthetic_features(std::size_t n_rows, std::size_t n_features,
                                             std::uint64_t seed, double nan_fraction = 0.05) {
  SplitMix64 rng(seed * 0x2545F4914F6CDD1Dull + 17);
  std::vector<float> x(n_rows * n_features);
  for (std::size_t i = 0; i < n_rows; ++i) {
    for (std::size_t j = 0; j < n_features; ++j) {
      const double u = rng.uniform();
      double v = 0;
      switch (j % 4) {
        case 0:
          v = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * 2.0;
          break;
        case 1:
          v = u * 6.0 - 3.0;
          break;
        case 2:
          v = std::floor(u * 16.0) * 0.25 - 2.0;
          break;
        default:
          v = (u - 0.5) / (0.05 + rng.uniform());
          break;
      }
      x[i * n_features + j] = static_cast<float>(v);
      if (rng.uniform() < nan_fraction)
        x[i * n_features + j] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  return x;
}

// Labels with a learnable, non-linear signal in the first few features plus
// noise: 0/1 for "binary:logistic", a real value otherwise.
inline std::vector<float> synthetic_labels(const std::vector<float>& x, std::size_t n_features,
                                           const std::string& objective, std::uint64_t seed) {
  SplitMix64 rng(seed * 0x9E3779B97F4A7C15ull + 5);
  const std::size_t n_rows = x.size() / n_features;
  std::vector<float> y(n_rows);
  auto at = [&](std::size_t i, std::size_t j) {
    const float v = x[i * n_features + (j % n_features)];
    return std::isnan(v) ? 0.0 : static_cast<double>(v);
  };
  for (std::size_t i = 0; i < n_rows; ++i) {
    const double signal = 0.8 * at(i, 0) - 0.5 * at(i, 1) + (at(i, 2) > 0.5 ? 1.0 : -0.3) +
                          0.3 * at(i, 0) * at(i, 5) + 0.2 * std::tanh(at(i, 3));
    const double noise = (rng.uniform() - 0.5) * 1.5;
    y[i] = objective == "binary:logistic" ? (signal + noise > 0 ? 1.0f : 0.0f)
                                          : static_cast<float>(signal + noise);
  }
  return y;
}

struct TestModelSpec {
  std::size_t n_features = 28;
  int rounds = 20;
  int max_depth = 4;
  std::string objective = "binary:logistic";  // or "reg:squarederror"
  std::uint64_t seed = 1;
  std::size_t n_rows = 2000;
  double nan_fraction = 0.05;
  std::string tree_method = "hist";  // "hist", "approx" or "exact"
  std::string eta = "0.3";
  // Extra XGBoost parameters appended last (e.g. {"base_score", "0.3"}).
  std::vector<std::pair<std::string, std::string>> extra_params = {};
};

// Trains a model on synthetic_features/labels(spec) and writes it to
// <dir>/model.json (creating dir). Returns that path. Throws ModelError on an
// XGBoost failure. Same spec -> byte-identical file.
inline std::filesystem::path train_test_model(const std::filesystem::path& dir,
                                              const TestModelSpec& spec = {}) {
  const auto x = synthetic_features(spec.n_rows, spec.n_features, spec.seed, spec.nan_fraction);
  const auto y = synthetic_labels(x, spec.n_features, spec.objective, spec.seed);
  offline::TrainSpec train;
  train.rounds = spec.rounds;
  train.params = {{"objective", spec.objective},
                  {"max_depth", std::to_string(spec.max_depth)},
                  {"eta", spec.eta},
                  {"tree_method", spec.tree_method},
                  {"seed", std::to_string(spec.seed)},
                  {"nthread", "1"}};
  for (const auto& kv : spec.extra_params) train.params.push_back(kv);
  const auto path = dir / "model.json";
  offline::train_xgboost_model({x, y, spec.n_features}, nullptr, train, path);
  return path;
}

// Convenience form: train_test_model(dir, 28, 50, 6, "binary:logistic", 7).
inline std::filesystem::path train_test_model(const std::filesystem::path& dir,
                                              std::size_t n_features, int rounds, int max_depth,
                                              const std::string& objective = "binary:logistic",
                                              std::uint64_t seed = 1) {
  TestModelSpec spec;
  spec.n_features = n_features;
  spec.rounds = rounds;
  spec.max_depth = max_depth;
  spec.objective = objective;
  spec.seed = seed;
  return train_test_model(dir, spec);
}

// Every (feature, split condition) of an XGBoost JSON model, each condition
// read as float from its text, as XGBoost reads it.
inline std::vector<std::pair<std::size_t, float>> model_splits(const std::filesystem::path& model) {
  const auto doc = nlohmann::json::parse(internal::read_file(model));
  std::vector<std::pair<std::size_t, float>> splits;
  for (const auto& tree : doc["learner"]["gradient_booster"]["model"]["trees"]) {
    const auto& left = tree["left_children"];
    for (std::size_t n = 0; n < left.size(); ++n) {
      if (left[n].get<int>() == -1) continue;
      splits.emplace_back(tree["split_indices"][n].get<std::size_t>(),
                          std::strtof(tree["split_conditions"][n].dump().c_str(), nullptr));
    }
  }
  return splits;
}

// Values that stress an evaluator, written into every `stride`-th row of
// `rows` (n_features wide): six values of the row become a split condition
// of `splits` (x == split must go right), its float neighbour below or
// above, or one of +-0, +-inf, a huge or a subnormal value.
inline void put_edge_values(std::vector<float>& rows, std::size_t n_features,
                            const std::vector<std::pair<std::size_t, float>>& splits,
                            std::size_t stride, SplitMix64& rng) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::size_t n_rows = rows.size() / n_features;
  for (std::size_t i = 0; i < n_rows; i += stride) {
    float* row = rows.data() + i * n_features;
    for (int k = 0; k < 6; ++k) {
      const auto pick = rng.next();
      if (!splits.empty() && pick % 8 < 6) {
        const auto& [f, c] = splits[(pick >> 8) % splits.size()];
        const int variant = static_cast<int>((pick >> 40) % 3);
        row[f] = variant == 0 ? c : std::nextafter(c, variant == 1 ? -inf : inf);
      } else {
        const float specials[] = {0.0f, -0.0f, inf, -inf, 1e30f, -1e-40f};
        row[(pick >> 8) % n_features] = specials[(pick >> 20) % 6];
      }
    }
  }
}

}  // namespace mlgov::testing
