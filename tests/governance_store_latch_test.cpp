// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The latch over a store that decides later (as the Redis store does: every
// failure answered kQueued, the fleet's decision and the store's health
// delivered through GovernanceStoreObserver): the rules written at the top
// of src/governance/latch.h. The store here is a test double of an
// interface this project owns (GovernanceStore): it records what the latch
// hands it and lets the test play the store's background thread. The real
// stores are exercised elsewhere: the file store by latch_test,
// governed_predictor_test and governance_process_test; Redis by the
// redis_*_test and fleet_*_test programs against a real redis-server.
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "governance/latch.h"
#include "mlgov/governance_store.h"
#include "predictor_fixture.h"
#include "test_support.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using internal::Latch;
using internal::LatchOptions;

// What open() does: return `open_record`, or throw.
enum class OpenResult { kRecord, kUnavailable, kGarbage };

class QueuedStore final : public GovernanceStore {
 public:
  OpenResult open_result = OpenResult::kRecord;
  GovernanceRecord open_record;
  GovernanceStoreObserver* observer = nullptr;
  bool started = false;
  bool stopped = false;
  bool superseded = false;
  bool disable_throws = false;
  std::vector<StoreFailure> pushed;
  std::vector<std::string> operator_calls;

  // When set, disable() and reenable() wait inside the store until
  // release_operator_calls(), as the Redis store's operator path waits on the
  // network.
  void block_operator_calls() {
    std::lock_guard<std::mutex> lock(gate_mu_);
    gate_closed_ = true;
  }
  void release_operator_calls() {
    {
      std::lock_guard<std::mutex> lock(gate_mu_);
      gate_closed_ = false;
    }
    gate_cv_.notify_all();
  }
  void wait_until_an_operator_call_waits() {
    std::unique_lock<std::mutex> lock(gate_mu_);
    gate_cv_.wait(lock, [&] { return waiting_ > 0; });
  }

  std::string describe() const override { return "test-store scope desk-a"; }
  GovernanceRecord open(std::string_view) override {
    if (open_result == OpenResult::kUnavailable) {
      throw StoreUnavailableError("test-store: connection refused");
    }
    if (open_result == OpenResult::kGarbage) {
      throw GovernanceStateError("test-store: state: unknown value \"MAYBE\"");
    }
    return open_record;
  }
  void start(GovernanceStoreObserver* o) override {
    observer = o;
    started = true;
  }
  void stop() noexcept override { stopped = true; }
  FailureOutcome record_failure(const StoreFailure& failure, const FailureRule&) noexcept override {
    pushed.push_back(failure);
    return FailureOutcome{};  // kQueued
  }
  GovernanceRecord reenable(std::string_view op, std::string_view reason,
                            std::chrono::system_clock::time_point now) override {
    operator_calls.push_back("reenable");
    wait_at_gate();
    GovernanceRecord r;
    apply_reenable(r, op, reason, now);
    return r;
  }
  GovernanceRecord disable(std::string_view op, std::string_view reason,
                           std::chrono::system_clock::time_point now) override {
    operator_calls.push_back("disable");
    wait_at_gate();
    if (disable_throws) throw StoreUnavailableError("test-store: connection refused");
    GovernanceRecord r;
    apply_operator_disable(r, op, reason, now);
    return r;
  }
  GovernanceRecord read() override { return open_record; }
  void poll() noexcept override {}
  bool delivery_superseded() const noexcept override { return superseded; }

 private:
  void wait_at_gate() {
    std::unique_lock<std::mutex> lock(gate_mu_);
    ++waiting_;
    gate_cv_.notify_all();
    gate_cv_.wait(lock, [&] { return !gate_closed_; });
    --waiting_;
  }
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  bool gate_closed_ = false;
  int waiting_ = 0;
};

class RecordingSink final : public EventSink {
 public:
  std::vector<GovernanceEvent> events;
  void on_event(const GovernanceEvent& e) noexcept override { events.push_back(e); }
  void on_heartbeat(const HeartbeatRecord&) noexcept override {}
  std::vector<GovernanceEvent> with_status(const std::string& status) const {
    std::vector<GovernanceEvent> out;
    for (const auto& e : events) {
      if (e.status == status) out.push_back(e);
    }
    return out;
  }
};

class RecordingListener final : public StateListener {
 public:
  std::vector<MlState> states;  // the new state of each change
  void on_state_change(MlState, MlState new_state, std::string_view) noexcept override {
    states.push_back(new_state);
  }
};

// A shared record as another engine's latch leaves it.
GovernanceRecord latched_record(const std::string& event = "DISABLED_BY_GOVERNANCE") {
  GovernanceRecord r;
  r.disabled = true;
  r.since = "2026-01-01T00:00:00.000Z";
  r.reason = "3 failures within 300s on engine b";
  r.history.push_back({r.since, event, "", r.reason});
  return r;
}

GovernanceRecord enabled_record() {
  GovernanceRecord r;
  r.since = "2026-01-01T00:10:00.000Z";
  r.reason = "re-enabled by alice: fixed";
  r.history.push_back({r.since, "REENABLED", "alice", "fixed"});
  return r;
}

class QueuedStoreLatch : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  std::shared_ptr<QueuedStore> store = std::make_shared<QueuedStore>();
  RecordingListener listener;

  LatchOptions options(bool runs_local = false) {
    LatchOptions o;
    o.clock = clock;
    o.sink = sink;
    o.listener = &listener;
    o.store = store;
    o.unavailable_runs_local = runs_local;
    o.max_failures = 3;
    o.window_seconds = 300;
    o.model = "ml_v1";
    return o;
  }
  // open() and start() as the predictor does, ENABLED|OK when nothing holds.
  std::unique_ptr<Latch> started(bool runs_local = false) {
    auto latch = std::make_unique<Latch>(options(runs_local));
    const bool latched = latch->open();
    latch->start(latched, MlState::kEnabledOk);
    return latch;
  }
  static void fail(Latch& latch, int n) {
    for (int i = 0; i < n; ++i) latch.record_failure("GOOG", "MODEL_ERROR", "m", Json::object());
  }
};

TEST_F(QueuedStoreLatch, FailuresBelowTheLimitArePushedAndLeaveMlOn) {
  auto latch = started();
  fail(*latch, 2);
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  ASSERT_EQ(store->pushed.size(), 2u);
  EXPECT_EQ(store->pushed[0].failure.symbol, "GOOG");
  EXPECT_EQ(store->pushed[0].failure.reason, "MODEL_ERROR");
  EXPECT_EQ(sink->with_status("FAILURE_RECORDED").size(), 2u);
}

TEST_F(QueuedStoreLatch, EveryPushedFailureHasItsOwnId) {
  auto latch = started();
  fail(*latch, 2);
  ASSERT_EQ(store->pushed.size(), 2u);
  EXPECT_FALSE(store->pushed[0].id.empty());
  EXPECT_NE(store->pushed[0].id, store->pushed[1].id);
}

TEST_F(QueuedStoreLatch, TheFailureThatFillsTheLocalWindowLatchesAtOnce) {
  auto latch = started();
  fail(*latch, 3);
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(store->pushed.size(), 3u);  // the third is pushed too: the fleet counts it
  const auto latched = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latched.size(), 1u);
  EXPECT_EQ(latched[0].level, spdlog::level::critical);
  EXPECT_EQ(listener.states, std::vector<MlState>{MlState::kDisabledGovernance});
}

TEST_F(QueuedStoreLatch, AStaleSharedEnabledRecordDoesNotLiftALocalLatchNotYetShared) {
  auto latch = started();
  fail(*latch, 3);
  store->observer->on_shared_change(GovernanceRecord{});  // published before the push landed
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, OnceTheFleetHoldsTheLatchASharedReenableLiftsIt) {
  auto latch = started();
  fail(*latch, 3);
  store->observer->on_shared_change(latched_record());  // the fleet's latch
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  store->observer->on_shared_change(enabled_record());  // an operator, from anywhere
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  EXPECT_EQ(latch->failures_in_window(), 0u);  // the shared window is empty again
  EXPECT_EQ(sink->with_status("REENABLED").size(), 1u);
}

TEST_F(QueuedStoreLatch, AnotherEnginesLatchArrivesThroughASharedChange) {
  auto latch = started();
  store->observer->on_shared_change(latched_record());
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "SHARED_STATE_CHANGED");
  EXPECT_EQ(listener.states, std::vector<MlState>{MlState::kDisabledGovernance});
}

TEST_F(QueuedStoreLatch, AnOperatorsDisableElsewhereIsReportedAsTheOperators) {
  auto latch = started();
  store->observer->on_shared_change(latched_record("DISABLED_BY_OPERATOR"));
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  ASSERT_EQ(sink->with_status("DISABLED_BY_OPERATOR").size(), 1u);
  EXPECT_EQ(sink->with_status("DISABLED_BY_OPERATOR")[0].level, spdlog::level::err);
}

TEST_F(QueuedStoreLatch, ASupersededDeliveryIsIgnored) {
  auto latch = started();
  store->superseded = true;
  store->observer->on_shared_change(latched_record());
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  EXPECT_TRUE(listener.states.empty());
}

TEST_F(QueuedStoreLatch, DegradedKeepsTheLastKnownStateWithAWarning) {
  auto latch = started();
  store->observer->on_health_change(StoreHealth::kDegraded, "connection lost");
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  EXPECT_EQ(latch->store_health(), StoreHealth::kDegraded);
  const auto events = sink->with_status("STORE_DEGRADED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].level, spdlog::level::warn);
  EXPECT_TRUE(listener.states.empty());
}

TEST_F(QueuedStoreLatch, DegradedKeepsALatchedStateLatched) {
  auto latch = started();
  store->observer->on_shared_change(latched_record());
  store->observer->on_health_change(StoreHealth::kDegraded, "connection lost");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, UnavailableBeyondGraceDisablesWithStoreUnavailable) {
  auto latch = started();
  store->observer->on_health_change(StoreHealth::kDegraded, "connection lost");
  store->observer->on_health_change(StoreHealth::kUnavailable, "lost for 30 s");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(latch->store_health(), StoreHealth::kUnavailable);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "STORE_UNAVAILABLE");
  EXPECT_EQ(events[0].level, spdlog::level::critical);
  EXPECT_EQ(listener.states, std::vector<MlState>{MlState::kDisabledGovernance});
}

TEST_F(QueuedStoreLatch, BackToOkWithASharedEnabledRecordReenables) {
  auto latch = started();
  store->observer->on_health_change(StoreHealth::kUnavailable, "lost for 30 s");
  store->observer->on_health_change(StoreHealth::kOk, "reconnected");
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  EXPECT_EQ(latch->store_health(), StoreHealth::kOk);
  EXPECT_EQ(listener.states,
            (std::vector<MlState>{MlState::kDisabledGovernance, MlState::kEnabledOk}));
}

TEST_F(QueuedStoreLatch, BackToOkWithASharedLatchStaysDisabled) {
  auto latch = started();
  store->observer->on_health_change(StoreHealth::kUnavailable, "lost for 30 s");
  store->observer->on_shared_change(latched_record());  // latched meanwhile, read on reconnect
  store->observer->on_health_change(StoreHealth::kOk, "reconnected");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, BackToOkDoesNotLiftALocalLatchTheFleetHasNotSeen) {
  auto latch = started();
  store->observer->on_health_change(StoreHealth::kDegraded, "connection lost");
  fail(*latch, 3);  // latched locally while the store was away
  store->observer->on_health_change(StoreHealth::kUnavailable, "lost for 30 s");
  store->observer->on_health_change(StoreHealth::kOk, "reconnected");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, UnavailableWithOnUnavailableLocalRunsOnTheLocalLatch) {
  auto latch = started(/*runs_local=*/true);
  store->observer->on_health_change(StoreHealth::kUnavailable, "lost for 30 s");
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  const auto warnings = sink->with_status("STORE_UNAVAILABLE");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].level, spdlog::level::warn);
  fail(*latch, 3);
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, UnreachableAtStartStartsDisabledAndStillStartsTheStore) {
  store->open_result = OpenResult::kUnavailable;
  auto latch = started();
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  EXPECT_TRUE(store->started);  // so that it reconnects in the background
  EXPECT_EQ(latch->store_health(), StoreHealth::kUnavailable);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "STORE_UNAVAILABLE");
  EXPECT_EQ(events[0].level, spdlog::level::critical);
}

TEST_F(QueuedStoreLatch, UnreachableAtStartThenReachableFollowsTheSharedRecord) {
  store->open_result = OpenResult::kUnavailable;
  auto latch = started();
  store->observer->on_health_change(StoreHealth::kOk, "connected");
  store->observer->on_shared_change(GovernanceRecord{});
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
}

TEST_F(QueuedStoreLatch, UnreachableAtStartInLocalModeStartsEnabledWithAWarning) {
  store->open_result = OpenResult::kUnavailable;
  auto latch = started(/*runs_local=*/true);
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  EXPECT_TRUE(store->started);
  ASSERT_EQ(sink->with_status("STORE_UNAVAILABLE").size(), 1u);
  EXPECT_EQ(sink->with_status("STORE_UNAVAILABLE")[0].level, spdlog::level::warn);
  EXPECT_TRUE(sink->with_status("DISABLED_BY_GOVERNANCE").empty());
}

TEST_F(QueuedStoreLatch, ReachableDuringModelLoadingAfterAnUnreachableOpenStartsEnabled) {
  store->open_result = OpenResult::kUnavailable;
  Latch latch(options());
  const bool latched = latch.open();
  EXPECT_TRUE(latched);
  store->observer->on_health_change(StoreHealth::kOk, "connected");
  store->observer->on_shared_change(GovernanceRecord{});
  latch.start(latched, MlState::kEnabledOk);
  EXPECT_EQ(latch.state(), MlState::kEnabledOk);
}

TEST_F(QueuedStoreLatch, GarbageAtOpenStartsDisabledLoudly) {
  store->open_result = OpenResult::kGarbage;
  auto latch = started();
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].level, spdlog::level::critical);
  EXPECT_EQ(events[0].reason, "STORE_UNREADABLE");
  EXPECT_NE(events[0].message.find("MAYBE"), std::string::npos) << events[0].message;
}

TEST_F(QueuedStoreLatch, GarbageWhileRunningDisablesLoudly) {
  auto latch = started();
  store->observer->on_store_unreadable("test-store: {mlgov:desk-a}:state: state \"MAYBE\"");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].level, spdlog::level::critical);
  EXPECT_EQ(events[0].reason, "STORE_UNREADABLE");
}

TEST_F(QueuedStoreLatch, TheStoreComingBackAfterGarbageDoesNotReenable) {
  auto latch = started();
  store->observer->on_store_unreadable("test-store: state: garbage");
  store->observer->on_health_change(StoreHealth::kDegraded, "lost");
  store->observer->on_health_change(StoreHealth::kOk, "back");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, ALatchDeliveredWhileModelsLoadIsAppliedAtStartWithItsEvent) {
  Latch latch(options());
  const bool latched = latch.open();
  EXPECT_FALSE(latched);
  store->observer->on_shared_change(latched_record());
  latch.start(latched, MlState::kEnabledOk);
  EXPECT_EQ(latch.state(), MlState::kDisabledGovernance);
  EXPECT_EQ(sink->with_status("DISABLED_BY_GOVERNANCE").size(), 1u);
}

TEST_F(QueuedStoreLatch, ReenableGoesThroughTheStoreAndLiftsALocalLatch) {
  auto latch = started();
  fail(*latch, 3);
  latch->reenable("alice", "fixed the feed");
  EXPECT_EQ(store->operator_calls, std::vector<std::string>{"reenable"});
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
  EXPECT_EQ(latch->failures_in_window(), 0u);
}

TEST_F(QueuedStoreLatch, ADisableTheStoreCannotTakeStillStopsMlHere) {
  auto latch = started();
  store->disable_throws = true;
  latch->disable("bob", "INC-1");
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  const auto events = sink->with_status("STATE_NOT_PERSISTED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].level, spdlog::level::critical);
  // Not in the shared record: a shared ENABLED never lifts it.
  store->observer->on_shared_change(GovernanceRecord{});
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

// Deadlock detectors, not timings: a call blocked behind the operator's
// store call never completes until the store is released, so a generous
// bound tells "completed meanwhile" from "waited for the store".
constexpr auto kDeadlockBound = 30s;

TEST_F(QueuedStoreLatch, AFailureIsRecordedWhileAnOperatorDisableWaitsOnTheStore) {
  auto latch = started();
  store->block_operator_calls();
  std::thread operator_thread([&] { latch->disable("bob", "INC-1"); });
  store->wait_until_an_operator_call_waits();
  auto failure = std::async(std::launch::async, [&] { fail(*latch, 1); });
  const bool completed_meanwhile = failure.wait_for(kDeadlockBound) == std::future_status::ready;
  const MlState state_meanwhile = latch->state();
  store->release_operator_calls();
  operator_thread.join();
  failure.get();
  EXPECT_TRUE(completed_meanwhile) << "record_failure waited for the operator's store call";
  EXPECT_EQ(state_meanwhile, MlState::kDisabledGovernance);  // ML off before the store answers
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(sink->with_status("DISABLED_BY_OPERATOR").size(), 1u);
}

TEST_F(QueuedStoreLatch, AFailureIsRecordedWhileAnOperatorReenableWaitsOnTheStore) {
  auto latch = started();
  fail(*latch, 3);
  store->block_operator_calls();
  std::thread operator_thread([&] { latch->reenable("alice", "fixed the feed"); });
  store->wait_until_an_operator_call_waits();
  auto failure = std::async(std::launch::async, [&] { fail(*latch, 1); });
  const bool completed_meanwhile = failure.wait_for(kDeadlockBound) == std::future_status::ready;
  store->release_operator_calls();
  operator_thread.join();
  failure.get();
  EXPECT_TRUE(completed_meanwhile) << "record_failure waited for the operator's store call";
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
}

TEST_F(QueuedStoreLatch, ADeliveryWhileAnOperatorDisableWaitsOnTheStoreCompletesAndKeepsMlOff) {
  auto latch = started();
  store->block_operator_calls();
  std::thread operator_thread([&] { latch->disable("bob", "INC-1"); });
  store->wait_until_an_operator_call_waits();
  // Read before the disable reached the store: it says ENABLED.
  auto delivery =
      std::async(std::launch::async, [&] { store->observer->on_shared_change(enabled_record()); });
  const bool completed_meanwhile = delivery.wait_for(kDeadlockBound) == std::future_status::ready;
  const MlState state_meanwhile = latch->state();
  store->release_operator_calls();
  operator_thread.join();
  delivery.get();
  EXPECT_TRUE(completed_meanwhile) << "the delivery waited for the operator's store call";
  EXPECT_EQ(state_meanwhile, MlState::kDisabledGovernance);
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
  EXPECT_TRUE(sink->with_status("REENABLED").empty());
}

TEST_F(QueuedStoreLatch, AnInvalidReenableIsRefusedBeforeTheStoreIsCalled) {
  auto latch = started();
  fail(*latch, 3);
  EXPECT_THROW(latch->reenable("", "fixed"), std::invalid_argument);
  EXPECT_TRUE(store->operator_calls.empty());
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

// A shared ENABLED record whose newest change is an operator's re-enable
// stamped at `ts` (as `mlgov governance reenable` leaves it).
GovernanceRecord reenabled_at(const std::string& ts) {
  GovernanceRecord r = latched_record();
  r.disabled = false;
  r.since = ts;
  r.reason = "re-enabled by alice: fixed";
  r.history.push_back({ts, "REENABLED", "alice", "fixed"});
  return r;
}

TEST_F(QueuedStoreLatch, AnOperatorsReenableAfterALocalLatchNotYetSharedLiftsIt) {
  clock->advance(10min);  // the local latch at 00:10:00.000
  auto latch = started();
  fail(*latch, 3);
  store->observer->on_shared_change(reenabled_at("2026-01-01T00:10:00.001Z"));
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
}

TEST_F(QueuedStoreLatch, AnOperatorsReenableBeforeALocalLatchNotYetSharedDoesNotLiftIt) {
  clock->advance(10min);  // the local latch at 00:10:00.000
  auto latch = started();
  fail(*latch, 3);
  store->observer->on_shared_change(reenabled_at("2026-01-01T00:09:59.999Z"));
  EXPECT_EQ(latch->state(), MlState::kDisabledGovernance);
}

TEST_F(QueuedStoreLatch, AnOperatorsReenableElsewhereRestartsThisProcesssWindow) {
  clock->advance(10min);
  auto latch = started();
  fail(*latch, 2);
  ASSERT_EQ(latch->failures_in_window(), 2u);
  store->observer->on_shared_change(reenabled_at("2026-01-01T00:10:00.001Z"));  // empty window
  EXPECT_EQ(latch->failures_in_window(), 0u);
  fail(*latch, 2);  // two more do not trip: the two before the re-enable no longer count
  EXPECT_EQ(latch->state(), MlState::kEnabledOk);
}

TEST_F(QueuedStoreLatch, TheLatchStopsItsStoreWhenDestroyed) {
  started().reset();
  EXPECT_TRUE(store->stopped);
}

// --- The predictor's choice of store -----------------------------------------

TEST(PredictorGovernanceStore, RedisWithoutAnInjectedStoreIsAConfigErrorSayingWhatToLink) {
  mlgov::testing::TempDir dir;
  Config config = mlgov::testing::test_config(dir.path());
  config.governance.store = GovernanceConfig::Store::kRedis;
  config.governance.redis.url = "redis://127.0.0.1:6379/0";
  config.governance.redis.scope = "desk-a";
  try {
    GovernedPredictor predictor(config, mlgov::testing::ml_v1());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("mlgov::redis"), std::string::npos) << msg;
    EXPECT_NE(msg.find("make_redis_governance_store"), std::string::npos) << msg;
  }
}

TEST(PredictorGovernanceStore, AnInjectedStoreIsTheOneUsedAndTheStateFileIsNotTouched) {
  mlgov::testing::TempDir dir;
  Config config = mlgov::testing::test_config(dir.path());
  config.governance.store = GovernanceConfig::Store::kRedis;
  auto store = std::make_shared<QueuedStore>();
  store->open_record = latched_record();
  PredictorOptions options;
  options.governance_store = store;
  options.logger = std::make_shared<RecordingSink>();
  GovernedPredictor predictor(config, mlgov::testing::ml_v1(), options);
  EXPECT_TRUE(store->started);
  EXPECT_EQ(predictor.state(), MlState::kDisabledGovernance);  // the store's record
  EXPECT_FALSE(std::filesystem::exists(config.governance.state_file));
}

TEST(PredictorGovernanceStore, InMemoryGovernanceIgnoresTheConfiguredStore) {
  mlgov::testing::TempDir dir;
  Config config = mlgov::testing::test_config(dir.path());
  config.governance.store = GovernanceConfig::Store::kRedis;
  PredictorOptions options;
  options.in_memory_governance = true;
  options.logger = std::make_shared<RecordingSink>();
  GovernedPredictor predictor(config, mlgov::testing::ml_v1(), options);
  EXPECT_EQ(predictor.state(), MlState::kEnabledOk);
}

TEST(PredictorGovernanceStore, ALostStoreMakesTheHeartbeatDegradedAndShowsInTheMetrics) {
  mlgov::testing::TempDir dir;
  Config config = mlgov::testing::test_config(dir.path());
  auto store = std::make_shared<QueuedStore>();
  PredictorOptions options;
  options.governance_store = store;
  options.logger = std::make_shared<RecordingSink>();
  GovernedPredictor predictor(config, mlgov::testing::ml_v1(), options);
  store->observer->on_health_change(StoreHealth::kDegraded, "connection lost");
  EXPECT_EQ(predictor.heartbeat(10s, 0, 1),
            "[HEARTBEAT] uptime=10s | symbols=0 | cycles=1 | state=DEGRADED | "
            "ml_state=ENABLED|OK | model_errors=0 | store=DEGRADED");
  EXPECT_EQ(predictor.metrics().store_health, StoreHealth::kDegraded);
  EXPECT_EQ(predictor.metrics().host_state, HostState::kDegraded);
}

}  // namespace
}  // namespace mlgov
