// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The subcommands of the `mlgov` tool. Each register_* adds one subcommand to
// the app; its callback does the work and returns through CommandExit.
#pragma once

#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace mlgov::cli {

// Thrown by a subcommand to end the program with `code` after printing
// `message` to stderr. Exit codes: 0 success, 1 check failed (audit below
// the minimum pass rate), 2 bad input or usage.
struct CommandExit : std::runtime_error {
  CommandExit(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;
};

void register_features_command(CLI::App& app);
void register_synth_command(CLI::App& app);
void register_train_command(CLI::App& app);
void register_audit_command(CLI::App& app);
void register_predict_command(CLI::App& app);
void register_governance_command(CLI::App& app);
void register_bench_command(CLI::App& app);
void register_contract_command(CLI::App& app);

}  // namespace mlgov::cli
