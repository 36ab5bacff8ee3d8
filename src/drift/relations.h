// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The relation check (internal to the drift monitor): which feature pairs
// the pooled window judges, and their live same-side-of-the-median
// agreement counted from the bins the window already holds (no work on the
// hot path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mlgov/config.h"
#include "mlgov/drift.h"

namespace mlgov::internal {

// The pairs judged per feature: for feature f, the kRelationPartners
// partners recorded by the most models (ties: the larger summed distance of
// the training agreement from 0.5, then contract order), each with every
// model's training agreement (NaN where the model does not record it).
// A plain value built once by the monitor's constructor.
class RelationPlan {
 public:
  RelationPlan() = default;
  RelationPlan(std::size_t n_features, const std::vector<DriftModel>& models);

  struct Pair {
    std::size_t feature = 0;
    std::size_t partner = 0;
    std::vector<double> agreement;  // per model, NaN: not recorded
  };
  const std::vector<Pair>& pairs() const noexcept { return pairs_; }
  // Indices into pairs() of feature f's pairs.
  const std::vector<std::size_t>& pairs_of(std::size_t f) const noexcept { return by_feature_[f]; }
  std::size_t n_models() const noexcept { return n_models_; }

 private:
  std::vector<Pair> pairs_;
  std::vector<std::vector<std::size_t>> by_feature_;
  std::size_t n_models_ = 0;
};

// The counts of one snapshot: per pair and model, the rows judged (neither
// value NaN) and those whose two values were on the same side of their
// medians. Not thread-safe; one per snapshot.
class RelationTally {
 public:
  explicit RelationTally(const RelationPlan& plan);
  // One window row of `model`: `bin_of(f)` gives feature f's bin (0..11, or
  // kNanBin).
  template <typename BinOf>
  void add(std::size_t model, const BinOf& bin_of) {
    const std::size_t n_models = plan_->n_models();
    for (std::size_t p = 0; p < plan_->pairs().size(); ++p) {
      const RelationPlan::Pair& pair = plan_->pairs()[p];
      if (model >= n_models || pair.agreement[model] != pair.agreement[model]) continue;
      const std::uint8_t a = bin_of(pair.feature);
      const std::uint8_t b = bin_of(pair.partner);
      if (a == kNanBin || b == kNanBin) continue;
      const bool a_above = a > kDecileBins / 2, b_above = b > kDecileBins / 2;
      ++rows_[p * n_models + model];
      same_[p * n_models + model] += a_above == b_above;
      above_[p * 2] += a_above;
      above_[p * 2 + 1] += b_above;
    }
  }
  // Feature f's relations over the rows added, judged under `config`, and
  // whether most of them (at least 2, more than half) are broken.
  std::vector<RelationDrift> figures(std::size_t f, const std::vector<std::string>& names,
                                     const DriftConfig& config, bool& most_broken) const;

 private:
  const RelationPlan* plan_;
  std::vector<std::uint64_t> rows_, same_;  // [pair * n_models + model]
  std::vector<std::uint64_t> above_;        // [pair * 2 + 0/1]: feature / partner above median
};

}  // namespace mlgov::internal
