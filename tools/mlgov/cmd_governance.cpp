// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov governance status   (--config FILE | --state-file FILE)`
// `mlgov governance reenable (--config FILE | --state-file FILE) --operator NAME --reason TEXT`
// `mlgov governance disable  (--config FILE | --state-file FILE) --operator NAME --reason TEXT`
//
// status prints the latch state, the window, the last failures and the audit
// trail of the governance state file, read by the same function the
// predictor uses: exit 0 enabled, 1 disabled, 2 missing or unreadable file.
// reenable and disable change the file under its lock (merged with what the
// engines wrote); every running predictor on the file follows within a
// second or at its next heartbeat. Errors start "mlgov: error:" and exit 2.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "commands.h"
#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/errors.h"
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
  if (record.disabled) std::printf("disabled_by: %s\n", last_disabling_event(record).c_str());
  if (!record.since.empty()) std::printf("since: %s\n", printable(record.since).c_str());
  if (!record.reason.empty()) std::printf("reason: %s\n", printable(record.reason).c_str());
  std::printf("window_failures: %zu\n", record.window_failures.size());
  for (const auto& ts : record.window_failures) std::printf("  %s\n", printable(ts).c_str());
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

// Ends the program with exit code 2 and one "mlgov: error:" line (printed
// here, so the message reads the same whatever main() does with CommandExit).
[[noreturn]] void error_exit(const std::string& message) {
  std::fprintf(stderr, "mlgov: error: %s\n", message.c_str());
  throw CommandExit(2, "");
}

// The state file named by --state-file, or governance.state_file of --config.
struct FileArgs {
  std::string state_file;
  std::string config;
  std::filesystem::path resolve() const {
    if (!state_file.empty()) return state_file;
    if (config.empty()) error_exit("give --state-file FILE or --config FILE");
    try {
      return load_config(config).governance.state_file;
    } catch (const Error& e) {
      error_exit(e.what());
    }
  }
};

void add_file_options(CLI::App* cmd, FileArgs& args) {
  auto* file = cmd->add_option("--state-file", args.state_file,
                               "the governance state file (governance.state_file)")
                   ->option_text("FILE");
  auto* config = cmd->add_option("--config", args.config,
                                 "take the state file from governance.state_file of this config")
                     ->option_text("FILE");
  file->excludes(config);
}

GovernanceRecord read_or_exit(const std::filesystem::path& file) {
  GovernanceStateFile found;
  try {
    found = read_governance_state_file(file);
  } catch (const GovernanceStateError& e) {
    error_exit(
        fmt::format("{}\nthe state file is unreadable: a running predictor treats this file "
                    "as DISABLED_GOVERNANCE; inspect it, move it aside and re-enable "
                    "explicitly",
                    e.what()));
  }
  if (!found.exists) {
    error_exit(
        fmt::format("{}: no governance state file (missing): a predictor creates it at "
                    "start; check the path (--config or --state-file)",
                    file.string()));
  }
  if (!found.warning.empty()) std::fprintf(stderr, "mlgov: warning: %s\n", found.warning.c_str());
  return found.record;
}

// Runs reenable or disable (`change`) and prints the result.
template <class Change>
void change_state(const std::filesystem::path& file, const char* done, Change change) {
  SystemClock clock;
  GovernanceRecord record;
  try {
    record = change(clock);
  } catch (const std::invalid_argument& e) {
    error_exit(e.what());
  } catch (const GovernanceStateError& e) {
    error_exit(
        fmt::format("{}\nthe state file is unreadable and is never overwritten blindly: "
                    "move it aside first",
                    e.what()));
  } catch (const std::system_error& e) {
    error_exit(fmt::format("{}: cannot update the state file: {}", file.string(), e.what()));
  }
  std::printf("%s\n", done);
  std::printf(
      "running engines on this state file follow within a second (or at their next "
      "heartbeat), without a restart\n");
  print_record(file, record);
}

}  // namespace

void register_governance_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "governance", "Show, clear or set the governance latch (the sliding-window failure switch)");
  cmd->require_subcommand(1);

  auto status_args = std::make_shared<FileArgs>();
  auto* status = cmd->add_subcommand("status", "Print the governance state file");
  add_file_options(status, *status_args);
  status->footer(
      "Example:\n  mlgov governance status --config config.yaml\n"
      "Exit codes: 0 enabled, 1 disabled (DISABLED_GOVERNANCE), 2 state file missing or "
      "unreadable, or bad usage");
  status->callback([status_args] {
    const std::filesystem::path file = status_args->resolve();
    const GovernanceRecord record = read_or_exit(file);
    print_record(file, record);
    if (record.disabled) throw CommandExit(1, "");
  });

  struct ChangeArgs {
    FileArgs file;
    std::string operator_name;
    std::string reason;
  };
  const auto add_change = [cmd](const char* name, const char* help, const char* example) {
    auto args = std::make_shared<ChangeArgs>();
    auto* sub = cmd->add_subcommand(name, help);
    add_file_options(sub, args->file);
    sub->add_option("--operator", args->operator_name, "who acts (audit trail)")
        ->option_text("NAME")
        ->required();
    sub->add_option("--reason", args->reason, "why (audit trail)")->option_text("TEXT")->required();
    sub->footer(
        fmt::format("Example:\n  {}\nExit codes: 0 done, 2 bad usage, or a state file "
                    "that is unreadable or cannot be locked or written",
                    example));
    return std::make_pair(sub, args);
  };

  auto [reenable, reenable_args] = add_change(
      "reenable", "Clear the latch and record the operator's audit entry in the state file",
      "mlgov governance reenable --config config.yaml --operator alice --reason \"INC-42: "
      "host column order fixed\"");
  reenable->callback([args = reenable_args] {
    const std::filesystem::path file = args->file.resolve();
    change_state(
        file,
        fmt::format("re-enabled by {}: {}", printable(args->operator_name), printable(args->reason))
            .c_str(),
        [&](const Clock& clock) {
          return reenable_governance_state_file(file, args->operator_name, args->reason, clock);
        });
  });

  auto [disable, disable_args] = add_change(
      "disable",
      "Switch ML off in every engine sharing the state file (DISABLED_BY_OPERATOR), no restart",
      "mlgov governance disable --config config.yaml --operator bob --reason \"INC-43: bad "
      "market data feed\"");
  disable->callback([args = disable_args] {
    const std::filesystem::path file = args->file.resolve();
    change_state(file,
                 fmt::format("disabled by operator {}: {}", printable(args->operator_name),
                             printable(args->reason))
                     .c_str(),
                 [&](const Clock& clock) {
                   return disable_governance_state_file(file, args->operator_name, args->reason,
                                                        clock);
                 });
  });
}

}  // namespace mlgov::cli
