// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "market_inputs.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "commands.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "mlgov/model_registry.h"

namespace mlgov::cli {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

}  // namespace

std::vector<std::string> split_symbol_list(const std::string& list, const std::string& option) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::size_t start = 0;
  while (true) {
    const auto comma = list.find(',', start);
    const std::string name =
        trim(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (name.empty()) {
      throw CommandExit(2, fmt::format("{}: empty symbol name in \"{}\"", option, list));
    }
    if (!is_valid_symbol(name)) {
      throw CommandExit(2, fmt::format("{}: \"{}\" is not a valid symbol (1-64 characters of "
                                       "A-Z a-z 0-9 . _ -, no \"..\")",
                                       option, name));
    }
    if (!seen.insert(name).second) {
      throw CommandExit(2, fmt::format("{}: symbol {} is listed twice", option, name));
    }
    out.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> symbols_in_data_dir(const std::filesystem::path& data_dir,
                                             const std::string& benchmark,
                                             const std::filesystem::path& sectors_file) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(data_dir, ec);
  if (ec) {
    throw CommandExit(2, fmt::format("--data {}: cannot list the directory: {}", data_dir.string(),
                                     ec.message()));
  }
  for (const auto& entry : it) {
    const auto& p = entry.path();
    if (p.extension() != ".csv" || !entry.is_regular_file()) continue;
    const std::string stem = p.stem().string();
    if (stem == benchmark || same_file(p, sectors_file) || !is_valid_symbol(stem)) continue;
    out.push_back(stem);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> resolve_symbols(const std::string& spec,
                                         const std::filesystem::path& data_dir,
                                         const std::string& benchmark,
                                         const std::filesystem::path& sectors_file) {
  std::vector<std::string> symbols = spec == "all"
                                         ? symbols_in_data_dir(data_dir, benchmark, sectors_file)
                                         : split_symbol_list(spec, "--symbols");
  if (symbols.empty()) {
    throw CommandExit(2, fmt::format("--symbols all: no bar files (*.csv) in {} besides the "
                                     "benchmark and the sector map",
                                     data_dir.string()));
  }
  if (std::find(symbols.begin(), symbols.end(), benchmark) != symbols.end()) {
    throw CommandExit(2, fmt::format("--symbols: {} is the benchmark, not a symbol", benchmark));
  }
  return symbols;
}

std::vector<std::string> rank_universe(const std::vector<std::string>& chosen,
                                       const SectorMap& sectors,
                                       const std::filesystem::path& data_dir,
                                       const std::string& benchmark,
                                       std::vector<std::string>* without_data) {
  std::vector<std::string> out = chosen;
  std::set<std::string, std::less<>> seen(chosen.begin(), chosen.end());
  for (const auto& [symbol, sector] : sectors.sector_of) {
    if (symbol == benchmark || seen.count(symbol) != 0 || !is_valid_symbol(symbol)) continue;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(bar_file(data_dir, symbol), ec)) {
      if (without_data != nullptr) without_data->push_back(symbol);
      continue;
    }
    out.push_back(symbol);
    seen.insert(symbol);
  }
  return out;
}

BarSeries load_symbol_bars(const std::filesystem::path& data_dir, const std::string& symbol,
                           bool is_benchmark, std::size_t max_line_bytes) {
  const std::filesystem::path file = bar_file(data_dir, symbol);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    throw DataError(fmt::format("no data file for {}{} (looked for {})",
                                is_benchmark ? "benchmark " : "", symbol, file.string()));
  }
  return load_bars_csv(file, symbol, max_line_bytes);
}

std::string name_list(const std::vector<std::string>& names, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    out += (i == 0 ? "" : ", ") + names[i];
  }
  if (names.size() > limit) out += fmt::format(" and {} more", names.size() - limit);
  return out;
}

Config load_tool_config(const std::optional<std::string>& file) {
  if (file) return load_config(*file);
  return Config{};
}

FeatureContract load_tool_contract(const Config& config,
                                   const std::optional<std::string>& contracts_dir) {
  return load_feature_contract(config.contract, contracts_dir
                                                    ? std::filesystem::path(*contracts_dir)
                                                    : config.paths.contracts_dir);
}

std::filesystem::path bar_file(const std::filesystem::path& data_dir, const std::string& symbol) {
  return data_dir / (symbol + ".csv");
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
  }
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_output_file(const std::filesystem::path& file, const std::string& content) {
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      throw std::system_error(ec, "create directory " + file.parent_path().string());
    }
  }
  write_file_atomically(file, content);
}

}  // namespace mlgov::cli
