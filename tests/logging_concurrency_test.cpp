// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The logging sinks under 8 threads (run under the tsan preset): every record
// lands whole on its own line, and the throttle's counts add up exactly.
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlgov/logging.h"
#include "test_support.h"

namespace mlgov {
namespace {

constexpr int kThreads = 8;
constexpr int kPerThread = 250;

TEST(LoggingConcurrency, EightThreadsEachRecordIsOneWholeLine) {
  mlgov::testing::TempDir dir;
  auto clock = std::make_shared<ManualClock>();
  LoggerOptions options;
  options.logs_dir = dir.path();
  options.console = false;
  auto logger = make_governance_logger(options, clock);

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Built by appending: GCC 12 warns (-Wrestrict, a false positive) on
        // chains of operator+ with temporaries.
        std::string symbol = "T";
        symbol += std::to_string(t);
        symbol += '-';
        symbol += std::to_string(i);
        GovernanceEvent e;
        e.time = clock->wall_now();
        e.level = i % 2 == 0 ? spdlog::level::info : spdlog::level::err;
        e.model = "ml_v1";
        e.symbol = symbol;
        e.status = "FAILURE_RECORDED";
        e.reason = "MODEL_ERROR";
        e.message = "concurrent";
        e.details = nlohmann::json{{"seq", i}};
        logger->on_event(e);
        clock->advance(std::chrono::milliseconds(1));
      }
    });
  }
  for (auto& th : threads) th.join();

  std::ifstream in(dir / "live.jsonl");
  std::set<std::string> symbols;
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);  // throws on a torn line
    symbols.insert(j["symbol"].get<std::string>());
  }
  EXPECT_EQ(lines, kThreads * kPerThread);
  EXPECT_EQ(symbols.size(), static_cast<std::size_t>(kThreads * kPerThread));

  std::ifstream err(dir / "errors.jsonl");
  int error_lines = 0;
  for (std::string line; std::getline(err, line); ++error_lines) {
    EXPECT_EQ(nlohmann::json::parse(line)["level"], "ERROR");
  }
  EXPECT_EQ(error_lines, kThreads * kPerThread / 2);  // odd i are ERROR
}

TEST(LoggingConcurrency, ThrottleCountsAddUpUnderContention) {
  // The clock never moves, so exactly one INFO line is written and every
  // other one is held back.
  mlgov::testing::TempDir dir;
  const auto path = dir / "console.txt";
  std::FILE* stream = std::fopen(path.c_str(), "w");
  ASSERT_NE(stream, nullptr);
  auto clock = std::make_shared<ManualClock>();
  ThrottledConsoleSink sink(stream, std::chrono::seconds(5), clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      GovernanceEvent e;
      e.time = clock->wall_now();
      e.status = "S";
      e.reason = "R";
      for (int i = 0; i < kPerThread; ++i) {
        e.message = "line " + std::to_string(i);
        sink.on_event(e);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::fclose(stream);
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(sink.total_held_back(), static_cast<std::uint64_t>(kThreads * kPerThread - 1));
  EXPECT_EQ(sink.held_back(), sink.total_held_back());
}

}  // namespace
}  // namespace mlgov
