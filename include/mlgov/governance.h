// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Governance: the sliding-window failure counter that latches ML off
// (DISABLED_GOVERNANCE) and the state file that keeps the latch, the current
// window's failures and the audit trail across restarts and across every
// process that shares it.
//
// The state file (governance.state_file, written atomically) is one JSON
// object:
//   {"format":"mlgov-governance-state/2",
//    "state":"ENABLED" | "DISABLED_GOVERNANCE",
//    "since":"2026-11-26T14:03:07.123Z",      // when the current state began
//    "reason":"3 failures within 300s; last: GOOG FEATURE_MISMATCH ...",
//    "window_failures":["2026-11-26T14:02:01.000Z", ...],  // the current
//                      // window's failures (wall clock, oldest first, at most
//                      // max_failures), shared by every engine on the file
//    "last_failures":[{"ts":"...","symbol":"GOOG","reason":"FEATURE_MISMATCH",
//                      "message":"..."}, ...],   // at most 16, oldest first
//    "history":[{"ts":"...","event":"STARTED","reason":"..."},
//               {"ts":"...","event":"DISABLED_BY_GOVERNANCE","reason":"..."},
//               {"ts":"...","event":"DISABLED_BY_OPERATOR","operator":"bob",
//                "reason":"INC-1: bad feed"},
//               {"ts":"...","event":"REENABLED","operator":"alice",
//                "reason":"retrained GOOG"}, ...]}  // append-only audit trail
// Files of format "mlgov-governance-state/1" (no window_failures) are read
// as they are (their latch is honoured) and written back as /2.
//
// Several processes, one file: every change (a failure, a latch, a start, an
// operator's re-enable or disable) is a read-modify-write under an advisory
// lock (update_governance_state_file), applied to the file as it is now, so
// no writer drops another's record. The window is the file's: max_failures
// failures inside window_seconds, whichever engines recorded them, latch
// every engine on the file.
//
// The file is read by ONE function, read_governance_state_file, used by the
// predictor and by `mlgov governance status`, so both agree on every input.
// A missing file means "never latched". A file that cannot be read, is not a
// regular file (symlink, FIFO, device) or does not parse is never taken as
// ENABLED: the predictor treats it as DISABLED_GOVERNANCE and says so at
// CRITICAL level.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlgov/clock.h"
#include "mlgov/errors.h"

namespace mlgov {

// The governance state file is unreadable, malformed or breaks its schema.
// The message names the file and the field.
class GovernanceStateError : public Error {
 public:
  using Error::Error;
};

// The sliding-window failure counter.
//
// Rule (the exact boundary): a failure recorded at time t counts together with
// the earlier failures recorded at times s with t - s < window. The window is
// half-open: a failure exactly `window` after an earlier one no longer sees
// it. With max_failures 3 and a 300 s window, failures at 0 s, 100 s and
// 299.999999999 s trip; failures at 0 s, 100 s and 300 s do not (the one at
// 0 s has expired by 300 s).
//
// Keeps at most max_failures timestamps in a ring allocated at construction;
// record() allocates nothing.
//
// Threading: not synchronised. The owner (GovernedPredictor) guards it with
// its failure mutex.
class FailureWindow {
 public:
  // max_failures >= 1 and window > 0, else std::invalid_argument.
  FailureWindow(int max_failures, std::chrono::nanoseconds window);

  // Records a failure at `t` (times must not go backwards; a time earlier
  // than the newest recorded one is treated as equal to it). Returns true
  // when this failure makes max_failures failures inside the window, i.e.
  // when it trips the latch.
  bool record(std::chrono::steady_clock::time_point t) noexcept;

  // Failures recorded at s with now - s < window.
  std::size_t count_in_window(std::chrono::steady_clock::time_point now) const noexcept;

  // Forgets every recorded failure.
  void clear() noexcept;

  int max_failures() const noexcept { return max_failures_; }
  std::chrono::nanoseconds window() const noexcept { return window_; }

 private:
  int max_failures_;
  std::chrono::nanoseconds window_;
  std::vector<std::chrono::steady_clock::time_point> ring_;  // size max_failures
  std::size_t next_ = 0;                                     // slot the next failure goes to
  std::size_t count_ = 0;                                    // valid slots (<= max_failures)
};

// One failure as remembered in the state file.
struct FailureRecord {
  std::string ts;  // UTC ISO-8601 with milliseconds
  std::string symbol;
  std::string reason;  // e.g. "FEATURE_MISMATCH"
  std::string message;
};

// One audit-trail entry.
struct GovernanceHistoryEntry {
  std::string ts;
  // "STARTED", "DISABLED_BY_GOVERNANCE", "DISABLED_BY_OPERATOR", "REENABLED",
  // "STATE_FILE_UNREADABLE", "STATE_NOT_WRITABLE", "STATE_FILE_RECREATED",
  // "STATE_RECREATED" (Redis: the state hash was gone while engines ran).
  std::string event;
  std::string operator_name;  // "" unless an operator acted (REENABLED, DISABLED_BY_OPERATOR)
  std::string reason;
};

// The content of the state file. A plain value.
struct GovernanceRecord {
  bool disabled = false;  // state == DISABLED_GOVERNANCE
  std::string since;      // "" when never latched
  std::string reason;
  std::vector<std::string> window_failures;  // the current window's failure times, oldest first
  std::vector<FailureRecord> last_failures;  // oldest first, at most kMaxRememberedFailures
  std::vector<GovernanceHistoryEntry> history;
};

inline constexpr std::size_t kMaxRememberedFailures = 16;

// The format written ("mlgov-governance-state/2").
inline constexpr std::string_view kGovernanceStateFormat = "mlgov-governance-state/2";

// The largest state file read (a bigger one is refused as garbage).
inline constexpr std::size_t kMaxGovernanceStateBytes = 16u << 20;

// "2026-11-26T14:03:07.123Z" back to a time point; nullopt when `ts` is not
// in that exact form (the form format_utc_millis writes).
std::optional<std::chrono::system_clock::time_point> parse_utc_millis(std::string_view ts);

// The failures of record.window_failures inside the window as seen at `now`:
// now - ts < window. Fail safe: a time in the future (the clock went back,
// e.g. across a restart) and an unparsable time count.
std::size_t failures_in_window(const GovernanceRecord& record,
                               std::chrono::system_clock::time_point now,
                               std::chrono::nanoseconds window);

// The event of the latest history entry that disabled ML
// ("DISABLED_BY_GOVERNANCE", "DISABLED_BY_OPERATOR", ...), or
// "DISABLED_BY_GOVERNANCE" when the history names none.
std::string last_disabling_event(const GovernanceRecord& record);

// Renders the record as the JSON document described at the top of this file
// (pretty-printed, trailing newline). Strings are escaped; never throws
// except std::bad_alloc.
std::string governance_record_to_json(const GovernanceRecord& record);

// Parses a state-file document (format /1 or /2). Throws GovernanceStateError
// naming `source` and the field for malformed JSON, a number out of range,
// nesting deeper than the format has (checked before building anything), a
// missing or mistyped field, an unknown "state" value or format. Throws
// nothing else except std::bad_alloc.
GovernanceRecord parse_governance_record(std::string_view json_text, const std::string& source);

// What read_governance_state_file found.
struct GovernanceStateFile {
  bool exists = false;  // false: nothing at the path (record is the default, enabled)
  GovernanceRecord record;
  std::string warning;  // "" or a risk worth a WARNING (writable by group or others)
};

// THE reader of the state file (the predictor and `mlgov governance status`
// both use it). Opens `file` without following a symlink and without
// blocking (O_NOFOLLOW | O_NONBLOCK) and refuses anything but a regular
// file: a symlink (dangling or not), a FIFO, a device, a directory. Throws
// GovernanceStateError naming the file and the rule for a refused, unreadable,
// oversized (kMaxGovernanceStateBytes) or garbage file; callers must then
// treat governance as DISABLED. Nothing at the path gives exists = false.
GovernanceStateFile read_governance_state_file(const std::filesystem::path& file);

// read_governance_state_file(file).record: a missing file gives a default
// (enabled, empty) record.
GovernanceRecord read_governance_state(const std::filesystem::path& file);

// Writes the record to `file` atomically (atomic_file.h), creating the parent
// directory if needed. Takes no lock: use update_governance_state_file where
// another process may write the same file. Throws std::system_error naming
// the path.
void write_governance_state(const std::filesystem::path& file, const GovernanceRecord& record);

// The advisory lock file beside the state file: `<file>.lock`. (A sidecar,
// because the atomic rename replaces the state file's inode: a lock on the
// state file itself would be held on an inode that is no longer the file.)
std::filesystem::path governance_lock_file(const std::filesystem::path& state_file);

// Options of update_governance_state_file.
struct GovernanceUpdateOptions {
  // An unreadable file (garbage, refused) is replaced by an empty record
  // carrying a STATE_FILE_UNREADABLE history entry with the reader's
  // message, instead of throwing GovernanceStateError.
  bool replace_unreadable = false;
  // What a missing file starts from (default: the empty, enabled record).
  const GovernanceRecord* if_missing = nullptr;
  // How long to wait for another process's lock before giving up.
  std::chrono::milliseconds lock_timeout{5000};
};

// The read-modify-write every change of the state file goes through: takes
// an exclusive flock on governance_lock_file(file) (created if needed; the
// kernel releases it when its holder dies, even by SIGKILL), reads the file
// as it is now, applies `transition` to it, writes it back atomically and
// releases the lock. Returns the record written. Throws GovernanceStateError
// for an unreadable file (unless options.replace_unreadable),
// std::system_error naming the path when the lock cannot be taken within
// options.lock_timeout or the file cannot be written, and whatever
// `transition` throws (nothing is written then).
GovernanceRecord update_governance_state_file(
    const std::filesystem::path& file, const std::function<void(GovernanceRecord&)>& transition,
    const GovernanceUpdateOptions& options = {});

// The operator's re-enable, applied to a record: clears the latch (state
// ENABLED, since = now, reason = "re-enabled by <operator>: <reason>"),
// clears last_failures and window_failures and appends a REENABLED history
// entry. Throws std::invalid_argument when operator_name or reason is empty
// or blank.
void apply_reenable(GovernanceRecord& record, std::string_view operator_name,
                    std::string_view reason, std::chrono::system_clock::time_point now);

// The operator's kill switch, applied to a record: appends a
// DISABLED_BY_OPERATOR history entry and, unless already latched, latches
// (state DISABLED_GOVERNANCE, since = now, reason = "disabled by
// <operator>: <reason>"). Throws std::invalid_argument when operator_name or
// reason is empty or blank.
void apply_operator_disable(GovernanceRecord& record, std::string_view operator_name,
                            std::string_view reason, std::chrono::system_clock::time_point now);

// Reads `file` under the lock, applies the re-enable and writes it back:
// what `mlgov governance reenable` does. A running predictor on the file
// sees it within one heartbeat() or about a second and re-enables itself.
// Returns the new record. Throws std::invalid_argument for a blank operator
// or reason, GovernanceStateError for a garbage or refused file (move it
// aside first: a garbage file is never overwritten blindly),
// std::system_error when the file cannot be locked or written.
GovernanceRecord reenable_governance_state_file(const std::filesystem::path& file,
                                                std::string_view operator_name,
                                                std::string_view reason, const Clock& clock);

// The same for the operator's disable (`mlgov governance disable`): every
// running predictor on the file latches DISABLED_GOVERNANCE within one
// heartbeat() or about a second. Same errors as above.
GovernanceRecord disable_governance_state_file(const std::filesystem::path& file,
                                               std::string_view operator_name,
                                               std::string_view reason, const Clock& clock);

}  // namespace mlgov
