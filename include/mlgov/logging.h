// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The sinks mlgov ships for its typed records (events.h): a JSON-lines file
// sink, a throttled console, a fan-out, and an adapter to a host's own spdlog
// logger. Each formats a record once, when it writes it. Nothing here touches
// spdlog's global registry.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "mlgov/clock.h"
#include "mlgov/events.h"

namespace mlgov {

// "2026-11-26T14:03:07.123Z" (UTC, milliseconds, truncated toward the past).
std::string format_utc_millis(std::chrono::system_clock::time_point ts);

// The event as one JSON line (no trailing newline), keys in this order:
// {"ts":"2026-11-26T14:03:07.123Z","component":"ML_GOVERNANCE","level":"ERROR",
//  "model":"ml_v1","symbol":"GOOG","status":"DISABLED_BY_GOVERNANCE",
//  "reason":"FEATURE_MISMATCH","ml_state":"DISABLED_GOVERNANCE","message":"...",
//  "details":{...}}
// ts is event.time; level is "TRACE", "DEBUG", "INFO", "WARNING", "ERROR",
// "CRITICAL" (or "OFF"); ml_state is null when the event has none; details
// is event.details ({} when it is not an object). Every string is
// JSON-escaped (quotes, newlines, control bytes), invalid UTF-8 becomes
// U+FFFD, so no symbol or path can forge or break a line. Throws only
// std::bad_alloc.
std::string format_event_json(const GovernanceEvent& event);

// Writes each record it takes as one JSON line: events at `level` and above
// (format_event_json), heartbeats when `level` is INFO or below
// (format_heartbeat_json; a heartbeat is an INFO record). Flushes every line
// (the file is for operators tailing it at 3 a.m.). Never throws from a
// hook: I/O errors and std::bad_alloc are counted (write_errors()) and the
// record dropped.
// Threading: the hooks may be called from any number of threads (an internal
// mutex keeps each line whole); write_errors() may be read from any thread.
class JsonLinesFileSink final : public EventSink {
 public:
  // Opens (appends to) `file`, creating parent directories. Throws
  // std::system_error naming the file when it cannot be opened.
  explicit JsonLinesFileSink(const std::filesystem::path& file,
                             spdlog::level::level_enum level = spdlog::level::info);
  // Writes to `stream` (e.g. stderr), which it does not own or close.
  explicit JsonLinesFileSink(std::FILE* stream,
                             spdlog::level::level_enum level = spdlog::level::info);
  ~JsonLinesFileSink() override;
  JsonLinesFileSink(const JsonLinesFileSink&) = delete;
  JsonLinesFileSink& operator=(const JsonLinesFileSink&) = delete;

  void on_event(const GovernanceEvent& event) noexcept override;
  void on_heartbeat(const HeartbeatRecord& heartbeat) noexcept override;
  // Records that could not be written since construction.
  std::uint64_t write_errors() const noexcept;

 private:
  void write_line(std::string& line) noexcept;  // appends '\n'; caller holds nothing

  std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool owns_file_ = true;
  spdlog::level::level_enum level_;
  std::atomic<std::uint64_t> write_errors_{0};
};

// A console for people: one text line per event,
//   2026-11-26T14:03:07.123Z [error] FAILURE_RECORDED FEATURE_MISMATCH GOOG: <message>
// (ts from event.time; the symbol left out when empty) written to `stream`,
// which it does not own. Events below `level` are dropped (neither written
// nor counted). Throttled: INFO and below at most one line per `interval`
// (measured on clock->steady_now() from the last INFO-or-below line written;
// the rest are held back and counted), WARNING and above at once. Whenever a
// line is written after some were held back, it is preceded by one line
// "<ts> [<level>] (N lines held back)" ("(1 line held back)") at the written
// line's level, and the count restarts. Heartbeats are not written: printing
// the line GovernedPredictor::heartbeat() returns is the host's job, so a
// host that prints it shows each heartbeat once. Never throws from a hook.
// Threading: the hooks may be called from any number of threads (an internal
// mutex); held_back() and total_held_back() may be read from any thread.
class ThrottledConsoleSink final : public EventSink {
 public:
  // A null clock means SystemClock.
  ThrottledConsoleSink(std::FILE* stream, std::chrono::nanoseconds interval,
                       std::shared_ptr<const Clock> clock,
                       spdlog::level::level_enum level = spdlog::level::info);

  void on_event(const GovernanceEvent& event) noexcept override;
  void on_heartbeat(const HeartbeatRecord& heartbeat) noexcept override;
  // Lines held back since the last written one.
  std::uint64_t held_back() const noexcept;
  // Lines held back since construction.
  std::uint64_t total_held_back() const noexcept;

 private:
  std::mutex mu_;
  std::FILE* stream_;
  std::chrono::nanoseconds interval_;
  std::shared_ptr<const Clock> clock_;
  spdlog::level::level_enum level_;
  std::chrono::steady_clock::time_point last_low_level_{};  // guarded by mu_
  bool any_low_level_ = false;                              // guarded by mu_
  std::atomic<std::uint64_t> held_back_{0};
  std::atomic<std::uint64_t> total_held_back_{0};
};

// Hands every record to the host's own spdlog logger: an event as its
// format_event_json line at event.level, a heartbeat as its
// format_heartbeat_json line at INFO, both stamped with the record's time.
// Formats nothing the logger would drop (its level decides). Never throws
// from a hook (a sink that throws loses the record).
// Threading: as thread-safe as the logger (spdlog loggers are).
class SpdlogEventSink final : public EventSink {
 public:
  // Throws std::invalid_argument for a null logger.
  explicit SpdlogEventSink(std::shared_ptr<spdlog::logger> logger);
  void on_event(const GovernanceEvent& event) noexcept override;
  void on_heartbeat(const HeartbeatRecord& heartbeat) noexcept override;
  const std::shared_ptr<spdlog::logger>& logger() const noexcept;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

// Hands every record to each of `sinks`, in order (null entries are
// skipped). Threading: as thread-safe as the sinks; the list never changes.
class FanOutSink final : public EventSink {
 public:
  explicit FanOutSink(std::vector<std::shared_ptr<EventSink>> sinks);
  void on_event(const GovernanceEvent& event) noexcept override;
  void on_heartbeat(const HeartbeatRecord& heartbeat) noexcept override;

 private:
  std::vector<std::shared_ptr<EventSink>> sinks_;
};

// Options for make_governance_logger.
struct LoggerOptions {
  std::filesystem::path logs_dir = "runtime/logs";  // live.jsonl and errors.jsonl go here
  std::chrono::nanoseconds console_interval = std::chrono::seconds(5);
  bool console = true;  // a ThrottledConsoleSink on stderr
  // The lowest level written: DEBUG events can reach only the console (the
  // files take INFO and up whatever this says).
  spdlog::level::level_enum level = spdlog::level::info;
};

// The sinks of a live engine, fanned out: logs_dir/live.jsonl (INFO and up,
// and every heartbeat), logs_dir/errors.jsonl (ERROR and up), each also at
// options.level and up, and, if
// options.console, stderr through a ThrottledConsoleSink at options.level
// (heartbeats left out: the host prints what heartbeat() returns). Creates
// logs_dir. Throws std::system_error naming a path that cannot be created or
// opened. A null clock means SystemClock (the console's throttle reads it).
// Threading: see FanOutSink; every sink here is thread-safe.
std::shared_ptr<EventSink> make_governance_logger(const LoggerOptions& options,
                                                  std::shared_ptr<const Clock> clock);

// The sink of a GovernedPredictor built without one: events at `level` and
// up (WARNING by default; heartbeats only at INFO or below) to stderr as JSON
// lines (the records errors.jsonl would hold), flushed every line, so nothing
// that matters is silent. Thread-safe.
std::shared_ptr<EventSink> make_stderr_logger(
    spdlog::level::level_enum level = spdlog::level::warn);

// A sink that drops every record. For hosts that want silence: pass it
// explicitly. Thread-safe.
std::shared_ptr<EventSink> make_null_logger();

}  // namespace mlgov
