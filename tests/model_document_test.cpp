// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// validate_model_document: the gate before any backend. Real models trained
// here with XGBoost, then corrupted the way a fuzzer or a bad disk would;
// each corruption ends in InvalidModelError naming the rule (never a signal,
// never a hang), and whatever passes the gate loads and predicts in XGBoost
// and in the native evaluator without crashing.
#include "model/model_document.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "mlgov/errors.h"
#include "mlgov/offline/xgboost_trainer.h"
#include "model/model_backend.h"
#include "model/native_forest.h"
#include "test_support.h"
#include "xgboost_test_models.h"

namespace mlgov {
namespace {

using internal::FloatJson;
using internal::InvalidModelError;
using internal::ModelFormat;
using internal::ModelLimits;
using internal::validate_model_document;
using testing::TempDir;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A real model: 10 trees of depth 3 over 28 features, trained once.
const std::string& real_model_text() {
  static const std::string text = [] {
    static TempDir dir;
    testing::TestModelSpec spec;
    spec.rounds = 10;
    spec.max_depth = 3;
    spec.n_rows = 500;
    return slurp(testing::train_test_model(dir.path(), spec));
  }();
  return text;
}

nlohmann::json real_model() { return nlohmann::json::parse(real_model_text()); }

nlohmann::json& tree0(nlohmann::json& doc) {
  return doc["learner"]["gradient_booster"]["model"]["trees"][0];
}

// The first split node whose children are both splits (depth-3 trees have
// one: the root), and its children.
struct Split {
  int node, left, right;
};
Split root_split(const nlohmann::json& tree) {
  const int l = tree["left_children"][0].get<int>();
  return {0, l, tree["right_children"][0].get<int>()};
}

// Expects InvalidModelError whose message contains `rule`.
void expect_invalid(const std::string& text, const std::string& rule,
                    const ModelLimits& limits = {}) {
  try {
    validate_model_document(text, limits);
    FAIL() << "expected InvalidModelError containing: " << rule;
  } catch (const InvalidModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(rule), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
  }
}

TEST(ModelDocument, RealModelIsValidAndEvaluableNatively) {
  const auto m = validate_model_document(real_model_text(), ModelLimits{});
  EXPECT_EQ(m.num_features, 28u);
  EXPECT_EQ(m.num_trees, 10u);
  EXPECT_EQ(m.unsupported, "");
  EXPECT_EQ(m.format, ModelFormat::kJson);
}

TEST(ModelDocument, SplitIndexOutOfRangeIsInvalid) {
  auto doc = real_model();
  tree0(doc)["split_indices"][0] = 28;  // features are 0..27
  expect_invalid(doc.dump(), "split_indices=28 is not a feature of this 28-feature model");
}

TEST(ModelDocument, ChildIndexOutOfRangeIsInvalid) {
  auto doc = real_model();
  const auto n = tree0(doc)["left_children"].size();
  tree0(doc)["left_children"][0] = n + 5;
  expect_invalid(doc.dump(), "left_children[0]=" + std::to_string(n + 5));
}

// A child pair pointing back up the tree: node 1 reached again from below.
TEST(ModelDocument, TreeWithACycleIsInvalid) {
  auto doc = real_model();
  auto& t = tree0(doc);
  const Split root = root_split(t);
  const int grandchild = t["left_children"][root.left].get<int>();
  ASSERT_GT(grandchild, 0);
  t["left_children"][grandchild] = root.left;
  t["right_children"][grandchild] = root.left + 1;
  expect_invalid(doc.dump(), "is reached twice");
}

// Two split nodes sharing one pair of children (a DAG, not a tree).
TEST(ModelDocument, SharedChildrenAreInvalid) {
  auto doc = real_model();
  auto& t = tree0(doc);
  const Split root = root_split(t);
  t["left_children"][root.right] = t["left_children"][root.left];
  t["right_children"][root.right] = t["right_children"][root.left];
  expect_invalid(doc.dump(), "is reached twice");
}

// XGBoost takes the right child as left + 1: any other right child would be
// evaluated differently by XGBoost and by the native evaluator.
TEST(ModelDocument, RightChildOtherThanLeftPlusOneIsInvalid) {
  auto doc = real_model();
  auto& t = tree0(doc);
  const Split root = root_split(t);
  std::swap(t["left_children"][0], t["right_children"][0]);
  (void)root;
  expect_invalid(doc.dump(), "are not a pair (left, left + 1)");
}

TEST(ModelDocument, ParentsThatDisagreeWithTheChildrenAreInvalid) {
  auto doc = real_model();
  auto& t = tree0(doc);
  const Split root = root_split(t);
  t["parents"][root.left] = 2147483647;
  expect_invalid(doc.dump(), "parents[" + std::to_string(root.left) + "]=2147483647");
}

TEST(ModelDocument, RepeatedTreeIdIsInvalid) {
  auto doc = real_model();
  doc["learner"]["gradient_booster"]["model"]["trees"][3]["id"] = 2;
  expect_invalid(doc.dump(), "tree ids must be a permutation of 0..9");
}

TEST(ModelDocument, TreeCountDifferentFromNumTreesIsInvalid) {
  auto doc = real_model();
  doc["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "11";
  expect_invalid(doc.dump(), "trees: 10 entries, expected 11");
}

TEST(ModelDocument, TreeInfoGroupOutsideTheOutputGroupsIsInvalid) {
  auto doc = real_model();
  doc["learner"]["gradient_booster"]["model"]["tree_info"][4] = 7;
  expect_invalid(doc.dump(), "tree_info[4]=7: must be an integer in [0, 0]");
}

TEST(ModelDocument, MoreTreesThanTheCapIsInvalid) {
  ModelLimits limits;
  limits.max_trees = 9;
  expect_invalid(real_model_text(), "num_trees='10': must be an integer in [0, 9]", limits);
}

TEST(ModelDocument, DeeperThanTheCapIsInvalid) {
  ModelLimits limits;
  limits.max_tree_depth = 2;  // the trees are 3 deep
  expect_invalid(real_model_text(), "is deeper than 2 levels", limits);
}

TEST(ModelDocument, MoreNodesThanTheCapIsInvalid) {
  ModelLimits limits;
  limits.max_nodes = 20;  // 10 trees of up to 15 nodes
  expect_invalid(real_model_text(), "more than 20 nodes", limits);
}

TEST(ModelDocument, LargerThanTheFileCapIsInvalid) {
  ModelLimits limits;
  limits.max_file_bytes = real_model_text().size() - 1;
  expect_invalid(real_model_text(), "more than the cap of", limits);
}

// 10^5 nested arrays: refused at the cap, before anything recursive (XGBoost's
// reader, nlohmann's UBJSON reader, a DOM copy) sees them.
TEST(ModelDocument, HundredThousandDeepJsonArrayIsInvalid) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  expect_invalid(deep, "nested deeper than 32 levels");
  const std::string in_model = R"({"learner": )" + deep + "}";
  expect_invalid(in_model, "nested deeper than 32 levels");
}

TEST(ModelDocument, HundredThousandDeepUbjsonArrayIsInvalid) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  try {
    validate_model_document(deep, ModelFormat::kUbjson, ModelLimits{});
    FAIL();
  } catch (const InvalidModelError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 32 levels"), std::string::npos)
        << e.what();
  }
}

// A UBJSON array of 2^62 nulls takes 12 bytes: refused from its declared
// count, without trying to build it.
TEST(ModelDocument, UbjsonContainerDeclaringMoreElementsThanBytesIsInvalid) {
  const std::string bomb =
      std::string("[$Z#L") + std::string("\x40\x00\x00\x00\x00\x00\x00\x00", 8);
  try {
    validate_model_document(bomb, ModelFormat::kUbjson, ModelLimits{});
    FAIL();
  } catch (const InvalidModelError& e) {
    EXPECT_NE(std::string(e.what()).find("more than the input can hold"), std::string::npos)
        << e.what();
  }
}

// Two readers could pick different copies of a repeated key.
TEST(ModelDocument, DuplicateKeyIsInvalid) {
  std::string text = real_model_text();
  const auto at = text.find("\"learner\"");
  ASSERT_NE(at, std::string::npos);
  text.insert(at, R"("learner": {}, )");
  expect_invalid(text, "duplicate key");
}

TEST(ModelDocument, NumberThatOverflowsAFloatIsInvalidNamingTheField) {
  std::string text = real_model_text();
  const auto at = text.find("\"base_weights\":[");
  ASSERT_NE(at, std::string::npos) << text.substr(0, 200);
  text.insert(at + 16, "1e999,");
  expect_invalid(text, "base_weights[0]: number 1e999 is out of range");
}

TEST(ModelDocument, ErrorsQuoteAtMostEightyCharactersOfTheInput) {
  auto doc = real_model();
  doc["learner"]["learner_model_param"]["num_feature"] = std::string(100000, '7');
  try {
    validate_model_document(doc.dump(), ModelLimits{});
    FAIL();
  } catch (const InvalidModelError& e) {
    EXPECT_LT(std::string(e.what()).size(), 250u) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::string(80, '7') + "..."), std::string::npos);
  }
}

// --- Unsupported is not invalid ---------------------------------------------

std::string trained(const std::filesystem::path& file,
                    std::vector<std::pair<std::string, std::string>> params,
                    bool three_classes = false) {
  auto x = testing::synthetic_features(300, 28, 3);
  auto y = testing::synthetic_labels(x, 28, "binary:logistic", 3);
  if (three_classes) {
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(i % 3);
  }
  offline::train_xgboost_model({x, y, 28}, nullptr, {std::move(params), 3}, file);
  return slurp(file);
}

TEST(ModelDocument, MultiClassModelIsValidButUnsupported) {
  TempDir dir;
  const auto m = validate_model_document(
      trained(dir / "m.json", {{"objective", "multi:softprob"}, {"num_class", "3"}}, true),
      ModelLimits{});
  EXPECT_NE(m.unsupported.find("multi-class"), std::string::npos) << m.unsupported;
}

TEST(ModelDocument, DartModelIsValidButUnsupported) {
  TempDir dir;
  const auto m = validate_model_document(
      trained(dir / "m.json", {{"objective", "binary:logistic"}, {"booster", "dart"}}),
      ModelLimits{});
  EXPECT_NE(m.unsupported.find("dart"), std::string::npos) << m.unsupported;
}

TEST(ModelDocument, DartModelWithAShortWeightDropIsInvalid) {
  TempDir dir;
  auto doc = nlohmann::json::parse(
      trained(dir / "m.json", {{"objective", "binary:logistic"}, {"booster", "dart"}}));
  doc["learner"]["gradient_booster"]["weight_drop"].erase(0);
  expect_invalid(doc.dump(), "weight_drop: 2 entries, expected 3");
}

TEST(ModelDocument, GblinearWithTooFewWeightsIsInvalid) {
  TempDir dir;
  auto doc = nlohmann::json::parse(
      trained(dir / "m.json", {{"objective", "binary:logistic"}, {"booster", "gblinear"}}));
  EXPECT_NE(validate_model_document(doc.dump(), ModelLimits{}).unsupported.find("gblinear"),
            std::string::npos);
  doc["learner"]["gradient_booster"]["model"]["weights"].erase(0);
  expect_invalid(doc.dump(), "weights: 28 entries, expected 29");
}

// A categorical split (XGBoost's partition splits): unsupported when its
// categories are consistent, invalid when a segment runs past them.
TEST(ModelDocument, CategoricalSplitIsUnsupportedAndBrokenCategoriesAreInvalid) {
  auto doc = real_model();
  auto& t = tree0(doc);
  t["split_type"][0] = 1;
  t["categories"] = {1, 3};
  t["categories_nodes"] = {0};
  t["categories_segments"] = {0};
  t["categories_sizes"] = {2};
  const auto m = validate_model_document(doc.dump(), ModelLimits{});
  EXPECT_NE(m.unsupported.find("categorical split at"), std::string::npos) << m.unsupported;
  t["categories_sizes"] = {3};
  expect_invalid(doc.dump(), "categories_sizes[0]=3: must be an integer in [1, 2]");
  t["categories_sizes"] = {2};
  t["categories_nodes"] = nlohmann::json::array();
  t["categories_segments"] = nlohmann::json::array();
  t["categories_sizes"] = nlohmann::json::array();
  expect_invalid(doc.dump(), "a categorical split without categories");
}

// --- A small fuzzer over a real model ---------------------------------------

// 400 models, each the real one with a few integers of one tree's structure
// replaced by values near the edges. Whatever the gate accepts must load in
// both backends and predict; whatever it refuses must be InvalidModelError.
TEST(ModelDocument, MutatedRealModelsAreRefusedOrEvaluateSafely) {
  const auto base = real_model();
  testing::SplitMix64 rng(2026);
  const char* const keys[] = {"left_children", "right_children", "parents", "split_indices",
                              "default_left"};
  const std::int64_t edges[] = {-2, -1, 0, 1, 2, 3, 6, 7, 8, 14, 15, 27, 28, 2147483647};
  const auto rows = testing::synthetic_features(16, 28, 5, 0.2);
  std::size_t accepted = 0, refused = 0;
  for (int round = 0; round < 400; ++round) {
    auto doc = base;
    const int mutations = 1 + static_cast<int>(rng.next() % 3);
    for (int k = 0; k < mutations; ++k) {
      auto& tree = doc["learner"]["gradient_booster"]["model"]["trees"][rng.next() % 10];
      auto& arr = tree[keys[rng.next() % 5]];
      arr[rng.next() % arr.size()] = edges[rng.next() % std::size(edges)];
    }
    const std::string text = doc.dump();
    internal::ValidatedModel model;
    try {
      model = validate_model_document(text, ModelLimits{});
    } catch (const InvalidModelError&) {
      ++refused;
      continue;
    }
    ++accepted;
    auto xgb = internal::load_xgboost_backend(model, "mutant");
    std::vector<float> a(16), b(16);
    ASSERT_TRUE(xgb->predict(rows.data(), 16, a.data()));
    if (model.unsupported.empty()) {
      auto native = internal::load_native_backend(model, "mutant");
      ASSERT_TRUE(native->predict(rows.data(), 16, b.data()));
      EXPECT_EQ(a, b) << "round " << round;
    }
  }
  // Both outcomes occur (some mutations keep the structure valid: a split
  // feature replaced by another, a default direction flipped).
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace mlgov
