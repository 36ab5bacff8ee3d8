// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The native tree evaluator against XGBoost itself: 44 real models trained
// here (depth 2..10, 1..500 trees, both objectives, NaN inputs), 10,000
// rows each, equal bit for bit. Plus the semantics on hand-written models
// and a test per unsupported kind of model.
#include "model/native_forest.h"

#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/read_file.h"
#include "mlgov/errors.h"
#include "model/model_backend.h"
#include "test_support.h"
#include "xgboost_test_models.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using internal::NativeForest;
using testing::TempDir;
using testing::TestModelSpec;

constexpr std::size_t kFeatures = 28;
constexpr std::size_t kParityRows = 10000;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

// Rows that stress the comparison: synthetic data with 10% NaN (but none in
// the first quarter of the rows), and in one
// row out of four some features replaced by a split condition of the model
// itself (x == threshold must go right), its float neighbours, +-0 or +-inf.
std::vector<float> parity_rows(const std::filesystem::path& model, std::uint64_t seed) {
  auto x = testing::synthetic_features(kParityRows, kFeatures, seed, 0.1);
  testing::SplitMix64 rng(seed + 1000);
  testing::put_edge_values(x, kFeatures, testing::model_splits(model), 4, rng);
  // The first quarter of the rows holds no NaN: the evaluator has a faster
  // kernel for NaN-free rows, and it must agree too.
  for (std::size_t k = 0; k < kParityRows / 4 * kFeatures; ++k) {
    if (std::isnan(x[k])) x[k] = static_cast<float>(k % 7) - 3.0f;
  }
  return x;
}

// XGBoost's per-tree leaf ids for one row (pred_leaf through a DMatrix).
std::vector<float> xgboost_leaf_ids(const std::filesystem::path& model, const float* row) {
  BoosterHandle booster = nullptr;
  DMatrixHandle dmat = nullptr;
  std::vector<float> ids;
  if (XGBoosterCreate(nullptr, 0, &booster) == 0 &&
      XGBoosterLoadModel(booster, model.string().c_str()) == 0 &&
      XGDMatrixCreateFromMat(row, 1, kFeatures, kNaN, &dmat) == 0) {
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    const char* config =
        R"({"type": 6, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
    if (XGBoosterPredictFromDMatrix(booster, dmat, config, &shape, &dim, &out) == 0) {
      bst_ulong n = 1;
      for (bst_ulong d = 0; d < dim; ++d) n *= shape[d];
      ids.assign(out, out + n);
    }
  }
  XGDMatrixFree(dmat);
  XGBoosterFree(booster);
  return ids;
}

// Why row `i` differs: the first tree whose leaf differs, both margins.
std::string explain(const std::filesystem::path& model, const NativeForest& native,
                    const float* row) {
  std::ostringstream os;
  os << "row:";
  for (std::size_t j = 0; j < kFeatures; ++j) os << ' ' << row[j];
  const auto ids = xgboost_leaf_ids(model, row);
  for (std::size_t t = 0; t < native.num_trees() && t < ids.size(); ++t) {
    if (static_cast<int>(ids[t]) != native.leaf_node_id(t, row)) {
      os << "\nfirst differing tree " << t << ": xgboost leaf node " << ids[t]
         << ", native leaf node " << native.leaf_node_id(t, row);
      return os.str();
    }
  }
  float margin = 0;
  native.predict_margin(row, 1, &margin);
  os << "\nevery tree picks the same leaf; native margin " << margin
     << " (the accumulation or the transform differs)";
  return os.str();
}

struct ParityCase {
  int depth;
  int trees;
  const char* objective;
  const char* tree_method;
  const char* eta;
  std::vector<std::pair<std::string, std::string>> extra = {};
};

std::string case_name(const ParityCase& c) {
  std::string s = std::string(c.objective).substr(0, 3) + "_d" + std::to_string(c.depth) + "_t" +
                  std::to_string(c.trees) + "_" + c.tree_method;
  for (const auto& [k, v] : c.extra) s += "_" + k + v;
  for (char& ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return s;
}

const char* const kLog = "binary:logistic";
const char* const kReg = "reg:squarederror";

// 44 models: every depth 2..10 with both objectives, tree counts from 1 to
// 500, the three CPU tree methods, sampling, and a non-default base_score.
std::vector<ParityCase> parity_cases() {
  return {
      {2, 1, kLog, "hist", "0.3"},
      {2, 1, kReg, "hist", "0.3"},
      {2, 500, kLog, "hist", "0.1"},
      {2, 300, kReg, "hist", "0.1"},
      {3, 10, kLog, "exact", "0.3"},
      {3, 30, kReg, "exact", "0.3"},
      {3, 80, kLog, "approx", "0.1"},
      {3, 100, kReg, "approx", "0.2"},
      {4, 100, kLog, "hist", "0.1"},
      {4, 100, kReg, "hist", "0.1"},
      {4, 150, kLog, "hist", "0.05"},
      {4, 20, kReg, "exact", "0.5"},
      {5, 50, kLog, "hist", "0.3", {{"subsample", "0.7"}, {"colsample_bytree", "0.6"}}},
      {5, 80, kReg, "hist", "0.1", {{"base_score", "2.5"}}},
      {5, 30, kLog, "exact", "0.3", {{"base_score", "0.3"}}},
      {5, 2, kReg, "approx", "1.0"},
      {6, 300, kLog, "hist", "0.05"},
      {6, 120, kReg, "hist", "0.05"},
      {6, 40, kLog, "exact", "0.2", {{"base_score", "0.8"}}},
      {6, 5, kReg, "hist", "0.5", {{"base_score", "-1.25"}}},
      {6, 60, kLog, "approx", "0.1", {{"min_child_weight", "5"}}},
      {7, 100, kLog, "hist", "0.1"},
      {7, 40, kReg, "hist", "0.1"},
      {7, 25, kLog, "exact", "0.3", {{"gamma", "0.5"}}},
      {7, 3, kReg, "hist", "0.3"},
      {8, 100, kLog, "hist", "0.1"},
      {8, 40, kReg, "hist", "0.1"},
      {8, 20, kLog, "exact", "0.3"},
      {8, 1, kReg, "hist", "0.3"},
      {8, 40, kLog, "hist", "0.2", {{"max_bin", "32"}}},
      {9, 60, kLog, "hist", "0.1"},
      {9, 25, kReg, "hist", "0.1"},
      {9, 15, kLog, "exact", "0.3"},
      {9, 1, kLog, "hist", "0.3"},
      {10, 50, kLog, "hist", "0.1"},
      {10, 20, kReg, "hist", "0.1"},
      {10, 10, kReg, "exact", "0.3"},
      {10, 1, kReg, "hist", "0.3"},
      {10, 30, kLog, "hist", "0.2", {{"subsample", "0.5"}, {"base_score", "0.65"}}},
      {6, 300, kLog, "hist", "0.3", {{"max_delta_step", "1"}}},
      {4, 250, kReg, "hist", "0.02", {{"lambda", "0"}, {"alpha", "0.5"}}},
      {3, 400, kLog, "hist", "0.5"},
      {5, 1, kLog, "exact", "0.3"},
      {7, 60, kReg, "approx", "0.05"},
  };
}

TEST(NativeForestParity, FortyFourXgboostModelsAgreeBitForBitOnTenThousandRows) {
  const auto cases = parity_cases();
  ASSERT_GE(cases.size(), 40u);
  TempDir dir;
  std::size_t compared = 0;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const ParityCase& c = cases[k];
    const std::string name = case_name(c);
    SCOPED_TRACE(name);
    TestModelSpec spec;
    spec.n_features = kFeatures;
    spec.rounds = c.trees;
    spec.max_depth = c.depth;
    spec.objective = c.objective;
    spec.seed = 100 + k;
    spec.n_rows = 2000;
    spec.nan_fraction = 0.08;
    spec.tree_method = c.tree_method;
    spec.eta = c.eta;
    spec.extra_params = c.extra;
    const auto model = testing::train_test_model(dir / name, spec);

    const auto native = NativeForest::load(model);
    const auto xgb = internal::load_xgboost_backend(model);
    ASSERT_EQ(native->num_features(), xgb->num_features());
    ASSERT_EQ(native->num_trees(), static_cast<std::size_t>(c.trees));
    EXPECT_EQ(native->layout(), native->max_depth() <= NativeForest::kMaxPaddedDepth
                                    ? NativeForest::Layout::kPadded
                                    : NativeForest::Layout::kCompact);

    const auto rows = parity_rows(model, 7 + k);
    std::vector<float> expected(kParityRows), got(kParityRows);
    ASSERT_TRUE(xgb->predict(rows.data(), kParityRows, expected.data()));
    ASSERT_TRUE(native->predict(rows.data(), kParityRows, got.data()));
    for (std::size_t i = 0; i < kParityRows; ++i) {
      if (bits(got[i]) != bits(expected[i])) {
        const float* row = rows.data() + i * kFeatures;
        FAIL() << name << ": row " << i << ": native " << got[i] << " (0x" << std::hex
               << bits(got[i]) << ") != xgboost " << expected[i] << " (0x" << bits(expected[i])
               << std::dec << ")\n"
               << explain(model, *native, row);
      }
    }
    // Single-row calls take another code path (no row interleaving).
    for (std::size_t i = 0; i < kParityRows; i += 997) {
      float one = 0;
      ASSERT_TRUE(native->predict(rows.data() + i * kFeatures, 1, &one));
      ASSERT_EQ(bits(one), bits(expected[i])) << name << ": single-row call, row " << i;
    }
    ++compared;
  }
  EXPECT_EQ(compared, cases.size());
}

// --- Semantics on a hand-written model -------------------------------------

// One stump: feature 1 < 0.5 goes left (leaf +0.25), else right (leaf -0.5);
// NaN follows default_left. Written as XGBoost 1.7 saves JSON.
std::string stump_json(const std::string& objective, const std::string& base_score,
                       int default_left, const std::string& extra_tree_field = "") {
  return R"({"learner": {"attributes": {}, "feature_names": [], "feature_types": [],
  "gradient_booster": {"model": {"gbtree_model_param": {"num_parallel_tree": "1",
  "num_trees": "1", "size_leaf_vector": "0"}, "tree_info": [0], "trees": [{
  "base_weights": [0, 0.25, -0.5], "categories": [], "categories_nodes": [],
  "categories_segments": [], "categories_sizes": [], "default_left": [)" +
         std::to_string(default_left) + R"(, 0, 0], "id": 0,
  "left_children": [1, -1, -1], "loss_changes": [1, 0, 0], "parents": [2147483647, 0, 0],
  "right_children": [2, -1, -1], "split_conditions": [0.5, 0.25, -0.5],
  "split_indices": [1, 0, 0], "split_type": [0, 0, 0], "sum_hessian": [10, 5, 5],)" +
         extra_tree_field + R"(
  "tree_param": {"num_deleted": "0", "num_feature": "3", "num_nodes": "3",
  "size_leaf_vector": "0"}}]}, "name": "gbtree"},
  "learner_model_param": {"base_score": ")" +
         base_score + R"(", "boost_from_average": "1", "num_class": "0",
  "num_feature": "3", "num_target": "1"},
  "objective": {"name": ")" +
         objective + R"(", "reg_loss_param": {"scale_pos_weight": "1"}}},
  "version": [1, 7, 4]})";
}

std::unique_ptr<NativeForest> load_text(const TempDir& dir, const std::string& json) {
  testing::write_text(dir / "model.json", json);
  return NativeForest::load(dir / "model.json");
}

float predict_one(NativeForest& f, std::initializer_list<float> row) {
  std::vector<float> r(row);
  float out = kNaN;
  EXPECT_TRUE(f.predict(r.data(), 1, &out));
  return out;
}

TEST(NativeForest, ValueBelowTheSplitConditionGoesLeft) {
  TempDir dir;
  auto f = load_text(dir, stump_json("reg:squarederror", "0", 0));
  // margin = base_score 0 + left leaf 0.25
  EXPECT_EQ(predict_one(*f, {9.0f, 0.4999999f, 9.0f}), 0.25f);
}

TEST(NativeForest, ValueEqualToTheSplitConditionGoesRight) {
  TempDir dir;
  auto f = load_text(dir, stump_json("reg:squarederror", "0", 0));
  EXPECT_EQ(predict_one(*f, {0.0f, 0.5f, 0.0f}), -0.5f);  // 0.5 < 0.5 is false
}

TEST(NativeForest, NaNFollowsTheDefaultChild) {
  TempDir dir;
  EXPECT_EQ(predict_one(*load_text(dir, stump_json("reg:squarederror", "0", 1)), {0, kNaN, 0}),
            0.25f);
  EXPECT_EQ(predict_one(*load_text(dir, stump_json("reg:squarederror", "0", 0)), {0, kNaN, 0}),
            -0.5f);
}

TEST(NativeForest, InfinitiesAreComparedNotTreatedAsMissing) {
  TempDir dir;
  // default_left=1, yet +inf is not missing: +inf < 0.5 is false -> right.
  auto f = load_text(dir, stump_json("reg:squarederror", "0", 1));
  EXPECT_EQ(predict_one(*f, {0, kInf, 0}), -0.5f);
  EXPECT_EQ(predict_one(*f, {0, -kInf, 0}), 0.25f);
}

TEST(NativeForest, RegressionMarginStartsAtBaseScore) {
  TempDir dir;
  auto f = load_text(dir, stump_json("reg:squarederror", "1.5E0", 0));
  EXPECT_EQ(f->base_margin(), 1.5f);
  EXPECT_EQ(predict_one(*f, {0, 0, 0}), 1.75f);  // 1.5 + 0.25, exact in float
}

TEST(NativeForest, LogisticBaseScoreOfOneHalfIsAZeroMargin) {
  TempDir dir;
  auto f = load_text(dir, stump_json("binary:logistic", "5E-1", 0));
  // -log(1/0.5 - 1) = -log(1) = 0
  EXPECT_EQ(f->base_margin(), 0.0f);
  // sigmoid(0.25) = 1/(1+e^-0.25) = 0.5621765...; float rounding within 1 ulp.
  EXPECT_NEAR(predict_one(*f, {0, 0, 0}), 0.56217650f, 1e-7f);
}

TEST(NativeForest, LogisticBaseScoreIsTurnedIntoALogit) {
  TempDir dir;
  auto f = load_text(dir, stump_json("binary:logistic", "2E-1", 0));
  // logit(0.2) = -log(1/0.2 - 1) = -log 4 = -1.3862944
  EXPECT_NEAR(f->base_margin(), -1.3862944f, 1e-6f);
  float margin = 0;
  const float row[3] = {0, 1, 0};
  ASSERT_TRUE(f->predict_margin(row, 1, &margin));
  EXPECT_NEAR(margin, -1.3862944f - 0.5f, 1e-6f);
}

TEST(NativeForest, ReportsFeaturesTreesAndName) {
  TempDir dir;
  auto f = load_text(dir, stump_json("binary:logistic", "5E-1", 0));
  EXPECT_EQ(f->num_features(), 3u);
  EXPECT_EQ(f->num_trees(), 1u);
  EXPECT_EQ(f->max_depth(), 1);
  EXPECT_EQ(f->name(), "native");
}

TEST(NativeForest, LoadNativeBackendReturnsTheNativeEvaluator) {
  TempDir dir;
  testing::write_text(dir / "model.json", stump_json("binary:logistic", "5E-1", 0));
  EXPECT_EQ(internal::load_native_backend(dir / "model.json")->name(), "native");
}

TEST(NativeForest, DeepModelsUseTheCompactLayoutShallowOnesThePaddedOne) {
  TempDir dir;
  TestModelSpec deep;
  deep.rounds = 3;
  deep.max_depth = 10;
  deep.n_rows = 3000;
  TestModelSpec shallow;
  shallow.rounds = 3;
  shallow.max_depth = 3;
  EXPECT_EQ(NativeForest::load(testing::train_test_model(dir / "deep", deep))->layout(),
            NativeForest::Layout::kCompact);
  EXPECT_EQ(NativeForest::load(testing::train_test_model(dir / "shallow", shallow))->layout(),
            NativeForest::Layout::kPadded);
}

TEST(NativeForest, ConcurrentPredictCallsAgreeWithSerialOnes) {
  TempDir dir;
  auto f =
      NativeForest::load(testing::train_test_model(dir.path(), {.rounds = 50, .max_depth = 6}));
  const auto x = testing::synthetic_features(300, kFeatures, 5);
  std::vector<float> serial(300);
  ASSERT_TRUE(f->predict(x.data(), 300, serial.data()));
  std::vector<std::vector<float>> results(4, std::vector<float>(300));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) f->predict(x.data(), 300, results[t].data());
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, serial);
}

TEST(NativeForest, ZeroRowsSucceedsAndNullRowsFail) {
  TempDir dir;
  auto f = load_text(dir, stump_json("binary:logistic", "5E-1", 0));
  EXPECT_TRUE(f->predict(nullptr, 0, nullptr));
  float out = 0;
  EXPECT_FALSE(f->predict(nullptr, 1, &out));
}

// --- Unsupported or broken models: ModelError naming file and reason -------

void expect_model_error(const std::filesystem::path& file, const std::string& reason) {
  try {
    NativeForest::load(file);
    FAIL() << "expected ModelError for " << file;
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find(reason), std::string::npos) << what;
  }
}

// Trains a real model with the given parameters (and labels 0..2 for the
// multi-class case).
std::filesystem::path train_with(const std::filesystem::path& file,
                                 std::vector<std::pair<std::string, std::string>> params,
                                 bool three_classes = false) {
  auto x = testing::synthetic_features(500, kFeatures, 3);
  auto y = testing::synthetic_labels(x, kFeatures, "binary:logistic", 3);
  if (three_classes) {
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 3);
  }
  offline::train_xgboost_model({x, y, kFeatures}, nullptr, {std::move(params), 3}, file);
  return file;
}

TEST(NativeForestUnsupported, MultiClassModel) {
  TempDir dir;
  expect_model_error(
      train_with(dir / "model.json", {{"objective", "multi:softprob"}, {"num_class", "3"}}, true),
      "multi-class");
}

TEST(NativeForestUnsupported, DartBooster) {
  TempDir dir;
  expect_model_error(
      train_with(dir / "model.json", {{"objective", "binary:logistic"}, {"booster", "dart"}}),
      "unsupported booster 'dart'");
}

TEST(NativeForestUnsupported, GblinearBooster) {
  TempDir dir;
  expect_model_error(
      train_with(dir / "model.json", {{"objective", "binary:logistic"}, {"booster", "gblinear"}}),
      "unsupported booster 'gblinear'");
}

TEST(NativeForestUnsupported, OtherObjective) {
  TempDir dir;
  expect_model_error(train_with(dir / "model.json", {{"objective", "binary:logitraw"}}),
                     "unsupported objective 'binary:logitraw'");
}

// UBJSON goes through the same validation (nlohmann's reader) and the same
// evaluator: the .ubj model agrees bit for bit with XGBoost reading it.
TEST(NativeForest, UbjModelAgreesWithXgboostBitForBit) {
  TempDir dir;
  const auto ubj = train_with(dir / "model.ubj", {{"objective", "binary:logistic"}});
  const auto native = NativeForest::load(ubj);
  const auto xgb = internal::load_xgboost_backend(ubj);
  const auto rows = testing::synthetic_features(500, kFeatures, 11, 0.1);
  std::vector<float> expected(500), got(500);
  ASSERT_TRUE(xgb->predict(rows.data(), 500, expected.data()));
  ASSERT_TRUE(native->predict(rows.data(), 500, got.data()));
  for (std::size_t i = 0; i < 500; ++i) ASSERT_EQ(bits(got[i]), bits(expected[i])) << "row " << i;
}

TEST(NativeForestUnsupported, CategoricalSplit) {
  TempDir dir;
  // A stump whose split is marked categorical (split_type 1), the way XGBoost
  // marks partition-based splits on categorical features.
  std::string json = stump_json("binary:logistic", "5E-1", 0);
  json.replace(json.find(R"("split_type": [0, 0, 0])"), 23, R"("split_type": [1, 0, 0])");
  testing::write_text(dir / "model.json", json);
  expect_model_error(dir / "model.json", "categorical");
}

TEST(NativeForestBrokenModel, TruncatedJson) {
  TempDir dir;
  const std::string json = stump_json("binary:logistic", "5E-1", 0);
  testing::write_text(dir / "model.json", json.substr(0, json.size() / 2));
  expect_model_error(dir / "model.json", "not valid JSON");
}

TEST(NativeForestBrokenModel, MissingFile) {
  TempDir dir;
  expect_model_error(dir / "absent.json", "missing");
}

TEST(NativeForestBrokenModel, SplitOnAFeatureTheModelDoesNotHave) {
  TempDir dir;
  std::string json = stump_json("binary:logistic", "5E-1", 0);
  json.replace(json.find(R"("split_indices": [1, 0, 0])"), 26, R"("split_indices": [7, 0, 0])");
  testing::write_text(dir / "model.json", json);
  expect_model_error(dir / "model.json", "split_indices=7");
}

TEST(NativeForestBrokenModel, ChildIndexOutOfRange) {
  TempDir dir;
  std::string json = stump_json("binary:logistic", "5E-1", 0);
  json.replace(json.find(R"("right_children": [2, -1, -1])"), 29,
               R"("right_children": [9, -1, -1])");
  testing::write_text(dir / "model.json", json);
  expect_model_error(dir / "model.json", "right_children[0]=9");
}

TEST(NativeForestBrokenModel, ArrayLengthDifferentFromNumNodes) {
  TempDir dir;
  std::string json = stump_json("binary:logistic", "5E-1", 0);
  json.replace(json.find(R"("split_conditions": [0.5, 0.25, -0.5])"), 37,
               R"("split_conditions": [0.5, 0.25])");
  testing::write_text(dir / "model.json", json);
  expect_model_error(dir / "model.json", "split_conditions: 2 entries, expected 3");
}

TEST(NativeForestBrokenModel, LogisticBaseScoreOutsideTheUnitInterval) {
  TempDir dir;
  testing::write_text(dir / "model.json", stump_json("binary:logistic", "1.5E0", 0));
  expect_model_error(dir / "model.json", "base_score");
}

TEST(NativeForestBrokenModel, MissingLearner) {
  TempDir dir;
  testing::write_text(dir / "model.json", R"({"version": [1, 7, 4]})");
  expect_model_error(dir / "model.json", "missing field learner");
}

}  // namespace
}  // namespace mlgov
