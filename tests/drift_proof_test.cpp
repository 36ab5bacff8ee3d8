// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Drift proof on data (issue #14 item 5; the figures: docs/drift_proof.md).
//
// A synthetic universe of 40 symbols x 10 years whose models `mlgov train`
// trained on the first 7 years; the rows of the last 3 are fed cycle by
// cycle (one row per symbol) through a DriftMonitor, judged once per cycle.
// With nothing wrong nothing alerts; each injected fault (a unit error, a
// dead column, a frozen feed) is flagged on its own feature or symbol alone,
// within a number of cycles bounded from the configuration; a flipped sign
// goes unseen (a documented limit). On the real data (GOOG and the S&P 500,
// trained before 2008) the 2008 crash warns but never alerts, and the same
// unit errors alert. The monitor's figures are checked against a reference
// computed independently (drift_proof_fixture.h).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "drift_proof_fixture.h"
#include "drift_proof_report.h"
#include "mlgov/drift.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/model_meta.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using testing::print_baseline;
using testing::print_detection;
using testing::print_false_alarms;
using testing::ProofUniverse;
using testing::RealUniverse;
using testing::ReferenceWindow;
using testing::report_wanted;
using testing::run;
using testing::Thresholds;
using testing::Trace;
using testing::Transform;

constexpr std::size_t kWindowRows = 2000;

// The monitor's models for `dirs` (one model directory per symbol, in the
// symbols' order), from their model_meta.json as the registry reads it.
std::vector<DriftModel> drift_models(const std::vector<std::filesystem::path>& dirs) {
  std::vector<DriftModel> out;
  for (const auto& dir : dirs) {
    const ModelMeta meta = load_model_meta(dir / "model_meta.json");
    out.push_back({meta.symbol, TrainingBins::from_meta(meta, (dir / "model_meta.json").string())});
  }
  return out;
}

// What the monitor judged after each cycle (one evaluate() per cycle, as a
// host's heartbeat would).
struct MonitorTrace {
  std::vector<std::vector<DriftLevel>> level;  // [cycle][feature], pooled
  std::vector<std::vector<double>> psi, out_of_range;
  // [cycle][feature]: the second largest gap of the feature's judged
  // relations that turned around (live on the other side of 0.5 from
  // training: what a majority of 2 of 3 broken pairs needs to reach
  // relation_break), 0 when fewer than 2 turned around.
  std::vector<std::vector<double>> relation_gap;
  double largest_relation_move = 0;  // any judged pair, turned around or not
  struct Event {
    std::size_t cycle;
    DriftTransition transition;
  };
  std::vector<Event> transitions;  // pooled and per model

  // The first cycle (0-based) at or after `from` where the pooled `feature`
  // is at `at_least`, or -1.
  long first(std::size_t feature, DriftLevel at_least, std::size_t from = 0) const {
    for (std::size_t c = from; c < level.size(); ++c) {
      if (level[c][feature] >= at_least) return static_cast<long>(c);
    }
    return -1;
  }
  // The pooled features that reach ALERT at some cycle in [from, to).
  std::set<std::size_t> alerting(std::size_t from, std::size_t to) const {
    std::set<std::size_t> out;
    for (std::size_t c = from; c < std::min(to, level.size()); ++c) {
      for (std::size_t f = 0; f < level[c].size(); ++f) {
        if (level[c][f] == DriftLevel::kAlert) out.insert(f);
      }
    }
    return out;
  }
};

using RowSource = std::function<std::span<const float>(std::size_t cycle, int symbol)>;

// Feeds cycles [0, cycles) through `monitor` (model index = symbol index),
// `fault` rewriting every row from cycle `fault_start` on, and evaluates
// after each cycle.
MonitorTrace feed(DriftMonitor& monitor, int symbols, std::size_t cycles, const RowSource& row_of,
                  std::size_t fault_start = 0, const Transform& fault = nullptr) {
  MonitorTrace t;
  std::vector<float> values;
  for (std::size_t c = 0; c < cycles; ++c) {
    for (int s = 0; s < symbols; ++s) {
      const auto row = row_of(c, s);
      values.assign(row.begin(), row.end());
      if (fault && c >= fault_start) fault(s, values);
      monitor.record(static_cast<std::size_t>(s), values);
    }
    DriftEvaluation e = monitor.evaluate();
    std::vector<DriftLevel> levels;
    std::vector<double> psi, oor, gap;
    for (const auto& d : e.snapshot.features) {
      levels.push_back(d.level);
      psi.push_back(d.psi);
      oor.push_back(d.out_of_range_fraction);
      std::vector<double> gaps;
      for (const auto& r : d.relations) {
        const double gap = std::abs(r.live_agreement - r.training_agreement);
        if (r.rows < monitor.config().relation_min_rows) continue;
        t.largest_relation_move = std::max(t.largest_relation_move, gap);
        const bool mirrored = (r.training_agreement - 0.5) * (r.live_agreement - 0.5) < 0;
        gaps.push_back(mirrored ? gap : 0.0);
      }
      std::sort(gaps.rbegin(), gaps.rend());
      gap.push_back(gaps.size() >= 2 ? gaps[1] : 0.0);
    }
    t.relation_gap.push_back(std::move(gap));
    t.level.push_back(std::move(levels));
    t.psi.push_back(std::move(psi));
    t.out_of_range.push_back(std::move(oor));
    for (auto& tr : e.transitions) t.transitions.push_back({c, std::move(tr)});
  }
  return t;
}

std::string names_of(const std::set<std::size_t>& features, const FeatureContract& contract) {
  std::string out;
  for (std::size_t f : features) out += contract.names()[f] + " ";
  return out;
}

class DriftProof : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    universe_ = new ProofUniverse();
    clean_ = new ProofUniverse::LiveRows(universe_->live_rows(universe_->market().symbols));
  }
  static void TearDownTestSuite() {
    delete clean_;
    delete universe_;
  }
  static std::size_t feature(const std::string& name) {
    const auto& n = universe_->contract().names();
    return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
  }
  static Trace run_synthetic(const ProofUniverse& u, const ProofUniverse::LiveRows& live,
                             std::size_t fault_start = 0, const Transform& fault = nullptr,
                             std::size_t window_rows = kWindowRows) {
    return run(
        u.contract().size(), testing::kProofSymbols, live.cycles,
        [&live](std::size_t c, int s) { return live.row(c, s); },
        [&u](int s) -> const std::vector<testing::ReferenceEdges>& { return u.edges(s); },
        window_rows, fault_start, fault);
  }
  static std::vector<DriftModel> models() {
    std::vector<std::filesystem::path> dirs;
    for (int s = 0; s < testing::kProofSymbols; ++s) dirs.push_back(universe_->model_dir(s));
    return drift_models(dirs);
  }
  static RowSource rows_of(const ProofUniverse::LiveRows& live) {
    return [&live](std::size_t c, int s) { return live.row(c, s); };
  }
  // A monitor of the 40 models under `config` (the shipped defaults unless
  // told; docs/drift_proof.md derives them from these figures).
  static std::unique_ptr<DriftMonitor> monitor(const DriftConfig& config = DriftConfig{}) {
    return std::make_unique<DriftMonitor>(universe_->contract().names(), config, models());
  }
  // The 756 clean cycles under the defaults, fed once for the tests that
  // read them.
  static const MonitorTrace& clean_trace() {
    static const MonitorTrace trace = [] {
      auto m = monitor();
      return feed(*m, testing::kProofSymbols, clean_->cycles, rows_of(*clean_));
    }();
    return trace;
  }
  static inline ProofUniverse* universe_ = nullptr;
  static inline ProofUniverse::LiveRows* clean_ = nullptr;
};

// The cycle the faults start at: the pooled window (2000 rows = 50 cycles of
// 40 symbols) is full of clean rows by then.
constexpr std::size_t kFaultStart = 100;
// Cycles watched after a fault starts.
constexpr std::size_t kFaultCycles = 100;

TEST_F(DriftProof, MonitorFiguresAgreeWithAnIndependentReference) {
  const std::size_t nf = universe_->contract().size();
  const std::size_t r1 = feature("ret_1d"), atr = feature("atr_14_norm");
  const DriftConfig config;
  auto m = monitor(config);
  ReferenceWindow reference(nf, config.window_rows);
  std::vector<float> values;
  // Clean rows, then from cycle 80 a unit error and a dead column, so that
  // the window holds rows in range, out of range, and (from cycle 130) a
  // column wholly out of range.
  for (std::size_t c = 0; c < 160; ++c) {
    for (int s = 0; s < testing::kProofSymbols; ++s) {
      const auto row = clean_->row(c, s);
      values.assign(row.begin(), row.end());
      if (c >= 80) {
        values[r1] *= 100;
        values[atr] = 0.0f;
      }
      m->record(static_cast<std::size_t>(s), values);
      reference.add(s, universe_->edges(s), values);
    }
    if (c % 20 != 19) continue;
    const DriftSnapshot snap = m->snapshot();
    ASSERT_EQ(snap.window_rows, reference.rows()) << "cycle " << c;
    for (std::size_t f = 0; f < nf; ++f) {
      const auto& d = snap.features[f];
      EXPECT_NEAR(d.psi, reference.psi(f), 1e-9) << d.feature << " cycle " << c;
      EXPECT_NEAR(d.out_of_range_fraction, reference.out_of_range(f), 1e-12)
          << d.feature << " cycle " << c;
      EXPECT_NEAR(d.stale_share, reference.stale_share(f), 1e-12) << d.feature << " cycle " << c;
    }
  }
  // The dead column alone fills the window by now: every row below range, and
  // PSI the ten empty-bin terms, 10 x 0.1 x ln(0.1 / 1e-4).
  EXPECT_DOUBLE_EQ(reference.out_of_range(atr), 1.0);
  EXPECT_NEAR(reference.psi(atr), std::log(1000.0), 1e-12);
}

TEST_F(DriftProof, NothingWrongNeverAlertsUnderTheDefaults) {
  const MonitorTrace& t = clean_trace();
  EXPECT_EQ(t.alerting(0, clean_->cycles), std::set<std::size_t>{})
      << names_of(t.alerting(0, clean_->cycles), universe_->contract());
}

// (A symbol at the top or bottom of its sector keeps the same
// cross_rank_sector for 20 days running with nothing wrong: S001, S002 and
// S037 here. The monitor must not take that for a frozen feed.)
TEST_F(DriftProof, NothingWrongFlagsNoSymbolAsFrozen) {
  const MonitorTrace& t = clean_trace();
  for (const auto& e : t.transitions) {
    EXPECT_TRUE(e.transition.symbol.empty())
        << e.transition.symbol << " " << e.transition.feature << " cycle " << e.cycle << " "
        << to_json(e.transition.figures).dump();
  }
}

// Bounds on the cycles a fault takes to ALERT through the out-of-range
// fraction, from the configuration alone: the faulty rows (at most one per
// symbol and cycle, all of them out of range for a column stuck outside the
// training range, nearly all for a x100 unit error) must make up
// out_of_range_alert of the window.
struct CycleBounds {
  long at_least, at_most;
};
CycleBounds out_of_range_alert_bounds(const DriftConfig& config, int symbols,
                                      double faulty_share_out_of_range) {
  const double rows_needed = config.out_of_range_alert * static_cast<double>(config.window_rows);
  const double fastest = rows_needed / symbols;
  return {static_cast<long>(std::floor(fastest * 0.98)),
          static_cast<long>(std::ceil(fastest / faulty_share_out_of_range)) + 3};
}

TEST_F(DriftProof, PercentForFractionInRet1dAlertsOnRet1dAlone) {
  const std::size_t r1 = feature("ret_1d");
  auto m = monitor();
  const MonitorTrace t =
      feed(*m, testing::kProofSymbols, kFaultStart + kFaultCycles, rows_of(*clean_), kFaultStart,
           [r1](int, std::vector<float>& v) { v[r1] *= 100; });
  const long alert = t.first(r1, DriftLevel::kAlert, kFaultStart);
  ASSERT_GE(alert, 0) << "ret_1d x 100 never alerted";
  const long cycles = alert - static_cast<long>(kFaultStart) + 1;
  // A daily return in percent is out of the training range unless |r| < 1%
  // of the range: 0.95 of the rows or more.
  const CycleBounds b = out_of_range_alert_bounds(DriftConfig{}, testing::kProofSymbols, 0.95);
  EXPECT_GE(cycles, b.at_least);
  EXPECT_LE(cycles, b.at_most);
  EXPECT_LT(t.first(r1, DriftLevel::kWarning, kFaultStart), alert) << "no warning first";
  EXPECT_EQ(t.alerting(0, t.level.size()), std::set<std::size_t>{r1})
      << names_of(t.alerting(0, t.level.size()), universe_->contract());
  for (const auto& e : t.transitions) {
    if (e.transition.feature == "ret_1d" && e.transition.to == DriftLevel::kAlert) {
      EXPECT_EQ(e.transition.reason, "OUT_OF_RANGE");
    }
  }
  std::printf("[ drift ] ret_1d x 100: WARNING after %ld cycles, ALERT after %ld cycles\n",
              t.first(r1, DriftLevel::kWarning, kFaultStart) - static_cast<long>(kFaultStart) + 1,
              cycles);
}

TEST_F(DriftProof, DeadAtr14NormColumnAlertsOnAtr14NormAlone) {
  const std::size_t atr = feature("atr_14_norm");
  auto m = monitor();
  const MonitorTrace t =
      feed(*m, testing::kProofSymbols, kFaultStart + kFaultCycles, rows_of(*clean_), kFaultStart,
           [atr](int, std::vector<float>& v) { v[atr] = 0.0f; });
  const long alert = t.first(atr, DriftLevel::kAlert, kFaultStart);
  ASSERT_GE(alert, 0) << "atr_14_norm stuck at 0 never alerted";
  const long cycles = alert - static_cast<long>(kFaultStart) + 1;
  // Every training ATR is positive: 0 is below every model's minimum.
  const CycleBounds b = out_of_range_alert_bounds(DriftConfig{}, testing::kProofSymbols, 1.0);
  EXPECT_GE(cycles, b.at_least);
  EXPECT_LE(cycles, b.at_most);
  EXPECT_EQ(t.alerting(0, t.level.size()), std::set<std::size_t>{atr})
      << names_of(t.alerting(0, t.level.size()), universe_->contract());
  // Once the window holds only dead rows (50 cycles), all of them are out of range.
  EXPECT_DOUBLE_EQ(t.out_of_range[kFaultStart + 50][atr], 1.0);
  std::printf("[ drift ] atr_14_norm = 0: WARNING after %ld cycles, ALERT after %ld cycles\n",
              t.first(atr, DriftLevel::kWarning, kFaultStart) - static_cast<long>(kFaultStart) + 1,
              cycles);
}

// The same unit bug, through the path a live engine takes: every row
// through GovernedPredictor::try_predict, one heartbeat per cycle (which
// judges the drift windows), the figures from predictor.drift().
TEST_F(DriftProof, ThroughTheGovernedPredictorAUnitBugAlertsAndDegrades) {
  const std::size_t r1 = feature("ret_1d");
  testing::TempDir dir;
  Config config;
  config.ml_enabled = true;
  config.paths.models_dir = universe_->models();
  config.paths.contracts_dir = testing::source_dir() / "contracts";
  config.paths.logs_dir = dir / "logs";
  config.governance.state_file = dir / "state.json";
  config.drift = DriftConfig{};
  auto sink = std::make_shared<testing::CaptureSink>();
  PredictorOptions options;
  options.logger = testing::capture_logger(sink);
  options.in_memory_governance = true;
  GovernedPredictor predictor(config, universe_->contract(), options);
  ASSERT_EQ(predictor.state(), MlState::kEnabledOk);
  std::vector<ModelHandle> handles;
  for (const auto& s : universe_->market().symbols) handles.push_back(predictor.resolve(s.symbol));

  const FeatureSchema* schema = clean_->frame.schema.get();
  std::vector<float> values;
  long alert_cycle = -1;
  for (std::size_t c = 0; c < kFaultStart + kFaultCycles; ++c) {
    for (int s = 0; s < testing::kProofSymbols; ++s) {
      const auto row = clean_->row(c, s);
      values.assign(row.begin(), row.end());
      if (c >= kFaultStart) values[r1] *= 100;
      const PredictResult r =
          predictor.try_predict(handles[static_cast<std::size_t>(s)], FeatureRow{schema, values});
      ASSERT_TRUE(r.ok()) << "cycle " << c << " symbol " << s;  // drift never blocks a row
    }
    predictor.heartbeat(std::chrono::seconds(c), testing::kProofSymbols, c + 1);
    const DriftSnapshot snap = predictor.drift();
    ASSERT_EQ(snap.features.size(), universe_->contract().size());
    if (alert_cycle < 0 && snap.features[r1].level == DriftLevel::kAlert) {
      alert_cycle = static_cast<long>(c);
    }
    for (std::size_t f = 0; f < snap.features.size(); ++f) {
      if (f == r1) continue;
      EXPECT_NE(snap.features[f].level, DriftLevel::kAlert) << snap.features[f].feature;
    }
    if (c < kFaultStart) {
      EXPECT_EQ(predictor.state(), MlState::kEnabledOk) << "cycle " << c;
    }
  }
  ASSERT_GE(alert_cycle, 0) << "ret_1d x 100 never alerted through the predictor";
  const long cycles = alert_cycle - static_cast<long>(kFaultStart) + 1;
  const CycleBounds b = out_of_range_alert_bounds(config.drift, testing::kProofSymbols, 0.95);
  EXPECT_GE(cycles, b.at_least);
  EXPECT_LE(cycles, b.at_most);
  EXPECT_EQ(predictor.state(), MlState::kEnabledDegraded);
  const auto alerts = sink->with_status("DRIFT_ALERT");
  ASSERT_FALSE(alerts.empty());
  for (const auto& a : alerts) {
    EXPECT_EQ(a.at("details").at("feature"), "ret_1d");
    EXPECT_EQ(a.at("details").at("reason"), "OUT_OF_RANGE");
  }
  std::printf("[ drift ] through the predictor: ret_1d x 100 ALERT after %ld cycles, state %s\n",
              cycles, std::string(to_string(predictor.state())).c_str());
}

// The 5-day return is nearly symmetric, so its sign flipped leaves its
// distribution (and its training range) nearly where it was: no per-feature
// figure sees it (pinned here, so that the docs stay true).
TEST_F(DriftProof, FlippedSignOfRet5dIsInvisibleToPerFeatureFigures) {
  const std::size_t r5 = feature("ret_5d");
  const DriftConfig config;
  auto m = monitor(config);
  const MonitorTrace t =
      feed(*m, testing::kProofSymbols, kFaultStart + kFaultCycles, rows_of(*clean_), kFaultStart,
           [r5](int, std::vector<float>& v) { v[r5] = -v[r5]; });
  for (std::size_t c = kFaultStart; c < t.level.size(); ++c) {
    EXPECT_LT(t.psi[c][r5], config.warn_psi) << "cycle " << c;
    EXPECT_LT(t.out_of_range[c][r5], config.out_of_range_warn) << "cycle " << c;
  }
}

// ... but its relations see it: ret_5d stops agreeing with the features it
// moved with in training (on which side of their medians they are), while
// each partner keeps its other relations.
TEST_F(DriftProof, FlippedSignOfRet5dAlertsRelationOnRet5dAlone) {
  const std::size_t r5 = feature("ret_5d");
  const DriftConfig config;
  auto m = monitor(config);
  const MonitorTrace t =
      feed(*m, testing::kProofSymbols, kFaultStart + kFaultCycles, rows_of(*clean_), kFaultStart,
           [r5](int, std::vector<float>& v) { v[r5] = -v[r5]; });
  const long alert = t.first(r5, DriftLevel::kAlert, kFaultStart);
  ASSERT_GE(alert, 0) << "the flipped sign of ret_5d never alerted";
  const long cycles = alert - static_cast<long>(kFaultStart) + 1;
  EXPECT_EQ(t.alerting(0, t.level.size()), std::set<std::size_t>{r5})
      << names_of(t.alerting(0, t.level.size()), universe_->contract());
  for (const auto& e : t.transitions) {
    if (e.transition.feature == "ret_5d" && e.transition.to == DriftLevel::kAlert) {
      EXPECT_EQ(e.transition.reason, "RELATION");
    }
  }
  // The bound: a share q of the window's rows flipped moves a pair of
  // training agreement a to about (1 - q) a + q (1 - a) (a flipped value is
  // on the other side of a median near 0): a gap of q |2a - 1|. Two of the
  // three pairs must break, so the weaker of the two strongest decides:
  // q = relation_break / |2 a2 - 1|, q x window_rows / symbols cycles.
  const DriftSnapshot after = m->snapshot();
  std::vector<double> strength;
  for (const auto& r : after.features[r5].relations) {
    strength.push_back(std::abs(2 * r.training_agreement - 1));
  }
  ASSERT_EQ(strength.size(), kRelationPartners);
  std::sort(strength.rbegin(), strength.rend());
  const double expected = config.relation_break / strength[1] *
                          static_cast<double>(config.window_rows) / testing::kProofSymbols;
  EXPECT_GE(cycles, static_cast<long>(std::floor(0.7 * expected)));
  EXPECT_LE(cycles, static_cast<long>(std::ceil(1.3 * expected)) + 2);
  std::string partners;
  for (const auto& r : after.features[r5].relations) {
    partners +=
        fmt::format("{} {:.3f}->{:.3f} ", r.partner, r.training_agreement, r.live_agreement);
  }
  std::printf(
      "[ drift ] ret_5d sign flipped: ALERT (RELATION) after %ld cycles (expected ~%.1f); "
      "pairs after %zu cycles: %s\n",
      cycles, expected, kFaultCycles, partners.c_str());
}

// The margin: with nothing wrong, how far the relations move (the second
// largest gap of each feature, the one a 2-of-3 majority needs).
TEST_F(DriftProof, NothingWrongKeepsEveryRelation) {
  auto m = monitor();
  const MonitorTrace t = feed(*m, testing::kProofSymbols, clean_->cycles, rows_of(*clean_));
  double worst = 0;
  std::string worst_feature;
  for (std::size_t c = 0; c < t.relation_gap.size(); ++c) {
    for (std::size_t f = 0; f < t.relation_gap[c].size(); ++f) {
      if (t.relation_gap[c][f] > worst) {
        worst = t.relation_gap[c][f];
        worst_feature = universe_->contract().names()[f];
      }
    }
  }
  EXPECT_LT(worst, m->config().relation_break) << worst_feature;
  std::printf(
      "[ drift ] nothing wrong: largest 2nd turned-around relation gap %.3f (%s); largest move "
      "of any pair %.3f\n",
      worst, worst_feature.c_str(), t.largest_relation_move);
}

TEST_F(DriftProof, FrozenFeedWarnsStaleOnThatSymbolAlone) {
  // S007's vendor repeats its last real bar (the cycle before kFaultStart)
  // on every date from kFaultStart on.
  constexpr int kFrozen = 6;
  std::vector<BarSeries> bars = universe_->market().symbols;
  auto& frozen = bars[kFrozen].bars;
  const std::size_t first_live =
      static_cast<std::size_t>(testing::kTrainYears * testing::kBarsPerYear);
  for (std::size_t i = first_live + kFaultStart; i < frozen.size(); ++i) {
    const BarTime time = frozen[i].time;
    frozen[i] = frozen[first_live + kFaultStart - 1];
    frozen[i].time = time;
  }
  const ProofUniverse::LiveRows live = universe_->live_rows(bars);
  const DriftConfig config;
  auto m = monitor(config);
  const MonitorTrace t =
      feed(*m, testing::kProofSymbols, kFaultStart + kFaultCycles, rows_of(live));
  long first_warning = -1;
  std::set<std::string> stale_features;
  for (const auto& e : t.transitions) {
    if (e.transition.symbol.empty()) continue;
    EXPECT_EQ(e.transition.symbol, "S007") << e.transition.feature << " cycle " << e.cycle;
    if (e.transition.to == DriftLevel::kWarning && e.transition.symbol == "S007") {
      EXPECT_EQ(e.transition.reason, "STALE");
      stale_features.insert(e.transition.feature);
      if (first_warning < 0) first_warning = static_cast<long>(e.cycle);
    }
  }
  ASSERT_GE(first_warning, 0) << "the frozen feed was never flagged";
  // hl_range = (high - low) / close of a repeated bar repeats from the first
  // frozen row (the last real bar has the same figures): stale_warn of the
  // latest stale_window_rows rows are stale after that many frozen cycles.
  const long cycles = first_warning - static_cast<long>(kFaultStart) + 1;
  const long needed = static_cast<long>(
      std::ceil(config.stale_warn * static_cast<double>(config.stale_window_rows)));
  EXPECT_GE(cycles, needed);
  EXPECT_LE(cycles, needed + 5);
  EXPECT_TRUE(stale_features.count("hl_range")) << "hl_range not flagged";
  EXPECT_TRUE(stale_features.count("ret_1d")) << "ret_1d not flagged";
  EXPECT_EQ(t.alerting(0, t.level.size()), std::set<std::size_t>{})
      << names_of(t.alerting(0, t.level.size()), universe_->contract());
  std::string flagged;
  for (const auto& f : stale_features) flagged += f + " ";
  std::printf(
      "[ drift ] S007 frozen: first STALE warning after %ld cycles; features flagged "
      "within %zu cycles: %s\n",
      cycles, kFaultCycles, flagged.c_str());
}

TEST_F(DriftProof, Figures) {
  if (!report_wanted()) GTEST_SKIP() << "set MLGOV_DRIFT_PROOF_REPORT=1 for the figures";
  const auto& contract = universe_->contract();
  const std::size_t nf = contract.size();
  const std::size_t full = kWindowRows / testing::kProofSymbols;
  const Trace base = run_synthetic(*universe_, *clean_);
  std::printf("live cycles %zu\n", clean_->cycles);
  print_baseline("seed 7, nothing wrong", contract, base, full - 1);
  print_false_alarms("seed 7", contract, base, full - 1, 1000);
  {
    ProofUniverse crisis(2026);
    const auto live = crisis.live_rows(crisis.market().symbols);
    print_baseline("seed 2026 (a GARCH burst: market vol x3 in year 9), nothing wrong", contract,
                   run_synthetic(crisis, live), full - 1);
    print_false_alarms("seed 2026", contract, run_synthetic(crisis, live), full - 1, 1000);
  }
  struct Case {
    const char* name;
    std::string target;
    Transform fault;
  };
  const std::size_t r1 = feature("ret_1d"), atr = feature("atr_14_norm"), r5 = feature("ret_5d");
  const std::vector<Case> cases = {
      {"ret_1d x 100", "ret_1d", [r1](int, std::vector<float>& v) { v[r1] *= 100; }},
      {"atr_14_norm = 0", "atr_14_norm", [atr](int, std::vector<float>& v) { v[atr] = 0; }},
      {"ret_5d sign", "ret_5d", [r5](int, std::vector<float>& v) { v[r5] = -v[r5]; }},
  };
  const Thresholds th;
  for (std::size_t start : {100u, 300u, 500u}) {
    for (const auto& k : cases) {
      const Trace t = run_synthetic(*universe_, *clean_, start, k.fault);
      const std::size_t f = feature(k.target);
      int warn = -1, alert = -1;
      int other_level = 0, base_other_level = 0;
      std::string other;
      for (std::size_t c = start; c < std::min(t.psi.size(), start + 100); ++c) {
        const int l = level(th, t.rows[c], t.psi[c][f], t.oor[c][f], t.stale[c][f]);
        if (warn < 0 && l >= 1) warn = static_cast<int>(c - start + 1);
        if (alert < 0 && l >= 2) alert = static_cast<int>(c - start + 1);
        for (std::size_t g = 0; g < nf; ++g) {
          if (g == f) continue;
          const int lg = level(th, t.rows[c], t.psi[c][g], t.oor[c][g], t.stale[c][g]);
          const int lb = level(th, base.rows[c], base.psi[c][g], base.oor[c][g], base.stale[c][g]);
          if (lg > other_level) other = contract.names()[g];
          other_level = std::max(other_level, lg);
          base_other_level = std::max(base_other_level, lb);
        }
      }
      std::printf(
          "start %zu %-16s warn after %d cycles, alert after %d; +1: psi %.4f oor %.4f; +5: psi "
          "%.4f oor %.4f; +50: psi %.4f oor %.4f; other max level %d (%s), clean %d\n",
          start, k.name, warn, alert, t.psi[start][f], t.oor[start][f], t.psi[start + 4][f],
          t.oor[start + 4][f], t.psi[start + 49][f], t.oor[start + 49][f], other_level,
          other.c_str(), base_other_level);
      print_detection(k.name, t, base, f, start, contract, 1000);
    }
  }
}

// The real data: GOOG and the S&P 500 (as the symbol GSPC), models trained
// before 2008, live rows of 2008 (to 2008-10-14).
class DriftProofReal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    real_ = new RealUniverse();
    live_ = new RealUniverse::LiveRows(real_->live_rows());
  }
  static void TearDownTestSuite() {
    delete live_;
    delete real_;
  }
  // Two symbols: the pooled window is the rows of the last 50 cycles, and it
  // is judged from the first 50 cycles on.
  static DriftConfig config() {
    DriftConfig c = DriftConfig{};
    c.window_rows = 50 * RealUniverse::kSymbols;
    c.min_rows = c.window_rows;
    return c;
  }
  static std::unique_ptr<DriftMonitor> monitor() {
    return std::make_unique<DriftMonitor>(real_->contract().names(), config(),
                                          drift_models({real_->model_dir(0), real_->model_dir(1)}));
  }
  static RowSource rows() {
    return [](std::size_t c, int s) { return live_->row(c, s); };
  }
  static std::size_t feature(const std::string& name) {
    const auto& n = real_->contract().names();
    return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
  }
  static inline RealUniverse* real_ = nullptr;
  static inline RealUniverse::LiveRows* live_ = nullptr;
};

TEST_F(DriftProofReal, The2008CrashWarnsButNeverAlerts) {
  auto m = monitor();
  const MonitorTrace t = feed(*m, RealUniverse::kSymbols, live_->cycles, rows());
  EXPECT_EQ(t.alerting(0, live_->cycles), std::set<std::size_t>{})
      << names_of(t.alerting(0, live_->cycles), real_->contract());
  // ... and it is seen: most features reach WARNING at some point.
  std::set<std::size_t> warned;
  for (const auto& levels : t.level) {
    for (std::size_t f = 0; f < levels.size(); ++f) {
      if (levels[f] == DriftLevel::kWarning) warned.insert(f);
    }
  }
  EXPECT_GE(warned.size(), 20u) << names_of(warned, real_->contract());
  // The relations move in a crash, but no feature has two of its three
  // judged pairs turned around by relation_break.
  double worst = 0;
  std::string worst_feature;
  for (std::size_t c = 0; c < t.relation_gap.size(); ++c) {
    for (std::size_t f = 0; f < t.relation_gap[c].size(); ++f) {
      if (t.relation_gap[c][f] > worst) {
        worst = t.relation_gap[c][f];
        worst_feature = real_->contract().names()[f];
      }
    }
  }
  // (Reported, not asserted: these turned-around gaps ignore the balance
  // rule; the pairs of ret_60d and co. are pinned to one side by the crash
  // and not judged, which the no-alert assertion above covers.)
  std::printf(
      "[ drift ] 2008: largest 2nd turned-around relation gap %.3f (%s); largest move of any "
      "pair %.3f\n",
      worst, worst_feature.c_str(), t.largest_relation_move);
}

TEST_F(DriftProofReal, PercentForFractionIn2008AlertsOnRet1dAlone) {
  const std::size_t r1 = feature("ret_1d");
  constexpr std::size_t kStart = 100;  // 2008-05-27: the window is full of clean rows
  auto m = monitor();
  const MonitorTrace t = feed(*m, RealUniverse::kSymbols, live_->cycles, rows(), kStart,
                              [r1](int, std::vector<float>& v) { v[r1] *= 100; });
  const long alert = t.first(r1, DriftLevel::kAlert, kStart);
  ASSERT_GE(alert, 0) << "ret_1d x 100 never alerted";
  const long cycles = alert - static_cast<long>(kStart) + 1;
  const CycleBounds b = out_of_range_alert_bounds(config(), RealUniverse::kSymbols, 0.95);
  EXPECT_GE(cycles, b.at_least);
  EXPECT_LE(cycles, b.at_most);
  EXPECT_EQ(t.alerting(0, t.level.size()), std::set<std::size_t>{r1})
      << names_of(t.alerting(0, t.level.size()), real_->contract());
  std::printf("[ drift ] 2008, ret_1d x 100 from %s: WARNING after %ld cycles, ALERT after %ld\n",
              format_bar_time(live_->dates[kStart]).c_str(),
              t.first(r1, DriftLevel::kWarning, kStart) - static_cast<long>(kStart) + 1, cycles);
}

TEST_F(DriftProofReal, DeadAtr14NormColumnIn2008AlertsOnAtr14NormAlone) {
  const std::size_t atr = feature("atr_14_norm");
  constexpr std::size_t kStart = 100;
  auto m = monitor();
  const MonitorTrace t = feed(*m, RealUniverse::kSymbols, live_->cycles, rows(), kStart,
                              [atr](int, std::vector<float>& v) { v[atr] = 0.0f; });
  const long alert = t.first(atr, DriftLevel::kAlert, kStart);
  ASSERT_GE(alert, 0) << "atr_14_norm stuck at 0 never alerted";
  const long cycles = alert - static_cast<long>(kStart) + 1;
  const CycleBounds b = out_of_range_alert_bounds(config(), RealUniverse::kSymbols, 1.0);
  EXPECT_GE(cycles, b.at_least);
  EXPECT_LE(cycles, b.at_most);
  EXPECT_EQ(t.alerting(0, t.level.size()), std::set<std::size_t>{atr})
      << names_of(t.alerting(0, t.level.size()), real_->contract());
}

TEST_F(DriftProofReal, Figures) {
  if (!report_wanted()) GTEST_SKIP() << "set MLGOV_DRIFT_PROOF_REPORT=1 for the figures";
  const RealUniverse& real = *real_;
  const auto& live = *live_;
  const auto& contract = real.contract();
  std::printf("real live cycles %zu (%s .. %s)\n", live.cycles,
              format_bar_time(live.dates.front()).c_str(),
              format_bar_time(live.dates.back()).c_str());
  const auto row_of = [&live](std::size_t c, int s) { return live.row(c, s); };
  const auto edges_of = [&real](int s) -> const std::vector<testing::ReferenceEdges>& {
    return real.edges(s);
  };
  {
    const Trace base = run(contract.size(), 2, live.cycles, row_of, edges_of, 2000);
    print_false_alarms("real GOOG+GSPC 2008, window 2000, min_rows 100", contract, base, 0, 100);
    const Trace rolling = run(contract.size(), 2, live.cycles, row_of, edges_of, 100);
    print_false_alarms("real GOOG+GSPC 2008, window 100 (50 cycles), min_rows 100", contract,
                       rolling, 0, 100);
    for (std::size_t f = 0; f < contract.size(); ++f) {
      double mo = 0, mp = 0;
      for (std::size_t c = 49; c < live.cycles; ++c) {
        mo = std::max(mo, rolling.oor[c][f]);
        mp = std::max(mp, rolling.psi[c][f]);
      }
      std::printf("  rolling 100: %-22s max psi %.3f max oor %.3f\n", contract.names()[f].c_str(),
                  mp, mo);
    }
    const auto& n0 = contract.names();
    const std::size_t r1x =
        static_cast<std::size_t>(std::find(n0.begin(), n0.end(), "ret_1d") - n0.begin());
    const std::size_t atrx =
        static_cast<std::size_t>(std::find(n0.begin(), n0.end(), "atr_14_norm") - n0.begin());
    print_detection("R ret_1d x 100",
                    run(contract.size(), 2, live.cycles, row_of, edges_of, 100, 100,
                        [r1x](int, std::vector<float>& v) { v[r1x] *= 100; }),
                    rolling, r1x, 100, contract, 100);
    print_detection("R atr_14_norm = 0",
                    run(contract.size(), 2, live.cycles, row_of, edges_of, 100, 100,
                        [atrx](int, std::vector<float>& v) { v[atrx] = 0; }),
                    rolling, atrx, 100, contract, 100);
    const auto& n = contract.names();
    const auto idx = [&n](const char* name) {
      return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
    };
    const std::size_t r1 = idx("ret_1d"), atr = idx("atr_14_norm"), r5 = idx("ret_5d");
    for (std::size_t start : {60u, 120u}) {
      std::printf("real faults from cycle %zu (%s)\n", start,
                  format_bar_time(live.dates[start]).c_str());
      print_detection("ret_1d x 100",
                      run(contract.size(), 2, live.cycles, row_of, edges_of, 2000, start,
                          [r1](int, std::vector<float>& v) { v[r1] *= 100; }),
                      base, r1, start, contract, 100);
      print_detection("atr_14_norm = 0",
                      run(contract.size(), 2, live.cycles, row_of, edges_of, 2000, start,
                          [atr](int, std::vector<float>& v) { v[atr] = 0; }),
                      base, atr, start, contract, 100);
      print_detection("ret_5d sign",
                      run(contract.size(), 2, live.cycles, row_of, edges_of, 2000, start,
                          [r5](int, std::vector<float>& v) { v[r5] = -v[r5]; }),
                      base, r5, start, contract, 100);
    }
  }
  for (int n_sym : {1, 2}) {
    for (std::size_t window : {2000u, 100u, 40u}) {
      const Trace t = run(contract.size(), n_sym, live.cycles, row_of, edges_of, window);
      std::printf("== real, %s, window %zu rows: PSI / OOR at month ends\n",
                  n_sym == 1 ? "GOOG" : "GOOG+GSPC", window);
      std::printf("%-22s", "feature");
      std::vector<std::size_t> ends;
      for (std::size_t c = 0; c < live.cycles; ++c) {
        if (c + 1 == live.cycles || format_bar_time(live.dates[c]).substr(5, 2) !=
                                        format_bar_time(live.dates[c + 1]).substr(5, 2)) {
          ends.push_back(c);
          std::printf(" %11s", format_bar_time(live.dates[c]).substr(0, 7).c_str());
        }
      }
      std::printf(" %8s\n", "max");
      for (std::size_t f = 0; f < contract.size(); ++f) {
        std::printf("%-22s", contract.names()[f].c_str());
        double mx = 0;
        for (std::size_t c = 19; c < live.cycles; ++c) mx = std::max(mx, t.psi[c][f]);
        for (std::size_t c : ends) std::printf(" %5.2f/%5.2f", t.psi[c][f], t.oor[c][f]);
        std::printf(" %8.3f\n", mx);
      }
    }
  }
}

}  // namespace
}  // namespace mlgov
