// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov features --data DIR [--benchmark SPX] [--symbols A,B,...]
//                 [--sectors FILE] --out features.csv [--config FILE]
//                 [--contract ml_v1] [--contracts-dir contracts] [--timings]`
//
// Computes the contract's features for a universe of bar files DIR/<SYM>.csv
// against DIR/<benchmark>.csv and writes `date,symbol,<features...>` with
// each value in the shortest text that reads back as the same float32
// (features_csv.h). Rows are ordered by date, then by the order of the
// symbols. --timings prints each phase's wall time to stderr.
//
// Without --symbols: every *.csv in DIR except the benchmark's file and any
// sectors.csv, in name order. Without --sectors: every symbol is its own
// sector, so cross_rank_sector is the spec's fallback 0.5 (said on stderr).
// Unknown symbol, bad file, missing benchmark date: an error, exit code 2.
#include <algorithm>
#include <chrono>
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
#include "mlgov/bars.h"
#include "mlgov/errors.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"

namespace mlgov::cli {
namespace {

namespace fs = std::filesystem;

struct FeaturesOptions {
  std::string data_dir;
  std::vector<std::string> symbols;
  std::optional<std::string> benchmark;
  std::string sectors;
  std::string out;
  std::optional<std::string> contract;
  std::optional<std::string> contracts_dir;
  std::optional<std::string> config;
  bool timings = false;
};

bool is_plain_symbol(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find_first_of("/\\") == std::string::npos;
}

std::vector<std::string> discover_symbols(const fs::path& dir, const std::string& benchmark) {
  std::vector<std::string> symbols;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".csv") continue;
    const std::string stem = entry.path().stem().string();
    if (stem == benchmark || entry.path().filename() == "sectors.csv") continue;
    symbols.push_back(stem);
  }
  if (ec) throw CommandExit(2, fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(symbols.begin(), symbols.end());
  return symbols;
}

// Wall time of the command's phases, printed to stderr with --timings.
class PhaseTimer {
 public:
  explicit PhaseTimer(bool enabled) : enabled_(enabled) {}
  // Ends the phase running since the previous call (or the start).
  void lap(const char* phase) {
    const auto now = std::chrono::steady_clock::now();
    if (enabled_) {
      std::fprintf(stderr, "mlgov features: %-28s %8.1f ms\n", phase,
                   std::chrono::duration<double, std::milli>(now - last_).count());
    }
    last_ = now;
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

void run_features(const FeaturesOptions& o) {
  PhaseTimer timer(o.timings);
  Config config = load_tool_config(o.config);
  if (o.contract) config.contract = *o.contract;
  const std::string benchmark_name = o.benchmark.value_or(config.data.benchmark_symbol);
  const fs::path dir = o.data_dir;
  if (!fs::is_directory(dir))
    throw CommandExit(2, fmt::format("--data {}: not a directory", o.data_dir));
  if (!is_plain_symbol(benchmark_name)) {
    throw CommandExit(2, fmt::format("--benchmark \"{}\": not a symbol name", benchmark_name));
  }
  const fs::path bench_file = dir / (benchmark_name + ".csv");
  if (!fs::exists(bench_file)) {
    throw CommandExit(2, fmt::format("no data file for benchmark {} (looked for {})",
                                     benchmark_name, bench_file.string()));
  }
  std::vector<std::string> symbols =
      o.symbols.empty() ? discover_symbols(dir, benchmark_name) : o.symbols;
  if (symbols.empty()) {
    throw CommandExit(2, fmt::format("no symbol files in {} (besides the benchmark)", o.data_dir));
  }
  std::vector<BarSeries> universe;
  universe.reserve(symbols.size());
  for (const std::string& sym : symbols) {
    if (!is_plain_symbol(sym))
      throw CommandExit(2, fmt::format("--symbols: \"{}\" is not a symbol name", sym));
    const fs::path file = dir / (sym + ".csv");
    if (!fs::exists(file)) {
      throw CommandExit(2, fmt::format("no data file for {} (looked for {})", sym, file.string()));
    }
    universe.push_back(load_bars_csv(file, sym, config.limits.max_csv_line_bytes));
  }
  const BarSeries benchmark =
      load_bars_csv(bench_file, benchmark_name, config.limits.max_csv_line_bytes);

  timer.lap("read bar CSVs");
  SectorMap sectors;
  if (!o.sectors.empty()) {
    sectors = load_sector_map(o.sectors, config.limits.max_csv_line_bytes);
  } else {
    sectors.source = "(no --sectors: one sector per symbol)";
    for (const std::string& sym : symbols) sectors.sector_of.emplace(sym, sym);
    std::fprintf(stderr,
                 "mlgov features: no --sectors given: every symbol is its own sector, "
                 "cross_rank_sector = 0.5\n");
  }

  const FeatureComputer computer(load_tool_contract(config, o.contracts_dir));
  const FeatureFrame frame = computer.compute_universe(universe, benchmark, sectors);
  for (const std::string& w : frame.warnings) {
    std::fprintf(stderr, "mlgov features: warning: %s\n", w.c_str());
  }

  timer.lap("compute features");
  try {
    write_features_csv(frame, o.out);
  } catch (const std::system_error& e) {
    throw CommandExit(2, fmt::format("--out {}: {}", o.out, e.what()));
  }
  timer.lap("format and write CSV");
  std::printf("wrote %zu rows x %zu features for %zu symbols to %s (contract %s, %s)\n",
              frame.rows(), frame.cols(), symbols.size(), o.out.c_str(),
              computer.contract().name().c_str(), frame.fingerprint().substr(0, 12).c_str());
}

}  // namespace

void register_features_command(CLI::App& app) {
  auto options = std::make_shared<FeaturesOptions>();
  auto* cmd =
      app.add_subcommand("features", "Compute contract features for a universe of bar CSV files");
  cmd->add_option("--data", options->data_dir, "directory of <SYMBOL>.csv bar files")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--symbols", options->symbols,
                  "comma-separated symbols (default: every CSV in --data but the benchmark "
                  "and sectors.csv)")
      ->delimiter(',')
      ->type_name("A,B,...");
  cmd->add_option("--benchmark", options->benchmark,
                  "benchmark symbol; its file <DIR>/<SYMBOL>.csv gives beta_60's returns "
                  "(default: the config's data.benchmark_symbol, SPX)")
      ->type_name("SYMBOL");
  cmd->add_option("--sectors", options->sectors,
                  "symbol,sector CSV (default: every symbol its own sector, rank 0.5)")
      ->type_name("FILE");
  cmd->add_option("--out", options->out, "output CSV")->required()->type_name("FILE");
  cmd->add_option("--contract", options->contract,
                  "contract name (default: the config's features.contract, ml_v1)")
      ->type_name("NAME");
  cmd->add_option("--contracts-dir", options->contracts_dir,
                  "directory searched first (default: the config's paths.contracts_dir, "
                  "contracts), then the installed one")
      ->type_name("DIR");
  cmd->add_flag("--timings", options->timings,
                "print the wall time of each phase (read, compute, write) to stderr");
  add_config_option(cmd, options->config,
                    "features.contract, paths.contracts_dir, data.benchmark_symbol");
  set_help_footer(cmd,
                  "mlgov features --data data/real --symbols GOOG --benchmark SPX --out "
                  "features.csv");
  cmd->callback([options] { run_features(*options); });
}

}  // namespace mlgov::cli
