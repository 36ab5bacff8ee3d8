// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The governance latch of one predictor: the sliding failure window, the
// recording of a failure, the state (ENABLED|..., DISABLED_GOVERNANCE), its
// persistence through the shared state file (read at start, written under
// the file lock at every failure, watched for other processes' changes) and
// the notification of the host's listener. Reports every transition as a
// GovernanceEvent on the sink.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <spdlog/common.h>
#include <nlohmann/json.hpp>

#include "mlgov/clock.h"
#include "mlgov/events.h"
#include "mlgov/governance.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/ml_state.h"

namespace mlgov::internal {

struct LatchOptions {
  std::shared_ptr<const Clock> clock;  // not null
  std::shared_ptr<EventSink> sink;     // not null
  StateListener* listener = nullptr;   // not owned
  std::filesystem::path state_file;
  bool in_memory = false;  // no state file at all (PredictorOptions::in_memory_governance)
  int max_failures = 3;
  double window_seconds = 300.0;
  std::string model;  // the contract name, for the events
};

// Threading: state() is one atomic load, callable from any thread at any
// time. Every other member takes the internal mutex (record_failure waits at
// most 250 ms for another process's file lock); the listener is called
// outside it. The watcher thread (start_watching) calls sync() every 200 ms
// until destruction.
class Latch {
 public:
  explicit Latch(LatchOptions options);
  ~Latch();
  Latch(const Latch&) = delete;
  Latch& operator=(const Latch&) = delete;

  // ML disabled by config: DISABLED_CONFIG, the state file never touched.
  void disable_by_config() noexcept;

  // At start, before the models are loaded: removes stale state-file
  // temporaries, reads the state file (latched, garbage or unwritable: true),
  // appends the STARTED history record and refills the window from the
  // file's. Returns true when ML must start DISABLED_GOVERNANCE. Every
  // finding is reported as an event.
  bool open();

  // Once the models are loaded: the state becomes DISABLED_GOVERNANCE when
  // `latched`, else `enabled_state` (ENABLED|OK or ENABLED|DEGRADED by the
  // models), which is also the state a re-enable returns to.
  void start(bool latched, MlState enabled_state) noexcept;

  // Drift (the only drift hook in the latch): sets the enabled state, the
  // state ML runs in while not disabled: ENABLED|DEGRADED while a drift
  // alert lasts, the models' own state once it clears. Applied at once when
  // ML is enabled (the listener is told of a change, with `reason`); while
  // ML is disabled it is the state a re-enable returns to.
  void set_enabled_state(MlState enabled_state, std::string_view reason) noexcept;

  // Starts the watcher thread (not with in_memory).
  void start_watching();

  MlState state() const noexcept { return state_.load(std::memory_order_acquire); }

  // Records one governance failure: this process's window, the shared window
  // of the state file (under its lock, merged with what other engines
  // wrote), the event (FAILURE_RECORDED, or DISABLED_BY_GOVERNANCE for the
  // failure that trips the latch, with `details`), and the latch when the
  // shared window holds max_failures. When the file cannot be written, this
  // process's own window decides and the latch is kept in memory (retried at
  // every sync). Never throws.
  void record_failure(std::string_view symbol, std::string_view reason, std::string message,
                      const nlohmann::json& details) noexcept;

  // GovernedPredictor::reenable and ::disable (see governed_predictor.h),
  // without the DISABLED_CONFIG check.
  void reenable(std::string_view operator_name, std::string_view reason);
  void disable(std::string_view operator_name, std::string_view reason);

  // Takes in a change another process made to the state file. Never throws.
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

 private:
  // What stat() said of the state file when it was last read or written here:
  // a different stamp means another process (or the CLI) changed it.
  struct FileStamp {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    long long mtime_ns = 0;
    long long ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp reread_stamp() noexcept;
  static FileStamp stamp_of(const std::filesystem::path& file) noexcept;
  static void latch(GovernanceRecord& r, const std::string& ts, const std::string& event,
                    const std::string& reason);

  void seed_window() noexcept;
  void retry_unpersisted_latch() noexcept;
  void notify(MlState old_state, MlState new_state, std::string_view reason) const noexcept;
  void stop_watching() noexcept;

  LatchOptions options_;
  std::chrono::nanoseconds window_length_;
  std::atomic<MlState> state_{MlState::kDisabledConfig};
  std::atomic<bool> started_{false};  // state_ is meaningful (events carry it from then on)
  MlState enabled_state_ = MlState::kEnabledOk;

  mutable std::mutex mu_;    // guards everything below up to the watcher, and state transitions
  FailureWindow window_;     // this process's failures (steady clock): metrics, and the fallback
  GovernanceRecord record_;  // the state file as last read or written
  std::string last_error_;
  FileStamp seen_;
  // A latch this process holds but could not write (read-only directory,
  // disk full): "event" and "reason" of the history entry, retried at every
  // sync until written. While set, the file cannot re-enable this process.
  std::optional<std::pair<std::string, std::string>> unpersisted_latch_;
  bool unreadable_reported_ = false;

  std::thread watcher_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;  // guarded by watch_mu_
};

}  // namespace mlgov::internal
