// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov governance status|disable|reenable --config F` on a config whose
// governance.store is redis, run as a user would from a shell, against a
// real redis-server (the fixture's, on a free loopback port).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "redis_server_fixture.h"
#include "test_support.h"

namespace mlgov {
namespace {

using testing::RedisServer;
using testing::RedisServerOptions;
using testing::TempDir;

std::string q(const std::string& s) { return "'" + s + "'"; }

class CliGovernanceRedis : public ::testing::Test {
 protected:
  TempDir dir;
  std::string out;

  void SetUp() override {
    if (testing::cli_path().empty()) GTEST_SKIP() << "the mlgov tool is not built";
  }
  // A config naming the server's scope `scope` (and a password variable).
  std::string config(const RedisServer& server, const std::string& scope = "desk-a",
                     const std::string& password_env = "") {
    const auto path = dir / ("config-" + scope + ".yaml");
    std::string yaml =
        "governance:\n"
        "  store: redis\n"
        "  redis:\n"
        "    url: " +
        server.url() +
        "\n"
        "    scope: " +
        scope +
        "\n"
        "    connect_timeout_ms: 500\n"
        "    command_timeout_ms: 500\n";
    if (!password_env.empty()) yaml += "    password_env: " + password_env + "\n";
    testing::write_text(path, yaml);
    return path.string();
  }
  int run(const std::string& args, const std::string& env = "") {
    out.clear();
    return testing::run_command(env + q(testing::cli_path()) + " governance " + args, &out);
  }
};

TEST_F(CliGovernanceRedis, StatusOfAFreshScopeExits0Enabled) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  EXPECT_EQ(run("status --config " + q(config(server))), 0) << out;
  EXPECT_NE(out.find("state: ENABLED"), std::string::npos) << out;
  EXPECT_NE(out.find("scope desk-a"), std::string::npos) << out;
}

TEST_F(CliGovernanceRedis, DisableLatchesTheScopeOnTheServer) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  EXPECT_EQ(run("disable --config " + q(config(server)) + " --operator bob --reason 'INC-7 feed'"),
            0)
      << out;
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "DISABLED_GOVERNANCE");
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "reason"}),
            "disabled by operator bob: INC-7 feed");
}

TEST_F(CliGovernanceRedis, StatusOfALatchedScopeExits1WithReasonAndHistory) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  const std::string cfg = config(server);
  ASSERT_EQ(run("disable --config " + q(cfg) + " --operator bob --reason INC-7"), 0) << out;
  EXPECT_EQ(run("status --config " + q(cfg)), 1) << out;
  EXPECT_NE(out.find("state: DISABLED_GOVERNANCE"), std::string::npos) << out;
  EXPECT_NE(out.find("disabled by operator bob: INC-7"), std::string::npos) << out;
  EXPECT_NE(out.find("DISABLED_BY_OPERATOR"), std::string::npos) << out;
}

TEST_F(CliGovernanceRedis, ReenableClearsTheLatchOnTheServer) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  const std::string cfg = config(server);
  ASSERT_EQ(run("disable --config " + q(cfg) + " --operator bob --reason INC-7"), 0) << out;
  EXPECT_EQ(run("reenable --config " + q(cfg) + " --operator alice --reason fixed"), 0) << out;
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "ENABLED");
  // The audit trail on the server: the operator's two records, in order.
  const std::string history = server.cli({"XRANGE", "{mlgov:desk-a}:history", "-", "+"});
  const auto disabled_at = history.find("DISABLED_BY_OPERATOR");
  const auto reenabled_at = history.find("REENABLED");
  ASSERT_NE(disabled_at, std::string::npos) << history;
  ASSERT_NE(reenabled_at, std::string::npos) << history;
  EXPECT_LT(disabled_at, reenabled_at) << history;
}

TEST_F(CliGovernanceRedis, ActsOnItsOwnScopeOnly) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  ASSERT_EQ(run("disable --config " + q(config(server, "desk-a")) + " --operator bob --reason x"),
            0)
      << out;
  EXPECT_EQ(run("status --config " + q(config(server, "desk-b"))), 0) << out;
  EXPECT_EQ(server.cli({"EXISTS", "{mlgov:desk-b}:state"}), "0");
}

TEST_F(CliGovernanceRedis, StatusWithTheServerDownExits2NamingUrlAndScope) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  const std::string cfg = config(server);
  server.kill9();
  EXPECT_EQ(run("status --config " + q(cfg)), 2) << out;
  EXPECT_NE(out.find("mlgov: error:"), std::string::npos) << out;
  EXPECT_NE(out.find(server.url()), std::string::npos) << out;
  EXPECT_NE(out.find("scope desk-a"), std::string::npos) << out;
  EXPECT_EQ(out.find("state: ENABLED"), std::string::npos) << out;
}

TEST_F(CliGovernanceRedis, AWrongPasswordExits2WithoutPrintingIt) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.password = "right-pw";
  RedisServer server(options);
  const std::string cfg = config(server, "desk-a", "MLGOV_CLI_TEST_PW");
  EXPECT_EQ(run("status --config " + q(cfg), "MLGOV_CLI_TEST_PW=wrong-pw-5150 "), 2) << out;
  EXPECT_NE(out.find("WRONGPASS"), std::string::npos) << out;
  EXPECT_EQ(out.find("wrong-pw-5150"), std::string::npos) << out;
}

TEST_F(CliGovernanceRedis, TheRightPasswordFromTheEnvironmentWorks) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.password = "right-pw";
  RedisServer server(options);
  const std::string cfg = config(server, "desk-a", "MLGOV_CLI_TEST_PW");
  EXPECT_EQ(run("disable --config " + q(cfg) + " --operator bob --reason x",
                "MLGOV_CLI_TEST_PW=right-pw "),
            0)
      << out;
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "DISABLED_GOVERNANCE");
}

}  // namespace
}  // namespace mlgov
