// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The relation check: the pairs judged and their live agreement (see
// relations.h and drift.h's RelationDrift).
#include "drift/relations.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlgov::internal {

RelationPlan::RelationPlan(std::size_t n_features, const std::vector<DriftModel>& models)
    : by_feature_(n_features), n_models_(models.size()) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t f = 0; f < n_features; ++f) {
    // Per partner: the models recording it and their summed strength.
    std::vector<std::size_t> recorded(n_features, 0);
    std::vector<double> strength(n_features, 0.0);
    for (const DriftModel& m : models) {
      if (!m.bins || !m.bins->has_relations() || m.bins->n_features() != n_features) continue;
      for (const FeatureRelation& r : m.bins->relations(f)) {
        ++recorded[r.partner];
        strength[r.partner] += std::abs(r.agreement - 0.5);
      }
    }
    std::vector<std::size_t> partners;
    for (std::size_t g = 0; g < n_features; ++g) {
      if (recorded[g] > 0) partners.push_back(g);
    }
    std::stable_sort(partners.begin(), partners.end(), [&](std::size_t a, std::size_t b) {
      return recorded[a] > recorded[b] || (recorded[a] == recorded[b] && strength[a] > strength[b]);
    });
    partners.resize(std::min(partners.size(), kRelationPartners));
    for (std::size_t g : partners) {
      Pair pair{f, g, std::vector<double>(models.size(), none)};
      for (std::size_t m = 0; m < models.size(); ++m) {
        if (!models[m].bins || !models[m].bins->has_relations() ||
            models[m].bins->n_features() != n_features) {
          continue;
        }
        for (const FeatureRelation& r : models[m].bins->relations(f)) {
          if (r.partner == g) pair.agreement[m] = r.agreement;
        }
      }
      by_feature_[f].push_back(pairs_.size());
      pairs_.push_back(std::move(pair));
    }
  }
}

RelationTally::RelationTally(const RelationPlan& plan)
    : plan_(&plan),
      rows_(plan.pairs().size() * plan.n_models(), 0),
      same_(plan.pairs().size() * plan.n_models(), 0),
      above_(plan.pairs().size() * 2, 0) {}

std::vector<RelationDrift> RelationTally::figures(std::size_t f,
                                                  const std::vector<std::string>& names,
                                                  const DriftConfig& config,
                                                  bool& most_broken) const {
  std::vector<RelationDrift> out;
  std::size_t broken = 0;
  const std::size_t n_models = plan_->n_models();
  for (std::size_t p : plan_->pairs_of(f)) {
    const RelationPlan::Pair& pair = plan_->pairs()[p];
    RelationDrift r;
    r.partner = names[pair.partner];
    std::uint64_t same = 0;
    double expected = 0.0;
    for (std::size_t m = 0; m < n_models; ++m) {
      const std::uint64_t rows = rows_[p * n_models + m];
      if (rows == 0) continue;
      r.rows += rows;
      same += same_[p * n_models + m];
      expected += static_cast<double>(rows) * pair.agreement[m];
    }
    if (r.rows > 0) {
      // The training share of the same rows' models, weighed by their rows.
      r.training_agreement = expected / static_cast<double>(r.rows);
      r.live_agreement = static_cast<double>(same) / static_cast<double>(r.rows);
    }
    // Broken: mirrored (live on the other side of 0.5 from training, as a
    // flipped sign makes it) and relation_break away. A market regime
    // strengthens or weakens a relation (2008: returns agree more, the
    // tails' relations fade toward 0.5) but does not turn it around.
    const bool mirrored = (r.training_agreement - 0.5) * (r.live_agreement - 0.5) < 0.0;
    // Judged only while both features are balanced about their medians
    // (30%..70% of the rows above, as training requires of a partner): a
    // regime that pins one to a side (a 60-day return in a crash) leaves
    // the agreement to the other feature's balance, and says nothing of the
    // relation. A flipped near-symmetric feature stays balanced.
    const auto balanced = [&](std::uint64_t above) {
      const double share = static_cast<double>(above) / static_cast<double>(r.rows);
      return share >= 0.3 && share <= 0.7;
    };
    r.broken = r.rows >= config.relation_min_rows && balanced(above_[p * 2]) &&
               balanced(above_[p * 2 + 1]) && mirrored &&
               std::abs(r.live_agreement - r.training_agreement) >= config.relation_break;
    broken += r.broken;
    out.push_back(std::move(r));
  }
  most_broken = broken >= 2 && 2 * broken > out.size();
  return out;
}

}  // namespace mlgov::internal
