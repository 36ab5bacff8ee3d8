// Copyright 2026 The mlgov Authors. Apache-2.0.
// PLACEHOLDER until the owning issue lands: the subcommand exists but refuses to run.
#include "commands.h"

namespace mlgov::cli {

void register_governance_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("governance", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([] { throw CommandExit(2, "'governance' is not available in this build yet"); });
}

}  // namespace mlgov::cli
