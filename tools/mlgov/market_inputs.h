// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Shared by `mlgov train`, `mlgov audit` and `mlgov predict`: symbol lists,
// the configuration and contract a command runs under, the market data a
// feature computation needs, and a private scratch directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mlgov/bars.h"
#include "mlgov/config.h"
#include "mlgov/feature_contract.h"

namespace mlgov::cli {

// Splits "A,B,C" (spaces around names are trimmed). Throws CommandExit(2)
// for an empty list, an empty or invalid name (is_valid_symbol) or a
// duplicate, naming the option.
std::vector<std::string> split_symbol_list(const std::string& list, const std::string& option);

// Every symbol with a bar file in `data_dir`: the stems of DIR/*.csv, minus
// the benchmark's file and the sector map (when it lives in DIR), sorted.
// Throws CommandExit(2) when the directory cannot be listed.
std::vector<std::string> symbols_in_data_dir(const std::filesystem::path& data_dir,
                                             const std::string& benchmark,
                                             const std::filesystem::path& sectors_file);

// `--symbols` as given: "all" means symbols_in_data_dir, otherwise
// split_symbol_list. Throws CommandExit(2) when the result is empty or names
// the benchmark.
std::vector<std::string> resolve_symbols(const std::string& spec,
                                         const std::filesystem::path& data_dir,
                                         const std::string& benchmark,
                                         const std::filesystem::path& sectors_file);

// The universe cross_rank_sector is ranked over: the chosen symbols first
// (in the order given), then every other symbol of the sector map that has a
// bar file DIR/<SYM>.csv (in the map's order), never the benchmark. This is
// the universe a live engine running the whole data directory sees, so a
// model trained on three symbols learns the same rank it is served.
// Symbols of the sector map without a bar file are left out and, when
// `without_data` is given, listed there (in the map's order), so the caller
// can name them instead of dropping them silently.
std::vector<std::string> rank_universe(const std::vector<std::string>& chosen,
                                       const SectorMap& sectors,
                                       const std::filesystem::path& data_dir,
                                       const std::string& benchmark,
                                       std::vector<std::string>* without_data = nullptr);

// DIR/<symbol>.csv loaded with load_bars_csv. A missing file is a DataError
// "no data file for <what> (looked for DIR/<symbol>.csv)", where `what` is
// the symbol, or "benchmark SPX" for the benchmark; other errors are
// load_bars_csv's (file:line and the rule). Lines are capped at
// `max_line_bytes` (the config's limits.max_csv_line_bytes).
BarSeries load_symbol_bars(const std::filesystem::path& data_dir, const std::string& symbol,
                           bool is_benchmark, std::size_t max_line_bytes);

// "A, B, C" for at most `limit` names, then "and N more".
std::string name_list(const std::vector<std::string>& names, std::size_t limit = 20);

// The configuration: load_config(file) when given, the documented defaults
// otherwise. Errors propagate (ConfigError, exit code 2 via main).
Config load_tool_config(const std::optional<std::string>& file);

// The contract named by config.contract, searched in `contracts_dir` when
// given, else config.paths.contracts_dir, then the installed directory.
FeatureContract load_tool_contract(const Config& config,
                                   const std::optional<std::string>& contracts_dir);

// The path of DIR/<symbol>.csv.
std::filesystem::path bar_file(const std::filesystem::path& data_dir, const std::string& symbol);

// A fresh private directory under the system temp directory, removed with
// its content by the destructor. Throws std::system_error when it cannot be
// created. Not copyable.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `file` atomically, creating the parent directories.
// Throws std::system_error naming the path.
void write_output_file(const std::filesystem::path& file, const std::string& content);

}  // namespace mlgov::cli
