// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Config: the YAML switch (ML off unless features.ml_enabled: true) and the
// validation of every section.
#include "mlgov/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mlgov/errors.h"
#include "test_support.h"

namespace mlgov {
namespace {

using mlgov::testing::source_dir;
using mlgov::testing::TempDir;
using mlgov::testing::write_text;

void expect_config_error(const std::string& yaml, const std::vector<std::string>& fragments) {
  try {
    parse_config(yaml, "cfg.yaml");
    FAIL() << "expected ConfigError for:\n" << yaml;
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

// --- The ML switch ---------------------------------------------------------

TEST(MlEnabledFlag, ShippedGoldenConfigKeepsMlDisabled) {
  const Config cfg = load_config(source_dir() / "configs/golden_config.yaml");
  EXPECT_FALSE(cfg.ml_enabled);
  EXPECT_TRUE(cfg.warnings.empty());
}

TEST(MlEnabledFlag, TrueEnablesMl) {
  EXPECT_TRUE(parse_config("features:\n  ml_enabled: true\n", "cfg.yaml").ml_enabled);
}

TEST(MlEnabledFlag, AbsentMeansDisabledWithAWarning) {
  const Config cfg = parse_config("governance:\n  max_failures: 3\n", "cfg.yaml");
  EXPECT_FALSE(cfg.ml_enabled);
  ASSERT_EQ(cfg.warnings.size(), 1u);
  EXPECT_NE(cfg.warnings[0].find("features.ml_enabled"), std::string::npos);
}

TEST(MlEnabledFlag, StringWhereABoolBelongsIsAnErrorNamingKeyAndLine) {
  // Line 3 holds the offending value.
  expect_config_error("# comment\nfeatures:\n  ml_enabled: \"yes please\"\n",
                      {"cfg.yaml:3", "features.ml_enabled", "yes please", "boolean"});
}

TEST(MlEnabledFlag, YamlOneOneYesIsNotAcceptedAsTrue) {
  expect_config_error("features:\n  ml_enabled: yes\n", {"features.ml_enabled", "boolean"});
}

TEST(MlEnabledFlag, EmptyFileMeansDisabled) {
  const Config cfg = parse_config("", "empty.yaml");
  EXPECT_FALSE(cfg.ml_enabled);
  EXPECT_FALSE(cfg.warnings.empty());
}

// --- Governance and the other sections -------------------------------------

TEST(Config, ShippedValuesAreTheDocumentedDefaults) {
  const Config cfg = load_config(source_dir() / "configs/golden_config.yaml");
  EXPECT_EQ(cfg.governance.max_failures, 3);
  EXPECT_DOUBLE_EQ(cfg.governance.window_seconds, 300.0);
  EXPECT_TRUE(cfg.governance.allow_legacy_models);
  EXPECT_EQ(cfg.governance.state_file, "runtime/governance_state.json");
  EXPECT_EQ(cfg.paths.contracts_dir, "contracts");
  EXPECT_EQ(cfg.paths.models_dir, "models/ml_alpha");
  EXPECT_EQ(cfg.paths.logs_dir, "runtime/logs");
  EXPECT_EQ(cfg.contract, "ml_v1");
  EXPECT_EQ(cfg.backend, PredictorBackend::kAuto);
  EXPECT_EQ(cfg.training.n_estimators, 300);
  EXPECT_EQ(cfg.training.max_depth, 6);
  EXPECT_DOUBLE_EQ(cfg.training.eta, 0.05);
  EXPECT_EQ(cfg.training.seed, 42);
}

TEST(Config, ZeroWindowIsRejected) {
  expect_config_error("governance:\n  window_seconds: 0\n",
                      {"cfg.yaml:2", "governance.window_seconds", "greater than zero"});
}

TEST(Config, NegativeWindowIsRejected) {
  expect_config_error("governance:\n  window_seconds: -300\n",
                      {"governance.window_seconds", "greater than zero"});
}

TEST(Config, ZeroMaxFailuresIsRejected) {
  expect_config_error("governance:\n  max_failures: 0\n", {"governance.max_failures"});
}

TEST(Config, UnknownGovernanceKeyIsRejectedWithItsLine) {
  expect_config_error("features:\n  ml_enabled: false\ngovernance:\n  max_failure: 3\n",
                      {"cfg.yaml:4", "governance.max_failure", "unknown key", "max_failures"});
}

TEST(Config, UnknownSectionIsRejected) {
  expect_config_error("featurez:\n  ml_enabled: true\n",
                      {"cfg.yaml:1", "featurez", "unknown section"});
}

TEST(Config, NonNumericWindowIsRejected) {
  expect_config_error("governance:\n  window_seconds: five minutes\n",
                      {"governance.window_seconds", "number", "five minutes"});
}

TEST(Config, UnknownBackendIsRejected) {
  expect_config_error("predictor:\n  backend: gpu\n", {"predictor.backend", "gpu"});
}

TEST(Config, SyntaxErrorNamesTheLine) {
  expect_config_error("features:\n  ml_enabled: [true\n", {"cfg.yaml:", "YAML syntax error"});
}

TEST(Config, MissingFileNamesTheFile) {
  TempDir dir;
  try {
    load_config(dir / "absent.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.yaml"), std::string::npos);
  }
}

TEST(Config, OverridesAreRead) {
  TempDir dir;
  write_text(dir / "c.yaml",
             "features:\n  ml_enabled: true\npredictor:\n  backend: xgboost\ngovernance:\n"
             "  max_failures: 5\n  window_seconds: 60.5\n  allow_legacy_models: false\n"
             "  max_model_age_days: 30\n  state_file: /tmp/x.json\npaths:\n  models_dir: m\n");
  const Config cfg = load_config(dir / "c.yaml");
  EXPECT_TRUE(cfg.ml_enabled);
  EXPECT_EQ(cfg.backend, PredictorBackend::kXgboost);
  EXPECT_EQ(cfg.governance.max_failures, 5);
  EXPECT_DOUBLE_EQ(cfg.governance.window_seconds, 60.5);
  EXPECT_FALSE(cfg.governance.allow_legacy_models);
  EXPECT_EQ(cfg.governance.max_model_age_days, 30);
  EXPECT_EQ(cfg.governance.state_file, "/tmp/x.json");
  EXPECT_EQ(cfg.paths.models_dir, "m");
  EXPECT_EQ(cfg.paths.logs_dir, "runtime/logs");  // untouched default
}

}  // namespace
}  // namespace mlgov
