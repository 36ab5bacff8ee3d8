// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The heartbeat line operators grep for, its JSON record, and how it travels
// through the governance logger.
#include "mlgov/heartbeat.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlgov/logging.h"
#include "test_support.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// The example of issue 4.
HeartbeatInput issue_example() {
  HeartbeatInput in;
  in.uptime = 159s;
  in.symbols = 225;
  in.cycles = 2;
  in.ml_state = MlState::kDisabledGovernance;
  in.model_errors = 574;
  return in;
}

HeartbeatInput with_state(MlState state, bool halted = false) {
  HeartbeatInput in = issue_example();
  in.ml_state = state;
  in.host_halted = halted;
  return in;
}

TEST(HeartbeatLine, MatchesTheIssueExampleExactly) {
  EXPECT_EQ(format_heartbeat_line(issue_example()),
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
  HeartbeatInput in;
  in.ml_state = MlState::kEnabledOk;
  EXPECT_EQ(format_heartbeat_line(in),
            "[HEARTBEAT] uptime=0s | symbols=0 | cycles=0 | state=OK | ml_state=ENABLED|OK | "
            "model_errors=0");
  in.cycles = 18446744073709551615ULL;  // 2^64 - 1
  EXPECT_NE(format_heartbeat_line(in).find("cycles=18446744073709551615 |"), std::string::npos);
}

TEST(HeartbeatJson, CarriesTheSameFields) {
  // 2026-01-01T00:00:00Z is 1'767'225'600 s after the epoch (see logging_test).
  const auto ts = std::chrono::system_clock::time_point(1'767'225'600s + 42ms);
  EXPECT_EQ(format_heartbeat_json(issue_example(), ts),
            R"({"ts":"2026-01-01T00:00:00.042Z","component":"HEARTBEAT","level":"INFO",)"
            R"("uptime_s":159,"symbols":225,"cycles":2,"state":"DEGRADED",)"
            R"("ml_state":"DISABLED_GOVERNANCE","model_errors":574})");
}

TEST(ParseHeartbeatLine, RoundTripsEveryStateCombination) {
  for (MlState s : {MlState::kEnabledOk, MlState::kEnabledDegraded, MlState::kDisabledConfig,
                    MlState::kDisabledGovernance}) {
    for (bool halted : {false, true}) {
      const HeartbeatInput in = with_state(s, halted);
      const auto parsed = parse_heartbeat_line(format_heartbeat_line(in));
      ASSERT_TRUE(parsed.has_value());
      EXPECT_EQ(parsed->uptime, in.uptime);
      EXPECT_EQ(parsed->symbols, in.symbols);
      EXPECT_EQ(parsed->cycles, in.cycles);
      EXPECT_EQ(parsed->host_halted, in.host_halted);
      EXPECT_EQ(parsed->ml_state, in.ml_state);
      EXPECT_EQ(parsed->model_errors, in.model_errors);
    }
  }
}

TEST(ParseHeartbeatLine, RejectsAnythingElse) {
  const std::string ok =
      "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
      "ml_state=DISABLED_GOVERNANCE | model_errors=574";
  ASSERT_TRUE(parse_heartbeat_line(ok).has_value());
  const std::string bad[] = {
      "",
      "hello",
      ok + " ",   // trailing text
      ok + "\n",  // trailing newline
      "[HEARTBEAT] uptime=159 | symbols=225 | cycles=2 | state=DEGRADED | "
      "ml_state=DISABLED_GOVERNANCE | model_errors=574",  // no 's'
      "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=OK | "
      "ml_state=DISABLED_GOVERNANCE | model_errors=574",  // state disagrees
      "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
      "ml_state=ENABLED | model_errors=574",  // unknown ml_state
      "[HEARTBEAT] uptime=159s | symbols=-1 | cycles=2 | state=DEGRADED | "
      "ml_state=DISABLED_GOVERNANCE | model_errors=574",  // negative count
      "[HEARTBEAT] uptime=159s | symbols=225 | cycles=18446744073709551616 | state=DEGRADED | "
      "ml_state=DISABLED_GOVERNANCE | model_errors=574",  // 2^64 overflows
      "[HEARTBEAT] uptime=159s | symbols=0225 | cycles=2 | state=DEGRADED | "
      "ml_state=DISABLED_GOVERNANCE | model_errors=574",  // leading zero
  };
  for (const auto& line : bad) EXPECT_FALSE(parse_heartbeat_line(line).has_value()) << line;
}

TEST(LogHeartbeat, ReturnsTheLineAndWritesTheJsonRecordToLive) {
  mlgov::testing::TempDir dir;
  auto clock = std::make_shared<ManualClock>();
  clock->advance(7s);
  LoggerOptions options;
  options.logs_dir = dir.path();
  options.console = false;
  auto logger = make_governance_logger(options, clock);
  const std::string line = log_heartbeat(*logger, issue_example(), *clock);
  EXPECT_EQ(line, format_heartbeat_line(issue_example()));

  std::ifstream in(dir / "live.jsonl");
  std::string record;
  ASSERT_TRUE(std::getline(in, record));
  EXPECT_EQ(Json::parse(record), Json::parse(R"({"ts":"2026-01-01T00:00:07.000Z",
      "component":"HEARTBEAT","level":"INFO","uptime_s":159,"symbols":225,"cycles":2,
      "state":"DEGRADED","ml_state":"DISABLED_GOVERNANCE","model_errors":574})"));
  std::string more;
  EXPECT_FALSE(std::getline(in, more));
  // INFO does not reach errors.jsonl.
  EXPECT_EQ(std::filesystem::file_size(dir / "errors.jsonl"), 0u);
}

}  // namespace
}  // namespace mlgov
