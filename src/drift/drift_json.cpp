// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The JSON of the drift figures (drift.h).
#include "mlgov/drift.h"

namespace mlgov {

nlohmann::json to_json(const FeatureDrift& d) {
  nlohmann::json top = nlohmann::json::array();
  for (const SymbolContribution& c : d.top_symbols) {
    top.push_back({{"symbol", c.symbol},
                   {"rows", c.rows},
                   {"psi_contribution", c.psi_contribution},
                   {"out_of_range_rows", c.out_of_range_rows},
                   {"stale_rows", c.stale_rows},
                   {"score", c.score}});
  }
  nlohmann::json relations = nlohmann::json::array();
  for (const RelationDrift& r : d.relations) {
    relations.push_back({{"partner", r.partner},
                         {"rows", r.rows},
                         {"training_agreement", r.training_agreement},
                         {"live_agreement", r.live_agreement},
                         {"broken", r.broken}});
  }
  return {{"feature", d.feature},
          {"rows", d.rows},
          {"nan_rows", d.nan_rows},
          {"in_range_rows", d.in_range_rows},
          {"shares", d.shares},
          {"expected_shares", d.expected_shares},
          {"psi", d.psi},
          {"below_range_fraction", d.below_range_fraction},
          {"above_range_fraction", d.above_range_fraction},
          {"out_of_range_fraction", d.out_of_range_fraction},
          {"stale_share", d.stale_share},
          {"recent_stale_share", d.recent_stale_share},
          {"others_stale_share", d.others_stale_share},
          {"stale_judged", d.stale_judged},
          {"level", to_string(d.level)},
          {"top_symbols", std::move(top)},
          {"relations", std::move(relations)},
          {"relation_broken", d.relation_broken}};
}

nlohmann::json to_json(const DriftSnapshot& snapshot) {
  nlohmann::json features = nlohmann::json::array();
  for (const FeatureDrift& d : snapshot.features) features.push_back(to_json(d));
  nlohmann::json models = nlohmann::json::array();
  for (const ModelDrift& m : snapshot.models) {
    nlohmann::json model_features = nlohmann::json::array();
    for (const FeatureDrift& d : m.features) model_features.push_back(to_json(d));
    models.push_back({{"symbol", m.symbol},
                      {"rows", m.rows},
                      {"recent_rows", m.recent_rows},
                      {"features", std::move(model_features)}});
  }
  return {{"rows_recorded", snapshot.rows_recorded},
          {"window_rows", snapshot.window_rows},
          {"worst_psi", snapshot.worst_psi},
          {"worst_feature", snapshot.worst_feature},
          {"features_in_warning", snapshot.features_in_warning},
          {"features_in_alert", snapshot.features_in_alert},
          {"features", std::move(features)},
          {"models", std::move(models)},
          {"models_without_stats", snapshot.models_without_stats},
          {"models_without_relations", snapshot.models_without_relations}};
}

}  // namespace mlgov
