// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/offline/xgboost_trainer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/read_file.h"
#include "mlgov/errors.h"
#include "test_support.h"
#include "xgboost_test_models.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using offline::DenseDataset;
using offline::train_xgboost_model;
using offline::TrainSpec;
using testing::TempDir;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct Data {
  std::vector<float> x, y;
  Data(std::size_t rows, std::uint64_t seed, const std::string& objective = "binary:logistic")
      : x(testing::synthetic_features(rows, 28, seed)),
        y(testing::synthetic_labels(x, 28, objective, seed)) {}
  DenseDataset set() const { return {x, y, 28}; }
};

TEST(XgboostTrainer, SameInputsAndSeedGiveAByteIdenticalModelJson) {
  TempDir dir;
  const Data d(1500, 3);
  const TrainSpec spec{{{"objective", "binary:logistic"},
                        {"max_depth", "5"},
                        {"subsample", "0.8"},
                        {"colsample_bytree", "0.7"},
                        {"seed", "42"}},
                       25};
  train_xgboost_model(d.set(), nullptr, spec, dir / "a" / "model.json");
  train_xgboost_model(d.set(), nullptr, spec, dir / "b" / "model.json");
  const std::string a = read_file(dir / "a" / "model.json");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, read_file(dir / "b" / "model.json"));
}

TEST(XgboostTrainer, AnotherSeedWithSubsamplingGivesAnotherModel) {
  TempDir dir;
  const Data d(1500, 3);
  TrainSpec spec{{{"objective", "binary:logistic"}, {"subsample", "0.5"}, {"seed", "1"}}, 10};
  train_xgboost_model(d.set(), nullptr, spec, dir / "a.json");
  spec.params.back().second = "2";
  train_xgboost_model(d.set(), nullptr, spec, dir / "b.json");
  EXPECT_NE(read_file(dir / "a.json"), read_file(dir / "b.json"));
}

TEST(XgboostTrainer, SavesXgboostJson) {
  TempDir dir;
  const Data d(500, 1);
  train_xgboost_model(d.set(), nullptr, {{{"objective", "binary:logistic"}}, 3},
                      dir / "model.json");
  const std::string text = read_file(dir / "model.json");
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.front(), '{');
  EXPECT_NE(text.find("\"learner\""), std::string::npos);
}

TEST(XgboostTrainer, ReportsValidationLoglossAndAucForBinaryLogistic) {
  TempDir dir;
  const Data train(2000, 1), valid(1000, 2);
  const auto v = valid.set();
  const auto result = train_xgboost_model(
      train.set(), &v, {{{"objective", "binary:logistic"}, {"max_depth", "3"}}, 30},
      dir / "model.json");
  ASSERT_TRUE(result.metric("logloss").has_value()) << result.last_eval_line;
  ASSERT_TRUE(result.metric("auc").has_value()) << result.last_eval_line;
  // The labels carry a learnable signal: better than the coin-flip logloss
  // ln 2 = 0.693 and AUC 0.5.
  EXPECT_LT(*result.metric("logloss"), 0.69);
  EXPECT_GT(*result.metric("auc"), 0.6);
  EXPECT_LE(*result.metric("auc"), 1.0);
}

TEST(XgboostTrainer, ReportsValidationRmseForRegression) {
  TempDir dir;
  const Data train(2000, 1, "reg:squarederror"), valid(500, 2, "reg:squarederror");
  const auto v = valid.set();
  const auto result = train_xgboost_model(
      train.set(), &v, {{{"objective", "reg:squarederror"}}, 10}, dir / "model.json");
  ASSERT_TRUE(result.metric("rmse").has_value()) << result.last_eval_line;
  EXPECT_GT(*result.metric("rmse"), 0.0);
}

TEST(XgboostTrainer, NoValidationSetMeansNoMetrics) {
  TempDir dir;
  const Data d(300, 1);
  const auto result = train_xgboost_model(d.set(), nullptr, {{}, 2}, dir / "model.json");
  EXPECT_TRUE(result.valid_metrics.empty());
}

TEST(XgboostTrainer, LabelCountDifferentFromRowCountThrowsModelError) {
  TempDir dir;
  Data d(100, 1);
  d.y.pop_back();
  EXPECT_THROW(train_xgboost_model(d.set(), nullptr, {{}, 2}, dir / "model.json"), ModelError);
}

TEST(XgboostTrainer, InvalidParameterValueThrowsModelErrorNamingIt) {
  TempDir dir;
  const Data d(100, 1);
  try {
    train_xgboost_model(d.set(), nullptr, {{{"objective", "no:such"}}, 2}, dir / "model.json");
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("no:such"), std::string::npos) << e.what();
  }
}

TEST(XgboostTrainer, ZeroRoundsThrowsModelError) {
  TempDir dir;
  const Data d(100, 1);
  EXPECT_THROW(train_xgboost_model(d.set(), nullptr, {{}, 0}, dir / "model.json"), ModelError);
}

TEST(XgboostTestModels, TrainTestModelWritesModelJsonInTheDirectory) {
  TempDir dir;
  const auto path = testing::train_test_model(dir / "m", 28, 5, 3, "binary:logistic", 7);
  EXPECT_EQ(path, dir / "m" / "model.json");
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

}  // namespace
}  // namespace mlgov
