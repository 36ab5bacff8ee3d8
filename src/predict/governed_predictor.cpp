// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/governed_predictor.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "governance/latch.h"
#include "mlgov/atomic_file.h"
#include "mlgov/drift.h"
#include "mlgov/errors.h"
#include "mlgov/heartbeat.h"
#include "mlgov/logging.h"
#include "mlgov/version.h"
#include "model/model_backend.h"
#include "predict/failure_report.h"
#include "predict/predictor_drift_access.h"
#include "predict/row_checks.h"

namespace mlgov {
namespace {

using internal::blocked_status;
using internal::check_row;
using internal::is_blocked;
using internal::is_no_row;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The header promises lock-free state reads and counters.
static_assert(std::atomic<MlState>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// A predictor's identity for its model handles: random, never 0, so a handle
// resolved by another predictor (even one built later at the same address)
// names no model here. The steady clock's nanoseconds are mixed in, so that
// two predictors differ even without an entropy source.
std::uint64_t draw_identity(const void* self) noexcept {
  std::uint64_t id = 0;
  try {
    std::random_device rd;
    id = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  } catch (...) {
    // No entropy source: the address and the clock below still differ.
  }
  id ^= static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(self)) * 0x9E3779B97F4A7C15ull;
  id ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) *
        0xC2B2AE3D27D4EB4Full;
  return id == 0 ? 1 : id;
}

// How a handle that names no model shows in exception messages.
constexpr std::string_view kInvalidHandleLabel = "invalid model handle";

}  // namespace

struct GovernedPredictor::Impl {
  Impl(const Config& cfg, const FeatureContract& c, PredictorOptions& options)
      : config(cfg),
        contract(c),
        clock(options.clock ? std::move(options.clock) : std::make_shared<SystemClock>()),
        logger(options.logger ? std::move(options.logger) : make_stderr_logger()),
        state_file(cfg.governance.state_file),
        in_memory(options.in_memory_governance),
        latch(internal::LatchOptions{
            clock, logger, options.listener,
            in_memory ? nullptr : std::move(options.governance_store),
            cfg.governance.store == GovernanceConfig::Store::kRedis &&
                cfg.governance.redis.on_unavailable == RedisStoreConfig::OnUnavailable::kLocal,
            cfg.governance.max_failures, cfg.governance.window_seconds, c.name()}) {}

  Config config;
  FeatureContract contract;
  const FeatureSchema* schema = nullptr;  // contract.schema().get()
  std::shared_ptr<const Clock> clock;
  std::shared_ptr<EventSink> logger;
  std::filesystem::path state_file;
  bool in_memory;          // PredictorOptions::in_memory_governance: no state file at all
  ModelRegistry registry;  // assigned once in the constructor, never changed after
  std::uint64_t id = draw_identity(this);  // the owner of this predictor's ModelHandles

  // What the hot path reads of each model, packed in registry order (a
  // handle's index is also an index here): the records themselves (strings,
  // paths, metadata) are touched only on the failure path.
  struct HotModel {
    internal::ModelBackend* backend;
    std::size_t n_features;
    const LoadedModel* record;
  };
  std::vector<HotModel> hot;  // built once with the registry, never changed after

  std::atomic<std::uint64_t> predictions{0};
  std::atomic<std::uint64_t> blocked{0};
  std::atomic<std::uint64_t> model_errors{0};
  std::array<std::atomic<std::uint64_t>, kPredictStatusCount> by_reason{};  // failures and skips
  // The last heartbeat, for the metrics (wall time 0 = none yet).
  std::atomic<std::int64_t> heartbeat_wall_ms{0};
  std::atomic<std::uint64_t> heartbeat_cycles{0};
  std::atomic<bool> heartbeat_host_halted{false};

  // --- Drift (drift.h) ---------------------------------------------------
  // Fed by every accepted row on the hot path (lock-free, no allocation);
  // judged at heartbeat() under drift_mu. Null when drift.enabled is false
  // or ML is disabled by config.
  std::unique_ptr<DriftMonitor> drift;
  // Benchmarks only (predictor_drift_access.h): false skips recording.
  std::atomic<bool> drift_recording{true};
  std::mutex drift_mu;          // evaluate() and what follows from it
  bool drift_in_alert = false;  // guarded by drift_mu
  // The last evaluation's summary, for metrics().
  std::atomic<double> drift_worst_psi{0.0};
  std::atomic<std::uint64_t> drift_features_warning{0};
  std::atomic<std::uint64_t> drift_features_alert{0};
  // --- end of drift --------------------------------------------------------

  // The window, the state, the state file and the listener; declared last
  // so that its watcher thread stops before anything above is destroyed.
  internal::Latch latch;

  MlState enabled_state() const noexcept {
    return registry.degraded_count() > 0 || !registry.refused().empty() ? MlState::kEnabledDegraded
                                                                        : MlState::kEnabledOk;
  }

  void event(spdlog::level::level_enum level, std::string_view status, std::string_view reason,
             std::string message) const {
    latch.report(level, "", status, reason, std::move(message));
  }

  // Records one governance failure: the counters, then the latch (window,
  // state file, event, listener). Never throws.
  void record_failure(std::string_view symbol, PredictStatus reason, std::string message,
                      const nlohmann::json& details) noexcept {
    model_errors.fetch_add(1, std::memory_order_relaxed);
    by_reason[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    latch.record_failure(symbol, to_string(reason), std::move(message), details);
  }

  [[gnu::cold]] PredictResult fail(PredictStatus reason, const FeatureRow& row,
                                   const LoadedModel& model) noexcept {
    return fail(model.info.symbol, reason, row, &model);
  }

  PredictResult fail(std::string_view symbol, PredictStatus reason, const FeatureRow& row,
                     const LoadedModel* model) noexcept {
    try {
      internal::FailureReport d = internal::describe_failure(symbol, reason, row, model, contract);
      record_failure(symbol, reason, std::move(d.message), d.details);
    } catch (...) {
      // describe_failure ran out of memory: still count the failure (null
      // details allocate nothing; the event shows them as {}).
      record_failure(symbol, reason, {}, nlohmann::json());
    }
    return {reason, kNaN};
  }

  // Blocked by the state: counted, nothing touched.
  PredictResult refuse(MlState s, std::size_t calls = 1) noexcept {
    blocked.fetch_add(calls, std::memory_order_relaxed);
    return {blocked_status(s), kNaN};
  }

  PredictResult no_row() noexcept {
    by_reason[static_cast<std::size_t>(PredictStatus::kInsufficientHistory)].fetch_add(
        1, std::memory_order_relaxed);
    return {PredictStatus::kInsufficientHistory, kNaN};
  }

  PredictResult no_model() noexcept {
    by_reason[static_cast<std::size_t>(PredictStatus::kNoModel)].fetch_add(
        1, std::memory_order_relaxed);
    return {PredictStatus::kNoModel, kNaN};
  }

  // The model a handle names, or nullptr (invalid, or another predictor's).
  const HotModel* model_of(ModelHandle h) const noexcept {
    return h.owner_ == id && h.index_ < hot.size() ? &hot[h.index_] : nullptr;
  }

  // The checks once the model is known (check_row), then the evaluation. A
  // non-kOk result has been recorded as a failure. Does not count a success
  // (callers do: once per call, or once per batch).
  PredictResult evaluate(const HotModel& model, const FeatureRow& row) noexcept {
    if (const PredictStatus check = check_row(row, *schema, model.n_features);
        check != PredictStatus::kOk) [[unlikely]] {
      return fail(check, row, *model.record);
    }
    float out = kNaN;
    if (!model.backend->predict(row.values.data(), 1, &out) || !std::isfinite(out)) [[unlikely]] {
      return fail(PredictStatus::kModelError, row, *model.record);
    }
    return {PredictStatus::kOk, out};
  }

  // One prediction, in the documented check order: the state, the row's
  // presence, the handle, then evaluate().
  PredictResult core(ModelHandle handle, const FeatureRow& row) noexcept {
    const MlState s = latch.state();
    if (is_blocked(s)) return refuse(s);
    if (is_no_row(row)) return no_row();
    const HotModel* model = model_of(handle);
    if (model == nullptr) return no_model();
    DriftMonitor* const watch =
        drift_recording.load(std::memory_order_relaxed) ? drift.get() : nullptr;
    if (watch != nullptr) watch->prefetch(handle.index_);  // fetched while the trees run
    const PredictResult r = evaluate(*model, row);
    if (r.ok()) {
      predictions.fetch_add(1, std::memory_order_relaxed);
      if (watch != nullptr) watch->record(handle.index_, row.values);
    }
    return r;
  }

  // The batch: one state load (again only after a recorded failure, which
  // may have latched), one success-counter update. With drift on, each
  // accepted row is copied into the drift rings right after its evaluation,
  // into places reserved for the batch's rows of watched models with one
  // atomic add, and the lines the next row's copy writes are prefetched
  // before this row's trees run (a microsecond of tree evaluation hides the
  // fetch; the trees evict everything between two rows).
  std::size_t batch(std::span<const ModelHandle> handles, std::span<const FeatureRow> rows,
                    std::span<PredictResult> out) noexcept {
    MlState s = latch.state();
    DriftMonitor* const watch =
        is_blocked(s) || !drift_recording.load(std::memory_order_relaxed) ? nullptr : drift.get();
    std::uint64_t place = 0;
    std::size_t reserved = 0;
    if (watch != nullptr) {
      for (std::size_t j = 0; j < rows.size(); ++j) {
        // Rows that turn out to have no model (a foreign handle) are forgone
        // below, as rows that fail are.
        reserved += !is_no_row(rows[j]) && watch->watches(handles[j].index_) ? 1 : 0;
      }
      if (reserved > 0) place = watch->reserve_rows(reserved);
      if (!rows.empty()) watch->prefetch(handles[0].index_);
    }
    std::size_t recorded = 0;
    std::size_t ok = 0;
    std::size_t i = 0;
    for (; i < rows.size() && !is_blocked(s); ++i) {
      const FeatureRow& row = rows[i];
      if (watch != nullptr && i + 1 < rows.size()) watch->prefetch(handles[i + 1].index_);
      PredictResult r;
      if (is_no_row(row)) [[unlikely]] {
        r = no_row();
      } else if (const HotModel* model = model_of(handles[i]); model == nullptr) [[unlikely]] {
        r = no_model();
      } else {
        r = evaluate(*model, row);
        if (!r.ok()) [[unlikely]] {
          s = latch.state();  // the failure may have latched
        } else if (watch != nullptr && watch->watches(handles[i].index_)) {
          watch->record_reserved(place + recorded++, handles[i].index_, row.values);
        }
      }
      out[i] = r;
      ok += r.ok() ? 1 : 0;
    }
    if (i < rows.size()) {
      const PredictResult refused = refuse(s, rows.size() - i);
      for (; i < rows.size(); ++i) out[i] = refused;
    }
    if (ok > 0) predictions.fetch_add(ok, std::memory_order_relaxed);
    // Places of rows that failed or were refused: left empty, and not
    // counted as recorded.
    if (recorded < reserved) watch->forgo_rows(reserved - recorded);
    return ok;
  }

  // --- Drift ---------------------------------------------------------------

  // At construction: the monitor over the loaded models, in registry order
  // (a handle's index is the monitor's model index). Models without stats
  // (legacy, trained before feature_stats, or stats that do not parse) take
  // no part, and one DRIFT_UNAVAILABLE event says so.
  void start_drift() {
    if (!config.drift.enabled) return;
    std::vector<DriftModel> models;
    nlohmann::json without = nlohmann::json::array();
    for (const LoadedModel& model : registry.models()) {
      DriftModel dm{model.info.symbol, std::nullopt};
      std::string why = "legacy model without model_meta.json";
      if (model.info.meta) {
        try {
          dm.bins = TrainingBins::from_meta(*model.info.meta,
                                            (model.info.directory / "model_meta.json").string());
          why = "model_meta.json has no feature_stats";
        } catch (const ModelMetaError& e) {
          why = e.what();
        }
      }
      if (!dm.bins) without.push_back({{"symbol", model.info.symbol}, {"why", why}});
      models.push_back(std::move(dm));
    }
    const std::size_t n_without = without.size();
    if (n_without > 0) {
      // Said once, at INFO: a legacy model is already reported degraded, and
      // a model trained before feature_stats existed is not a fault.
      latch.report(spdlog::level::info, "", "DRIFT_UNAVAILABLE", "NO_FEATURE_STATS",
                   fmt::format("{} of {} models have no usable feature_stats: their rows take no "
                               "part in drift",
                               n_without, models.size()),
                   {{"models", std::move(without)}});
    }
    // No model with stats: nothing to watch, no monitor (and no drift fields
    // in the heartbeat and the metrics).
    if (n_without == models.size()) return;
    drift = std::make_unique<DriftMonitor>(contract.names(), config.drift, std::move(models));
  }

  // One event per change of judgement: DRIFT_WARNING, DRIFT_ALERT,
  // DRIFT_ALERT_CLEARED (from ALERT), DRIFT_CLEARED (from WARNING to OK).
  void report_drift(const DriftTransition& t) {
    const FeatureDrift& d = t.figures;
    std::string status = "DRIFT_WARNING";
    spdlog::level::level_enum level = spdlog::level::warn;
    if (t.to == DriftLevel::kAlert) {
      status = "DRIFT_ALERT";
      level = spdlog::level::err;
    } else if (t.from == DriftLevel::kAlert) {
      status = "DRIFT_ALERT_CLEARED";
      level = spdlog::level::info;
    } else if (t.to == DriftLevel::kOk) {
      status = "DRIFT_CLEARED";
      level = spdlog::level::info;
    }
    std::string top;
    for (const SymbolContribution& c : d.top_symbols) top += (top.empty() ? "" : ", ") + c.symbol;
    std::string message =
        t.symbol.empty() ? fmt::format(
                               "{}: {} -> {} ({}): PSI {:.3f}, out of range {:.1f}%, stale {:.1f}% "
                               "over {} rows{}",
                               d.feature, to_string(t.from), to_string(t.to), t.reason, d.psi,
                               100 * d.out_of_range_fraction, 100 * d.stale_share, d.rows,
                               top.empty() ? "" : "; top symbols " + top)
                         : fmt::format(
                               "{} {}: {} -> {} ({}): {:.0f}% of its latest values repeat the "
                               "previous one (a frozen feed?)",
                               t.symbol, d.feature, to_string(t.from), to_string(t.to), t.reason,
                               100 * d.recent_stale_share);
    nlohmann::json details = to_json(d);
    details["from"] = to_string(t.from);
    details["to"] = to_string(t.to);
    details["reason"] = t.reason;
    latch.report(level, t.symbol, status, t.reason, std::move(message), std::move(details));
  }

  // At heartbeat: judges the windows, reports the changes, sets ENABLED|
  // DEGRADED while an alert lasts, and (drift.alert_counts_as_failure)
  // records an evaluation with an alert as a governance failure.
  HeartbeatRecord::Drift evaluate_drift() {
    // Judged under drift_mu; what follows (the latch, hence the host's
    // listener, and the event sink) is told after it is released, in the
    // same order, so that a listener or sink calling heartbeat() does not
    // deadlock.
    DriftEvaluation e;
    std::optional<bool> alert_changed_to;
    {
      std::lock_guard<std::mutex> lock(drift_mu);
      e = drift->evaluate();
      if (e.in_alert != drift_in_alert) {
        drift_in_alert = e.in_alert;
        alert_changed_to = e.in_alert;
      }
    }
    // The state first, so that the events carry the state they lead to.
    if (alert_changed_to) {
      latch.set_enabled_state(*alert_changed_to ? MlState::kEnabledDegraded : enabled_state(),
                              *alert_changed_to ? "DRIFT_ALERT" : "DRIFT_ALERT_CLEARED");
    }
    for (const DriftTransition& t : e.transitions) report_drift(t);
    if (e.alert_now && config.drift.alert_counts_as_failure) {
      std::string features;
      nlohmann::json alerted = nlohmann::json::array();
      for (const FeatureDrift& d : e.snapshot.features) {
        if (d.level != DriftLevel::kAlert) continue;
        features += (features.empty() ? "" : ", ") + d.feature;
        alerted.push_back(to_json(d));
      }
      model_errors.fetch_add(1, std::memory_order_relaxed);
      latch.record_failure(
          "", "DRIFT_ALERT",
          fmt::format("drift alert on {} (drift.alert_counts_as_failure)", features),
          {{"features", std::move(alerted)}});
    }
    HeartbeatRecord::Drift summary;
    summary.worst_psi = e.snapshot.worst_psi;
    summary.worst_feature = e.snapshot.worst_feature;
    summary.features_in_warning = e.snapshot.features_in_warning;
    summary.features_in_alert = e.snapshot.features_in_alert;
    drift_worst_psi.store(summary.worst_psi, std::memory_order_relaxed);
    drift_features_warning.store(summary.features_in_warning, std::memory_order_relaxed);
    drift_features_alert.store(summary.features_in_alert, std::memory_order_relaxed);
    return summary;
  }
  // --- end of drift --------------------------------------------------------

  // The throwing forms' exception for a non-kOk result of core(). `sym` is
  // the printable name for the message; `symbol` and `model` describe the
  // failure again (failure path only).
  [[noreturn]] void raise(const PredictResult& r, const std::string& sym, std::string_view symbol,
                          const LoadedModel* model, const FeatureRow& row) const {
    switch (r.status) {
      case PredictStatus::kMlDisabled:
        throw MlDisabledError(fmt::format(
            "{}: ML is disabled by configuration (features.ml_enabled is not true)", sym));
      case PredictStatus::kGovernanceDisabled:
        throw GovernanceDisabledError(
            fmt::format("{}: ML is disabled by governance ({}); an operator must re-enable it", sym,
                        in_memory ? state_file.string() : latch.store_description()));
      case PredictStatus::kNoModel:
        for (const RefusedModel& refused : registry.refused()) {
          if (refused.symbol == symbol) {
            throw NoModelError(std::string(symbol),
                               fmt::format("{}: no model loaded for this symbol (its model was "
                                           "refused at load: {})",
                                           sym, refused.message));
          }
        }
        throw NoModelError(std::string(symbol),
                           fmt::format("{}: no model loaded for this symbol", sym));
      case PredictStatus::kInsufficientHistory:
        throw DataError(fmt::format("{}: no feature row yet (insufficient history)", sym));
      default:
        break;
    }
    // A failure: describe it again (failure path only) for the exception.
    const PredictStatus reason = r.status;
    internal::FailureReport d = internal::describe_failure(symbol, reason, row, model, contract);
    switch (reason) {
      case PredictStatus::kFeatureMismatch:
      case PredictStatus::kWrongFeatureCount: {
        FeatureMismatch mismatch = std::move(*d.mismatch);
        if (mismatch.matches()) {
          // Names agree but the contract differs: the message carries it.
          throw ModelFeatureMismatchError(d.message, std::move(mismatch));
        }
        throw ModelFeatureMismatchError(std::string(sym), std::move(mismatch));
      }
      case PredictStatus::kNonFiniteFeature:
        throw DataError(d.message);
      default:
        throw ModelError(d.message);
    }
  }
};

GovernedPredictor::GovernedPredictor(const Config& config, const FeatureContract& contract,
                                     PredictorOptions options) {
  if (contract.name() != config.contract) {
    throw ConfigError(
        fmt::format("{}: features.contract is \"{}\" but the contract given to the "
                    "predictor is \"{}\" ({})",
                    config.source.empty() ? "config" : config.source.string(), config.contract,
                    contract.name(), contract.source()));
  }
  // load_config enforces these bounds; a Config built in code must meet them
  // too (a window of 0, NaN or 1e300 seconds would be undefined or absurd).
  const std::string source = config.source.empty() ? "config" : config.source.string();
  const double window = config.governance.window_seconds;
  if (!(window >= 1.0 && window <= 7.0 * 86400.0)) {
    throw ConfigError(
        fmt::format("{}: governance.window_seconds: must be between 1 and 604800 seconds, found {}",
                    source, window));
  }
  if (config.governance.max_failures < 1) {
    throw ConfigError(fmt::format("{}: governance.max_failures: must be at least 1, found {}",
                                  source, config.governance.max_failures));
  }
  if (config.limits.max_json_depth < 8 || config.limits.max_json_depth > 1024) {
    throw ConfigError(fmt::format("{}: limits.max_json_depth: must be between 8 and 1024, found {}",
                                  source, config.limits.max_json_depth));
  }
  if (!options.in_memory_governance && !options.governance_store) {
    if (config.governance.store == GovernanceConfig::Store::kRedis) {
      throw ConfigError(fmt::format(
          "{}: governance.store is redis but no store was passed: link mlgov::redis and set "
          "PredictorOptions::governance_store = mlgov::make_redis_governance_store(config, "
          "clock) (mlgov/redis_governance_store.h)",
          source));
    }
    if (config.ml_enabled) {
      if (!options.clock) options.clock = std::make_shared<SystemClock>();
      options.governance_store =
          make_file_governance_store(config.governance.state_file, options.clock);
    }
  }
  // drift.features names only the contract's features (also with ML off).
  for (const auto& [name, overrides] : config.drift.features) {
    const auto& names = contract.names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw ConfigError(fmt::format("{}: drift.features.{}: not a feature of the contract {} ({})",
                                    overrides.where.empty() ? source : overrides.where, name,
                                    contract.name(), contract.source()));
    }
  }
  impl_ = std::make_unique<Impl>(config, contract, options);
  Impl& m = *impl_;
  m.schema = m.contract.schema().get();

  if (!config.ml_enabled) {
    m.latch.disable_by_config();
    m.event(spdlog::level::info, "DISABLED_CONFIG", "ML_DISABLED_BY_CONFIG",
            "features.ml_enabled is not true: ML gives no signal (no model loaded)");
    return;
  }

  // The latch first: a latched, unreadable or unwritable state file keeps ML off.
  const bool latched = m.latch.open();

  ModelRegistryOptions ro = registry_options_from(config);
  m.registry = ModelRegistry::load(ro, m.contract, *m.clock, *m.logger);
  m.hot.reserve(m.registry.models().size());
  for (const LoadedModel& model : m.registry.models()) {
    m.hot.push_back({model.backend.get(), model.info.n_features, &model});
  }

  m.latch.start(latched, m.enabled_state());
  m.start_drift();
  for (const RefusedModel& r : m.registry.refused()) {
    m.record_failure(r.symbol, PredictStatus::kModelRefused, r.message,
                     r.details.is_object() ? r.details : nlohmann::json::object());
  }
  const MlState started = m.latch.state();
  m.event(spdlog::level::info, "STARTED", to_string(started),
          fmt::format("governed predictor ready: {} models loaded ({} degraded), {} refused, "
                      "state {}",
                      m.registry.models().size(), m.registry.degraded_count(),
                      m.registry.refused().size(), to_string(started)));
  m.latch.start_watching();
}

GovernedPredictor::~GovernedPredictor() = default;

ModelHandle GovernedPredictor::resolve(std::string_view symbol) const noexcept {
  const Impl& m = *impl_;
  const LoadedModel* model = m.registry.find(symbol);
  if (model == nullptr) return {};
  return {m.id, static_cast<std::uint32_t>(model - m.registry.models().data())};
}

PredictResult GovernedPredictor::try_predict(ModelHandle model, const FeatureRow& row) noexcept {
  return impl_->core(model, row);
}

std::size_t GovernedPredictor::predict_batch(std::span<const ModelHandle> models,
                                             std::span<const FeatureRow> rows,
                                             std::span<PredictResult> out) noexcept {
  if (models.size() != rows.size() || rows.size() != out.size()) {
    for (auto& r : out) r = {PredictStatus::kSpanLengthMismatch, kNaN};
    return 0;
  }
  return impl_->batch(models, rows, out);
}

void GovernedPredictor::throw_failure(const PredictResult& result, ModelHandle model,
                                      const std::string_view* symbol, const FeatureRow& row) const {
  if (const Impl::HotModel* hot = impl_->model_of(model); hot != nullptr) {
    const LoadedModel& loaded = *hot->record;
    impl_->raise(result, loaded.info.symbol, loaded.info.symbol, &loaded, row);
  }
  if (symbol != nullptr) {  // the symbol form: the messages name the symbol asked about
    impl_->raise(result, internal::printable_symbol(*symbol), *symbol, nullptr, row);
  }
  const std::string label(kInvalidHandleLabel);
  if (result.status == PredictStatus::kNoModel) {
    throw NoModelError("", label +
                               ": no model loaded for this handle (default-constructed, "
                               "resolved for a symbol without a model, or resolved by another "
                               "predictor)");
  }
  impl_->raise(result, label, label, nullptr, row);
}

bool GovernedPredictor::has_model(ModelHandle model) const noexcept {
  return impl_->model_of(model) != nullptr;
}

std::string_view GovernedPredictor::symbol(ModelHandle model) const noexcept {
  const Impl::HotModel* hot = impl_->model_of(model);
  return hot == nullptr ? std::string_view() : std::string_view(hot->record->info.symbol);
}

MlState GovernedPredictor::state() const noexcept { return impl_->latch.state(); }

void GovernedPredictor::reenable(std::string_view operator_name, std::string_view reason) {
  if (!impl_->config.ml_enabled) {
    throw MlDisabledError(
        "cannot re-enable: ML is disabled by configuration (features.ml_enabled is not true)");
  }
  impl_->latch.reenable(operator_name, reason);
}

void GovernedPredictor::disable(std::string_view operator_name, std::string_view reason) {
  if (!impl_->config.ml_enabled) {
    throw MlDisabledError(
        "cannot disable: ML is disabled by configuration (features.ml_enabled is not true)");
  }
  impl_->latch.disable(operator_name, reason);
}

std::string GovernedPredictor::heartbeat(std::chrono::seconds uptime, std::uint64_t symbols,
                                         std::uint64_t cycles, bool host_halted) {
  Impl& m = *impl_;
  m.latch.sync();  // a change another process made to the state file shows in this very line
  HeartbeatRecord beat;
  beat.time = m.clock->wall_now();
  beat.uptime = uptime;
  beat.symbols = symbols;
  beat.cycles = cycles;
  beat.host_halted = host_halted;
  if (m.drift) beat.drift = m.evaluate_drift();  // before the state: an alert degrades it
  beat.ml_state = state();
  beat.model_errors = model_errors();
  if (m.config.ml_enabled && !m.in_memory) {
    beat.store = m.latch.store_description();
    beat.store_health = m.latch.store_health();
  }
  m.heartbeat_cycles.store(cycles, std::memory_order_relaxed);
  m.heartbeat_host_halted.store(host_halted, std::memory_order_relaxed);
  m.heartbeat_wall_ms.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(beat.time.time_since_epoch()).count(),
      std::memory_order_release);  // after cycles and halted
  m.logger->on_heartbeat(beat);
  return format_heartbeat_line(beat);
}

MetricsSnapshot GovernedPredictor::metrics() const {
  const Impl& m = *impl_;
  MetricsSnapshot s;
  s.version = library_version();
  s.git_commit = library_git_commit();
  s.contract = m.contract.name() + "@" + m.contract.version();
  s.predictions = m.predictions.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kPredictStatusCount; ++i) {
    s.failures_by_reason[i] = m.by_reason[i].load(std::memory_order_relaxed);
  }
  s.blocked_calls = m.blocked.load(std::memory_order_relaxed);
  s.model_errors = m.model_errors.load(std::memory_order_relaxed);
  s.state = state();
  s.models_loaded = m.registry.models().size();
  s.models_degraded = m.registry.degraded_count();
  if (const std::int64_t ms = m.heartbeat_wall_ms.load(std::memory_order_acquire); ms != 0) {
    HeartbeatRecord beat;  // the state= a heartbeat would report now
    beat.host_halted = m.heartbeat_host_halted.load(std::memory_order_relaxed);
    beat.ml_state = s.state;
    if (m.config.ml_enabled && !m.in_memory) beat.store_health = m.latch.store_health();
    const std::string_view host = heartbeat_state(beat);
    s.host_state = host == "HALTED"     ? HostState::kHalted
                   : host == "DEGRADED" ? HostState::kDegraded
                                        : HostState::kOk;
    s.cycles = m.heartbeat_cycles.load(std::memory_order_relaxed);
    s.last_heartbeat_seconds = static_cast<double>(ms) / 1000.0;
  }
  if (m.config.ml_enabled && !m.in_memory) s.store_health = m.latch.store_health();
  s.failures_in_window = m.latch.failures_in_window();
  s.last_error = m.latch.last_error();
  s.drift_watched = m.drift != nullptr;
  s.drift_worst_psi = m.drift_worst_psi.load(std::memory_order_relaxed);
  s.drift_features_warning = m.drift_features_warning.load(std::memory_order_relaxed);
  s.drift_features_alert = m.drift_features_alert.load(std::memory_order_relaxed);
  return s;
}

DriftSnapshot GovernedPredictor::drift() const {
  return impl_->drift ? impl_->drift->snapshot() : DriftSnapshot{};
}

void GovernedPredictor::write_metrics(const std::filesystem::path& file) const {
  write_prometheus_file(metrics(), file);
}

std::optional<ModelInfo> GovernedPredictor::model_info(std::string_view symbol) const {
  const LoadedModel* model = impl_->registry.find(symbol);
  if (model == nullptr) return std::nullopt;
  return model->info;
}

std::uint64_t GovernedPredictor::model_errors() const noexcept {
  return impl_->model_errors.load(std::memory_order_relaxed);
}

const std::filesystem::path& GovernedPredictor::state_file() const noexcept {
  return impl_->state_file;
}

const FeatureContract& GovernedPredictor::contract() const noexcept { return impl_->contract; }

const ModelRegistry& GovernedPredictor::registry() const noexcept { return impl_->registry; }

namespace internal {

void PredictorDriftAccess::set_recording(GovernedPredictor& predictor, bool on) noexcept {
  predictor.impl_->drift_recording.store(on, std::memory_order_relaxed);
}

DriftMonitor* PredictorDriftAccess::monitor(GovernedPredictor& predictor) noexcept {
  return predictor.impl_->drift.get();
}

}  // namespace internal

}  // namespace mlgov
