// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The throwing faces tell "no model for this symbol" (NoModelError, a
// ModelError naming the symbol) from "the model failed" (a plain ModelError),
// and a stream's "no row" (FeatureRow::none()) is insufficient history, never
// a failure. Real XGBoost models on disk, a real predictor.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "mlgov/errors.h"
#include "mlgov/governed_predictor.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using testing::install_model;
using testing::ml_v1;
using testing::OwnedRow;

struct NoModelTest : ::testing::Test {
  testing::TempDir dir;
  Config config = testing::test_config(dir.path());
  OwnedRow good{ml_v1().schema()};

  NoModelTest() { install_model(config.paths.models_dir, "GOOG"); }
  std::unique_ptr<GovernedPredictor> make() {
    return std::make_unique<GovernedPredictor>(config, ml_v1());
  }
};

TEST_F(NoModelTest, PredictBySymbolWithoutAModelThrowsNoModelErrorNamingIt) {
  auto p = make();
  try {
    p->predict("MSFT", good.row());
    FAIL() << "no exception";
  } catch (const NoModelError& e) {
    EXPECT_EQ(e.symbol(), "MSFT");
    EXPECT_NE(std::string(e.what()).find("MSFT"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
}

TEST_F(NoModelTest, NoModelErrorIsAModelError) {
  auto p = make();
  EXPECT_THROW(p->predict("MSFT", good.row()), ModelError);
}

TEST_F(NoModelTest, PredictByAnInvalidHandleThrowsNoModelError) {
  auto p = make();
  const ModelHandle msft = p->resolve("MSFT");
  try {
    p->predict(msft, good.row());
    FAIL() << "no exception";
  } catch (const NoModelError& e) {
    EXPECT_NE(std::string(e.what()).find("no model"), std::string::npos) << e.what();
  }
}

TEST_F(NoModelTest, ARefusedModelIsNoModelErrorSayingWhyItWasRefused) {
  // A 10-feature model behind a meta listing 28 features: refused at load.
  install_model(config.paths.models_dir, "AAPL", "20261120_120000", testing::MetaMode::kGood,
                nullptr, testing::trained_model(10));
  auto p = make();
  ASSERT_EQ(p->registry().refused().size(), 1u);
  try {
    p->predict("AAPL", good.row());
    FAIL() << "no exception";
  } catch (const NoModelError& e) {
    EXPECT_EQ(e.symbol(), "AAPL");
    EXPECT_NE(std::string(e.what()).find("AAPL: no model loaded"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("refused at load"), std::string::npos) << e.what();
  }
}

TEST_F(NoModelTest, StreamNoRowIsInsufficientHistoryNotAFailure) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(p->try_predict(goog, FeatureRow::none()).status, PredictStatus::kInsufficientHistory);
  }
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  EXPECT_EQ(p->model_errors(), 0u);
  EXPECT_EQ(p->metrics().failures_in_window, 0u);
}

}  // namespace
}  // namespace mlgov
