// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/governed_predictor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <random>
#include <span>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "mlgov/heartbeat.h"
#include "mlgov/logging.h"
#include "mlgov/version.h"
#include "model/model_backend.h"
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

// What a failure looks like in logs and exceptions. Built only on the failure
// path.
struct FailureDescription {
  std::string message;
  std::string details_json;
  std::optional<FeatureMismatch> mismatch;  // kFeatureMismatch, kWrongFeatureCount
};

// The symbol comes from the host: a valid one is shown as is, anything else
// JSON-quoted, so a quote or a newline shows as \" or \n even in messages.
std::string printable_symbol(std::string_view symbol) {
  if (is_valid_symbol(symbol)) return std::string(symbol);
  return nlohmann::json(std::string(symbol))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view schema_label(const FeatureSchema* schema) {
  return schema == nullptr ? std::string_view("(none)") : std::string_view(schema->contract_name());
}

FailureDescription describe_failure(std::string_view symbol, PredictStatus reason,
                                    const FeatureRow& row, const LoadedModel* model,
                                    const FeatureContract& contract) {
  using nlohmann::json;
  const auto dump = [](const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  const std::string sym = printable_symbol(symbol);
  FailureDescription d;
  switch (reason) {
    case PredictStatus::kFeatureMismatch: {
      static const std::vector<std::string> kNoNames;
      const auto& got_names = row.schema == nullptr ? kNoNames : row.schema->names();
      FeatureMismatch mismatch = compare_feature_names(contract.names(), got_names);
      if (row.schema == nullptr) {
        mismatch.got_count = row.values.size();
      }
      json details = json::parse(mismatch.to_json(), nullptr, false);
      if (details.is_discarded()) details = json::object();
      details["expected_contract"] = contract.name() + " " + contract.version();
      details["expected_fingerprint"] = contract.fingerprint();
      if (row.schema != nullptr) {
        details["got_contract"] = row.schema->contract_name() + " " + row.schema->version();
        details["got_fingerprint"] = row.schema->fingerprint();
      } else {
        details["got_contract"] = nullptr;
        details["got_fingerprint"] = nullptr;
      }
      if (mismatch.matches()) {
        // Same names in the same order, but another contract name or version.
        d.message = fmt::format(
            "{}: feature mismatch: the row was computed under contract {} (fingerprint {}) but "
            "the model expects {} {} (fingerprint {})",
            sym, row.schema ? row.schema->contract_name() + " " + row.schema->version() : "(none)",
            row.schema ? row.schema->fingerprint() : "(none)", contract.name(), contract.version(),
            contract.fingerprint());
      } else {
        d.message = fmt::format("{}: feature mismatch (row schema {}): {}", sym,
                                schema_label(row.schema), mismatch.summary());
      }
      d.details_json = dump(details);
      d.mismatch = std::move(mismatch);
      break;
    }
    case PredictStatus::kWrongFeatureCount: {
      const std::size_t expected = model ? model->info.n_features : contract.size();
      FeatureMismatch mismatch;
      mismatch.expected_count = expected;
      mismatch.got_count = row.values.size();
      mismatch.first_order_difference = std::min(expected, row.values.size());
      d.message =
          fmt::format("{}: wrong feature count: the row holds {} values, the model takes {}", sym,
                      row.values.size(), expected);
      d.details_json = dump(json{{"expected", expected}, {"got", row.values.size()}});
      d.mismatch = std::move(mismatch);
      break;
    }
    case PredictStatus::kNonFiniteFeature: {
      const std::size_t index = internal::first_non_finite(row.values);
      const float v = index < row.values.size() ? row.values[index] : 0.0f;
      const std::string value = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
      const std::string name =
          index < contract.size() ? contract.names()[index] : fmt::format("#{}", index);
      d.message = fmt::format("{}: non-finite feature {} (index {}) = {}", sym, name, index, value);
      d.details_json = dump(json{{"feature", name}, {"index", index}, {"value", value}});
      break;
    }
    case PredictStatus::kModelError: {
      d.message = fmt::format(
          "{}: the model failed to evaluate or returned a non-finite value "
          "(backend {}, {})",
          sym, model ? model->info.backend : "?", model ? model->info.model_file.string() : "?");
      d.details_json = dump(json{{"backend", model ? model->info.backend : ""},
                                 {"model_file", model ? model->info.model_file.string() : ""}});
      break;
    }
    default:
      d.message = fmt::format("{}: {}", sym, to_string(reason));
      break;
  }
  return d;
}

bool is_blocked_state(MlState s) noexcept { return is_blocked(s); }

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
        logger(options.logger ? std::move(options.logger) : make_stderr_logger(clock)),
        listener(options.listener),
        state_file(cfg.governance.state_file),
        in_memory(options.in_memory_governance),
        window_length(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(cfg.governance.window_seconds))),
        window(cfg.governance.max_failures, window_length) {}

  ~Impl() { stop_watcher(); }

  Config config;
  FeatureContract contract;
  const FeatureSchema* schema = nullptr;  // contract.schema().get()
  std::shared_ptr<const Clock> clock;
  std::shared_ptr<spdlog::logger> logger;
  StateListener* listener;
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

  std::atomic<MlState> state{MlState::kDisabledConfig};
  std::atomic<std::uint64_t> predictions{0};
  std::atomic<std::uint64_t> blocked{0};
  std::atomic<std::uint64_t> model_errors{0};
  std::array<std::atomic<std::uint64_t>, kPredictStatusCount> by_reason{};  // failures and skips
  // The last heartbeat, for the metrics (wall time 0 = none yet).
  std::atomic<std::int64_t> heartbeat_wall_ms{0};
  std::atomic<std::uint64_t> heartbeat_cycles{0};
  std::atomic<bool> heartbeat_host_halted{false};

  std::chrono::nanoseconds window_length;
  mutable std::mutex mu;  // guards window, record, last_error, seen, pending, and state transitions
  FailureWindow window;   // this process's failures (steady clock): metrics, and the fallback
  GovernanceRecord record;  // the state file as last read or written
  std::string last_error;

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
  FileStamp seen;
  // A latch this process holds but could not write (read-only directory,
  // disk full): "event" and "reason" of the history entry, retried at every
  // sync until written. While set, the file cannot re-enable this process.
  std::optional<std::pair<std::string, std::string>> unpersisted_latch;
  bool unreadable_reported = false;

  // The watcher: polls the state file's stamp every kWatchInterval, off the
  // hot path (predictions read only `state`).
  static constexpr std::chrono::milliseconds kWatchInterval{200};
  // How long a thread that hit a failure waits for the state file's lock.
  static constexpr std::chrono::milliseconds kFailureLockTimeout{250};
  std::thread watcher;
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool stopping = false;  // guarded by watch_mu

  // What `seen` becomes after this process wrote the file: a stamp no file
  // has, so the next sync reads the file again. (A stamp taken after the
  // write would be taken after the lock was released: another process's
  // write in between would then look like ours and never be read.)
  static FileStamp reread_stamp() noexcept {
    FileStamp f;
    f.exists = true;
    f.mtime_ns = -1;
    return f;
  }

  static FileStamp stamp_of(const std::filesystem::path& file) noexcept {
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

  void start_watcher() {
    watcher = std::thread([this] {
      std::unique_lock<std::mutex> lock(watch_mu);
      while (!watch_cv.wait_for(lock, kWatchInterval, [this] { return stopping; })) {
        lock.unlock();
        sync();
        lock.lock();
      }
    });
  }

  void stop_watcher() noexcept {
    {
      std::lock_guard<std::mutex> lock(watch_mu);
      stopping = true;
    }
    watch_cv.notify_all();
    if (watcher.joinable()) watcher.join();
  }

  // Refills the in-memory window from the file's shared one (after a start or
  // a re-enable elsewhere), mapping wall times onto the steady clock.
  void seed_window() noexcept {
    window.clear();
    const auto wall = clock->wall_now();
    const auto steady = clock->steady_now();
    for (const std::string& ts : record.window_failures) {
      const auto t = parse_utc_millis(ts);
      const auto age = t && *t <= wall ? wall - *t : std::chrono::system_clock::duration::zero();
      if (age >= window_length) continue;
      window.record(steady - std::chrono::duration_cast<std::chrono::nanoseconds>(age));
    }
  }

  // The history entry and state change of a latch, on a record.
  static void latch(GovernanceRecord& r, const std::string& ts, const std::string& event,
                    const std::string& reason) {
    if (!r.disabled) {
      r.disabled = true;
      r.since = ts;
      r.reason = reason;
    }
    r.history.push_back({ts, event, "", reason});
  }

  // Writes a latch that could not be written before. Caller holds mu.
  void retry_unpersisted_latch() noexcept {
    if (!unpersisted_latch) return;
    try {
      // Copies, not a structured binding: clang 14 (the fuzz preset) cannot
      // capture one in the lambda below.
      const std::string event_name = unpersisted_latch->first;
      const std::string reason = unpersisted_latch->second;
      const std::string ts = format_utc_millis(clock->wall_now());
      GovernanceUpdateOptions o;
      o.if_missing = &record;
      o.lock_timeout = std::chrono::milliseconds(100);
      record = update_governance_state_file(
          state_file, [&](GovernanceRecord& r) { latch(r, ts, event_name, reason); }, o);
      seen = reread_stamp();
      unpersisted_latch.reset();
      event(spdlog::level::warn, "", "STATE_PERSISTED", event_name,
            fmt::format("the latch held in memory is now written to {} ({})", state_file.string(),
                        reason));
    } catch (...) {
      // Still not writable: tried again at the next sync.
    }
  }

  // Takes in a change another process (an engine, the CLI) made to the state
  // file: a latch, an operator's disable or re-enable, a garbage file. Called
  // by the watcher every kWatchInterval and by heartbeat(). Never throws.
  void sync() noexcept {
    MlState old_state{};
    MlState new_state{};
    std::string message;
    if (in_memory) return;
    try {
      const FileStamp now = stamp_of(state_file);
      std::lock_guard<std::mutex> lock(mu);
      old_state = state.load(std::memory_order_acquire);
      new_state = old_state;
      if (old_state == MlState::kDisabledConfig) return;
      retry_unpersisted_latch();
      if (now == seen) return;
      seen = now;
      GovernanceStateFile f;
      bool readable = true;
      try {
        f = read_governance_state_file(state_file);
        unreadable_reported = false;
      } catch (const GovernanceStateError& e) {
        if (!is_blocked_state(old_state)) {
          new_state = MlState::kDisabledGovernance;
          state.store(new_state, std::memory_order_release);
        }
        message = fmt::format("state file unreadable, treated as disabled: {}", e.what());
        // What this process knows is now "disabled": if the garbage is moved
        // aside, the file is written back disabled, never as it was before.
        if (!record.disabled) {
          const std::string ts = format_utc_millis(clock->wall_now());
          latch(record, ts, "STATE_FILE_UNREADABLE", message);
        }
        if (!unreadable_reported || new_state != old_state) {
          event(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_FILE_UNREADABLE",
                fmt::format("governance state file became unreadable, so ML is treated as "
                            "DISABLED (never as enabled): {}; inspect it, then re-enable "
                            "explicitly",
                            e.what()));
        }
        unreadable_reported = true;
        readable = false;  // nothing more to take in: the listener is told below
      }
      if (readable && !f.exists) {
        // Removed while running: write back what this process knows, so a
        // deleted file never re-enables anything without a trace.
        const std::string ts = format_utc_millis(clock->wall_now());
        GovernanceRecord known = record;
        known.history.push_back(
            {ts, "STATE_FILE_RECREATED", "",
             fmt::format("{} was removed while an engine ran; written back as {}",
                         state_file.string(), known.disabled ? "DISABLED_GOVERNANCE" : "ENABLED")});
        GovernanceUpdateOptions o;
        o.if_missing = &known;
        try {
          record = update_governance_state_file(
              state_file, [](GovernanceRecord&) {}, o);
          seen = reread_stamp();
          event(spdlog::level::warn, "", "STATE_FILE_RECREATED", "STATE_FILE_MISSING",
                known.history.back().reason);
        } catch (const std::exception& e) {
          event(spdlog::level::critical, "", "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
                fmt::format("{} was removed while running and cannot be written back: {}",
                            state_file.string(), e.what()));
        }
        return;
      }
      if (!readable) {
        // Handled above: the state and the record already say disabled.
      } else if (record = std::move(f.record); record.disabled && !is_blocked_state(old_state)) {
        new_state = MlState::kDisabledGovernance;
        state.store(new_state, std::memory_order_release);
        message = record.reason;
        const std::string by = last_disabling_event(record);
        event(by == "DISABLED_BY_GOVERNANCE" ? spdlog::level::critical : spdlog::level::err, "", by,
              "STATE_FILE_CHANGED",
              fmt::format("ML disabled through {} (by another engine or an operator): {}",
                          state_file.string(), record.reason));
      } else if (!record.disabled && old_state == MlState::kDisabledGovernance &&
                 !unpersisted_latch) {
        seed_window();
        new_state = enabled_state();
        state.store(new_state, std::memory_order_release);
        message = record.reason;
        event(spdlog::level::warn, "", "REENABLED", "STATE_FILE_CHANGED",
              fmt::format("ML re-enabled through {}: {} (state {} -> {})", state_file.string(),
                          record.reason, to_string(old_state), to_string(new_state)));
      }
    } catch (...) {
      // Out of memory while reading: tried again at the next sync.
    }
    notify(old_state, new_state, message);
  }

  MlState enabled_state() const noexcept {
    return registry.degraded_count() > 0 || !registry.refused().empty() ? MlState::kEnabledDegraded
                                                                        : MlState::kEnabledOk;
  }

  void event(spdlog::level::level_enum level, std::string_view symbol, std::string_view status,
             std::string_view reason, std::string_view message, std::string_view details = {}) {
    GovernanceEvent e;
    e.level = level;
    e.model = contract.name();
    e.symbol = symbol;
    e.status = status;
    e.reason = reason;
    e.message = message;
    e.details_json = details;
    log_event(*logger, e, *clock);
  }

  void notify(MlState old_state, MlState new_state, std::string_view reason) noexcept {
    if (listener == nullptr || old_state == new_state) return;
    try {
      listener->on_state_change(old_state, new_state, reason);
    } catch (...) {
      // on_state_change is noexcept; nothing can arrive here, but stay safe.
    }
  }

  // Records one governance failure: counters, this process's window, the
  // shared window of the state file (under its lock, merged with what other
  // engines wrote), the log, and the latch when the shared window holds
  // max_failures. When the file cannot be written, this process's own window
  // decides and the latch is kept in memory (retried at every sync). Never
  // throws (a failure to log or persist is itself logged if possible).
  void record_failure(std::string_view symbol, PredictStatus reason, std::string message,
                      std::string details_json) noexcept {
    try {
      std::string latch_reason;
      MlState old_state{};
      MlState new_state{};
      {
        std::lock_guard<std::mutex> lock(mu);
        model_errors.fetch_add(1, std::memory_order_relaxed);
        by_reason[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
        const auto wall = clock->wall_now();
        const std::string ts = format_utc_millis(wall);
        last_error = message;
        const bool locally_full = window.record(clock->steady_now());
        old_state = state.load(std::memory_order_acquire);
        new_state = old_state;
        const std::string reason_name(to_string(reason));
        if (is_blocked_state(old_state)) {
          // Already off (e.g. a refused model at a latched start): logged only.
          event(spdlog::level::err, symbol, "FAILURE_RECORDED", reason_name, message, details_json);
          return;
        }
        const auto max_failures = static_cast<std::size_t>(window.max_failures());
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
            return tp && *tp <= wall && wall - *tp >= window_length;
          });
          if (w.size() > max_failures)
            w.erase(w.begin(), w.end() - static_cast<long>(max_failures));
          tripped =
              shared ? failures_in_window(r, wall, window_length) >= max_failures : locally_full;
          if (tripped) {
            latch_reason = fmt::format(
                "{} failures within {}s (governance.max_failures / window_seconds); last: {} {}",
                max_failures, config.governance.window_seconds, reason_name, message);
            latch(r, ts, "DISABLED_BY_GOVERNANCE", latch_reason);
          }
        };
        std::string persist_error;
        bool unreadable = false;
        if (in_memory) {
          apply(record, false);
        } else {
          try {
            GovernanceUpdateOptions o;
            o.if_missing = &record;
            // The thread that hit the failure waits at most this long for
            // another process's lock; then this process's own window
            // decides and the write is retried by the watcher.
            o.lock_timeout = kFailureLockTimeout;
            record = update_governance_state_file(
                state_file, [&](GovernanceRecord& r) { apply(r, true); }, o);
            seen = reread_stamp();
          } catch (const GovernanceStateError& e) {
            // The file became garbage: disabled at once, as at start.
            persist_error = e.what();
            unreadable = true;
            apply(record, false);
            tripped = false;
            latch_reason = fmt::format("state file unreadable, treated as disabled: {}", e.what());
            latch(record, ts, "STATE_FILE_UNREADABLE", latch_reason);
          } catch (const std::exception& e) {
            persist_error = e.what();
            tripped = false;
            latched_elsewhere = false;
            apply(record, false);
          }
        }
        if (unreadable) {
          new_state = MlState::kDisabledGovernance;
          state.store(new_state, std::memory_order_release);
          unreadable_reported = true;
          event(spdlog::level::critical, symbol, "DISABLED_BY_GOVERNANCE", "STATE_FILE_UNREADABLE",
                fmt::format("governance state file became unreadable, so ML is treated as "
                            "DISABLED (never as enabled): {}; inspect it, then re-enable "
                            "explicitly",
                            persist_error));
          persist_error.clear();  // said above; nothing to retry: the file is garbage
        }
        if (tripped || latched_elsewhere) {
          new_state = MlState::kDisabledGovernance;
          state.store(new_state, std::memory_order_release);
        }
        if (tripped) {
          event(spdlog::level::critical, symbol, "DISABLED_BY_GOVERNANCE", reason_name,
                fmt::format("ML disabled by governance: {}; re-enable with `mlgov governance "
                            "reenable --state-file {} --operator NAME --reason TEXT` after a fix",
                            latch_reason, state_file.string()),
                details_json);
        } else {
          event(spdlog::level::err, symbol, "FAILURE_RECORDED", reason_name, message, details_json);
        }
        if (latched_elsewhere) {
          latch_reason = record.reason;
          event(spdlog::level::err, "", last_disabling_event(record), "STATE_FILE_CHANGED",
                fmt::format("ML disabled through {} (by another engine or an operator): {}",
                            state_file.string(), record.reason));
        }
        if (!persist_error.empty()) {
          if (tripped) {
            unpersisted_latch.emplace("DISABLED_BY_GOVERNANCE", latch_reason);
            event(spdlog::level::critical, symbol, "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
                  fmt::format("the governance latch could not be persisted to {}: {}; ML stays "
                              "disabled in this process, the write is retried every second, and "
                              "an engine that cannot write the file at start starts disabled "
                              "(STATE_NOT_WRITABLE)",
                              state_file.string(), persist_error));
          } else {
            event(spdlog::level::warn, symbol, "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
                  fmt::format("the failure could not be recorded in {}: {}; this process counts "
                              "it in its own window",
                              state_file.string(), persist_error));
          }
        }
      }
      notify(old_state, new_state, latch_reason);
    } catch (...) {
      // Out of memory while describing a failure: the counters above (if
      // reached) still tell the story; the hot path must not throw.
    }
  }

  [[gnu::cold]] PredictResult fail(PredictStatus reason, const FeatureRow& row,
                                   const LoadedModel& model) noexcept {
    return fail(model.info.symbol, reason, row, &model);
  }

  PredictResult fail(std::string_view symbol, PredictStatus reason, const FeatureRow& row,
                     const LoadedModel* model) noexcept {
    try {
      FailureDescription d = describe_failure(symbol, reason, row, model, contract);
      record_failure(symbol, reason, std::move(d.message), std::move(d.details_json));
    } catch (...) {
      // describe_failure ran out of memory: still count the failure.
      record_failure(symbol, reason, {}, {});
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
    const MlState s = state.load(std::memory_order_acquire);
    if (is_blocked(s)) return refuse(s);
    if (is_no_row(row)) return no_row();
    const HotModel* model = model_of(handle);
    if (model == nullptr) return no_model();
    const PredictResult r = evaluate(*model, row);
    if (r.ok()) predictions.fetch_add(1, std::memory_order_relaxed);
    return r;
  }

  // The batch: one state load (again only after a recorded failure, which
  // may have latched), one success-counter update.
  std::size_t batch(std::span<const ModelHandle> handles, std::span<const FeatureRow> rows,
                    std::span<PredictResult> out) noexcept {
    MlState s = state.load(std::memory_order_acquire);
    std::size_t ok = 0;
    std::size_t i = 0;
    for (; i < rows.size() && !is_blocked(s); ++i) {
      const FeatureRow& row = rows[i];
      PredictResult r;
      if (is_no_row(row)) [[unlikely]] {
        r = no_row();
      } else if (const HotModel* model = model_of(handles[i]); model == nullptr) [[unlikely]] {
        r = no_model();
      } else {
        r = evaluate(*model, row);
        if (!r.ok()) [[unlikely]] {
          s = state.load(std::memory_order_acquire);  // the failure may have latched
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
    return ok;
  }

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
                        state_file.string()));
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
    FailureDescription d = describe_failure(symbol, reason, row, model, contract);
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
  impl_ = std::make_unique<Impl>(config, contract, options);
  Impl& m = *impl_;
  m.schema = m.contract.schema().get();

  if (!config.ml_enabled) {
    m.state.store(MlState::kDisabledConfig);
    m.event(spdlog::level::info, "", "DISABLED_CONFIG", "ML_DISABLED_BY_CONFIG",
            "features.ml_enabled is not true: ML gives no signal (no model loaded)");
    return;
  }

  // The latch first: a latched, unreadable or unwritable state file keeps ML off.
  bool latched = false;
  if (!m.in_memory) {
    for (const auto& removed : remove_stale_temporaries(m.state_file, std::chrono::hours(24))) {
      m.event(spdlog::level::warn, "", "STATE_TEMPORARY_REMOVED", "STALE_TEMPORARY",
              fmt::format("removed {}: a state-file temporary older than a day, left by a writer "
                          "that crashed before its rename",
                          removed.string()));
    }
    try {
      const GovernanceStateFile found = read_governance_state_file(m.state_file);
      if (!found.warning.empty()) {
        m.event(spdlog::level::warn, "", "STATE_FILE_PERMISSIONS", "WRITABLE_BY_OTHERS",
                found.warning);
      }
      if (!found.exists) {
        m.event(spdlog::level::warn, "", "STATE_FILE_MISSING", "NO_STATE_FILE",
                fmt::format("no governance state at {}: starting enabled with an empty history; "
                            "expected only on a first start",
                            m.state_file.string()));
      }
      // The STARTED record: creates a missing file at once, and proves the file
      // writable. An engine that cannot write it starts disabled, so a latch it
      // could not persist can never be lost by a restart.
      const std::string ts = format_utc_millis(m.clock->wall_now());
      try {
        m.record = update_governance_state_file(m.state_file, [&](GovernanceRecord& r) {
          r.history.push_back({ts, "STARTED", "",
                               fmt::format("pid {} started on the file ({})", ::getpid(),
                                           r.disabled ? "DISABLED_GOVERNANCE" : "ENABLED")});
        });
        m.seen = Impl::reread_stamp();
        latched = m.record.disabled;
        if (latched) {
          m.event(spdlog::level::err, "", last_disabling_event(m.record), "LATCHED_AT_START",
                  fmt::format("{} says ML was disabled since {} ({}); re-enable with "
                              "`mlgov governance reenable` after a fix",
                              m.state_file.string(), m.record.since, m.record.reason));
        }
      } catch (const GovernanceStateError&) {
        throw;  // became garbage since the read above: handled below
      } catch (const std::exception& e) {
        latched = true;
        m.record = found.record;
        const std::string reason = fmt::format(
            "the state file cannot be written at start ({}): ML starts disabled so "
            "that a latch this engine could not persist is never lost",
            e.what());
        Impl::latch(m.record, ts, "STATE_NOT_WRITABLE", reason);
        m.unpersisted_latch.emplace("STATE_NOT_WRITABLE", reason);
        m.event(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_NOT_WRITABLE",
                fmt::format("cannot write the governance state file {}: {}; ML starts "
                            "DISABLED_GOVERNANCE (a latch that cannot be persisted would be lost "
                            "by a restart). Fix the directory (permissions, space): the latch is "
                            "then written, and an operator re-enables",
                            m.state_file.string(), e.what()));
      }
    } catch (const GovernanceStateError& e) {
      latched = true;
      const std::string ts = format_utc_millis(m.clock->wall_now());
      m.record = GovernanceRecord{};
      m.record.disabled = true;
      m.record.since = ts;
      m.record.reason = fmt::format("state file unreadable, treated as disabled: {}", e.what());
      m.record.history.push_back({ts, "STATE_FILE_UNREADABLE", "", e.what()});
      m.seen = Impl::stamp_of(m.state_file);
      m.unreadable_reported = true;
      m.event(spdlog::level::critical, "", "DISABLED_BY_GOVERNANCE", "STATE_FILE_UNREADABLE",
              fmt::format("governance state file is garbage or refused, so ML is treated as "
                          "DISABLED (never as enabled): {}; inspect it, then re-enable explicitly",
                          e.what()));
    }
  }
  if (!latched) m.seed_window();

  ModelRegistryOptions ro = registry_options_from(config);
  m.registry = ModelRegistry::load(ro, m.contract, *m.clock, *m.logger);
  m.hot.reserve(m.registry.models().size());
  for (const LoadedModel& model : m.registry.models()) {
    m.hot.push_back({model.backend.get(), model.info.n_features, &model});
  }

  m.state.store(latched ? MlState::kDisabledGovernance : m.enabled_state());
  for (const RefusedModel& r : m.registry.refused()) {
    m.record_failure(r.symbol, PredictStatus::kModelRefused, r.message, r.details_json);
  }
  m.event(spdlog::level::info, "", "STARTED", to_string(m.state.load()),
          fmt::format("governed predictor ready: {} models loaded ({} degraded), {} refused, "
                      "state {}",
                      m.registry.models().size(), m.registry.degraded_count(),
                      m.registry.refused().size(), to_string(m.state.load())));
  if (!m.in_memory) m.start_watcher();
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
    impl_->raise(result, printable_symbol(*symbol), *symbol, nullptr, row);
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

MlState GovernedPredictor::state() const noexcept {
  return impl_->state.load(std::memory_order_acquire);
}

void GovernedPredictor::reenable(std::string_view operator_name, std::string_view reason) {
  Impl& m = *impl_;
  if (!m.config.ml_enabled) {
    throw MlDisabledError(
        "cannot re-enable: ML is disabled by configuration (features.ml_enabled is not true)");
  }
  MlState old_state{};
  MlState new_state{};
  std::string message;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    const auto now = m.clock->wall_now();
    GovernanceRecord check;
    apply_reenable(check, operator_name, reason, now);  // validates the arguments
    if (m.in_memory) {
      apply_reenable(m.record, operator_name, reason, now);
    } else {
      GovernanceUpdateOptions o;
      o.replace_unreadable = true;  // a garbage file is rewritten, noting it was unreadable
      o.if_missing = &m.record;
      m.record = update_governance_state_file(  // throws: the latch stays
          m.state_file, [&](GovernanceRecord& r) { apply_reenable(r, operator_name, reason, now); },
          o);
      m.seen = Impl::reread_stamp();
    }
    m.unpersisted_latch.reset();
    m.unreadable_reported = false;
    m.window.clear();
    old_state = m.state.load(std::memory_order_acquire);
    new_state = m.enabled_state();
    m.state.store(new_state, std::memory_order_release);
    message = m.record.reason;
    m.event(spdlog::level::warn, "", "REENABLED", "OPERATOR",
            fmt::format("{} (state {} -> {})", message, to_string(old_state), to_string(new_state)),
            nlohmann::json{{"operator", std::string(operator_name)},
                           {"reason", std::string(reason)},
                           {"state_file", m.state_file.string()}}
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  m.notify(old_state, new_state, message);
}

void GovernedPredictor::disable(std::string_view operator_name, std::string_view reason) {
  Impl& m = *impl_;
  if (!m.config.ml_enabled) {
    throw MlDisabledError(
        "cannot disable: ML is disabled by configuration (features.ml_enabled is not true)");
  }
  MlState old_state{};
  MlState new_state = MlState::kDisabledGovernance;
  std::string message;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    const auto now = m.clock->wall_now();
    GovernanceRecord check;
    apply_operator_disable(check, operator_name, reason, now);  // validates the arguments
    old_state = m.state.load(std::memory_order_acquire);
    // ML goes off in this process first: the operator's switch never waits on the disk.
    m.state.store(new_state, std::memory_order_release);
    std::string persist_error;
    if (m.in_memory) {
      apply_operator_disable(m.record, operator_name, reason, now);
    } else
      try {
        GovernanceUpdateOptions o;
        o.if_missing = &m.record;
        m.record = update_governance_state_file(
            m.state_file,
            [&](GovernanceRecord& r) { apply_operator_disable(r, operator_name, reason, now); }, o);
        m.seen = Impl::reread_stamp();
      } catch (const std::exception& e) {
        persist_error = e.what();
        apply_operator_disable(m.record, operator_name, reason, now);
        m.unpersisted_latch.emplace("DISABLED_BY_OPERATOR", m.record.reason);
      }
    message = m.record.reason;
    m.event(spdlog::level::err, "", "DISABLED_BY_OPERATOR", "OPERATOR",
            fmt::format("{} (state {} -> {})", message, to_string(old_state), to_string(new_state)),
            nlohmann::json{{"operator", std::string(operator_name)},
                           {"reason", std::string(reason)},
                           {"state_file", m.state_file.string()}}
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!persist_error.empty()) {
      m.event(spdlog::level::critical, "", "STATE_NOT_PERSISTED", "STATE_FILE_WRITE_FAILED",
              fmt::format("the operator's disable could not be persisted to {}: {}; ML is off in "
                          "this process and the write is retried every second",
                          m.state_file.string(), persist_error));
    }
  }
  m.notify(old_state, new_state, message);
}

std::string GovernedPredictor::heartbeat(std::chrono::seconds uptime, std::uint64_t symbols,
                                         std::uint64_t cycles, bool host_halted) {
  Impl& m = *impl_;
  m.sync();  // a change another process made to the state file shows in this very line
  HeartbeatInput in;
  in.uptime = uptime;
  in.symbols = symbols;
  in.cycles = cycles;
  in.host_halted = host_halted;
  in.ml_state = state();
  in.model_errors = model_errors();
  m.heartbeat_cycles.store(cycles, std::memory_order_relaxed);
  m.heartbeat_host_halted.store(host_halted, std::memory_order_relaxed);
  m.heartbeat_wall_ms.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(m.clock->wall_now().time_since_epoch())
          .count(),
      std::memory_order_release);  // after cycles and halted
  std::string line = format_heartbeat_line(in);
  // Logged for live.jsonl (JsonLinesFileSink turns the line into the JSON
  // record of format_heartbeat_json); make_governance_logger's console leaves
  // it out: the host prints what this returns, so it shows once.
  m.logger->info("{}", line);
  return line;
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
    HeartbeatInput beat;  // the state= a heartbeat would report now
    beat.host_halted = m.heartbeat_host_halted.load(std::memory_order_relaxed);
    beat.ml_state = s.state;
    const std::string_view host = heartbeat_state(beat);
    s.host_state = host == "HALTED"     ? HostState::kHalted
                   : host == "DEGRADED" ? HostState::kDegraded
                                        : HostState::kOk;
    s.cycles = m.heartbeat_cycles.load(std::memory_order_relaxed);
    s.last_heartbeat_seconds = static_cast<double>(ms) / 1000.0;
  }
  std::lock_guard<std::mutex> lock(m.mu);
  s.failures_in_window = m.window.count_in_window(m.clock->steady_now());
  s.last_error = m.last_error;
  return s;
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

}  // namespace mlgov
