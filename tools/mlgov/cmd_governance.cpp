// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov governance status --state-file F`
// `mlgov governance reenable --state-file F --operator NAME --reason TEXT`
//
// status prints the latch state, the last failures and the audit trail of the
// governance state file (exit 0; a missing file is "never latched"). reenable
// clears the latch and appends the operator's audit record, atomically. Both
// exit 2 with a message naming the file for a garbage state file (which a
// running predictor treats as DISABLED) or missing arguments.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "commands.h"
#include "mlgov/clock.h"
#include "mlgov/governance.h"

namespace mlgov::cli {
namespace {

// Strings in the state file came from outside (symbols, operator text): show
// control characters escaped so they cannot forge terminal lines.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

void print_record(const std::filesystem::path& file, const GovernanceRecord& record) {
  std::printf("state_file: %s\n", printable(file.string()).c_str());
  std::printf("state: %s\n", record.disabled ? "DISABLED_GOVERNANCE" : "ENABLED");
  if (!record.since.empty()) std::printf("since: %s\n", printable(record.since).c_str());
  if (!record.reason.empty()) std::printf("reason: %s\n", printable(record.reason).c_str());
  std::printf("last_failures: %zu\n", record.last_failures.size());
  for (const auto& f : record.last_failures) {
    std::printf("  %s %s %s %s\n", printable(f.ts).c_str(), printable(f.symbol).c_str(),
                printable(f.reason).c_str(), printable(f.message).c_str());
  }
  std::printf("history: %zu\n", record.history.size());
  for (const auto& h : record.history) {
    if (h.operator_name.empty()) {
      std::printf("  %s %s %s\n", printable(h.ts).c_str(), printable(h.event).c_str(),
                  printable(h.reason).c_str());
    } else {
      std::printf("  %s %s operator=%s reason=%s\n", printable(h.ts).c_str(),
                  printable(h.event).c_str(), printable(h.operator_name).c_str(),
                  printable(h.reason).c_str());
    }
  }
}

GovernanceRecord read_or_exit(const std::filesystem::path& file) {
  try {
    return read_governance_state(file);
  } catch (const GovernanceStateError& e) {
    throw CommandExit(2, fmt::format("{}\n(a running predictor treats this file as "
                                     "DISABLED_GOVERNANCE; inspect it, move it aside and "
                                     "re-enable explicitly)",
                                     e.what()));
  }
}

}  // namespace

void register_governance_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "governance", "Show or clear the governance latch (the sliding-window failure switch)");
  cmd->require_subcommand(1);

  auto status_file = std::make_shared<std::string>();
  auto* status = cmd->add_subcommand("status", "Print the governance state file");
  status->add_option("--state-file", *status_file, "governance.state_file of the config")
      ->required();
  status->callback([status_file] {
    const std::filesystem::path file(*status_file);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      std::printf("state_file: %s\nstate: ENABLED (no state file: never latched)\n",
                  printable(file.string()).c_str());
      return;
    }
    print_record(file, read_or_exit(file));
  });

  struct ReenableArgs {
    std::string file;
    std::string operator_name;
    std::string reason;
  };
  auto args = std::make_shared<ReenableArgs>();
  auto* reenable = cmd->add_subcommand(
      "reenable", "Clear the latch and record the operator's audit entry in the state file");
  reenable->add_option("--state-file", args->file, "governance.state_file of the config")
      ->required();
  reenable->add_option("--operator", args->operator_name, "who re-enables (audit trail)")
      ->required();
  reenable->add_option("--reason", args->reason, "why it is safe now (audit trail)")->required();
  reenable->callback([args] {
    const std::filesystem::path file(args->file);
    read_or_exit(file);  // a garbage file is reported, never overwritten blindly
    SystemClock clock;
    GovernanceRecord record;
    try {
      record = reenable_governance_state_file(file, args->operator_name, args->reason, clock);
    } catch (const std::invalid_argument& e) {
      throw CommandExit(2, e.what());
    } catch (const std::system_error& e) {
      throw CommandExit(
          2, fmt::format("{}: cannot write the state file: {}", file.string(), e.what()));
    }
    std::printf("re-enabled by %s: %s\n", printable(args->operator_name).c_str(),
                printable(args->reason).c_str());
    std::printf(
        "note: a running predictor reads the state file only at start; restart it or "
        "call GovernedPredictor::reenable()\n");
    print_record(file, record);
  });
}

}  // namespace mlgov::cli
