// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The predictor's latch (src/governance/latch.h) over the Redis store, against
// a real redis-server: several latches on one scope stand for several engines
// (process-level tests with real engines live in the fleet tests).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "governance/latch.h"
#include "mlgov/redis_governance_store.h"
#include "redis_server_fixture.h"

namespace mlgov {
namespace {

using internal::Latch;
using internal::LatchOptions;
using testing::RedisServer;

class LockedSink final : public EventSink {
 public:
  void on_event(const GovernanceEvent& e) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    statuses_.push_back(e.status);
  }
  void on_heartbeat(const HeartbeatRecord&) noexcept override {}
  bool saw(const std::string& status) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : statuses_)
      if (s == status) return true;
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> statuses_;
};

// Waits (20 s at most; no test asserts how fast) until `done` holds.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class RedisLatchTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Clock> clock = std::make_shared<SystemClock>();
  std::shared_ptr<LockedSink> sink = std::make_shared<LockedSink>();

  Config config(const RedisServer& server, double grace_seconds = 30) const {
    Config c;
    c.governance.store = GovernanceConfig::Store::kRedis;
    c.governance.redis.url = server.url();
    c.governance.redis.scope = "desk-a";
    c.governance.redis.connect_timeout_ms = 500;
    c.governance.redis.command_timeout_ms = 300;
    c.governance.redis.sync_interval_ms = 100;
    c.governance.redis.grace_seconds = grace_seconds;
    return c;
  }
  std::unique_ptr<Latch> engine(const Config& c, int max_failures = 2) {
    LatchOptions o;
    o.clock = clock;
    o.sink = sink;
    o.store = make_redis_governance_store(c, clock);
    o.max_failures = max_failures;
    o.window_seconds = 300;
    o.model = "ml_v1";
    auto latch = std::make_unique<Latch>(std::move(o));
    latch->start(latch->open(), MlState::kEnabledOk);
    return latch;
  }
};

TEST_F(RedisLatchTest, OneFailureInEachOfTwoEnginesLatchesBoth) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  auto a = engine(config(server));
  auto b = engine(config(server));
  a->record_failure("GOOG", "FEATURE_MISMATCH", "column swap", {});
  b->record_failure("MSFT", "FEATURE_MISMATCH", "column swap", {});
  EXPECT_TRUE(eventually([&] { return a->state() == MlState::kDisabledGovernance; }));
  EXPECT_TRUE(eventually([&] { return b->state() == MlState::kDisabledGovernance; }));
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "DISABLED_GOVERNANCE");
}

TEST_F(RedisLatchTest, AnOperatorReenableThroughAnotherStoreReachesEveryEngine) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  const Config c = config(server);
  make_redis_governance_store(c, clock)->disable("bob", "INC-1", clock->wall_now());
  auto a = engine(c);
  auto b = engine(c);
  EXPECT_EQ(a->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(b->state(), MlState::kDisabledGovernance);
  make_redis_governance_store(c, clock)->reenable("alice", "fixed", clock->wall_now());
  EXPECT_TRUE(eventually([&] { return a->state() == MlState::kEnabledOk; }));
  EXPECT_TRUE(eventually([&] { return b->state() == MlState::kEnabledOk; }));
}

TEST_F(RedisLatchTest, AServerStoppedBeyondGraceDisablesAndItsReturnReenables) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  auto a = engine(config(server, /*grace_seconds=*/0.3));
  ASSERT_EQ(a->state(), MlState::kEnabledOk);
  server.sigstop();
  EXPECT_TRUE(eventually([&] { return a->state() == MlState::kDisabledGovernance; }));
  EXPECT_TRUE(sink->saw("STORE_DEGRADED"));
  server.sigcont();
  EXPECT_TRUE(eventually([&] { return a->state() == MlState::kEnabledOk; }));
}

TEST_F(RedisLatchTest, AWrongPasswordStartsDisabled) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  testing::RedisServerOptions options;
  options.password = "right";
  RedisServer server(options);
  ::setenv("MLGOV_TEST_LATCH_WRONG_PW", "wrong", 1);
  Config c = config(server);
  c.governance.redis.password_env = "MLGOV_TEST_LATCH_WRONG_PW";
  auto a = engine(c);
  EXPECT_EQ(a->state(), MlState::kDisabledGovernance);
}

}  // namespace
}  // namespace mlgov
