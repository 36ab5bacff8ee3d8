// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/logging.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>
#include <nlohmann/json.hpp>

#include "mlgov/heartbeat.h"

namespace mlgov {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kMaxDetailsDepth = 64;

std::string dump_line(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string_view level_name(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
      return "TRACE";
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO";
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "CRITICAL";
    default:
      return "OFF";
  }
}

// Deepest bracket nesting outside strings. Keeps nlohmann's recursive dump
// away from hostile inputs like 100000 '['.
int nesting_depth(std::string_view text) noexcept {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

Json parse_details(std::string_view details) {
  if (details.empty()) return Json::object();
  if (nesting_depth(details) <= kMaxDetailsDepth) {
    Json parsed = Json::parse(details.begin(), details.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) return parsed;
  }
  return Json(std::string(details));
}

// True when `payload` is a single-line JSON object (a record of ours, or one
// the host built): it can be written verbatim without breaking the file.
bool is_one_line_json_object(std::string_view payload) {
  if (payload.empty() || payload.front() != '{' || payload.back() != '}') return false;
  for (char c : payload) {
    if (c == '\n' || c == '\r') return false;
  }
  if (nesting_depth(payload) > kMaxDetailsDepth) return false;
  return Json::accept(payload.begin(), payload.end());
}

std::string_view to_view(const spdlog::string_view_t& s) { return {s.data(), s.size()}; }

constexpr std::string_view kHeartbeatPrefix = "[HEARTBEAT] ";

bool starts_with_heartbeat(std::string_view payload) {
  return payload.substr(0, kHeartbeatPrefix.size()) == kHeartbeatPrefix;
}

// A sink writing formatted records to a FILE* it does not own (stderr).
// Heartbeat lines are left out: the host prints what heartbeat() returns
// (see make_governance_logger).
class StreamSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit StreamSink(std::FILE* stream) : stream_(stream) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (starts_with_heartbeat(to_view(msg.payload))) return;
    try {
      spdlog::memory_buf_t buf;
      formatter_->format(msg, buf);
      std::fwrite(buf.data(), 1, buf.size(), stream_);
    } catch (...) {
      // A console sink must never throw into the host; the line is lost.
    }
  }
  void flush_() override { std::fflush(stream_); }

 private:
  std::FILE* stream_;
};

}  // namespace

std::string format_utc_millis(std::chrono::system_clock::time_point ts) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(ts);
  const auto day = floor<days>(ms);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> hms{ms - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::string format_event_json(const GovernanceEvent& event,
                              std::chrono::system_clock::time_point ts) {
  Json j = Json::object();
  j["ts"] = format_utc_millis(ts);
  j["component"] = "ML_GOVERNANCE";
  j["level"] = level_name(event.level);
  j["model"] = std::string(event.model);
  j["symbol"] = std::string(event.symbol);
  j["status"] = std::string(event.status);
  j["reason"] = std::string(event.reason);
  j["message"] = std::string(event.message);
  j["details"] = parse_details(event.details_json);
  return dump_line(j);
}

void log_event(spdlog::logger& logger, const GovernanceEvent& event, const Clock& clock) {
  if (!logger.should_log(event.level)) return;
  const auto now = clock.wall_now();
  const std::string line = format_event_json(event, now);
  logger.log(now, spdlog::source_loc{}, event.level, spdlog::string_view_t(line));
}

// ---------------------------------------------------------------------------
// JsonLinesFileSink

JsonLinesFileSink::JsonLinesFileSink(const std::filesystem::path& file,
                                     std::shared_ptr<const Clock> clock)
    : clock_(std::move(clock)) {
  if (!clock_) clock_ = std::make_shared<SystemClock>();
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      throw std::system_error(ec, "cannot create log directory " + file.parent_path().string());
    }
  }
#ifdef __linux__
  const char* mode = "abe";  // append, close-on-exec
#else
  const char* mode = "ab";
#endif
  file_ = std::fopen(file.c_str(), mode);
  if (file_ == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open log file " + file.string());
  }
}

JsonLinesFileSink::JsonLinesFileSink(std::FILE* stream, std::shared_ptr<const Clock> clock)
    : file_(stream), owns_file_(false), clock_(std::move(clock)) {
  if (!clock_) clock_ = std::make_shared<SystemClock>();
}

JsonLinesFileSink::~JsonLinesFileSink() {
  if (file_ != nullptr && owns_file_) std::fclose(file_);
}

std::uint64_t JsonLinesFileSink::write_errors() const noexcept { return write_errors_.load(); }

void JsonLinesFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  try {
    const std::string_view payload = to_view(msg.payload);
    std::string line;
    if (is_one_line_json_object(payload)) {
      line.assign(payload);
    } else if (auto heartbeat = starts_with_heartbeat(payload) ? parse_heartbeat_line(payload)
                                                               : std::optional<HeartbeatInput>()) {
      line = format_heartbeat_json(*heartbeat, clock_->wall_now());
    } else {
      Json j = Json::object();
      j["ts"] = format_utc_millis(clock_->wall_now());
      j["component"] = "mlgov";
      j["level"] = level_name(msg.level);
      j["message"] = std::string(payload);
      line = dump_line(j);
    }
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
      write_errors_.fetch_add(1);
      std::clearerr(file_);
    }
  } catch (...) {
    write_errors_.fetch_add(1);  // bad_alloc: the record is dropped, never thrown
  }
}

void JsonLinesFileSink::flush_() {
  if (std::fflush(file_) != 0) {
    write_errors_.fetch_add(1);
    std::clearerr(file_);
  }
}

// ---------------------------------------------------------------------------
// ThrottledSink

ThrottledSink::ThrottledSink(std::shared_ptr<spdlog::sinks::sink> inner,
                             std::chrono::nanoseconds interval, std::shared_ptr<const Clock> clock)
    : inner_(std::move(inner)), interval_(interval), clock_(std::move(clock)) {
  if (!clock_) clock_ = std::make_shared<SystemClock>();
}

std::uint64_t ThrottledSink::held_back() const noexcept { return held_back_.load(); }
std::uint64_t ThrottledSink::total_held_back() const noexcept { return total_held_back_.load(); }

void ThrottledSink::sink_it_(const spdlog::details::log_msg& msg) {
  try {
    if (!inner_ || !inner_->should_log(msg.level)) return;
    const std::string_view payload = to_view(msg.payload);
    const bool urgent = msg.level >= spdlog::level::warn || starts_with_heartbeat(payload);
    if (!urgent) {
      const auto now = clock_->steady_now();
      if (any_low_level_ && now - last_low_level_ < interval_) {
        held_back_.fetch_add(1);
        total_held_back_.fetch_add(1);
        return;
      }
      any_low_level_ = true;
      last_low_level_ = now;
    }
    const std::uint64_t held = held_back_.exchange(0);
    if (held > 0) {
      const std::string note =
          "(" + std::to_string(held) + (held == 1 ? " line" : " lines") + " held back)";
      spdlog::details::log_msg note_msg(msg.time, msg.source, msg.logger_name, msg.level,
                                        spdlog::string_view_t(note));
      inner_->log(note_msg);
    }
    inner_->log(msg);
  } catch (...) {
    // Never throw into the host; the line is lost.
  }
}

void ThrottledSink::flush_() {
  try {
    if (inner_) inner_->flush();
  } catch (...) {
  }
}

// ---------------------------------------------------------------------------
// Loggers

std::shared_ptr<spdlog::logger> make_governance_logger(const LoggerOptions& options,
                                                       std::shared_ptr<const Clock> clock) {
  if (!clock) clock = std::make_shared<SystemClock>();
  std::error_code ec;
  std::filesystem::create_directories(options.logs_dir, ec);
  if (ec) {
    throw std::system_error(ec, "cannot create logs directory " + options.logs_dir.string());
  }
  auto live = std::make_shared<JsonLinesFileSink>(options.logs_dir / "live.jsonl", clock);
  live->set_level(spdlog::level::info);
  auto errors = std::make_shared<JsonLinesFileSink>(options.logs_dir / "errors.jsonl", clock);
  errors->set_level(spdlog::level::err);
  std::vector<spdlog::sink_ptr> sinks{live, errors};
  if (options.console) {
    auto console = std::make_shared<StreamSink>(stderr);
    console->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ [%l] %v", spdlog::pattern_time_type::utc));
    sinks.push_back(std::make_shared<ThrottledSink>(console, options.console_interval, clock));
  }
  auto logger = std::make_shared<spdlog::logger>(options.name, sinks.begin(), sinks.end());
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

std::shared_ptr<spdlog::logger> make_stderr_logger(std::shared_ptr<const Clock> clock,
                                                   spdlog::level::level_enum level) {
  auto sink = std::make_shared<JsonLinesFileSink>(stderr, std::move(clock));
  auto logger = std::make_shared<spdlog::logger>("mlgov-stderr", sink);
  logger->set_level(level);
  return logger;
}

std::shared_ptr<spdlog::logger> make_null_logger(std::string name) {
  auto logger = std::make_shared<spdlog::logger>(std::move(name));
  logger->set_level(spdlog::level::off);
  return logger;
}

}  // namespace mlgov
