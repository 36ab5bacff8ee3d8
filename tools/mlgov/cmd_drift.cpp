// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov drift [--models DIR] --features features.csv --out drift.json
//  [--html drift.html] [--window N] [--min-rows N] [--fail-on alert|warning|never]
//  [--config FILE] [--contracts-dir DIR]`
//
// The live drift figures, offline: every row of a features CSV (as `mlgov
// features` writes it) whose symbol has a model with feature_stats goes,
// in file order, through the same DriftMonitor the GovernedPredictor runs
// (drift.h), under the config's drift: thresholds; one evaluation judges
// the window (all the rows by default). Models without stats (legacy, no
// feature_stats, refused) are listed as skipped; symbols of the file with
// no model at all are listed too.
//
// Output (each written atomically, parent directories created): --out the
// JSON report (offline/drift_report.h: per feature PSI, the 10 live
// shares, the training shares and edges, below/above-range fractions,
// stale share, level, top symbols; worst first), --html the self-contained
// page (one inline SVG chart per feature, no external resource).
//
// Exit code 0; 1 when a feature is in ALERT (--fail-on warning: also in
// WARNING; never: always 0), after writing the reports; 2 for bad input
// (a bad CSV line names file:line and the rule) or when no row could be
// judged because no symbol of the file has a model with stats.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "features_csv.h"
#include "market_inputs.h"
#include "mlgov/clock.h"
#include "mlgov/errors.h"
#include "mlgov/logging.h"
#include "mlgov/model_registry.h"
#include "mlgov/offline/drift_report.h"

namespace mlgov::cli {
namespace {

struct DriftOptions {
  std::optional<std::string> models;
  std::string features;
  std::string out;
  std::optional<std::string> html;
  std::optional<std::size_t> window;
  std::optional<std::size_t> min_rows;
  std::string fail_on = "alert";
  std::optional<std::string> config;
  std::optional<std::string> contracts_dir;
};

void write_or_exit(const std::string& option, const std::string& file, const std::string& content) {
  try {
    write_output_file(file, content);
  } catch (const std::exception& e) {
    throw CommandExit(2, fmt::format("{} {}: cannot write it: {}", option, file, e.what()));
  }
}

int run_drift(const DriftOptions& o) {
  if (o.window && *o.window == 0) throw CommandExit(2, "--window 0: must be at least 1 row");
  if (o.min_rows && *o.min_rows == 0) throw CommandExit(2, "--min-rows 0: must be at least 1");
  Config config = load_tool_config(o.config);
  const FeatureContract contract = load_tool_contract(config, o.contracts_dir);
  const std::filesystem::path models_dir =
      o.models ? std::filesystem::path(*o.models) : config.paths.models_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(models_dir, ec)) {
    throw CommandExit(2, fmt::format("--models {}: not a directory", models_dir.string()));
  }

  // The file first: a bad line stops the command before any model loads.
  FeaturesCsvTable table =
      read_features_csv(o.features, contract.names(), config.limits.max_csv_line_bytes);

  ModelRegistryOptions registry_options = registry_options_from(config);
  registry_options.models_dir = models_dir;
  const SystemClock clock;
  const std::shared_ptr<EventSink> quiet = make_null_logger();
  const ModelRegistry registry = ModelRegistry::load(registry_options, contract, clock, *quiet);
  std::vector<offline::SkippedModel> skipped;
  std::vector<DriftModel> models = offline::drift_models_from(registry, skipped);

  offline::DriftRows rows;
  rows.symbols = std::move(table.symbols);
  rows.row_symbol = std::move(table.row_symbol);
  rows.values = std::move(table.values);
  offline::DriftReportOptions report_options;
  report_options.window_rows = o.window;
  report_options.min_rows = o.min_rows;
  offline::DriftReportSource source;
  source.models_dir = models_dir.string();
  source.features_file = o.features;
  source.contract_name = contract.name() + " " + contract.version();
  source.contract_fingerprint = contract.fingerprint();
  source.generated_at = format_utc_millis(clock.wall_now());
  const offline::DriftReport report =
      offline::compute_drift_report(contract.names(), config.drift, std::move(models), skipped,
                                    rows, report_options, std::move(source));

  write_or_exit("--out", o.out,
                offline::drift_report_json(report).dump(2, ' ', false,
                                                        nlohmann::json::error_handler_t::replace) +
                    "\n");
  if (o.html) write_or_exit("--html", *o.html, offline::render_drift_html(report));

  std::printf(
      "drift: %zu feature(s) in alert, %zu in warning; %llu of %llu rows judged "
      "(window %llu) -> %s%s%s\n",
      report.features_in_alert, report.features_in_warning,
      static_cast<unsigned long long>(report.rows_judged),
      static_cast<unsigned long long>(report.rows_read),
      static_cast<unsigned long long>(report.window_rows), o.out.c_str(), o.html ? ", " : "",
      o.html ? o.html->c_str() : "");
  for (const auto& f : report.features) {
    if (f.figures.level == DriftLevel::kOk) continue;
    std::printf("  %s %s: PSI %.3f, out of range %.1f%%, stale %.1f%%\n",
                std::string(to_string(f.figures.level)).c_str(), f.figures.feature.c_str(),
                f.figures.psi, 100.0 * f.figures.out_of_range_fraction,
                100.0 * f.figures.stale_share);
  }
  for (const auto& s : report.stale_symbols) {
    std::printf("  STALE %s %s: %.1f%% of its rows repeat the previous value\n", s.symbol.c_str(),
                s.feature.c_str(), 100.0 * s.stale_share);
  }
  for (const auto& s : report.skipped_models) {
    std::printf("  skipped %s: %s\n", s.symbol.c_str(), s.reason.c_str());
  }
  if (!report.symbols_without_model.empty()) {
    std::printf("  no model for %s\n", name_list(report.symbols_without_model).c_str());
  }
  if (report.rows_fed == 0) {
    throw CommandExit(2,
                      fmt::format("no row of {} could be judged: no symbol in it has a model with "
                                  "feature_stats in {} (reports written)",
                                  o.features, models_dir.string()));
  }
  if (!report.judged) {
    std::fprintf(stderr,
                 "mlgov drift: warning: %llu rows in the window, fewer than the %zu the monitor "
                 "judges from (drift.min_rows, --min-rows): figures only, no level set\n",
                 static_cast<unsigned long long>(report.rows_judged), report.min_rows);
  }
  if (o.fail_on == "never") return 0;
  if (report.features_in_alert > 0) return 1;
  if (o.fail_on == "warning" && report.features_in_warning > 0) return 1;
  return 0;
}

}  // namespace

void register_drift_command(CLI::App& app) {
  auto opt = std::make_shared<DriftOptions>();
  auto* cmd = app.add_subcommand(
      "drift",
      "Judge a features CSV against each model's training distribution (the live drift "
      "figures, offline); JSON and HTML report");
  cmd->add_option("--models", opt->models,
                  "models directory (default: the config's paths.models_dir)")
      ->type_name("DIR");
  cmd->add_option("--features", opt->features, "features CSV as `mlgov features` writes it")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--out", opt->out, "JSON report, e.g. reports/drift.json")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--html", opt->html,
                  "also a self-contained HTML page (one chart per feature, worst first)")
      ->type_name("FILE");
  cmd->add_option("--window", opt->window,
                  "judge the last N rows fed (default: all the rows of the file)")
      ->type_name("N");
  cmd->add_option("--min-rows", opt->min_rows,
                  "rows needed before any level is set (default: the config's drift.min_rows, "
                  "1000)")
      ->type_name("N");
  cmd->add_option("--fail-on", opt->fail_on,
                  "exit code 1 when a feature is in this level or worse: alert, warning or "
                  "never")
      ->check(CLI::IsMember({"alert", "warning", "never"}))
      ->capture_default_str()
      ->type_name("LEVEL");
  add_config_option(cmd, opt->config,
                    "drift: thresholds and overrides, paths.models_dir, contract, model rules");
  cmd->add_option("--contracts-dir", opt->contracts_dir,
                  "where feature_contract_<name>.json lives (default: the config's "
                  "paths.contracts_dir, then the installed contracts)")
      ->type_name("DIR");
  set_help_footer(cmd,
                  "mlgov drift --config config.yaml --features features.csv --out "
                  "reports/drift.json --html reports/drift.html",
                  "a feature is in ALERT (--fail-on warning: or WARNING)");
  cmd->callback([opt] {
    const int rc = run_drift(*opt);
    if (rc != 0) throw CommandExit(rc, "");
  });
}

}  // namespace mlgov::cli
