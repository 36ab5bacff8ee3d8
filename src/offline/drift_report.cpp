// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/offline/drift_report.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace mlgov::offline {
namespace {

int level_rank(DriftLevel level) {
  switch (level) {
    case DriftLevel::kAlert:
      return 2;
    case DriftLevel::kWarning:
      return 1;
    case DriftLevel::kOk:
      return 0;
  }
  return 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double severity_of(const FeatureDrift& f, const ResolvedThresholds& t) {
  double s = 0.0;
  if (t.warn_psi > 0) s = std::max(s, f.psi / t.warn_psi);
  if (t.out_of_range_warn > 0) s = std::max(s, f.out_of_range_fraction / t.out_of_range_warn);
  if (t.stale_warn > 0 && f.stale_judged) s = std::max(s, f.stale_share / t.stale_warn);
  return std::isfinite(s) ? s : 0.0;
}

}  // namespace

std::vector<DriftModel> drift_models_from(const ModelRegistry& registry,
                                          std::vector<SkippedModel>& skipped) {
  std::vector<DriftModel> models;
  for (const RefusedModel& r : registry.refused()) {
    skipped.push_back({r.symbol, "refused by the registry: " + r.message});
  }
  for (const LoadedModel& m : registry.models()) {
    const ModelInfo& info = m.info;
    if (info.legacy || !info.meta) {
      skipped.push_back({info.symbol, fmt::format("{}: legacy model without model_meta.json",
                                                  info.directory.string())});
      continue;
    }
    const std::string source = (info.directory / "model_meta.json").string();
    try {
      std::optional<TrainingBins> bins = TrainingBins::from_meta(*info.meta, source);
      if (!bins) {
        skipped.push_back({info.symbol, source + ": no feature_stats (a model trained before "
                                                 "mlgov recorded them)"});
        continue;
      }
      models.push_back({info.symbol, std::move(bins)});
    } catch (const std::exception& e) {
      skipped.push_back({info.symbol, e.what()});
    }
  }
  std::sort(skipped.begin(), skipped.end(),
            [](const SkippedModel& a, const SkippedModel& b) { return a.symbol < b.symbol; });
  return models;
}

ResolvedThresholds resolve_thresholds(const DriftConfig& config, const std::string& feature) {
  ResolvedThresholds t{config.warn_psi, config.alert_psi, config.out_of_range_warn,
                       config.out_of_range_alert, config.stale_warn};
  const auto it = config.features.find(feature);
  if (it == config.features.end()) return t;
  const DriftThresholds& o = it->second;
  t.warn_psi = o.warn_psi.value_or(t.warn_psi);
  t.alert_psi = o.alert_psi.value_or(t.alert_psi);
  t.out_of_range_warn = o.out_of_range_warn.value_or(t.out_of_range_warn);
  t.out_of_range_alert = o.out_of_range_alert.value_or(t.out_of_range_alert);
  t.stale_warn = o.stale_warn.value_or(t.stale_warn);
  return t;
}

DriftReport compute_drift_report(const std::vector<std::string>& features,
                                 const DriftConfig& config, std::vector<DriftModel> models,
                                 std::vector<SkippedModel> skipped, const DriftRows& rows,
                                 const DriftReportOptions& options, DriftReportSource source) {
  const std::size_t nf = features.size();
  const std::size_t n_rows = rows.row_symbol.size();
  if (rows.values.size() != n_rows * nf) {
    throw std::invalid_argument(fmt::format("drift report: {} values for {} rows of {} features",
                                            rows.values.size(), n_rows, nf));
  }
  // Per distinct symbol of the rows: the index of its model, if any.
  std::map<std::string, std::size_t, std::less<>> model_of;
  for (std::size_t m = 0; m < models.size(); ++m) model_of.emplace(models[m].symbol, m);
  std::vector<std::optional<std::size_t>> symbol_model(rows.symbols.size());
  std::vector<std::uint64_t> rows_of_symbol(rows.symbols.size(), 0);
  for (std::size_t s = 0; s < rows.symbols.size(); ++s) {
    const auto it = model_of.find(rows.symbols[s]);
    if (it != model_of.end() && models[it->second].bins) symbol_model[s] = it->second;
  }
  std::uint64_t fed = 0;
  std::uint64_t most_rows_of_a_symbol = 0;
  for (const std::uint32_t s : rows.row_symbol) {
    if (s >= rows.symbols.size()) {
      throw std::invalid_argument(
          fmt::format("drift report: symbol index {} of {} symbols", s, rows.symbols.size()));
    }
    if (!symbol_model[s]) continue;
    ++fed;
    most_rows_of_a_symbol = std::max(most_rows_of_a_symbol, ++rows_of_symbol[s]);
  }

  DriftConfig run_config = config;
  // A window longer than the rows holds them all: no need to allocate it.
  const std::size_t all_rows = std::max<std::size_t>(fed, 1);
  run_config.window_rows =
      options.window_rows ? std::min(*options.window_rows, all_rows) : all_rows;
  run_config.model_window_rows = options.window_rows
                                     ? config.model_window_rows
                                     : std::max<std::size_t>(most_rows_of_a_symbol, 1);
  run_config.min_rows = options.min_rows.value_or(config.min_rows);
  run_config.stale_window_rows =
      std::min(run_config.stale_window_rows, run_config.model_window_rows);

  std::vector<DriftModel> watched;  // kept for the training edges
  for (const DriftModel& m : models) {
    if (m.bins) watched.push_back(m);
  }
  DriftMonitor monitor(features, run_config, std::move(models));
  // The monitor's index of each symbol's model (its own numbering).
  std::vector<std::optional<std::size_t>> monitor_index(rows.symbols.size());
  for (std::size_t s = 0; s < rows.symbols.size(); ++s) {
    if (symbol_model[s]) monitor_index[s] = monitor.model_index(rows.symbols[s]);
  }
  for (std::size_t r = 0; r < n_rows; ++r) {
    const auto& m = monitor_index[rows.row_symbol[r]];
    if (m) monitor.record(*m, {rows.values.data() + r * nf, nf});
  }
  DriftEvaluation evaluation = monitor.evaluate();

  DriftReport report;
  report.source = std::move(source);
  report.rows_read = n_rows;
  report.rows_fed = fed;
  report.window_rows = run_config.window_rows;
  report.rows_judged = evaluation.snapshot.window_rows;
  report.min_rows = run_config.min_rows;
  report.judged = report.rows_judged >= report.min_rows && report.rows_judged > 0;
  report.skipped_models = std::move(skipped);
  for (std::size_t s = 0; s < rows.symbols.size(); ++s) {
    if (model_of.find(rows.symbols[s]) == model_of.end()) {
      const bool listed =
          std::any_of(report.skipped_models.begin(), report.skipped_models.end(),
                      [&](const SkippedModel& k) { return k.symbol == rows.symbols[s]; });
      if (!listed) report.symbols_without_model.push_back(rows.symbols[s]);
    }
  }
  std::sort(report.symbols_without_model.begin(), report.symbols_without_model.end());

  for (FeatureDrift& f : evaluation.snapshot.features) {
    DriftReportFeature rf;
    const auto j = static_cast<std::size_t>(std::find(features.begin(), features.end(), f.feature) -
                                            features.begin());
    if (j < nf && !watched.empty()) {
      for (std::size_t k = 0; k <= kDecileBins; ++k) {
        std::vector<double> edge;
        edge.reserve(watched.size());
        for (const DriftModel& m : watched) edge.push_back(m.bins->edges(j)[k]);
        rf.training_edges[k] = median(std::move(edge));
      }
    }
    rf.thresholds = resolve_thresholds(config, f.feature);
    rf.severity = severity_of(f, rf.thresholds);
    if (f.level == DriftLevel::kAlert) ++report.features_in_alert;
    if (f.level == DriftLevel::kWarning) ++report.features_in_warning;
    rf.figures = std::move(f);
    report.features.push_back(std::move(rf));
  }
  std::stable_sort(report.features.begin(), report.features.end(),
                   [](const DriftReportFeature& a, const DriftReportFeature& b) {
                     const int la = level_rank(a.figures.level);
                     const int lb = level_rank(b.figures.level);
                     if (la != lb) return la > lb;
                     if (a.severity != b.severity) return a.severity > b.severity;
                     return a.figures.feature < b.figures.feature;
                   });
  for (const DriftTransition& t : evaluation.transitions) {
    if (t.symbol.empty() || t.to == DriftLevel::kOk) continue;
    report.stale_symbols.push_back(
        {t.symbol, t.feature, t.figures.recent_stale_share, t.figures.rows});
  }
  std::sort(report.stale_symbols.begin(), report.stale_symbols.end(),
            [](const StaleSymbol& a, const StaleSymbol& b) {
              return std::tie(a.symbol, a.feature) < std::tie(b.symbol, b.feature);
            });
  return report;
}

nlohmann::ordered_json drift_report_json(const DriftReport& report) {
  using ojson = nlohmann::ordered_json;
  ojson doc;
  doc["generated_at"] = report.source.generated_at;
  doc["models_dir"] = report.source.models_dir;
  doc["features_file"] = report.source.features_file;
  doc["contract"] = {{"name", report.source.contract_name},
                     {"fingerprint", report.source.contract_fingerprint}};
  doc["rows_read"] = report.rows_read;
  doc["rows_fed"] = report.rows_fed;
  doc["window_rows"] = report.window_rows;
  doc["rows_judged"] = report.rows_judged;
  doc["min_rows"] = report.min_rows;
  doc["judged"] = report.judged;
  doc["features_in_alert"] = report.features_in_alert;
  doc["features_in_warning"] = report.features_in_warning;
  const DriftReportFeature* worst = nullptr;
  for (const DriftReportFeature& f : report.features) {
    if (worst == nullptr || f.figures.psi > worst->figures.psi) worst = &f;
  }
  doc["worst_feature"] = worst != nullptr ? worst->figures.feature : "";
  doc["worst_psi"] = worst != nullptr ? worst->figures.psi : 0.0;
  ojson features = ojson::array();
  for (const DriftReportFeature& f : report.features) {
    // The live monitor's JSON of the figures (feature, level and PSI first,
    // for a reader), then what the report adds.
    const nlohmann::json live = to_json(f.figures);
    ojson entry;
    for (const char* key : {"feature", "level", "psi"}) {
      if (live.contains(key)) entry[key] = ojson::parse(live[key].dump());
    }
    for (const auto& [key, value] : live.items()) {
      if (!entry.contains(key)) entry[key] = ojson::parse(value.dump());
    }
    entry["training_edges"] = f.training_edges;
    entry["thresholds"] = {{"warn_psi", f.thresholds.warn_psi},
                           {"alert_psi", f.thresholds.alert_psi},
                           {"out_of_range_warn", f.thresholds.out_of_range_warn},
                           {"out_of_range_alert", f.thresholds.out_of_range_alert},
                           {"stale_warn", f.thresholds.stale_warn}};
    entry["severity"] = f.severity;
    features.push_back(std::move(entry));
  }
  doc["features"] = std::move(features);
  ojson skipped = ojson::array();
  for (const SkippedModel& s : report.skipped_models) {
    skipped.push_back({{"symbol", s.symbol}, {"reason", s.reason}});
  }
  doc["skipped_models"] = std::move(skipped);
  doc["symbols_without_model"] = report.symbols_without_model;
  ojson stale = ojson::array();
  for (const StaleSymbol& s : report.stale_symbols) {
    stale.push_back({{"symbol", s.symbol},
                     {"feature", s.feature},
                     {"stale_share", s.stale_share},
                     {"rows", s.rows}});
  }
  doc["stale_symbols"] = std::move(stale);
  return doc;
}

}  // namespace mlgov::offline
