// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov governance status|reenable|disable`, run as a user would from a shell.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/governance.h"
#include "test_support.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using testing::TempDir;

// Single-quoted for sh (paths under /tmp hold no quote).
std::string q(const std::string& s) { return "'" + s + "'"; }

struct CliGovernance : ::testing::Test {
  TempDir dir;
  std::filesystem::path state = dir / "governance_state.json";
  std::string out;

  void SetUp() override {
    if (testing::cli_path().empty()) GTEST_SKIP() << "the mlgov tool is not built";
  }
  int run(const std::string& args) {
    out.clear();
    return testing::run_command(q(testing::cli_path()) + " governance " + args, &out);
  }
  void write_latched() {
    GovernanceRecord r;
    r.disabled = true;
    r.since = "2026-01-01T00:05:00.000Z";
    r.reason = "3 failures within 300s";
    r.last_failures.push_back(
        {"2026-01-01T00:05:00.000Z", "GOOG", "FEATURE_MISMATCH", "GOOG: feature mismatch"});
    r.history.push_back({"2026-01-01T00:05:00.000Z", "DISABLED_BY_GOVERNANCE", "", "3 failures"});
    write_governance_state(state, r);
  }
};

// A monitor calling status on a mistyped path must not read "enabled".
TEST_F(CliGovernance, StatusOfAMissingFileExits2SayingMissing) {
  EXPECT_EQ(run("status --state-file " + q(state.string())), 2) << out;
  EXPECT_NE(out.find("mlgov: error: " + state.string() + ": no governance state file (missing)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("state: ENABLED"), std::string::npos) << out;
}

TEST_F(CliGovernance, StatusOfAnEnabledFileExits0) {
  write_latched();
  ASSERT_EQ(run("reenable --state-file " + q(state.string()) + " --operator a --reason b"), 0);
  EXPECT_EQ(run("status --state-file " + q(state.string())), 0) << out;
  EXPECT_NE(out.find("state: ENABLED"), std::string::npos) << out;
}

TEST_F(CliGovernance, StatusOfALatchedFileExits1AndPrintsStateFailuresAndHistory) {
  write_latched();
  EXPECT_EQ(run("status --state-file " + q(state.string())), 1) << out;
  EXPECT_NE(out.find("state: DISABLED_GOVERNANCE"), std::string::npos) << out;
  EXPECT_NE(out.find("since: 2026-01-01T00:05:00.000Z"), std::string::npos) << out;
  EXPECT_NE(out.find("2026-01-01T00:05:00.000Z GOOG FEATURE_MISMATCH"), std::string::npos) << out;
  EXPECT_NE(out.find("DISABLED_BY_GOVERNANCE"), std::string::npos) << out;
}

TEST_F(CliGovernance, ReenableWritesTheAuditRecord) {
  write_latched();
  EXPECT_EQ(run("reenable --state-file " + q(state.string()) +
                " --operator alice --reason 'retrained GOOG'"),
            0)
      << out;
  EXPECT_NE(out.find("re-enabled by alice: retrained GOOG"), std::string::npos) << out;
  const GovernanceRecord r = read_governance_state(state);
  EXPECT_FALSE(r.disabled);
  EXPECT_TRUE(r.last_failures.empty());
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_EQ(r.history[1].event, "REENABLED");
  EXPECT_EQ(r.history[1].operator_name, "alice");
  EXPECT_EQ(r.history[1].reason, "retrained GOOG");
  EXPECT_EQ(run("status --state-file " + q(state.string())), 0);
  EXPECT_NE(out.find("state: ENABLED"), std::string::npos) << out;
}

TEST_F(CliGovernance, DisableLatchesWithTheOperatorsAuditRecord) {
  write_latched();
  ASSERT_EQ(run("reenable --state-file " + q(state.string()) + " --operator alice --reason ok"), 0);
  EXPECT_EQ(run("disable --state-file " + q(state.string()) +
                " --operator bob --reason 'INC-7: bad feed'"),
            0)
      << out;
  const GovernanceRecord r = read_governance_state(state);
  EXPECT_TRUE(r.disabled);
  EXPECT_EQ(r.reason, "disabled by operator bob: INC-7: bad feed");
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_EQ(r.history[2].event, "DISABLED_BY_OPERATOR");
  EXPECT_EQ(r.history[2].operator_name, "bob");
  EXPECT_EQ(run("status --state-file " + q(state.string())), 1) << out;
  EXPECT_NE(out.find("disabled_by: DISABLED_BY_OPERATOR"), std::string::npos) << out;
}

TEST_F(CliGovernance, ConfigOptionTakesTheStateFileFromTheConfig) {
  write_latched();
  // The shipped config with its state_file pointed at this test's file.
  std::string config;
  {
    std::ifstream in(testing::source_dir() / "configs" / "golden_config.yaml");
    std::ostringstream ss;
    ss << in.rdbuf();
    config = ss.str();
  }
  const std::string key = "state_file: runtime/governance_state.json";
  const auto pos = config.find(key);
  ASSERT_NE(pos, std::string::npos);
  config.replace(pos, key.size(), "state_file: \"" + state.string() + "\"");
  testing::write_text(dir / "config.yaml", config);
  EXPECT_EQ(run("status --config " + q((dir / "config.yaml").string())), 1) << out;
  EXPECT_NE(out.find("state_file: " + state.string()), std::string::npos) << out;
  EXPECT_EQ(run("reenable --config " + q((dir / "config.yaml").string()) +
                " --operator alice --reason fixed"),
            0)
      << out;
  EXPECT_FALSE(read_governance_state(state).disabled);
}

TEST_F(CliGovernance, EachSubcommandsHelpHasAnExampleAndTheExitCodes) {
  for (const std::string sub : {"status", "reenable", "disable"}) {
    EXPECT_EQ(run(sub + " --help"), 0) << out;
    EXPECT_NE(out.find("Example:\n  mlgov governance " + sub), std::string::npos) << out;
    EXPECT_NE(out.find("Exit codes:"), std::string::npos) << out;
    EXPECT_NE(out.find("--state-file FILE"), std::string::npos) << out;
    EXPECT_NE(out.find("--config FILE"), std::string::npos) << out;
  }
}

TEST_F(CliGovernance, ReenableWithoutOperatorOrReasonExits2) {
  write_latched();
  EXPECT_EQ(run("reenable --state-file " + q(state.string()) + " --reason x"), 2) << out;
  EXPECT_NE(out.find("--operator"), std::string::npos) << out;
  EXPECT_EQ(run("reenable --state-file " + q(state.string()) + " --operator alice"), 2) << out;
  EXPECT_NE(out.find("--reason"), std::string::npos) << out;
  EXPECT_EQ(run("reenable --state-file " + q(state.string()) + " --operator ' ' --reason x"), 2)
      << out;
  EXPECT_TRUE(read_governance_state(state).disabled);  // untouched
}

TEST_F(CliGovernance, MissingStateFileArgumentExits2) {
  EXPECT_EQ(run("status"), 2) << out;
  EXPECT_NE(out.find("mlgov: error: give --state-file FILE or --config FILE"), std::string::npos)
      << out;
}

TEST_F(CliGovernance, GarbageStateFileExits2NamingItAndIsLeftAlone) {
  testing::write_text(state, "this is not json");
  EXPECT_EQ(run("status --state-file " + q(state.string())), 2) << out;
  EXPECT_NE(out.find(state.string()), std::string::npos) << out;
  EXPECT_NE(out.find("mlgov: error: " + state.string()), std::string::npos) << out;
  EXPECT_NE(out.find("unreadable"), std::string::npos) << out;
  EXPECT_NE(out.find("treats this file as DISABLED_GOVERNANCE"), std::string::npos) << out;
  EXPECT_EQ(run("reenable --state-file " + q(state.string()) + " --operator a --reason b"), 2)
      << out;
  EXPECT_EQ(read_file(state), "this is not json");
}

// A symbol with a newline in the state file cannot forge a status line.
TEST_F(CliGovernance, StatusEscapesControlCharacters) {
  GovernanceRecord r;
  r.disabled = true;
  r.last_failures.push_back({"t", "EVIL\nstate: ENABLED", "FEATURE_MISMATCH", "m"});
  write_governance_state(state, r);
  EXPECT_EQ(run("status --state-file " + q(state.string())), 1) << out;
  EXPECT_EQ(out.find("\nstate: ENABLED"), std::string::npos) << out;
  EXPECT_NE(out.find("EVIL\\nstate: ENABLED"), std::string::npos) << out;
}

// A config naming the Redis store without its section: the usual file:line
// error, exit 2, and nothing else is touched.
TEST_F(CliGovernance, ConfigWithStoreRedisButNoRedisSectionExits2NamingTheLine) {
  testing::write_text(dir / "config.yaml",
                      "features:\n  ml_enabled: true\ngovernance:\n  store: redis\n");
  EXPECT_EQ(run("status --config " + q((dir / "config.yaml").string())), 2) << out;
  EXPECT_NE(out.find("mlgov: error: " + (dir / "config.yaml").string() + ":4: governance.store"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("governance.redis"), std::string::npos) << out;
}

// With store: file named explicitly, --config acts on its state file.
TEST_F(CliGovernance, ConfigWithStoreFileDisablesItsStateFile) {
  testing::write_text(dir / "config.yaml",
                      "features:\n  ml_enabled: true\ngovernance:\n"
                      "  store: file\n  state_file: \"" +
                          state.string() + "\"\n");
  EXPECT_EQ(run("disable --config " + q((dir / "config.yaml").string()) +
                " --operator bob --reason INC-43"),
            0)
      << out;
  EXPECT_TRUE(read_governance_state(state).disabled);
  EXPECT_EQ(last_disabling_event(read_governance_state(state)), "DISABLED_BY_OPERATOR");
}

}  // namespace
}  // namespace mlgov
