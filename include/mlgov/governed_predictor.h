// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// GovernedPredictor: the per-cycle predict() of the host engine, under
// sliding-window governance. A feature mismatch fails loudly (an exception or
// a status, never a silent empty result); repeated failures switch ML off by
// themselves (DISABLED_GOVERNANCE, persisted); operators see the state in the
// heartbeat line, the JSON logs and the metrics file.
//
// Typical use:
//   mlgov::Config config = mlgov::load_config("config.yaml");
//   mlgov::FeatureContract contract = mlgov::load_feature_contract(config.contract,
//                                                                  config.paths.contracts_dir);
//   mlgov::PredictorOptions options;
//   options.clock = std::make_shared<mlgov::SystemClock>();
//   mlgov::LoggerOptions log_options;
//   log_options.logs_dir = config.paths.logs_dir;
//   options.logger = mlgov::make_governance_logger(log_options, options.clock);
//   mlgov::GovernedPredictor predictor(config, contract, options);
//   const mlgov::ModelHandle goog = predictor.resolve("GOOG");     // once, at start-up
//   ...each cycle...
//   mlgov::PredictResult r = predictor.try_predict(goog, row);      // noexcept
//   if (r.ok()) use(r.value);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/drift.h"
#include "mlgov/events.h"
#include "mlgov/feature_contract.h"
#include "mlgov/feature_schema.h"
#include "mlgov/governance.h"
#include "mlgov/governance_store.h"
#include "mlgov/metrics.h"
#include "mlgov/ml_state.h"
#include "mlgov/model_handle.h"
#include "mlgov/model_registry.h"

namespace mlgov {

// Result of the noexcept forms (PredictStatus is in ml_state.h). value is
// meaningful only when status is kOk (it is NaN otherwise). Trivially
// copyable.
struct PredictResult {
  PredictStatus status = PredictStatus::kModelError;
  float value = 0.0f;
  bool ok() const noexcept { return status == PredictStatus::kOk; }
};

// Observer the host implements to hook its own alerting (pager, chat). Called
// after the state changed (DISABLED_GOVERNANCE latched, or re-enabled), from
// the thread that caused the change (a predicting thread, the caller of
// reenable()/disable()/heartbeat(), or the predictor's state-file watcher
// thread for a change made by another process), outside the predictor's
// locks. It may read the predictor (state(), metrics(), drift(), even
// heartbeat()); it must not destroy the predictor. Calls from different threads are not ordered
// with respect to each other: read state() for the state now. Must not throw: it is noexcept, so an
// exception escaping it ends the program (std::terminate); nothing catches or logs it. The same
// change is also reported as an event (DISABLED_BY_GOVERNANCE, REENABLED, ...) to the predictor's
// EventSink.
class StateListener {
 public:
  virtual ~StateListener() = default;
  virtual void on_state_change(MlState old_state, MlState new_state,
                               std::string_view reason) noexcept = 0;
};

// Injected dependencies. Every field has a working default. Paths and limits
// come from the Config only (to use another models directory or state file,
// set config.paths.models_dir / config.governance.state_file).
struct PredictorOptions {
  std::shared_ptr<const Clock> clock;  // null: SystemClock
  // Where events and heartbeats go (events.h): make_governance_logger() for a
  // live engine, SpdlogEventSink to hand them to the host's own spdlog logger.
  // null: make_stderr_logger() (WARNING and up, JSON lines on stderr).
  std::shared_ptr<EventSink> logger;
  StateListener* listener = nullptr;  // not owned; must outlive the predictor
  // Governance in this process only: no state file is read, written, locked
  // or watched, so every failure costs no I/O and no latch reaches another
  // process. For offline scoring (`mlgov predict`, a backtest), never for a
  // live engine, whose latch must survive restarts and reach its peers.
  bool in_memory_governance = false;
  // Where the shared latch lives (governance_store.h). null: the store the
  // config names: the state file (config.governance.state_file) for
  // governance.store: file; for governance.store: redis the host must pass
  // one (link mlgov::redis, then
  // mlgov::make_redis_governance_store(config, clock)), else the constructor
  // throws ConfigError saying so. Ignored with in_memory_governance.
  std::shared_ptr<GovernanceStore> governance_store;
};

namespace internal {
struct PredictorDriftAccess;  // benchmarks: drift recording on one predictor
}  // namespace internal

// Threading: resolve(), try_predict(), predict(), predict_batch(), state(),
// has_model(), symbol(), model_info(), metrics() and heartbeat() may be
// called from any number of threads at once without external
// synchronisation. The state is a std::atomic read without a lock; the
// success path takes no lock, makes no system call, allocates nothing, logs
// nothing and throws nothing. Recording a failure takes an internal mutex
// (and allocates, logs, and hands the failure to the governance store: the
// file store updates the state file under its file lock, waiting at most
// 250 ms for another process's lock before this process's own view decides
// and the write is left to its watcher; the Redis store queues it for its
// background thread and never waits on the network).
// reenable() and disable() may also be called concurrently with
// predictions; they wait on the store (Redis: the network) without holding
// the mutex a failing prediction, metrics() or heartbeat() takes. With ML
// enabled by config, the store owns a background thread (the file store:
// stat()s the state file every 200 ms) that takes in changes other
// processes made (a latch, `mlgov governance reenable|disable`) and the
// store's health; heartbeat() checks synchronously too. The destructor
// stops it.
//
// The state file is shared: every engine on it counts the failures of all
// (max_failures inside window_seconds across them latch all), and a latch,
// re-enable or disable written by one reaches the others within a second or
// at their next heartbeat(), without a restart.
class GovernedPredictor {
 public:
  // Builds the predictor. With config.ml_enabled false the state is
  // DISABLED_CONFIG, no model is loaded and the state file is not touched.
  // Otherwise: removes state-file temporaries older than a day (logged),
  // reads the governance state file (read_governance_state_file: a latched
  // file gives DISABLED_GOVERNANCE; a garbage, symlinked or non-regular file
  // is logged at CRITICAL and also gives DISABLED_GOVERNANCE, never ENABLED;
  // a missing one is a WARNING), appends a STARTED history record (creating
  // a missing file; a file that cannot be written gives DISABLED_GOVERNANCE,
  // reason STATE_NOT_WRITABLE, logged at CRITICAL, so that a latch this
  // engine could not persist is never lost by a restart), counts the file's
  // window failures still inside window_seconds (a future time counts),
  // loads the models (ModelRegistry::load), records every refused model as a
  // MODEL_REFUSED governance failure (so enough refusals latch), and starts
  // ENABLED|DEGRADED when a model is legacy, stale or refused, ENABLED|OK
  // otherwise. Throws ConfigError when contract.name() != config.contract,
  // ModelError when models_dir is missing or unreadable.
  GovernedPredictor(const Config& config, const FeatureContract& contract,
                    PredictorOptions options = {});
  ~GovernedPredictor();
  GovernedPredictor(const GovernedPredictor&) = delete;
  GovernedPredictor& operator=(const GovernedPredictor&) = delete;

  // One form per need, by handle (resolve() once at start-up). The naming
  // rule of the library: try_<verb> is the noexcept form returning a status,
  // <verb> the throwing form. The symbol forms below are conveniences over
  // resolve() (one hash lookup more per call).

  // The handle of `symbol`'s model. A symbol without a model gives an
  // invalid handle (valid() false), not an error: the predictions then answer
  // kNoModel. (A handle rather than std::optional<ModelHandle>: `*resolve(s)`
  // on an empty optional would be undefined behaviour; an invalid handle is
  // not.) With ML disabled by config no model is loaded, so every handle is
  // invalid, and the predictions answer kMlDisabled all the same (the state
  // is checked first): a host written for ML on runs unchanged. Handles stay
  // valid for this predictor's lifetime (the registry never changes after
  // construction; reenable() keeps them). Lock-free, no allocation.
  ModelHandle resolve(std::string_view symbol) const noexcept;

  // The noexcept core. Checks, in this order: ML enabled by config
  // (kMlDisabled); not latched (kGovernanceDisabled, no model touched);
  // FeatureRow{} (kInsufficientHistory); `model` names a model of this
  // predictor (kNoModel: invalid, or another predictor's handle); row.schema
  // has the model's fingerprint (kFeatureMismatch; the name-by-name diff is
  // computed only then); row.values.size() == n_features
  // (kWrongFeatureCount); every value finite (kNonFiniteFeature); then
  // evaluates (kModelError on failure or a non-finite output). Failures
  // (mismatch, count, non-finite, model error) are recorded in the window,
  // logged as one JSON event naming the handle's symbol and counted; the
  // max_failures-th inside the window latches DISABLED_GOVERNANCE. Blocked
  // calls are counted.
  PredictResult try_predict(ModelHandle model, const FeatureRow& row) noexcept;

  // The throwing face of try_predict (same checks, same recording). Returns
  // the prediction; throws MlDisabledError, GovernanceDisabledError,
  // NoModelError (a ModelError: "invalid model handle: ..."), ModelError
  // (model failure), ModelFeatureMismatchError (mismatch, wrong count;
  // carries the full difference), DataError (non-finite value, naming the
  // feature; also for FeatureRow{}, "no feature row yet"). Messages name the
  // handle's symbol.
  float predict(ModelHandle model, const FeatureRow& row) {
    const PredictResult r = try_predict(model, row);
    if (r.ok()) return r.value;
    throw_failure(r, model, nullptr, row);
  }

  // One cycle: out[i] = try_predict(models[i], rows[i]), but the state is
  // read once per batch and the success counter bumped once per batch.
  // Returns the number of kOk results. Unequal span lengths: nothing is
  // evaluated or recorded, every out[i] is kSpanLengthMismatch, 0 is
  // returned. A failure in the batch that latches DISABLED_GOVERNANCE
  // refuses the remaining rows (kGovernanceDisabled, counted as blocked
  // calls); a latch tripped by another thread during the batch takes effect
  // at the batch's next own failure (the state is read again then) or else
  // from the next batch, and rows evaluated meanwhile are recorded as usual.
  // metrics().predictions includes the batch once it returns. noexcept;
  // allocates nothing on the success path.
  std::size_t predict_batch(std::span<const ModelHandle> models, std::span<const FeatureRow> rows,
                            std::span<PredictResult> out) noexcept;

  // Conveniences: try_predict(resolve(symbol), row), so the same checks, the
  // same order and the same recording.
  PredictResult try_predict(std::string_view symbol, const FeatureRow& row) noexcept {
    return try_predict(resolve(symbol), row);
  }
  // predict(resolve(symbol), row), but the messages name `symbol` (JSON-quoted
  // when it is not a valid symbol), and a symbol without a model throws
  // NoModelError "SYMBOL: no model loaded for this symbol" (saying why when
  // its model was refused at load).
  float predict(std::string_view symbol, const FeatureRow& row) {
    const ModelHandle model = resolve(symbol);
    const PredictResult r = try_predict(model, row);
    if (r.ok()) return r.value;
    throw_failure(r, model, &symbol, row);
  }

  // True when `model` names a model of this predictor (resolved here, for a
  // symbol with a model; for a symbol: has_model(resolve(symbol))).
  // Lock-free, no allocation.
  bool has_model(ModelHandle model) const noexcept;

  // The symbol `model` was resolved for, or "" when it names no model of
  // this predictor. The view lives as long as the predictor.
  std::string_view symbol(ModelHandle model) const noexcept;

  // The current state. Lock-free (one atomic load).
  MlState state() const noexcept;

  // Clears the governance latch and the failure window, records the
  // operator's audit entry in the state file (history, under the file lock)
  // and logs it as a REENABLED event. The state becomes ENABLED|DEGRADED or
  // ENABLED|OK by the models, and the listener is told; other engines on the
  // file follow within a second. Throws std::invalid_argument for a blank
  // operator or reason, MlDisabledError when ML is disabled by config,
  // std::system_error when the state file cannot be locked or written (the
  // latch then stays). Works when the state file was garbage (it is
  // rewritten, noting that the old content was unreadable).
  void reenable(std::string_view operator_name, std::string_view reason);

  // The operator's kill switch: DISABLED_GOVERNANCE at once in this process,
  // a DISABLED_BY_OPERATOR history entry in the state file (reason
  // "disabled by operator NAME: TEXT"; an existing latch keeps its reason),
  // an ERROR event DISABLED_BY_OPERATOR, the listener told; other engines on
  // the file follow within a second. Throws std::invalid_argument for a blank
  // operator or reason (nothing changes), MlDisabledError when ML is disabled
  // by config. When the file cannot be written, ML stays off here, a
  // STATE_NOT_PERSISTED event is logged and the write is retried every
  // second.
  void disable(std::string_view operator_name, std::string_view reason);

  // Takes in any change another process made to the state file (so the
  // record shows it), builds the HeartbeatRecord (time from the injected
  // clock; ml_state and model_errors from the predictor), hands it once to
  // the EventSink (on_heartbeat) and returns its line (format_heartbeat_line):
  //   [HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED |
  //   ml_state=DISABLED_GOVERNANCE | model_errors=574
  // (one line). With make_governance_logger, live.jsonl receives the JSON
  // record (format_heartbeat_json); the console leaves heartbeats out,
  // because printing the returned line is the host's job: a host that prints
  // it shows each heartbeat exactly once.
  // Also records the time, the cycles and host_halted for metrics().
  // With drift watched (drift.enabled, models with feature_stats), first
  // judges the drift windows (DriftMonitor::evaluate): each change of
  // judgement is an event (DRIFT_WARNING, DRIFT_ALERT, DRIFT_ALERT_CLEARED,
  // DRIFT_CLEARED, on the EventSink); while a feature is in alert the state
  // is ENABLED|DEGRADED (the listener is told); with
  // drift.alert_counts_as_failure an evaluation with a feature at or above
  // an alert threshold records one governance failure (DRIFT_ALERT), so a
  // persistent alert latches like repeated mismatches; the record carries
  // the worst PSI and the counts of features in warning and in alert.
  // That judgement bins the rows recorded since the last heartbeat and
  // counts the windows (about 7 ms for 225 models at the defaults, README
  // "Drift"): call it after the cycle's orders are out or from a thread of
  // its own.
  std::string heartbeat(std::chrono::seconds uptime, std::uint64_t symbols, std::uint64_t cycles,
                        bool host_halted = false);

  // The drift figures now (drift.h): the pooled window's per-feature PSI,
  // the 10 bin shares, out-of-range and stale shares, the top symbols, each
  // model's own window; the levels as of the last heartbeat's evaluation.
  // Empty (no features) when drift.enabled is false or ML is disabled by
  // config. Allocates; the predicting threads are never blocked by it.
  DriftSnapshot drift() const;

  // A consistent-enough snapshot of the counters (each counter is read
  // atomically; last_error under the failure mutex), with the build info and
  // the last heartbeat's host state, cycles and time.
  MetricsSnapshot metrics() const;

  // Writes metrics() in the Prometheus text format to `file`, atomically.
  // Throws std::system_error naming the file.
  void write_metrics(const std::filesystem::path& file) const;

  // The model's description (backend, legacy/stale, degraded reason), or
  // nullopt.
  std::optional<ModelInfo> model_info(std::string_view symbol) const;
  // All loaded models and all refused ones: see registry() below.

  // Failures recorded since start (the heartbeat's model_errors).
  std::uint64_t model_errors() const noexcept;
  // The state file in use.
  const std::filesystem::path& state_file() const noexcept;
  const FeatureContract& contract() const noexcept;
  const ModelRegistry& registry() const noexcept;

 private:
  // The throwing forms' exception for a non-kOk result (failure path only).
  // `symbol` is the symbol form's argument, or nullptr for the handle form.
  [[noreturn]] void throw_failure(const PredictResult& result, ModelHandle model,
                                  const std::string_view* symbol, const FeatureRow& row) const;

  friend struct internal::PredictorDriftAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlgov
