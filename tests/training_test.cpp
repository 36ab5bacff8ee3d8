// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The pieces of `mlgov train` that are pure functions: labels, the
// chronological split, the training statistics, the booster parameters, the
// model directory name, and the atomic publication of a model directory.
#include "mlgov/offline/training.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "mlgov/errors.h"
#include "test_support.h"

namespace mlgov {
namespace {

using namespace std::chrono;
using offline::build_symbol_dataset;
using offline::feature_statistics;
using testing::TempDir;

constexpr BarTime kDay = 86400;

BarSeries series(const std::string& symbol, const std::vector<double>& closes) {
  BarSeries s;
  s.symbol = symbol;
  for (std::size_t i = 0; i < closes.size(); ++i) {
    const double c = closes[i];
    s.bars.push_back({static_cast<BarTime>(i) * kDay, c, c, c, c, 1000});
  }
  return s;
}

// A frame with one row per bar of `bars` from index `first` on, two columns:
// a = the bar index, b = 100 + the bar index (so a row can be traced back).
// Rows of a second symbol "OTHER" are interleaved (date order, then symbol).
FeatureFrame frame_for(const BarSeries& bars, std::size_t first) {
  FeatureFrame f;
  f.schema = FeatureSchema::create("t", "1", {"a", "b"});
  for (std::size_t i = first; i < bars.bars.size(); ++i) {
    for (const char* sym : {"OTHER", bars.symbol.c_str()}) {
      f.times.push_back(bars.bars[i].time);
      f.symbols.push_back(sym);
      const float tag = sym == bars.symbol ? 0.0f : 1000.0f;
      f.values.push_back(static_cast<float>(i) + tag);
      f.values.push_back(100.0f + static_cast<float>(i) + tag);
    }
  }
  return f;
}

TEST(Training, ValidationIsTheLastFifthOfTheRowsRoundedDown) {
  EXPECT_EQ(offline::validation_rows(247), 49u);  // 247 / 5 = 49.4
  EXPECT_EQ(offline::validation_rows(10), 2u);
  EXPECT_EQ(offline::validation_rows(5), 1u);
  EXPECT_EQ(offline::validation_rows(4), 0u);
}

TEST(Training, LabelIsOneWhenTheCloseFiveBarsAheadIsHigher) {
  // 20 bars; rows from bar 0 on. Bar i has a label when i + 5 <= 19, i.e.
  // i = 0..14 (15 rows). closes: c[i] for i = 0..19 below; label(i) =
  // c[i+5] > c[i]:
  //   i:     0  1  2  3  4  5  6  7  8  9 10 11 12 13 14
  //   c[i]: 10 11 12 13 14 10 12 12 15 13 11 13 12 16 13
  //   c+5:  10 12 12 15 13 11 13 12 16 13 11 17  9 18 14
  //   lab:   0  1  0  1  0  1  1  0  1  0  0  1  0  1  1
  // (c+5 == c gives 0: the return must be strictly positive.)
  const BarSeries bars = series(
      "SYM", {10, 11, 12, 13, 14, 10, 12, 12, 15, 13, 11, 13, 12, 16, 13, 11, 17, 9, 18, 14});
  const auto ds = build_symbol_dataset(frame_for(bars, 0), bars);
  ASSERT_EQ(ds.n_rows(), 15u);
  const std::vector<float> expected = {0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1};
  EXPECT_EQ(ds.labels, expected);
  // The rows are the symbol's own (a = bar index, not OTHER's 1000 + i), in order.
  for (std::size_t r = 0; r < ds.n_rows(); ++r) {
    EXPECT_EQ(ds.features[r * 2], static_cast<float>(r));
    EXPECT_EQ(ds.features[r * 2 + 1], 100.0f + static_cast<float>(r));
    EXPECT_EQ(ds.times[r], static_cast<BarTime>(r) * kDay);
  }
}

TEST(Training, SplitIsChronologicalWithTheLastRowsValidating) {
  // Same 15 labelled rows: 15 / 5 = 3 validate (bars 12, 13, 14), 12 train.
  const BarSeries bars = series(
      "SYM", {10, 11, 12, 13, 14, 10, 12, 12, 15, 13, 11, 13, 12, 16, 13, 11, 17, 9, 18, 14});
  const auto ds = build_symbol_dataset(frame_for(bars, 0), bars);
  EXPECT_EQ(ds.n_train, 12u);
  EXPECT_EQ(ds.n_valid(), 3u);
  ASSERT_EQ(ds.valid_features().size(), 6u);
  EXPECT_EQ(ds.valid_features()[0], 12.0f);
  EXPECT_EQ(ds.valid_features()[4], 14.0f);
  EXPECT_EQ(ds.train_features().back(), 111.0f);  // b of bar 11
  const std::vector<float> valid_labels(ds.valid_labels().begin(), ds.valid_labels().end());
  EXPECT_EQ(valid_labels, (std::vector<float>{0, 1, 1}));
}

TEST(Training, RowsWithoutFiveFutureBarsAreDropped) {
  // Rows from bar 10 of 20: bars 10..14 have a close 5 bars ahead, 15..19 not.
  const BarSeries bars =
      series("SYM", {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 3, 1, 3, 1});
  const auto ds = build_symbol_dataset(frame_for(bars, 10), bars);
  ASSERT_EQ(ds.n_rows(), 5u);
  EXPECT_EQ(ds.times.front(), 10 * kDay);
  EXPECT_EQ(ds.times.back(), 14 * kDay);
}

TEST(Training, TooFewLabelledRowsForASplitIsADataErrorNamingTheSymbol) {
  // Rows from bar 11 of 20: 4 labelled rows, 4 / 5 = 0 validation rows.
  const BarSeries bars = series("THIN", std::vector<double>(20, 10.0));
  try {
    build_symbol_dataset(frame_for(bars, 11), bars);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("THIN"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("4 labelled rows"), std::string::npos) << e.what();
  }
}

TEST(Training, ATrainingPartOfOneClassIsADataError) {
  // Flat prices: every label is 0.
  const BarSeries bars = series("FLAT", std::vector<double>(30, 10.0));
  EXPECT_THROW(build_symbol_dataset(frame_for(bars, 0), bars), DataError);
}

TEST(Training, AFrameRowWithoutItsBarIsADataError) {
  const BarSeries bars = series(
      "SYM", {10, 11, 12, 13, 14, 10, 12, 12, 15, 13, 11, 13, 12, 16, 13, 11, 17, 9, 18, 14});
  FeatureFrame f = frame_for(bars, 0);
  f.times[1] += 3600;  // SYM's first row now falls between two bars
  EXPECT_THROW(build_symbol_dataset(f, bars), DataError);
}

TEST(Training, FeatureStatisticsByHand) {
  // Column x = 1, 2, 3, 4; column y = 10, 10, 10, 10 (row-major pairs).
  const std::vector<float> rows = {1, 10, 2, 10, 3, 10, 4, 10};
  const auto stats = feature_statistics(rows, 4, {"x", "y"});
  const auto& x = stats.at("x");
  EXPECT_DOUBLE_EQ(x.at("mean").get<double>(), 2.5);
  // Sample variance: (1.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 3 = 5 / 3.
  EXPECT_DOUBLE_EQ(x.at("std").get<double>(), std::sqrt(5.0 / 3.0));
  EXPECT_DOUBLE_EQ(x.at("min").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(x.at("max").get<double>(), 4.0);
  // Edge q sits at position 3q between the sorted values 1, 2, 3, 4:
  // q = 0.1 -> 1.3, 0.5 -> 2.5, 0.9 -> 3.7.
  const auto& d = x.at("deciles");
  ASSERT_EQ(d.size(), 9u);
  EXPECT_NEAR(d[0].get<double>(), 1.3, 1e-12);
  EXPECT_NEAR(d[4].get<double>(), 2.5, 1e-12);
  EXPECT_NEAR(d[8].get<double>(), 3.7, 1e-12);
  const auto& y = stats.at("y");
  EXPECT_DOUBLE_EQ(y.at("std").get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(y.at("deciles")[3].get<double>(), 10.0);
}

TEST(Training, FeatureStatisticsOfOneRowHaveZeroStd) {
  const std::vector<float> rows = {7};
  const auto stats = feature_statistics(rows, 1, {"x"});
  EXPECT_DOUBLE_EQ(stats.at("x").at("std").get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(stats.at("x").at("deciles")[8].get<double>(), 7.0);
}

TEST(Training, FeatureStatisticsRejectAShapeMismatch) {
  const std::vector<float> rows = {1, 2, 3};
  EXPECT_THROW(feature_statistics(rows, 2, {"x", "y"}), std::invalid_argument);
}

TEST(Training, BoosterParametersComeFromTheTrainingConfig) {
  TrainingConfig t;  // the shipped defaults
  const auto params = offline::xgboost_params(t);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"objective", "binary:logistic"},
      {"max_depth", "6"},
      {"eta", "0.05"},
      {"subsample", "0.8"},
      {"colsample_bytree", "0.8"},
      {"tree_method", "hist"},
      {"seed", "42"},
      {"nthread", "1"}};
  EXPECT_EQ(params, expected);
  EXPECT_EQ(offline::params_json(t).at("n_estimators").get<int>(), 300);
}

TEST(Training, ModelDirectoryNameIsSymbolVersionAndUtcSecond) {
  const auto when =
      sys_days{year{2026} / 11 / 26} + hours{14} + minutes{3} + seconds{7} + milliseconds{999};
  EXPECT_EQ(offline::model_directory_name("GOOG", 1, when), "GOOG_v1_20261126_140307");
  EXPECT_EQ(offline::iso8601_utc_seconds(when), "2026-11-26T14:03:07Z");
}

TEST(Training, PublishRenamesTheStagingDirectoryAndFinalizesIt) {
  TempDir dir;
  const auto staging = dir / ".tmp-S001_v1-1-0";
  std::filesystem::create_directory(staging);
  testing::write_text(staging / "model.json", "{}");
  const auto t0 = sys_days{year{2026} / 1 / 2} + hours{3} + minutes{4} + seconds{5};
  std::vector<system_clock::time_point> finalized;
  const auto path = offline::publish_model_directory(
      staging, dir.path(), "S001", 1, [&] { return system_clock::time_point(t0); },
      [&](const std::filesystem::path& d, system_clock::time_point when) {
        finalized.push_back(when);
        testing::write_text(d / "model_meta.json", offline::iso8601_utc_seconds(when));
      });
  EXPECT_EQ(path, dir / "S001_v1_20260102_030405");
  EXPECT_FALSE(std::filesystem::exists(staging));
  EXPECT_TRUE(std::filesystem::exists(path / "model.json"));
  ASSERT_EQ(finalized.size(), 1u);
}

TEST(Training, PublishNeverReplacesAnExistingDirectoryAndTakesTheNextSecond) {
  TempDir dir;
  const auto t0 = sys_days{year{2026} / 1 / 2} + hours{3} + minutes{4} + seconds{5};
  // An EMPTY directory of the same name: rename(2) would silently replace it.
  std::filesystem::create_directory(dir / "S001_v1_20260102_030405");
  const auto staging = dir / ".tmp-S001_v1-1-0";
  std::filesystem::create_directory(staging);
  // A clock that advances half a second per reading (no real waiting).
  system_clock::time_point now = t0;
  std::vector<system_clock::time_point> finalized;
  const auto path = offline::publish_model_directory(
      staging, dir.path(), "S001", 1,
      [&] {
        const auto t = now;
        now += milliseconds(500);
        return t;
      },
      [&](const std::filesystem::path&, system_clock::time_point when) {
        finalized.push_back(when);
      });
  EXPECT_EQ(path, dir / "S001_v1_20260102_030406");
  EXPECT_TRUE(std::filesystem::is_empty(dir / "S001_v1_20260102_030405"));
  // The meta was rewritten for the second the directory finally got.
  ASSERT_EQ(finalized.size(), 2u);
  EXPECT_EQ(finalized[1], system_clock::time_point(t0 + seconds(1)));
}

}  // namespace
}  // namespace mlgov
