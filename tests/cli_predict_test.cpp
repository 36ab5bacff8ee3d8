// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov predict`: scores a features CSV (as `mlgov features` writes it)
// through the GovernedPredictor; the header is the rows' schema.
#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_universe_fixture.h"

namespace mlgov {
namespace {

using testing::model_dirs;
using testing::read_csv;
using testing::slurp;
using testing::SmallUniverse;
using testing::write_csv;

// XGBoost's own prediction for one row (C API, no mlgov code involved).
float xgboost_predict(const std::filesystem::path& model_file, const std::vector<float>& row) {
  BoosterHandle booster = nullptr;
  EXPECT_EQ(XGBoosterCreate(nullptr, 0, &booster), 0);
  EXPECT_EQ(XGBoosterLoadModel(booster, model_file.c_str()), 0) << XGBGetLastError();
  EXPECT_EQ(XGBoosterSetParam(booster, "nthread", "1"), 0);
  DMatrixHandle m = nullptr;
  EXPECT_EQ(XGDMatrixCreateFromMat(row.data(), 1, row.size(), std::nanf(""), &m), 0);
  bst_ulong len = 0;
  const float* out = nullptr;
  EXPECT_EQ(XGBoosterPredict(booster, m, 0, 0, 0, &len, &out), 0) << XGBGetLastError();
  const float value = len == 1 ? out[0] : std::nanf("");
  XGDMatrixFree(m);
  XGBoosterFree(booster);
  return value;
}

// S001 and S002 trained, features of all six symbols written once.
class PredictTest : public testing::TrainedUniverseSuite {};

TEST_F(PredictTest, EveryRowGetsDateSymbolPredictionAndStatusInInputOrder) {
  std::string out;
  const auto pred = scratch_ / "out" / "predictions.csv";  // parent is created
  ASSERT_EQ(SmallUniverse::predict(models(), features(), pred, &out), 0) << out;
  const auto in_rows = read_csv(features());
  const auto out_rows = read_csv(pred);
  ASSERT_EQ(out_rows.size(), in_rows.size());
  EXPECT_EQ(out_rows[0], (std::vector<std::string>{"date", "symbol", "prediction", "status"}));
  // 6 symbols x 252 rows (bars 252..503 of 504).
  ASSERT_EQ(in_rows.size(), 1u + 6 * 252);
  std::map<std::string, int> ok_by_symbol;
  for (std::size_t i = 1; i < out_rows.size(); ++i) {
    ASSERT_EQ(out_rows[i].size(), 4u) << i;
    EXPECT_EQ(out_rows[i][0], in_rows[i][0]);
    EXPECT_EQ(out_rows[i][1], in_rows[i][1]);
    const bool has_model = out_rows[i][1] == "S001" || out_rows[i][1] == "S002";
    EXPECT_EQ(out_rows[i][3], has_model ? "OK" : "NO_MODEL") << i;
    EXPECT_EQ(out_rows[i][2].empty(), !has_model) << i;
    if (has_model) ++ok_by_symbol[out_rows[i][1]];
  }
  EXPECT_EQ(ok_by_symbol["S001"], 252);
  EXPECT_EQ(ok_by_symbol["S002"], 252);
}

TEST_F(PredictTest, PredictionsEqualXgboostsOwnOnTheSameRows) {
  // With the XGBoost backend the values must be XGBoost's, bit for bit
  // (%.9g round-trips a float32).
  testing::write_text(scratch_ / "cfg.yaml", "predictor:\n  backend: xgboost\n");
  std::string out;
  const auto pred = scratch_ / "p.csv";
  ASSERT_EQ(SmallUniverse::predict(models(), features(), pred, &out,
                                   " --config " + testing::quote(scratch_ / "cfg.yaml")),
            0)
      << out;
  const auto in_rows = read_csv(features());
  const auto out_rows = read_csv(pred);
  const auto model = model_dirs(models(), "S002").at(0) / "model.json";
  int compared = 0;
  for (std::size_t i = 1; i < in_rows.size(); i += 37) {
    if (in_rows[i][1] != "S002") continue;
    std::vector<float> row;
    for (std::size_t j = 2; j < in_rows[i].size(); ++j)
      row.push_back(std::strtof(in_rows[i][j].c_str(), nullptr));
    const float expected = xgboost_predict(model, row);
    EXPECT_EQ(std::strtof(out_rows[i][2].c_str(), nullptr), expected) << in_rows[i][0];
    ++compared;
  }
  EXPECT_GT(compared, 3);
}

TEST_F(PredictTest, TheDefaultBackendAgreesWithXgboost) {
  std::string out;
  const auto pred = scratch_ / "p.csv";
  ASSERT_EQ(SmallUniverse::predict(models(), features(), pred, &out), 0) << out;
  const auto in_rows = read_csv(features());
  const auto out_rows = read_csv(pred);
  const auto model = model_dirs(models(), "S001").at(0) / "model.json";
  for (std::size_t i = 1; i < in_rows.size(); i += 53) {
    if (in_rows[i][1] != "S001") continue;
    std::vector<float> row;
    for (std::size_t j = 2; j < in_rows[i].size(); ++j)
      row.push_back(std::strtof(in_rows[i][j].c_str(), nullptr));
    EXPECT_NEAR(std::strtof(out_rows[i][2].c_str(), nullptr), xgboost_predict(model, row), 1e-6);
  }
}

TEST_F(PredictTest, AReorderedHeaderIsAFeatureMismatchOnEveryModelRow) {
  auto rows = read_csv(features());
  for (auto& r : rows) std::swap(r[2], r[3]);  // ret_1d <-> ret_5d, values follow
  write_csv(scratch_ / "reordered.csv", rows);
  std::string out;
  const auto pred = scratch_ / "p.csv";
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "reordered.csv", pred, &out), 1) << out;
  const auto out_rows = read_csv(pred);
  ASSERT_EQ(out_rows.size(), rows.size());
  for (std::size_t i = 1; i < out_rows.size(); ++i) {
    const bool has_model = out_rows[i][1] == "S001" || out_rows[i][1] == "S002";
    EXPECT_EQ(out_rows[i][3], has_model ? "FEATURE_MISMATCH" : "NO_MODEL") << i;
    EXPECT_TRUE(out_rows[i][2].empty());
  }
  EXPECT_NE(out.find("FEATURE_MISMATCH=504"), std::string::npos) << out;
}

TEST_F(PredictTest, ANonFiniteValueRefusesOnlyItsRow) {
  auto rows = read_csv(features());
  std::size_t target = 0;
  for (std::size_t i = 1; i < rows.size() && target == 0; ++i) {
    if (rows[i][1] == "S001") target = i;
  }
  rows[target][10] = "nan";
  write_csv(scratch_ / "nan.csv", rows);
  std::string out;
  const auto pred = scratch_ / "p.csv";
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "nan.csv", pred, &out), 1) << out;
  const auto out_rows = read_csv(pred);
  EXPECT_EQ(out_rows[target][3], "NON_FINITE_FEATURE");
  EXPECT_NE(out.find("NON_FINITE_FEATURE=1,"), std::string::npos) << out;
  EXPECT_NE(out.find("OK=503"), std::string::npos) << out;
}

TEST_F(PredictTest, TheLiveGovernanceStateIsNeverTouched) {
  // A config whose ML is off and whose live state file is in scratch: the
  // tool still scores (ML forced on for itself) and, though every model row
  // fails (504 failures, far more than max_failures 3), writes no state file.
  const auto state = scratch_ / "runtime" / "governance_state.json";
  testing::write_text(scratch_ / "cfg.yaml",
                      "features:\n  ml_enabled: false\ngovernance:\n"
                      "  state_file: " +
                          state.string() + "\n");
  auto rows = read_csv(features());
  for (auto& r : rows) std::swap(r[2], r[3]);
  write_csv(scratch_ / "reordered.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "reordered.csv", scratch_ / "p.csv", &out,
                                   " --config " + testing::quote(scratch_ / "cfg.yaml")),
            1)
      << out;
  EXPECT_FALSE(std::filesystem::exists(state));
  // And a clean file under the same config scores normally.
  EXPECT_EQ(SmallUniverse::predict(models(), features(), scratch_ / "p.csv", &out,
                                   " --config " + testing::quote(scratch_ / "cfg.yaml")),
            0)
      << out;
  EXPECT_NE(out.find("OK=504"), std::string::npos) << out;
}

TEST_F(PredictTest, AShortRowIsBadInputNamingFileAndLine) {
  auto rows = read_csv(features());
  rows[5].pop_back();
  write_csv(scratch_ / "short.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "short.csv", scratch_ / "p.csv", &out), 2)
      << out;
  EXPECT_NE(out.find("short.csv:6: 29 fields, the header has 30"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(scratch_ / "p.csv"));
}

TEST_F(PredictTest, ANonNumberIsBadInputNamingTheColumn) {
  auto rows = read_csv(features());
  rows[3][4] = "abc";
  write_csv(scratch_ / "junk.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "junk.csv", scratch_ / "p.csv", &out), 2)
      << out;
  EXPECT_NE(out.find("junk.csv:4: column 5 (ret_10d): \"abc\" is not a number"), std::string::npos)
      << out;
}

TEST_F(PredictTest, AHeaderWithoutDateAndSymbolIsBadInput) {
  testing::write_text(scratch_ / "bad.csv", "symbol,date,ret_1d\nS001,2011-01-03,0.1\n");
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "bad.csv", scratch_ / "p.csv", &out), 2)
      << out;
  EXPECT_NE(out.find("bad.csv:1: header must be date,symbol"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlgov
