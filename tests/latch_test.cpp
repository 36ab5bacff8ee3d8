// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The governance latch on its own: the failure window, the typed events it
// reports, the listener, the state file. Real files in a temporary
// directory; a ManualClock, never a sleep. (The latch seen through the
// predictor, across processes, is in governed_predictor_test.cpp and
// governance_process_test.cpp.)
#include "governance/latch.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlgov/governance.h"
#include "test_support.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using internal::Latch;
using internal::LatchOptions;

// Keeps every record it receives. Single-threaded use (no watcher runs in
// these tests).
class RecordingSink final : public EventSink {
 public:
  std::vector<GovernanceEvent> events;
  std::vector<HeartbeatRecord> heartbeats;
  void on_event(const GovernanceEvent& e) noexcept override { events.push_back(e); }
  void on_heartbeat(const HeartbeatRecord& h) noexcept override { heartbeats.push_back(h); }
  std::vector<GovernanceEvent> with_status(const std::string& status) const {
    std::vector<GovernanceEvent> out;
    for (const auto& e : events) {
      if (e.status == status) out.push_back(e);
    }
    return out;
  }
};

struct Change {
  MlState from;
  MlState to;
  std::string reason;
};

class RecordingListener final : public StateListener {
 public:
  std::vector<Change> changes;
  void on_state_change(MlState old_state, MlState new_state,
                       std::string_view reason) noexcept override {
    changes.push_back({old_state, new_state, std::string(reason)});
  }
};

class LatchTest : public ::testing::Test {
 protected:
  mlgov::testing::TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  RecordingListener listener;

  LatchOptions options(bool in_memory = false) {
    LatchOptions o;
    o.clock = clock;
    o.sink = sink;
    o.listener = &listener;
    if (!in_memory) o.store = make_file_governance_store(state_file(), clock);
    o.max_failures = 3;
    o.window_seconds = 300;
    o.model = "ml_v1";
    return o;
  }
  std::filesystem::path state_file() const { return dir / "state" / "governance_state.json"; }
  static Json mismatch_details() {
    return Json{{"expected", 28}, {"got", 27}, {"missing", {"beta_60"}}, {"extra", Json::array()}};
  }
};

TEST_F(LatchTest, EventsBeforeStartCarryNoMlState) {
  Latch latch(options());
  ASSERT_FALSE(latch.open());  // no file yet: a first start
  const auto missing = sink->with_status("STATE_FILE_MISSING");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].ml_state, std::nullopt);
  EXPECT_EQ(missing[0].level, spdlog::level::warn);
  EXPECT_EQ(missing[0].model, "ml_v1");
}

TEST_F(LatchTest, AFailureIsOneErrorEventCarryingItsDetailsAsGiven) {
  Latch latch(options());
  latch.start(latch.open(), MlState::kEnabledOk);
  clock->advance(1500ms);
  latch.record_failure("GOOG", "FEATURE_MISMATCH", "GOOG: feature mismatch", mismatch_details());
  const auto failures = sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(failures.size(), 1u);
  const GovernanceEvent& e = failures[0];
  EXPECT_EQ(e.level, spdlog::level::err);
  EXPECT_EQ(e.symbol, "GOOG");
  EXPECT_EQ(e.reason, "FEATURE_MISMATCH");
  EXPECT_EQ(e.message, "GOOG: feature mismatch");
  EXPECT_EQ(e.details, mismatch_details());
  EXPECT_EQ(e.ml_state, MlState::kEnabledOk);
  // 2026-01-01T00:00:00Z plus the 1.5 s the clock moved.
  EXPECT_EQ(e.time, std::chrono::system_clock::time_point(1'767'225'600s + 1500ms));
  EXPECT_EQ(latch.state(), MlState::kEnabledOk);
  EXPECT_EQ(latch.failures_in_window(), 1u);
  EXPECT_EQ(latch.last_error(), "GOOG: feature mismatch");
}

TEST_F(LatchTest, ThirdFailureInsideTheWindowLatchesPersistsAndTellsTheListenerOnce) {
  Latch latch(options());
  latch.start(latch.open(), MlState::kEnabledDegraded);
  for (int i = 0; i < 3; ++i) {
    clock->advance(10s);
    latch.record_failure("GOOG", "MODEL_ERROR", "GOOG: model error", Json::object());
  }
  EXPECT_EQ(latch.state(), MlState::kDisabledGovernance);
  EXPECT_EQ(sink->with_status("FAILURE_RECORDED").size(), 2u);
  const auto latched = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latched.size(), 1u);
  EXPECT_EQ(latched[0].level, spdlog::level::critical);
  EXPECT_EQ(latched[0].ml_state, MlState::kDisabledGovernance);
  ASSERT_EQ(listener.changes.size(), 1u);
  EXPECT_EQ(listener.changes[0].from, MlState::kEnabledDegraded);
  EXPECT_EQ(listener.changes[0].to, MlState::kDisabledGovernance);
  // The latch is in the shared state file, for every engine and a restart.
  EXPECT_TRUE(read_governance_state(state_file()).disabled);
}

TEST_F(LatchTest, FailuresFurtherApartThanTheWindowDoNotLatch) {
  Latch latch(options());
  latch.start(latch.open(), MlState::kEnabledOk);
  for (int i = 0; i < 3; ++i) {
    latch.record_failure("GOOG", "MODEL_ERROR", "m", Json::object());
    clock->advance(150s);  // the third comes 300 s after the first: outside
  }
  EXPECT_EQ(latch.state(), MlState::kEnabledOk);
  EXPECT_TRUE(sink->with_status("DISABLED_BY_GOVERNANCE").empty());
}

TEST_F(LatchTest, ReenableReturnsToTheEnabledStateGivenAtStartAndClearsTheWindow) {
  Latch latch(options());
  latch.start(latch.open(), MlState::kEnabledDegraded);
  for (int i = 0; i < 3; ++i) latch.record_failure("GOOG", "MODEL_ERROR", "m", Json::object());
  ASSERT_EQ(latch.state(), MlState::kDisabledGovernance);
  latch.reenable("alice", "fixed the feed");
  EXPECT_EQ(latch.state(), MlState::kEnabledDegraded);
  EXPECT_EQ(latch.failures_in_window(), 0u);
  const auto reenabled = sink->with_status("REENABLED");
  ASSERT_EQ(reenabled.size(), 1u);
  EXPECT_EQ(reenabled[0].details["operator"], "alice");
  EXPECT_EQ(reenabled[0].details["reason"], "fixed the feed");
  ASSERT_EQ(listener.changes.size(), 2u);
  EXPECT_EQ(listener.changes[1].to, MlState::kEnabledDegraded);
  EXPECT_FALSE(read_governance_state(state_file()).disabled);
}

TEST_F(LatchTest, ALatchedFileKeepsTheNextLatchOffAtStart) {
  {
    Latch first(options());
    first.start(first.open(), MlState::kEnabledOk);
    for (int i = 0; i < 3; ++i) first.record_failure("GOOG", "MODEL_ERROR", "m", Json::object());
  }
  Latch second(options());
  const bool latched = second.open();
  EXPECT_TRUE(latched);
  second.start(latched, MlState::kEnabledOk);
  EXPECT_EQ(second.state(), MlState::kDisabledGovernance);
  EXPECT_EQ(sink->with_status("DISABLED_BY_GOVERNANCE").back().reason, "LATCHED_AT_START");
}

TEST_F(LatchTest, InMemoryLatchTouchesNoFile) {
  Latch latch(options(/*in_memory=*/true));
  latch.start(latch.open(), MlState::kEnabledOk);
  for (int i = 0; i < 3; ++i) latch.record_failure("GOOG", "MODEL_ERROR", "m", Json::object());
  EXPECT_EQ(latch.state(), MlState::kDisabledGovernance);
  EXPECT_FALSE(std::filesystem::exists(state_file().parent_path()));
}

TEST_F(LatchTest, DisabledByConfigIsItsOwnStateAndIgnoresTheFile) {
  Latch latch(options());
  latch.disable_by_config();
  EXPECT_EQ(latch.state(), MlState::kDisabledConfig);
  latch.sync();
  EXPECT_EQ(latch.state(), MlState::kDisabledConfig);
  EXPECT_FALSE(std::filesystem::exists(state_file()));
}

}  // namespace
}  // namespace mlgov
