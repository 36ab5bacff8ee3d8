// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// quickstart: load the configuration and the feature contract it names, and
// print what was found. Usage: mlgov_quickstart [CONFIG] (default
// configs/golden_config.yaml, run from the repository root).
#include <cstdio>
#include <string>

#include <mlgov/mlgov.h>

int main(int argc, char** argv) {
  const std::string config_path = argc > 1 ? argv[1] : "configs/golden_config.yaml";
  try {
    const mlgov::Config config = mlgov::load_config(config_path);
    for (const auto& warning : config.warnings) std::printf("warning: %s\n", warning.c_str());
    std::printf("config      %s\n", config_path.c_str());
    std::printf("ml_enabled  %s%s\n", config.ml_enabled ? "true" : "false",
                config.ml_enabled ? "" : "  (ML is off: predict() returns no signal)");
    std::printf("governance  %d failures in %.0f s latch DISABLED_GOVERNANCE; state file %s\n",
                config.governance.max_failures, config.governance.window_seconds,
                config.governance.state_file.c_str());
    std::printf("paths       contracts=%s models=%s logs=%s\n", config.paths.contracts_dir.c_str(),
                config.paths.models_dir.c_str(), config.paths.logs_dir.c_str());

    const mlgov::FeatureContract contract =
        mlgov::load_feature_contract(config.contract, config.paths.contracts_dir);
    std::printf("contract    %s %s from %s\n", contract.name().c_str(), contract.version().c_str(),
                contract.source().c_str());
    std::printf("fingerprint %s\n", contract.fingerprint().c_str());
    std::printf("features    %zu float32, min_history %d bars:\n", contract.size(),
                contract.min_history());
    for (std::size_t i = 0; i < contract.size(); ++i) {
      std::printf("  %2zu %s\n", i + 1, contract.names()[i].c_str());
    }
    return 0;
  } catch (const mlgov::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
