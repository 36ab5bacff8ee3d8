// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov audit` on a small synthetic universe: the report's shape, a clean
// universe passing every check, and each kind of broken input failing only
// its own symbol, with the reason.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli_universe_fixture.h"
#include "mlgov/feature_contract.h"
#include "mlgov/model_meta.h"

namespace mlgov {
namespace {

using testing::model_dirs;
using testing::read_json;
using testing::SmallUniverse;

// S001, S002 and S003 trained once for the whole suite; each test copies the
// models directory when it needs to damage it.
class AuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    universe_ = new SmallUniverse();
    std::string out;
    const int rc = universe_->train("S001,S002,S003", trained(), &out);
    if (rc != 0) throw std::runtime_error("mlgov train failed: " + out);
  }
  static void TearDownTestSuite() { delete universe_; }
  static std::filesystem::path trained() { return *universe_ / "trained"; }

  // A private copy of the trained models.
  std::filesystem::path copy_models() {
    const auto dest = scratch_ / "models";
    std::filesystem::copy(trained(), dest, std::filesystem::copy_options::recursive);
    return dest;
  }
  static const nlohmann::json& check(const nlohmann::json& report, const std::string& sym,
                                     const std::string& name) {
    for (const auto& c : report.at("symbols").at(sym).at("checks")) {
      if (c.at("name") == name) return c;
    }
    static const nlohmann::json missing = {{"name", "missing"}, {"passed", false}, {"detail", ""}};
    ADD_FAILURE() << sym << " has no check " << name;
    return missing;
  }
  static std::string detail(const nlohmann::json& report, const std::string& sym,
                            const std::string& name) {
    return check(report, sym, name).at("detail").get<std::string>();
  }

  static SmallUniverse* universe_;
  testing::TempDir scratch_;
};
SmallUniverse* AuditTest::universe_ = nullptr;

TEST_F(AuditTest, ACleanUniverseWithModelsPassesEveryCheck) {
  std::string out;
  const auto report_file = scratch_ / "reports" / "audit.json";  // parent is created
  ASSERT_EQ(universe_->audit("S001,S002,S003", trained(), report_file, &out), 0) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("passed"), 3);
  EXPECT_EQ(report.at("failed"), 0);
  EXPECT_DOUBLE_EQ(report.at("pass_rate").get<double>(), 1.0);
  for (const char* sym : {"S001", "S002", "S003"}) {
    const auto& s = report.at("symbols").at(sym);
    EXPECT_TRUE(s.at("passed").get<bool>()) << s.dump(2);
    std::vector<std::string> names;
    for (const auto& c : s.at("checks")) {
      names.push_back(c.at("name"));
      EXPECT_TRUE(c.at("passed").get<bool>()) << sym << " " << c.dump();
      EXPECT_FALSE(c.at("detail").get<std::string>().empty());
    }
    const std::vector<std::string> expected = {
        "features_computed", "history",          "columns", "float32",     "finite",
        "deterministic",     "streaming_parity", "ranges",  "model_loads", "model_meta",
        "model_fresh",       "model_predicts"};
    EXPECT_EQ(names, expected) << sym;
  }
}

TEST_F(AuditTest, ReportCarriesTheContractAndATimestamp) {
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  ASSERT_EQ(universe_->audit("S004", {}, report_file, &out), 0) << out;
  const auto report = read_json(report_file);
  const FeatureContract contract = FeatureContract::load_file(testing::source_dir() / "contracts" /
                                                              "feature_contract_ml_v1.json");
  EXPECT_EQ(report.at("contract").at("name"), "ml_v1");
  EXPECT_EQ(report.at("contract").at("version"), contract.version());
  EXPECT_EQ(report.at("contract").at("fingerprint"), contract.fingerprint());
  EXPECT_TRUE(is_iso8601_utc(report.at("generated_at").get<std::string>()))
      << report.at("generated_at");
  // Without --models there are no model checks.
  EXPECT_EQ(report.at("symbols").at("S004").at("checks").size(), 8u);
}

TEST_F(AuditTest, DetailsStateWhatWasChecked) {
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  ASSERT_EQ(universe_->audit("S005", {}, report_file, &out), 0) << out;
  const auto report = read_json(report_file);
  // 504 bars: rows for bars 252..503 = 252 rows; the stream is compared on
  // the last min(300, 252) = 252 of them.
  EXPECT_EQ(detail(report, "S005", "history"), "504 bars, >= 253");
  EXPECT_NE(detail(report, "S005", "features_computed").find("252 rows"), std::string::npos);
  EXPECT_NE(detail(report, "S005", "streaming_parity").find("last 252 rows"), std::string::npos);
}

TEST_F(AuditTest, ASymbolWithoutAModelDirectoryPassesWithANote) {
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  ASSERT_EQ(universe_->audit("S001,S004", trained(), report_file, &out), 0) << out;
  const auto report = read_json(report_file);
  EXPECT_TRUE(check(report, "S004", "model").at("passed").get<bool>());
  EXPECT_NE(detail(report, "S004", "model").find("no model directory"), std::string::npos);
}

TEST_F(AuditTest, ATruncatedModelJsonFailsThatSymbolOnly) {
  const auto models = copy_models();
  const auto dir = model_dirs(models, "S001").at(0);
  std::filesystem::resize_file(dir / "model.json", 100);
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  EXPECT_EQ(universe_->audit("S001,S002,S003", models, report_file, &out), 1) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("passed"), 2);
  EXPECT_EQ(report.at("failed"), 1);
  EXPECT_FALSE(report.at("symbols").at("S001").at("passed").get<bool>());
  EXPECT_TRUE(report.at("symbols").at("S002").at("passed").get<bool>());
  EXPECT_TRUE(report.at("symbols").at("S003").at("passed").get<bool>());
  EXPECT_FALSE(check(report, "S001", "model_loads").at("passed").get<bool>());
  EXPECT_NE(detail(report, "S001", "model_loads").find("model.json"), std::string::npos);
}

TEST_F(AuditTest, AMissingMetaFailsThatSymbolOnly) {
  const auto models = copy_models();
  std::filesystem::remove(model_dirs(models, "S002").at(0) / "model_meta.json");
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  EXPECT_EQ(universe_->audit("S001,S002,S003", models, report_file, &out), 1) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("passed"), 2);
  EXPECT_FALSE(report.at("symbols").at("S002").at("passed").get<bool>());
  EXPECT_TRUE(report.at("symbols").at("S001").at("passed").get<bool>());
  EXPECT_NE(out.find("S002"), std::string::npos);
  // Legacy models load by default, but the audit fails them: the contract
  // cannot be checked without the meta.
  const auto& c = check(report, "S002", "model_meta");
  EXPECT_FALSE(c.at("passed").get<bool>());
  EXPECT_NE(c.at("detail").get<std::string>().find("no model_meta.json"), std::string::npos);
}

TEST_F(AuditTest, AMetaForAnotherContractFailsThatSymbolOnly) {
  const auto models = copy_models();
  const auto meta_file = model_dirs(models, "S003").at(0) / "model_meta.json";
  auto meta = read_json(meta_file);
  meta["contract"]["fingerprint"] = std::string(64, '0');
  testing::write_text(meta_file, meta.dump(2));
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  EXPECT_EQ(universe_->audit("S001,S002,S003", models, report_file, &out), 1) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("passed"), 2);
  EXPECT_FALSE(report.at("symbols").at("S003").at("passed").get<bool>());
  const std::string d = detail(report, "S003", "model_loads");
  EXPECT_NE(d.find("contract.fingerprint"), std::string::npos) << d;
  EXPECT_NE(d.find(std::string(64, '0')), std::string::npos) << d;
}

TEST_F(AuditTest, ThreeBrokenModelsFailThreeSymbolsAndTheRestStillPass) {
  // More refusals than governance.max_failures (3): the audit's own predictor
  // must not latch and take the healthy symbols down with it.
  std::string out;
  SmallUniverse u;
  ASSERT_EQ(u.train("S001,S002,S003,S004", u / "m", &out), 0) << out;
  for (const char* sym : {"S001", "S002", "S003"}) {
    std::filesystem::resize_file(model_dirs(u / "m", sym).at(0) / "model.json", 10);
  }
  const auto report_file = u / "audit.json";
  EXPECT_EQ(u.audit("S001,S002,S003,S004", u / "m", report_file, &out), 1) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("failed"), 3);
  EXPECT_TRUE(report.at("symbols").at("S004").at("passed").get<bool>()) << report.dump(2);
}

TEST_F(AuditTest, BarsBreakingARuleFailThatSymbolWithFileAndLine) {
  SmallUniverse u;
  // Line 11 of S002.csv repeats line 10's date.
  const auto file = u.data() / "S002.csv";
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  in.close();
  lines[10] = lines[9];
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  testing::write_text(file, text);
  std::string out;
  const auto report_file = u / "audit.json";
  EXPECT_EQ(u.audit("S001,S002", {}, report_file, &out), 1) << out;
  const auto report = read_json(report_file);
  EXPECT_EQ(report.at("passed"), 1);
  EXPECT_TRUE(report.at("symbols").at("S001").at("passed").get<bool>());
  const std::string d = detail(report, "S002", "features_computed");
  EXPECT_NE(d.find("S002.csv"), std::string::npos) << d;
  EXPECT_NE(d.find(":11"), std::string::npos) << d;
}

TEST_F(AuditTest, ShortHistoryFailsTheHistoryCheck) {
  SmallUniverse u;
  // S003 keeps 200 bars: fewer than the 253 a row needs.
  const auto file = u.data() / "S003.csv";
  std::ifstream in(file);
  std::string text, line;
  for (int i = 0; i < 201 && std::getline(in, line); ++i) text += line + "\n";
  in.close();
  testing::write_text(file, text);
  std::string out;
  const auto report_file = u / "audit.json";
  EXPECT_EQ(u.audit("S003", {}, report_file, &out), 1) << out;
  const auto report = read_json(report_file);
  EXPECT_FALSE(check(report, "S003", "history").at("passed").get<bool>());
  EXPECT_EQ(detail(report, "S003", "history"), "200 bars, < 253");
  EXPECT_FALSE(check(report, "S003", "features_computed").at("passed").get<bool>());
}

TEST_F(AuditTest, AVolumeZScoreAtItsLargestPossibleValueIsInRange) {
  SmallUniverse u;
  // The last 20 bars of S004: 19 volumes of 1000, then 100000. With the
  // sample standard deviation, the z-score of the outlier is (n - 1) /
  // sqrt(n) = 19 / sqrt(20) = 4.2485 (Samuelson's bound, attained), which the
  // range check must accept.
  const auto file = u.data() / "S004.csv";
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  in.close();
  ASSERT_EQ(lines.size(), 1u + testing::kUniverseBars);
  for (std::size_t i = lines.size() - 20; i < lines.size(); ++i) {
    lines[i] =
        lines[i].substr(0, lines[i].rfind(',') + 1) + (i + 1 == lines.size() ? "100000" : "1000");
  }
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  testing::write_text(file, text);
  std::string out;
  const auto report_file = u / "audit.json";
  EXPECT_EQ(u.audit("S004", {}, report_file, &out), 0) << out;
  EXPECT_TRUE(check(read_json(report_file), "S004", "ranges").at("passed").get<bool>()) << out;
}

TEST_F(AuditTest, TheRangesCheckUsesTheContractsRanges) {
  // The same contract with rsi_14's range narrowed to [0, 1]: RSI lives in
  // [0, 100] and a real price path takes it far above 1, so the check fails
  // and names the feature and the contract's bounds.
  nlohmann::json contract =
      read_json(testing::source_dir() / "contracts" / "feature_contract_ml_v1.json");
  for (auto& f : contract["features"]) {
    if (f["name"] == "rsi_14") f["range"] = {{"min", 0}, {"max", 1}};
  }
  const auto contracts = scratch_ / "contracts";
  std::filesystem::create_directories(contracts);
  testing::write_text(contracts / "feature_contract_ml_v1.json", contract.dump(2));
  const auto report_file = scratch_ / "audit.json";
  std::string out;
  testing::SmallUniverse::mlgov(
      "audit --symbols S001 --data " + testing::quote(universe_->data()) +
          " --benchmark SPX --sectors " + testing::quote(universe_->sectors()) + " --out " +
          testing::quote(report_file) + " --contracts-dir " + testing::quote(contracts),
      &out);
  const nlohmann::json ranges = check(read_json(report_file), "S001", "ranges");
  EXPECT_FALSE(ranges.at("passed").get<bool>()) << out;
  const std::string why = ranges.at("detail").get<std::string>();
  EXPECT_NE(why.find("rsi_14 = "), std::string::npos) << why;
  EXPECT_NE(why.find("outside [0, 1]"), std::string::npos) << why;
}

TEST_F(AuditTest, ExitCodeFollowsTheMinimumPassRate) {
  const auto models = copy_models();
  std::filesystem::resize_file(model_dirs(models, "S001").at(0) / "model.json", 100);
  std::string out;
  const auto report_file = scratch_ / "audit.json";
  // 2 of 3 pass: 0.667.
  EXPECT_EQ(universe_->audit("S001,S002,S003", models, report_file, &out, " --min-pass-rate 0.6"),
            0)
      << out;
  EXPECT_EQ(universe_->audit("S001,S002,S003", models, report_file, &out, " --min-pass-rate 0.7"),
            1)
      << out;
  EXPECT_NEAR(read_json(report_file).at("pass_rate").get<double>(), 2.0 / 3.0, 1e-12);
}

TEST_F(AuditTest, AMinimumPassRateOutsideZeroToOneIsBadInput) {
  std::string out;
  EXPECT_EQ(universe_->audit("S001", {}, scratch_ / "a.json", &out, " --min-pass-rate 1.5"), 2)
      << out;
  EXPECT_FALSE(std::filesystem::exists(scratch_ / "a.json"));
}

TEST_F(AuditTest, AMissingModelsDirectoryIsBadInput) {
  std::string out;
  EXPECT_EQ(universe_->audit("S001", scratch_ / "nope", scratch_ / "a.json", &out), 2) << out;
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlgov
