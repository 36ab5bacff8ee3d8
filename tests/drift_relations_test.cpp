// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The relation check from the outside: training records each feature's
// strongest same-side-of-the-median partners; the monitor counts the live
// agreement of those pairs from the window's bins and alerts (RELATION) on a
// feature whose pairs are mostly broken, not on its partners. Expected
// agreement shares are counted by hand.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlgov/drift.h"
#include "mlgov/errors.h"
#include "mlgov/offline/training.h"

namespace {

using mlgov::DriftConfig;
using mlgov::DriftLevel;
using mlgov::DriftModel;
using mlgov::DriftMonitor;
using mlgov::TrainingBins;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// Edges 0, 1, ..., 10: the median (deciles[4]) is 5, so a value is "above"
// when it is >= 5.
nlohmann::json integer_stats(nlohmann::json relations = nullptr) {
  nlohmann::json s = {{"mean", 5.0},
                      {"std", 2.9},
                      {"min", 0.0},
                      {"max", 10.0},
                      {"deciles", {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0}}};
  if (!relations.is_null()) s["relations"] = std::move(relations);
  return s;
}

std::vector<std::string> names(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(fmt::format("f{}", i));
  return out;
}

// n features, each related to every other with agreement `a` (the first 3).
TrainingBins all_related(std::size_t n, double a) {
  const std::vector<std::string> features = names(n);
  nlohmann::json stats = nlohmann::json::object();
  for (std::size_t f = 0; f < n; ++f) {
    nlohmann::json rel = nlohmann::json::array();
    for (std::size_t g = 0; g < n && rel.size() < 3; ++g) {
      if (g != f) rel.push_back({{"feature", features[g]}, {"agreement", a}});
    }
    stats[features[f]] = integer_stats(rel);
  }
  return TrainingBins::from_feature_stats(stats, features, "test/model_meta.json");
}

// Judged from the first row; PSI and out-of-range never judged, so only the
// relation check can alert.
DriftConfig relation_config() {
  DriftConfig c;
  c.window_rows = 100;
  c.model_window_rows = 100;
  c.min_rows = 1;
  c.warn_psi = 100;
  c.alert_psi = 100;
  c.clear_psi = 100;
  c.out_of_range_warn = 1;
  c.out_of_range_alert = 1;
  c.clear_evaluations = 1;
  c.stale_window_rows = 5;
  c.relation_break = 0.2;
  c.relation_min_rows = 1;
  return c;
}

void record(DriftMonitor& m, std::size_t model, std::vector<float> row) { m.record(model, row); }

TEST(DriftRelations, TrainingRecordsTheThreeStrongestPartnersWithTheirAgreement) {
  // Columns (10 rows each); every median is 5.5 (numpy's, between 5 and 6):
  //   a = 1..10               sides 0000011111
  //   b = 1 2 3 4 6 5 7 8 9 10 sides 0000101111: agrees with a on 8 of 10
  //   c = 10..1               sides 1111100000: agrees with a on 0, b on 2
  //   d = 1 10 2 9 3 8 4 7 5 6 sides 0101010101: agrees with a on 6, b on 4, c on 4
  //   e = 0 everywhere: every row at its median, no side, no relations
  const std::vector<std::vector<float>> cols = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
                                                {1, 2, 3, 4, 6, 5, 7, 8, 9, 10},
                                                {10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
                                                {1, 10, 2, 9, 3, 8, 4, 7, 5, 6},
                                                {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  std::vector<float> rows;
  for (std::size_t i = 0; i < 10; ++i) {
    for (const auto& c : cols) rows.push_back(c[i]);
  }
  const auto stats = mlgov::offline::feature_statistics(rows, 10, {"a", "b", "c", "d", "e"});
  // a: c (|0 - 0.5| = 0.5), b (0.3), d (0.1), strongest first.
  const nlohmann::json a_expected = {{{"feature", "c"}, {"agreement", 0.0}},
                                     {{"feature", "b"}, {"agreement", 0.8}},
                                     {{"feature", "d"}, {"agreement", 0.6}}};
  EXPECT_EQ(stats.at("a").at("relations"), a_expected);
  // d: a (0.6), b (0.4) and c (0.4) all 0.1 from 0.5: contract order.
  const nlohmann::json d_expected = {{{"feature", "a"}, {"agreement", 0.6}},
                                     {{"feature", "b"}, {"agreement", 0.4}},
                                     {{"feature", "c"}, {"agreement", 0.4}}};
  EXPECT_EQ(stats.at("d").at("relations"), d_expected);
  EXPECT_FALSE(stats.at("e").contains("relations"));
  for (const char* f : {"a", "b", "c", "d"}) {
    for (const auto& r : stats.at(f).at("relations")) EXPECT_NE(r.at("feature"), "e") << f;
  }
}

TEST(DriftRelations, LiveAgreementIsTheShareOfRowsOnTheSameSideOfTheMedian) {
  std::vector<DriftModel> models;
  models.push_back({"S0", all_related(2, 0.9)});
  DriftMonitor m(names(2), relation_config(), std::move(models));
  record(m, 0, {5.0f, 9.0f});    // the median itself is above: same
  record(m, 0, {4.999f, 9.0f});  // below, above: differ
  record(m, 0, {-3.0f, 1.0f});   // below the training min counts below: same
  record(m, 0, {-3.0f, 20.0f});  // above the max counts above: differ
  record(m, 0, {kNan, 1.0f});    // NaN: left out
  record(m, 0, {20.0f, 6.0f});   // same
  const mlgov::DriftSnapshot snap = m.snapshot();
  ASSERT_EQ(snap.features[0].relations.size(), 1u);
  const mlgov::RelationDrift& r = snap.features[0].relations[0];
  EXPECT_EQ(r.partner, "f1");
  EXPECT_EQ(r.rows, 5u);
  EXPECT_DOUBLE_EQ(r.live_agreement, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(r.training_agreement, 0.9);
  // |0.6 - 0.9| = 0.3 >= 0.2, but still above 0.5: weaker, not turned around.
  EXPECT_FALSE(r.broken);
}

TEST(DriftRelations, APairIsBrokenOnlyWhenTurnedAroundByRelationBreak) {
  std::vector<DriftModel> models;
  models.push_back({"S0", all_related(2, 0.6)});
  DriftMonitor m(names(2), relation_config(), std::move(models));
  // 9 rows on the same side, 11 on opposite sides: 0.45, across 0.5 from
  // 0.6 but only 0.15 away: not broken.
  // (Each feature about half above its median: the pair is judged.)
  for (int i = 0; i < 9; ++i) record(m, 0, {i % 2 ? 9.0f : 1.0f, i % 2 ? 9.0f : 1.0f});
  for (int i = 0; i < 11; ++i) record(m, 0, {i % 2 ? 9.0f : 1.0f, i % 2 ? 1.0f : 9.0f});
  const mlgov::RelationDrift near = m.snapshot().features[0].relations.at(0);
  EXPECT_DOUBLE_EQ(near.live_agreement, 9.0 / 20.0);
  EXPECT_FALSE(near.broken);
  // 16 more opposite: 9 / 36 = 0.25, across 0.5 and 0.35 away: broken.
  for (int i = 0; i < 16; ++i) record(m, 0, {i % 2 ? 9.0f : 1.0f, i % 2 ? 1.0f : 9.0f});
  const mlgov::RelationDrift turned = m.snapshot().features[0].relations.at(0);
  EXPECT_DOUBLE_EQ(turned.live_agreement, 9.0 / 36.0);
  EXPECT_TRUE(turned.broken);
}

TEST(DriftRelations, TrainingAgreementWeighsEachModelByItsRows) {
  std::vector<DriftModel> models;
  models.push_back({"S0", all_related(2, 0.9)});
  models.push_back({"S1", all_related(2, 0.3)});
  DriftMonitor m(names(2), relation_config(), std::move(models));
  for (int i = 0; i < 3; ++i) record(m, 0, {1.0f, 1.0f});
  record(m, 1, {1.0f, 9.0f});
  const mlgov::RelationDrift r = m.snapshot().features[0].relations.at(0);
  EXPECT_EQ(r.rows, 4u);
  EXPECT_DOUBLE_EQ(r.training_agreement, (3 * 0.9 + 1 * 0.3) / 4);
  EXPECT_DOUBLE_EQ(r.live_agreement, 3.0 / 4.0);
  EXPECT_FALSE(r.broken);  // |0.75 - 0.75| < 0.2
}

TEST(DriftRelations, AFlippedFeatureAlertsAloneNotItsPartners) {
  // Four features related pairwise at 0.9; f0 arrives mirrored (10 - v),
  // the others as they should: f0's three pairs break, each partner has
  // one broken pair of three.
  std::vector<DriftModel> models;
  models.push_back({"S0", all_related(4, 0.9)});
  DriftMonitor m(names(4), relation_config(), std::move(models));
  for (int i = 0; i < 10; ++i) {
    const float v = 0.5f + static_cast<float>(i);
    record(m, 0, {10.0f - v, v, v, v});
  }
  const mlgov::DriftEvaluation e = m.evaluate();
  EXPECT_TRUE(e.snapshot.features[0].relation_broken);
  EXPECT_EQ(e.snapshot.features[0].level, DriftLevel::kAlert);
  for (const auto& r : e.snapshot.features[0].relations) {
    EXPECT_DOUBLE_EQ(r.live_agreement, 0.0) << r.partner;
    EXPECT_TRUE(r.broken) << r.partner;
  }
  for (std::size_t f = 1; f < 4; ++f) {
    const auto& d = e.snapshot.features[f];
    EXPECT_FALSE(d.relation_broken) << d.feature;
    EXPECT_EQ(d.level, DriftLevel::kOk) << d.feature;
    std::size_t broken = 0;
    for (const auto& r : d.relations) broken += r.broken;
    EXPECT_EQ(broken, 1u) << d.feature;
  }
  ASSERT_EQ(e.transitions.size(), 1u);
  EXPECT_EQ(e.transitions[0].feature, "f0");
  EXPECT_EQ(e.transitions[0].reason, "RELATION");
  EXPECT_TRUE(e.alert_now);
}

TEST(DriftRelations, APairIsNotJudgedBelowRelationMinRows) {
  DriftConfig c = relation_config();
  c.relation_min_rows = 11;
  std::vector<DriftModel> models;
  models.push_back({"S0", all_related(4, 0.9)});
  DriftMonitor m(names(4), c, std::move(models));
  for (int i = 0; i < 10; ++i) {
    const float v = 0.5f + static_cast<float>(i);
    record(m, 0, {10.0f - v, v, v, v});
  }
  const mlgov::DriftEvaluation e = m.evaluate();
  EXPECT_FALSE(e.snapshot.features[0].relation_broken);
  EXPECT_EQ(e.snapshot.features[0].level, DriftLevel::kOk);
  record(m, 0, {9.5f, 0.5f, 0.5f, 0.5f});
  EXPECT_EQ(m.evaluate().snapshot.features[0].level, DriftLevel::kAlert);
}

TEST(DriftRelations, AModelTrainedBeforeRelationsTakesNoPartAndIsNamed) {
  const std::vector<std::string> features = names(2);
  nlohmann::json old_stats = {{"f0", integer_stats()}, {"f1", integer_stats()}};
  std::vector<DriftModel> models;
  models.push_back({"OLD", TrainingBins::from_feature_stats(old_stats, features, "old")});
  models.push_back({"NEW", all_related(2, 0.9)});
  EXPECT_FALSE(models[0].bins->has_relations());
  DriftMonitor m(features, relation_config(), std::move(models));
  for (int i = 0; i < 4; ++i) record(m, 0, {1.0f, 9.0f});  // would break: ignored
  for (int i = 0; i < 2; ++i) record(m, 1, {1.0f, 1.0f});
  const mlgov::DriftSnapshot snap = m.snapshot();
  EXPECT_EQ(snap.models_without_relations, std::vector<std::string>{"OLD"});
  const mlgov::RelationDrift& r = snap.features[0].relations.at(0);
  EXPECT_EQ(r.rows, 2u);
  EXPECT_DOUBLE_EQ(r.live_agreement, 1.0);
}

TEST(DriftRelations, ARelationNamingAnUnknownFeatureIsRejectedNamingFileAndFeature) {
  const std::vector<std::string> features = names(2);
  nlohmann::json stats = {
      {"f0", integer_stats(nlohmann::json::array({{{"feature", "zz"}, {"agreement", 0.7}}}))},
      {"f1", integer_stats()}};
  try {
    (void)TrainingBins::from_feature_stats(stats, features, "models/S1/model_meta.json");
    FAIL() << "no error";
  } catch (const mlgov::ModelMetaError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("models/S1/model_meta.json"), std::string::npos) << what;
    EXPECT_NE(what.find("feature_stats.f0"), std::string::npos) << what;
    EXPECT_NE(what.find("\"zz\""), std::string::npos) << what;
  }
  stats["f0"] = integer_stats(nlohmann::json::array({{{"feature", "f1"}, {"agreement", 1.5}}}));
  EXPECT_THROW((void)TrainingBins::from_feature_stats(stats, features, "m"), mlgov::ModelMetaError);
}

TEST(DriftRelations, TheSnapshotJsonCarriesTheRelations) {
  std::vector<DriftModel> models;
  models.push_back({"S0", all_related(2, 0.9)});
  DriftMonitor m(names(2), relation_config(), std::move(models));
  record(m, 0, {1.0f, 9.0f});
  record(m, 0, {9.0f, 1.0f});
  const nlohmann::json j = mlgov::to_json(m.evaluate().snapshot);
  const nlohmann::json& r = j.at("features")[0].at("relations")[0];
  EXPECT_EQ(r.at("partner"), "f1");
  EXPECT_EQ(r.at("rows"), 2);
  EXPECT_DOUBLE_EQ(r.at("training_agreement").get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(r.at("live_agreement").get<double>(), 0.0);
  EXPECT_EQ(r.at("broken"), true);
  // One pair of one: broken, but a single pair is not a majority of evidence.
  EXPECT_EQ(j.at("features")[0].at("relation_broken"), false);
  EXPECT_TRUE(j.at("models_without_relations").empty());
}

}  // namespace
