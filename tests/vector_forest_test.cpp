// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The native_simd evaluator (VectorForest) against XGBoost's C API and the
// scalar native evaluator: 46 models (depth 2..8, 50..1000 trees, both
// objectives, the three CPU tree methods, 28, 40 and 70 features; four of
// them trained by `mlgov train` on the real GOOG/SPX bars), on rows that
// hit split values exactly, their float neighbours, +-0, +-inf and NaN,
// in one batch call and one call per row: equal bit for bit.
#include "model/vector_forest.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/read_file.h"
#include "mlgov/errors.h"
#include "model/model_backend.h"
#include "model/model_document.h"
#include "model/native_forest.h"
#include "test_support.h"
#include "xgboost_test_models.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using internal::NativeForest;
using internal::VectorForest;
using testing::TempDir;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

std::unique_ptr<VectorForest> load_simd(const std::filesystem::path& model) {
  auto forest = NativeForest::load(model);
  return VectorForest::build(std::move(forest), model.string());
}

// Edge values written into `rows` (n_features wide): in every other row
// six features become a split value of the model (x == split goes right),
// its float neighbour below or above, or one of +-0, +-inf, a huge or a
// subnormal value. Then NaN in 10% of the values of the second half of the
// rows (NaN takes the default direction; the first half stays NaN-free:
// the evaluator scores NaN-free rows on another layout).
void add_edge_values(std::vector<float>& rows, std::size_t n_features,
                     const std::filesystem::path& model, std::uint64_t seed) {
  const std::size_t n_rows = rows.size() / n_features;
  testing::SplitMix64 rng(seed);
  testing::put_edge_values(rows, n_features, testing::model_splits(model), 2, rng);
  for (std::size_t k = n_rows / 2 * n_features; k < rows.size(); ++k) {
    if (rng.next() % 10 == 0) rows[k] = kNaN;
  }
}

// XGBoost, the scalar native evaluator and native_simd (one batch call, and
// one call per row) on `rows`: all equal bit for bit. Returns the number of
// rows compared.
std::size_t expect_bit_identical(const std::filesystem::path& model, const std::vector<float>& rows,
                                 const std::string& name) {
  const auto xgb = internal::load_xgboost_backend(model);
  const auto native = NativeForest::load(model);
  const auto simd = load_simd(model);
  const std::size_t f = simd->num_features();
  const std::size_t n = rows.size() / f;
  std::vector<float> expected(n), scalar(n), batch(n);
  EXPECT_TRUE(xgb->predict(rows.data(), n, expected.data()));
  EXPECT_TRUE(native->predict(rows.data(), n, scalar.data()));
  EXPECT_TRUE(simd->predict(rows.data(), n, batch.data()));
  for (std::size_t i = 0; i < n; ++i) {
    float one = kNaN;
    EXPECT_TRUE(simd->predict(rows.data() + i * f, 1, &one));
    if (bits(batch[i]) != bits(expected[i]) || bits(one) != bits(expected[i]) ||
        bits(scalar[i]) != bits(expected[i])) {
      std::ostringstream row;
      for (std::size_t j = 0; j < f; ++j) row << ' ' << rows[i * f + j];
      ADD_FAILURE() << name << " (" << simd->layout_name() << "): row " << i << ": xgboost 0x"
                    << std::hex << bits(expected[i]) << ", native 0x" << bits(scalar[i])
                    << ", native_simd batch 0x" << bits(batch[i]) << ", one row 0x" << bits(one)
                    << std::dec << "\nrow:" << row.str();
      return i;
    }
  }
  return n;
}

struct Case {
  int depth;
  int trees;
  const char* objective;
  const char* tree_method;
  std::size_t features = 28;
  std::vector<std::pair<std::string, std::string>> extra = {};
};

const char* const kLog = "binary:logistic";
const char* const kReg = "reg:squarederror";

// 42 synthetic models, every depth 2..8 and tree counts 50..1000.
std::vector<Case> synthetic_cases() {
  return {
      {2, 50, kLog, "hist"},
      {2, 1000, kReg, "hist"},
      {2, 300, kLog, "exact"},
      {2, 120, kReg, "approx"},
      {2, 64, kLog, "hist", 70},
      {2, 200, kReg, "hist", 40},
      {3, 50, kReg, "hist"},
      {3, 1000, kLog, "hist"},
      {3, 150, kLog, "exact", 28, {{"base_score", "0.3"}}},
      {3, 80, kReg, "approx"},
      {3, 100, kLog, "hist", 70},
      {3, 65, kReg, "hist", 40, {{"base_score", "-2.5"}}},
      {4, 50, kLog, "hist"},
      {4, 600, kReg, "hist"},
      {4, 100, kLog, "exact"},
      {4, 90, kReg, "approx", 28, {{"subsample", "0.7"}}},
      {4, 77, kLog, "hist", 70},
      {4, 300, kLog, "hist", 40},
      {5, 50, kReg, "hist"},
      {5, 400, kLog, "hist"},
      {5, 60, kLog, "exact", 28, {{"base_score", "0.8"}}},
      {5, 70, kReg, "approx"},
      {5, 50, kLog, "hist", 70},
      {5, 95, kReg, "hist", 40},
      {6, 300, kLog, "hist"},
      {6, 50, kReg, "hist"},
      {6, 80, kLog, "exact"},
      {6, 60, kReg, "approx", 28, {{"min_child_weight", "5"}}},
      {6, 100, kLog, "hist", 70},
      {6, 150, kLog, "hist", 40, {{"colsample_bytree", "0.6"}}},
      {6, 1000, kLog, "hist", 28, {{"max_bin", "16"}}},
      {7, 200, kLog, "hist"},
      {7, 50, kReg, "hist"},
      {7, 60, kLog, "exact"},
      {7, 55, kReg, "approx"},
      {7, 50, kLog, "hist", 70},
      {8, 100, kLog, "hist"},
      {8, 50, kReg, "hist"},
      {8, 50, kLog, "exact"},
      {8, 60, kReg, "hist", 40},
      {8, 50, kLog, "hist", 70},
      {8, 70, kLog, "approx", 28, {{"gamma", "0.5"}}},
  };
}

std::string case_name(const Case& c) {
  std::string s = std::string(c.objective).substr(0, 3) + "_d" + std::to_string(c.depth) + "_t" +
                  std::to_string(c.trees) + "_" + c.tree_method + "_f" + std::to_string(c.features);
  for (const auto& [k, v] : c.extra) s += "_" + k + v;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

TEST(VectorForestParity, FortyTwoSyntheticModelsAgreeWithXgboostAndNativeBitForBit) {
  if (!VectorForest::cpu_has_avx512()) {
    GTEST_SKIP() << "no AVX-512F: native_simd runs the scalar evaluator here";
  }
  const auto cases = synthetic_cases();
  ASSERT_EQ(cases.size(), 42u);
  TempDir dir;
  std::size_t rank_layouts = 0;
  std::size_t rank_expected = 0;
  std::set<int> depths;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    const std::string name = case_name(c);
    SCOPED_TRACE(name);
    testing::TestModelSpec spec;
    spec.n_features = c.features;
    spec.rounds = c.trees;
    spec.max_depth = c.depth;
    spec.objective = c.objective;
    spec.seed = 500 + k;
    spec.n_rows = c.depth >= 7 ? 1000 : 300;  // deep trees need rows to grow
    spec.nan_fraction = 0.08;
    spec.tree_method = c.tree_method;
    spec.eta = "0.1";
    spec.extra_params = c.extra;
    const auto model = testing::train_test_model(dir / name, spec);
    const auto simd = load_simd(model);
    ASSERT_TRUE(simd->vectorized());
    ASSERT_LE(simd->scalar().max_depth(), c.depth);
    depths.insert(simd->scalar().max_depth());
    rank_layouts += simd->layout_name() == "rank16" ? 1 : 0;
    // The rank layout takes at most 64 features and fewer than 1008
    // distinct split values per feature (counted here from the JSON).
    std::map<std::size_t, std::set<float>> distinct;
    for (const auto& [feature, value] : testing::model_splits(model))
      distinct[feature].insert(value);
    bool few_values = true;
    for (const auto& [feature, values] : distinct) few_values &= values.size() < 1008;
    rank_expected += c.features <= 64 && few_values ? 1 : 0;
    auto rows = testing::synthetic_features(1000, c.features, 900 + k, 0.0);
    add_edge_values(rows, c.features, model, 77 + k);
    ASSERT_EQ(expect_bit_identical(model, rows, name), 1000u);
  }
  EXPECT_EQ(depths, (std::set<int>{2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(rank_layouts, rank_expected);
  EXPECT_LE(rank_layouts, cases.size() - 6);  // six have 70 features: float32 lanes
}

// `mlgov train` on the real GOOG bars (SPX the benchmark), the rows of
// `mlgov features` over the same bars, with the edge values added.
class RealDataModels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!VectorForest::cpu_has_avx512()) GTEST_SKIP() << "no AVX-512F";
    const std::filesystem::path real = "/work/shared/data/real";
    const char* env = std::getenv("MLGOV_REAL_DATA_DIR");
    source_ = env != nullptr ? std::filesystem::path(env) : real;
    if (!std::filesystem::exists(source_ / "GOOG.csv") ||
        !std::filesystem::exists(source_ / "SPX.csv")) {
      GTEST_SKIP() << "no real bars at " << source_ << " (set MLGOV_REAL_DATA_DIR)";
    }
    ASSERT_FALSE(testing::cli_path().empty());
    std::filesystem::create_directories(dir_ / "data");
    std::filesystem::copy_file(source_ / "GOOG.csv", dir_ / "data" / "GOOG.csv");
    std::filesystem::copy_file(source_ / "SPX.csv", dir_ / "data" / "SPX.csv");
    testing::write_text(dir_ / "data" / "sectors.csv", "symbol,sector\nGOOG,tech\n");
  }

  std::string contracts() const {
    return (std::filesystem::path(MLGOV_SOURCE_DIR) / "contracts").string();
  }

  // Trains GOOG with `trees` x `depth` through the CLI; returns model.json.
  std::filesystem::path train(int depth, int trees) {
    const auto out = dir_ / ("models_d" + std::to_string(depth));
    const auto config = dir_ / ("config_d" + std::to_string(depth) + ".yaml");
    testing::write_text(config, "paths:\n  contracts_dir: " + contracts() +
                                    "\ntraining:\n  n_estimators: " + std::to_string(trees) +
                                    "\n  max_depth: " + std::to_string(depth) + "\n");
    std::string output;
    const int rc = testing::run_command(
        testing::cli_path() + " train --config " + config.string() + " --symbols GOOG --data " +
            (dir_ / "data").string() + " --sectors " + (dir_ / "data" / "sectors.csv").string() +
            " --out " + out.string(),
        &output);
    EXPECT_EQ(rc, 0) << output;
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
      if (std::filesystem::exists(entry.path() / "model.json")) return entry.path() / "model.json";
    }
    ADD_FAILURE() << "no model under " << out << "\n" << output;
    return {};
  }

  // The 28 features of every GOOG row `mlgov features` writes.
  std::vector<float> feature_rows() {
    std::string output;
    const auto csv = dir_ / "features.csv";
    const int rc = testing::run_command(testing::cli_path() + " features --contracts-dir " +
                                            contracts() + " --data " + (dir_ / "data").string() +
                                            " --symbols GOOG --benchmark SPX --out " + csv.string(),
                                        &output);
    EXPECT_EQ(rc, 0) << output;
    std::ifstream in(csv);
    std::string line;
    std::getline(in, line);  // header: date,symbol,<28 features>
    std::vector<float> rows;
    while (std::getline(in, line)) {
      std::stringstream fields(line);
      std::string field;
      std::getline(fields, field, ',');
      std::getline(fields, field, ',');
      std::size_t n = 0;
      while (std::getline(fields, field, ',')) {
        rows.push_back(field.empty() ? kNaN : std::strtof(field.c_str(), nullptr));
        ++n;
      }
      EXPECT_EQ(n, 28u) << line;
    }
    return rows;
  }

  TempDir dir_;
  std::filesystem::path source_;
};

TEST_F(RealDataModels, FourModelsTrainedByTheCliAgreeWithXgboostAndNativeBitForBit) {
  const std::vector<float> real_rows = feature_rows();
  ASSERT_GE(real_rows.size(), 28u * 500u);
  const std::pair<int, int> shapes[] = {{2, 1000}, {4, 200}, {6, 300}, {8, 60}};
  std::uint64_t seed = 1;
  for (const auto& [depth, trees] : shapes) {
    const std::string name = "GOOG_d" + std::to_string(depth) + "_t" + std::to_string(trees);
    SCOPED_TRACE(name);
    const auto model = train(depth, trees);
    ASSERT_FALSE(model.empty());
    // The real rows as they are, then a copy with the edge values.
    auto rows = real_rows;
    const std::size_t n = rows.size() / 28;
    ASSERT_EQ(expect_bit_identical(model, rows, name), n);
    add_edge_values(rows, 28, model, ++seed);
    ASSERT_EQ(expect_bit_identical(model, rows, name + " with edge values"), n);
    EXPECT_EQ(load_simd(model)->layout_name(), "rank16");
  }
}

// --- Choice and refusal --------------------------------------------------

TEST(VectorForest, TreesDeeperThanEightAreRefusedNamingTheFile) {
  TempDir dir;
  const auto model = testing::train_test_model(dir / "deep", 28, 5, 9);
  auto forest = NativeForest::load(model);
  if (forest->max_depth() <= 8) GTEST_SKIP() << "the trained trees stayed shallow";
  try {
    VectorForest::build(std::move(forest), model.string());
    FAIL() << "built";
  } catch (const internal::UnsupportedModelError& e) {
    EXPECT_NE(std::string(e.what()).find(model.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("deeper than 8"), std::string::npos) << e.what();
  }
}

TEST(VectorForest, AutoPicksNativeSimdForADepthSixModelOnAnAvx512Cpu) {
  TempDir dir;
  const auto model = testing::train_test_model(dir / "m", 28, 20, 6);
  const auto chosen =
      internal::load_auto_backend(internal::read_and_validate_model(model, {}), model.string());
  const bool avx512 = __builtin_cpu_supports("avx512f");
  EXPECT_EQ(chosen.backend->name(), avx512 ? "native_simd" : "native") << chosen.reason;
  EXPECT_NE(chosen.reason.find(avx512 ? "AVX-512F present" : "no AVX-512F"), std::string::npos)
      << chosen.reason;
}

TEST(VectorForest, AutoPicksTheScalarNativeEvaluatorForTreesDeeperThanEight) {
  TempDir dir;
  const auto model = testing::train_test_model(dir / "deep", 28, 5, 9);
  if (NativeForest::load(model)->max_depth() <= 8) GTEST_SKIP() << "trees stayed shallow";
  const auto chosen =
      internal::load_auto_backend(internal::read_and_validate_model(model, {}), model.string());
  EXPECT_EQ(chosen.backend->name(), "native");
  EXPECT_NE(chosen.reason.find("deeper than 8"), std::string::npos) << chosen.reason;
}

TEST(VectorForest, ExplicitNativeSimdNamesItself) {
  TempDir dir;
  const auto model = testing::train_test_model(dir / "m", 28, 10, 4);
  const auto backend = internal::load_native_simd_backend(
      internal::read_and_validate_model(model, {}), model.string());
  EXPECT_EQ(backend->name(), "native_simd");
  EXPECT_EQ(backend->num_features(), 28u);
}

TEST(VectorForest, ZeroRowsSucceedAndNullPointersFail) {
  TempDir dir;
  const auto simd = load_simd(testing::train_test_model(dir / "m", 28, 10, 4));
  float out = 0;
  EXPECT_TRUE(simd->predict(nullptr, 0, &out));
  EXPECT_FALSE(simd->predict(nullptr, 3, &out));
  const std::vector<float> row(28, 0.0f);
  EXPECT_FALSE(simd->predict(row.data(), 1, nullptr));
}

}  // namespace
}  // namespace mlgov
