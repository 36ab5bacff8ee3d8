// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The sliding-window failure counter and the governance state file.
#include "mlgov/governance.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/clock.h"
#include "test_support.h"

using mlgov::internal::read_file;

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
  EXPECT_EQ(doc["format"], "mlgov-governance-state/2");
  EXPECT_TRUE(doc["window_failures"].is_array());
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
  // No temporary file is left beside it: only the file and its lock file.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"state.json", "state.json.lock"}));
}

TEST(GovernanceState, ReenableRefusesToOverwriteGarbage) {
  TempDir dir;
  const auto file = dir / "state.json";
  write_text(file, "garbage");
  ManualClock clock;
  EXPECT_THROW(reenable_governance_state_file(file, "bob", "x", clock), GovernanceStateError);
  EXPECT_EQ(read_file(file), "garbage");
}

// ---------------------------------------------------------------------------
// The shared window, old files, hostile files, the lock

// 2026-01-01T00:00:00Z (see ReenableClearsLatchAndAppendsAuditEntry) plus `s` seconds.
std::chrono::system_clock::time_point wall(long long s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600 + s));
}

TEST(GovernanceState, WindowFailuresInsideTheWindowCount) {
  GovernanceRecord r;
  r.window_failures = {"2026-01-01T00:00:00.000Z", "2026-01-01T00:04:00.000Z"};
  EXPECT_EQ(failures_in_window(r, wall(299), 300s), 2u);
  EXPECT_EQ(failures_in_window(r, wall(300), 300s), 1u);  // half-open: 300 s old is out
  EXPECT_EQ(failures_in_window(r, wall(540), 300s), 0u);
}

// A clock that went backwards across a restart: the failure looks like it
// happened in the future. It counts (fail safe).
TEST(GovernanceState, WindowFailureInTheFutureCounts) {
  GovernanceRecord r;
  r.window_failures = {"2026-01-01T01:00:00.000Z"};
  EXPECT_EQ(failures_in_window(r, wall(0), 300s), 1u);
}

TEST(GovernanceState, Format1FileIsReadAndItsLatchHonoured) {
  TempDir dir;
  write_text(dir / "s.json",
             R"({"format":"mlgov-governance-state/1","state":"DISABLED_GOVERNANCE",)"
             R"("since":"2026-01-01T00:05:00.000Z","reason":"3 failures","last_failures":[],)"
             R"("history":[{"ts":"2026-01-01T00:05:00.000Z","event":"DISABLED_BY_GOVERNANCE",)"
             R"("reason":"3 failures"}]})");
  const GovernanceRecord r = read_governance_state(dir / "s.json");
  EXPECT_TRUE(r.disabled);
  EXPECT_TRUE(r.window_failures.empty());
  // Upgraded on write, history kept.
  ManualClock clock;
  reenable_governance_state_file(dir / "s.json", "alice", "fixed", clock);
  const auto doc = nlohmann::json::parse(read_file(dir / "s.json"));
  EXPECT_EQ(doc["format"], "mlgov-governance-state/2");
  ASSERT_EQ(doc["history"].size(), 2u);
  EXPECT_EQ(doc["history"][0]["event"], "DISABLED_BY_GOVERNANCE");
}

TEST(GovernanceState, MissingFileReadsAsNotExisting) {
  TempDir dir;
  const GovernanceStateFile f = read_governance_state_file(dir / "absent.json");
  EXPECT_FALSE(f.exists);
  EXPECT_FALSE(f.record.disabled);
}

// What a refusal must look like: GovernanceStateError naming the file and saying why.
void expect_refused(const std::filesystem::path& file, const std::string& why) {
  try {
    read_governance_state_file(file);
    FAIL() << file << " was accepted";
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST(GovernanceState, SymlinkIsRefusedEvenToAValidFile) {
  TempDir dir;
  write_governance_state(dir / "real.json", latched_record());
  std::filesystem::create_symlink(dir / "real.json", dir / "state.json");
  expect_refused(dir / "state.json", "symbolic link");
}

// A dangling symlink used to read as "missing", i.e. ENABLED.
TEST(GovernanceState, DanglingSymlinkIsRefusedNotMissing) {
  TempDir dir;
  std::filesystem::create_symlink(dir / "nowhere.json", dir / "state.json");
  expect_refused(dir / "state.json", "symbolic link");
}

// A FIFO used to block start-up forever.
TEST(GovernanceState, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "state.json").c_str(), 0600), 0);
  expect_refused(dir / "state.json", "is a FIFO");
}

TEST(GovernanceState, DeviceIsRefused) { expect_refused("/dev/null", "is a device"); }

TEST(GovernanceState, DirectoryIsRefused) {
  TempDir dir;
  std::filesystem::create_directory(dir / "state.json");
  expect_refused(dir / "state.json", "is a directory");
}

// 1e999 overflows a double: nlohmann's out_of_range used to escape.
TEST(GovernanceState, NumberOutOfRangeIsAStateErrorNamingTheField) {
  try {
    parse_governance_record(
        R"({"format":"mlgov-governance-state/2","state":"ENABLED","since":"","reason":"",)"
        R"("window_failures":[],"last_failures":[],"history":[{"ts":1e999}]})",
        "f.json");
    FAIL();
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: not valid JSON: history[0].ts:"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("number overflow"), std::string::npos) << e.what();
  }
}

// nlohmann's DOM parser recurses; a deep document is refused before it runs.
TEST(GovernanceState, DeeplyNestedDocumentIsRefusedWithoutRecursion) {
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  try {
    parse_governance_record(deep, "f.json");
    FAIL();
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than"), std::string::npos) << e.what();
  }
  const std::string in_history =
      R"({"format":"mlgov-governance-state/2","state":"ENABLED","since":"","reason":"",)"
      R"("window_failures":[],"last_failures":[],"history":[{"ts":[[[]]]}]})";
  EXPECT_THROW(parse_governance_record(in_history, "f.json"), GovernanceStateError);
}

TEST(GovernanceState, WindowFailureThatIsNotATimeIsAStateError) {
  try {
    parse_governance_record(
        R"({"format":"mlgov-governance-state/2","state":"ENABLED","since":"","reason":"",)"
        R"("window_failures":["yesterday"],"last_failures":[],"history":[]})",
        "f.json");
    FAIL();
  } catch (const GovernanceStateError& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: window_failures[0]"), std::string::npos)
        << e.what();
  }
}

TEST(GovernanceState, FileWritableByOthersGivesAWarning) {
  TempDir dir;
  write_governance_state(dir / "s.json", latched_record());
  std::filesystem::permissions(dir / "s.json", std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  const GovernanceStateFile f = read_governance_state_file(dir / "s.json");
  EXPECT_TRUE(f.record.disabled);
  EXPECT_NE(f.warning.find("writable by others"), std::string::npos) << f.warning;
  std::filesystem::permissions(dir / "s.json", std::filesystem::perms::others_write,
                               std::filesystem::perm_options::remove);
  EXPECT_EQ(read_governance_state_file(dir / "s.json").warning, "");
}

TEST(GovernanceState, OperatorDisableLatchesAndAppendsItsOwnEvent) {
  GovernanceRecord r;
  apply_operator_disable(r, "bob", "INC-7: bad feed", wall(0));
  EXPECT_TRUE(r.disabled);
  EXPECT_EQ(r.reason, "disabled by operator bob: INC-7: bad feed");
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_EQ(r.history[0].event, "DISABLED_BY_OPERATOR");
  EXPECT_EQ(r.history[0].operator_name, "bob");
  EXPECT_EQ(last_disabling_event(r), "DISABLED_BY_OPERATOR");
  EXPECT_THROW(apply_operator_disable(r, " ", "x", wall(0)), std::invalid_argument);
}

// Two writers, each applying its change to the file as it is under the lock:
// neither record is lost (the old code wrote its own in-memory copy back).
TEST(GovernanceState, UpdatesMergeWithWhatAnotherWriterWrote) {
  TempDir dir;
  const auto file = dir / "s.json";
  ManualClock clock;
  disable_governance_state_file(file, "bob", "first", clock);
  reenable_governance_state_file(file, "alice", "second", clock);
  disable_governance_state_file(file, "carol", "third", clock);
  const GovernanceRecord r = read_governance_state(file);
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_EQ(r.history[0].operator_name, "bob");
  EXPECT_EQ(r.history[1].operator_name, "alice");
  EXPECT_EQ(r.history[2].operator_name, "carol");
}

// The lock is an flock on the sidecar file: a holder that dies (here a real
// child process, killed with SIGKILL while it holds the lock) releases it.
TEST(GovernanceState, LockOfAProcessKilledWhileHoldingItIsReleasedByTheKernel) {
  TempDir dir;
  const auto file = dir / "s.json";
  write_governance_state(file, latched_record());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int fd = ::open(governance_lock_file(file).c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(1);
    const char byte = 'L';
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);

  // Held: a writer gives up with a clear error, and the file is untouched.
  GovernanceUpdateOptions o;
  o.lock_timeout = std::chrono::milliseconds(200);
  try {
    update_governance_state_file(
        file, [](GovernanceRecord& r) { r.disabled = false; }, o);
    ADD_FAILURE() << "the lock was not held";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot lock the state file"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(read_governance_state(file).disabled);

  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ManualClock clock;
  const GovernanceRecord r = reenable_governance_state_file(file, "alice", "after kill", clock);
  EXPECT_FALSE(r.disabled);
  EXPECT_FALSE(read_governance_state(file).disabled);
}

TEST(AtomicFile, StaleTemporariesOlderThanTheAgeAreRemovedOthersKept) {
  TempDir dir;
  const auto file = dir / "s.json";
  write_text(dir / ".s.json.tmp.123.456", "old");
  write_text(dir / ".s.json.tmp.124.457", "new");
  write_text(dir / ".other.json.tmp.1.2", "not ours");
  const auto two_days_ago = std::filesystem::file_time_type::clock::now() - 48h;
  std::filesystem::last_write_time(dir / ".s.json.tmp.123.456", two_days_ago);
  std::filesystem::last_write_time(dir / ".other.json.tmp.1.2", two_days_ago);
  const auto removed = remove_stale_temporaries(file, 24h);
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].filename(), ".s.json.tmp.123.456");
  EXPECT_FALSE(std::filesystem::exists(dir / ".s.json.tmp.123.456"));
  EXPECT_TRUE(std::filesystem::exists(dir / ".s.json.tmp.124.457"));
  EXPECT_TRUE(std::filesystem::exists(dir / ".other.json.tmp.1.2"));
}

}  // namespace
}  // namespace mlgov
