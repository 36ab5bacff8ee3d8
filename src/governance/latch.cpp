// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "governance/latch.h"

#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <vector>

#include <fmt/format.h>

#include "mlgov/atomic_file.h"
#include "mlgov/logging.h"

namespace mlgov::internal {
namespace {

// The watcher polls the state file's stamp this often, off the hot path
// (predictions read only the state).
constexpr std::chrono::milliseconds kWatchInterval{200};
// How long a thread that hit a failure waits for the state file's lock.
constexpr std::chrono::milliseconds kFailureLockTimeout{250};

bool is_blocked_state(MlState s) noexcept {
  return s == MlState::kDisabledConfig || s == MlState::kDisabledGovernance;
}

nlohmann::json operator_details(std::string_view operator_name, std::string_view reason,
                                const std::filesystem::path& state_file) {
  return {{"operator", std::string(operator_name)},
          {"reason", std::string(reason)},
          {"state_file", state_file.string()}};
}

}  // namespace

Latch::Latch(LatchOptions options)
    : options_(std::move(options)),
      window_length_(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(options_.window_seconds))),
      window_(options_.max_failures, window_length_) {}

Latch::~Latch() { stop_watching(); }

// What `seen_` becomes after this process wrote the file: a stamp no file
// has, so the next sync reads the file again. (A stamp taken after the write
// would be taken after the lock was released: another process's write in
// between would then look like ours and never be read.)
Latch::FileStamp Latch::reread_stamp() noexcept {
  FileStamp f;
  f.exists = true;
  f.mtime_ns = -1;
  return f;
}

Latch::FileStamp Latch::stamp_of(const std::filesystem::path& file) noexcept {
  struct stat st {};
  FileStamp f;
  if (::lstat(file.c_str(), &st) != 0) return f;
  f.exists = true;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.size = st.st_size;
  f.mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
  f.ctime_ns = static_cast<long long>(st.st_ctim.tv_sec) * 1'000'000'000LL + st.st_ctim.tv_nsec;
  return f;
}

// The history entry and state change of a latch, on a record.
void Latch::latch(GovernanceRecord& r, const std::string& ts, const std::string& event,
                  const std::string& reason) {
  if (!r.disabled) {
    r.disabled = true;
    r.since = ts;
    r.reason = reason;
  }
  r.history.push_back({ts, event, "", reason});
}

void Latch::report(spdlog::level::level_enum level, std::string_view symbol,
                   std::string_view status, std::string_view reason, std::string message,
                   nlohmann::json details) const {
  GovernanceEvent e;
  e.time = options_.clock->wall_now();
  e.level = level;
  e.model = options_.model;
  e.symbol = symbol;
  e.status = status;
  e.reason = reason;
  if (started_.load(std::memory_order_acquire)) e.ml_state = state();
  e.message = std::move(message);
  e.details = details.is_object() ? std::move(details) : nlohmann::json::object();
  options_.sink->on_event(e);
}

void Latch::notify(MlState old_state, MlState new_state, std::string_view reason) const noexcept {
  // on_state_change is noexcept: an exception escaping it ends the program
  // (std::terminate), as for any noexcept function; nothing is caught here.
  if (options_.listener != nullptr && old_state != new_state) {
    options_.listener->on_state_change(old_state, new_state, reason);
  }
}

void Latch::disable_by_config() noexcept {
  state_.store(MlState::kDisabledConfig);
  started_.store(true, std::memory_order_release);
}

void Latch::start(bool latched, MlState enabled_state) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  enabled_state_ = enabled_state;
  state_.store(latched ? MlState::kDisabledGovernance : enabled_state, std::memory_order_release);
  started_.store(true, std::memory_order_release);
}

void Latch::set_enabled_state(MlState enabled_state, std::string_view reason) noexcept {
  MlState old_state;
  MlState new_state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    enabled_state_ = enabled_state;
    old_state = state_.load(std::memory_order_acquire);
    new_state = old_state;
    if (old_state == MlState::kEnabledOk || old_state == MlState::kEnabledDegraded) {
      new_state = enabled_state;
      state_.store(new_state, std::memory_order_release);
    }
  }
  notify(old_state, new_state, reason);
}

void Latch::start_watching() {
  if (options_.in_memory) return;
  // The first look now, on the constructing thread: open() wrote the file and
  // reset the stamp to force a re-read, which would otherwise land on the
  // watcher's first tick, in the middle of the host's first cycles.
  sync();
  watcher_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(watch_mu_);
    while (!watch_cv_.wait_for(lock, kWatchInterval, [this] { return stopping_; })) {
      lock.unlock();
      sync();
      lock.lock();
    }
  });
}

void Latch::stop_watching() noexcept {
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    stopping_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

// Refills the in-memory window from the file's shared one (after a start or
// a re-enable elsewhere), mapping wall times onto the steady clock.
void Latch::seed_window() noexcept {
  window_.clear();
  const auto wall = options_.clock->wall_now();
  const auto steady = options_.clock->steady_now();
  for (const std::string& ts : record_.window_failures) {
    const auto t = parse_utc_millis(ts);
    const auto age = t && *t <= wall ? wall - *t : std::chrono::system_clock::duration::zero();
    if (age >= window_length_) continue;
    window_.record(steady - std::chrono::duration_cast<std::chrono::nanoseconds>(age));
  }
}

bool Latch::open() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::filesystem::path& state_file = options_.state_file;
  bool latched = false;
  if (!options_.in_memory) {
    for (const auto& removed : remove_stale_temporaries(state_file, std::chrono::hours(24))) {
      report(spdlog::level::warn, "", "STATE_TEMPORARY_REMOVED", "STALE_TEMPORARY",
             fmt::format("removed {}: a state-file temporary older than a day, left by a writer "
                         "that crashed before its rename",
                         removed.string()));
    }
    try {
      const GovernanceStateFile found = read_governance_state_file(state_file);
      if (!found.warning.empty()) {
        report(spdlog::level::warn, "", "STATE_FILE_PERMISSIONS", "WRITABLE_BY_OTHERS",
               found.warning);
      }
      if (!found.exists) {
        report(spdlog::level::warn, "", "STATE_FILE_MISSING", "NO_STATE_FILE",
               fmt::format("no governance state at {}: starting enabled with an empty history; "
                           "expected only on a first start",
                           state_file.string()));
      }
      // The STARTED record: creates a missing file at once, and proves the file
      // writable. An engine that cannot write it starts disabled, so a latch it
      // could not persist can never be lost by a restart.
      const std::string ts = format_utc_millis(options_.clock->wall_now());
      try {
        record_ = update_governance_state_file(state_file, [&](GovernanceRecord& r) {
          r.history.push_back({ts, "STARTED", "",
                               fmt::format("pid {} started on the file ({})", ::getpid(),
                                           r.disabled ? "DISABLED_GOVERNANCE" : "ENABLED")});
        });
        seen_ = reread_stamp();
        latched = record_.disabled;
        if (latched) {
          report(spdlog::level::err, "", last_disabling_event(record_), "LATCHED_AT_START",
                 fmt::format("{} says ML was disabled since {} ({}); re-enable with "
                             "`mlgov governance reenable` after a fix",
                             state_file.string(), record_.since, record_.reason));
        }
      } catch (const GovernanceStateError&) {
        throw;  // became garbage since the read above: handled below
      } catch (const std::exception& e) {
        latched = true;
        record_ = found.record;
        const std::string reason = fmt::format(
            "the state file cannot be written at start ({}): ML starts disabled so "
            "that a latch this engine could not persist is never lost",
            e.what());
        latch(record_, ts, "STATE_NOT_WRITABLE", reason);
        unpersisted_latch_.emplace("STATE_NOT_WRITABLE", reason);
        report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_NOT_WRITABLE",
               fmt::format("cannot write the governance state file {}: {}; ML starts "
                           "DISABLED_GOVERNANCE (a latch that cannot be persisted would be lost "
                           "by a restart). Fix the directory (permissions, space): the latch is "
                           "then written, and an operator re-enables",
                           state_file.string(), e.what()));
      }
    } catch (const GovernanceStateError& e) {
      latched = true;
      const std::string ts = format_utc_millis(options_.clock->wall_now());
      record_ = GovernanceRecord{};
      record_.disabled = true;
      record_.since = ts;
      record_.reason = fmt::format("state file unreadable, treated as disabled: {}", e.what());
      record_.history.push_back({ts, "STATE_FILE_UNREADABLE", "", e.what()});
      seen_ = stamp_of(state_file);
      unreadable_reported_ = true;
      report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_FILE_UNREADABLE",
             fmt::format("governance state file is garbage or refused, so ML is treated as "
                         "DISABLED (never as enabled): {}; inspect it, then re-enable explicitly",
                         e.what()));
    }
  }
  if (!latched) seed_window();
  return latched;
}

// Writes a latch that could not be written before. Caller holds mu_.
void Latch::retry_unpersisted_latch() noexcept {
  if (!unpersisted_latch_) return;
  try {
    // Copies, not a structured binding: clang 14 (the fuzz preset) cannot
    // capture one in the lambda below.
    const std::string event_name = unpersisted_latch_->first;
    const std::string reason = unpersisted_latch_->second;
    const std::string ts = format_utc_millis(options_.clock->wall_now());
    GovernanceUpdateOptions o;
    o.if_missing = &record_;
    o.lock_timeout = std::chrono::milliseconds(100);
    record_ = update_governance_state_file(
        options_.state_file, [&](GovernanceRecord& r) { latch(r, ts, event_name, reason); }, o);
    seen_ = reread_stamp();
    unpersisted_latch_.reset();
    report(spdlog::level::warn, "", "STATE_PERSISTED", event_name,
           fmt::format("the latch held in memory is now written to {} ({})",
                       options_.state_file.string(), reason));
  } catch (...) {
    // Still not writable: tried again at the next sync.
  }
}

// Called by the watcher every kWatchInterval and by heartbeat(): a latch, an
// operator's disable or re-enable, a garbage file.
void Latch::sync() noexcept {
  MlState old_state{};
  MlState new_state{};
  std::string message;
  if (options_.in_memory) return;
  const std::filesystem::path& state_file = options_.state_file;
  try {
    const FileStamp now = stamp_of(state_file);
    std::lock_guard<std::mutex> lock(mu_);
    old_state = state_.load(std::memory_order_acquire);
    new_state = old_state;
    if (old_state == MlState::kDisabledConfig) return;
    retry_unpersisted_latch();
    if (now == seen_) return;
    seen_ = now;
    GovernanceStateFile f;
    bool readable = true;
    try {
      f = read_governance_state_file(state_file);
      unreadable_reported_ = false;
    } catch (const GovernanceStateError& e) {
      if (!is_blocked_state(old_state)) {
        new_state = MlState::kDisabledGovernance;
        state_.store(new_state, std::memory_order_release);
      }
      message = fmt::format("state file unreadable, treated as disabled: {}", e.what());
      // What this process knows is now "disabled": if the garbage is moved
      // aside, the file is written back disabled, never as it was before.
      if (!record_.disabled) {
        const std::string ts = format_utc_millis(options_.clock->wall_now());
        latch(record_, ts, "STATE_FILE_UNREADABLE", message);
      }
      if (!unreadable_reported_ || new_state != old_state) {
        report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_FILE_UNREADABLE",
               fmt::format("governance state file became unreadable, so ML is treated as "
                           "DISABLED (never as enabled): {}; inspect it, then re-enable "
                           "explicitly",
                           e.what()));
      }
      unreadable_reported_ = true;
      readable = false;  // nothing more to take in: the listener is told below
    }
    if (readable && !f.exists) {
      // Removed while running: write back what this process knows, so a
      // deleted file never re-enables anything without a trace.
      const std::string ts = format_utc_millis(options_.clock->wall_now());
      GovernanceRecord known = record_;
      known.history.push_back(
          {ts, "STATE_FILE_RECREATED", "",
           fmt::format("{} was removed while an engine ran; written back as {}",
                       state_file.string(), known.disabled ? "DISABLED_GOVERNANCE" : "ENABLED")});
      GovernanceUpdateOptions o;
      o.if_missing = &known;
      try {
        record_ = update_governance_state_file(
            state_file, [](GovernanceRecord&) {}, o);
        seen_ = reread_stamp();
        report(spdlog::level::warn, "", "STATE_FILE_RECREATED", "STATE_FILE_MISSING",
               known.history.back().reason);
      } catch (const std::exception& e) {
        report(spdlog::level::critical, "", "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
               fmt::format("{} was removed while running and cannot be written back: {}",
                           state_file.string(), e.what()));
      }
      return;
    }
    if (!readable) {
      // Handled above: the state and the record already say disabled.
    } else if (record_ = std::move(f.record); record_.disabled && !is_blocked_state(old_state)) {
      new_state = MlState::kDisabledGovernance;
      state_.store(new_state, std::memory_order_release);
      message = record_.reason;
      const std::string by = last_disabling_event(record_);
      report(by == "DISABLED_BY_GOVERNANCE" ? spdlog::level::critical : spdlog::level::err, "", by,
             "STATE_FILE_CHANGED",
             fmt::format("ML disabled through {} (by another engine or an operator): {}",
                         state_file.string(), record_.reason));
    } else if (!record_.disabled && old_state == MlState::kDisabledGovernance &&
               !unpersisted_latch_) {
      seed_window();
      new_state = enabled_state_;
      state_.store(new_state, std::memory_order_release);
      message = record_.reason;
      report(spdlog::level::warn, "", "REENABLED", "STATE_FILE_CHANGED",
             fmt::format("ML re-enabled through {}: {} (state {} -> {})", state_file.string(),
                         record_.reason, to_string(old_state), to_string(new_state)));
    }
  } catch (...) {
    // Out of memory while reading: tried again at the next sync.
  }
  notify(old_state, new_state, message);
}

void Latch::record_failure(std::string_view symbol, std::string_view reason, std::string message,
                           const nlohmann::json& details) noexcept {
  const std::filesystem::path& state_file = options_.state_file;
  try {
    std::string latch_reason;
    MlState old_state{};
    MlState new_state{};
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto wall = options_.clock->wall_now();
      const std::string ts = format_utc_millis(wall);
      last_error_ = message;
      const bool locally_full = window_.record(options_.clock->steady_now());
      old_state = state_.load(std::memory_order_acquire);
      new_state = old_state;
      const std::string reason_name(reason);
      if (is_blocked_state(old_state)) {
        // Already off (e.g. a refused model at a latched start): reported only.
        report(spdlog::level::err, symbol, "FAILURE_RECORDED", reason_name, message, details);
        return;
      }
      const auto max_failures = static_cast<std::size_t>(window_.max_failures());
      const FailureRecord failure{ts, std::string(symbol), reason_name, message};
      bool tripped = false;
      bool latched_elsewhere = false;
      auto apply = [&](GovernanceRecord& r, bool shared) {
        r.last_failures.push_back(failure);
        if (r.last_failures.size() > kMaxRememberedFailures) {
          r.last_failures.erase(r.last_failures.begin());
        }
        if (r.disabled) {
          latched_elsewhere = true;
          return;
        }
        auto& w = r.window_failures;
        w.push_back(ts);
        std::erase_if(w, [&](const std::string& t) {
          const auto tp = parse_utc_millis(t);
          return tp && *tp <= wall && wall - *tp >= window_length_;
        });
        if (w.size() > max_failures) w.erase(w.begin(), w.end() - static_cast<long>(max_failures));
        tripped = shared ? mlgov::failures_in_window(r, wall, window_length_) >= max_failures
                         : locally_full;
        if (tripped) {
          latch_reason = fmt::format(
              "{} failures within {}s (governance.max_failures / window_seconds); last: {} {}",
              max_failures, options_.window_seconds, reason_name, message);
          latch(r, ts, "DISABLED_BY_GOVERNANCE", latch_reason);
        }
      };
      std::string persist_error;
      bool unreadable = false;
      if (options_.in_memory) {
        apply(record_, false);
      } else {
        try {
          GovernanceUpdateOptions o;
          o.if_missing = &record_;
          // The thread that hit the failure waits at most this long for
          // another process's lock; then this process's own window decides
          // and the write is retried by the watcher.
          o.lock_timeout = kFailureLockTimeout;
          record_ = update_governance_state_file(
              state_file, [&](GovernanceRecord& r) { apply(r, true); }, o);
          seen_ = reread_stamp();
        } catch (const GovernanceStateError& e) {
          // The file became garbage: disabled at once, as at start.
          persist_error = e.what();
          unreadable = true;
          apply(record_, false);
          tripped = false;
          latch_reason = fmt::format("state file unreadable, treated as disabled: {}", e.what());
          latch(record_, ts, "STATE_FILE_UNREADABLE", latch_reason);
        } catch (const std::exception& e) {
          persist_error = e.what();
          tripped = false;
          latched_elsewhere = false;
          apply(record_, false);
        }
      }
      if (unreadable) {
        new_state = MlState::kDisabledGovernance;
        state_.store(new_state, std::memory_order_release);
        unreadable_reported_ = true;
        report(spdlog::level::critical, symbol, "DISABLED_BY_GOVERNANCE", "STATE_FILE_UNREADABLE",
               fmt::format("governance state file became unreadable, so ML is treated as "
                           "DISABLED (never as enabled): {}; inspect it, then re-enable "
                           "explicitly",
                           persist_error));
        persist_error.clear();  // said above; nothing to retry: the file is garbage
      }
      if (tripped || latched_elsewhere) {
        new_state = MlState::kDisabledGovernance;
        state_.store(new_state, std::memory_order_release);
      }
      if (tripped) {
        report(spdlog::level::critical, symbol, "DISABLED_BY_GOVERNANCE", reason_name,
               fmt::format("ML disabled by governance: {}; re-enable with `mlgov governance "
                           "reenable --state-file {} --operator NAME --reason TEXT` after a fix",
                           latch_reason, state_file.string()),
               details);
      } else {
        report(spdlog::level::err, symbol, "FAILURE_RECORDED", reason_name, message, details);
      }
      if (latched_elsewhere) {
        latch_reason = record_.reason;
        report(spdlog::level::err, "", last_disabling_event(record_), "STATE_FILE_CHANGED",
               fmt::format("ML disabled through {} (by another engine or an operator): {}",
                           state_file.string(), record_.reason));
      }
      if (!persist_error.empty()) {
        if (tripped) {
          unpersisted_latch_.emplace("DISABLED_BY_GOVERNANCE", latch_reason);
          report(spdlog::level::critical, symbol, "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
                 fmt::format("the governance latch could not be persisted to {}: {}; ML stays "
                             "disabled in this process, the write is retried every second, and "
                             "an engine that cannot write the file at start starts disabled "
                             "(STATE_NOT_WRITABLE)",
                             state_file.string(), persist_error));
        } else {
          report(spdlog::level::warn, symbol, "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
                 fmt::format("the failure could not be recorded in {}: {}; this process counts "
                             "it in its own window",
                             state_file.string(), persist_error));
        }
      }
    }
    notify(old_state, new_state, latch_reason);
  } catch (...) {
    // Out of memory while recording a failure: the caller's counters still
    // tell the story; the hot path must not throw.
  }
}

void Latch::reenable(std::string_view operator_name, std::string_view reason) {
  MlState old_state{};
  MlState new_state{};
  std::string message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = options_.clock->wall_now();
    GovernanceRecord check;
    apply_reenable(check, operator_name, reason, now);  // validates the arguments
    if (options_.in_memory) {
      apply_reenable(record_, operator_name, reason, now);
    } else {
      GovernanceUpdateOptions o;
      o.replace_unreadable = true;  // a garbage file is rewritten, noting it was unreadable
      o.if_missing = &record_;
      record_ = update_governance_state_file(  // throws: the latch stays
          options_.state_file,
          [&](GovernanceRecord& r) { apply_reenable(r, operator_name, reason, now); }, o);
      seen_ = reread_stamp();
    }
    unpersisted_latch_.reset();
    unreadable_reported_ = false;
    window_.clear();
    old_state = state_.load(std::memory_order_acquire);
    new_state = enabled_state_;
    state_.store(new_state, std::memory_order_release);
    message = record_.reason;
    report(spdlog::level::warn, "", "REENABLED", "OPERATOR",
           fmt::format("{} (state {} -> {})", message, to_string(old_state), to_string(new_state)),
           operator_details(operator_name, reason, options_.state_file));
  }
  notify(old_state, new_state, message);
}

void Latch::disable(std::string_view operator_name, std::string_view reason) {
  MlState old_state{};
  MlState new_state = MlState::kDisabledGovernance;
  std::string message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = options_.clock->wall_now();
    GovernanceRecord check;
    apply_operator_disable(check, operator_name, reason, now);  // validates the arguments
    old_state = state_.load(std::memory_order_acquire);
    // ML goes off in this process first: the operator's switch never waits on the disk.
    state_.store(new_state, std::memory_order_release);
    std::string persist_error;
    if (options_.in_memory) {
      apply_operator_disable(record_, operator_name, reason, now);
    } else {
      try {
        GovernanceUpdateOptions o;
        o.if_missing = &record_;
        record_ = update_governance_state_file(
            options_.state_file,
            [&](GovernanceRecord& r) { apply_operator_disable(r, operator_name, reason, now); }, o);
        seen_ = reread_stamp();
      } catch (const std::exception& e) {
        persist_error = e.what();
        apply_operator_disable(record_, operator_name, reason, now);
        unpersisted_latch_.emplace("DISABLED_BY_OPERATOR", record_.reason);
      }
    }
    message = record_.reason;
    report(spdlog::level::err, "", "DISABLED_BY_OPERATOR", "OPERATOR",
           fmt::format("{} (state {} -> {})", message, to_string(old_state), to_string(new_state)),
           operator_details(operator_name, reason, options_.state_file));
    if (!persist_error.empty()) {
      report(spdlog::level::critical, "", "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
             fmt::format("the operator's disable could not be persisted to {}: {}; ML is off in "
                         "this process and the write is retried every second",
                         options_.state_file.string(), persist_error));
    }
  }
  notify(old_state, new_state, message);
}

std::size_t Latch::failures_in_window() const {
  std::lock_guard<std::mutex> lock(mu_);
  return window_.count_in_window(options_.clock->steady_now());
}

std::string Latch::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

}  // namespace mlgov::internal
