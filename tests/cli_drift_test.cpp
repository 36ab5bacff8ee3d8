// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov drift`: a features CSV judged against each model's training
// distribution (model_meta.json feature_stats) through the live
// DriftMonitor, reported as JSON and as a self-contained HTML page, the page
// checked in a real headless browser (Debian's chromium).
//
// The universe: 6 synthetic symbols x 2 years, all 6 trained (tiny models),
// their features written by `mlgov features`. The "clean" file is each
// symbol's training rows (the dates of its training_data_period): binned
// under the deciles computed from exactly those rows, nothing can be out of
// range and every decile bin holds about a tenth.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_universe_fixture.h"

namespace mlgov {
namespace {

namespace fs = std::filesystem;
using testing::model_dirs;
using testing::quote;
using testing::read_csv;
using testing::read_json;
using testing::slurp;
using testing::SmallUniverse;
using testing::write_csv;

const std::vector<std::string> kSymbols = {"S001", "S002", "S003", "S004", "S005", "S006"};
constexpr std::size_t kFeatures = 28;  // contract ml_v1

using Rows = std::vector<std::vector<std::string>>;

class DriftCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    universe_ = new SmallUniverse();
    std::string out;
    if (universe_->train("S001,S002,S003,S004,S005,S006", models(), &out) != 0) {
      throw std::runtime_error("mlgov train failed: " + out);
    }
    if (universe_->features(*universe_ / "features.csv", &out) != 0) {
      throw std::runtime_error("mlgov features failed: " + out);
    }
    // The clean file: per symbol, the rows inside its model's training period.
    const Rows all = read_csv(*universe_ / "features.csv");
    Rows clean = {all[0]};
    for (std::size_t i = 1; i < all.size(); ++i) {
      const nlohmann::json& meta = model_meta(all[i][1]);
      const std::string& date = all[i][0];
      if (date >= meta["training_data_period"]["start"].get<std::string>() &&
          date <= meta["training_data_period"]["end"].get<std::string>()) {
        clean.push_back(all[i]);
      }
    }
    write_csv(clean_features(), clean);
  }
  static void TearDownTestSuite() {
    delete universe_;
    universe_ = nullptr;
    metas_.clear();
  }

  static fs::path models() { return *universe_ / "models"; }
  static fs::path all_features() { return *universe_ / "features.csv"; }
  static fs::path clean_features() { return *universe_ / "clean_features.csv"; }

  static const nlohmann::json& model_meta(const std::string& symbol) {
    auto it = metas_.find(symbol);
    if (it == metas_.end()) {
      const auto dirs = model_dirs(models(), symbol);
      if (dirs.size() != 1) throw std::runtime_error("expected one model for " + symbol);
      it = metas_.emplace(symbol, read_json(dirs[0] / "model_meta.json")).first;
    }
    return it->second;
  }

  // `mlgov drift` with the source tree's contracts.
  static int drift(const fs::path& models_dir, const fs::path& features, const fs::path& out,
                   std::string* output, const std::string& extra = "") {
    return SmallUniverse::mlgov("drift --models " + quote(models_dir) + " --features " +
                                    quote(features) + " --out " + quote(out) +
                                    SmallUniverse::contracts_arg() + extra,
                                output);
  }

  // The clean file with column `feature` multiplied by `factor` (in float32,
  // as a unit bug in the engine would) on data lines [first, last) (1 = the
  // first row after the header; default: every row).
  fs::path clean_with_column_scaled(const std::string& feature, float factor, std::size_t first = 1,
                                    std::size_t last = static_cast<std::size_t>(-1)) const {
    Rows rows = read_csv(clean_features());
    const auto col = static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), feature) -
                                              rows[0].begin());
    if (col == rows[0].size()) throw std::runtime_error("no column " + feature);
    for (std::size_t i = first; i < std::min(last, rows.size()); ++i) {
      const float v = std::stof(rows[i][col]) * factor;
      char text[32];
      std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));
      rows[i][col] = text;
    }
    const fs::path file = scratch_ / fmt_name(feature, factor, first, last);
    write_csv(file, rows);
    return file;
  }

  static std::string fmt_name(const std::string& feature, float factor, std::size_t first,
                              std::size_t last) {
    return feature + "_x" + std::to_string(factor) + "_" + std::to_string(first) + "_" +
           std::to_string(last) + ".csv";
  }

  static const nlohmann::json* find_feature(const nlohmann::json& report, const std::string& name) {
    for (const auto& f : report["features"]) {
      if (f["feature"] == name) return &f;
    }
    return nullptr;
  }

  static inline SmallUniverse* universe_ = nullptr;
  static inline std::map<std::string, nlohmann::json> metas_;
  testing::TempDir scratch_;
};

TEST_F(DriftCliTest, TrainingRowsJudgedAgainstTheirOwnStatsRaiseNothing) {
  std::string out;
  const fs::path report_file = scratch_ / "reports" / "drift.json";  // parent created
  ASSERT_EQ(drift(models(), clean_features(), report_file, &out), 0) << out;
  const nlohmann::json report = read_json(report_file);
  const std::size_t clean_rows = read_csv(clean_features()).size() - 1;
  // 6 symbols x 198 training rows (80% of the 247 labelled rows, meta's train_rows).
  std::size_t train_rows = 0;
  for (const auto& s : kSymbols) train_rows += model_meta(s)["metrics"]["train_rows"].get<int>();
  ASSERT_EQ(clean_rows, train_rows);
  EXPECT_EQ(report["rows_read"], clean_rows);
  EXPECT_EQ(report["rows_fed"], clean_rows);
  EXPECT_EQ(report["rows_judged"], clean_rows);  // the window is the whole file
  EXPECT_TRUE(report["judged"].get<bool>());     // 1188 >= drift.min_rows 1000
  EXPECT_EQ(report["features_in_alert"], 0);
  EXPECT_EQ(report["features_in_warning"], 0);
  ASSERT_EQ(report["features"].size(), kFeatures);
  std::size_t continuous = 0;
  for (const auto& f : report["features"]) {
    SCOPED_TRACE(f["feature"].get<std::string>());
    EXPECT_EQ(f["level"], "OK");
    // Every training value lies in [its model's min, max].
    EXPECT_EQ(f["out_of_range_fraction"].get<double>(), 0.0);
    EXPECT_LT(f["psi"].get<double>(), 0.1);  // well below drift.warn_psi (0.25)
    // A continuous feature (11 distinct edges: 10% expected per bin): each
    // model's deciles cut its own rows into tenths, up to the interpolation
    // between two order statistics: at most one row of 198 at each of a bin's
    // two edges. A feature taking
    // a few values (cross_rank_sector) has interpolated deciles that fall
    // between its values: its shares follow its values, not the tenths.
    bool tenths = true;
    for (const auto& e : f["expected_shares"])
      tenths = tenths && std::abs(e.get<double>() - 0.1) < 1e-9;
    if (!tenths) continue;
    ++continuous;
    for (std::size_t b = 0; b < 10; ++b) {
      EXPECT_NEAR(f["shares"][b].get<double>(), 0.1, 2.0 / 198) << "bin " << b + 1;
    }
    EXPECT_LT(f["psi"].get<double>(), 0.01);
  }
  EXPECT_GE(continuous, 25u);  // the assertion above covers nearly every feature
  EXPECT_TRUE(report["skipped_models"].empty());
  EXPECT_TRUE(report["symbols_without_model"].empty());
}

TEST_F(DriftCliTest, WholeFeaturesFileOfTheTrainingUniverseRaisesNoAlert) {
  // The validation rows (the last 20%) were not in the stats: some features
  // may warn, none may alert.
  std::string out;
  const fs::path report_file = scratch_ / "drift.json";
  ASSERT_EQ(drift(models(), all_features(), report_file, &out), 0) << out;
  const nlohmann::json report = read_json(report_file);
  EXPECT_EQ(report["rows_read"], 6 * 252);
  EXPECT_EQ(report["features_in_alert"], 0);
  for (const auto& f : report["features"]) EXPECT_NE(f["level"], "ALERT") << f["feature"];
}

TEST_F(DriftCliTest, ColumnTimesHundredAlertsOnThatFeatureFirstInTheReport) {
  const fs::path file = clean_with_column_scaled("ret_1d", 100.0f);
  std::string out;
  const fs::path report_file = scratch_ / "drift.json";
  EXPECT_EQ(drift(models(), file, report_file, &out), 1) << out;  // exit 1: an alert
  const nlohmann::json report = read_json(report_file);
  EXPECT_EQ(report["features_in_alert"], 1);
  ASSERT_EQ(report["features"].size(), kFeatures);
  const auto& first = report["features"][0];
  EXPECT_EQ(first["feature"], "ret_1d");
  EXPECT_EQ(first["level"], "ALERT");
  for (std::size_t i = 1; i < kFeatures; ++i) {
    EXPECT_EQ(report["features"][i]["level"], "OK") << report["features"][i]["feature"];
  }
  // The out-of-range fraction, counted here from each symbol's training min
  // and max: x100 throws most daily returns out of the training range.
  const Rows rows = read_csv(file);
  const auto col = static_cast<std::size_t>(std::find(rows[0].begin(), rows[0].end(), "ret_1d") -
                                            rows[0].begin());
  std::size_t below = 0;
  std::size_t above = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& stats = model_meta(rows[i][1])["feature_stats"]["ret_1d"];
    const double v = std::stof(rows[i][col]);
    if (v < stats["min"].get<double>()) ++below;
    if (v > stats["max"].get<double>()) ++above;
  }
  const double n = static_cast<double>(rows.size() - 1);
  EXPECT_DOUBLE_EQ(first["below_range_fraction"].get<double>(), below / n);
  EXPECT_DOUBLE_EQ(first["above_range_fraction"].get<double>(), above / n);
  EXPECT_GE((below + above) / n, 0.9);  // at or beyond drift.out_of_range_alert (0.9)
  EXPECT_NE(out.find("ALERT ret_1d"), std::string::npos) << out;
}

TEST_F(DriftCliTest, WindowJudgesOnlyTheLastRows) {
  const std::size_t rows = read_csv(clean_features()).size() - 1;
  const std::size_t half = rows / 2;
  const std::string window = " --window " + std::to_string(half) + " --min-rows 500";
  std::string out;
  // The unit bug in the older half only: the window of the last `half` rows
  // holds none of it. (Slow features, a 200-day SMA ratio, may drift
  // between the halves of the training period: only ret_1d is asserted.)
  const fs::path early = clean_with_column_scaled("ret_1d", 100.0f, 1, rows - half + 1);
  drift(models(), early, scratch_ / "early.json", &out, window);
  nlohmann::json report = read_json(scratch_ / "early.json");
  EXPECT_EQ(report["rows_judged"], half);
  const nlohmann::json* ret_1d = find_feature(report, "ret_1d");
  ASSERT_NE(ret_1d, nullptr);
  EXPECT_EQ((*ret_1d)["out_of_range_fraction"].get<double>(), 0.0);
  EXPECT_EQ((*ret_1d)["level"], "OK");
  // The same bug in the newer half: inside the window.
  const fs::path late = clean_with_column_scaled("ret_1d", 100.0f, rows - half + 1);
  EXPECT_EQ(drift(models(), late, scratch_ / "late.json", &out, window), 1) << out;
  report = read_json(scratch_ / "late.json");
  EXPECT_EQ(report["rows_judged"], half);
  EXPECT_EQ(report["features"][0]["feature"], "ret_1d");
  EXPECT_EQ(report["features"][0]["level"], "ALERT");
}

TEST_F(DriftCliTest, ConfigsPerFeatureThresholdsJudgeTheFeature) {
  // ret_1d may be out of range in every row and drift as far as PSI goes
  // before it alerts: x100 is then a warning only (out of range >= the
  // default out_of_range_warn, 0.25).
  testing::write_text(scratch_ / "drift.yaml",
                      "drift:\n  warn_psi: 0.2\n  features:\n    ret_1d:\n"
                      "      alert_psi: 100\n      out_of_range_alert: 1.0\n");
  const fs::path file = clean_with_column_scaled("ret_1d", 100.0f);
  std::string out;
  EXPECT_EQ(drift(models(), file, scratch_ / "drift.json", &out,
                  " --config " + quote(scratch_ / "drift.yaml")),
            0)
      << out;
  const nlohmann::json report = read_json(scratch_ / "drift.json");
  EXPECT_EQ(report["features_in_alert"], 0);
  const auto& first = report["features"][0];
  EXPECT_EQ(first["feature"], "ret_1d");
  EXPECT_EQ(first["level"], "WARNING");
  EXPECT_EQ(first["thresholds"]["alert_psi"], 100.0);
  EXPECT_EQ(first["thresholds"]["out_of_range_alert"], 1.0);
  EXPECT_EQ(first["thresholds"]["warn_psi"], 0.2);  // the section's value, not overridden
}

TEST_F(DriftCliTest, FailOnNeverExitsZeroDespiteAnAlert) {
  const fs::path file = clean_with_column_scaled("ret_1d", 100.0f);
  std::string out;
  EXPECT_EQ(drift(models(), file, scratch_ / "drift.json", &out, " --fail-on never"), 0) << out;
  EXPECT_EQ(read_json(scratch_ / "drift.json")["features_in_alert"], 1);
}

TEST_F(DriftCliTest, NonNumberInALineIsAnErrorNamingFileLineColumnAndRule) {
  Rows rows = read_csv(clean_features());
  rows[6][4] = "abc";  // line 7 (the header is line 1), column 5: ret_10d
  const fs::path file = scratch_ / "bad.csv";
  write_csv(file, rows);
  std::string out;
  const fs::path report_file = scratch_ / "drift.json";
  EXPECT_EQ(drift(models(), file, report_file, &out), 2) << out;
  EXPECT_NE(out.find(file.string() + ":7: column 5 (ret_10d): \"abc\" is not a float32 number"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(report_file));  // no report from a file that does not parse
}

TEST_F(DriftCliTest, WrongFieldCountIsAnErrorNamingFileAndLine) {
  Rows rows = read_csv(clean_features());
  rows[3].pop_back();  // line 4: one field short
  const fs::path file = scratch_ / "short.csv";
  write_csv(file, rows);
  std::string out;
  EXPECT_EQ(drift(models(), file, scratch_ / "drift.json", &out), 2) << out;
  EXPECT_NE(out.find(file.string() + ":4: 29 fields, the header has 30"), std::string::npos) << out;
}

TEST_F(DriftCliTest, SymbolDateGoingBackIsAnErrorNamingFileAndLine) {
  // Rows are date by date, six symbols a date: line 8 is S001's second row.
  Rows rows = read_csv(clean_features());
  ASSERT_EQ(rows[7][1], "S001");
  rows[7][0] = rows[1][0];  // the same date as S001's first row (line 2)
  const fs::path file = scratch_ / "dates.csv";
  write_csv(file, rows);
  std::string out;
  EXPECT_EQ(drift(models(), file, scratch_ / "drift.json", &out), 2) << out;
  EXPECT_NE(out.find(file.string() + ":8: S001 " + rows[1][0] +
                     " is not after the symbol's previous row"),
            std::string::npos)
      << out;
}

TEST_F(DriftCliTest, HeaderWithoutTheContractsColumnsIsAnErrorOnLineOne) {
  Rows rows = read_csv(clean_features());
  std::swap(rows[0][2], rows[0][3]);  // ret_1d and ret_5d swapped
  const fs::path file = scratch_ / "header.csv";
  write_csv(file, rows);
  std::string out;
  EXPECT_EQ(drift(models(), file, scratch_ / "drift.json", &out), 2) << out;
  EXPECT_NE(out.find(file.string() + ":1: the feature columns are not the contract's"),
            std::string::npos)
      << out;
}

TEST_F(DriftCliTest, ModelWithoutFeatureStatsIsListedAsSkippedAndItsRowsNotFed) {
  const fs::path copy = scratch_ / "models";
  fs::copy(models(), copy, fs::copy_options::recursive);
  const fs::path meta_file = model_dirs(copy, "S003")[0] / "model_meta.json";
  nlohmann::json meta = read_json(meta_file);
  meta.erase("feature_stats");  // a model trained before mlgov recorded them
  testing::write_text(meta_file, meta.dump(2));
  std::string out;
  const fs::path report_file = scratch_ / "drift.json";
  ASSERT_EQ(drift(copy, clean_features(), report_file, &out), 0) << out;
  const nlohmann::json report = read_json(report_file);
  ASSERT_EQ(report["skipped_models"].size(), 1u) << report["skipped_models"];
  EXPECT_EQ(report["skipped_models"][0]["symbol"], "S003");
  EXPECT_NE(report["skipped_models"][0]["reason"].get<std::string>().find("no feature_stats"),
            std::string::npos);
  const std::size_t s003_rows = model_meta("S003")["metrics"]["train_rows"].get<std::size_t>();
  EXPECT_EQ(report["rows_fed"].get<std::size_t>(),
            report["rows_read"].get<std::size_t>() - s003_rows);
  for (const auto& f : report["features"]) {
    for (const auto& s : f["top_symbols"]) EXPECT_NE(s["symbol"], "S003");
  }
  EXPECT_NE(out.find("skipped S003"), std::string::npos) << out;
}

TEST_F(DriftCliTest, LegacyModelAndSymbolWithoutModelAreListed) {
  const fs::path copy = scratch_ / "models";
  fs::copy(models(), copy, fs::copy_options::recursive);
  fs::remove(model_dirs(copy, "S004")[0] / "model_meta.json");  // legacy
  fs::remove_all(model_dirs(copy, "S006")[0]);                  // no model at all
  std::string out;
  const fs::path report_file = scratch_ / "drift.json";
  ASSERT_EQ(drift(copy, clean_features(), report_file, &out), 0) << out;
  const nlohmann::json report = read_json(report_file);
  ASSERT_EQ(report["skipped_models"].size(), 1u) << report["skipped_models"];
  EXPECT_EQ(report["skipped_models"][0]["symbol"], "S004");
  EXPECT_NE(report["skipped_models"][0]["reason"].get<std::string>().find("legacy"),
            std::string::npos);
  EXPECT_EQ(report["symbols_without_model"], nlohmann::json::array({"S006"}));
}

TEST_F(DriftCliTest, HtmlPageLoadsNothingFromOutside) {
  const fs::path page = scratch_ / "drift.html";
  std::string out;
  ASSERT_EQ(
      drift(models(), clean_features(), scratch_ / "drift.json", &out, " --html " + quote(page)), 0)
      << out;
  const std::string html = slurp(page);
  ASSERT_FALSE(html.empty());
  for (const char* forbidden : {"http:", "https:", "src=", "href=", "<link", "@import", "url("}) {
    EXPECT_EQ(html.find(forbidden), std::string::npos) << forbidden;
  }
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
}

// Debian's chromium, headless. Console messages (a script error, a resource
// the Content-Security-Policy blocked) are printed on stderr as ":CONSOLE"
// lines with --enable-logging=stderr.
TEST_F(DriftCliTest, PageLoadsInAHeadlessBrowserWithoutErrorsAndShowsOneChartPerFeature) {
  const char* chromium = "/usr/bin/chromium";
  if (!fs::exists(chromium)) {
    GTEST_SKIP() << "chromium is not installed (/usr/bin/chromium): the page is not checked in "
                    "a browser; scripts/install-deps.sh installs it";
  }
  const fs::path file = clean_with_column_scaled("ret_1d", 100.0f);
  const fs::path page = scratch_ / "drift.html";
  std::string out;
  ASSERT_EQ(drift(models(), file, scratch_ / "drift.json", &out, " --html " + quote(page)), 1)
      << out;
  const fs::path dom_file = scratch_ / "dom.html";
  const fs::path log_file = scratch_ / "chromium.log";
  // In a subshell: run_command appends 2>&1, which must not undo the
  // redirection of the browser's stderr to its own file.
  const std::string command = "(" + std::string(chromium) +
                              " --headless --no-sandbox --disable-gpu --enable-logging=stderr " +
                              "--v=0 --user-data-dir=" + quote(scratch_ / "profile") +
                              " --dump-dom " + quote("file://" + page.string()) + " > " +
                              quote(dom_file) + " 2> " + quote(log_file) + ")";
  std::string ignored;
  ASSERT_EQ(testing::run_command(command, &ignored), 0) << slurp(log_file);
  const std::string dom = slurp(dom_file);
  const std::string log = slurp(log_file);
  EXPECT_EQ(log.find(":CONSOLE"), std::string::npos) << log;
  // 28 chart elements in the DOM the browser built...
  std::size_t charts = 0;
  for (std::size_t p = dom.find("<svg class=\"drift-chart\""); p != std::string::npos;
       p = dom.find("<svg class=\"drift-chart\"", p + 1)) {
    ++charts;
  }
  EXPECT_EQ(charts, kFeatures);
  // ...each laid out with a non-zero size (the page's own count, taken after
  // layout by its inline script).
  EXPECT_NE(dom.find("data-charts-rendered=\"28\""), std::string::npos)
      << dom.substr(0, std::min<std::size_t>(dom.size(), 2000));
  // Worst first: the alerting feature's card comes before every other card.
  const std::size_t first_card = dom.find("<section class=\"card");
  ASSERT_NE(first_card, std::string::npos);
  EXPECT_EQ(dom.find("<section class=\"card alert\" id=\"feature-ret_1d\""), first_card);
}

}  // namespace
}  // namespace mlgov
