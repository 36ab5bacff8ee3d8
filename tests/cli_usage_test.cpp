// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// One command line for every `mlgov` subcommand, through the built tool:
// --help shows one example and the exit codes, path options show as FILE or
// DIR, every subcommand takes --config FILE and defaults its paths from it,
// and every error starts "mlgov: error:".
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_universe_fixture.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using testing::quote;
using testing::SmallUniverse;

// The subcommands this test holds to the conventions (governance has its own
// test, tests/cli_governance_test.cpp).
const std::vector<std::string> kSubcommands = {"contract", "features", "synth", "train",
                                               "audit",    "predict",  "bench", "drift"};

int mlgov(const std::string& args, std::string* out) { return SmallUniverse::mlgov(args, out); }

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(CliUsage, EverySubcommandsHelpHasAnExampleOfItselfAndTheExitCodes) {
  for (const std::string& sub : kSubcommands) {
    std::string out;
    EXPECT_EQ(mlgov(sub + " --help", &out), 0) << sub << "\n" << out;
    EXPECT_NE(out.find("Example:\n  mlgov " + sub + " "), std::string::npos) << sub << "\n" << out;
    EXPECT_NE(out.find("Exit codes: 0 success"), std::string::npos) << sub << "\n" << out;
    EXPECT_NE(out.find(", 2 bad input or usage"), std::string::npos) << sub << "\n" << out;
  }
}

TEST(CliUsage, EverySubcommandTakesConfigFile) {
  for (const std::string& sub : kSubcommands) {
    std::string out;
    EXPECT_EQ(mlgov(sub + " --help", &out), 0) << sub;
    EXPECT_NE(out.find("--config FILE"), std::string::npos) << sub << "\n" << out;
  }
}

TEST(CliUsage, PathOptionsShowAsFileOrDir) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"contract", "--contracts-dir DIR"},
      {"features", "--data DIR"},
      {"features", "--sectors FILE"},
      {"features", "--out FILE"},
      {"synth", "--out DIR"},
      {"train", "--data DIR"},
      {"train", "--sectors FILE"},
      {"train", "--out DIR"},
      {"audit", "--models DIR"},
      {"audit", "--out FILE"},
      {"predict", "--models DIR"},
      {"predict", "--features FILE"},
      {"predict", "--out FILE"},
      {"bench", "--contracts-dir DIR"},
      {"drift", "--models DIR"},
      {"drift", "--features FILE"},
      {"drift", "--out FILE"},
      {"drift", "--html FILE"}};
  for (const auto& [sub, option] : expected) {
    std::string out;
    mlgov(sub + " --help", &out);
    EXPECT_NE(out.find(option), std::string::npos) << sub << ": " << option << "\n" << out;
  }
}

TEST(CliUsage, AMissingConfigFileIsAnErrorNamingItInEverySubcommand) {
  testing::TempDir dir;
  const auto missing = dir / "no_such_config.yaml";
  // Enough arguments for each subcommand to reach its configuration.
  const std::vector<std::string> commands = {
      "contract",
      "features --data " + quote(dir.path()) + " --out " + quote(dir / "f.csv"),
      "synth --symbols 2 --years 1 --sectors 1 --out " + quote(dir / "synth"),
      "train --symbols A --data " + quote(dir.path()) + " --sectors " + quote(dir / "s.csv"),
      "audit --symbols A --data " + quote(dir.path()) + " --sectors " + quote(dir / "s.csv") +
          " --out " + quote(dir / "a.json"),
      "predict --features " + quote(dir / "f.csv") + " --out " + quote(dir / "p.csv"),
      "bench --quick",
      "drift --features " + quote(dir / "f.csv") + " --out " + quote(dir / "d.json")};
  for (const std::string& command : commands) {
    std::string out;
    EXPECT_EQ(mlgov(command + " --config " + quote(missing), &out), 2) << command << "\n" << out;
    EXPECT_TRUE(starts_with(out, "mlgov: error: ")) << command << "\n" << out;
    EXPECT_NE(out.find("no_such_config.yaml"), std::string::npos) << command << "\n" << out;
  }
}

TEST(CliUsage, UsageErrorsStartWithMlgovError) {
  for (const std::string& args :
       {std::string(""), std::string("contract --bogus"), std::string("predict --out x.csv"),
        std::string("nosuchcommand")}) {
    std::string out;
    EXPECT_EQ(mlgov(args, &out), 2) << args << "\n" << out;
    EXPECT_TRUE(starts_with(out, "mlgov: error: ")) << args << "\n" << out;
  }
}

TEST(CliUsage, BadInputErrorsStartWithMlgovError) {
  testing::TempDir dir;
  std::string out;
  EXPECT_EQ(mlgov("contract --name ml_v9 --contracts-dir " + quote(dir.path()), &out), 2) << out;
  EXPECT_TRUE(starts_with(out, "mlgov: error: ")) << out;
  EXPECT_NE(out.find("ml_v9"), std::string::npos) << out;
  EXPECT_EQ(mlgov("synth --symbols 0 --out " + quote(dir / "s"), &out), 2) << out;
  EXPECT_TRUE(starts_with(out, "mlgov: error: ")) << out;
}

TEST(CliUsage, ContractTakesItsNameAndDirectoryFromTheConfig) {
  testing::TempDir dir;
  testing::write_text(dir / "cfg.yaml", "paths:\n  contracts_dir: " +
                                            (testing::source_dir() / "contracts").string() + "\n");
  std::string out;
  // From a directory without contracts/: only the config says where they are.
  ASSERT_EQ(testing::run_command("cd " + quote(dir.path()) + " && " + quote(testing::cli_path()) +
                                     " contract --config cfg.yaml",
                                 &out),
            0)
      << out;
  EXPECT_NE(
      out.find((testing::source_dir() / "contracts" / "feature_contract_ml_v1.json").string()),
      std::string::npos)
      << out;
  testing::write_text(dir / "v9.yaml", "features:\n  contract: ml_v9\n");
  EXPECT_EQ(mlgov("contract --config " + quote(dir / "v9.yaml"), &out), 2) << out;
  EXPECT_NE(out.find("feature contract \"ml_v9\" not found"), std::string::npos) << out;
}

TEST(CliUsage, PredictTakesItsModelsDirectoryFromTheConfig) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "empty_models");
  testing::write_text(dir / "cfg.yaml", "paths:\n  models_dir: " + (dir / "empty_models").string() +
                                            "\n  contracts_dir: " +
                                            (testing::source_dir() / "contracts").string() + "\n");
  // One row of the contract's 28 features.
  std::string header = "date,symbol";
  std::string row = "2020-01-02,AAA";
  for (const std::string& name : testing::ml_v1().names()) {
    header += "," + name;
    row += ",0.5";
  }
  testing::write_text(dir / "f.csv", header + "\n" + row + "\n");
  std::string out;
  ASSERT_EQ(mlgov("predict --config " + quote(dir / "cfg.yaml") + " --features " +
                      quote(dir / "f.csv") + " --out " + quote(dir / "p.csv"),
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("scored 1 rows with 0 models (NO_MODEL=1)"), std::string::npos) << out;

  testing::write_text(dir / "gone.yaml",
                      "paths:\n  models_dir: " + (dir / "no_such_models").string() + "\n");
  EXPECT_EQ(
      mlgov("predict --config " + quote(dir / "gone.yaml") + " --features " + quote(dir / "f.csv") +
                " --out " + quote(dir / "p.csv") + SmallUniverse::contracts_arg(),
            &out),
      2)
      << out;
  EXPECT_NE(out.find("paths.models_dir " + (dir / "no_such_models").string() + ": not a directory"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace mlgov
