// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/governance.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

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

constexpr std::string_view kFormatV1 = "mlgov-governance-state/1";

// The format nests three levels (document, array, entry); anything deeper is
// garbage, refused before any value is built.
constexpr int kMaxStateDepth = 4;

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw GovernanceStateError(source + ": " + what);
}

// A first pass over the text with nlohmann's SAX interface (iterative, not
// recursive): refuses nesting deeper than kMaxStateDepth before anything is
// built, and names the field where the text breaks a JSON rule (a number out
// of range such as 1e999, a syntax error). Builds nothing.
class ValidatingSax {
 public:
  bool null() { return value(); }
  bool boolean(bool) { return value(); }
  bool number_integer(json::number_integer_t) { return value(); }
  bool number_unsigned(json::number_unsigned_t) { return value(); }
  bool number_float(json::number_float_t, const std::string&) { return value(); }
  bool string(std::string&) { return value(); }
  bool binary(json::binary_t&) { return value(); }
  bool start_object(std::size_t) { return open(false); }
  bool key(std::string& k) {
    if (!path_.empty()) path_.back().key = k;
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(true); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error_ = fmt::format("{}: {} (at byte {})", where(), e.what(), position);
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  struct Level {
    bool array;
    std::size_t index = 0;
    std::string key;
  };
  // The field being read: "history[2].ts", or "(document)".
  std::string where() const {
    std::string out;
    for (const Level& l : path_) {
      if (l.array) {
        out += fmt::format("[{}]", l.index);
      } else if (!l.key.empty()) {
        if (!out.empty()) out += '.';
        out += l.key;
      }
    }
    return out.empty() ? std::string("(document)") : out;
  }
  bool value() {
    if (!path_.empty() && path_.back().array) ++path_.back().index;
    return true;
  }
  bool open(bool array) {
    if (static_cast<int>(path_.size()) >= kMaxStateDepth) {
      error_ = fmt::format("{}: nested deeper than {} levels (the format has 3)", where(),
                           kMaxStateDepth);
      return false;
    }
    path_.push_back(Level{array, 0, {}});
    return true;
  }
  bool close() {
    path_.pop_back();
    return value();
  }
  std::vector<Level> path_;
  std::string error_;
};

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

void require_operator_and_reason(std::string_view what, std::string_view operator_name,
                                 std::string_view reason) {
  if (blank(operator_name)) {
    throw std::invalid_argument(fmt::format("{} needs an operator name (--operator NAME)", what));
  }
  if (blank(reason))
    throw std::invalid_argument(fmt::format("{} needs a reason (--reason TEXT)", what));
}

// An exclusive flock on the sidecar lock file, released by the destructor (or
// by the kernel when the process dies). Polls with LOCK_NB up to `timeout`
// so that a hung holder gives a clear error instead of a hung engine.
class StateFileLock {
 public:
  StateFileLock(const std::filesystem::path& lock_file, std::chrono::milliseconds timeout) {
    fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd_ < 0) {
      throw std::system_error(errno, std::generic_category(),
                              lock_file.string() + ": cannot open the state file's lock file");
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw std::system_error(EINVAL, std::generic_category(),
                              lock_file.string() + ": the lock file is not a regular file");
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (err != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline) {
        ::close(fd_);
        throw std::system_error(
            err, std::generic_category(),
            fmt::format("{}: cannot lock the state file within {} ms (another process holds {})",
                        lock_file.string(), timeout.count(), lock_file.filename().string()));
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }
  ~StateFileLock() { ::close(fd_); }  // closing the descriptor releases the flock
  StateFileLock(const StateFileLock&) = delete;
  StateFileLock& operator=(const StateFileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_utc_millis(std::string_view ts) {
  // YYYY-MM-DDTHH:MM:SS.mmmZ
  if (ts.size() != 24) return std::nullopt;
  const auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (ts[i] < '0' || ts[i] > '9') return false;
      out = out * 10 + (ts[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(0, 4, y) || ts[4] != '-' || !digits(5, 2, mo) || ts[7] != '-' || !digits(8, 2, d) ||
      ts[10] != 'T' || !digits(11, 2, h) || ts[13] != ':' || !digits(14, 2, mi) || ts[16] != ':' ||
      !digits(17, 2, sec) || ts[19] != '.' || !digits(20, 3, ms) || ts[23] != 'Z') {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return time_point_cast<system_clock::duration>(sys_days(ymd) + hours(h) + minutes(mi) +
                                                 seconds(sec) + milliseconds(ms));
}

std::size_t failures_in_window(const GovernanceRecord& record,
                               std::chrono::system_clock::time_point now,
                               std::chrono::nanoseconds window) {
  std::size_t in = 0;
  for (const std::string& ts : record.window_failures) {
    const auto t = parse_utc_millis(ts);
    if (!t || *t > now || now - *t < window) ++in;  // unparsable or future: counts (fail safe)
  }
  return in;
}

std::string last_disabling_event(const GovernanceRecord& record) {
  for (auto it = record.history.rbegin(); it != record.history.rend(); ++it) {
    if (it->event.rfind("DISABLED_", 0) == 0) return it->event;
  }
  return "DISABLED_BY_GOVERNANCE";
}

std::string governance_record_to_json(const GovernanceRecord& record) {
  json doc = json::object();
  doc["format"] = kGovernanceStateFormat;
  doc["state"] = record.disabled ? "DISABLED_GOVERNANCE" : "ENABLED";
  doc["since"] = record.since;
  doc["reason"] = record.reason;
  doc["window_failures"] = record.window_failures;
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
  ValidatingSax check;
  if (!json::sax_parse(json_text.begin(), json_text.end(), &check, json::input_format_t::json,
                       /*strict=*/true)) {
    fail(source, fmt::format("not valid JSON: {}; the file is garbage or truncated",
                             check.error().empty() ? "parse error" : check.error()));
  }
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {  // the first pass accepted it: should not happen
    fail(source, fmt::format("not valid JSON ({})", e.what()));
  }
  if (!doc.is_object()) fail(source, "the document must be a JSON object");
  const std::string format = get_string(doc, "format", source, "");
  const bool v1 = format == kFormatV1;
  if (format != kGovernanceStateFormat && !v1) {
    fail(source, fmt::format("format: expected \"{}\" (or \"{}\"), got \"{}\"",
                             kGovernanceStateFormat, kFormatV1, format));
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
  if (!v1) {
    const json& window = get_array(doc, "window_failures", source);
    for (std::size_t i = 0; i < window.size(); ++i) {
      if (!window[i].is_string() || !parse_utc_millis(window[i].get<std::string>())) {
        fail(source, fmt::format("window_failures[{}]: must be a UTC time like "
                                 "\"2026-11-26T14:03:07.123Z\"",
                                 i));
      }
      record.window_failures.push_back(window[i].get<std::string>());
    }
  }
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

GovernanceStateFile read_governance_state_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  // O_NOFOLLOW: a symlink (even a dangling one) fails with ELOOP instead of
  // being followed; O_NONBLOCK: a FIFO cannot block the open.
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return {};
    if (err == ELOOP) {
      fail(name,
           "is a symbolic link; refused (a state file must be a regular file: a link could "
           "point at another engine's latch or at nothing)");
    }
    fail(name, fmt::format("cannot open the governance state file: {}",
                           std::generic_category().message(err)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    fail(name, fmt::format("cannot stat the governance state file: {}",
                           std::generic_category().message(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISFIFO(st.st_mode)                         ? "a FIFO"
                       : S_ISDIR(st.st_mode)                        ? "a directory"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                       : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                    : "not a regular file";
    fail(name, fmt::format("is {}; refused (a state file must be a regular file)", kind));
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxGovernanceStateBytes) {
    fail(name, fmt::format("is {} bytes, more than the {} a state file may have; refused",
                           st.st_size, kMaxGovernanceStateBytes));
  }
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1: notices a file that grew
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(name, fmt::format("cannot read the governance state file: {}",
                             std::generic_category().message(errno)));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > kMaxGovernanceStateBytes) fail(name, "grew past the size limit while read; refused");
  text.resize(got);
  GovernanceStateFile out;
  out.exists = true;
  out.record = parse_governance_record(text, name);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    out.warning = fmt::format(
        "{} is writable by {} (mode {:o}): anyone who can write it can switch ML on or off; "
        "chmod go-w it",
        name, (st.st_mode & S_IWOTH) != 0 ? "others" : "its group", st.st_mode & 0777);
  }
  return out;
}

namespace {

// The state file's directory, created if needed (a first start, a fresh
// runtime directory). Throws std::system_error naming it.
void create_state_directory(const std::filesystem::path& file) {
  const auto parent = file.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    throw std::system_error(ec, parent.string() + ": cannot create the state file's directory");
  }
}

}  // namespace

GovernanceRecord read_governance_state(const std::filesystem::path& file) {
  return read_governance_state_file(file).record;
}

void write_governance_state(const std::filesystem::path& file, const GovernanceRecord& record) {
  create_state_directory(file);
  write_file_atomically(file, governance_record_to_json(record));
}

std::filesystem::path governance_lock_file(const std::filesystem::path& state_file) {
  std::filesystem::path lock = state_file;
  lock += ".lock";
  return lock;
}

GovernanceRecord update_governance_state_file(
    const std::filesystem::path& file, const std::function<void(GovernanceRecord&)>& transition,
    const GovernanceUpdateOptions& options) {
  create_state_directory(file);
  const StateFileLock lock(governance_lock_file(file), options.lock_timeout);
  GovernanceRecord record;
  try {
    GovernanceStateFile current = read_governance_state_file(file);
    if (current.exists) {
      record = std::move(current.record);
    } else if (options.if_missing != nullptr) {
      record = *options.if_missing;
    }
  } catch (const GovernanceStateError& e) {
    if (!options.replace_unreadable) throw;
    record = GovernanceRecord{};
    record.history.push_back(
        {format_utc_millis(std::chrono::system_clock::now()), "STATE_FILE_UNREADABLE", "",
         fmt::format("the previous content was unreadable and was replaced: {}", e.what())});
  }
  transition(record);
  write_file_atomically(file, governance_record_to_json(record));
  return record;
}

void apply_reenable(GovernanceRecord& record, std::string_view operator_name,
                    std::string_view reason, std::chrono::system_clock::time_point now) {
  require_operator_and_reason("re-enable", operator_name, reason);
  const std::string ts = format_utc_millis(now);
  record.disabled = false;
  record.since = ts;
  record.reason = fmt::format("re-enabled by {}: {}", operator_name, reason);
  record.last_failures.clear();
  record.window_failures.clear();
  record.history.push_back({ts, "REENABLED", std::string(operator_name), std::string(reason)});
}

void apply_operator_disable(GovernanceRecord& record, std::string_view operator_name,
                            std::string_view reason, std::chrono::system_clock::time_point now) {
  require_operator_and_reason("disable", operator_name, reason);
  const std::string ts = format_utc_millis(now);
  if (!record.disabled) {
    record.disabled = true;
    record.since = ts;
    record.reason = fmt::format("disabled by operator {}: {}", operator_name, reason);
  }
  record.history.push_back(
      {ts, "DISABLED_BY_OPERATOR", std::string(operator_name), std::string(reason)});
}

GovernanceRecord reenable_governance_state_file(const std::filesystem::path& file,
                                                std::string_view operator_name,
                                                std::string_view reason, const Clock& clock) {
  require_operator_and_reason("re-enable", operator_name, reason);
  return update_governance_state_file(file, [&](GovernanceRecord& record) {
    apply_reenable(record, operator_name, reason, clock.wall_now());
  });
}

GovernanceRecord disable_governance_state_file(const std::filesystem::path& file,
                                               std::string_view operator_name,
                                               std::string_view reason, const Clock& clock) {
  require_operator_and_reason("disable", operator_name, reason);
  return update_governance_state_file(file, [&](GovernanceRecord& record) {
    apply_operator_disable(record, operator_name, reason, clock.wall_now());
  });
}

}  // namespace mlgov
