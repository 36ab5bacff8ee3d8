// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov governance status|reenable`, run as a user would from a shell.
#include <string>

#include <gtest/gtest.h>

#include "mlgov/atomic_file.h"
#include "mlgov/governance.h"
#include "test_support.h"

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

TEST_F(CliGovernance, StatusOfAMissingFileSaysNeverLatched) {
  EXPECT_EQ(run("status --state-file " + q(state.string())), 0) << out;
  EXPECT_NE(out.find("state: ENABLED (no state file: never latched)"), std::string::npos) << out;
}

TEST_F(CliGovernance, StatusOfALatchedFilePrintsStateFailuresAndHistory) {
  write_latched();
  EXPECT_EQ(run("status --state-file " + q(state.string())), 0) << out;
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
  EXPECT_NE(out.find("--state-file"), std::string::npos) << out;
}

TEST_F(CliGovernance, GarbageStateFileExits2NamingItAndIsLeftAlone) {
  testing::write_text(state, "this is not json");
  EXPECT_EQ(run("status --state-file " + q(state.string())), 2) << out;
  EXPECT_NE(out.find(state.string()), std::string::npos) << out;
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
  EXPECT_EQ(run("status --state-file " + q(state.string())), 0) << out;
  EXPECT_EQ(out.find("\nstate: ENABLED"), std::string::npos) << out;
  EXPECT_NE(out.find("EVIL\\nstate: ENABLED"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlgov
