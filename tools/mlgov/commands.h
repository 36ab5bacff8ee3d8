// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The subcommands of the `mlgov` tool. Each register_* adds one subcommand to
// the app; its callback does the work and returns through CommandExit.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace mlgov::cli {

// Thrown by a subcommand to end the program with `code` after printing
// "mlgov: error: <message>" to stderr (nothing when the message is empty).
// Exit codes: 0 success, 1 check failed (audit below the minimum pass rate,
// a row refused by predict), 2 bad input or usage.
struct CommandExit : std::runtime_error {
  CommandExit(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;
};

// The conventions every subcommand follows (docs: README, "The mlgov tool").
//
// --config FILE: the YAML config the paths default from (contracts_dir,
// models_dir, state_file, benchmark); the documented defaults without it.
inline CLI::Option* add_config_option(CLI::App* cmd, std::optional<std::string>& file,
                                      const std::string& what) {
  return cmd->add_option("--config", file, "YAML config; " + what)->type_name("FILE");
}

// The exit codes every subcommand shares; `one` says what 1 means for it
// (empty: the command never exits 1).
inline std::string exit_codes_text(const std::string& one = "") {
  std::string text = "Exit codes: 0 success";
  if (!one.empty()) text += ", 1 " + one;
  return text + ", 2 bad input or usage (the message names the file, line or option).";
}

// The --help footer: one example and the exit codes.
inline void set_help_footer(CLI::App* cmd, const std::string& example,
                            const std::string& exit_1 = "") {
  cmd->footer("\nExample:\n  " + example + "\n\n" + exit_codes_text(exit_1));
}

void register_features_command(CLI::App& app);
void register_synth_command(CLI::App& app);
void register_train_command(CLI::App& app);
void register_audit_command(CLI::App& app);
void register_predict_command(CLI::App& app);
void register_governance_command(CLI::App& app);
void register_bench_command(CLI::App& app);
void register_contract_command(CLI::App& app);
void register_drift_command(CLI::App& app);

}  // namespace mlgov::cli
