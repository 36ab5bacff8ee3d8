// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Drift: are the values a model receives still distributed like the values
// it was trained on? Every model directory's model_meta.json carries, per
// feature, the training min, max and 9 deciles (feature_stats). They cut the
// real line into 12 bins:
//
//   bin 0        v <  min                     (below the training range)
//   bin 1..10    decile bins: [min, d1), [d1, d2), ..., [d9, max]
//   bin 11       v >  max                     (above the training range)
//   kNanBin (12) NaN, counted apart
//
// A value equal to an edge goes to the upper bin (v >= edge), except the
// training max itself, which is in range (bin 10). Because each model's
// deciles split its own training data into tenths, the in-range bins pooled
// over every symbol's rows (each under its own model's edges) are uniform
// when nothing is wrong: one cycle of a 225-symbol universe is 225 samples
// per feature.
//
// The same DriftMonitor serves the live engine (GovernedPredictor feeds it
// every accepted row) and the offline `mlgov drift` tool (which feeds the
// rows of a features CSV), so both compute the same figures.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/config.h"
#include "mlgov/model_meta.h"

namespace mlgov {

inline constexpr std::size_t kDecileBins = 10;  // the in-range bins 1..10
inline constexpr std::size_t kDriftBins = 12;   // below, 10 deciles, above
inline constexpr std::uint8_t kBelowRangeBin = 0;
inline constexpr std::uint8_t kAboveRangeBin = 11;
inline constexpr std::uint8_t kNanBin = 12;
// PSI's logarithm takes every share (observed and expected) as at least
// this (the epsilon for empty bins), so an empty bin adds a large but finite
// term.
inline constexpr double kPsiMinShare = 1e-4;

// Population stability index of `observed` against `expected` (shares of the
// 10 in-range bins, each summing to 1 or all zero): the sum over the bins of
// (o - e) * ln(max(o, kPsiMinShare) / max(e, kPsiMinShare)). 0 for identical
// shares; a bin empty in both contributes 0; a bin the training filled with
// 0.1 and live left empty contributes 0.1 * ln(1000) = 0.69.
double population_stability_index(std::span<const double, kDecileBins> observed,
                                  std::span<const double, kDecileBins> expected) noexcept;
// The same against the uniform 0.1 per bin.
double psi_against_uniform(std::span<const double, kDecileBins> observed) noexcept;

// A relation recorded at training: feature `partner` (an index in the
// model's feature order) and the share of training rows on which both
// features were on the same side of their training medians (deciles[4]):
// agreement = P((x_f >= median_f) == (x_g >= median_g)). Far from 0.5 means
// the two move together (or against each other); a sign flipped in a
// refactor mirrors it around 0.5.
struct FeatureRelation {
  std::size_t partner = 0;
  double agreement = 0.5;
};

// The number of partners training records per feature.
inline constexpr std::size_t kRelationPartners = 3;

// One model's bin edges for every feature, in the model's feature order.
// A plain value; safe to copy and to read from several threads.
//
// Expected shares: the share of training rows each decile bin held, 0.1
// each when the 11 edges are distinct. A feature with ties (a rank taking
// three values, a distance to the 252-day high that is often exactly 0) has
// equal deciles; a bin between two equal edges is then always empty and the
// bin above a run of equal edges holds the whole point mass: its expected
// share is 0.1 per decile the run spans (the share up to the first decile
// equal to the next edge minus the share up to the first decile equal to
// this bin's lower edge). PSI is taken against these shares, which are the
// uniform 0.1 for every continuous feature, so a discrete feature does not
// alarm for being discrete.
//
// Binning (bin_row), branch-free: the edges are held feature-major in float
// lanes, lane_edges[k][f] for k = 0 (min), 1..9 (deciles), 10 (the smallest
// float above max), each rounded UP to a float (the smallest float >= the
// double edge), so `float v >= lane_edge` is exactly `double(v) >= edge`.
// The bin of v is then the number of edges v is >= to (0 for v < min, 11 for
// v > max), and NaN compares false everywhere and is blended to kNanBin:
// per group of 8 features, 11 vector compares (GCC/Clang vector extension,
// 8 floats = one AVX2 or two SSE2 registers) subtracting the all-ones masks
// from a counter, one NaN blend, then narrowed to bytes. No branch depends
// on a value. DriftMonitor's snapshot() bins with the fastest clone the
// CPU runs (picked once, at construction): that code compiled for SSE2 or
// AVX2, or an AVX-512 form doing 16 features a register with mask compares;
// all give the same bytes (tests/drift_bin_kernels_test.cpp).
class TrainingBins {
 public:
  // The bins of `features` (in that order) from a model_meta feature_stats
  // object {name: {mean, std, min, max, deciles[9], relations?}}, where the
  // optional relations is [{"feature": name, "agreement": a}, ...] (see
  // FeatureRelation; absent in models trained before it). Throws
  // ModelMetaError naming `source`, the feature and the rule for: a feature
  // without stats, a missing or non-number min/max, deciles not an array of
  // 9 finite numbers, edges out of order (min <= d1 <= ... <= d9 <= max),
  // or a relation that is not {feature of the contract other than itself,
  // agreement in [0, 1]}.
  static TrainingBins from_feature_stats(const nlohmann::json& feature_stats,
                                         std::span<const std::string> features,
                                         const std::string& source);
  // The bins of a model (its meta.features), or nullopt when its meta has no
  // feature_stats at all (an older model: no drift for it). Throws as
  // from_feature_stats for stats that are present but broken.
  static std::optional<TrainingBins> from_meta(const ModelMeta& meta, const std::string& source);

  std::size_t n_features() const noexcept { return edges_.size(); }
  // min, d1..d9, max of feature f (f < n_features()).
  const std::array<double, kDecileBins + 1>& edges(std::size_t f) const noexcept {
    return edges_[f];
  }
  // The training share of each decile bin (see above).
  const std::array<double, kDecileBins>& expected_shares(std::size_t f) const noexcept {
    return expected_[f];
  }
  // The relations training recorded for feature f (empty: none).
  const std::vector<FeatureRelation>& relations(std::size_t f) const noexcept {
    return relations_[f];
  }
  // True when the stats carry relations at all (a model trained before them
  // takes no part in the relation check).
  bool has_relations() const noexcept { return has_relations_; }

  // The bin of `value` for feature f: 0..11, or kNanBin. Scalar reference
  // form of bin_row (the same result for every value).
  std::uint8_t bin_of(std::size_t f, float value) const noexcept;

  // bins[f] = bin_of(f, values[f]) for every feature, branch-free (see
  // above). values.size() and bins.size() must both be n_features().
  void bin_row(std::span<const float> values, std::span<std::uint8_t> bins) const noexcept;

 private:
  friend class DriftMonitor;
  TrainingBins() = default;
  static void read_relations(TrainingBins& bins, const nlohmann::json& feature_stats,
                             std::span<const std::string> features, const std::string& source);
  std::vector<std::array<double, kDecileBins + 1>> edges_;
  std::vector<std::array<double, kDecileBins>> expected_;
  std::vector<std::vector<FeatureRelation>> relations_;
  bool has_relations_ = false;
  std::size_t padded_ = 0;         // n_features rounded up to 16
  std::vector<float> lane_edges_;  // [11][padded_], padding lanes +inf
};

// A feature's judgement after an evaluation.
enum class DriftLevel : std::uint8_t { kOk, kWarning, kAlert };
// "OK", "WARNING", "ALERT".
std::string_view to_string(DriftLevel level) noexcept;

// One symbol's part in a feature's figures. psi_contribution is its exact
// share of the pooled PSI (the pooled PSI is linear in the per-symbol bin
// counts: sum over bins of (c_j/n - n_s e_j/n) ln(o_j/e_j); the
// contributions of all symbols add up to the PSI, and can be negative).
struct SymbolContribution {
  std::string symbol;
  std::uint64_t rows = 0;  // this symbol's rows in the window
  double psi_contribution = 0.0;
  std::uint64_t out_of_range_rows = 0;  // below or above the training range
  std::uint64_t stale_rows = 0;         // equal to the symbol's previous value
  // The ranking key: psi_contribution / warn_psi + (out_of_range_rows / n) /
  // out_of_range_warn + (stale_rows / n) / stale_warn, n the window's rows:
  // its part of each judged figure in units of that figure's threshold.
  double score = 0.0;
};

// One relation of a feature over the pooled window: the live share of rows
// on which the feature and its partner were on the same side of their
// training medians (bins 1..5 and below-range below, 6..10 and above-range
// at or above; rows with a NaN in either left out), against the training
// share of the same rows' models.
struct RelationDrift {
  std::string partner;
  std::uint64_t rows = 0;  // window rows judged (models recording the pair, no NaN)
  double training_agreement = 0.5;
  double live_agreement = 0.5;
  // rows >= relation_min_rows, live on the other side of 0.5 from training
  // (the relation turned around, as a flipped sign turns it; a regime
  // strengthens or weakens a relation but does not reverse it), and
  // |live - training| >= relation_break, both features balanced in the
  // window (30%..70% of the rows at or above the median: a regime that pins
  // a feature to one side says nothing of its relations).
  bool broken = false;
};

// The figures of one feature over a window.
struct FeatureDrift {
  std::string feature;
  std::uint64_t rows = 0;  // rows in the window (NaN included)
  std::uint64_t nan_rows = 0;
  std::uint64_t in_range_rows = 0;                    // bins 1..10
  std::array<double, kDecileBins> shares{};           // of the in-range rows (all 0 when none)
  std::array<double, kDecileBins> expected_shares{};  // training shares, pooled like the rows
  // PSI of shares against expected_shares. With rows but none in range the
  // shares are all 0 and PSI is 10 * 0.1 * ln(1000) = 6.91 for uniform
  // expected shares: a feature wholly out of range is as drifted as a
  // feature can be.
  double psi = 0.0;
  double below_range_fraction = 0.0;  // of the non-NaN rows
  double above_range_fraction = 0.0;
  double out_of_range_fraction = 0.0;  // below + above
  double stale_share = 0.0;            // of the rows that had a previous value of their symbol
  // Per model only: the stale share over the model's latest
  // stale_window_rows rows (what a frozen feed is judged on); 0 pooled.
  double recent_stale_share = 0.0;
  // Per model only: the feature's stale share over the OTHER symbols' rows
  // of the pooled window: how often it repeats by nature.
  double others_stale_share = 0.0;
  // Whether the stale share is judged. Not for a feature with tied training
  // deciles (a clipped value, a rank with few values); per model, not for a
  // feature whose others_stale_share is 0.05 or more (a rank in its sector
  // holds for days with nothing wrong: 0.43-0.54; a continuous feature
  // repeats at most 0.001): those repeat by nature, their stale share is
  // reported, not judged.
  bool stale_judged = true;
  std::vector<SymbolContribution> top_symbols;  // at most 5, highest score first (pooled only)
  // Pooled only: the feature's relations (its kRelationPartners partners
  // recorded by the most models), and whether most of them (at least 2 of
  // 3) are broken: a sign flipped or a column swapped, an ALERT ("RELATION").
  std::vector<RelationDrift> relations;
  bool relation_broken = false;
  DriftLevel level = DriftLevel::kOk;  // the last evaluation's judgement
};

// One model's (symbol's) figures over its own, longer window.
struct ModelDrift {
  std::string symbol;
  std::uint64_t rows = 0;              // rows in its window
  std::uint64_t recent_rows = 0;       // of which among its latest stale_window_rows
  std::vector<FeatureDrift> features;  // the contract's order; empty: model without stats
};

// Everything the monitor knows, computed on demand (off the hot path).
struct DriftSnapshot {
  // Rows fed since construction. A batch's rows count from its start (its
  // places are reserved then) and those that fail are taken back when it
  // ends, so a snapshot taken during a batch with failures can count a few
  // more than a later one.
  std::uint64_t rows_recorded = 0;
  std::uint64_t window_rows = 0;                  // rows in the pooled window now
  std::vector<FeatureDrift> features;             // pooled, the contract's order
  std::vector<ModelDrift> models;                 // one per model with stats, in the order given
  std::vector<std::string> models_without_stats;  // symbols whose models take no part
  // Symbols whose models have stats but no relations (trained before them):
  // no part in the relation check.
  std::vector<std::string> models_without_relations;
  // Summary (the heartbeat's fields): the largest pooled PSI and its
  // feature ("" when nothing was judged), and the features whose last
  // evaluation was WARNING / ALERT.
  double worst_psi = 0.0;
  std::string worst_feature;
  std::size_t features_in_warning = 0;
  std::size_t features_in_alert = 0;
};

// JSON of a snapshot (the shape `mlgov drift --out` writes and the host can
// log): {"rows_recorded","window_rows","worst_psi","worst_feature",
// "features_in_warning","features_in_alert","features":[...],"models":[...],
// "models_without_stats":[...]}, each feature {"feature","rows","nan_rows",
// "in_range_rows","shares","expected_shares","psi","below_range_fraction",
// "above_range_fraction","out_of_range_fraction","stale_share",
// "recent_stale_share","others_stale_share","stale_judged","level",
// "top_symbols":[{"symbol","rows","psi_contribution","out_of_range_rows",
// "stale_rows","score"}],"relations":[{"partner","rows","training_agreement",
// "live_agreement","broken"}],"relation_broken"}, each model {"symbol","rows",
// "recent_rows","features":[...]}, and "models_without_relations":[...].
nlohmann::json to_json(const FeatureDrift& feature);
nlohmann::json to_json(const DriftSnapshot& snapshot);

// A change of judgement found by DriftMonitor::evaluate(): a pooled feature
// (symbol "") or one model's feature (symbol set; judged on its stale share
// only: a frozen feed) going from one level to another.
struct DriftTransition {
  std::string feature;
  std::string symbol;  // "" for the pooled figures
  DriftLevel from = DriftLevel::kOk;
  DriftLevel to = DriftLevel::kOk;
  FeatureDrift figures;  // the figures that decided it
  // What crossed: "PSI", "OUT_OF_RANGE", "RELATION", "STALE" (the first
  // that holds, in that order), or "CLEARED".
  std::string reason;
};

// The outcome of one evaluation.
struct DriftEvaluation {
  DriftSnapshot snapshot;  // with every feature's new level
  std::vector<DriftTransition> transitions;
  // True when some pooled feature is at or above an alert threshold in THIS
  // evaluation (not merely held by the hysteresis): what
  // drift.alert_counts_as_failure records as a governance failure.
  bool alert_now = false;
  // True while some pooled feature is in ALERT (until it clears).
  bool in_alert = false;
};

// One model as the monitor sees it: its symbol and its bins (nullopt: no
// stats, takes no part).
struct DriftModel {
  std::string symbol;
  std::optional<TrainingBins> bins;
};

namespace internal {
struct DriftMonitorAccess;  // tests and benchmarks: the binning kernels
}  // namespace internal

// The monitor: windows of rows, binned off the hot path, and the judgement
// over them.
//
// Where the work is done: record() only copies a row's values, its pooled
// place and a sequence number into the next slot of its model's ring (one
// 128-byte slot, two cache lines, for 28 features); snapshot() bins the
// rows under each row's model's training deciles and compares each row with
// its model's previous row (the stale flag), once per row (the cells are
// kept). The pooled window is the rows of every ring whose pooled place is
// among the last window_rows. The binning is paid by whoever takes
// snapshots: the predictor's heartbeat(), or the host's own thread through
// GovernedPredictor::drift().
//
// Memory: everything record() touches is allocated by the constructor: one
// ring per model with stats, laid out slot-major (the models' slots of one
// place are adjacent), of a power of two slots: at least model_window_rows
// + 1 (the oldest row of a model's window keeps its previous row), and, up
// to window_rows, at least min_rows + 1 (one symbol fed alone still fills
// the pooled window to min_rows), twice the model's share of the pooled
// window and 65,536 / models rows. So the pooled window holds every row of
// a universe fed evenly, and at the defaults of a universe of up to 32
// symbols however they are fed; a symbol fed far more often than the
// others counts its latest rows there, as many as its ring holds (1,024 at
// the defaults). For snapshot(): a copy of every model's edge table (1.4 KB
// a model for 28 features) and the rows' cells (48 bytes a slot). A slot is
// 128 bytes for 28 features, so 176 bytes a slot in all: for 225 models at
// the defaults about 41 MB (1,024 slots a model), of which a cycle writes
// about 31 KB. Over 4 GB, the constructor throws ConfigError naming the
// three settings.
//
// Threading: record() may be called from any number of threads at once, and
// concurrently with snapshot()/evaluate(); it takes no lock, allocates
// nothing, throws nothing and makes no system call. A batch takes its
// pooled places from one atomic counter (one relaxed fetch_add); a row takes
// its model's next ring place; a slot is a sequence number plus relaxed
// atomic words: the writer stores sequence 0 ("being written"), the words
// with release stores, then the sequence (release); a reader loads the
// sequence (acquire), the words with acquire loads, the sequence again, and
// skips the slot unless both loads agree (a seqlock made only of atomics, so
// it is data-race-free by the C++ memory model; no fences, which
// ThreadSanitizer does not model, and on x86 the same instructions). A slot
// being overwritten while a snapshot reads it is left out of that snapshot.
// predict_batch reserves its pooled places when it starts and records each
// row after its trees; a row whose place the pooled window has already slid
// past by then (other threads reserved a whole window meanwhile) counts in
// its model's window and not in the pooled one. A model's next ring place is
// a plain load and store (an atomic add would be a locked instruction a
// row): rows of one symbol fed from two threads at once may take one place,
// and their words may interleave under one sequence number; a 16-bit check
// of the words in the slot leaves such a mixed row out (one passes by chance
// about once in 65,536), so one or both of the two rows are lost, not
// mixed, and nothing is undefined. The rings are laid out slot-major for an engine that feeds
// its symbols in order from one thread; threads feeding interleaved symbols
// write neighbouring slots.
// snapshot() may be called from several threads (they take turns: the kept
// cells are behind a mutex); evaluate() changes the levels and must not run
// concurrently with itself (the predictor calls it under its heartbeat
// mutex).
class DriftMonitor {
 public:
  // `features`: the contract's feature names (every model's order).
  // Throws ConfigError when config.features names a feature not in
  // `features` ("drift.features.NAME: not a feature of the contract"), and
  // std::invalid_argument when a model's bins have another feature count;
  // ConfigError when the rings would need over 4 GB (the message names
  // drift.model_window_rows, drift.window_rows and drift.min_rows).
  DriftMonitor(std::vector<std::string> features, const DriftConfig& config,
               std::vector<DriftModel> models);
  ~DriftMonitor();
  DriftMonitor(const DriftMonitor&) = delete;
  DriftMonitor& operator=(const DriftMonitor&) = delete;

  // The index of `symbol`'s model (its position in the constructor's
  // models), or nullopt.
  std::optional<std::size_t> model_index(std::string_view symbol) const noexcept;
  std::size_t n_models() const noexcept;
  const std::vector<std::string>& features() const noexcept;
  const DriftConfig& config() const noexcept;
  // True when model `model` has stats (its rows are recorded). Inline: the
  // predictor's batch asks it twice a row.
  bool watches(std::size_t model) const noexcept {
    return model < n_models_ && ring_of_[model] != kNoRing;
  }

  // The hot path: copies `values` (one per feature, the contract's order)
  // into the next slot of model `model`'s ring, with a pooled place (no
  // binning here: snapshot() bins). Does nothing for a model without stats,
  // an index out of range, or a wrong value count.
  void record(std::size_t model, std::span<const float> values) noexcept;
  // For a batch: reserves `rows` consecutive places in the pooled window (one
  // atomic add for the batch) and returns the first; then record_reserved()
  // once per place, for rows of watched models only (watches()). A place
  // reserved and never recorded leaves the window a row short until it
  // slides past.
  std::uint64_t reserve_rows(std::size_t rows) noexcept;
  void record_reserved(std::uint64_t place, std::size_t model,
                       std::span<const float> values) noexcept;
  // Says that `rows` of the places reserved will not be recorded (rows of a
  // batch that failed or were refused): rows_recorded leaves them out. Their
  // slots stay empty, so the window holds that many rows fewer until it
  // slides past them.
  void forgo_rows(std::size_t rows) noexcept;
  // A hint, no effect on any figure: starts bringing into the cache, for
  // writing, what record() touches for model `model` (its next place and
  // the two lines of its ring slot for 28 features). In a cycle the trees
  // between two records evict these, so a batch that prefetches the next
  // row's model before evaluating the current row finds them there (the
  // predictor does).
  // Does nothing for a model without stats or an index out of range.
  void prefetch(std::size_t model) const noexcept;

  // The figures now (levels as of the last evaluate()). Allocates. Bins the
  // rows no snapshot has met yet (each row is binned once and its cells
  // kept), then counts the windows: at the defaults with 225 models and full
  // windows, about 7 ms after a cycle of new rows (README "Drift").
  // Serialised with other snapshots (a mutex around the kept cells).
  DriftSnapshot snapshot() const;

  // A snapshot, judged: per pooled feature (with its per-feature overrides)
  // ALERT when PSI >= alert_psi, out-of-range >= out_of_range_alert or
  // relation_broken (most of its relations broken, see RelationDrift);
  // WARNING when PSI >= warn_psi, out-of-range >= out_of_range_warn or
  // (stale_judged) stale share >= stale_warn; nothing is judged before the
  // pooled window holds min_rows rows. Hysteresis: an ALERT stays until
  // each figure that crossed its alert threshold during it is below its
  // clear level (PSI: clear_psi; out of range: out_of_range_warn; relations:
  // no longer most broken) and no alert threshold holds, for
  // clear_evaluations evaluations in a row; a WARNING goes as soon as no
  // warning threshold holds. Per model (a frozen feed): a stale_judged
  // feature whose recent_stale_share (over the model's latest
  // stale_window_rows rows, judged once it has that many) is >= stale_warn is
  // a WARNING for that symbol. Returns the transitions since the previous
  // evaluation.
  DriftEvaluation evaluate();

 private:
  friend struct internal::DriftMonitorAccess;
  static void summarise(DriftSnapshot& snapshot);
  struct State;
  std::unique_ptr<State> state_;
  // watches()'s table (inside state_): each model's ring, or kNoRing.
  static constexpr std::size_t kNoRing = static_cast<std::size_t>(-1);
  const std::size_t* ring_of_ = nullptr;
  std::size_t n_models_ = 0;
};

}  // namespace mlgov
