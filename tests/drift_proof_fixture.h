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
#include <cstdint>
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

// Bins as issue #14 fixes them: 0 below the training min, 1..10 the decile
// bins [min, d1), ..., [d9, max] (the max itself in range), 11 above the
// max; a value on an edge goes to the upper bin. NaN apart (-1).
inline constexpr int kReferenceBins = 12;

// One feature's training edges from model_meta.json (min, the 9 deciles,
// max) and the training share of each decile bin.
struct ReferenceEdges {
  std::array<double, 11> edges{};
  // expected[j] for decile bin j + 1. With distinct edges 0.1 each. With ties
  // (a point mass spanning several deciles) the bins between equal edges are
  // empty and the bin starting at the run holds every tenth the run spans:
  // the training share below edge i is (the first index whose edge equals
  // edge i) / 10, and a bin's share is the difference of its two edges'.
  std::array<double, 10> expected{};

  int bin_of(float value) const {
    if (std::isnan(value)) return -1;
    const double v = value;
    if (v > edges[10]) return kReferenceBins - 1;
    int bin = 0;
    for (std::size_t i = 0; i < 10; ++i) bin += v >= edges[i] ? 1 : 0;
    return bin;
  }
};

inline ReferenceEdges make_reference_edges(const std::array<double, 11>& edges) {
  ReferenceEdges e;
  e.edges = edges;
  const auto below = [&edges](std::size_t i) {
    std::size_t first = i;
    while (first > 0 && edges[first - 1] == edges[i]) --first;
    return static_cast<double>(first) / 10.0;
  };
  for (std::size_t j = 0; j < 9; ++j) e.expected[j] = below(j + 1) - below(j);
  e.expected[9] = 1.0 - below(9);
  return e;
}

// The edges of every feature of the model in `model_dir`, in `names` order,
// read straight from its model_meta.json.
inline std::vector<ReferenceEdges> read_reference_edges(const std::filesystem::path& model_dir,
                                                        const std::vector<std::string>& names) {
  const nlohmann::json meta = read_json(model_dir / "model_meta.json");
  std::vector<ReferenceEdges> out;
  for (const auto& name : names) {
    const auto& s = meta.at("feature_stats").at(name);
    std::array<double, 11> edges{};
    edges[0] = s.at("min").get<double>();
    for (std::size_t i = 0; i < 9; ++i) edges[1 + i] = s.at("deciles").at(i).get<double>();
    edges[10] = s.at("max").get<double>();
    out.push_back(make_reference_edges(edges));
  }
  return out;
}

// PSI of observed decile-bin shares against expected shares: the sum of
// (o - e) ln(o / e), the logarithm taking each share as at least 1e-4 (so
// an empty bin the training filled with 10% adds 0.1 x ln(1000) = 0.69).
inline double reference_psi(const std::array<double, 10>& observed,
                            const std::array<double, 10>& expected) {
  double psi = 0;
  for (std::size_t j = 0; j < 10; ++j) {
    const double o = observed[j];
    const double e = expected[j];
    psi += (o - e) * std::log(std::max(o, 1e-4) / std::max(e, 1e-4));
  }
  return psi;
}

// A reference sliding window of the last `capacity` pooled rows: per row
// the symbol, each feature's bin, the training shares of its model's bins,
// and whether the value equals the same symbol's previous value (stale).
class ReferenceWindow {
 public:
  ReferenceWindow(std::size_t n_features, std::size_t capacity)
      : n_features_(n_features), capacity_(capacity), acc_(n_features) {}

  void add(int symbol, const std::vector<ReferenceEdges>& edges, std::span<const float> values) {
    Row row{symbol, std::vector<int>(n_features_), std::vector<int>(n_features_), &edges};
    auto prev = previous_.find(symbol);
    for (std::size_t f = 0; f < n_features_; ++f) {
      row.bins[f] = edges[f].bin_of(values[f]);
      row.stale[f] = prev == previous_.end() ? -1 : (prev->second[f] == values[f] ? 1 : 0);
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
  // PSI of the in-range rows' decile shares against their models' training
  // shares (pooled over the same rows).
  double psi(std::size_t f) const {
    const Acc& a = acc_[f];
    const double in_range = a.in_range();
    if (in_range == 0) {
      return a.non_nan() == 0 ? 0 : reference_psi({}, uniform());
    }
    std::array<double, 10> observed{}, expected{};
    for (std::size_t j = 0; j < 10; ++j) {
      observed[j] = a.bins[j + 1] / in_range;
      expected[j] = a.expected[j] / in_range;
    }
    return reference_psi(observed, expected);
  }
  // Share of the non-NaN rows outside the training range.
  double out_of_range(std::size_t f) const {
    const Acc& a = acc_[f];
    return a.non_nan() == 0 ? 0 : (a.bins[0] + a.bins[kReferenceBins - 1]) / a.non_nan();
  }
  // Share of the rows with a previous value of their symbol equal to it.
  double stale_share(std::size_t f) const {
    const Acc& a = acc_[f];
    return a.with_previous == 0 ? 0 : a.stale / a.with_previous;
  }

 private:
  static std::array<double, 10> uniform() {
    std::array<double, 10> u{};
    u.fill(0.1);
    return u;
  }
  struct Row {
    int symbol;
    std::vector<int> bins;
    std::vector<int> stale;  // -1 no previous value, 0 fresh, 1 stale
    const std::vector<ReferenceEdges>* edges;
  };
  struct Acc {
    std::array<double, kReferenceBins> bins{};
    std::array<double, 10> expected{};  // sum of the in-range rows' training shares
    double stale = 0, with_previous = 0;
    double non_nan() const {
      double n = 0;
      for (double c : bins) n += c;
      return n;
    }
    double in_range() const { return non_nan() - bins[0] - bins[kReferenceBins - 1]; }
  };
  void apply(const Row& row, double sign) {
    for (std::size_t f = 0; f < n_features_; ++f) {
      Acc& a = acc_[f];
      const int b = row.bins[f];
      if (b >= 0) a.bins[static_cast<std::size_t>(b)] += sign;
      if (b >= 1 && b <= 10) {
        for (std::size_t j = 0; j < 10; ++j) a.expected[j] += sign * (*row.edges)[f].expected[j];
      }
      if (row.stale[f] >= 0) {
        a.with_previous += sign;
        a.stale += sign * row.stale[f];
      }
    }
  }

  std::size_t n_features_;
  std::size_t capacity_;
  std::vector<Acc> acc_;
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
  explicit ProofUniverse(std::uint64_t seed = 7)
      : contract_(
            FeatureContract::load_file(source_dir() / "contracts" / "feature_contract_ml_v1.json")),
        computer_(contract_) {
    SyntheticMarketOptions opt;
    opt.symbols = kProofSymbols;
    opt.years = kProofYears;
    opt.sectors = 4;
    opt.seed = seed;
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
        "train --symbols all --data " + quote(dir_ / "train_data") + " --benchmark SPX --sectors " +
            quote(dir_ / "train_data" / "sectors.csv") + " --out " + quote(models()) +
            " --config " + quote(dir_ / "train.yaml") + SmallUniverse::contracts_arg(),
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
      return frame.row_values(first_row + cycle * kProofSymbols + static_cast<std::size_t>(symbol));
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

// The real data of data/real (see data/SOURCES.md): GOOG 2004-08..2008-10
// and the S&P 500 index, also served as a second symbol "GSPC" (against
// itself as the benchmark). Models trained by `mlgov train` on the bars
// before 2008; live rows are those of 2008 (to 2008-10-14, GOOG's last bar):
// the crash of 2008 is the regime change.
class RealUniverse {
 public:
  RealUniverse()
      : contract_(
            FeatureContract::load_file(source_dir() / "contracts" / "feature_contract_ml_v1.json")),
        computer_(contract_) {
    const auto real = source_dir() / "data" / "real";
    const BarSeries goog = load_bars_csv(real / "GOOG.csv", "GOOG");
    BarSeries spx = load_bars_csv(real / "SPX.csv", "SPX");
    // Only the dates GOOG has (GOOG's dates are all SPX dates).
    const BarTime last = goog.bars.back().time;
    std::erase_if(spx.bars, [last](const Bar& b) { return b.time > last; });
    BarSeries gspc = spx;
    gspc.symbol = "GSPC";
    parse_bar_time("2008-01-01", live_start_);

    const auto before = [this](BarSeries s) {
      std::erase_if(s.bars, [this](const Bar& b) { return b.time >= live_start_; });
      return s;
    };
    const auto train = dir_ / "train_data";
    std::filesystem::create_directories(train);
    write_bars_csv(before(goog), train / "GOOG.csv");
    write_bars_csv(before(gspc), train / "GSPC.csv");
    write_bars_csv(before(spx), train / "SPX.csv");
    write_text(train / "sectors.csv", "symbol,sector\nGOOG,TECH\nGSPC,INDEX\n");
    write_text(dir_ / "train.yaml",
               "features:\n  ml_enabled: false\n"
               "training:\n  n_estimators: 5\n  max_depth: 2\n");
    std::string out;
    const int rc = SmallUniverse::mlgov(
        "train --symbols GOOG,GSPC --data " + quote(train) + " --benchmark SPX --sectors " +
            quote(train / "sectors.csv") + " --out " + quote(models()) + " --config " +
            quote(dir_ / "train.yaml") + SmallUniverse::contracts_arg(),
        &out);
    if (rc != 0) throw std::runtime_error("mlgov train failed: " + out);
    for (const char* sym : {"GOOG", "GSPC"}) {
      const auto dirs = model_dirs(models(), sym);
      if (dirs.size() != 1) throw std::runtime_error(std::string("no single model for ") + sym);
      model_dir_of_.push_back(dirs.front());
      edges_.push_back(read_reference_edges(dirs.front(), contract_.names()));
    }
    symbols_ = {goog, gspc};
    benchmark_ = spx;
    sectors_.sector_of = {{"GOOG", "TECH"}, {"GSPC", "INDEX"}};
  }

  const FeatureContract& contract() const { return contract_; }
  std::filesystem::path models() const { return dir_ / "models"; }
  const std::vector<ReferenceEdges>& edges(int symbol) const {
    return edges_[static_cast<std::size_t>(symbol)];
  }
  const std::filesystem::path& model_dir(int symbol) const {
    return model_dir_of_[static_cast<std::size_t>(symbol)];
  }
  static constexpr int kSymbols = 2;  // GOOG, GSPC

  // Live rows: one cycle per 2008 date, GOOG's row then GSPC's.
  struct LiveRows {
    FeatureFrame frame;
    std::size_t first_row = 0;
    std::size_t cycles = 0;
    std::vector<BarTime> dates;
    std::span<const float> row(std::size_t cycle, int symbol) const {
      return frame.row_values(first_row + cycle * kSymbols + static_cast<std::size_t>(symbol));
    }
  };
  LiveRows live_rows() const {
    LiveRows live;
    live.frame = computer_.compute_universe(symbols_, benchmark_, sectors_);
    while (live.first_row < live.frame.rows() && live.frame.times[live.first_row] < live_start_)
      ++live.first_row;
    live.cycles = (live.frame.rows() - live.first_row) / kSymbols;
    for (std::size_t c = 0; c < live.cycles; ++c)
      live.dates.push_back(live.frame.times[live.first_row + c * kSymbols]);
    return live;
  }

 private:
  TempDir dir_;
  FeatureContract contract_;
  FeatureComputer computer_;
  BarTime live_start_ = 0;
  std::vector<BarSeries> symbols_;
  BarSeries benchmark_;
  SectorMap sectors_;
  std::vector<std::filesystem::path> model_dir_of_;
  std::vector<std::vector<ReferenceEdges>> edges_;
};

}  // namespace mlgov::testing
