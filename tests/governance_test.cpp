// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The sliding-window failure counter and the governance state file.
#include "mlgov/governance.h"

#include <chrono>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlgov/atomic_file.h"
#include "mlgov/clock.h"
#include "test_support.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::write_text;
using TimePoint = std::chrono::steady_clock::time_point;

// t seconds (plus ns nanoseconds) after an arbitrary origin.
TimePoint at(long long seconds, long long ns = 0) {
  return TimePoint(std::chrono::seconds(seconds) + std::chrono::nanoseconds(ns));
}

// ---------------------------------------------------------------------------
// FailureWindow: max_failures 3 within 300 s, as shipped.

TEST(FailureWindow, TwoFailuresDoNotTrip) {
  FailureWindow w(3, 300s);
  EXPECT_FALSE(w.record(at(0)));
  EXPECT_FALSE(w.record(at(1)));
  EXPECT_EQ(w.count_in_window(at(1)), 2u);
}

TEST(FailureWindow, ThirdFailureInsideWindowTrips) {
  FailureWindow w(3, 300s);
  EXPECT_FALSE(w.record(at(0)));
  EXPECT_FALSE(w.record(at(100)));
  EXPECT_TRUE(w.record(at(200)));  // 200 - 0 = 200 s < 300 s
}

// The documented boundary: the window is half-open. At t = 300 s the failure
// at 0 s is exactly 300 s old, so it no longer counts: 100 s and 300 s remain.
TEST(FailureWindow, FailureExactlyWindowAfterOldestDoesNotSeeIt) {
  FailureWindow w(3, 300s);
  w.record(at(0));
  w.record(at(100));
  EXPECT_FALSE(w.record(at(300)));
  EXPECT_EQ(w.count_in_window(at(300)), 2u);
}

// One nanosecond earlier the oldest is still inside: 299.999999999 - 0 < 300.
TEST(FailureWindow, FailureOneNanosecondInsideWindowTrips) {
  FailureWindow w(3, 300s);
  w.record(at(0));
  w.record(at(100));
  EXPECT_TRUE(w.record(at(299, 999'999'999)));
}

// Failures every 150 s: any half-open 300 s window holds at most two of them
// (at t, the failure at t - 300 has just expired), so 100 of them never trip.
TEST(FailureWindow, FailuresSpreadWiderThanWindowNeverTrip) {
  FailureWindow w(3, 300s);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(w.record(at(150LL * i))) << "failure " << i << " at " << 150 * i << " s";
  }
}

TEST(FailureWindow, CountInWindowForgetsExpiredFailures) {
  FailureWindow w(3, 300s);
  w.record(at(0));
  w.record(at(10));
  EXPECT_EQ(w.count_in_window(at(299)), 2u);
  EXPECT_EQ(w.count_in_window(at(300)), 1u);  // 0 s expired
  EXPECT_EQ(w.count_in_window(at(310)), 0u);  // 10 s expired
}

// The ring keeps max_failures timestamps, so the count never exceeds it.
TEST(FailureWindow, KeepsAtMostMaxFailuresTimestamps) {
  FailureWindow w(3, 300s);
  for (int i = 0; i < 10; ++i) w.record(at(i));
  EXPECT_EQ(w.count_in_window(at(10)), 3u);
}

TEST(FailureWindow, ClearForgetsEveryFailure) {
  FailureWindow w(3, 300s);
  w.record(at(0));
  w.record(at(1));
  w.clear();
  EXPECT_EQ(w.count_in_window(at(2)), 0u);
  EXPECT_FALSE(w.record(at(2)));  // only one failure since the clear
  EXPECT_FALSE(w.record(at(3)));
  EXPECT_TRUE(w.record(at(4)));
}

TEST(FailureWindow, MaxFailuresOneTripsOnFirstFailure) {
  FailureWindow w(1, 300s);
  EXPECT_TRUE(w.record(at(0)));
}

TEST(FailureWindow, TimeGoingBackwardsCountsAsNow) {
  FailureWindow w(3, 300s);
  w.record(at(500));
  w.record(at(100));  // clamped to 500
  EXPECT_EQ(w.count_in_window(at(799)), 2u);
}

TEST(FailureWindow, RejectsNonPositiveLimits) {
  EXPECT_THROW(FailureWindow(0, 300s), std::invalid_argument);
  EXPECT_THROW(FailureWindow(3, 0s), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// State file

GovernanceRecord latched_record() {
  GovernanceRecord r;
  r.disabled = true;
  r.since = "2026-01-01T00:05:00.000Z";
  r.reason = "3 failures within 300s";
  r.last_failures.push_back({"2026-01-01T00:04:00.000Z", "GOOG", "FEATURE_MISMATCH", "m1"});
  r.last_failures.push_back(
      {"2026-01-01T00:05:00.000Z", "A\"B\nC", "NON_FINITE_FEATURE", "quote \" newline \n"});
  r.history.push_back({"2026-01-01T00:05:00.000Z", "DISABLED_BY_GOVERNANCE", "", "3 failures"});
  return r;
}

TEST(GovernanceState, MissingFileMeansNeverLatched) {
  TempDir dir;
  const GovernanceRecord r = read_governance_state(dir / "absent.json");
  EXPECT_FALSE(r.disabled);
  EXPECT_TRUE(r.history.empty());
}

TEST(GovernanceState, WriteThenReadGivesTheSameRecord) {
  TempDir dir;
  const auto file = dir / "sub" / "state.json";  // the parent is created
  const GovernanceRecord written = latched_record();
  write_governance_state(file, written);
  const GovernanceRecord read = read_governance_state(file);
  EXPECT_TRUE(read.disabled);
  EXPECT_EQ(read.since, written.since);
  EXPECT_EQ(read.reason, written.reason);
  ASSERT_EQ(read.last_failures.size(), 2u);
  EXPECT_EQ(read.last_failures[1].symbol, "A\"B\nC");
  EXPECT_EQ(read.last_failures[1].message, "quote \" newline \n");
  ASSERT_EQ(read.history.size(), 1u);
  EXPECT_EQ(read.history[0].event, "DISABLED_BY_GOVERNANCE");
}

TEST(GovernanceState, FileIsTheDocumentedJson) {
  TempDir dir;
  write_governance_state(dir / "s.json", latched_record());
  const auto doc = nlohmann::json::parse(read_file(dir / "s.json"));
  EXPECT_EQ(doc["format"], "mlgov-governance-state/1");
  EXPECT_EQ(doc["state"], "DISABLED_GOVERNANCE");
  EXPECT_EQ(doc["since"], "2026-01-01T00:05:00.000Z");
  EXPECT_EQ(doc["last_failures"][0]["symbol"], "GOOG");
  EXPECT_EQ(doc["last_failures"][0]["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(doc["history"][0]["event"], "DISABLED_BY_GOVERNANCE");
}

TEST(GovernanceState, GarbageFileThrowsNamingTheFile) {
  TempDir dir;
  const auto file = dir / "state.json";
  write_text(file, "\x01\x02 not json at all");
  try {
    read_governance_state(file);
    FAIL() << "garbage accepted";
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

TEST(GovernanceState, TruncatedFileThrows) {
  TempDir dir;
  const std::string full = governance_record_to_json(latched_record());
  write_text(dir / "s.json", full.substr(0, full.size() / 2));
  EXPECT_THROW(read_governance_state(dir / "s.json"), GovernanceStateError);
}

TEST(GovernanceState, UnknownStateValueThrowsNamingTheField) {
  try {
    parse_governance_record(
        R"({"format":"mlgov-governance-state/1","state":"enabled-ish","since":"","reason":"",)"
        R"("last_failures":[],"history":[]})",
        "f.json");
    FAIL();
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: state:"), std::string::npos) << e.what();
  }
}

TEST(GovernanceState, WrongFormatOrMissingFieldThrows) {
  EXPECT_THROW(parse_governance_record(R"({"state":"ENABLED"})", "f"), GovernanceStateError);
  EXPECT_THROW(parse_governance_record(
                   R"({"format":"mlgov-governance-state/1","state":"ENABLED","since":"",)"
                   R"("reason":"","last_failures":{},"history":[]})",
                   "f"),
               GovernanceStateError);
  EXPECT_THROW(parse_governance_record("[]", "f"), GovernanceStateError);
  EXPECT_THROW(parse_governance_record("", "f"), GovernanceStateError);
}

TEST(GovernanceState, ReenableNeedsOperatorAndReason) {
  GovernanceRecord r = latched_record();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600));
  EXPECT_THROW(apply_reenable(r, "", "fixed", now), std::invalid_argument);
  EXPECT_THROW(apply_reenable(r, "alice", "  ", now), std::invalid_argument);
  EXPECT_TRUE(r.disabled);  // untouched
}

// 1'767'225'600 s after the epoch is 2026-01-01T00:00:00Z: 1970..2025 are 56
// years with 14 leap days (1972, 1976, ..., 2024), 56 * 365 + 14 = 20454 days,
// and 20454 * 86400 = 1'767'225'600.
TEST(GovernanceState, ReenableClearsLatchAndAppendsAuditEntry) {
  GovernanceRecord r = latched_record();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600) +
                                                         std::chrono::milliseconds(250));
  apply_reenable(r, "alice", "retrained GOOG", now);
  EXPECT_FALSE(r.disabled);
  EXPECT_EQ(r.since, "2026-01-01T00:00:00.250Z");
  EXPECT_EQ(r.reason, "re-enabled by alice: retrained GOOG");
  EXPECT_TRUE(r.last_failures.empty());
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_EQ(r.history[1].event, "REENABLED");
  EXPECT_EQ(r.history[1].operator_name, "alice");
  EXPECT_EQ(r.history[1].reason, "retrained GOOG");
  EXPECT_EQ(r.history[1].ts, "2026-01-01T00:00:00.250Z");
}

TEST(GovernanceState, ReenableFileRewritesItAtomically) {
  TempDir dir;
  const auto file = dir / "state.json";
  write_governance_state(file, latched_record());
  ManualClock clock;
  const GovernanceRecord r = reenable_governance_state_file(file, "bob", "false alarm", clock);
  EXPECT_FALSE(r.disabled);
  const GovernanceRecord back = read_governance_state(file);
  EXPECT_FALSE(back.disabled);
  ASSERT_EQ(back.history.size(), 2u);
  EXPECT_EQ(back.history.back().operator_name, "bob");
  // No temporary file is left beside it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(GovernanceState, ReenableRefusesToOverwriteGarbage) {
  TempDir dir;
  const auto file = dir / "state.json";
  write_text(file, "garbage");
  ManualClock clock;
  EXPECT_THROW(reenable_governance_state_file(file, "bob", "x", clock), GovernanceStateError);
  EXPECT_EQ(read_file(file), "garbage");
}

}  // namespace
}  // namespace mlgov
