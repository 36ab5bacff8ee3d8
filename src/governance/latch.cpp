// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "governance/latch.h"

#include <unistd.h>

#include <array>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "mlgov/logging.h"

namespace mlgov::internal {
namespace {

bool is_blocked_state(MlState s) noexcept {
  return s == MlState::kDisabledConfig || s == MlState::kDisabledGovernance;
}

bool is_file_store(std::string_view description) { return description.starts_with("file "); }

std::string host_name() {
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0) return "unknown-host";
  return buf.data();
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

// The newest history entry that changed the state (STARTED entries skipped),
// or null.
const GovernanceHistoryEntry* newest_change(const GovernanceRecord& r) {
  for (auto it = r.history.rbegin(); it != r.history.rend(); ++it) {
    if (it->event != "STARTED") return &*it;
  }
  return nullptr;
}

}  // namespace

Latch::Latch(LatchOptions options)
    : options_(std::move(options)),
      window_length_(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(options_.window_seconds))),
      store_description_(options_.store ? options_.store->describe() : "in-memory"),
      where_(is_file_store(store_description_) ? store_description_.substr(5) : store_description_),
      unreadable_reason_(is_file_store(store_description_) ? "STATE_FILE_UNREADABLE"
                                                           : "STORE_UNREADABLE"),
      changed_reason_(is_file_store(store_description_) ? "STATE_FILE_CHANGED"
                                                        : "SHARED_STATE_CHANGED"),
      write_failed_reason_(is_file_store(store_description_) ? "STATE_FILE_WRITE_FAILED"
                                                             : "STORE_WRITE_FAILED"),
      failure_id_prefix_(fmt::format("{}:{}:{}:", host_name(), ::getpid(),
                                     std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         options_.clock->wall_now().time_since_epoch())
                                         .count())),
      window_(options_.max_failures, window_length_) {}

Latch::~Latch() {
  // No delivery may reach this object once it is gone.
  if (options_.store) options_.store->stop();
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

void Latch::notify(const Transition& t) const noexcept {
  // on_state_change is noexcept: an exception escaping it ends the program
  // (std::terminate), as for any noexcept function; nothing is caught here.
  if (options_.listener != nullptr && t.from != t.to) {
    options_.listener->on_state_change(t.from, t.to, t.reason);
  }
}

std::string Latch::reenable_hint() const {
  if (is_file_store(store_description_)) {
    return fmt::format("--state-file {}", where_);
  }
  return "--config <the engine's config>";
}

bool Latch::blocked() const noexcept { return is_blocked_state(state_.load()); }

void Latch::disable_by_config() noexcept {
  state_.store(MlState::kDisabledConfig);
  started_.store(true, std::memory_order_release);
}

void Latch::set_enabled_state(MlState enabled_state, std::string_view reason) noexcept {
  Transition t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    enabled_state_ = enabled_state;
    t.from = t.to = state_.load(std::memory_order_acquire);
    if (t.from == MlState::kEnabledOk || t.from == MlState::kEnabledDegraded) {
      t.to = enabled_state;
      state_.store(t.to, std::memory_order_release);
    }
    try {
      t.reason = std::string(reason);
    } catch (...) {
      // Out of memory: the listener is told without the reason.
    }
  }
  notify(t);
}

// Refills the in-memory window from the shared one (after a start or a
// re-enable elsewhere), mapping wall times onto the steady clock.
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
  if (!options_.store) return false;  // this process only
  GovernanceStore& store = *options_.store;
  bool latched = false;
  // What open() found, reported once the store's own findings are (start()).
  enum class Found { kRecord, kGarbage, kUnavailable, kNotWritable } found = Found::kRecord;
  std::string error;
  const std::string started_by = fmt::format("pid {}", ::getpid());
  try {
    GovernanceRecord r = store.open(started_by);
    std::lock_guard<std::mutex> lock(mu_);
    record_ = std::move(r);
    latched = record_.disabled;
    note_operator_change_locked();
  } catch (const GovernanceStateError& e) {
    found = Found::kGarbage;
    error = e.what();
  } catch (const StoreUnavailableError& e) {
    found = Found::kUnavailable;
    error = e.what();
  } catch (const std::exception& e) {
    found = Found::kNotWritable;
    error = e.what();
  }
  const std::string ts = format_utc_millis(options_.clock->wall_now());
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (found) {
      case Found::kRecord:
        break;
      case Found::kGarbage:
        latched = true;
        record_ = GovernanceRecord{};
        latch(record_, ts, unreadable_reason_,
              fmt::format("state unreadable, treated as disabled: {}", error));
        break;
      case Found::kUnavailable:
        health_.store(StoreHealth::kUnavailable, std::memory_order_release);
        open_unavailable_ = true;
        if (!options_.unavailable_runs_local) {
          latched = true;
          unavailable_hold_ = true;
        }
        break;
      case Found::kNotWritable:
        latched = true;
        // The store holds the latch until it can write it (the file store
        // retries); this process never lifts it on a shared ENABLED before.
        hold_unshared_locked();
        latch(record_, ts, "STATE_NOT_WRITABLE",
              fmt::format("the shared state cannot be written at start ({})", error));
        break;
    }
    if (!latched) seed_window();
  }
  // The store's own findings first (stale temporaries, a missing file...),
  // then what they mean for ML. Outside mu_: deliveries may start at once.
  store.start(this);
  switch (found) {
    case Found::kRecord:
      if (latched) {
        report(spdlog::level::err, "", last_disabling_event(record_), "LATCHED_AT_START",
               fmt::format("{} says ML was disabled since {} ({}); re-enable with "
                           "`mlgov governance reenable` after a fix",
                           where_, record_.since, record_.reason));
      }
      break;
    case Found::kGarbage:
      report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", unreadable_reason_,
             fmt::format("governance state ({}) is garbage or refused, so ML is treated as "
                         "DISABLED (never as enabled): {}; inspect it, then re-enable explicitly",
                         store_description_, error));
      break;
    case Found::kUnavailable:
      if (options_.unavailable_runs_local) {
        report(spdlog::level::warn, "", "STORE_UNAVAILABLE", "STORE_UNAVAILABLE",
               fmt::format("governance store unreachable at start ({}); running on this "
                           "process's own latch (governance.redis.on_unavailable: local) while "
                           "it reconnects in the background",
                           error));
      } else {
        report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STORE_UNAVAILABLE",
               fmt::format("governance store unreachable at start ({}): ML starts "
                           "DISABLED_GOVERNANCE and is enabled by the shared state once the "
                           "store answers (it reconnects in the background)",
                           error));
      }
      break;
    case Found::kNotWritable:
      report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_NOT_WRITABLE",
             fmt::format("cannot write the governance state ({}): {}; ML starts "
                         "DISABLED_GOVERNANCE (a latch that cannot be persisted would be lost "
                         "by a restart). Fix the store (permissions, space): the latch is "
                         "then written, and an operator re-enables",
                         where_, error));
      break;
  }
  return latched;
}

void Latch::start(bool latched, MlState enabled_state) noexcept {
  Transition t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    enabled_state_ = enabled_state;
    // Unavailable at open: what is known now decides (the store may have
    // come back while the models loaded).
    const bool disabled =
        open_unavailable_ ? holds_locally() || record_.disabled : latched || holds_locally();
    state_.store(disabled ? MlState::kDisabledGovernance : enabled_state,
                 std::memory_order_release);
    started_.store(true, std::memory_order_release);
    t.from = t.to = state_.load();
    // What the store delivered while the models loaded.
    try {
      if (!pending_unreadable_.empty()) {
        apply_unreadable_locked(t, pending_unreadable_);
      } else if (pending_shared_) {
        apply_shared_locked(t, changed_reason_);
      }
    } catch (...) {
      // Out of memory: the next delivery applies it.
    }
    pending_unreadable_.clear();
    pending_shared_ = false;
  }
  notify(t);
}

void Latch::start_watching() {
  if (options_.store && state() != MlState::kDisabledConfig) options_.store->poll();
}

void Latch::sync() noexcept {
  if (!options_.store || !started_.load(std::memory_order_acquire) ||
      state() == MlState::kDisabledConfig) {
    return;
  }
  options_.store->poll();
}

// Caller holds mu_.
void Latch::hold_unshared_locked() noexcept {
  unshared_latch_ = true;
  unshared_latch_at_ = options_.clock->wall_now();
}

// Remembers record_'s newest operator re-enable as seen (applied already).
// Caller holds mu_.
void Latch::note_operator_change_locked() {
  const GovernanceHistoryEntry* change = newest_change(record_);
  if (change != nullptr && change->event == "REENABLED") last_reenable_seen_ = change->ts;
}

// Caller holds mu_.
void Latch::disable_locked(Transition& t) noexcept {
  if (!is_blocked_state(t.to)) {
    t.to = MlState::kDisabledGovernance;
    state_.store(t.to, std::memory_order_release);
  }
}

// Applies record_ (the shared record just delivered). Caller holds mu_.
void Latch::apply_shared_locked(Transition& t, std::string_view cause) {
  const MlState now = state_.load(std::memory_order_acquire);
  if (now == MlState::kDisabledConfig) return;
  // An operator's re-enable made after this process's unshared latch (from
  // `mlgov governance reenable`, anywhere) lifts it; after any operator
  // re-enable this process's window starts again from the shared one.
  const GovernanceHistoryEntry* change = newest_change(record_);
  if (change != nullptr && change->event == "REENABLED" && change->ts != last_reenable_seen_) {
    last_reenable_seen_ = change->ts;
    const auto at = parse_utc_millis(change->ts);
    if (!record_.disabled && unshared_latch_ && at &&
        *at > std::chrono::floor<std::chrono::milliseconds>(unshared_latch_at_)) {
      unshared_latch_ = false;
    }
    seed_window();
  }
  if (record_.disabled) {
    unshared_latch_ = false;  // the shared record holds it now
    if (is_blocked_state(now)) return;
    disable_locked(t);
    t.reason = record_.reason;
    const std::string by = last_disabling_event(record_);
    report(by == "DISABLED_BY_GOVERNANCE" ? spdlog::level::critical : spdlog::level::err, "", by,
           cause,
           fmt::format("ML disabled through {} (by another engine or an operator): {}", where_,
                       record_.reason));
  } else if (now == MlState::kDisabledGovernance && !holds_locally()) {
    seed_window();
    t.to = enabled_state_;
    state_.store(t.to, std::memory_order_release);
    t.reason = record_.reason;
    report(spdlog::level::warn, "", "REENABLED", cause,
           fmt::format("ML re-enabled through {}: {} (state {} -> {})", where_, record_.reason,
                       to_string(now), to_string(t.to)));
  }
}

// Caller holds mu_.
void Latch::apply_unreadable_locked(Transition& t, std::string_view message) {
  const MlState now = state_.load(std::memory_order_acquire);
  if (now == MlState::kDisabledConfig) return;
  if (!record_.disabled) {
    latch(record_, format_utc_millis(options_.clock->wall_now()), unreadable_reason_,
          fmt::format("state unreadable, treated as disabled: {}", message));
  }
  disable_locked(t);
  t.reason = fmt::format("state unreadable, treated as disabled: {}", message);
  report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", unreadable_reason_,
         std::string(message));
}

void Latch::on_shared_change(const GovernanceRecord& record) noexcept {
  Transition t;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    // A record read before a change this process made through the store
    // (and already applied): the store delivers the newer one next.
    if (options_.store && options_.store->delivery_superseded()) return;
    record_ = record;
    if (!started_.load(std::memory_order_acquire)) {
      pending_shared_ = true;
      pending_unreadable_.clear();
      return;
    }
    t.from = t.to = state_.load(std::memory_order_acquire);
    apply_shared_locked(t, changed_reason_);
  } catch (...) {
    return;  // out of memory: the next delivery applies it
  }
  notify(t);
}

void Latch::on_store_unreadable(std::string_view message) noexcept {
  Transition t;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_.load(std::memory_order_acquire)) {
      pending_unreadable_ = std::string(message);
      if (!record_.disabled) {
        latch(record_, format_utc_millis(options_.clock->wall_now()), unreadable_reason_,
              std::string(message));
      }
      return;
    }
    t.from = t.to = state_.load(std::memory_order_acquire);
    apply_unreadable_locked(t, message);
  } catch (...) {
    return;
  }
  notify(t);
}

void Latch::on_health_change(StoreHealth health, std::string_view message) noexcept {
  Transition t;
  try {
    std::lock_guard<std::mutex> lock(mu_);
    const StoreHealth before = health_.exchange(health, std::memory_order_acq_rel);
    t.from = t.to = state_.load(std::memory_order_acquire);
    const bool started = started_.load(std::memory_order_acquire);
    if ((started && t.from == MlState::kDisabledConfig) || before == health) return;
    const std::string text(message);
    switch (health) {
      case StoreHealth::kDegraded:
        report(spdlog::level::warn, "", "STORE_DEGRADED", "STORE_UNREACHABLE",
               fmt::format("governance store {} unreachable: keeping the last known state ({}) "
                           "for the grace period: {}",
                           store_description_, to_string(t.from), text));
        break;
      case StoreHealth::kUnavailable:
        if (options_.unavailable_runs_local) {
          report(spdlog::level::warn, "", "STORE_UNAVAILABLE", "STORE_UNAVAILABLE",
                 fmt::format("governance store {} unavailable beyond grace: running on this "
                             "process's own latch (governance.redis.on_unavailable: local): {}",
                             store_description_, text));
          break;
        }
        unavailable_hold_ = true;
        if (!started) break;  // start() applies the hold
        disable_locked(t);
        t.reason = fmt::format("governance store unavailable: {}", text);
        report(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STORE_UNAVAILABLE",
               fmt::format("governance store {} unavailable beyond grace, so ML is "
                           "DISABLED_GOVERNANCE until it is back: {}",
                           store_description_, text));
        break;
      case StoreHealth::kOk:
        unavailable_hold_ = false;
        report(spdlog::level::warn, "", "STORE_OK", "STORE_AVAILABLE",
               fmt::format("governance store {} available again ({}): the shared state applies",
                           store_description_, text));
        if (started) apply_shared_locked(t, "STORE_AVAILABLE");
        break;
    }
  } catch (...) {
    return;
  }
  notify(t);
}

void Latch::on_store_event(spdlog::level::level_enum level, std::string_view status,
                           std::string_view reason, std::string message) noexcept {
  try {
    report(level, "", status, reason, std::move(message));
  } catch (...) {
    // An event lost to an out-of-memory: nothing else to do.
  }
}

void Latch::record_failure(std::string_view symbol, std::string_view reason, std::string message,
                           const nlohmann::json& details) noexcept {
  try {
    Transition t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto wall = options_.clock->wall_now();
      const std::string ts = format_utc_millis(wall);
      last_error_ = message;
      const bool locally_full = window_.record(options_.clock->steady_now());
      t.from = t.to = state_.load(std::memory_order_acquire);
      const std::string reason_name(reason);
      if (is_blocked_state(t.from)) {
        // Already off (e.g. a refused model at a latched start): reported only.
        report(spdlog::level::err, symbol, "FAILURE_RECORDED", reason_name, message, details);
        return;
      }
      const auto max_failures = static_cast<std::size_t>(window_.max_failures());
      const FailureRecord failure{ts, std::string(symbol), reason_name, message};
      const std::string local_reason = fmt::format(
          "{} failures within {}s (governance.max_failures / window_seconds); last: {} {}",
          max_failures, options_.window_seconds, reason_name, message);
      bool tripped = false;
      bool latched_elsewhere = false;
      bool unreadable = false;
      std::string persist_error;
      std::string latch_reason;
      if (!options_.store) {
        // This process only: its window decides; the record is kept in memory.
        record_.last_failures.push_back(failure);
        if (record_.last_failures.size() > kMaxRememberedFailures) {
          record_.last_failures.erase(record_.last_failures.begin());
        }
        tripped = locally_full;
        if (tripped) {
          latch_reason = local_reason;
          latch(record_, ts, "DISABLED_BY_GOVERNANCE", latch_reason);
        }
      } else {
        FailureRule rule;
        rule.max_failures = window_.max_failures();
        rule.window = window_length_;
        const StoreFailure sf{failure_id_prefix_ + std::to_string(++failure_seq_), failure};
        FailureOutcome outcome = options_.store->record_failure(sf, rule);
        switch (outcome.kind) {
          case FailureOutcome::Kind::kCounted:
            record_ = std::move(outcome.record);
            break;
          case FailureOutcome::Kind::kTripped:
            record_ = std::move(outcome.record);
            tripped = true;
            latch_reason = outcome.latch_reason.empty() ? record_.reason : outcome.latch_reason;
            break;
          case FailureOutcome::Kind::kAlreadyLatched:
            record_ = std::move(outcome.record);
            latched_elsewhere = true;
            break;
          case FailureOutcome::Kind::kQueued:
            // Decided later on the store: this process's window latches at once.
            tripped = locally_full;
            if (tripped) {
              latch_reason = local_reason;
              latch(record_, ts, "DISABLED_BY_GOVERNANCE", latch_reason);
              hold_unshared_locked();
            }
            break;
          case FailureOutcome::Kind::kNotPersisted:
            record_ = std::move(outcome.record);
            persist_error = outcome.error;
            tripped = !outcome.latch_reason.empty();
            if (tripped) {
              latch_reason = outcome.latch_reason;
              hold_unshared_locked();
            }
            break;
          case FailureOutcome::Kind::kStoreUnreadable:
            record_ = std::move(outcome.record);
            unreadable = true;
            persist_error = outcome.error;
            latch_reason =
                outcome.latch_reason.empty()
                    ? fmt::format("state unreadable, treated as disabled: {}", outcome.error)
                    : outcome.latch_reason;
            break;
        }
      }
      if (unreadable) {
        disable_locked(t);
        report(spdlog::level::critical, symbol, "DISABLED_BY_GOVERNANCE", unreadable_reason_,
               fmt::format("governance state ({}) became unreadable, so ML is treated as "
                           "DISABLED (never as enabled): {}; inspect it, then re-enable "
                           "explicitly",
                           where_, persist_error));
        persist_error.clear();  // said above; nothing to retry: the state is garbage
      }
      if (tripped || latched_elsewhere) disable_locked(t);
      if (tripped) {
        report(spdlog::level::critical, symbol, "DISABLED_BY_GOVERNANCE", reason_name,
               fmt::format("ML disabled by governance: {}; re-enable with `mlgov governance "
                           "reenable {} --operator NAME --reason TEXT` after a fix",
                           latch_reason, reenable_hint()),
               details);
      } else {
        report(spdlog::level::err, symbol, "FAILURE_RECORDED", reason_name, message, details);
      }
      if (latched_elsewhere) {
        latch_reason = record_.reason;
        report(spdlog::level::err, "", last_disabling_event(record_), changed_reason_,
               fmt::format("ML disabled through {} (by another engine or an operator): {}", where_,
                           record_.reason));
      }
      if (!persist_error.empty()) {
        if (tripped) {
          report(spdlog::level::critical, symbol, "STATE_NOT_PERSISTED", write_failed_reason_,
                 fmt::format("the governance latch could not be persisted to {}: {}; ML stays "
                             "disabled in this process, the write is retried every second, and "
                             "an engine that cannot write the state at start starts disabled "
                             "(STATE_NOT_WRITABLE)",
                             where_, persist_error));
        } else {
          report(spdlog::level::warn, symbol, "STATE_NOT_PERSISTED", write_failed_reason_,
                 fmt::format("the failure could not be recorded in {}: {}; this process "
                             "counts it in its own view of the window",
                             where_, persist_error));
        }
      }
      t.reason = latch_reason;
    }
    notify(t);
  } catch (...) {
    // Out of memory while recording a failure: the caller's counters still
    // tell the story; the hot path must not throw.
  }
}

// The store's operator path may wait on the network (Redis: a connection and
// several commands): it runs outside mu_, so that a failing prediction, the
// store's deliveries, metrics() and the heartbeat never wait for it.
void Latch::reenable(std::string_view operator_name, std::string_view reason) {
  const auto now = options_.clock->wall_now();
  GovernanceRecord check;
  apply_reenable(check, operator_name, reason, now);  // validates the arguments
  GovernanceRecord stored;
  // Throws: nothing changed, the latch stays. A delivery read before this
  // change is ignored from here on (delivery_superseded()).
  if (options_.store) stored = options_.store->reenable(operator_name, reason, now);
  Transition t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (options_.store) {
      record_ = std::move(stored);
      unavailable_hold_ = false;  // it answered
    } else {
      apply_reenable(record_, operator_name, reason, now);
    }
    unshared_latch_ = false;
    note_operator_change_locked();
    window_.clear();
    t.from = state_.load(std::memory_order_acquire);
    t.to = enabled_state_;
    state_.store(t.to, std::memory_order_release);
    t.reason = record_.reason;
    report(spdlog::level::warn, "", "REENABLED", "OPERATOR",
           fmt::format("{} (state {} -> {})", t.reason, to_string(t.from), to_string(t.to)),
           {{"operator", std::string(operator_name)},
            {"reason", std::string(reason)},
            {"store", store_description_}});
  }
  notify(t);
}

void Latch::disable(std::string_view operator_name, std::string_view reason) {
  const auto now = options_.clock->wall_now();
  GovernanceRecord check;
  apply_operator_disable(check, operator_name, reason, now);  // validates the arguments
  Transition t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t.from = state_.load(std::memory_order_acquire);
    t.to = MlState::kDisabledGovernance;
    // ML goes off in this process first: the operator's switch never waits on
    // the store, and no shared ENABLED delivered meanwhile lifts it.
    state_.store(t.to, std::memory_order_release);
    ++operator_disables_in_flight_;
  }
  GovernanceRecord stored;
  std::string persist_error;
  if (options_.store) {
    try {
      stored = options_.store->disable(operator_name, reason, now);
    } catch (const std::exception& e) {
      try {
        persist_error = e.what();
      } catch (...) {
        persist_error = "unknown error";
      }
    } catch (...) {
      persist_error = "unknown error";
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    --operator_disables_in_flight_;
    // Whatever was delivered meanwhile, this process's switch holds.
    state_.store(MlState::kDisabledGovernance, std::memory_order_release);
    if (options_.store && persist_error.empty()) {
      record_ = std::move(stored);
    } else {
      apply_operator_disable(record_, operator_name, reason, now);
      if (options_.store) hold_unshared_locked();
    }
    t.reason = record_.reason;
    report(spdlog::level::err, "", "DISABLED_BY_OPERATOR", "OPERATOR",
           fmt::format("{} (state {} -> {})", t.reason, to_string(t.from), to_string(t.to)),
           {{"operator", std::string(operator_name)},
            {"reason", std::string(reason)},
            {"store", store_description_}});
    if (!persist_error.empty()) {
      report(spdlog::level::critical, "", "STATE_NOT_PERSISTED", write_failed_reason_,
             fmt::format("the operator's disable could not be persisted to {}: {}; ML is off in "
                         "this process (the file store retries the write every second)",
                         where_, persist_error));
    }
  }
  notify(t);
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
