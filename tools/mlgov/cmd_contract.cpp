// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov contract [--name ml_v1] [--contracts-dir DIR] [--json]`: prints the
// contract as loaded and validated, with its fingerprint.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "mlgov/feature_contract.h"

namespace mlgov::cli {

void register_contract_command(CLI::App& app) {
  struct Options {
    std::string name = "ml_v1";
    std::string contracts_dir = "contracts";
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("contract", "Load, validate and print a feature contract");
  cmd->add_option("--name", options->name, "contract name")->capture_default_str();
  cmd->add_option("--contracts-dir", options->contracts_dir,
                  "directory searched before the installed one")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print JSON instead of text");
  cmd->callback([options] {
    const FeatureContract contract = load_feature_contract(options->name, options->contracts_dir);
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
