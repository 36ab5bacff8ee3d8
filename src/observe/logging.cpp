// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/logging.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "mlgov/heartbeat.h"

namespace mlgov {
namespace {

using Json = nlohmann::ordered_json;

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

// spdlog's own short names ("info", "warning", "error"...), for the console.
std::string_view console_level_name(spdlog::level::level_enum level) noexcept {
  const auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

class NullSink final : public EventSink {
 public:
  void on_event(const GovernanceEvent&) noexcept override {}
  void on_heartbeat(const HeartbeatRecord&) noexcept override {}
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

std::string format_event_json(const GovernanceEvent& event) {
  Json j = Json::object();
  j["ts"] = format_utc_millis(event.time);
  j["component"] = "ML_GOVERNANCE";
  j["level"] = level_name(event.level);
  j["model"] = event.model;
  j["symbol"] = event.symbol;
  j["status"] = event.status;
  j["reason"] = event.reason;
  if (event.ml_state) {
    j["ml_state"] = to_string(*event.ml_state);
  } else {
    j["ml_state"] = nullptr;
  }
  j["message"] = event.message;
  j["details"] = event.details.is_object() ? Json(event.details) : Json::object();
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------
// JsonLinesFileSink

JsonLinesFileSink::JsonLinesFileSink(const std::filesystem::path& file,
                                     spdlog::level::level_enum level)
    : level_(level) {
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

JsonLinesFileSink::JsonLinesFileSink(std::FILE* stream, spdlog::level::level_enum level)
    : file_(stream), owns_file_(false), level_(level) {}

JsonLinesFileSink::~JsonLinesFileSink() {
  if (file_ != nullptr && owns_file_) std::fclose(file_);
}

std::uint64_t JsonLinesFileSink::write_errors() const noexcept { return write_errors_.load(); }

void JsonLinesFileSink::write_line(std::string& line) noexcept {
  try {
    line += '\n';
    std::lock_guard<std::mutex> lock(mu_);
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
      write_errors_.fetch_add(1);
      std::clearerr(file_);
    }
  } catch (...) {
    write_errors_.fetch_add(1);  // bad_alloc: the record is dropped, never thrown
  }
}

void JsonLinesFileSink::on_event(const GovernanceEvent& event) noexcept {
  if (event.level < level_) return;
  try {
    std::string line = format_event_json(event);
    write_line(line);
  } catch (...) {
    write_errors_.fetch_add(1);
  }
}

void JsonLinesFileSink::on_heartbeat(const HeartbeatRecord& heartbeat) noexcept {
  if (spdlog::level::info < level_) return;
  try {
    std::string line = format_heartbeat_json(heartbeat);
    write_line(line);
  } catch (...) {
    write_errors_.fetch_add(1);
  }
}

// ---------------------------------------------------------------------------
// ThrottledConsoleSink

ThrottledConsoleSink::ThrottledConsoleSink(std::FILE* stream, std::chrono::nanoseconds interval,
                                           std::shared_ptr<const Clock> clock,
                                           spdlog::level::level_enum level)
    : stream_(stream), interval_(interval), clock_(std::move(clock)), level_(level) {
  if (!clock_) clock_ = std::make_shared<SystemClock>();
}

std::uint64_t ThrottledConsoleSink::held_back() const noexcept { return held_back_.load(); }
std::uint64_t ThrottledConsoleSink::total_held_back() const noexcept {
  return total_held_back_.load();
}

void ThrottledConsoleSink::on_event(const GovernanceEvent& event) noexcept {
  if (event.level < level_) return;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (event.level < spdlog::level::warn) {
      const auto now = clock_->steady_now();
      if (any_low_level_ && now - last_low_level_ < interval_) {
        held_back_.fetch_add(1);
        total_held_back_.fetch_add(1);
        return;
      }
      any_low_level_ = true;
      last_low_level_ = now;
    }
    std::string prefix = format_utc_millis(event.time);
    prefix += " [";
    prefix += console_level_name(event.level);
    prefix += "] ";
    std::string text;
    if (const std::uint64_t held = held_back_.exchange(0); held > 0) {
      text += prefix;
      // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive)
      // on chains of operator+ with temporaries.
      text += '(';
      text += std::to_string(held);
      text += held == 1 ? " line held back)\n" : " lines held back)\n";
    }
    text += prefix;
    text += event.status;
    text += ' ';
    text += event.reason;
    if (!event.symbol.empty()) {
      text += ' ';
      text += event.symbol;
    }
    text += ": ";
    text += event.message;
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stream_);
    if (event.level >= spdlog::level::warn) std::fflush(stream_);
  } catch (...) {
    // A console must never throw into the host; the line is lost.
  }
}

void ThrottledConsoleSink::on_heartbeat(const HeartbeatRecord&) noexcept {
  // Left out on purpose: the host prints the line heartbeat() returns.
}

// ---------------------------------------------------------------------------
// SpdlogEventSink, FanOutSink

SpdlogEventSink::SpdlogEventSink(std::shared_ptr<spdlog::logger> logger)
    : logger_(std::move(logger)) {
  if (!logger_) throw std::invalid_argument("SpdlogEventSink: the logger is null");
}

void SpdlogEventSink::on_event(const GovernanceEvent& event) noexcept {
  if (!logger_->should_log(event.level)) return;
  try {
    const std::string line = format_event_json(event);
    logger_->log(event.time, spdlog::source_loc{}, event.level, spdlog::string_view_t(line));
  } catch (...) {
    // A host sink that throws loses the record; it never reaches the predictor.
  }
}

void SpdlogEventSink::on_heartbeat(const HeartbeatRecord& heartbeat) noexcept {
  if (!logger_->should_log(spdlog::level::info)) return;
  try {
    const std::string line = format_heartbeat_json(heartbeat);
    logger_->log(heartbeat.time, spdlog::source_loc{}, spdlog::level::info,
                 spdlog::string_view_t(line));
  } catch (...) {
  }
}

const std::shared_ptr<spdlog::logger>& SpdlogEventSink::logger() const noexcept { return logger_; }

FanOutSink::FanOutSink(std::vector<std::shared_ptr<EventSink>> sinks) : sinks_(std::move(sinks)) {
  std::erase(sinks_, nullptr);
}

void FanOutSink::on_event(const GovernanceEvent& event) noexcept {
  for (const auto& sink : sinks_) sink->on_event(event);
}

void FanOutSink::on_heartbeat(const HeartbeatRecord& heartbeat) noexcept {
  for (const auto& sink : sinks_) sink->on_heartbeat(heartbeat);
}

// ---------------------------------------------------------------------------
// Factories

std::shared_ptr<EventSink> make_governance_logger(const LoggerOptions& options,
                                                  std::shared_ptr<const Clock> clock) {
  std::error_code ec;
  std::filesystem::create_directories(options.logs_dir, ec);
  if (ec) {
    throw std::system_error(ec, "cannot create logs directory " + options.logs_dir.string());
  }
  std::vector<std::shared_ptr<EventSink>> sinks{
      std::make_shared<JsonLinesFileSink>(options.logs_dir / "live.jsonl",
                                          std::max(spdlog::level::info, options.level)),
      std::make_shared<JsonLinesFileSink>(options.logs_dir / "errors.jsonl",
                                          std::max(spdlog::level::err, options.level))};
  if (options.console) {
    sinks.push_back(std::make_shared<ThrottledConsoleSink>(stderr, options.console_interval,
                                                           std::move(clock), options.level));
  }
  return std::make_shared<FanOutSink>(std::move(sinks));
}

std::shared_ptr<EventSink> make_stderr_logger(spdlog::level::level_enum level) {
  return std::make_shared<JsonLinesFileSink>(stderr, level);
}

std::shared_ptr<EventSink> make_null_logger() { return std::make_shared<NullSink>(); }

}  // namespace mlgov
