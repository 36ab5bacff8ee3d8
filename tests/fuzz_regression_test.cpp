// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Replays every saved fuzzing input through the same entry function the
// libFuzzer target calls (tests/fuzz/fuzz_entries.h): the seed corpus
// (tests/fuzz/corpus/<target>/, real files) and every input a fuzzer or a
// report once crashed a parser with (tests/fuzz/regressions/<target>/). An
// input passes when the parser returns a value or throws its documented
// error; another exception fails the test, a crash or a sanitizer report
// fails the run. Runs in every preset, so release and asan both replay them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "fuzz/fuzz_entries.h"
#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "test_support.h"

using mlgov::internal::read_file;

namespace mlgov::fuzz {
// gtest names a failing parameter by this.
void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }
}  // namespace mlgov::fuzz

namespace mlgov {
namespace {

namespace fs = std::filesystem;
using mlgov::testing::source_dir;

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzRegression : public ::testing::TestWithParam<fuzz::Target> {};

TEST_P(FuzzRegression, EverySavedInputEndsInAValueOrTheParsersError) {
  const fuzz::Target target = GetParam();
  std::size_t replayed = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    for (const fs::path& file : files_in(source_dir() / "tests/fuzz" / kind / target.name)) {
      SCOPED_TRACE(file.string());
      const std::string data = read_file(file);
      EXPECT_NO_THROW(target.run(data));
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0U) << "no seed corpus for " << target.name;
}

INSTANTIATE_TEST_SUITE_P(Parsers, FuzzRegression, ::testing::ValuesIn(fuzz::kTargets),
                         [](const ::testing::TestParamInfo<fuzz::Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace mlgov
