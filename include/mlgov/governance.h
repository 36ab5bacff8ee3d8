// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Governance: the sliding-window failure counter that latches ML off
// (DISABLED_GOVERNANCE) and the state file that keeps the latch across
// restarts, with the operators' re-enable audit trail.
//
// The state file (governance.state_file, written atomically) is one JSON
// object:
//   {"format":"mlgov-governance-state/1",
//    "state":"ENABLED" | "DISABLED_GOVERNANCE",
//    "since":"2026-11-26T14:03:07.123Z",      // when the current state began
//    "reason":"3 failures within 300s; last: GOOG FEATURE_MISMATCH ...",
//    "last_failures":[{"ts":"...","symbol":"GOOG","reason":"FEATURE_MISMATCH",
//                      "message":"..."}, ...],   // at most 16, oldest first
//    "history":[{"ts":"...","event":"DISABLED_BY_GOVERNANCE","reason":"..."},
//               {"ts":"...","event":"REENABLED","operator":"alice",
//                "reason":"retrained GOOG"}, ...]}  // append-only audit trail
// A missing file means "never latched" (ENABLED). A file that cannot be read
// or parsed is never taken as ENABLED: the predictor treats it as
// DISABLED_GOVERNANCE and says so at CRITICAL level.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
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
  std::string event;          // "DISABLED_BY_GOVERNANCE" or "REENABLED"
  std::string operator_name;  // "" unless event is REENABLED
  std::string reason;
};

// The content of the state file. A plain value.
struct GovernanceRecord {
  bool disabled = false;  // state == DISABLED_GOVERNANCE
  std::string since;      // "" when never latched
  std::string reason;
  std::vector<FailureRecord> last_failures;  // oldest first, at most kMaxRememberedFailures
  std::vector<GovernanceHistoryEntry> history;
};

inline constexpr std::size_t kMaxRememberedFailures = 16;

// Renders the record as the JSON document described at the top of this file
// (pretty-printed, trailing newline). Strings are escaped; never throws
// except std::bad_alloc.
std::string governance_record_to_json(const GovernanceRecord& record);

// Parses a state-file document. Throws GovernanceStateError naming `source`
// and the field for malformed JSON, a missing or mistyped field, an unknown
// "state" value or format.
GovernanceRecord parse_governance_record(std::string_view json_text, const std::string& source);

// Reads `file`. A missing file returns a default (enabled, empty) record.
// Throws GovernanceStateError naming the file for an unreadable or garbage
// file (callers must then treat governance as DISABLED).
GovernanceRecord read_governance_state(const std::filesystem::path& file);

// Writes the record to `file` atomically (atomic_file.h), creating the parent
// directory if needed. Throws std::system_error naming the path.
void write_governance_state(const std::filesystem::path& file, const GovernanceRecord& record);

// The operator's re-enable, applied to a record: clears the latch (state
// ENABLED, since = now, reason = "re-enabled by <operator>: <reason>"),
// clears last_failures and appends a REENABLED history entry. Throws
// std::invalid_argument when operator_name or reason is empty or blank.
void apply_reenable(GovernanceRecord& record, std::string_view operator_name,
                    std::string_view reason, std::chrono::system_clock::time_point now);

// Reads `file`, applies the re-enable and writes it back atomically: what
// `mlgov governance reenable` does. Returns the new record. Throws
// std::invalid_argument for a blank operator or reason, GovernanceStateError
// for a garbage file (move it aside first: a garbage file is never
// overwritten blindly), std::system_error when the file cannot be written.
// A running predictor does not see this change (it reads the file at
// construction): use GovernedPredictor::reenable() in a live process.
GovernanceRecord reenable_governance_state_file(const std::filesystem::path& file,
                                                std::string_view operator_name,
                                                std::string_view reason, const Clock& clock);

}  // namespace mlgov
