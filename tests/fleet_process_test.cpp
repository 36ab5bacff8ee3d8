// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Several engines, one latch, on a real redis-server: engine processes
// (tests/fleet_engine_process) configured with governance.store: redis on
// one scope, the operator's `mlgov` binary, and the scope's history stream
// read back with redis-cli. The server is started by the fixture
// (tests/redis_server_fixture.h) on a free loopback port in a throwaway
// directory and torn down after each test. Waits poll with a generous
// deadline (the promise is 100 ms on loopback; the tests allow 5 s): no
// timing is asserted.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fleet_support.h"
#include "predictor_fixture.h"
#include "redis_server_fixture.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using testing::FleetConfigOptions;
using testing::FleetEngine;
using testing::shell_quote;
using testing::TempDir;

class FleetProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::cli_path().empty()) GTEST_SKIP() << "the mlgov tool is not built";
    MLGOV_SKIP_WITHOUT_REDIS_SERVER();
    server_ = std::make_unique<testing::RedisServer>();
    std::filesystem::create_directories(dir_ / "models");
    testing::install_model(dir_ / "models", "GOOG");
  }

  // The config file of scope `scope` on the fixture's server.
  std::filesystem::path config(const std::string& scope = "desk-a") {
    FleetConfigOptions o;
    o.url = server_->url();
    o.scope = scope;
    const auto file = dir_ / ("config-" + scope + ".yaml");
    testing::write_text(file, testing::fleet_config_yaml(dir_ / "models", dir_ / "logs", o));
    return file;
  }

  std::vector<std::string> engine_args(const std::string& name, const std::string& scope) {
    return {MLGOV_FLEET_ENGINE_PROCESS_PATH,
            "--config",
            config(scope).string(),
            "--name",
            name,
            "--events",
            (dir_ / "events.log").string()};
  }

  std::unique_ptr<FleetEngine> engine(const std::string& name,
                                      const std::string& scope = "desk-a") {
    auto e = std::make_unique<FleetEngine>(engine_args(name, scope), dir_ / (name + ".err"));
    EXPECT_EQ(e->ready_line(), "ready state=ENABLED|OK") << name;
    return e;
  }

  // `mlgov governance ARGS --config <scope's config>`; sets last_rc_.
  std::string mlgov(const std::string& args, const std::string& scope = "desk-a") {
    std::string out;
    last_rc_ = testing::run_command(shell_quote(testing::cli_path()) + " governance " + args +
                                        " --config " + shell_quote(config(scope).string()),
                                    &out);
    return out;
  }

  // The events of the scope's history stream, in stream order.
  std::vector<std::string> history_events(const std::string& scope = "desk-a") {
    std::vector<std::string> events;
    for (const auto& e : testing::read_stream(server_->port(), "{mlgov:" + scope + "}:history")) {
      events.push_back(e.fields.value("event", "?"));
    }
    return events;
  }

  TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  int last_rc_ = -1;
};

// max_failures is 3 across the scope: one failure in each of three engines
// (each engine's own count stays at 1, below the limit) latches all three.
TEST_F(FleetProcesses, OneFailureInEachOfThreeEnginesLatchesAllThree) {
  auto a = engine("A");
  auto b = engine("B");
  auto c = engine("C");
  EXPECT_EQ(a->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(b->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(c->ask("fail"), "NON_FINITE_FEATURE");
  for (auto* e : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(e->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
    EXPECT_EQ(e->ask("predict"), "GOVERNANCE_DISABLED");
  }
  mlgov("status");
  EXPECT_EQ(last_rc_, 1);  // disabled
}

// Two failures in the scope are below the limit: nobody latches.
TEST_F(FleetProcesses, TwoFailuresAcrossTheScopeLatchNobody) {
  auto a = engine("A");
  auto b = engine("B");
  EXPECT_EQ(a->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(b->ask("fail"), "NON_FINITE_FEATURE");
  // Give the background pushes time to land, then a sync interval or two.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(a->ask("state"), "state=ENABLED|OK");
  EXPECT_EQ(b->ask("state"), "state=ENABLED|OK");
  EXPECT_EQ(a->ask("predict"), "OK");
  mlgov("status");
  EXPECT_EQ(last_rc_, 0);
}

// The operator's kill switch and re-enable reach three running engines,
// without a restart, through `mlgov governance --config` on the same scope.
TEST_F(FleetProcesses, OperatorDisableAndReenableReachAllThreeWithoutRestart) {
  auto a = engine("A");
  auto b = engine("B");
  auto c = engine("C");
  mlgov("disable --operator bob --reason 'INC-2: bad feed'");
  ASSERT_EQ(last_rc_, 0);
  for (auto* e : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(e->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
    EXPECT_EQ(e->ask("predict"), "GOVERNANCE_DISABLED");
  }
  mlgov("reenable --operator alice --reason 'INC-2: feed fixed'");
  ASSERT_EQ(last_rc_, 0);
  for (auto* e : {a.get(), b.get(), c.get()}) {
    EXPECT_EQ(e->wait_for("state", "ENABLED|OK"), "state=ENABLED|OK");
    EXPECT_EQ(e->ask("predict"), "OK");
  }
  mlgov("status");
  EXPECT_EQ(last_rc_, 0);
}

// Every record of the scope's life is in its history stream, in the order it
// happened: three starts, the fleet's latch (once, though three engines
// learnt of it), the re-enable, the kill switch, the re-enable.
TEST_F(FleetProcesses, HistoryStreamHoldsEveryRecordInOrder) {
  auto a = engine("A");
  auto b = engine("B");
  auto c = engine("C");
  for (auto* e : {a.get(), b.get(), c.get()}) EXPECT_EQ(e->ask("fail"), "NON_FINITE_FEATURE");
  for (auto* e : {a.get(), b.get(), c.get()}) {
    ASSERT_EQ(e->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  }
  mlgov("reenable --operator alice --reason 'INC-1: fixed'");
  ASSERT_EQ(last_rc_, 0);
  for (auto* e : {a.get(), b.get(), c.get()}) {
    ASSERT_EQ(e->wait_for("state", "ENABLED|OK"), "state=ENABLED|OK");
  }
  mlgov("disable --operator bob --reason 'INC-2: kill switch'");
  ASSERT_EQ(last_rc_, 0);
  for (auto* e : {a.get(), b.get(), c.get()}) {
    ASSERT_EQ(e->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  }
  mlgov("reenable --operator alice --reason 'INC-2: over'");
  ASSERT_EQ(last_rc_, 0);

  const auto entries = testing::read_stream(server_->port(), "{mlgov:desk-a}:history");
  std::vector<std::string> events;
  for (const auto& e : entries) events.push_back(e.fields.value("event", "?"));
  EXPECT_EQ(events,
            (std::vector<std::string>{"STARTED", "STARTED", "STARTED", "DISABLED_BY_GOVERNANCE",
                                      "REENABLED", "DISABLED_BY_OPERATOR", "REENABLED"}));
  ASSERT_EQ(entries.size(), 7u);
  EXPECT_EQ(entries[4].fields.value("operator", ""), "alice");
  EXPECT_EQ(entries[5].fields.value("operator", ""), "bob");
  EXPECT_EQ(entries[5].fields.value("reason", ""), "INC-2: kill switch");
  EXPECT_EQ(entries[6].fields.value("reason", ""), "INC-2: over");
}

// Two scopes on one server share nothing: scope x's latch and its operator's
// actions leave scope y's engines and history alone.
TEST_F(FleetProcesses, TwoScopesOnOneServerStayIndependent) {
  auto x1 = engine("X1", "desk-x");
  auto x2 = engine("X2", "desk-x");
  auto y1 = engine("Y1", "desk-y");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(x1->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(x1->ask("state"), "state=DISABLED_GOVERNANCE");  // its own count: at once
  EXPECT_EQ(x2->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  // y's engine: still enabled after x's latch reached x2 and a few sync intervals.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(y1->ask("state"), "state=ENABLED|OK");
  EXPECT_EQ(y1->ask("predict"), "OK");
  // Two failures on y: below y's limit, whatever x's window holds.
  EXPECT_EQ(y1->ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(y1->ask("fail"), "NON_FINITE_FEATURE");
  mlgov("status", "desk-y");
  EXPECT_EQ(last_rc_, 0);
  mlgov("status", "desk-x");
  EXPECT_EQ(last_rc_, 1);
  // The kill switch on y leaves x latched by governance, not by the operator.
  mlgov("disable --operator bob --reason 'INC-3: y only'", "desk-y");
  ASSERT_EQ(last_rc_, 0);
  EXPECT_EQ(y1->wait_for("state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  mlgov("reenable --operator alice --reason 'INC-4: x fixed'", "desk-x");
  ASSERT_EQ(last_rc_, 0);
  EXPECT_EQ(x2->wait_for("state", "ENABLED|OK"), "state=ENABLED|OK");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(y1->ask("state"), "state=DISABLED_GOVERNANCE");

  EXPECT_EQ(
      history_events("desk-x"),
      (std::vector<std::string>{"STARTED", "STARTED", "DISABLED_BY_GOVERNANCE", "REENABLED"}));
  EXPECT_EQ(history_events("desk-y"),
            (std::vector<std::string>{"STARTED", "DISABLED_BY_OPERATOR"}));
}

}  // namespace
}  // namespace mlgov
