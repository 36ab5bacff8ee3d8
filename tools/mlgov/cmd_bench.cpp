// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov bench [--quick] [--contracts-dir contracts]`: the options; the
// measurements and the report are mlgov::offline::run_bench
// (mlgov/offline/bench.h).
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "market_inputs.h"
#include "mlgov/config.h"
#include "mlgov/offline/bench.h"

namespace mlgov::cli {
namespace {

void register_options(CLI::App* cmd, bool& quick, std::optional<std::string>& contracts_dir,
                      std::optional<std::string>& config) {
  cmd->add_flag("--quick", quick, "fewer samples (a rough figure in seconds)");
  cmd->add_option("--contracts-dir", contracts_dir,
                  "where feature_contract_ml_v1.json is (default: the config's "
                  "paths.contracts_dir, contracts, then the installed contracts)")
      ->type_name("DIR");
  add_config_option(cmd, config, "paths.contracts_dir");
  set_help_footer(cmd, "mlgov bench --quick", "a prediction failed (the figures are not valid)");
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto quick = std::make_shared<bool>(false);
  auto contracts_dir = std::make_shared<std::optional<std::string>>();
  auto config = std::make_shared<std::optional<std::string>>();
  auto* cmd = app.add_subcommand("bench", "Measure the hot path on this machine (release build)");
  register_options(cmd, *quick, *contracts_dir, *config);
  cmd->callback([quick, contracts_dir, config] {
    const Config loaded = load_tool_config(*config);
    offline::BenchOptions options;
    options.quick = *quick;
    options.contracts_dir =
        contracts_dir->has_value() ? **contracts_dir : loaded.paths.contracts_dir.string();
    if (!offline::run_bench(options)) {
      throw CommandExit(1, "bench: some predictions failed; figures not valid");
    }
  });
}

}  // namespace mlgov::cli
