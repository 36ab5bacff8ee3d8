// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The Redis governance store against a real redis-server (the fixture starts
// one per test on a free loopback port), at the store level: a recording
// observer stands for the latch. Expected values come from the rules
// (max_failures inside the window of server time) and from the server itself
// (redis-cli), never from the store's own output.
#include "mlgov/redis_governance_store.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "redis_server_fixture.h"

namespace mlgov {
namespace {

using testing::RedisServer;
using testing::RedisServerOptions;

// Long enough never to be the thing that fails on a slow machine; no test
// asserts how fast anything happens.
constexpr auto kDeadline = std::chrono::seconds(20);

class RecordingObserver final : public GovernanceStoreObserver {
 public:
  void on_shared_change(const GovernanceRecord& record) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(record);
    cv_.notify_all();
  }
  void on_health_change(StoreHealth health, std::string_view message) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    health_.push_back(health);
    health_messages_.emplace_back(message);
    cv_.notify_all();
  }
  void on_store_event(spdlog::level::level_enum, std::string_view status, std::string_view,
                      std::string) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.emplace_back(status);
    cv_.notify_all();
  }
  void on_store_unreadable(std::string_view message) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    unreadable_.emplace_back(message);
    cv_.notify_all();
  }

  // Waits (kDeadline at most) until `done` holds over what was recorded.
  bool wait_until(const std::function<bool(const RecordingObserver&)>& done) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return done(*this); });
  }
  bool wait_for_record(const std::function<bool(const GovernanceRecord&)>& match) {
    return wait_until([&](const RecordingObserver& o) {
      for (const auto& r : o.records_)
        if (match(r)) return true;
      return false;
    });
  }
  bool wait_for_health(StoreHealth h) {
    return wait_until(
        [&](const RecordingObserver& o) { return !o.health_.empty() && o.health_.back() == h; });
  }
  bool wait_for_unreadable() {
    return wait_until([](const RecordingObserver& o) { return !o.unreadable_.empty(); });
  }
  bool wait_for_unreadable_containing(const std::string& text) {
    return wait_until([&](const RecordingObserver& o) {
      for (const auto& m : o.unreadable_)
        if (m.find(text) != std::string::npos) return true;
      return false;
    });
  }
  std::vector<StoreHealth> health() {
    std::lock_guard<std::mutex> lock(mu_);
    return health_;
  }
  std::vector<std::string> health_messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return health_messages_;
  }
  std::vector<std::string> unreadable() {
    std::lock_guard<std::mutex> lock(mu_);
    return unreadable_;
  }
  std::size_t record_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<GovernanceRecord> records_;
  std::vector<StoreHealth> health_;
  std::vector<std::string> health_messages_;
  std::vector<std::string> events_;
  std::vector<std::string> unreadable_;
};

Config redis_config(const RedisServer& server, const std::string& scope) {
  Config config;
  config.governance.store = GovernanceConfig::Store::kRedis;
  config.governance.redis.url = server.url();
  config.governance.redis.scope = scope;
  config.governance.redis.connect_timeout_ms = 500;
  config.governance.redis.command_timeout_ms = 300;
  config.governance.redis.sync_interval_ms = 100;
  config.governance.redis.grace_seconds = 30;
  return config;
}

std::shared_ptr<GovernanceStore> make_store(const Config& config) {
  return make_redis_governance_store(config, std::make_shared<SystemClock>());
}

StoreFailure failure(const std::string& id, const std::string& symbol = "GOOG",
                     const std::string& ts = "2026-11-27T12:00:00.000Z") {
  return StoreFailure{id, FailureRecord{ts, symbol, "FEATURE_MISMATCH", "column swap"}};
}

FailureRule rule(int max_failures, std::chrono::seconds window = std::chrono::seconds(300)) {
  FailureRule r;
  r.max_failures = max_failures;
  r.window = window;
  return r;
}

bool disabled(const GovernanceRecord& r) { return r.disabled; }

// Polls the server (through redis-cli) until `done` holds.
bool server_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(RedisGovernanceStore, OpenOnAFreshScopeIsEnabledAndAppendsStarted) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  const GovernanceRecord record = store->open("pid 1 on host-a");
  EXPECT_FALSE(record.disabled);
  ASSERT_EQ(record.history.size(), 1u);
  EXPECT_EQ(record.history[0].event, "STARTED");
  EXPECT_EQ(record.history[0].reason, "pid 1 on host-a");
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "ENABLED");
  EXPECT_EQ(server.cli({"XLEN", "{mlgov:desk-a}:history"}), "1");
}

TEST(RedisGovernanceStore, DescribeNamesUrlAndScopeButNeverThePassword) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.password = "pw-Xq93";
  RedisServer server(options);
  ::setenv("MLGOV_TEST_REDIS_PW", "pw-Xq93", 1);
  Config config = redis_config(server, "desk-a");
  config.governance.redis.password_env = "MLGOV_TEST_REDIS_PW";
  auto store = make_store(config);
  EXPECT_EQ(store->describe(),
            "redis redis://127.0.0.1:" + std::to_string(server.port()) + "/0 scope desk-a");
  EXPECT_FALSE(store->open("test").disabled);  // the password from the environment works
}

TEST(RedisGovernanceStore, MaxFailuresFromTwoStoresOnOneScopeLatchBoth) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver seen_by_a, seen_by_b;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto a = make_store(config);
  auto b = make_store(config);
  a->open("engine a");
  b->open("engine b");
  a->start(&seen_by_a);
  b->start(&seen_by_b);
  EXPECT_EQ(a->record_failure(failure("a:1"), rule(3)).kind, FailureOutcome::Kind::kQueued);
  EXPECT_EQ(a->record_failure(failure("a:2"), rule(3)).kind, FailureOutcome::Kind::kQueued);
  ASSERT_TRUE(server_until([&] { return server.cli({"ZCARD", "{mlgov:desk-a}:window"}) == "2"; }));
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "ENABLED");
  b->record_failure(failure("b:1", "MSFT"), rule(3));
  EXPECT_TRUE(seen_by_a.wait_for_record(disabled));
  EXPECT_TRUE(seen_by_b.wait_for_record(disabled));
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "DISABLED_GOVERNANCE");
}

TEST(RedisGovernanceStore, TheSameFailureIdSentTwiceCountsOnce) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  store->start(&observer);
  store->record_failure(failure("x:1"), rule(3));
  store->record_failure(failure("x:1"), rule(3));  // a resend: the same id
  store->record_failure(failure("x:2"), rule(3));
  // In order: once x:2 is on the server, both sends of x:1 were answered.
  ASSERT_TRUE(server_until([&] {
    return server.cli({"ZSCORE", "{mlgov:desk-a}:window", "x:2"}) != "";
  }));
  EXPECT_EQ(server.cli({"ZCARD", "{mlgov:desk-a}:window"}), "2");
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "ENABLED");
  EXPECT_EQ(server.cli({"LLEN", "{mlgov:desk-a}:last_failures"}), "2");
}

TEST(RedisGovernanceStore, TheWindowIsScoredWithTheServersClock) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  store->start(&observer);
  // The engine's clock says 2001.
  store->record_failure(failure("x:1", "GOOG", "2001-01-01T00:00:00.000Z"), rule(3));
  ASSERT_TRUE(server_until([&] {
    return server.cli({"ZSCORE", "{mlgov:desk-a}:window", "x:1"}) != "";
  }));
  const long long score = std::stoll(server.cli({"ZSCORE", "{mlgov:desk-a}:window", "x:1"}));
  const std::string time = server.cli({"TIME"});  // "seconds\nmicroseconds"
  const long long server_ms = std::stoll(time.substr(0, time.find('\n'))) * 1000;
  EXPECT_LE(score, server_ms + 1000);
  EXPECT_GE(score, server_ms - 60'000);  // recorded within the last minute of server time
}

TEST(RedisGovernanceStore, EngineClocksHoursApartStillTripInsideTheServersWindow) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver seen_by_a, seen_by_b;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto a = make_store(config);
  auto b = make_store(config);
  a->open("engine a");
  b->open("engine b");
  a->start(&seen_by_a);
  b->start(&seen_by_b);
  // Two hosts whose clocks are 3 hours apart, a 300 s window: on the
  // server's clock the two failures are moments apart.
  a->record_failure(failure("a:1", "GOOG", "2026-11-27T09:00:00.000Z"), rule(2));
  ASSERT_TRUE(server_until([&] { return server.cli({"ZCARD", "{mlgov:desk-a}:window"}) == "1"; }));
  b->record_failure(failure("b:1", "GOOG", "2026-11-27T12:00:00.000Z"), rule(2));
  EXPECT_TRUE(seen_by_a.wait_for_record(disabled));
}

TEST(RedisGovernanceStore, OperatorDisableReachesAnotherStoresObserver) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto engine = make_store(config);
  auto operator_side = make_store(config);
  engine->open("engine");
  engine->start(&observer);
  const GovernanceRecord after =
      operator_side->disable("bob", "INC-1: bad feed", std::chrono::system_clock::now());
  EXPECT_TRUE(after.disabled);
  EXPECT_EQ(after.reason, "disabled by operator bob: INC-1: bad feed");
  EXPECT_TRUE(observer.wait_for_record([](const GovernanceRecord& r) {
    return r.disabled && r.reason == "disabled by operator bob: INC-1: bad feed";
  }));
}

TEST(RedisGovernanceStore, OperatorReenableReachesAnotherStoresObserver) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto engine = make_store(config);
  auto operator_side = make_store(config);
  operator_side->disable("bob", "INC-1", std::chrono::system_clock::now());
  EXPECT_TRUE(engine->open("engine").disabled);
  engine->start(&observer);
  const GovernanceRecord after =
      operator_side->reenable("alice", "retrained", std::chrono::system_clock::now());
  EXPECT_FALSE(after.disabled);
  EXPECT_TRUE(observer.wait_for_record([](const GovernanceRecord& r) {
    return !r.disabled && r.reason == "re-enabled by alice: retrained";
  }));
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-a}:state", "state"}), "ENABLED");
}

TEST(RedisGovernanceStore, APublishedChangeArrivesWithoutWaitingForThePoll) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  Config config = redis_config(server, "desk-a");
  config.governance.redis.sync_interval_ms = 600'000;  // the poll never comes in this test
  auto engine = make_store(config);
  auto operator_side = make_store(config);
  engine->open("engine");
  engine->start(&observer);
  // Let the worker subscribe (its first sync delivers nothing new).
  ASSERT_TRUE(server_until([&] {
    return server.cli({"PUBSUB", "NUMSUB", "{mlgov:desk-a}:changes"}) ==
           "{mlgov:desk-a}:changes\n1";
  }));
  operator_side->disable("bob", "INC-2", std::chrono::system_clock::now());
  EXPECT_TRUE(observer.wait_for_record(disabled));
}

TEST(RedisGovernanceStore, HistoryStreamHoldsEveryTransitionInOrder) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto store = make_store(config);
  store->open("engine a");
  store->start(&observer);
  store->disable("bob", "INC-1", std::chrono::system_clock::now());
  store->reenable("alice", "fixed", std::chrono::system_clock::now());
  store->record_failure(failure("a:1"), rule(1));
  ASSERT_TRUE(observer.wait_for_record(disabled));
  const std::vector<std::string> expected = {"STARTED", "DISABLED_BY_OPERATOR", "REENABLED",
                                             "DISABLED_BY_GOVERNANCE"};
  // The stream on the server, oldest first (redis-cli prints id, then field
  // and value lines).
  const std::string raw = server.cli({"XRANGE", "{mlgov:desk-a}:history", "-", "+"});
  std::vector<std::string> stream_events;
  std::size_t at = 0;
  while ((at = raw.find("event\n", at)) != std::string::npos) {
    at += 6;
    stream_events.push_back(raw.substr(at, raw.find('\n', at) - at));
  }
  EXPECT_EQ(stream_events, expected);
  // read() gives the same trail.
  std::vector<std::string> read_events;
  for (const auto& e : store->read().history) read_events.push_back(e.event);
  EXPECT_EQ(read_events, expected);
}

TEST(RedisGovernanceStore, SigstopDegradesThenUnavailableAfterGraceThenOkWithQueuedPushed) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  Config config = redis_config(server, "desk-a");
  config.governance.redis.grace_seconds = 0.5;
  auto store = make_store(config);
  store->open("engine");
  store->start(&observer);
  server.sigstop();
  EXPECT_TRUE(observer.wait_for_health(StoreHealth::kDegraded));
  store->record_failure(failure("q:1"), rule(2));
  store->record_failure(failure("q:2"), rule(2));
  EXPECT_TRUE(observer.wait_for_health(StoreHealth::kUnavailable));
  server.sigcont();
  EXPECT_TRUE(observer.wait_for_health(StoreHealth::kOk));
  const std::vector<StoreHealth> expected = {StoreHealth::kDegraded, StoreHealth::kUnavailable,
                                             StoreHealth::kOk};
  EXPECT_EQ(observer.health(), expected);
  // The two failures queued while it was away latch the scope, each counted once.
  EXPECT_TRUE(observer.wait_for_record(disabled));
  EXPECT_EQ(server.cli({"ZCARD", "{mlgov:desk-a}:failures"}), "2");
  EXPECT_EQ(server.cli({"LLEN", "{mlgov:desk-a}:last_failures"}), "2");
}

TEST(RedisGovernanceStore, RecordFailureIsQueuedWhileTheServerIsDown) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServerOptions options;
  options.appendonly = true;
  RedisServer server(options);
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  store->start(&observer);
  server.kill9();
  EXPECT_EQ(store->record_failure(failure("d:1"), rule(5)).kind, FailureOutcome::Kind::kQueued);
  server.restart();
  EXPECT_TRUE(server_until([&] {
    return server.cli({"ZSCORE", "{mlgov:desk-a}:window", "d:1"}) != "";
  }));
}

TEST(RedisGovernanceStore, Kill9AndRestartWithAppendonlyKeepsTheLatch) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.appendonly = true;
  RedisServer server(options);
  const Config config = redis_config(server, "desk-a");
  make_store(config)->disable("bob", "INC-3", std::chrono::system_clock::now());
  server.kill9();
  server.restart();
  const GovernanceRecord record = make_store(config)->open("engine after the restart");
  EXPECT_TRUE(record.disabled);
  EXPECT_EQ(record.reason, "disabled by operator bob: INC-3");
}

TEST(RedisGovernanceStore, UnreachableAtOpenThrowsNamingUrlAndScope) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  server.kill9();
  auto store = make_store(config);
  try {
    store->open("engine");
    FAIL() << "open() on a stopped server succeeded";
  } catch (const StoreUnavailableError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(server.url()), std::string::npos) << message;
    EXPECT_NE(message.find("scope desk-a"), std::string::npos) << message;
    EXPECT_NE(message.find("refused"), std::string::npos) << message;  // the cause
  }
}

TEST(RedisGovernanceStore, UnreachableAtOpenKeepsReconnectingAfterStart) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  server.kill9();
  auto store = make_store(config);
  EXPECT_THROW(store->open("late engine"), StoreUnavailableError);
  store->start(&observer);
  EXPECT_TRUE(observer.wait_for_health(StoreHealth::kUnavailable));
  server.restart();
  EXPECT_TRUE(observer.wait_for_health(StoreHealth::kOk));
  EXPECT_TRUE(observer.wait_for_record([](const GovernanceRecord& r) {
    return !r.history.empty() && r.history.back().event == "STARTED" &&
           r.history.back().reason == "late engine";
  }));
}

TEST(RedisGovernanceStore, WrongPasswordIsAStateErrorNotAnOutage) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.password = "right-pw";
  RedisServer server(options);
  ::setenv("MLGOV_TEST_REDIS_WRONG_PW", "wrong-pw-7781", 1);
  Config config = redis_config(server, "desk-a");
  config.governance.redis.password_env = "MLGOV_TEST_REDIS_WRONG_PW";
  auto store = make_store(config);
  try {
    store->open("engine");
    FAIL() << "open() with a wrong password succeeded";
  } catch (const StoreUnavailableError& e) {
    FAIL() << "a wrong password taken as an outage: " << e.what();
  } catch (const GovernanceStateError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("WRONGPASS"), std::string::npos) << message;
    EXPECT_NE(message.find("MLGOV_TEST_REDIS_WRONG_PW"), std::string::npos) << message;
    EXPECT_EQ(message.find("wrong-pw-7781"), std::string::npos) << message;
  }
}

TEST(RedisGovernanceStore, NoPasswordAgainstAProtectedServerIsAStateError) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.password = "right-pw";
  RedisServer server(options);
  auto store = make_store(redis_config(server, "desk-a"));
  try {
    store->read();
    FAIL() << "read() without the password succeeded";
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("NOAUTH"), std::string::npos) << e.what();
  }
}

TEST(RedisGovernanceStore, GarbageInTheStateHashIsAnErrorNamingKeyAndField) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  server.cli({"HSET", "{mlgov:desk-a}:state", "state", "MAYBE"});
  try {
    store->read();
    FAIL() << "read() of state MAYBE succeeded";
  } catch (const GovernanceStateError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("{mlgov:desk-a}:state"), std::string::npos) << message;
    EXPECT_NE(message.find("field state"), std::string::npos) << message;
    EXPECT_NE(message.find("MAYBE"), std::string::npos) << message;
  }
}

TEST(RedisGovernanceStore, AKeyOfTheWrongTypeIsAnErrorNamingTheKey) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  server.cli({"SET", "{mlgov:desk-a}:window", "oops"});
  auto store = make_store(redis_config(server, "desk-a"));
  try {
    store->open("engine");
    FAIL() << "open() over a string window succeeded";
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("{mlgov:desk-a}:window holds a string"), std::string::npos)
        << e.what();
  }
}

TEST(RedisGovernanceStore, GarbageInLastFailuresIsAnErrorNamingTheKeyAndEntry) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  server.cli({"RPUSH", "{mlgov:desk-a}:last_failures", "not json"});
  try {
    store->read();
    FAIL() << "read() of a garbage last_failures entry succeeded";
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("{mlgov:desk-a}:last_failures entry 0"), std::string::npos)
        << e.what();
  }
}

TEST(RedisGovernanceStore, GarbageWhileRunningIsReportedUnreadable) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  store->start(&observer);
  server.cli({"HSET", "{mlgov:desk-a}:state", "format", "v99"});
  ASSERT_TRUE(observer.wait_for_unreadable());
  const std::string message = observer.unreadable().front();
  EXPECT_NE(message.find("{mlgov:desk-a}:state field format"), std::string::npos) << message;
}

TEST(RedisGovernanceStore, GarbageAtOpenOnceRemovedStaysOffUntilAnOperatorReenables) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  server.cli({"SET", "{mlgov:desk-a}:history", "oops"});
  auto store = make_store(redis_config(server, "desk-a"));
  EXPECT_THROW(store->open("engine"), GovernanceStateError);
  store->start(&observer);
  ASSERT_TRUE(observer.wait_for_unreadable());
  server.cli({"DEL", "{mlgov:desk-a}:history"});  // the operator cleans up
  ASSERT_TRUE(observer.wait_for_unreadable_containing("no operator has re-enabled"));
  EXPECT_EQ(observer.record_count(), 0u) << "a record was delivered before any reenable";
  make_store(redis_config(server, "desk-a"))
      ->reenable("alice", "INC-7: cleaned", std::chrono::system_clock::now());
  EXPECT_TRUE(observer.wait_for_record([](const GovernanceRecord& r) {
    return !r.disabled && r.reason == "re-enabled by alice: INC-7: cleaned";
  }));
}

// The runbook's recipe for garbage: keep the evidence, delete the scope's
// keys, reenable. Deleting the keys alone must not switch ML back on.
TEST(RedisGovernanceStore, GarbageThenDeletedKeysStaysOffUntilAnOperatorReenables) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto store = make_store(config);
  store->open("engine");
  store->start(&observer);
  ASSERT_TRUE(observer.wait_for_record([](const GovernanceRecord&) { return true; }));
  const std::size_t before = observer.record_count();
  server.cli({"HSET", "{mlgov:desk-a}:state", "format", "v99"});
  ASSERT_TRUE(observer.wait_for_unreadable());
  server.cli({"DEL", "{mlgov:desk-a}:state", "{mlgov:desk-a}:window", "{mlgov:desk-a}:failures",
              "{mlgov:desk-a}:last_failures", "{mlgov:desk-a}:history"});
  // Written back disabled by the running store, with a record saying why.
  ASSERT_TRUE(server_until([&] {
    return server.cli({"HGET", "{mlgov:desk-a}:state", "state"}) == "DISABLED_GOVERNANCE";
  }));
  EXPECT_NE(server.cli({"XRANGE", "{mlgov:desk-a}:history", "-", "+"}).find("STATE_RECREATED"),
            std::string::npos);
  ASSERT_TRUE(observer.wait_for_unreadable_containing("no operator has re-enabled"));
  EXPECT_EQ(observer.record_count(), before) << "a record was delivered before any reenable";
  EXPECT_TRUE(make_store(config)->read().disabled);
  make_store(config)->reenable("alice", "INC-8: evidence kept", std::chrono::system_clock::now());
  EXPECT_TRUE(observer.wait_for_record([](const GovernanceRecord& r) {
    return !r.disabled && r.reason == "re-enabled by alice: INC-8: evidence kept";
  }));
}

TEST(RedisGovernanceStore, ADeletedStateHashIsWrittenBackDisabledNotTakenAsEnabled) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver observer;
  RedisServer server;
  const Config config = redis_config(server, "desk-a");
  auto store = make_store(config);
  store->open("engine");
  store->start(&observer);
  ASSERT_TRUE(observer.wait_for_record([](const GovernanceRecord&) { return true; }));
  server.cli({"FLUSHDB"});
  ASSERT_TRUE(observer.wait_for_unreadable());
  EXPECT_NE(observer.unreadable().front().find("{mlgov:desk-a}:state was gone"), std::string::npos)
      << observer.unreadable().front();
  ASSERT_TRUE(server_until([&] {
    return server.cli({"HGET", "{mlgov:desk-a}:state", "state"}) == "DISABLED_GOVERNANCE";
  }));
  const GovernanceRecord seen = make_store(config)->read();
  EXPECT_TRUE(seen.disabled);
  ASSERT_FALSE(seen.history.empty());
  EXPECT_EQ(seen.history.back().event, "STATE_RECREATED");
}

TEST(RedisGovernanceStore, ASecondStartIsRefusedOneStorePerPredictor) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver first;
  RecordingObserver second;
  RedisServer server;
  auto store = make_store(redis_config(server, "desk-a"));
  store->open("engine");
  store->start(&first);
  EXPECT_THROW(store->start(&second), std::logic_error);
  // The first observer still follows the scope.
  store->record_failure(failure("f:1"), rule(1));
  EXPECT_TRUE(first.wait_for_record(disabled));
}

TEST(RedisGovernanceStore, TwoScopesOnOneServerStayIndependent) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  // Declared before the stores: an observer must outlive its store's thread.
  RecordingObserver seen_by_a;
  RedisServer server;
  auto a = make_store(redis_config(server, "desk-a"));
  auto b = make_store(redis_config(server, "desk-b"));
  a->open("engine a");
  b->open("engine b");
  a->start(&seen_by_a);
  a->record_failure(failure("a:1"), rule(1));
  ASSERT_TRUE(seen_by_a.wait_for_record(disabled));
  EXPECT_FALSE(b->read().disabled);
  EXPECT_EQ(server.cli({"HGET", "{mlgov:desk-b}:state", "state"}), "ENABLED");
  b->record_failure(failure("b:1"), rule(2));  // not started: stays queued, never sent
  EXPECT_EQ(server.cli({"EXISTS", "{mlgov:desk-b}:window"}), "0");
}

TEST(RedisGovernanceStore, PasswordEnvNamingAnUnsetVariableIsAConfigError) {
  Config config;
  config.governance.redis.url = "redis://127.0.0.1:6379/0";
  config.governance.redis.scope = "desk-a";
  config.governance.redis.password_env = "MLGOV_TEST_SURELY_UNSET_VARIABLE";
  ::unsetenv("MLGOV_TEST_SURELY_UNSET_VARIABLE");
  try {
    make_store(config);
    FAIL() << "an unset password variable was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("governance.redis.password_env"), std::string::npos)
        << e.what();
  }
}

TEST(RedisGovernanceStore, APasswordInTheUrlIsRefusedWithoutEchoingIt) {
  Config config;
  config.governance.redis.url = "redis://:hunter2@127.0.0.1:6379/0";
  config.governance.redis.scope = "desk-a";
  try {
    make_store(config);
    FAIL() << "a password in the URL was accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("governance.redis.url"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
}

TEST(RedisGovernanceStore, APasswordInAUrlOfAnotherSchemeIsNeverEchoed) {
  for (const std::string& url :
       std::vector<std::string>{"rediss://:hunter2@127.0.0.1:6379/0", "hunter2@127.0.0.1"}) {
    SCOPED_TRACE(url);
    Config config;
    config.governance.redis.url = url;
    config.governance.redis.scope = "desk-a";
    try {
      make_store(config);
      FAIL() << "a password in the URL was accepted";
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("governance.redis.url"), std::string::npos) << message;
      EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    }
  }
}

// A Config built in code skips the YAML checks: a password put where the
// variable's name goes is refused without being repeated.
TEST(RedisGovernanceStore, APasswordInPasswordEnvIsNeverEchoed) {
  Config config;
  config.governance.redis.url = "redis://127.0.0.1:6379/0";
  config.governance.redis.scope = "desk-a";
  config.governance.redis.password_env = "hunter2!";
  try {
    make_store(config);
    FAIL() << "a password in password_env was accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("governance.redis.password_env"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  }
}

TEST(RedisGovernanceStore, UrlWithoutPortOrDatabaseMeansPort6379AndDatabase0) {
  Config config;
  config.governance.redis.url = "redis://cache.internal";
  config.governance.redis.scope = "desk-a";
  EXPECT_EQ(make_store(config)->describe(), "redis redis://cache.internal:6379/0 scope desk-a");
}

TEST(RedisGovernanceStore, UrlWithAnIpv6AddressKeepsItsBrackets) {
  Config config;
  config.governance.redis.url = "redis://[::1]:6380/2";
  config.governance.redis.scope = "desk-a";
  EXPECT_EQ(make_store(config)->describe(), "redis redis://[::1]:6380/2 scope desk-a");
}

}  // namespace
}  // namespace mlgov
