// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The locked state file as a GovernanceStore (the default store): every
// behaviour that is the file's own lives here, not in the latch: stale
// temporaries removed at start, the stat() stamp that tells another
// process's write, the garbage file treated as disabled, a removed file
// written back, a latch that could not be written held in memory and
// retried, the 250 ms wait for another process's lock on a failure.
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mlgov/atomic_file.h"
#include "mlgov/governance_store.h"
#include "mlgov/logging.h"

namespace mlgov {

std::string_view to_string(StoreHealth health) noexcept {
  switch (health) {
    case StoreHealth::kOk:
      return "OK";
    case StoreHealth::kDegraded:
      return "DEGRADED";
    case StoreHealth::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

namespace {

// The watcher polls the file's stamp this often, off the hot path.
constexpr std::chrono::milliseconds kWatchInterval{200};
// How long a thread that hit a failure waits for the file's lock.
constexpr std::chrono::milliseconds kFailureLockTimeout{250};
// How long the watcher waits for the lock when it retries an unwritten latch.
constexpr std::chrono::milliseconds kRetryLockTimeout{100};

// What stat() said of the file when it was last read or written here: a
// different stamp means another process (or the CLI) changed it.
struct FileStamp {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  long long mtime_ns = 0;
  long long ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const std::filesystem::path& file) noexcept {
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

// What the stamp becomes after this process wrote the file: a stamp no file
// has, so the next poll reads the file again. (A stamp taken after the write
// would be taken after the lock was released: another process's write in
// between would then look like ours and never be read.)
FileStamp reread_stamp() noexcept {
  FileStamp f;
  f.exists = true;
  f.mtime_ns = -1;
  return f;
}

// The history entry and state change of a latch, on a record.
void latch(GovernanceRecord& r, const std::string& ts, const std::string& event,
           const std::string& reason) {
  if (!r.disabled) {
    r.disabled = true;
    r.since = ts;
    r.reason = reason;
  }
  r.history.push_back({ts, event, "", reason});
}

// A finding of open(), reported once the observer is known (start()).
struct Finding {
  spdlog::level::level_enum level;
  std::string status;
  std::string reason;
  std::string message;
};

// Threading: `mu_` guards the file's in-process view (known_, seen_, the
// unwritten latch) and serialises this process's reads and writes of the
// file; `deliver_mu_` serialises deliveries to the observer (the watcher and
// poll()), which are made without `mu_` held.
class FileGovernanceStore final : public GovernanceStore {
 public:
  FileGovernanceStore(std::filesystem::path file, std::shared_ptr<const Clock> clock)
      : file_(std::move(file)), clock_(std::move(clock)) {}
  ~FileGovernanceStore() override { stop(); }

  std::string describe() const override { return "file " + file_.string(); }

  GovernanceRecord open(std::string_view started_by) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& removed : remove_stale_temporaries(file_, std::chrono::hours(24))) {
      findings_.push_back(
          {spdlog::level::warn, "STATE_TEMPORARY_REMOVED", "STALE_TEMPORARY",
           fmt::format("removed {}: a state-file temporary older than a day, left by a writer "
                       "that crashed before its rename",
                       removed.string())});
    }
    const std::string ts = format_utc_millis(clock_->wall_now());
    try {
      const GovernanceStateFile found = read_governance_state_file(file_);
      if (!found.warning.empty()) {
        findings_.push_back(
            {spdlog::level::warn, "STATE_FILE_PERMISSIONS", "WRITABLE_BY_OTHERS", found.warning});
      }
      if (!found.exists) {
        findings_.push_back(
            {spdlog::level::warn, "STATE_FILE_MISSING", "NO_STATE_FILE",
             fmt::format("no governance state at {}: starting enabled with an empty history; "
                         "expected only on a first start",
                         file_.string())});
      }
      // The STARTED record: creates a missing file at once, and proves the
      // file writable. An engine that cannot write it starts disabled, so a
      // latch it could not persist can never be lost by a restart.
      try {
        known_ = update_governance_state_file(file_, [&](GovernanceRecord& r) {
          r.history.push_back({ts, "STARTED", "",
                               fmt::format("{} started on the file ({})", started_by,
                                           r.disabled ? "DISABLED_GOVERNANCE" : "ENABLED")});
        });
        seen_ = reread_stamp();
        return known_;
      } catch (const GovernanceStateError&) {
        throw;  // became garbage since the read above: handled below
      } catch (const std::exception& e) {
        // Held in memory and written by the watcher once the file is writable.
        known_ = found.record;
        const std::string reason = fmt::format(
            "the state file cannot be written at start ({}): ML starts disabled so "
            "that a latch this engine could not persist is never lost",
            e.what());
        latch(known_, ts, "STATE_NOT_WRITABLE", reason);
        unpersisted_.emplace("STATE_NOT_WRITABLE", reason);
        seen_ = stamp_of(file_);
        throw;
      }
    } catch (const GovernanceStateError& e) {
      // What this store knows is "disabled": if the garbage is moved aside,
      // the file is written back disabled, never as it was before.
      known_ = GovernanceRecord{};
      latch(known_, ts, "STATE_FILE_UNREADABLE",
            fmt::format("state file unreadable, treated as disabled: {}", e.what()));
      known_.history.back().reason = e.what();
      seen_ = stamp_of(file_);
      unreadable_reported_ = true;
      throw;
    }
  }

  void start(GovernanceStoreObserver* observer) override {
    std::vector<Finding> findings;
    {
      std::lock_guard<std::mutex> lock(mu_);
      observer_ = observer;
      findings.swap(findings_);
    }
    {
      std::lock_guard<std::mutex> lock(deliver_mu_);
      for (Finding& f : findings) {
        observer->on_store_event(f.level, f.status, f.reason, std::move(f.message));
      }
    }
    watcher_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(watch_mu_);
      while (!watch_cv_.wait_for(lock, kWatchInterval, [this] { return stopping_; })) {
        lock.unlock();
        poll();
        lock.lock();
      }
    });
  }

  void stop() noexcept override {
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      stopping_ = true;
    }
    watch_cv_.notify_all();
    if (watcher_.joinable() && watcher_.get_id() != std::this_thread::get_id()) watcher_.join();
  }

  FailureOutcome record_failure(const StoreFailure& failure,
                                const FailureRule& rule) noexcept override {
    FailureOutcome out;
    try {
      std::lock_guard<std::mutex> lock(mu_);
      const auto wall = clock_->wall_now();
      const std::string& ts = failure.failure.ts;
      const auto max_failures = static_cast<std::size_t>(rule.max_failures);
      bool tripped = false;
      bool latched_elsewhere = false;
      std::string latch_reason;
      auto apply = [&](GovernanceRecord& r) {
        tripped = false;
        latched_elsewhere = false;
        r.last_failures.push_back(failure.failure);
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
          return tp && *tp <= wall && wall - *tp >= rule.window;
        });
        if (w.size() > max_failures) w.erase(w.begin(), w.end() - static_cast<long>(max_failures));
        tripped = failures_in_window(r, wall, rule.window) >= max_failures;
        if (tripped) {
          latch_reason = fmt::format(
              "{} failures within {}s (governance.max_failures / window_seconds); last: {} {}",
              max_failures, std::chrono::duration<double>(rule.window).count(),
              failure.failure.reason, failure.failure.message);
          latch(r, ts, "DISABLED_BY_GOVERNANCE", latch_reason);
        }
      };
      try {
        GovernanceUpdateOptions o;
        o.if_missing = &known_;
        // The thread that hit the failure waits at most this long for another
        // process's lock; then its own view decides and the watcher retries.
        o.lock_timeout = kFailureLockTimeout;
        known_ = update_governance_state_file(file_, apply, o);
        seen_ = reread_stamp();
        ++local_writes_;
        out.kind = tripped             ? FailureOutcome::Kind::kTripped
                   : latched_elsewhere ? FailureOutcome::Kind::kAlreadyLatched
                                       : FailureOutcome::Kind::kCounted;
        out.record = known_;
        out.latch_reason = latch_reason;
      } catch (const GovernanceStateError& e) {
        // The file became garbage: disabled at once, as at start.
        apply(known_);
        const std::string reason =
            fmt::format("state file unreadable, treated as disabled: {}", e.what());
        latch(known_, ts, "STATE_FILE_UNREADABLE", reason);
        unreadable_reported_ = true;
        ++local_writes_;
        out.kind = FailureOutcome::Kind::kStoreUnreadable;
        out.record = known_;
        out.latch_reason = reason;
        out.error = e.what();
      } catch (const std::exception& e) {
        // Not written (lock timeout, read-only directory, disk full): the
        // failure counts in this process's view of the file; a latch it
        // trips is held here and written by the watcher when it can be.
        apply(known_);
        if (tripped) unpersisted_.emplace("DISABLED_BY_GOVERNANCE", latch_reason);
        ++local_writes_;
        out.kind = FailureOutcome::Kind::kNotPersisted;
        out.record = known_;
        out.latch_reason = tripped ? latch_reason : std::string();
        out.error = e.what();
      }
    } catch (...) {
      out.kind = FailureOutcome::Kind::kNotPersisted;
      out.error = "out of memory while recording the failure";
    }
    return out;
  }

  GovernanceRecord reenable(std::string_view operator_name, std::string_view reason,
                            std::chrono::system_clock::time_point now) override {
    GovernanceRecord check;
    apply_reenable(check, operator_name, reason, now);  // validates the arguments
    std::lock_guard<std::mutex> lock(mu_);
    GovernanceUpdateOptions o;
    o.replace_unreadable = true;  // a garbage file is rewritten, noting it was unreadable
    o.if_missing = &known_;
    known_ = update_governance_state_file(
        file_, [&](GovernanceRecord& r) { apply_reenable(r, operator_name, reason, now); }, o);
    seen_ = reread_stamp();
    ++local_writes_;
    unpersisted_.reset();
    unreadable_reported_ = false;
    return known_;
  }

  // An unwritable file: the disable is held in memory (this store's view and
  // what it delivers say DISABLED) and written by the watcher once it can
  // be; the error is still thrown so that the caller reports it.
  GovernanceRecord disable(std::string_view operator_name, std::string_view reason,
                           std::chrono::system_clock::time_point now) override {
    GovernanceRecord check;
    apply_operator_disable(check, operator_name, reason, now);  // validates the arguments
    std::lock_guard<std::mutex> lock(mu_);
    ++local_writes_;
    try {
      GovernanceUpdateOptions o;
      o.if_missing = &known_;
      known_ = update_governance_state_file(
          file_,
          [&](GovernanceRecord& r) { apply_operator_disable(r, operator_name, reason, now); }, o);
      seen_ = reread_stamp();
      return known_;
    } catch (const std::exception&) {
      apply_operator_disable(known_, operator_name, reason, now);
      unpersisted_.emplace("DISABLED_BY_OPERATOR", known_.reason);
      throw;
    }
  }

  GovernanceRecord read() override { return read_governance_state(file_); }

  bool delivery_superseded() const noexcept override {
    return local_writes_.load(std::memory_order_acquire) !=
           delivering_.load(std::memory_order_acquire);
  }

  // A latch, an operator's disable or re-enable, a garbage or removed file.
  void poll() noexcept override {
    try {
      std::lock_guard<std::mutex> deliver(deliver_mu_);
      GovernanceStoreObserver* observer = nullptr;
      std::vector<Finding> events;
      std::optional<GovernanceRecord> changed;
      std::string unreadable;
      {
        std::lock_guard<std::mutex> lock(mu_);
        observer = observer_;
        if (observer == nullptr) return;
        delivering_.store(local_writes_.load(std::memory_order_acquire), std::memory_order_release);
        const FileStamp before_retry = stamp_of(file_);
        retry_unpersisted(events);
        sync_file(before_retry, events, changed, unreadable);
      }
      for (Finding& f : events) {
        observer->on_store_event(f.level, f.status, f.reason, std::move(f.message));
      }
      if (!unreadable.empty()) observer->on_store_unreadable(unreadable);
      if (changed) observer->on_shared_change(*changed);
    } catch (...) {
      // Out of memory while reading: tried again at the next poll.
    }
  }

 private:
  // Writes a latch that could not be written before. Caller holds mu_.
  void retry_unpersisted(std::vector<Finding>& events) {
    if (!unpersisted_) return;
    try {
      const std::string event_name = unpersisted_->first;
      const std::string reason = unpersisted_->second;
      const std::string ts = format_utc_millis(clock_->wall_now());
      GovernanceUpdateOptions o;
      o.if_missing = &known_;
      o.lock_timeout = kRetryLockTimeout;
      known_ = update_governance_state_file(
          file_, [&](GovernanceRecord& r) { latch(r, ts, event_name, reason); }, o);
      seen_ = reread_stamp();
      unpersisted_.reset();
      events.push_back({spdlog::level::warn, "STATE_PERSISTED", event_name,
                        fmt::format("the latch held in memory is now written to {} ({})",
                                    file_.string(), reason)});
    } catch (...) {
      // Still not writable: tried again at the next poll.
    }
  }

  // Reads the file when its stamp changed. Caller holds mu_.
  void sync_file(const FileStamp& now, std::vector<Finding>& events,
                 std::optional<GovernanceRecord>& changed, std::string& unreadable) {
    if (now == seen_) return;
    seen_ = now;
    GovernanceStateFile f;
    try {
      f = read_governance_state_file(file_);
    } catch (const GovernanceStateError& e) {
      if (!known_.disabled) {
        latch(known_, format_utc_millis(clock_->wall_now()), "STATE_FILE_UNREADABLE",
              fmt::format("state file unreadable, treated as disabled: {}", e.what()));
      }
      if (!unreadable_reported_) {
        unreadable = fmt::format(
            "governance state file became unreadable, so ML is treated as DISABLED (never as "
            "enabled): {}; inspect it, then re-enable explicitly",
            e.what());
      }
      unreadable_reported_ = true;
      return;
    }
    unreadable_reported_ = false;
    if (!f.exists) {
      // Removed while running: write back what this process knows, so a
      // deleted file never re-enables anything without a trace.
      const std::string ts = format_utc_millis(clock_->wall_now());
      GovernanceRecord known = known_;
      known.history.push_back(
          {ts, "STATE_FILE_RECREATED", "",
           fmt::format("{} was removed while an engine ran; written back as {}", file_.string(),
                       known.disabled ? "DISABLED_GOVERNANCE" : "ENABLED")});
      GovernanceUpdateOptions o;
      o.if_missing = &known;
      try {
        known_ = update_governance_state_file(
            file_, [](GovernanceRecord&) {}, o);
        seen_ = reread_stamp();
        events.push_back({spdlog::level::warn, "STATE_FILE_RECREATED", "STATE_FILE_MISSING",
                          known.history.back().reason});
      } catch (const std::exception& e) {
        events.push_back({spdlog::level::critical, "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
                          fmt::format("{} was removed while running and cannot be written back: {}",
                                      file_.string(), e.what())});
      }
      return;
    }
    known_ = std::move(f.record);
    GovernanceRecord delivered = known_;
    if (unpersisted_) {
      // While this process holds a latch it could not write, the file cannot
      // re-enable it.
      latch(delivered, format_utc_millis(clock_->wall_now()), unpersisted_->first,
            unpersisted_->second);
      known_ = delivered;
    }
    changed = std::move(delivered);
  }

  const std::filesystem::path file_;
  const std::shared_ptr<const Clock> clock_;

  std::mutex mu_;  // guards everything below up to the watcher
  GovernanceStoreObserver* observer_ = nullptr;
  std::vector<Finding> findings_;  // open()'s, reported at start()
  GovernanceRecord known_;         // the file as last read or written here (+ an unwritten latch)
  FileStamp seen_;
  // A latch this process holds but could not write (read-only directory,
  // disk full): "event" and "reason" of the history entry, retried at every
  // poll until written.
  std::optional<std::pair<std::string, std::string>> unpersisted_;
  bool unreadable_reported_ = false;

  // Counts this process's changes through the blocking calls; `delivering_`
  // is its value when the record being delivered was read.
  std::atomic<std::uint64_t> local_writes_{0};
  std::atomic<std::uint64_t> delivering_{0};
  std::mutex deliver_mu_;

  std::thread watcher_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;  // guarded by watch_mu_
};

}  // namespace

std::shared_ptr<GovernanceStore> make_file_governance_store(std::filesystem::path state_file,
                                                            std::shared_ptr<const Clock> clock) {
  if (!clock) clock = std::make_shared<SystemClock>();
  return std::make_shared<FileGovernanceStore>(std::move(state_file), std::move(clock));
}

}  // namespace mlgov
