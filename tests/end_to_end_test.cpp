// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The whole offline story on a small synthetic universe, through the built
// tool only: synth, train, audit (pass_rate 1.0), features, predict.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

#include "cli_universe_fixture.h"

namespace mlgov {
namespace {

using testing::model_dirs;
using testing::read_json;
using testing::slurp;
using testing::SmallUniverse;

// Rows of a predictions CSV keyed by "date,symbol" -> "prediction,status".
std::map<std::string, std::string> predictions(const std::filesystem::path& file) {
  std::map<std::string, std::string> out;
  std::stringstream in(slurp(file));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto second = line.find(',', line.find(',') + 1);
    out[line.substr(0, second)] = line.substr(second + 1);
  }
  return out;
}

TEST(EndToEnd, SynthTrainAuditFeaturesPredict) {
  SmallUniverse u;  // mlgov synth --symbols 6 --years 2 --sectors 2
  std::string out;
  const auto models = u / "models" / "ml_alpha";
  ASSERT_EQ(u.train("S001,S002,S003", models, &out), 0) << out;

  const auto report_file = u / "reports" / "audit.json";
  ASSERT_EQ(u.audit("S001,S002,S003", models, report_file, &out), 0) << out;
  const auto report = read_json(report_file);
  // What `jq '{passed:.passed, failed:.failed, pass_rate:.pass_rate}'` shows.
  EXPECT_EQ(report.at("passed"), 3);
  EXPECT_EQ(report.at("failed"), 0);
  EXPECT_DOUBLE_EQ(report.at("pass_rate").get<double>(), 1.0);

  const auto features = u / "features.csv";
  ASSERT_EQ(u.features(features, &out), 0) << out;
  const auto pred_file = u / "predictions.csv";
  ASSERT_EQ(SmallUniverse::predict(models, features, pred_file, &out), 0) << out;
  const auto pred = predictions(pred_file);
  ASSERT_EQ(pred.size(), 6u * 252);

  // The audit scored the latest row of each symbol in-process from the batch
  // frame; predict scored the same row after a round trip through the CSV
  // (%.9g is exact for float32). Both went through a GovernedPredictor.
  for (const char* sym : {"S001", "S002", "S003"}) {
    std::string detail;
    for (const auto& c : report.at("symbols").at(sym).at("checks")) {
      if (c.at("name") == "model_predicts") detail = c.at("detail");
    }
    // "p = 0.568859 on the latest row (2011-12-08)"
    const auto open = detail.find('(');
    ASSERT_NE(open, std::string::npos) << detail;
    const std::string date = detail.substr(open + 1, 10);
    const double audited = std::strtod(detail.c_str() + 4, nullptr);
    const std::string row = pred.at(date + "," + sym);
    EXPECT_EQ(row.substr(row.find(',') + 1), "OK");
    EXPECT_NEAR(std::strtod(row.c_str(), nullptr), audited, 5e-7) << sym;
  }
  for (const char* sym : {"S004", "S005", "S006"}) {
    int no_model = 0;
    for (const auto& [key, value] : pred) {
      if (key.substr(11) == sym) no_model += value == ",NO_MODEL";
    }
    EXPECT_EQ(no_model, 252) << sym;
  }
}

TEST(EndToEnd, AnInterruptedTrainingLeavesTheOtherModelsServing) {
  SmallUniverse u;
  std::string out;
  const auto models = u / "models";
  ASSERT_EQ(u.train("S001", models, &out), 0) << out;
  EXPECT_EQ(u.train("S002", models, &out, " --fail-after-model-for-test"), 3) << out;
  // The audit sees S001's model and no model for S002 (its half-written
  // directory is a temporary the registry skips): both pass.
  const auto report_file = u / "audit.json";
  ASSERT_EQ(u.audit("S001,S002", models, report_file, &out), 0) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("symbols").at("S002").at("checks").back().at("name"), "model");
  // predict: S001 scores, S002 has no model.
  ASSERT_EQ(u.features(u / "f.csv", &out), 0) << out;
  ASSERT_EQ(SmallUniverse::predict(models, u / "f.csv", u / "p.csv", &out), 0) << out;
  EXPECT_NE(out.find("OK=252"), std::string::npos) << out;
  EXPECT_NE(out.find("NO_MODEL=1260"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlgov
