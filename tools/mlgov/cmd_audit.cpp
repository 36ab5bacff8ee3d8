// Copyright 2026 The mlgov Authors. Apache-2.0.
// PLACEHOLDER until the owning issue lands: the subcommand exists but refuses to run.
#include "commands.h"

namespace mlgov::cli {

void register_audit_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("audit", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([] { throw CommandExit(2, "'audit' is not available in this build yet"); });
}

}  // namespace mlgov::cli
