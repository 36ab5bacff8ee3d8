// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The XGBoost C API backend, checked against XGBoost's own DMatrix prediction
// path on real models trained in the test.
#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "io/read_file.h"
#include "mlgov/errors.h"
#include "model/model_backend.h"
#include "model/model_document.h"
#include "test_support.h"
#include "xgboost_test_models.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using internal::load_xgboost_backend;
using testing::TempDir;
using testing::TestModelSpec;
using testing::train_test_model;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Reference predictions through an independent XGBoost path: a fresh booster
// and a DMatrix (XGBoosterPredictFromDMatrix), not the in-place call.
std::vector<float> reference_predictions(const std::filesystem::path& model,
                                         const std::vector<float>& x, std::size_t n_features) {
  BoosterHandle booster = nullptr;
  EXPECT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  EXPECT_EQ(XGBoosterLoadModel(booster, model.string().c_str()), 0);
  EXPECT_EQ(XGBoosterSetParam(booster, "nthread", "1"), 0);
  DMatrixHandle dmat = nullptr;
  const bst_ulong rows = x.size() / n_features;
  EXPECT_EQ(XGDMatrixCreateFromMat(x.data(), rows, n_features,
                                   std::numeric_limits<float>::quiet_NaN(), &dmat),
            0);
  const char* config =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  EXPECT_EQ(XGBoosterPredictFromDMatrix(booster, dmat, config, &shape, &dim, &result), 0);
  std::vector<float> out(result, result + rows);
  XGDMatrixFree(dmat);
  XGBoosterFree(booster);
  return out;
}

TEST(XgboostBackend, MissingFileThrowsModelErrorNamingTheFile) {
  TempDir dir;
  const auto missing = dir / "nope" / "model.json";
  try {
    load_xgboost_backend(missing);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
}

// XGBoost never reads a file that failed validation: a truncated model.json
// is refused by the gate, naming the file and the JSON error.
TEST(XgboostBackend, TruncatedModelJsonIsRefusedBeforeXgboostReadsIt) {
  TempDir dir;
  const auto model = train_test_model(dir / "good");
  const std::string full = read_file(model);
  const auto truncated = dir / "truncated" / "model.json";
  testing::write_text(truncated, full.substr(0, full.size() / 2));
  try {
    load_xgboost_backend(truncated);
    FAIL() << "expected InvalidModelError";
  } catch (const internal::InvalidModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(truncated.string()), std::string::npos) << what;
    EXPECT_NE(what.find("not valid JSON"), std::string::npos) << what;
  }
}

// A structurally valid model XGBoost itself refuses (an objective it does
// not know): ModelError naming the file, then XGBoost's own message.
TEST(XgboostBackend, ModelXgboostRefusesThrowsModelErrorWithXgboostsMessage) {
  TempDir dir;
  std::string text = read_file(train_test_model(dir / "good"));
  const auto at = text.find("\"binary:logistic\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "\"reg:no_such_loss\"");
  testing::write_text(dir / "bad" / "model.json", text);
  try {
    load_xgboost_backend(dir / "bad" / "model.json");
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir / "bad" / "model.json").string()), std::string::npos) << what;
    EXPECT_NE(what.find("failed: "), std::string::npos) << what;
    EXPECT_NE(what.find("reg:no_such_loss"), std::string::npos) << what;
  }
}

// Bytes before the document would send XGBoost's buffer loader to its legacy
// binary reader; XGBoost gets the validated document as canonical JSON
// instead, so the model loads and predicts as the clean file does.
TEST(XgboostBackend, LeadingWhitespaceDoesNotReachXgboostsBinaryReader) {
  TempDir dir;
  const auto model = train_test_model(dir / "good");
  testing::write_text(dir / "spaced" / "model.json", "\n  \t" + read_file(model));
  auto clean = load_xgboost_backend(model);
  auto spaced = load_xgboost_backend(dir / "spaced" / "model.json");
  const auto x = testing::synthetic_features(50, 28, 4);
  std::vector<float> a(50), b(50);
  ASSERT_TRUE(clean->predict(x.data(), 50, a.data()));
  ASSERT_TRUE(spaced->predict(x.data(), 50, b.data()));
  EXPECT_EQ(a, b);
}

TEST(XgboostBackend, GarbageFileThrowsModelError) {
  TempDir dir;
  testing::write_text(dir / "model.json", "this is not a model");
  EXPECT_THROW(load_xgboost_backend(dir / "model.json"), ModelError);
}

TEST(XgboostBackend, ReportsTheFeatureCountTheModelWasTrainedOn) {
  TempDir dir;
  EXPECT_EQ(load_xgboost_backend(train_test_model(dir / "a", {.n_features = 28}))->num_features(),
            28u);
  EXPECT_EQ(load_xgboost_backend(train_test_model(dir / "b", {.n_features = 27}))->num_features(),
            27u);
}

TEST(XgboostBackend, NameIsXgboost) {
  TempDir dir;
  EXPECT_EQ(load_xgboost_backend(train_test_model(dir.path()))->name(), "xgboost");
}

TEST(XgboostBackend, PredictionsEqualXgboostDMatrixPredictionsBitForBit) {
  TempDir dir;
  for (const std::string objective : {"binary:logistic", "reg:squarederror"}) {
    const auto model = train_test_model(dir / objective, {.rounds = 30, .objective = objective});
    auto backend = load_xgboost_backend(model);
    const auto x = testing::synthetic_features(500, 28, /*seed=*/99, /*nan_fraction=*/0.1);
    const auto expected = reference_predictions(model, x, 28);
    std::vector<float> got(500);
    ASSERT_TRUE(backend->predict(x.data(), 500, got.data()));
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(expected[i]))
          << objective << " row " << i << ": " << got[i] << " vs " << expected[i];
    }
  }
}

TEST(XgboostBackend, SingleRowPredictionEqualsTheSameRowInABatch) {
  TempDir dir;
  auto backend = load_xgboost_backend(train_test_model(dir.path()));
  const auto x = testing::synthetic_features(50, 28, 3);
  std::vector<float> batch(50);
  ASSERT_TRUE(backend->predict(x.data(), 50, batch.data()));
  for (std::size_t i = 0; i < 50; ++i) {
    float one = -1;
    ASSERT_TRUE(backend->predict(x.data() + i * 28, 1, &one));
    EXPECT_EQ(std::bit_cast<std::uint32_t>(one), std::bit_cast<std::uint32_t>(batch[i])) << i;
  }
}

TEST(XgboostBackend, BinaryLogisticGivesProbabilities) {
  TempDir dir;
  auto backend = load_xgboost_backend(train_test_model(dir.path()));
  const auto x = testing::synthetic_features(200, 28, 4);
  std::vector<float> p(200);
  ASSERT_TRUE(backend->predict(x.data(), 200, p.data()));
  for (float v : p) {
    EXPECT_GT(v, 0.0f);
    EXPECT_LT(v, 1.0f);
  }
}

TEST(XgboostBackend, LoadsUbjModels) {
  TempDir dir;
  const auto x = testing::synthetic_features(1000, 28, 1);
  const auto y = testing::synthetic_labels(x, 28, "binary:logistic", 1);
  offline::TrainSpec spec{{{"objective", "binary:logistic"}, {"max_depth", "3"}}, 10};
  offline::train_xgboost_model({x, y, 28}, nullptr, spec, dir / "model.ubj");
  offline::train_xgboost_model({x, y, 28}, nullptr, spec, dir / "model.json");
  auto ubj = load_xgboost_backend(dir / "model.ubj");
  auto json = load_xgboost_backend(dir / "model.json");
  EXPECT_EQ(ubj->num_features(), 28u);
  std::vector<float> a(100), b(100);
  ASSERT_TRUE(ubj->predict(x.data(), 100, a.data()));
  ASSERT_TRUE(json->predict(x.data(), 100, b.data()));
  EXPECT_EQ(a, b);
}

TEST(XgboostBackend, ZeroRowsIsASuccessfulNoOp) {
  TempDir dir;
  auto backend = load_xgboost_backend(train_test_model(dir.path()));
  EXPECT_TRUE(backend->predict(nullptr, 0, nullptr));
}

TEST(XgboostBackend, NullInputReturnsFalseInsteadOfCrashing) {
  TempDir dir;
  auto backend = load_xgboost_backend(train_test_model(dir.path()));
  float out = 0;
  EXPECT_FALSE(backend->predict(nullptr, 1, &out));
}

TEST(XgboostBackend, ConcurrentPredictCallsOnOneBackendAgreeWithSerialOnes) {
  TempDir dir;
  auto backend = load_xgboost_backend(train_test_model(dir.path(), {.rounds = 50}));
  const auto x = testing::synthetic_features(256, 28, 8);
  std::vector<float> serial(256);
  ASSERT_TRUE(backend->predict(x.data(), 256, serial.data()));
  constexpr int kThreads = 4;
  std::vector<std::vector<float>> results(kThreads, std::vector<float>(256));
  std::vector<int> ok(kThreads, 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 50; ++rep) {
        // Alternate single rows and the whole batch so the calls interleave.
        for (std::size_t i = 0; i < 256; i += 64) {
          if (!backend->predict(x.data() + i * 28, 64, results[t].data() + i)) ok[t] = 0;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(ok[t]) << t;
    EXPECT_EQ(results[t], serial) << "thread " << t;
  }
}

}  // namespace
}  // namespace mlgov
