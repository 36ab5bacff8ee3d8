// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Messages a person can act on, through the built `mlgov` tool: predict
// prints each distinct failure once (the mismatch report: missing, extra,
// first order difference; the non-finite feature and its row) and its
// closing error points at those lines; train names a symbol without a data
// file with the path it looked for, and names the symbols of the sectors
// file it leaves out for lack of data.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_universe_fixture.h"

namespace mlgov {
namespace {

using testing::quote;
using testing::read_csv;
using testing::slurp;
using testing::SmallUniverse;
using testing::write_csv;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// S001 and S002 trained, features of all six symbols written once.
class PredictMessages : public testing::TrainedUniverseSuite {
 protected:
  // Rows of S001 and S002 (the symbols with a model): 252 each (504 bars, the
  // first 252 without a row).
  static constexpr std::size_t kModelRows = 2 * (testing::kUniverseBars - 252);
};

TEST_F(PredictMessages, ASwappedHeaderIsReportedOnceWithTheFirstOrderDifference) {
  auto rows = read_csv(features());
  const std::string first = rows[0][2], second = rows[0][3];
  for (auto& r : rows) std::swap(r[2], r[3]);
  write_csv(scratch_ / "swapped.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "swapped.csv", scratch_ / "p.csv", &out), 1)
      << out;
  EXPECT_EQ(count_of(out, "mlgov: FEATURE_MISMATCH in"), 1u) << out;
  EXPECT_NE(out.find("mlgov: FEATURE_MISMATCH in " + std::to_string(kModelRows) + " rows"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("order differs first at position 0 (expected '" + first + "', got '" + second +
                     "')"),
            std::string::npos)
      << out;
}

TEST_F(PredictMessages, ADroppedColumnIsReportedAsMissing) {
  auto rows = read_csv(features());
  const std::string dropped = rows[0][4];
  for (auto& r : rows) r.erase(r.begin() + 4);
  write_csv(scratch_ / "dropped.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "dropped.csv", scratch_ / "p.csv", &out), 1)
      << out;
  EXPECT_EQ(count_of(out, "mlgov: FEATURE_MISMATCH in"), 1u) << out;
  EXPECT_NE(out.find("expected 28 features, got 27; missing [" + dropped + "]"), std::string::npos)
      << out;
}

TEST_F(PredictMessages, ARenamedColumnIsReportedAsMissingAndExtra) {
  auto rows = read_csv(features());
  const std::string renamed = rows[0][5];
  rows[0][5] = "not_a_feature";
  write_csv(scratch_ / "renamed.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "renamed.csv", scratch_ / "p.csv", &out), 1)
      << out;
  EXPECT_NE(out.find("missing [" + renamed + "]; extra [not_a_feature]"), std::string::npos) << out;
}

TEST_F(PredictMessages, ANonFiniteValueNamesTheFeatureAndTheRow) {
  auto rows = read_csv(features());
  std::size_t target = 0;
  for (std::size_t i = 1; i < rows.size() && target == 0; ++i) {
    if (rows[i][1] == "S002") target = i;
  }
  ASSERT_NE(target, 0u);
  rows[target][10] = "inf";
  write_csv(scratch_ / "inf.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "inf.csv", scratch_ / "p.csv", &out), 1)
      << out;
  // Column 10 of the file is feature index 8; the file's line is target + 1.
  const std::string where = (scratch_ / "inf.csv").string() + ":" + std::to_string(target + 1) +
                            " (" + rows[target][0] + " S002)";
  EXPECT_NE(out.find("mlgov: NON_FINITE_FEATURE in 1 row, first at " + where +
                     ": S002: non-finite feature " + rows[0][10] + " (index 8) = inf"),
            std::string::npos)
      << out;
}

TEST_F(PredictMessages, TheClosingErrorCountsTheRowsAndPointsAtThePrintedLines) {
  auto rows = read_csv(features());
  for (auto& r : rows) std::swap(r[2], r[3]);
  write_csv(scratch_ / "swapped.csv", rows);
  std::string out;
  EXPECT_EQ(SmallUniverse::predict(models(), scratch_ / "swapped.csv", scratch_ / "p.csv", &out), 1)
      << out;
  const auto closing = out.find("mlgov: error: " + std::to_string(kModelRows) +
                                " rows refused and 0 models refused");
  ASSERT_NE(closing, std::string::npos) << out;
  // The lines it points at come before it.
  EXPECT_LT(out.find("mlgov: FEATURE_MISMATCH in"), closing) << out;
  EXPECT_NE(out.find((scratch_ / "p.csv").string(), closing), std::string::npos) << out;
}

TEST(TrainMessages, ASymbolWithoutADataFileIsNamedWithThePathLookedFor) {
  SmallUniverse u;
  std::string out;
  EXPECT_EQ(u.train("S001,NOPE", u / "m", &out), 2) << out;
  EXPECT_NE(out.find("mlgov: error: no data file for NOPE (looked for " +
                     (u.data() / "NOPE.csv").string() + ")"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find(":0:"), std::string::npos) << out;
  EXPECT_EQ(out.find("line 0"), std::string::npos) << out;
}

TEST(TrainMessages, SectorSymbolsWithoutDataAreNamedNotDropped) {
  SmallUniverse u;
  testing::write_text(u.sectors(), slurp(u.sectors()) + "ZZZ1,SEC01\nZZZ2,SEC02\n");
  std::string out;
  ASSERT_EQ(u.train("S001", u / "m", &out), 0) << out;
  EXPECT_NE(out.find("2 symbols of " + u.sectors().string() + " have no data file in " +
                     u.data().string() + " and are left out of the rank universe: ZZZ1, ZZZ2"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace mlgov
