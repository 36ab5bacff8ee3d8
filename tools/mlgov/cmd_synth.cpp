// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov synth --symbols 225 --years 10 --sectors 11 --seed 7 --out DIR
//  [--benchmark SPX] [--start 2010-01-04]`: writes a deterministic synthetic
// market (DIR/<SYM>.csv, DIR/<benchmark>.csv, DIR/sectors.csv). Same options,
// same bytes.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "market_inputs.h"
#include "mlgov/offline/synthetic_market.h"

namespace mlgov::cli {

void register_synth_command(CLI::App& app) {
  struct Options {
    SyntheticMarketOptions market;
    std::optional<std::string> benchmark;
    std::optional<std::string> config;
    std::string out;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "synth", "Write a deterministic synthetic market (bars, benchmark, sectors.csv)");
  cmd->add_option("--symbols", options->market.symbols, "number of symbols (S001, S002, ...)")
      ->capture_default_str();
  cmd->add_option("--years", options->market.years, "years of 252 business days")
      ->capture_default_str();
  cmd->add_option("--sectors", options->market.sectors, "number of sectors (SEC01, ...)")
      ->capture_default_str();
  cmd->add_option("--seed", options->market.seed, "random seed")->capture_default_str();
  cmd->add_option("--benchmark", options->benchmark,
                  "benchmark symbol (default: the config's data.benchmark_symbol, SPX)")
      ->type_name("SYMBOL");
  cmd->add_option("--start", options->market.start_date, "first date (YYYY-MM-DD)")
      ->capture_default_str();
  cmd->add_option("--out", options->out, "output directory")->required()->type_name("DIR");
  add_config_option(cmd, options->config, "data.benchmark_symbol names the benchmark");
  set_help_footer(cmd,
                  "mlgov synth --symbols 225 --years 10 --sectors 11 --seed 7 --out /tmp/synth");
  cmd->callback([options] {
    const Config config = load_tool_config(options->config);
    options->market.benchmark_symbol = options->benchmark.value_or(config.data.benchmark_symbol);
    SyntheticMarket market;
    try {
      market = generate_synthetic_market(options->market);
    } catch (const std::invalid_argument& e) {
      throw CommandExit(2, e.what());
    }
    write_synthetic_market(market, options->out);
    const std::size_t bars = market.benchmark.bars.size();
    std::printf("wrote %zu symbols x %zu bars, benchmark %s, %zu sectors to %s\n",
                market.symbols.size(), bars, market.benchmark.symbol.c_str(),
                static_cast<std::size_t>(options->market.sectors), options->out.c_str());
  });
}

}  // namespace mlgov::cli
