// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The Redis store's failure rules, met by real engine processes
// (tests/fleet_engine_process) and a real redis-server the fixture
// (tests/redis_server_fixture.h) stops, freezes, kills and restarts:
// a frozen server (SIGSTOP) is lost: grace, then disabled, then back on
// SIGCONT, with the failures recorded meanwhile pushed and counted once; a
// server killed with -9 and restarted on its append-only file keeps the
// latch; a wrong password and garbage in the scope's hash disable, loudly,
// and never enable. Waits poll with generous deadlines; no timing is asserted.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fleet_support.h"
#include "io/read_file.h"
#include "predictor_fixture.h"
#include "redis_server_fixture.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using internal::read_file;
using testing::FleetConfigOptions;
using testing::FleetEngine;
using testing::shell_quote;
using testing::TempDir;

class FleetFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::cli_path().empty()) GTEST_SKIP() << "the mlgov tool is not built";
    MLGOV_SKIP_WITHOUT_REDIS_SERVER();
    std::filesystem::create_directories(dir_ / "models");
    testing::install_model(dir_ / "models", "GOOG");
  }

  void start_server(const testing::RedisServerOptions& options = {}) {
    server_ = std::make_unique<testing::RedisServer>(options);
  }

  std::filesystem::path config(const FleetConfigOptions& extra = {}) {
    FleetConfigOptions o = extra;
    o.url = server_->url();
    if (o.scope.empty()) o.scope = "desk-a";
    const auto file = dir_ / ("config-" + o.scope + ".yaml");
    testing::write_text(file, testing::fleet_config_yaml(dir_ / "models", dir_ / "logs", o));
    return file;
  }

  std::unique_ptr<FleetEngine> engine(
      const std::string& name, const std::filesystem::path& cfg,
      const std::vector<std::pair<std::string, std::string>>& env = {}) {
    return std::make_unique<FleetEngine>(
        std::vector<std::string>{MLGOV_FLEET_ENGINE_PROCESS_PATH, "--config", cfg.string(),
                                 "--name", name, "--events", (dir_ / "events.log").string()},
        dir_ / (name + ".err"), env);
  }

  std::string mlgov(const std::string& args, const std::filesystem::path& cfg,
                    const std::string& env = "") {
    std::string out;
    last_rc_ = testing::run_command(env + shell_quote(testing::cli_path()) + " governance " + args +
                                        " --config " + shell_quote(cfg.string()),
                                    &out);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  int last_rc_ = -1;
};

// A frozen server (SIGSTOP: connections stay open, nothing answers) is a lost
// server: inside grace_seconds the engines keep the last known state. The
// grace is long (60 s) so that no slow host can reach its end before the
// asserts below: they are not timing assertions.
TEST_F(FleetFaults, FrozenServerKeepsTheLastKnownStateInsideTheGrace) {
  start_server();
  FleetConfigOptions o;
  o.grace_seconds = 60;
  const auto cfg = config(o);
  auto a = engine("A", cfg);
  ASSERT_EQ(a->ready_line(), "ready state=ENABLED|OK");
  server_->sigstop();
  // The store's health may already show as DEGRADED; predictions served.
  EXPECT_EQ(a->ask("state").rfind("state=ENABLED", 0), 0u);
  EXPECT_EQ(a->ask("predict"), "OK");
  server_->sigcont();
}

// Beyond grace_seconds ML is disabled; on SIGCONT the engines take the
// scope's state again: enabled. (Inside the grace: the test above.)
TEST_F(FleetFaults, FrozenServerDisablesAfterTheGraceThenRecovers) {
  start_server();
  FleetConfigOptions o;
  o.grace_seconds = 3;
  const auto cfg = config(o);
  auto a = engine("A", cfg);
  auto b = engine("B", cfg);
  ASSERT_EQ(a->ready_line(), "ready state=ENABLED|OK");
  ASSERT_EQ(b->ready_line(), "ready state=ENABLED|OK");
  server_->sigstop();
  // Beyond the grace: disabled, in both.
  EXPECT_EQ(a->wait_for("state", "DISABLED_GOVERNANCE", 15s), "state=DISABLED_GOVERNANCE");
  EXPECT_EQ(b->wait_for("state", "DISABLED_GOVERNANCE", 15s), "state=DISABLED_GOVERNANCE");
  EXPECT_EQ(b->ask("predict"), "GOVERNANCE_DISABLED");
  server_->sigcont();
  EXPECT_EQ(a->wait_for("state", "ENABLED|OK", 15s), "state=ENABLED|OK");
  EXPECT_EQ(b->wait_for("state", "ENABLED|OK", 15s), "state=ENABLED|OK");
  EXPECT_EQ(a->ask("predict"), "OK");
  // The scope's history says nothing was latched (only the two starts).
  std::vector<std::string> events;
  for (const auto& e : testing::read_stream(server_->port(), "{mlgov:desk-a}:history")) {
    events.push_back(e.fields.value("event", "?"));
  }
  EXPECT_EQ(events, (std::vector<std::string>{"STARTED", "STARTED"}));
}

// Failures recorded while the server was frozen are pushed on reconnect and
// counted once: two failures in A during the outage plus one in B after it
// make three in the scope's window, which latches both.
TEST_F(FleetFaults, FailuresRecordedWhileTheServerWasLostArePushedOnReconnect) {
  start_server();
  FleetConfigOptions o;
  o.grace_seconds = 30;  // the outage stays inside grace: A keeps serving
  const auto cfg = config(o);
  auto a = engine("A", cfg);
  auto b = engine("B", cfg);
  ASSERT_EQ(a->ready_line(), "ready state=ENABLED|OK");
  ASSERT_EQ(b->ready_line(), "ready state=ENABLED|OK");
  server_->sigstop();
  EXPECT_EQ(a->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a->ask("state").rfind("state=ENABLED", 0), 0u);  // 2 < 3 locally
  std::this_thread::sleep_for(1500ms);                       // more than the command timeout
  server_->sigcont();
  // Wait until the two are on the server: mlgov status still says enabled,
  // and the window holds two (ZCARD of the scope's window).
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  std::string count;
  while (std::chrono::steady_clock::now() < deadline) {
    count = testing::redis_cli(server_->port(), "ZCARD '{mlgov:desk-a}:window'");
    if (count == "2\n") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(count, "2\n");
  EXPECT_EQ(b->wait_for("state", "ENABLED|OK"), "state=ENABLED|OK");
  EXPECT_EQ(b->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  EXPECT_EQ(b->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
}

// kill -9 of a server running with appendonly, then a restart on the same
// directory: the latched scope is still latched, for the running engines
// (which reconnect) and for an engine started afterwards.
TEST_F(FleetFaults, LatchSurvivesKillNineAndRestartWithAppendonly) {
  testing::RedisServerOptions options;
  options.appendonly = true;
  start_server(options);
  const auto cfg = config();
  auto a = engine("A", cfg);
  auto b = engine("B", cfg);
  ASSERT_EQ(a->ready_line(), "ready state=ENABLED|OK");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a->ask("fail"), "NON_FINITE_FEATURE");
  ASSERT_EQ(b->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  server_->kill9();
  server_->restart();
  mlgov("status", cfg);
  EXPECT_EQ(last_rc_, 1);
  std::this_thread::sleep_for(1s);  // the engines reconnect and sync
  EXPECT_EQ(a->ask("state"), "state=DISABLED_GOVERNANCE");
  EXPECT_EQ(b->ask("state"), "state=DISABLED_GOVERNANCE");
  auto c = engine("C", cfg);
  EXPECT_EQ(c->ready_line(), "ready state=DISABLED_GOVERNANCE");
  EXPECT_EQ(c->ask("predict"), "GOVERNANCE_DISABLED");
  // And the operator's re-enable reaches them after the restart.
  mlgov("reenable --operator alice --reason 'INC-5: fixed after the restart'", cfg);
  ASSERT_EQ(last_rc_, 0);
  for (auto* e : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(e->wait_for("state", "ENABLED|OK"), "state=ENABLED|OK");
  }
}

// A wrong password: the engine starts disabled, says why (naming the store,
// never the password), and stays disabled; the right one enables it.
TEST_F(FleetFaults, WrongPasswordStartsDisabledAndNeverEnables) {
  testing::RedisServerOptions options;
  options.password = "s3cret-pass";
  start_server(options);
  FleetConfigOptions o;
  o.password_env = "FLEET_TEST_REDIS_PASSWORD";
  const auto cfg = config(o);
  auto wrong = engine("W", cfg, {{"FLEET_TEST_REDIS_PASSWORD", "not-the-password"}});
  EXPECT_EQ(wrong->ready_line(), "ready state=DISABLED_GOVERNANCE");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(wrong->ask("state"), "state=DISABLED_GOVERNANCE");
  EXPECT_EQ(wrong->ask("predict"), "GOVERNANCE_DISABLED");
  const std::string err = read_file(dir_ / "W.err");
  EXPECT_NE(err.find(server_->url()), std::string::npos) << err;
  EXPECT_EQ(err.find("not-the-password"), std::string::npos) << err;
  auto right = engine("R", cfg, {{"FLEET_TEST_REDIS_PASSWORD", "s3cret-pass"}});
  EXPECT_EQ(right->ready_line(), "ready state=ENABLED|OK");
  EXPECT_EQ(right->ask("predict"), "OK");
  mlgov("status", cfg, "FLEET_TEST_REDIS_PASSWORD=wrong ");
  EXPECT_EQ(last_rc_, 2);
}

// Garbage written into the scope's state hash behind the engines' backs (an
// unknown state): every engine goes to DISABLED_GOVERNANCE, loudly; an
// engine started afterwards starts disabled; `status` exits 2.
TEST_F(FleetFaults, GarbageInTheStateHashDisablesEveryEngineNeverEnables) {
  start_server();
  const auto cfg = config();
  auto a = engine("A", cfg);
  auto b = engine("B", cfg);
  ASSERT_EQ(a->ready_line(), "ready state=ENABLED|OK");
  ASSERT_EQ(b->ready_line(), "ready state=ENABLED|OK");
  testing::redis_cli(server_->port(), "HSET '{mlgov:desk-a}:state' state MAYBE_ENABLED");
  EXPECT_EQ(a->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  EXPECT_EQ(b->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  auto c = engine("C", cfg);
  EXPECT_EQ(c->ready_line(), "ready state=DISABLED_GOVERNANCE");
  const std::string out = mlgov("status", cfg);
  EXPECT_EQ(last_rc_, 2) << out;
  EXPECT_NE(out.find("MAYBE_ENABLED"), std::string::npos) << out;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(a->ask("state"), "state=DISABLED_GOVERNANCE");
  const std::string err = read_file(dir_ / "A.err");
  EXPECT_NE(err.find("\"level\":\"CRITICAL\""), std::string::npos) << err;
}

}  // namespace
}  // namespace mlgov
