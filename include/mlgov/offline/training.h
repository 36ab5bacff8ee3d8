// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Training data for `mlgov train` (offline library, mlgov::offline): labels, the chronological
// split, per-feature training statistics, the XGBoost parameters taken from
// the config, and the atomic publication of a model directory.
//
// Everything here is a pure function of its inputs except
// publish_model_directory (file system) so that the tests can check labels,
// splits and statistics against values derived by hand.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/bars.h"
#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/feature_computer.h"

namespace mlgov::offline {

// Bars ahead the label looks: label = 1 when c[t+5] / c[t] - 1 > 0, else 0.
inline constexpr int kLabelHorizonBars = 5;

// One symbol's labelled rows, split chronologically. Plain value.
struct SymbolDataset {
  std::string symbol;
  std::size_t n_features = 0;
  // Row-major n_rows x n_features, oldest first; rows [0, n_train) train,
  // rows [n_train, n_rows) validate.
  std::vector<float> features;
  std::vector<float> labels;   // 0 or 1 per row
  std::vector<BarTime> times;  // per row
  std::size_t n_train = 0;

  std::size_t n_rows() const noexcept { return times.size(); }
  std::size_t n_valid() const noexcept { return n_rows() - n_train; }
  std::span<const float> train_features() const noexcept {
    return {features.data(), n_train * n_features};
  }
  std::span<const float> valid_features() const noexcept {
    return {features.data() + n_train * n_features, n_valid() * n_features};
  }
  std::span<const float> train_labels() const noexcept { return {labels.data(), n_train}; }
  std::span<const float> valid_labels() const noexcept {
    return {labels.data() + n_train, n_valid()};
  }
};

// Number of validation rows for `n_rows` labelled rows: floor(n_rows / 5),
// i.e. the last 20% rounded down, so n_train = n_rows - n_valid.
std::size_t validation_rows(std::size_t n_rows) noexcept;

// Collects `bars.symbol`'s rows from `frame` (in date order), labels each row
// from the bars (the row of date t is bar index i with bars[i].time == t; the
// label needs bars[i + 5], rows without it are dropped) and splits them
// chronologically (validation_rows). Throws DataError naming the symbol when
// a frame row's date is not one of the bars' dates, and when the symbol
// has fewer than 2 labelled rows (no split possible) or its training part
// holds a single class.
SymbolDataset build_symbol_dataset(const FeatureFrame& frame, const BarSeries& bars);

// Per-feature statistics over `n_rows` row-major rows of names.size()
// columns: {name: {mean, std, min, max, deciles}} where std is the sample
// standard deviation (divisor n - 1; 0 for one row) and deciles are the 9
// edges at q = 0.1, ..., 0.9 by linear interpolation between order
// statistics (position q * (n - 1), numpy's default). Sums in double, in row
// order. Each feature whose rows are 30%..70% at or above its median
// (deciles[4]) also gets "relations": its kRelationPartners (drift.h)
// partners among those features with the agreement share farthest from 0.5,
// [{"feature", "agreement"}], agreement = the share of rows on which both are
// on the same side of their medians (what the drift monitor's relation check
// compares live). Throws std::invalid_argument when rows is empty or its size is not
// n_rows * names.size().
nlohmann::json feature_statistics(std::span<const float> rows, std::size_t n_rows,
                                  const std::vector<std::string>& names);

// The booster parameters for binary:logistic from config.training, in the
// order they are set: objective, max_depth, eta, subsample,
// colsample_bytree, tree_method, seed, nthread (1, for reproducibility).
// Numbers are written in their shortest round-trip form ("0.05").
std::vector<std::pair<std::string, std::string>> xgboost_params(const TrainingConfig& training);

// The same parameters as model_meta.json's "params" object (numbers as
// numbers), plus n_estimators.
nlohmann::json params_json(const TrainingConfig& training);

// "S001_v1_20261126_140307": the registry's directory name for a model of
// `symbol` with version `version` trained at `when` (UTC, whole seconds).
std::string model_directory_name(std::string_view symbol, int version,
                                 std::chrono::system_clock::time_point when);

// "2026-11-26T14:03:07Z" (whole seconds, UTC).
std::string iso8601_utc_seconds(std::chrono::system_clock::time_point when);

// fsyncs a regular file so its content is durable. Throws std::system_error
// naming the file.
void fsync_file(const std::filesystem::path& file);

// Publishes a model directory atomically. `staging` is a fully written
// directory inside `parent` (a temporary name the registry skips, e.g.
// ".tmp-<name>-<pid>"). For each attempt: `now()` gives the time, name =
// model_directory_name(symbol, version, now), `finalize(staging, when)`
// writes the files that carry the time (model_meta.json's trained_at), then
// the staging directory is fsynced and renamed to parent/name with
// RENAME_NOREPLACE, and `parent` is fsynced. A name that already exists (a
// re-train within the same second, or a concurrent run) is never replaced:
// the call waits for the next whole second and tries again (at most 5
// times). Returns the final path. Throws std::system_error naming the paths.
std::filesystem::path publish_model_directory(
    const std::filesystem::path& staging, const std::filesystem::path& parent,
    std::string_view symbol, int version,
    const std::function<std::chrono::system_clock::time_point()>& now,
    const std::function<void(const std::filesystem::path&, std::chrono::system_clock::time_point)>&
        finalize);

// Removes the staging directories ".tmp-*" directly in `models_dir` whose
// last modification is more than `max_age` before clock.wall_now() (what a
// crashed training run leaves; the engine's registry does the same when it
// loads), and returns one line per stale directory: removed, or why not.
// Symlinks and files named .tmp-* are left alone. A missing `models_dir`
// gives no lines. Never throws for a directory that cannot be listed or
// removed (its line says so).
std::vector<std::string> remove_stale_staging_directories(
    const std::filesystem::path& models_dir, const Clock& clock,
    std::chrono::seconds max_age = std::chrono::hours(24));

}  // namespace mlgov::offline
