// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov governance status   (--config FILE | --state-file FILE)`
// `mlgov governance reenable (--config FILE | --state-file FILE) --operator NAME --reason TEXT`
// `mlgov governance disable  (--config FILE | --state-file FILE) --operator NAME --reason TEXT`
//
// status prints the latch state, the window, the last failures and the audit
// trail of the governance store: the state file (read by the same function
// the predictor uses) or, with --config naming governance.store: redis, the
// Redis scope: exit 0 enabled, 1 disabled, 2 missing or unreadable state or
// an unreachable store. reenable and disable change the shared state (the
// file under its lock, merged with what the engines wrote; Redis in one
// script); every running predictor on it follows without a restart. Errors
// start "mlgov: error:" and exit 2.
#include <chrono>
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
#include "governance_store_factory.h"
#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/errors.h"
#include "mlgov/governance.h"
#include "mlgov/governance_store.h"

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

// `where` is "state_file: PATH" or "store: <describe()>".
void print_record(const std::string& where, const GovernanceRecord& record) {
  std::printf("%s\n", printable(where).c_str());
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

// What the command acts on: the state file named by --state-file or by
// governance.state_file of --config, or (governance.store: redis) the store
// the config names.
struct Target {
  std::filesystem::path file;              // the state file, or empty
  std::shared_ptr<GovernanceStore> store;  // set when not a state file
};

struct FileArgs {
  std::string state_file;
  std::string config;
  Target resolve() const {
    if (!state_file.empty()) return {state_file, nullptr};
    if (config.empty()) error_exit("give --state-file FILE or --config FILE");
    try {
      const Config cfg = load_config(config);
      if (cfg.governance.store == GovernanceConfig::Store::kFile) {
        return {cfg.governance.state_file, nullptr};
      }
      return {{}, make_governance_store_for(cfg)};
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
                                 "act on the store this config names (governance.store: the "
                                 "state file of governance.state_file, or Redis)")
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

// The shared record of a store that is not a state file (Redis).
GovernanceRecord read_store_or_exit(GovernanceStore& store) {
  try {
    return store.read();
  } catch (const GovernanceStateError& e) {
    error_exit(
        fmt::format("{}\nthe store holds garbage: running predictors treat it as "
                    "DISABLED_GOVERNANCE; inspect it, then re-enable explicitly",
                    e.what()));
  } catch (const StoreUnavailableError& e) {
    error_exit(fmt::format("{}: the store cannot be reached: {}", store.describe(), e.what()));
  } catch (const std::exception& e) {
    error_exit(fmt::format("{}: {}", store.describe(), e.what()));
  }
}

// Runs reenable or disable (`change`) on a store that is not a state file.
template <class Change>
void change_store(GovernanceStore& store, const std::string& done, Change change) {
  SystemClock clock;
  GovernanceRecord record;
  try {
    record = change(store, clock.wall_now());
  } catch (const std::invalid_argument& e) {
    error_exit(e.what());
  } catch (const GovernanceStateError& e) {
    error_exit(
        fmt::format("{}\nthe store holds garbage and is never overwritten blindly: "
                    "inspect it first",
                    e.what()));
  } catch (const StoreUnavailableError& e) {
    error_exit(fmt::format("{}: the store cannot be reached, nothing changed: {}", store.describe(),
                           e.what()));
  } catch (const std::exception& e) {
    error_exit(fmt::format("{}: cannot update the store, nothing changed: {}", store.describe(),
                           e.what()));
  }
  std::printf("%s\n", done.c_str());
  std::printf(
      "running engines on this store follow at once (published change) or at their next sync, "
      "without a restart\n");
  print_record("store: " + store.describe(), record);
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
  print_record("state_file: " + file.string(), record);
}

}  // namespace

void register_governance_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "governance", "Show, clear or set the governance latch (the sliding-window failure switch)");
  cmd->require_subcommand(1);

  auto status_args = std::make_shared<FileArgs>();
  auto* status = cmd->add_subcommand(
      "status", "Print the governance state (the state file, or the store of --config)");
  add_file_options(status, *status_args);
  status->footer(
      "Example:\n  mlgov governance status --config config.yaml\n"
      "Exit codes: 0 enabled, 1 disabled (DISABLED_GOVERNANCE), 2 state file missing or "
      "unreadable, or bad usage");
  status->callback([status_args] {
    const Target target = status_args->resolve();
    GovernanceRecord record;
    if (target.store) {
      record = read_store_or_exit(*target.store);
      print_record("store: " + target.store->describe(), record);
    } else {
      record = read_or_exit(target.file);
      print_record("state_file: " + target.file.string(), record);
    }
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
      "reenable", "Clear the latch and record the operator's audit entry in the store",
      "mlgov governance reenable --config config.yaml --operator alice --reason \"INC-42: "
      "host column order fixed\"");
  reenable->callback([args = reenable_args] {
    const Target target = args->file.resolve();
    const std::string done = fmt::format("re-enabled by {}: {}", printable(args->operator_name),
                                         printable(args->reason));
    if (target.store) {
      change_store(*target.store, done,
                   [&](GovernanceStore& store, std::chrono::system_clock::time_point now) {
                     return store.reenable(args->operator_name, args->reason, now);
                   });
      return;
    }
    const std::filesystem::path& file = target.file;
    change_state(file, done.c_str(), [&](const Clock& clock) {
      return reenable_governance_state_file(file, args->operator_name, args->reason, clock);
    });
  });

  auto [disable, disable_args] = add_change(
      "disable",
      "Switch ML off in every engine sharing the store (DISABLED_BY_OPERATOR), no restart",
      "mlgov governance disable --config config.yaml --operator bob --reason \"INC-43: bad "
      "market data feed\"");
  disable->callback([args = disable_args] {
    const Target target = args->file.resolve();
    const std::string done = fmt::format("disabled by operator {}: {}",
                                         printable(args->operator_name), printable(args->reason));
    if (target.store) {
      change_store(*target.store, done,
                   [&](GovernanceStore& store, std::chrono::system_clock::time_point now) {
                     return store.disable(args->operator_name, args->reason, now);
                   });
      return;
    }
    const std::filesystem::path& file = target.file;
    change_state(file, done.c_str(), [&](const Clock& clock) {
      return disable_governance_state_file(file, args->operator_name, args->reason, clock);
    });
  });
}

}  // namespace mlgov::cli
