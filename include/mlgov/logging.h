// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Structured logging: governance events as single JSON lines, a JSON-lines
// file sink, and a throttled console sink. Built on spdlog sinks; nothing
// here touches spdlog's global registry.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include "mlgov/clock.h"

namespace mlgov {

// One governance event. Rendered as one JSON line:
// {"ts":"2026-11-26T14:03:07.123Z","component":"ML_GOVERNANCE","level":"ERROR",
//  "model":"ml_v1","symbol":"GOOG","status":"DISABLED_BY_GOVERNANCE",
//  "reason":"FEATURE_MISMATCH","message":"...","details":{...}}
// Every string is JSON-escaped (quotes, newlines, control bytes, invalid
// UTF-8), so no symbol or path can forge or break a line.
struct GovernanceEvent {
  spdlog::level::level_enum level = spdlog::level::info;
  std::string_view model;         // e.g. "ml_v1"
  std::string_view symbol;        // "" when the event is not about one symbol
  std::string_view status;        // e.g. "FAILURE_RECORDED", "DISABLED_BY_GOVERNANCE"
  std::string_view reason;        // e.g. "FEATURE_MISMATCH"
  std::string_view message;       // one human sentence
  std::string_view details_json;  // a JSON object, or "" for {}; invalid JSON is kept as a string
};

// The event as one JSON line (no trailing newline), stamped with `ts`, keys in
// the order shown above. level is "TRACE", "DEBUG", "INFO", "WARNING",
// "ERROR", "CRITICAL" (or "OFF"). details is the parsed details_json when that
// is a JSON object ({} when details_json is empty); anything else (invalid
// JSON, a non-object, nesting deeper than 64 levels) is kept as a JSON string.
// Invalid UTF-8 anywhere becomes U+FFFD. Never throws except std::bad_alloc.
std::string format_event_json(const GovernanceEvent& event,
                              std::chrono::system_clock::time_point ts);

// "2026-11-26T14:03:07.123Z" (UTC, milliseconds, truncated toward the past).
std::string format_utc_millis(std::chrono::system_clock::time_point ts);

// Logs the event on `logger` at event.level with the JSON line as payload,
// stamped with clock.wall_now() (also used as the record's log time). Does no
// formatting when the logger would drop the level. Never throws except
// std::bad_alloc; sinks that understand JSON (JsonLinesFileSink) write it
// verbatim.
void log_event(spdlog::logger& logger, const GovernanceEvent& event, const Clock& clock);

// Writes each record as one JSON line. A payload that is already a one-line
// JSON object (a GovernanceEvent line) is written as is; a heartbeat line
// ("[HEARTBEAT] ...", see heartbeat.h) becomes its JSON record
// (format_heartbeat_json); any other payload is wrapped as
// {"ts","component":"mlgov","level","message"} with ts from the clock. So
// every record is exactly one parseable line, whatever the payload holds.
// Flushes every line (the file is for operators tailing it at 3 a.m.). Never
// throws from a log call: I/O errors are counted (write_errors()) and dropped.
// Threading: base_sink<std::mutex> serialises calls; write_errors() may be
// read from any thread.
class JsonLinesFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Opens (appends to) `file`, creating parent directories. Throws
  // std::system_error naming the file when it cannot be opened.
  JsonLinesFileSink(const std::filesystem::path& file, std::shared_ptr<const Clock> clock);
  // Writes to `stream` (e.g. stderr), which it does not own or close.
  JsonLinesFileSink(std::FILE* stream, std::shared_ptr<const Clock> clock);
  ~JsonLinesFileSink() override;
  std::uint64_t write_errors() const noexcept;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::FILE* file_ = nullptr;
  bool owns_file_ = true;
  std::shared_ptr<const Clock> clock_;
  std::atomic<std::uint64_t> write_errors_{0};
};

// Forwards to an inner sink with throttling: INFO and below at most one line
// per `interval` (measured on clock->steady_now() from the last INFO-or-below
// line forwarded; the rest are held back and counted), WARNING and above at
// once, and heartbeat lines ("[HEARTBEAT] ...") at once whatever their level.
// Whenever a line is forwarded after some were held back, it is preceded by
// one line "(N lines held back)" ("(1 line held back)") at the forwarded
// line's level, and the count restarts. A line the inner sink's own level
// filters out is neither forwarded nor counted.
// Threading: base_sink<std::mutex> serialises calls; held_back() may be read
// from any thread.
class ThrottledSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ThrottledSink(std::shared_ptr<spdlog::sinks::sink> inner, std::chrono::nanoseconds interval,
                std::shared_ptr<const Clock> clock);
  // Lines held back since the last forwarded one.
  std::uint64_t held_back() const noexcept;
  // Lines held back since construction.
  std::uint64_t total_held_back() const noexcept;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
  std::chrono::nanoseconds interval_;
  std::shared_ptr<const Clock> clock_;
  std::chrono::steady_clock::time_point last_low_level_{};
  bool any_low_level_ = false;
  std::atomic<std::uint64_t> held_back_{0};
  std::atomic<std::uint64_t> total_held_back_{0};
};

// Options for make_governance_logger.
struct LoggerOptions {
  std::filesystem::path logs_dir = "runtime/logs";  // live.jsonl and errors.jsonl go here
  std::chrono::nanoseconds console_interval = std::chrono::seconds(5);
  bool console = true;  // throttled stderr sink
  std::string name = "mlgov";
  // The logger's level; DEBUG lines can reach only the console (the files
  // take INFO and up).
  spdlog::level::level_enum level = spdlog::level::info;
};

// A logger (not registered anywhere) with: logs_dir/live.jsonl (INFO and
// up), logs_dir/errors.jsonl (ERROR and up), and, if options.console, stderr
// through a ThrottledSink ("%Y-%m-%dT%H:%M:%S.%eZ [%l] %v" lines, UTC). The
// console leaves out heartbeat lines: GovernedPredictor::heartbeat() returns
// the line for the host to print, and logs it only for live.jsonl, so a host
// that prints what heartbeat() returns shows each heartbeat once. Level
// options.level, flushed on WARNING and up (the files flush every line
// anyway). Creates logs_dir. Throws std::system_error naming a path that
// cannot be created or opened. Threading: spdlog loggers are thread-safe.
std::shared_ptr<spdlog::logger> make_governance_logger(const LoggerOptions& options,
                                                       std::shared_ptr<const Clock> clock);

// The default logger of a GovernedPredictor built without one: WARNING and
// up to stderr, one JSON line per event (the record errors.jsonl would hold,
// JsonLinesFileSink on stderr), flushed every line, so nothing that matters
// is silent. Threading: spdlog loggers are thread-safe.
std::shared_ptr<spdlog::logger> make_stderr_logger(
    std::shared_ptr<const Clock> clock, spdlog::level::level_enum level = spdlog::level::warn);

// A logger with no sinks and level off: drops everything at the cost of one
// level comparison. For hosts that want silence: pass it explicitly.
std::shared_ptr<spdlog::logger> make_null_logger(std::string name = "mlgov-null");

}  // namespace mlgov
