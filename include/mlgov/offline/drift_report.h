// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The offline drift report of `mlgov drift`: the rows of a features file
// (a backtest, a new data vendor, a new feature build) fed through the same
// DriftMonitor the live engine runs (drift.h), judged once under the
// config's drift thresholds, and written as JSON and as a self-contained
// HTML page (inline CSS and SVG, no network, no external script or font).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/config.h"
#include "mlgov/drift.h"
#include "mlgov/model_registry.h"

namespace mlgov::offline {

// Rows of feature values in memory, in feed order. A plain value.
struct DriftRows {
  std::vector<std::string> symbols;       // the distinct symbols of the rows
  std::vector<std::uint32_t> row_symbol;  // per row: its index into symbols
  std::vector<float> values;              // row-major, one value per feature per row
};

// A model that takes no part, and why (one line).
struct SkippedModel {
  std::string symbol;
  std::string reason;
};

// The monitor's models from a loaded registry: one DriftModel per loaded
// model whose model_meta.json carries feature_stats for every feature. The
// others are appended to `skipped` with the reason: refused by the registry
// (its message), legacy (no model_meta.json), no feature_stats, or stats
// that do not parse (TrainingBins' message, naming the file and feature).
std::vector<DriftModel> drift_models_from(const ModelRegistry& registry,
                                          std::vector<SkippedModel>& skipped);

// The thresholds a feature is judged under: the drift: section's values
// with that feature's overrides (drift.features.NAME) applied.
struct ResolvedThresholds {
  double warn_psi = 0.0;
  double alert_psi = 0.0;
  double out_of_range_warn = 0.0;
  double out_of_range_alert = 0.0;
  double stale_warn = 0.0;
};
ResolvedThresholds resolve_thresholds(const DriftConfig& config, const std::string& feature);

// One feature of the report.
struct DriftReportFeature {
  FeatureDrift figures;  // the monitor's figures and level
  // Training min, d1..d9, max: per edge, the median over the models with
  // stats (each model has its own; the median says where a typical
  // symbol's tenths lie). All 0 when no model has stats.
  std::array<double, kDecileBins + 1> training_edges{};
  ResolvedThresholds thresholds;
  // How far past its thresholds the feature is: the largest of PSI /
  // warn_psi, out-of-range / out_of_range_warn and (when stale_judged)
  // stale share / stale_warn (>= 1: some warning threshold is reached). Orders features
  // of the same level.
  double severity = 0.0;
};

// A symbol whose own window repeats its previous values (a frozen feed): a
// per-model stale WARNING of the monitor.
struct StaleSymbol {
  std::string symbol;
  std::string feature;
  double stale_share = 0.0;  // over the symbol's latest stale_window_rows rows
  std::uint64_t rows = 0;    // the symbol's rows in its window
};

// Where the rows came from (copied into the report as given).
struct DriftReportSource {
  std::string models_dir;
  std::string features_file;
  std::string contract_name;
  std::string contract_fingerprint;
  std::string generated_at;  // ISO-8601 UTC
};

// The whole report. A plain value.
struct DriftReport {
  DriftReportSource source;
  std::uint64_t rows_read = 0;               // rows in the input
  std::uint64_t rows_fed = 0;                // rows of symbols whose model has stats
  std::uint64_t window_rows = 0;             // the pooled window's size
  std::uint64_t rows_judged = 0;             // rows in the window at the evaluation
  std::size_t min_rows = 0;                  // the monitor judges nothing below this many rows
  bool judged = false;                       // rows_judged >= min_rows
  std::vector<DriftReportFeature> features;  // worst first: level, then severity, then name
  std::vector<SkippedModel> skipped_models;
  std::vector<std::string> symbols_without_model;  // rows whose symbol has no model at all
  std::vector<StaleSymbol> stale_symbols;
  std::size_t features_in_alert = 0;
  std::size_t features_in_warning = 0;
};

// How compute_drift_report windows the rows.
struct DriftReportOptions {
  // The pooled window: the last N fed rows (at most all of them); nullopt:
  // all of them. The per-model window likewise holds all of a symbol's rows
  // when nullopt, else config.model_window_rows.
  std::optional<std::size_t> window_rows;
  // The rows the monitor needs before it judges; nullopt: config.min_rows.
  std::optional<std::size_t> min_rows;
};

// Feeds every row whose symbol has a model with stats through one
// DriftMonitor (features: the contract's names, every row's order), in row
// order, then evaluates once. `models` as from drift_models_from; `skipped`
// is copied into the report. Throws std::invalid_argument when
// rows.values is not rows.row_symbol.size() * features.size() long or a
// row names a symbol index out of range; ConfigError as DriftMonitor's
// constructor (an override naming a feature not in `features`).
DriftReport compute_drift_report(const std::vector<std::string>& features,
                                 const DriftConfig& config, std::vector<DriftModel> models,
                                 std::vector<SkippedModel> skipped, const DriftRows& rows,
                                 const DriftReportOptions& options, DriftReportSource source);

// The JSON document `mlgov drift --out` writes: {generated_at, models_dir,
// features_file, contract, rows_read, rows_fed, window_rows, rows_judged,
// min_rows, judged, features_in_alert, features_in_warning, worst_feature,
// worst_psi, features: [to_json(FeatureDrift) + training_edges +
// thresholds + severity, worst first], skipped_models: [{symbol, reason}],
// symbols_without_model, stale_symbols: [{symbol, feature, stale_share,
// rows}]}.
nlohmann::ordered_json drift_report_json(const DriftReport& report);

// The HTML page: a summary, then one card per feature (worst first) with
// its level, PSI, out-of-range and stale figures, top symbols and one
// inline SVG chart (<svg class="drift-chart">: the training share of each
// decile bin against the live share, and the below/above-range fractions),
// then the skipped models. No external resource of any kind: a
// Content-Security-Policy meta tag forbids them, so a browser reports any
// that slips in. A few lines of inline script set
// body[data-charts-rendered] to the number of charts laid out with a
// non-zero size (what the headless-browser test reads). All text from the
// inputs is HTML-escaped.
std::string render_drift_html(const DriftReport& report);

}  // namespace mlgov::offline
