// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/governance.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlgov/atomic_file.h"
#include "mlgov/logging.h"

namespace mlgov {

// ---------------------------------------------------------------------------
// FailureWindow

FailureWindow::FailureWindow(int max_failures, std::chrono::nanoseconds window)
    : max_failures_(max_failures), window_(window) {
  if (max_failures < 1) {
    throw std::invalid_argument(
        fmt::format("governance.max_failures must be >= 1, got {}", max_failures));
  }
  if (window.count() <= 0) {
    throw std::invalid_argument(
        fmt::format("governance.window_seconds must be > 0, got {} ns", window.count()));
  }
  ring_.resize(static_cast<std::size_t>(max_failures));
}

bool FailureWindow::record(std::chrono::steady_clock::time_point t) noexcept {
  const std::size_t n = ring_.size();
  if (count_ > 0) {
    const auto newest = ring_[(next_ + n - 1) % n];
    if (t < newest) t = newest;  // time never goes backwards inside the window
  }
  ring_[next_] = t;
  next_ = (next_ + 1) % n;
  if (count_ < n) ++count_;
  // Trip when the ring is full and its oldest entry is still inside the
  // window as seen from t: t - oldest < window.
  if (count_ < n) return false;
  const auto oldest = ring_[next_];  // after the write, next_ points at the oldest
  return t - oldest < window_;
}

std::size_t FailureWindow::count_in_window(
    std::chrono::steady_clock::time_point now) const noexcept {
  std::size_t in = 0;
  const std::size_t n = ring_.size();
  for (std::size_t k = 0; k < count_; ++k) {
    const auto s = ring_[(next_ + n - 1 - k) % n];
    if (now - s < window_) ++in;
  }
  return in;
}

void FailureWindow::clear() noexcept {
  next_ = 0;
  count_ = 0;
}

// ---------------------------------------------------------------------------
// State file

namespace {

constexpr const char* kFormat = "mlgov-governance-state/1";

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw GovernanceStateError(source + ": " + what);
}

std::string get_string(const json& obj, const char* key, const std::string& source,
                       const std::string& where, bool required = true) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    if (!required) return {};
    fail(source, fmt::format("{}{}: missing", where, key));
  }
  if (!it->is_string()) fail(source, fmt::format("{}{}: must be a string", where, key));
  return it->get<std::string>();
}

const json& get_array(const json& obj, const char* key, const std::string& source) {
  const auto it = obj.find(key);
  if (it == obj.end()) fail(source, fmt::format("{}: missing", key));
  if (!it->is_array()) fail(source, fmt::format("{}: must be an array", key));
  return *it;
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

std::string governance_record_to_json(const GovernanceRecord& record) {
  json doc = json::object();
  doc["format"] = kFormat;
  doc["state"] = record.disabled ? "DISABLED_GOVERNANCE" : "ENABLED";
  doc["since"] = record.since;
  doc["reason"] = record.reason;
  json failures = json::array();
  for (const auto& f : record.last_failures) {
    failures.push_back(
        {{"ts", f.ts}, {"symbol", f.symbol}, {"reason", f.reason}, {"message", f.message}});
  }
  doc["last_failures"] = std::move(failures);
  json history = json::array();
  for (const auto& h : record.history) {
    json entry = {{"ts", h.ts}, {"event", h.event}};
    if (!h.operator_name.empty()) entry["operator"] = h.operator_name;
    entry["reason"] = h.reason;
    history.push_back(std::move(entry));
  }
  doc["history"] = std::move(history);
  // `replace`: a symbol or reason with invalid UTF-8 must not make the dump throw.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

GovernanceRecord parse_governance_record(std::string_view json_text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    fail(source, fmt::format("not valid JSON ({}); the file is garbage or truncated", e.what()));
  }
  if (!doc.is_object()) fail(source, "the document must be a JSON object");
  const std::string format = get_string(doc, "format", source, "");
  if (format != kFormat) {
    fail(source, fmt::format("format: expected \"{}\", got \"{}\"", kFormat, format));
  }
  GovernanceRecord record;
  const std::string state = get_string(doc, "state", source, "");
  if (state == "DISABLED_GOVERNANCE") {
    record.disabled = true;
  } else if (state != "ENABLED") {
    fail(source,
         fmt::format("state: expected \"ENABLED\" or \"DISABLED_GOVERNANCE\", got \"{}\"", state));
  }
  record.since = get_string(doc, "since", source, "");
  record.reason = get_string(doc, "reason", source, "");
  const json& failures = get_array(doc, "last_failures", source);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const json& f = failures[i];
    const std::string where = fmt::format("last_failures[{}].", i);
    if (!f.is_object()) fail(source, fmt::format("last_failures[{}]: must be an object", i));
    record.last_failures.push_back(
        {get_string(f, "ts", source, where), get_string(f, "symbol", source, where),
         get_string(f, "reason", source, where), get_string(f, "message", source, where, false)});
  }
  const json& history = get_array(doc, "history", source);
  for (std::size_t i = 0; i < history.size(); ++i) {
    const json& h = history[i];
    const std::string where = fmt::format("history[{}].", i);
    if (!h.is_object()) fail(source, fmt::format("history[{}]: must be an object", i));
    record.history.push_back(
        {get_string(h, "ts", source, where), get_string(h, "event", source, where),
         get_string(h, "operator", source, where, false), get_string(h, "reason", source, where)});
  }
  return record;
}

GovernanceRecord read_governance_state(const std::filesystem::path& file) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(file, ec);
  if (ec) {
    throw GovernanceStateError(
        fmt::format("{}: cannot check the governance state file: {}", file.string(), ec.message()));
  }
  if (!exists) return {};
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::system_error& e) {
    throw GovernanceStateError(
        fmt::format("{}: cannot read the governance state file: {}", file.string(), e.what()));
  }
  return parse_governance_record(text, file.string());
}

void write_governance_state(const std::filesystem::path& file, const GovernanceRecord& record) {
  const auto parent = file.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw std::system_error(ec, parent.string() + ": cannot create the state file's directory");
    }
  }
  write_file_atomically(file, governance_record_to_json(record));
}

void apply_reenable(GovernanceRecord& record, std::string_view operator_name,
                    std::string_view reason, std::chrono::system_clock::time_point now) {
  if (blank(operator_name)) {
    throw std::invalid_argument("re-enable needs an operator name (--operator NAME)");
  }
  if (blank(reason)) throw std::invalid_argument("re-enable needs a reason (--reason TEXT)");
  const std::string ts = format_utc_millis(now);
  record.disabled = false;
  record.since = ts;
  record.reason = fmt::format("re-enabled by {}: {}", operator_name, reason);
  record.last_failures.clear();
  record.history.push_back({ts, "REENABLED", std::string(operator_name), std::string(reason)});
}

GovernanceRecord reenable_governance_state_file(const std::filesystem::path& file,
                                                std::string_view operator_name,
                                                std::string_view reason, const Clock& clock) {
  GovernanceRecord record = read_governance_state(file);
  apply_reenable(record, operator_name, reason, clock.wall_now());
  write_governance_state(file, record);
  return record;
}

}  // namespace mlgov
