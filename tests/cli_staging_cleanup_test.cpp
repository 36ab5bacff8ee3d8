// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov train` (the real binary) removes the staging directories a crashed
// run left in --out once they are older than a day, says so, and leaves a
// younger one (another run may be writing it) alone.
#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "cli_universe_fixture.h"

namespace mlgov {
namespace {

using testing::SmallUniverse;

void set_mtime_ago(const std::filesystem::path& p, std::chrono::hours ago) {
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(
      (std::chrono::system_clock::now() - ago).time_since_epoch());
  const timespec times[2] = {{t.count(), 0}, {t.count(), 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
}

TEST(CliStagingCleanup, TrainRemovesStagingDirectoriesOlderThanADay) {
  SmallUniverse universe;
  const auto out = universe / "models";
  const auto stale = out / ".tmp-S001_v1-4242-0";
  const auto young = out / ".tmp-S002_v1-4343-0";
  std::filesystem::create_directories(stale);
  std::filesystem::create_directories(young);
  testing::write_text(stale / "model.json", "half a model");
  set_mtime_ago(stale, std::chrono::hours(30));
  set_mtime_ago(young, std::chrono::hours(2));
  std::string output;
  ASSERT_EQ(universe.train("S001", out, &output), 0) << output;
  EXPECT_FALSE(std::filesystem::exists(stale)) << output;
  EXPECT_TRUE(std::filesystem::exists(young));
  EXPECT_NE(output.find(stale.string() + ": removed a staging directory older than 24 h"),
            std::string::npos)
      << output;
}

}  // namespace
}  // namespace mlgov
