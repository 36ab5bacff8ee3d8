// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The governance latch of one predictor: the in-process state
// (ENABLED|..., DISABLED_GOVERNANCE), this process's sliding failure window,
// the events on the sink and the host's listener. Everything shared (the
// shared window, the latch other engines see, the audit trail) is the
// GovernanceStore's (governance_store.h): the latch talks to nothing else.
//
// What the latch does with what a store answers (the rules every store
// implementation can count on):
//   - a failure the store decides at once (the file store: kCounted,
//     kTripped, kAlreadyLatched) is applied as decided; kNotPersisted: the
//     store's in-memory view decided (its latch_reason says whether it
//     tripped); kStoreUnreadable: disabled, CRITICAL;
//   - a failure the store queues (Redis: kQueued) latches LOCALLY at once
//     when this process's window holds max_failures; the fleet's decision
//     arrives later through on_shared_change. A latch held locally and not
//     yet seen in the shared record (also an operator's disable the store
//     could not take) is not lifted by a shared record saying ENABLED,
//     only by a shared record saying DISABLED (it then holds it), by this
//     process's re-enable, or by a shared record saying ENABLED whose newest
//     change is an operator's REENABLED stamped after the local latch was
//     taken (`mlgov governance reenable` from anywhere). A new operator
//     re-enable in a delivered record also re-seeds this process's window
//     from the shared one;
//   - health: kDegraded keeps the last known state (WARNING); kUnavailable
//     (and open() throwing StoreUnavailableError) makes ML
//     DISABLED_GOVERNANCE with reason STORE_UNAVAILABLE (CRITICAL), unless
//     unavailable_runs_local (governance.redis.on_unavailable: local): then
//     the local window alone decides (WARNING); kOk again re-applies the
//     shared record: re-enables only when it says ENABLED and no local latch
//     is held. open() throwing still leads to start(), so the store
//     reconnects in the background;
//   - garbage (GovernanceStateError from open(), on_store_unreadable,
//     kStoreUnreadable): DISABLED_GOVERNANCE, loudly (CRITICAL), never
//     enabled by it; a valid shared record delivered later rules again.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <nlohmann/json.hpp>

#include "mlgov/clock.h"
#include "mlgov/events.h"
#include "mlgov/governance.h"
#include "mlgov/governance_store.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/ml_state.h"

namespace mlgov::internal {

struct LatchOptions {
  std::shared_ptr<const Clock> clock;  // not null
  std::shared_ptr<EventSink> sink;     // not null
  StateListener* listener = nullptr;   // not owned
  // The shared state. null: this process only (in_memory_governance).
  std::shared_ptr<GovernanceStore> store;
  // governance.redis.on_unavailable: local: an unavailable store leaves ML
  // on this process's window (WARNING) instead of disabling it.
  bool unavailable_runs_local = false;
  int max_failures = 3;
  double window_seconds = 300.0;
  std::string model;  // the contract name, for the events
};

// Threading: state() and store_health() are atomic loads, callable from any
// thread at any time. Every other member takes the internal mutex;
// record_failure calls the store under it (it waits at most what the store's
// record_failure waits: the file store 250 ms for another process's lock, a
// queuing store not at all); reenable and disable call the store outside it
// (the operator's path may wait on the network), so nothing waits for them;
// the listener is called outside it. The store's own threads call the GovernanceStoreObserver
// members, which take the same mutex.
class Latch final : public GovernanceStoreObserver {
 public:
  explicit Latch(LatchOptions options);
  ~Latch() override;
  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;

  // ML disabled by config: DISABLED_CONFIG, the store never touched.
  void disable_by_config() noexcept;

  // At start, before the models are loaded: opens the store (it appends the
  // STARTED history record), starts its background delivery (even when
  // open() threw: the store then reconnects on its own), refills this
  // process's window from the shared one. Returns true when ML must start
  // DISABLED_GOVERNANCE (latched, garbage, unwritable, unavailable). Every
  // finding is reported as an event.
  bool open();

  // Once the models are loaded: the state becomes DISABLED_GOVERNANCE when
  // `latched` (or what the store delivered meanwhile says so), else
  // `enabled_state` (ENABLED|OK or ENABLED|DEGRADED by the models), which is
  // also the state a re-enable returns to.
  void start(bool latched, MlState enabled_state) noexcept;

  // Drift (the only drift hook in the latch): sets the enabled state, the
  // state ML runs in while not disabled: ENABLED|DEGRADED while a drift
  // alert lasts, the models' own state once it clears. Applied at once when
  // ML is enabled (the listener is told of a change, with `reason`); while
  // ML is disabled it is the state a re-enable returns to.
  void set_enabled_state(MlState enabled_state, std::string_view reason) noexcept;

  // The first look at the store after start (poll()), on the calling thread.
  void start_watching();

  MlState state() const noexcept { return state_.load(std::memory_order_acquire); }
  StoreHealth store_health() const noexcept { return health_.load(std::memory_order_acquire); }
  // The store's describe(), or "in-memory" without a store.
  const std::string& store_description() const noexcept { return store_description_; }

  // Records one governance failure: this process's window, the store (see
  // the rules at the top of this file), the event (FAILURE_RECORDED, or
  // DISABLED_BY_GOVERNANCE for the failure that trips the latch, with
  // `details`), and the latch. Never throws.
  void record_failure(std::string_view symbol, std::string_view reason, std::string message,
                      const nlohmann::json& details) noexcept;

  // GovernedPredictor::reenable and ::disable (see governed_predictor.h),
  // without the DISABLED_CONFIG check.
  void reenable(std::string_view operator_name, std::string_view reason);
  void disable(std::string_view operator_name, std::string_view reason);

  // Takes in a change another process made (the store's poll()). Never throws.
  void sync() noexcept;

  // Failures of this process inside the window now, and the last failure's
  // message.
  std::size_t failures_in_window() const;
  std::string last_error() const;

  // Reports an event stamped now with the current state (none before
  // start() or disable_by_config()).
  void report(spdlog::level::level_enum level, std::string_view symbol, std::string_view status,
              std::string_view reason, std::string message,
              nlohmann::json details = nlohmann::json::object()) const;

  // GovernanceStoreObserver (called by the store's threads).
  void on_shared_change(const GovernanceRecord& record) noexcept override;
  void on_health_change(StoreHealth health, std::string_view message) noexcept override;
  void on_store_event(spdlog::level::level_enum level, std::string_view status,
                      std::string_view reason, std::string message) noexcept override;
  void on_store_unreadable(std::string_view message) noexcept override;

 private:
  // A state transition decided under mu_, told to the listener after it.
  struct Transition {
    MlState from{};
    MlState to{};
    std::string reason;
  };

  void seed_window() noexcept;
  bool blocked() const noexcept;
  bool holds_locally() const noexcept {
    return unshared_latch_ || unavailable_hold_ || operator_disables_in_flight_ > 0;
  }
  void disable_locked(Transition& t) noexcept;
  void hold_unshared_locked() noexcept;
  void note_operator_change_locked();
  void apply_shared_locked(Transition& t, std::string_view cause);
  void apply_unreadable_locked(Transition& t, std::string_view message);
  void notify(const Transition& t) const noexcept;
  std::string reenable_hint() const;

  LatchOptions options_;
  std::chrono::nanoseconds window_length_;
  std::string store_description_;
  std::string where_;  // for messages: the path for the file store, else store_description_
  // The event reasons of this store's kind ("STATE_FILE_..." for the file).
  std::string unreadable_reason_;
  std::string changed_reason_;
  std::string write_failed_reason_;
  std::string failure_id_prefix_;  // "<host>:<pid>:<start ns>:"
  std::atomic<MlState> state_{MlState::kDisabledConfig};
  std::atomic<bool> started_{false};  // state_ is meaningful (events carry it from then on)
  std::atomic<StoreHealth> health_{StoreHealth::kOk};
  MlState enabled_state_ = MlState::kEnabledOk;

  mutable std::mutex mu_;    // guards everything below, and state transitions
  FailureWindow window_;     // this process's failures (steady clock)
  GovernanceRecord record_;  // the shared record as last known
  std::string last_error_;
  std::uint64_t failure_seq_ = 0;
  // A latch this process holds that the shared record does not show yet (a
  // queued failure that tripped the local window, an unwritten disable).
  bool unshared_latch_ = false;
  std::chrono::system_clock::time_point unshared_latch_at_{};  // when it was last taken
  // The ts of the newest operator re-enable applied (the shared record's
  // history): a newer one lifts an unshared latch taken before it.
  std::string last_reenable_seen_;
  // The store is unavailable beyond grace (and ML follows it: not "local").
  bool unavailable_hold_ = false;
  // Operator disables applied here whose store call has not returned yet.
  int operator_disables_in_flight_ = 0;
  // Delivered before start(): applied by start().
  bool pending_shared_ = false;
  std::string pending_unreadable_;
  bool open_unavailable_ = false;  // open() threw StoreUnavailableError
};

}  // namespace mlgov::internal
