// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The heartbeat line operators grep for and its JSON record (how a record
// travels to live.jsonl is in logging_test.cpp and governed_predictor_test.cpp).
#include "mlgov/heartbeat.h"

#include <string>

#include <gtest/gtest.h>

namespace mlgov {
namespace {

using namespace std::chrono_literals;

// The example of the runbook (RUNBOOKS/ML_HYGIENE.md).
HeartbeatRecord runbook_example() {
  HeartbeatRecord in;
  in.uptime = 159s;
  in.symbols = 225;
  in.cycles = 2;
  in.ml_state = MlState::kDisabledGovernance;
  in.model_errors = 574;
  return in;
}

HeartbeatRecord with_state(MlState state, bool halted = false) {
  HeartbeatRecord in = runbook_example();
  in.ml_state = state;
  in.host_halted = halted;
  return in;
}

TEST(HeartbeatLine, MatchesTheRunbookExampleExactly) {
  EXPECT_EQ(format_heartbeat_line(runbook_example()),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
            "ml_state=DISABLED_GOVERNANCE | model_errors=574");
}

TEST(HeartbeatLine, EnabledOkIsOk) {
  EXPECT_EQ(format_heartbeat_line(with_state(MlState::kEnabledOk)),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=OK | "
            "ml_state=ENABLED|OK | model_errors=574");
}

TEST(HeartbeatLine, EnabledDegradedIsDegraded) {
  EXPECT_EQ(format_heartbeat_line(with_state(MlState::kEnabledDegraded)),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
            "ml_state=ENABLED|DEGRADED | model_errors=574");
}

TEST(HeartbeatLine, DisabledByConfigIsOk) {
  // Turning ML off in the config is a choice, not a fault.
  EXPECT_EQ(format_heartbeat_line(with_state(MlState::kDisabledConfig)),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=OK | "
            "ml_state=DISABLED_CONFIG | model_errors=574");
}

TEST(HeartbeatLine, HostHaltedWinsOverEveryMlState) {
  for (MlState s : {MlState::kEnabledOk, MlState::kEnabledDegraded, MlState::kDisabledConfig,
                    MlState::kDisabledGovernance}) {
    EXPECT_EQ(heartbeat_state(with_state(s, /*halted=*/true)), "HALTED");
  }
  EXPECT_EQ(format_heartbeat_line(with_state(MlState::kEnabledOk, true)),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=HALTED | "
            "ml_state=ENABLED|OK | model_errors=574");
}

TEST(HeartbeatLine, ZeroesAndLargeCounters) {
  HeartbeatRecord in;
  in.ml_state = MlState::kEnabledOk;
  EXPECT_EQ(format_heartbeat_line(in),
            "[HEARTBEAT] uptime=0s | symbols=0 | cycles=0 | state=OK | ml_state=ENABLED|OK | "
            "model_errors=0");
  in.cycles = 18446744073709551615ULL;  // 2^64 - 1
  EXPECT_NE(format_heartbeat_line(in).find("cycles=18446744073709551615 |"), std::string::npos);
}

TEST(HeartbeatJson, CarriesTheSameFieldsStampedWithTheRecordTime) {
  // 2026-01-01T00:00:00Z is 1'767'225'600 s after the epoch (see logging_test).
  HeartbeatRecord h = runbook_example();
  h.time = std::chrono::system_clock::time_point(1'767'225'600s + 42ms);
  EXPECT_EQ(format_heartbeat_json(h),
            R"({"ts":"2026-01-01T00:00:00.042Z","component":"HEARTBEAT","level":"INFO",)"
            R"("uptime_s":159,"symbols":225,"cycles":2,"state":"DEGRADED",)"
            R"("ml_state":"DISABLED_GOVERNANCE","model_errors":574})");
}

// --- The governance store's health ------------------------------------------

TEST(HeartbeatStore, AStoreNotOkMakesAnEnabledEngineDegradedAndIsNamedOnTheLine) {
  HeartbeatRecord h = with_state(MlState::kEnabledOk);
  h.store = "redis redis://127.0.0.1:6379/0 scope desk-a";
  h.store_health = StoreHealth::kDegraded;
  EXPECT_EQ(format_heartbeat_line(h),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
            "ml_state=ENABLED|OK | model_errors=574 | store=DEGRADED");
}

TEST(HeartbeatStore, AnUnavailableStoreIsNamedOnTheLine) {
  HeartbeatRecord h = with_state(MlState::kDisabledGovernance);
  h.store = "redis redis://127.0.0.1:6379/0 scope desk-a";
  h.store_health = StoreHealth::kUnavailable;
  EXPECT_EQ(format_heartbeat_line(h),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
            "ml_state=DISABLED_GOVERNANCE | model_errors=574 | store=UNAVAILABLE");
}

TEST(HeartbeatStore, AHealthyStoreLeavesTheLineAsItWas) {
  HeartbeatRecord h = with_state(MlState::kEnabledOk);
  h.store = "file runtime/governance_state.json";
  EXPECT_EQ(format_heartbeat_line(h),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=OK | ml_state=ENABLED|OK | "
            "model_errors=574");
}

TEST(HeartbeatStore, HaltedStillWinsOverTheStore) {
  HeartbeatRecord h = with_state(MlState::kEnabledOk, /*halted=*/true);
  h.store_health = StoreHealth::kUnavailable;
  EXPECT_EQ(heartbeat_state(h), "HALTED");
}

TEST(HeartbeatStore, TheJsonRecordCarriesTheStoreAndItsHealth) {
  HeartbeatRecord h = with_state(MlState::kEnabledOk);
  h.time = std::chrono::system_clock::time_point(1'767'225'600s);
  h.store = "redis redis://127.0.0.1:6379/0 scope desk-a";
  h.store_health = StoreHealth::kDegraded;
  EXPECT_EQ(format_heartbeat_json(h),
            R"({"ts":"2026-01-01T00:00:00.000Z","component":"HEARTBEAT","level":"INFO",)"
            R"("uptime_s":159,"symbols":225,"cycles":2,"state":"DEGRADED",)"
            R"("ml_state":"ENABLED|OK","model_errors":574,)"
            R"("store":"redis redis://127.0.0.1:6379/0 scope desk-a","store_health":"DEGRADED"})");
}

}  // namespace
}  // namespace mlgov
