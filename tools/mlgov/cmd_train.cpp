// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov train --symbols A,B,...|all --data DIR [--benchmark SPX] --sectors FILE
//  [--out models/ml_alpha] [--config FILE] [--contracts-dir DIR]`
//
// One XGBoost binary:logistic model per symbol on the ml_v1 features of the
// FeatureComputer (batch, the universe of the data directory so that
// cross_rank_sector is the rank the live engine computes). Label: 1 when
// c[t+5]/c[t] - 1 > 0; rows without 5 future bars are dropped; the last 20%
// of a symbol's rows validate (no shuffle). Writes
// OUT/<SYM>_v1_<YYYYMMDD_HHMMSS>/{model.json, model_meta.json}, built under
// OUT/.tmp-<SYM>_v1-<pid>-<n> (skipped by the registry), fsynced, renamed
// without replacing anything, parent fsynced. A re-train of a symbol within
// the second its previous model was published waits for the next second (the
// registry orders a symbol's models by that timestamp, so a suffix would not
// do). Same inputs and seed: byte-identical model.json.
#include <unistd.h>
#include <xgboost/c_api.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "market_inputs.h"
#include "mlgov/atomic_file.h"
#include "mlgov/bars.h"
#include "mlgov/clock.h"
#include "mlgov/feature_computer.h"
#include "mlgov/model_meta.h"
#include "mlgov/offline/training.h"
#include "mlgov/offline/xgboost_trainer.h"
#include "mlgov/version.h"

namespace mlgov::cli {
namespace {

constexpr int kModelVersion = 1;

struct TrainOptions {
  std::string symbols;
  std::string data;
  std::optional<std::string> benchmark;
  std::string sectors;
  std::optional<std::string> out;
  std::optional<std::string> config;
  std::optional<std::string> contracts_dir;
  bool fail_after_model_for_test = false;
};

std::string xgboost_version() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return fmt::format("{}.{}.{}", major, minor, patch);
}

std::string date_only(BarTime t) { return format_bar_time(t).substr(0, 10); }

// Progress: rewritten in place on a terminal, one plain line per symbol otherwise.
class Progress {
 public:
  explicit Progress(std::size_t total)
      : total_(total), tty_(::isatty(STDOUT_FILENO) == 1), start_(Clock::now()) {}

  void done(std::size_t i, const offline::SymbolDataset& ds, std::optional<double> auc,
            const std::filesystem::path& dir) {
    const double elapsed = seconds_since_start();
    const double eta = elapsed / static_cast<double>(i) * static_cast<double>(total_ - i);
    const std::string auc_text = auc ? fmt::format("{:.4f}", *auc) : "n/a";
    if (tty_) {
      std::printf("\r\x1b[K[%zu/%zu] %s rows=%zu auc=%s elapsed=%.1fs eta=%.1fs", i, total_,
                  ds.symbol.c_str(), ds.n_rows(), auc_text.c_str(), elapsed, eta);
      if (i == total_) std::printf("\n");
    } else {
      std::printf(
          "[%zu/%zu] %s rows=%zu (train %zu, valid %zu) auc=%s elapsed=%.1fs eta=%.1fs -> %s\n", i,
          total_, ds.symbol.c_str(), ds.n_rows(), ds.n_train, ds.n_valid(), auc_text.c_str(),
          elapsed, eta, dir.string().c_str());
    }
    std::fflush(stdout);
  }
  double seconds_since_start() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::size_t total_;
  bool tty_;
  Clock::time_point start_;
};

// The meta without trained_at (set when the directory is published).
ModelMeta make_meta(const offline::SymbolDataset& ds, const FeatureContract& contract,
                    const Config& config, const offline::TrainResult& result,
                    std::size_t universe_size) {
  ModelMeta meta;
  meta.symbol = ds.symbol;
  set_contract(meta, contract);
  meta.git_commit = std::string(library_git_commit());
  meta.git_dirty = library_git_dirty();
  meta.training_data_period = {date_only(ds.times.front()), date_only(ds.times[ds.n_train - 1])};
  meta.model_file = "model.json";
  meta.objective = "binary:logistic";
  meta.xgboost_version = xgboost_version();
  meta.params = offline::params_json(config.training);
  const auto train_labels = ds.train_labels();
  const auto valid_labels = ds.valid_labels();
  const auto rate = [](std::span<const float> labels) {
    double positives = 0;
    for (float l : labels) positives += l;
    return positives / static_cast<double>(labels.size());
  };
  const auto metric = [&](const char* name) -> nlohmann::json {
    const auto v = result.metric(name);
    if (!v) return nullptr;
    return *v;
  };
  meta.metrics = {{"valid_logloss", metric("logloss")},
                  {"valid_auc", metric("auc")},
                  {"train_rows", ds.n_train},
                  {"valid_rows", ds.n_valid()},
                  {"positive_rate", rate(train_labels)},
                  {"valid_positive_rate", rate(valid_labels)}};
  meta.feature_stats =
      offline::feature_statistics(ds.train_features(), ds.n_train, contract.names());
  meta.unknown_fields = {
      {"validation_data_period",
       {{"start", date_only(ds.times[ds.n_train])}, {"end", date_only(ds.times.back())}}},
      {"label",
       {{"definition", "1 when close[t+5] / close[t] - 1 > 0, else 0"},
        {"horizon_bars", offline::kLabelHorizonBars}}},
      {"rank_universe_size", universe_size}};
  return meta;
}

void run_train(const TrainOptions& opt) {
  const Config config = load_tool_config(opt.config);
  const FeatureContract contract = load_tool_contract(config, opt.contracts_dir);
  const FeatureComputer computer(contract);
  const std::string benchmark_name = opt.benchmark.value_or(config.data.benchmark_symbol);
  const std::filesystem::path data_dir = opt.data;

  const std::vector<std::string> symbols =
      resolve_symbols(opt.symbols, data_dir, benchmark_name, opt.sectors);
  const std::size_t max_line = config.limits.max_csv_line_bytes;
  const SectorMap sectors = load_sector_map(opt.sectors, max_line);
  const BarSeries benchmark = load_symbol_bars(data_dir, benchmark_name, true, max_line);
  std::vector<std::string> without_data;
  const std::vector<std::string> universe_names =
      rank_universe(symbols, sectors, data_dir, benchmark_name, &without_data);
  if (!without_data.empty()) {
    std::printf(
        "%zu symbol%s of %s %s no data file in %s and %s left out of the rank "
        "universe: %s\n",
        without_data.size(), without_data.size() == 1 ? "" : "s", opt.sectors.c_str(),
        without_data.size() == 1 ? "has" : "have", data_dir.string().c_str(),
        without_data.size() == 1 ? "is" : "are", name_list(without_data).c_str());
  }
  std::vector<BarSeries> universe;
  universe.reserve(universe_names.size());
  for (const auto& name : universe_names)
    universe.push_back(load_symbol_bars(data_dir, name, false, max_line));
  const FeatureFrame frame = computer.compute_universe(universe, benchmark, sectors);

  // Every dataset first: a symbol without enough data stops the run before
  // anything is written.
  std::vector<offline::SymbolDataset> datasets;
  datasets.reserve(symbols.size());
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    datasets.push_back(offline::build_symbol_dataset(frame, universe[i]));
  }

  const std::filesystem::path out_dir =
      opt.out ? std::filesystem::path(*opt.out) : config.paths.models_dir;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw CommandExit(2, fmt::format("--out {}: {}", out_dir.string(), ec.message()));
  for (const std::string& line :
       offline::remove_stale_staging_directories(out_dir, SystemClock{})) {
    std::fprintf(stderr, "mlgov: %s\n", line.c_str());
  }

  offline::TrainSpec spec;
  spec.params = offline::xgboost_params(config.training);
  spec.rounds = config.training.n_estimators;

  Progress progress(datasets.size());
  std::vector<std::filesystem::path> published;
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    const auto& ds = datasets[i];
    const std::filesystem::path staging =
        out_dir / fmt::format(".tmp-{}_v{}-{}-{}", ds.symbol, kModelVersion, ::getpid(), i);
    std::filesystem::remove_all(staging);
    std::filesystem::create_directory(staging);
    try {
      const offline::DenseDataset train{ds.train_features(), ds.train_labels(), ds.n_features};
      const offline::DenseDataset valid{ds.valid_features(), ds.valid_labels(), ds.n_features};
      const auto model_file = staging / "model.json";
      const offline::TrainResult result =
          offline::train_xgboost_model(train, &valid, spec, model_file);
      offline::fsync_file(model_file);
      if (opt.fail_after_model_for_test) {
        std::fprintf(stderr, "mlgov: --fail-after-model-for-test: stopping after %s\n",
                     model_file.string().c_str());
        std::fflush(stdout);
        ::_exit(3);
      }
      ModelMeta meta = make_meta(ds, contract, config, result, universe.size());
      const auto dir = offline::publish_model_directory(
          staging, out_dir, ds.symbol, kModelVersion,
          [] { return std::chrono::system_clock::now(); },
          [&meta](const std::filesystem::path& dir, std::chrono::system_clock::time_point when) {
            meta.trained_at = offline::iso8601_utc_seconds(when);
            save_model_meta(meta, dir / "model_meta.json");
            offline::fsync_file(dir / "model_meta.json");
          });
      published.push_back(dir);
      progress.done(i + 1, ds, result.metric("auc"), dir);
    } catch (...) {
      std::filesystem::remove_all(staging, ec);
      throw;
    }
  }
  std::printf("trained %zu model%s in %.1fs (features from a universe of %zu symbols):\n",
              published.size(), published.size() == 1 ? "" : "s", progress.seconds_since_start(),
              universe.size());
  for (const auto& dir : published) std::printf("  %s\n", dir.string().c_str());
}

}  // namespace

void register_train_command(CLI::App& app) {
  auto opt = std::make_shared<TrainOptions>();
  auto* cmd =
      app.add_subcommand("train", "Train one XGBoost model per symbol on the ml_v1 features");
  cmd->add_option("--symbols", opt->symbols, "A,B,... or all (every bar file in --data)")
      ->required()
      ->type_name("A,B,...|all");
  cmd->add_option("--data", opt->data, "directory of <SYMBOL>.csv bar files")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--benchmark", opt->benchmark,
                  "benchmark symbol (default: the config's data.benchmark_symbol, SPX)")
      ->type_name("SYMBOL");
  cmd->add_option("--sectors", opt->sectors, "symbol,sector CSV")->required()->type_name("FILE");
  cmd->add_option("--out", opt->out,
                  "models directory (default: the config's paths.models_dir, models/ml_alpha)")
      ->type_name("DIR");
  add_config_option(cmd, opt->config,
                    "training: parameters, paths.models_dir, paths.contracts_dir, "
                    "data.benchmark_symbol; defaults otherwise");
  cmd->add_option("--contracts-dir", opt->contracts_dir,
                  "where feature_contract_<name>.json lives (default: the config's "
                  "paths.contracts_dir, then the installed contracts)")
      ->type_name("DIR");
  set_help_footer(cmd,
                  "mlgov train --config config.yaml --symbols S001,S002 --data /tmp/synth "
                  "--sectors /tmp/synth/sectors.csv");
  // Hidden, for the crash-safety test: exit right after model.json is written.
  cmd->add_flag("--fail-after-model-for-test", opt->fail_after_model_for_test)->group("");
  cmd->callback([opt] { run_train(*opt); });
}

}  // namespace mlgov::cli
