// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The data side of the drift proof (tests/drift_proof_test.cpp, issue #14
// item 5): a synthetic universe whose models `mlgov train` trained on the
// first 7 years, the feature rows of the last 3 (the live period), the real
// GOOG data of data/real, the injected faults, and a reference drift
// computation written independently of src/drift (the model_meta.json
// feature_stats read straight from the files, binned and scored here) against
// which the monitor's figures are checked.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_universe_fixture.h"
#include "mlgov/bars.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/offline/synthetic_market.h"
#include "test_support.h"

namespace mlgov::testing {

// 10 deciles + below the training min + at or above the training max.
inline constexpr int kReferenceBins = 12;

// One feature's training edges from model_meta.json: min, the 9 deciles, max.
struct ReferenceEdges {
  std::array<double, 11> edges{};
  // 0: below min; 1..10: the deciles ([min, d1), ..., [d9, max)); 11: >= max.
  // Values on an edge go to the upper bin. NaN: -1.
  int bin_of(float value) const {
    if (std::isnan(value)) return -1;
    const double v = value;
    int bin = 0;
    for (double e : edges) bin += v >= e ? 1 : 0;
    return bin;
  }
};

// The edges of every feature of the model in `model_dir`, in `names` order.
inline std::vector<ReferenceEdges> read_reference_edges(const std::filesystem::path& model_dir,
                                                        const std::vector<std::string>& names) {
  const nlohmann::json meta = read_json(model_dir / "model_meta.json");
  std::vector<ReferenceEdges> out;
  for (const auto& name : names) {
    const auto& s = meta.at("feature_stats").at(name);
    ReferenceEdges e;
    e.edges[0] = s.at("min").get<double>();
    for (int i = 0; i < 9; ++i) e.edges[1 + i] = s.at("deciles").at(i).get<double>();
    e.edges[10] = s.at("max").get<double>();
    out.push_back(e);
  }
  return out;
}

// Shares of a 12-bin count.
using BinCounts = std::array<double, kReferenceBins>;

// PSI of the observed 12-bin counts against the training expectation: 0.1
// in each decile bin, 0 outside the training range. A share or an
// expectation of 0 would make the term infinite, so both are floored at
// `floor` (the usual practice; the floor sets how loud an all-out-of-range
// column is: 1 x ln(1 / floor)).
inline double reference_psi(const BinCounts& counts, double floor) {
  double n = 0;
  for (double c : counts) n += c;
  if (n == 0) return 0;
  double psi = 0;
  for (int b = 0; b < kReferenceBins; ++b) {
    const double expected = std::max(b == 0 || b == kReferenceBins - 1 ? 0.0 : 0.1, floor);
    const double actual = std::max(counts[static_cast<std::size_t>(b)] / n, floor);
    psi += (actual - expected) * std::log(actual / expected);
  }
  return psi;
}

// A reference sliding window of the last `capacity` pooled rows: per row
// the symbol, each feature's bin and whether the value equals the same
// symbol's previous value (stale).
class ReferenceWindow {
 public:
  ReferenceWindow(std::size_t n_features, std::size_t capacity)
      : n_features_(n_features), capacity_(capacity), counts_(n_features), stale_(n_features) {}

  void add(int symbol, const std::vector<ReferenceEdges>& edges, std::span<const float> values) {
    Row row{symbol, std::vector<int>(n_features_), std::vector<bool>(n_features_)};
    auto prev = previous_.find(symbol);
    for (std::size_t f = 0; f < n_features_; ++f) {
      row.bins[f] = edges[f].bin_of(values[f]);
      row.stale[f] = prev != previous_.end() && prev->second[f] == values[f];
    }
    previous_[symbol].assign(values.begin(), values.end());
    apply(row, +1);
    rows_.push_back(std::move(row));
    if (rows_.size() > capacity_) {
      apply(rows_.front(), -1);
      rows_.pop_front();
    }
  }

  std::size_t rows() const { return rows_.size(); }
  const BinCounts& counts(std::size_t f) const { return counts_[f]; }
  double psi(std::size_t f, double floor) const { return reference_psi(counts_[f], floor); }
  // Share of the window's rows whose value lies outside [min, max).
  double out_of_range(std::size_t f) const {
    double n = 0;
    for (double c : counts_[f]) n += c;
    return n == 0 ? 0 : (counts_[f][0] + counts_[f][kReferenceBins - 1]) / n;
  }
  double stale_share(std::size_t f) const {
    return rows_.empty() ? 0 : stale_[f] / static_cast<double>(rows_.size());
  }
  // Stale rows of `symbol` for feature f in the window.
  int stale_rows_of(int symbol, std::size_t f) const {
    int n = 0;
    for (const auto& r : rows_) n += r.symbol == symbol && r.stale[f] ? 1 : 0;
    return n;
  }

 private:
  struct Row {
    int symbol;
    std::vector<int> bins;
    std::vector<bool> stale;
  };
  void apply(const Row& row, double sign) {
    for (std::size_t f = 0; f < n_features_; ++f) {
      if (row.bins[f] >= 0) counts_[f][static_cast<std::size_t>(row.bins[f])] += sign;
      if (row.stale[f]) stale_[f] += sign;
    }
  }

  std::size_t n_features_;
  std::size_t capacity_;
  std::vector<BinCounts> counts_;
  std::vector<double> stale_;
  std::deque<Row> rows_;
  std::map<int, std::vector<float>> previous_;
};

// The synthetic universe of the proof: kProofSymbols symbols x 10 years,
// models trained by `mlgov train` on the first 7 years, and the feature rows
// (of the full 10 years, computed in one batch) of the last 3.
inline constexpr int kProofSymbols = 40;
inline constexpr int kProofYears = 10;
inline constexpr int kTrainYears = 7;
inline constexpr int kBarsPerYear = 252;

class ProofUniverse {
 public:
  ProofUniverse()
      : contract_(FeatureContract::load_file(source_dir() / "contracts" /
                                             "feature_contract_ml_v1.json")),
        computer_(contract_) {
    SyntheticMarketOptions opt;
    opt.symbols = kProofSymbols;
    opt.years = kProofYears;
    opt.sectors = 4;
    opt.seed = 2026;
    market_ = generate_synthetic_market(opt);

    // The training data: the first 7 years only, written as `mlgov synth` would.
    SyntheticMarket past = market_;
    const std::size_t train_bars = static_cast<std::size_t>(kTrainYears * kBarsPerYear);
    for (auto& s : past.symbols) s.bars.resize(train_bars);
    past.benchmark.bars.resize(train_bars);
    write_synthetic_market(past, dir_ / "train_data");
    write_text(dir_ / "train.yaml",
               "features:\n  ml_enabled: false\n"
               "training:\n  n_estimators: 5\n  max_depth: 2\n");
    std::string out;
    const int rc = SmallUniverse::mlgov(
        "train --symbols all --data " + quote(dir_ / "train_data") +
            " --benchmark SPX --sectors " + quote(dir_ / "train_data" / "sectors.csv") +
            " --out " + quote(models()) + " --config " + quote(dir_ / "train.yaml") +
            SmallUniverse::contracts_arg(),
        &out);
    if (rc != 0) throw std::runtime_error("mlgov train failed: " + out);

    for (const auto& s : market_.symbols) {
      const auto dirs = model_dirs(models(), s.symbol);
      if (dirs.size() != 1) throw std::runtime_error("no single model for " + s.symbol);
      model_dir_of_.push_back(dirs.front());
      edges_.push_back(read_reference_edges(dirs.front(), contract_.names()));
    }
  }

  const FeatureContract& contract() const { return contract_; }
  const FeatureComputer& computer() const { return computer_; }
  const SyntheticMarket& market() const { return market_; }
  std::filesystem::path models() const { return dir_ / "models"; }
  const std::filesystem::path& root() const { return dir_.path(); }
  const std::vector<ReferenceEdges>& edges(int symbol) const {
    return edges_[static_cast<std::size_t>(symbol)];
  }
  const std::filesystem::path& model_dir(int symbol) const {
    return model_dir_of_[static_cast<std::size_t>(symbol)];
  }

  // The live rows of `symbols` bars: cycle c (0 = the first date after the
  // training years) holds one row per symbol, in symbol order.
  struct LiveRows {
    FeatureFrame frame;
    std::size_t first_row = 0;  // frame row of cycle 0, symbol 0
    std::size_t cycles = 0;
    std::span<const float> row(std::size_t cycle, int symbol) const {
      return frame.row_values(first_row + cycle * kProofSymbols +
                              static_cast<std::size_t>(symbol));
    }
  };
  LiveRows live_rows(const std::vector<BarSeries>& symbols) const {
    LiveRows live;
    live.frame = computer_.compute_universe(symbols, market_.benchmark, market_.sectors);
    const BarTime first_live =
        market_.benchmark.bars[static_cast<std::size_t>(kTrainYears * kBarsPerYear)].time;
    while (live.first_row < live.frame.rows() && live.frame.times[live.first_row] < first_live)
      ++live.first_row;
    live.cycles = (live.frame.rows() - live.first_row) / kProofSymbols;
    return live;
  }

 private:
  TempDir dir_;
  FeatureContract contract_;
  FeatureComputer computer_;
  SyntheticMarket market_;
  std::vector<std::filesystem::path> model_dir_of_;
  std::vector<std::vector<ReferenceEdges>> edges_;
};

}  // namespace mlgov::testing
