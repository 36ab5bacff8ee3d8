// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov train` on a small synthetic universe (tests/cli_universe_fixture.h):
// the directory layout, every model_meta.json field, reproducibility, and
// crash safety.
#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_universe_fixture.h"
#include "mlgov/bars.h"
#include "mlgov/clock.h"
#include "mlgov/feature_contract.h"
#include "mlgov/logging.h"
#include "mlgov/model_meta.h"
#include "mlgov/model_registry.h"

namespace mlgov {
namespace {

using testing::model_dirs;
using testing::read_json;
using testing::slurp;
using testing::SmallUniverse;

// Closes and dates of a bar file, read with plain stream parsing.
struct Closes {
  std::vector<std::string> dates;
  std::vector<double> close;
};
Closes read_closes(const std::filesystem::path& file) {
  Closes out;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string date, o, h, l, c;
    std::getline(ss, date, ',');
    std::getline(ss, o, ',');
    std::getline(ss, h, ',');
    std::getline(ss, l, ',');
    std::getline(ss, c, ',');
    out.dates.push_back(date);
    out.close.push_back(std::stod(c));
  }
  return out;
}

// True when `text` is `prefix` followed by characters matching `shape`, where
// '9' stands for a decimal digit, 'f' for a lower-case hex digit and any
// other character for itself. (No std::regex: GCC 12 warns inside it under
// -O2 -fsanitize=address with -Werror.)
bool matches_shape(const std::string& text, const std::string& prefix, const std::string& shape) {
  if (text.size() != prefix.size() + shape.size() || text.rfind(prefix, 0) != 0) return false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const char c = text[prefix.size() + i];
    const bool digit = c >= '0' && c <= '9';
    const bool ok = shape[i] == '9'   ? digit
                    : shape[i] == 'f' ? digit || (c >= 'a' && c <= 'f')
                                      : c == shape[i];
    if (!ok) return false;
  }
  return true;
}

// One training run of S001 and S002 shared by the tests that only read it.
class TrainedUniverse : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    universe_ = new SmallUniverse();
    std::string out;
    rc_ = universe_->train("S001,S002", models(), &out);
    output_ = new std::string(out);
  }
  static void TearDownTestSuite() {
    delete universe_;
    delete output_;
  }
  static std::filesystem::path models() { return *universe_ / "models"; }
  static std::filesystem::path dir_of(const std::string& symbol) {
    const auto dirs = model_dirs(models(), symbol);
    return dirs.size() == 1 ? dirs[0] : std::filesystem::path();
  }
  static nlohmann::json meta_of(const std::string& symbol) {
    return read_json(dir_of(symbol) / "model_meta.json");
  }

  static SmallUniverse* universe_;
  static std::string* output_;
  static int rc_;
};
SmallUniverse* TrainedUniverse::universe_ = nullptr;
std::string* TrainedUniverse::output_ = nullptr;
int TrainedUniverse::rc_ = -1;

TEST_F(TrainedUniverse, WritesOneDirectoryPerSymbolWithModelAndMeta) {
  ASSERT_EQ(rc_, 0) << *output_;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(models())) {
    names.push_back(e.path().filename().string());
  }
  ASSERT_EQ(names.size(), 2u) << "no temporary directory may be left behind";
  for (const auto& n : names) {
    EXPECT_TRUE(matches_shape(n, n.substr(0, 4) == "S001" ? "S001" : "S002", "_v1_99999999_999999"))
        << n;
  }
  for (const char* sym : {"S001", "S002"}) {
    EXPECT_TRUE(std::filesystem::is_regular_file(dir_of(sym) / "model.json"));
    EXPECT_TRUE(std::filesystem::is_regular_file(dir_of(sym) / "model_meta.json"));
  }
}

TEST_F(TrainedUniverse, PrintsAPlainProgressLinePerSymbolWhenNotATerminal) {
  EXPECT_NE(output_->find("[1/2] S001 rows=247"), std::string::npos) << *output_;
  EXPECT_NE(output_->find("[2/2] S002 rows=247"), std::string::npos) << *output_;
  EXPECT_EQ(output_->find('\r'), std::string::npos);
}

TEST_F(TrainedUniverse, MetaPassesTheLibraryValidationAndTheContractCheck) {
  const auto file = dir_of("S001") / "model_meta.json";
  const ModelMeta meta = load_model_meta(file);
  const FeatureContract contract = FeatureContract::load_file(testing::source_dir() / "contracts" /
                                                              "feature_contract_ml_v1.json");
  EXPECT_NO_THROW(check_model_meta_against(meta, contract, file.string()));
  EXPECT_EQ(meta.symbol, "S001");
}

TEST_F(TrainedUniverse, MetaFeaturesEqualTheContractFile) {
  // Independent of the library: the names straight from the contract JSON.
  const auto contract =
      read_json(testing::source_dir() / "contracts" / "feature_contract_ml_v1.json");
  std::vector<std::string> names;
  for (const auto& f : contract.at("features")) names.push_back(f.at("name").get<std::string>());
  const auto meta = meta_of("S002");
  EXPECT_EQ(meta.at("features").get<std::vector<std::string>>(), names);
  EXPECT_EQ(meta.at("n_features").get<std::size_t>(), names.size());
  EXPECT_EQ(meta.at("contract").at("name"), "ml_v1");
  EXPECT_EQ(meta.at("contract").at("version"), contract.at("version"));
  EXPECT_EQ(meta.at("contract").at("fingerprint").get<std::string>().size(), 64u);
}

TEST_F(TrainedUniverse, TrainingDataPeriodMatchesTheData) {
  // 504 bars; the first feature row is bar 252 (253 bars of history); a row
  // needs bar i + 5, so rows are bars 252..498 (247 rows); the last
  // 247 / 5 = 49 validate (bars 450..498), the first 198 train (bars 252..449).
  const Closes bars = read_closes(universe_->data() / "S001.csv");
  ASSERT_EQ(bars.dates.size(), static_cast<std::size_t>(testing::kUniverseBars));
  const auto meta = meta_of("S001");
  EXPECT_EQ(meta.at("training_data_period").at("start"), bars.dates[252]);
  EXPECT_EQ(meta.at("training_data_period").at("end"), bars.dates[449]);
  EXPECT_EQ(meta.at("validation_data_period").at("start"), bars.dates[450]);
  EXPECT_EQ(meta.at("validation_data_period").at("end"), bars.dates[498]);
  EXPECT_EQ(meta.at("metrics").at("train_rows"), 198);
  EXPECT_EQ(meta.at("metrics").at("valid_rows"), 49);
}

TEST_F(TrainedUniverse, PositiveRateIsTheShareOfRisingFiveBarClosesInTraining) {
  const Closes bars = read_closes(universe_->data() / "S002.csv");
  int positives = 0;
  for (std::size_t i = 252; i <= 449; ++i) positives += bars.close[i + 5] / bars.close[i] - 1 > 0;
  EXPECT_DOUBLE_EQ(meta_of("S002").at("metrics").at("positive_rate").get<double>(),
                   positives / 198.0);
}

TEST_F(TrainedUniverse, ValidationMetricsArePresentAndPlausible) {
  const auto m = meta_of("S001").at("metrics");
  const double auc = m.at("valid_auc").get<double>();
  const double logloss = m.at("valid_logloss").get<double>();
  EXPECT_GE(auc, 0.0);
  EXPECT_LE(auc, 1.0);
  EXPECT_GT(logloss, 0.0);
  EXPECT_LT(logloss, 5.0);
}

TEST_F(TrainedUniverse, TrainedAtParsesAndMatchesTheDirectoryTimestamp) {
  const auto meta = meta_of("S001");
  const std::string trained_at = meta.at("trained_at").get<std::string>();
  EXPECT_TRUE(is_iso8601_utc(trained_at)) << trained_at;
  // 2026-11-26T14:03:07Z <-> S001_v1_20261126_140307
  const std::string digits = trained_at.substr(0, 4) + trained_at.substr(5, 2) +
                             trained_at.substr(8, 2) + "_" + trained_at.substr(11, 2) +
                             trained_at.substr(14, 2) + trained_at.substr(17, 2);
  EXPECT_EQ(dir_of("S001").filename().string(), "S001_v1_" + digits);
}

TEST_F(TrainedUniverse, ProvenanceFieldsAreFilled) {
  const auto meta = meta_of("S001");
  const std::string commit = meta.at("git_commit").get<std::string>();
  EXPECT_TRUE(commit == "unknown" || matches_shape(commit, "", std::string(40, 'f'))) << commit;
  EXPECT_TRUE(meta.at("git_dirty").is_boolean());
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  EXPECT_EQ(meta.at("xgboost_version"),
            std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
  EXPECT_EQ(meta.at("model_file"), "model.json");
  EXPECT_EQ(meta.at("objective"), "binary:logistic");
}

TEST_F(TrainedUniverse, ParamsComeFromTheConfigWithTheDocumentedDefaults) {
  const auto p = meta_of("S001").at("params");
  EXPECT_EQ(p.at("n_estimators"), 20);  // small_config.yaml
  EXPECT_EQ(p.at("max_depth"), 3);      // small_config.yaml
  EXPECT_DOUBLE_EQ(p.at("eta").get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(p.at("subsample").get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(p.at("colsample_bytree").get<double>(), 0.8);
  EXPECT_EQ(p.at("tree_method"), "hist");
  EXPECT_EQ(p.at("seed"), 42);
  EXPECT_EQ(p.at("objective"), "binary:logistic");
  // The booster really has 20 trees.
  const auto model = read_json(dir_of("S001") / "model.json");
  EXPECT_EQ(model.at("learner").at("gradient_booster").at("model").at("trees").size(), 20u);
}

TEST_F(TrainedUniverse, FeatureStatsOfRet1dMatchAnIndependentComputation) {
  // ret_1d = float(c_t / c_{t-1} - 1) over the 198 training rows (bars 252..449).
  const Closes bars = read_closes(universe_->data() / "S001.csv");
  std::vector<double> r;
  for (std::size_t i = 252; i <= 449; ++i) {
    r.push_back(static_cast<float>(bars.close[i] / bars.close[i - 1] - 1.0));
  }
  double sum = 0;
  for (double v : r) sum += v;
  const double mean = sum / static_cast<double>(r.size());
  const auto stats = meta_of("S001").at("feature_stats");
  ASSERT_EQ(stats.size(), 28u);
  const auto& s = stats.at("ret_1d");
  EXPECT_NEAR(s.at("mean").get<double>(), mean, 1e-15);
  EXPECT_EQ(s.at("min").get<double>(), *std::min_element(r.begin(), r.end()));
  EXPECT_EQ(s.at("max").get<double>(), *std::max_element(r.begin(), r.end()));
  std::sort(r.begin(), r.end());
  // The median edge: position 0.5 * 197 = 98.5, halfway between r[98] and r[99].
  EXPECT_NEAR(s.at("deciles")[4].get<double>(), (r[98] + r[99]) / 2, 1e-15);
}

TEST_F(TrainedUniverse, EveryFeatureHasOrderedDecileEdges) {
  const auto meta = meta_of("S002");  // the range-for below must not iterate a temporary
  for (const auto& [name, s] : meta.at("feature_stats").items()) {
    const auto& d = s.at("deciles");
    ASSERT_EQ(d.size(), 9u) << name;
    EXPECT_LE(s.at("min").get<double>(), d[0].get<double>()) << name;
    for (std::size_t i = 1; i < 9; ++i)
      EXPECT_LE(d[i - 1].get<double>(), d[i].get<double>()) << name;
    EXPECT_LE(d[8].get<double>(), s.at("max").get<double>()) << name;
    EXPECT_GE(s.at("std").get<double>(), 0.0) << name;
  }
}

TEST(CliTrain, SameInputsAndSeedGiveAByteIdenticalModelJson) {
  SmallUniverse u;
  std::string out;
  ASSERT_EQ(u.train("S003", u / "a", &out), 0) << out;
  ASSERT_EQ(u.train("S003", u / "b", &out), 0) << out;
  const auto a = model_dirs(u / "a", "S003");
  const auto b = model_dirs(u / "b", "S003");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  const std::string model = slurp(a[0] / "model.json");
  ASSERT_GT(model.size(), 1000u);
  EXPECT_EQ(model, slurp(b[0] / "model.json"));
}

TEST(CliTrain, RetrainingNeverReplacesTheEarlierModel) {
  SmallUniverse u;
  std::string out;
  ASSERT_EQ(u.train("S001", u / "m", &out), 0) << out;
  const auto first = model_dirs(u / "m", "S001");
  ASSERT_EQ(first.size(), 1u);
  const std::string meta = slurp(first[0] / "model_meta.json");
  // Possibly within the same second: the tool takes the next free second.
  ASSERT_EQ(u.train("S001", u / "m", &out), 0) << out;
  const auto both = model_dirs(u / "m", "S001");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], first[0]);
  EXPECT_EQ(slurp(first[0] / "model_meta.json"), meta);
}

TEST(CliTrain, AnInterruptedRunLeavesNothingTheRegistryLoads) {
  SmallUniverse u;
  std::string out;
  // Stops between model.json and model_meta.json.
  EXPECT_EQ(u.train("S001", u / "m", &out, " --fail-after-model-for-test"), 3) << out;
  std::vector<std::filesystem::path> left;
  for (const auto& e : std::filesystem::directory_iterator(u / "m")) left.push_back(e.path());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].filename().string().rfind(".tmp-S001_v1-", 0), 0u) << left[0];
  EXPECT_TRUE(std::filesystem::exists(left[0] / "model.json"));
  EXPECT_FALSE(std::filesystem::exists(left[0] / "model_meta.json"));

  const FeatureContract contract = FeatureContract::load_file(testing::source_dir() / "contracts" /
                                                              "feature_contract_ml_v1.json");
  ModelRegistryOptions options;
  options.models_dir = u / "m";
  options.allow_legacy_models = true;  // even a legacy load must not pick it up
  SystemClock clock;
  const auto registry = ModelRegistry::load(options, contract, clock, *make_null_logger());
  EXPECT_EQ(registry.find("S001"), nullptr);
  EXPECT_TRUE(registry.models().empty());
  EXPECT_TRUE(registry.refused().empty());

  // A later complete run publishes a model the registry loads.
  ASSERT_EQ(u.train("S001", u / "m", &out), 0) << out;
  const auto after = ModelRegistry::load(options, contract, clock, *make_null_logger());
  ASSERT_NE(after.find("S001"), nullptr);
  EXPECT_FALSE(after.find("S001")->info.legacy);
}

TEST(CliTrain, AnUnknownSymbolIsExitCode2NamingItsFile) {
  SmallUniverse u;
  std::string out;
  EXPECT_EQ(u.train("S001,S999", u / "m", &out), 2) << out;
  EXPECT_NE(out.find("S999.csv"), std::string::npos) << out;
  EXPECT_TRUE(model_dirs(u / "m", "S001").empty()) << "nothing is written on bad input";
}

TEST(CliTrain, ASymbolTooShortToSplitStopsTheRunBeforeAnythingIsWritten) {
  SmallUniverse u;
  // S006 keeps its first 256 bars: rows for bars 252..255, none with a close
  // 5 bars ahead.
  const auto file = u.data() / "S006.csv";
  std::ifstream in(file);
  std::string text, line;
  for (int i = 0; i < 257 && std::getline(in, line); ++i) text += line + "\n";
  in.close();
  testing::write_text(file, text);
  std::string out;
  EXPECT_EQ(u.train("S001,S006", u / "m", &out), 2) << out;
  EXPECT_NE(out.find("S006: 0 labelled rows"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(u / "m"));
}

TEST(CliTrain, AllTrainsEverySymbolOfTheDataDirectory) {
  SmallUniverse u;
  std::string out;
  ASSERT_EQ(u.train("all", u / "m", &out), 0) << out;
  for (const char* sym : {"S001", "S002", "S003", "S004", "S005", "S006"}) {
    EXPECT_EQ(model_dirs(u / "m", sym).size(), 1u) << sym;
  }
  EXPECT_TRUE(model_dirs(u / "m", "SPX").empty());
  EXPECT_TRUE(model_dirs(u / "m", "sectors").empty());
}

}  // namespace
}  // namespace mlgov
