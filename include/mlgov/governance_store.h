// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// GovernanceStore: where the shared governance latch lives. Every engine
// configured on the same store (the same state file, or the same Redis scope)
// shares one failure window, one latch and one audit trail.
//
// Two implementations:
//   - the locked state file (governance.store: file, the default; no server):
//     make_file_governance_store(), in mlgov::mlgov;
//   - Redis (governance.store: redis), in its own target mlgov::redis
//     (mlgov/redis_governance_store.h), so that an engine which does not use
//     Redis does not link hiredis.
//
// The predictor's latch (GovernedPredictor) drives a store: it opens it at
// start, pushes every governance failure to it, applies what the store
// reports back (another engine's latch, an operator's disable or re-enable,
// the store's health) and forwards the operator's actions. The hot path never
// calls a store: predictions read the predictor's in-process state only.
//
// What the latch does with what a store reports (every implementation can
// count on these rules; src/governance/latch.h applies them):
//   - record_failure answered at once (kCounted, kTripped, kAlreadyLatched:
//     the file store) is applied as decided. kNotPersisted: the store's
//     in-memory view decided (latch_reason set: it tripped, and the store
//     holds the latch until it can write it). kStoreUnreadable: disabled,
//     CRITICAL.
//   - kQueued (Redis: pushed by a background thread): the failure latches
//     LOCALLY at once when the predictor's own window holds max_failures;
//     the fleet's decision arrives through on_shared_change. A latch held
//     locally that the shared record does not show yet is never lifted by a
//     shared record saying ENABLED; only by one saying DISABLED (which then
//     holds it) or by the operator's re-enable.
//   - Health: the store tracks its own grace period (governance.redis.
//     grace_seconds) and reports on_health_change. kDegraded (lost, inside
//     grace): the last known state is kept (WARNING). kUnavailable (beyond
//     grace): ML DISABLED_GOVERNANCE, reason STORE_UNAVAILABLE (CRITICAL),
//     unless governance.redis.on_unavailable: local (the local window
//     alone decides, WARNING). kOk again: the shared record is applied
//     again: ML re-enabled only when it says ENABLED and no local latch is
//     held. The heartbeat says state=DEGRADED while the health is not kOk.
//   - open() throwing StoreUnavailableError: as kUnavailable (ML starts
//     DISABLED_GOVERNANCE, reason STORE_UNAVAILABLE, or local with a
//     WARNING); start() is still called, so the store reconnects with
//     backoff in the background and then reports kOk and the shared record.
//   - Garbage (open() or read() throwing GovernanceStateError,
//     on_store_unreadable, kStoreUnreadable): DISABLED_GOVERNANCE, loudly
//     (CRITICAL), never enabled by it; a valid shared record delivered later
//     rules again.
//   - Other exceptions from open() (cannot write): DISABLED_GOVERNANCE,
//     reason STATE_NOT_WRITABLE, until the store delivers a latched record
//     (it wrote the latch) and an operator re-enables.
//   - disable() throwing: ML stays off in this process (a local latch, as
//     above) and the error is reported at CRITICAL.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/common.h>

#include "mlgov/clock.h"
#include "mlgov/errors.h"
#include "mlgov/governance.h"

namespace mlgov {

// The store cannot be reached (connect or command timeout, connection
// refused, lost connection). The message names the store (URL and scope,
// never a password) and the cause.
class StoreUnavailableError : public Error {
 public:
  using Error::Error;
};

// Whether the store is serving. kOk: reachable and in sync. kDegraded:
// unreachable, running on the last known state inside its grace period (or
// on the local latch, by configuration). kUnavailable: unreachable beyond
// grace: the latch treats ML as disabled until it is back.
enum class StoreHealth { kOk, kDegraded, kUnavailable };

std::string_view to_string(StoreHealth health) noexcept;

// The rule of the shared window (governance.max_failures, window_seconds).
struct FailureRule {
  int max_failures = 3;
  std::chrono::nanoseconds window{std::chrono::seconds(300)};
};

// One governance failure as handed to a store. `id` is unique per failure
// (the latch builds "<host>:<pid>:<start ns>:<seq>"), so a store that is
// handed the same failure twice (a retry after a reconnect) counts it once.
struct StoreFailure {
  std::string id;
  FailureRecord failure;  // ts is the engine's wall clock (Redis uses its own for the window)
};

// What a store did with a failure when it decided at once (the file store).
// A store that decides later (Redis: on the server, from a background
// thread) answers kQueued, and the outcome arrives through
// GovernanceStoreObserver::on_shared_change.
struct FailureOutcome {
  enum class Kind {
    kCounted,          // in the shared window, below the limit
    kTripped,          // this failure latched the scope
    kAlreadyLatched,   // the scope was latched already (by another engine or an operator)
    kQueued,           // handed to a background thread; decided later
    kNotPersisted,     // could not be written (error says why): the caller's own window decides
    kStoreUnreadable,  // the store holds garbage: treat as disabled (error says why)
  };
  Kind kind = Kind::kQueued;
  GovernanceRecord record;   // the shared record after the change (kCounted..kAlreadyLatched)
  std::string latch_reason;  // kTripped: the reason written with the latch
  std::string error;         // kNotPersisted, kStoreUnreadable
};

// Receives what a store learns in the background. The store calls it from
// its own threads, never while holding a lock the observer's calls into the
// store would need; implementations must not block for long.
class GovernanceStoreObserver {
 public:
  virtual ~GovernanceStoreObserver() = default;
  // The shared record changed (a latch by any engine, an operator's disable or
  // re-enable, a window the fleet filled). `record` is the whole shared state
  // as the store now holds it (its history may be only the latest entries).
  virtual void on_shared_change(const GovernanceRecord& record) noexcept = 0;
  // The store's health changed; `message` says why (names the store and the
  // cause, never a password).
  virtual void on_health_change(StoreHealth health, std::string_view message) noexcept = 0;
  // A finding worth an event (a garbage value, a stale temporary removed, a
  // reconnect, pushed backlog...): the latch reports it on the EventSink.
  virtual void on_store_event(spdlog::level::level_enum level, std::string_view status,
                              std::string_view reason, std::string message) noexcept = 0;
  // The store found garbage under its keys or in its file (a value that does
  // not parse, an unknown state) while running: the latch treats ML as
  // DISABLED_GOVERNANCE, loudly (CRITICAL), never as enabled, until the store
  // delivers a valid record again (on_shared_change). `message` names the
  // store, the key or field and the rule broken. Default: ignored (an
  // observer that does not govern, e.g. a test's).
  virtual void on_store_unreadable(std::string_view message) noexcept { (void)message; }
};

// Threading: every member may be called from any thread; implementations
// synchronise internally. record_failure may be called on a predicting
// thread: it must not wait on a network (the file store waits at most 250 ms
// for another process's file lock).
class GovernanceStore {
 public:
  virtual ~GovernanceStore() = default;

  // "file runtime/governance_state.json" or "redis redis://host:6379/0 scope
  // desk-a": for messages and the heartbeat (never a password).
  virtual std::string describe() const = 0;

  // At engine start: reads the shared state and appends a STARTED history
  // record saying `started_by` (e.g. "pid 4242 on host-a"). Returns the
  // shared record. Throws GovernanceStateError when the store holds garbage
  // (the caller starts DISABLED_GOVERNANCE, loudly), StoreUnavailableError
  // when it cannot be reached, std::system_error when it cannot be written
  // (the file store then keeps a STATE_NOT_WRITABLE latch in memory and
  // writes it once it can). Findings worth an event made here are reported
  // through the observer once start() gives it (the file store: a stale
  // temporary removed, a missing file, loose permissions).
  virtual GovernanceRecord open(std::string_view started_by) = 0;

  // Starts delivering changes to `observer` (not owned; must outlive stop())
  // from a background thread. Called once, right after open() (also when
  // open() threw), before the predictor has loaded its models: the
  // observer takes in what arrives meanwhile.
  virtual void start(GovernanceStoreObserver* observer) = 0;

  // Stops the background threads. Idempotent; the destructor calls it.
  virtual void stop() noexcept = 0;

  // Records one failure in the shared window under `rule`. Never throws.
  virtual FailureOutcome record_failure(const StoreFailure& failure,
                                        const FailureRule& rule) noexcept = 0;

  // The operator's re-enable and disable (apply_reenable and
  // apply_operator_disable, on the shared state): blocking. Return the shared
  // record after the change. Throw std::invalid_argument for a blank operator
  // or reason, StoreUnavailableError / std::system_error when the change
  // cannot be made (nothing changed then; except that the file store keeps
  // an unwritten disable in memory and writes it once it can).
  virtual GovernanceRecord reenable(std::string_view operator_name, std::string_view reason,
                                    std::chrono::system_clock::time_point now) = 0;
  virtual GovernanceRecord disable(std::string_view operator_name, std::string_view reason,
                                   std::chrono::system_clock::time_point now) = 0;

  // The shared record as the store holds it now (`mlgov governance status`).
  // Throws GovernanceStateError for garbage, StoreUnavailableError when it
  // cannot be reached.
  virtual GovernanceRecord read() = 0;

  // Takes in a change without waiting for the background thread (the
  // predictor's heartbeat() calls it). Never throws.
  virtual void poll() noexcept = 0;

  // Asked by the observer from inside on_shared_change (on the store's
  // delivering thread, with the observer's own lock held): true when a
  // change made through this store's blocking calls (record_failure,
  // reenable, disable) completed after the record being delivered was read,
  // so that record is older than what the observer already applied and must
  // be ignored (the store delivers the newer one next). Default: false (a
  // store whose deliveries are ordered with its blocking calls).
  virtual bool delivery_superseded() const noexcept { return false; }
};

// The locked state file (governance.h) as a store: the default. `clock` stamps
// the records it writes.
std::shared_ptr<GovernanceStore> make_file_governance_store(std::filesystem::path state_file,
                                                            std::shared_ptr<const Clock> clock);

}  // namespace mlgov
