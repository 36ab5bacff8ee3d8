// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov contract [--config FILE] [--name ml_v1] [--contracts-dir DIR]
// [--json]`: prints the contract as loaded and validated, with its
// fingerprint and the file it came from.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "market_inputs.h"
#include "mlgov/feature_contract.h"

namespace mlgov::cli {

void register_contract_command(CLI::App& app) {
  struct Options {
    std::optional<std::string> name;
    std::optional<std::string> contracts_dir;
    std::optional<std::string> config;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("contract", "Load, validate and print a feature contract");
  cmd->add_option("--name", options->name,
                  "contract name (default: the config's features.contract, ml_v1)")
      ->type_name("NAME");
  cmd->add_option("--contracts-dir", options->contracts_dir,
                  "directory searched first (default: the config's paths.contracts_dir, "
                  "contracts); then <bin>/../share/mlgov/contracts, then the configured prefix's")
      ->type_name("DIR");
  add_config_option(cmd, options->config, "features.contract and paths.contracts_dir");
  cmd->add_flag("--json", options->json, "print JSON instead of text");
  set_help_footer(cmd, "mlgov contract --config config.yaml --json");
  cmd->callback([options] {
    Config config = load_tool_config(options->config);
    if (options->name) config.contract = *options->name;
    const FeatureContract contract = load_tool_contract(config, options->contracts_dir);
    if (options->json) {
      nlohmann::json out = {{"name", contract.name()},
                            {"version", contract.version()},
                            {"fingerprint", contract.fingerprint()},
                            {"min_history", contract.min_history()},
                            {"source", contract.source()},
                            {"features", contract.names()}};
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    std::printf("contract %s version %s (%s)\n", contract.name().c_str(),
                contract.version().c_str(), contract.source().c_str());
    std::printf("fingerprint %s\n", contract.fingerprint().c_str());
    std::printf("min_history %d bars, %zu float32 features:\n", contract.min_history(),
                contract.size());
    for (std::size_t i = 0; i < contract.size(); ++i) {
      const auto& f = contract.features()[i];
      std::printf("  %2zu %-22s lookback %3d  %s\n", i + 1, f.name.c_str(), f.lookback,
                  f.description.c_str());
    }
  });
}

}  // namespace mlgov::cli
