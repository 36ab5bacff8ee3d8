// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Config: the YAML configuration (configs/golden_config.yaml). ML is off
// unless it says `features.ml_enabled: true`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlgov/enum_formatter.h"
namespace mlgov {

// Which engine evaluates the trees. kNative: the scalar native evaluator;
// kNativeSimd: its AVX-512 form (bit-identical; trees at most 8 deep; runs the
// scalar code on a CPU without AVX-512F); kXgboost: XGBoost's C API. kAuto:
// native_simd when the model allows it and the CPU has AVX-512F, else native
// when the native evaluator takes the model, else XGBoost.
enum class PredictorBackend { kAuto, kNative, kNativeSimd, kXgboost };

// governance: section. Defaults are the shipped values.
// The `governance.redis:` section (with governance.store: redis).
struct RedisStoreConfig {
  std::string url;  // redis://host[:port][/db]: no user or password in it, no TLS (rediss)
  // Derived from url by load_config/parse_config: the host name or address
  // (an IPv6 one in brackets in the url, without them here), the port
  // (1..65535, default 6379) and the database (0..65535, default 0).
  std::string host;
  int port = 6379;
  int db = 0;
  std::string scope;  // [A-Za-z0-9_.-]{1,64}: engines with the same scope share one latch
  int connect_timeout_ms = 1000;  // 1..60000
  int command_timeout_ms = 500;   // 1..60000
  int sync_interval_ms = 1000;    // the polling fallback when no change is published, 10..60000
  // The NAME of the environment variable holding the password ("" = no
  // AUTH); the password itself is never in a file or a log.
  std::string password_env;
  double grace_seconds = 30.0;  // keep the last known state this long when the store is lost
  // What an unavailable store (at start, or beyond grace) means: kDisable
  // (ML DISABLED_GOVERNANCE, reason STORE_UNAVAILABLE) or kLocal (this
  // process's own latch decides, with a WARNING).
  enum class OnUnavailable { kDisable, kLocal };
  OnUnavailable on_unavailable = OnUnavailable::kDisable;
};

struct GovernanceConfig {
  int max_failures = 3;             // failures inside the window that latch DISABLED_GOVERNANCE
  double window_seconds = 300.0;    // sliding-window length, [1 s, 7 days]
  bool allow_legacy_models = true;  // load models without model_meta.json (degraded)
  int max_model_age_days = 0;       // training_data_period.end older than this is stale; 0 = never
                                    // (at most 36500)
  std::filesystem::path state_file = "runtime/governance_state.json";  // latch persistence
  // Where the shared latch lives (governance_store.h): the state file above
  // (kFile, the default, no server) or Redis (kRedis: the `redis:` section
  // below; the host links mlgov::redis and passes
  // make_redis_governance_store in PredictorOptions::governance_store).
  enum class Store { kFile, kRedis };
  Store store = Store::kFile;
  RedisStoreConfig redis;  // meaningful with store: redis
};

// paths: section. Relative paths are taken relative to the process's working
// directory, as given; the host may override any of them.
struct PathsConfig {
  std::filesystem::path contracts_dir = "contracts";
  std::filesystem::path models_dir = "models/ml_alpha";
  std::filesystem::path logs_dir = "runtime/logs";
};

// logging: section.
struct LoggingConfig {
  // At most one INFO/DEBUG console line per interval; 0 = no throttling, at most 86400.
  double console_info_interval_seconds = 5.0;
};

// data: section.
struct DataConfig {
  std::string benchmark_symbol = "SPX";  // the benchmark series for beta_60
};

// training: section (XGBoost parameters for `mlgov train`).
struct TrainingConfig {
  int n_estimators = 300;
  int max_depth = 6;
  double eta = 0.05;
  double subsample = 0.8;
  double colsample_bytree = 0.8;
  std::string tree_method = "hist";
  int seed = 42;
};

// limits: section. Caps on what mlgov reads from files other programs write
// (bars, sector maps, models), so that a hostile or broken file fails with an
// error naming the cap instead of taking unbounded memory, time or stack.
struct LimitsConfig {
  std::size_t max_csv_line_bytes = 65536;            // one bars/sectors CSV line, [64, 16 MiB]
  std::uint64_t max_model_file_bytes = 64ULL << 20;  // model.json / .ubj, [1 KiB, 4 GiB]
  int max_trees = 100000;                            // trees in one model, [1, 10^7]
  int max_tree_depth = 64;                           // depth of one tree, [1, 255]
  int max_json_depth = 32;                           // nesting of a model file, [8, 1024]
};

// drift: section, per feature overrides (drift.features.NAME). An absent key
// takes the section's value.
struct DriftThresholds {
  std::optional<double> warn_psi;
  std::optional<double> alert_psi;
  std::optional<double> clear_psi;
  std::optional<double> out_of_range_warn;
  std::optional<double> out_of_range_alert;
  std::optional<double> stale_warn;
  std::string where;  // "file:line" of the override, for messages ("" when built in code)
};

// drift: section: live drift of the feature values against each model's
// training distribution (drift.h). Defaults are the shipped values.
struct DriftConfig {
  bool enabled = true;                  // watch the values (models with feature_stats)
  std::size_t window_rows = 2000;       // pooled window: the last N accepted rows, [100, 10^6]
  std::size_t model_window_rows = 500;  // per-model window (slow drift), [10, 10^5]
  std::size_t min_rows = 1000;          // pooled rows before judging, [1, window_rows]
  // The defaults come from the drift proof (docs/drift_proof.md): pooled
  // PSI moves with the market regime (a real regime change reaches PSI 7, as
  // high as a unit bug), so PSI only warns; the out-of-range fraction tells
  // a unit bug or a dead column (0.96-1.0 of the window) from a regime
  // change (at most 0.70 in 2008), so it alerts.
  double warn_psi = 0.25;     // PSI >= this: DRIFT_WARNING, [1e-6, 100]
  double alert_psi = 100.0;   // PSI >= this: DRIFT_ALERT (100: never by PSI alone), [warn_psi, 100]
  double clear_psi = 0.2;     // a PSI alert clears below this..., [1e-6, alert_psi]
  int clear_evaluations = 3;  // ...for this many evaluations in a row, [1, 1000]
  double out_of_range_warn = 0.25;  // out-of-training-range fraction: DRIFT_WARNING, (0, 1]
  double out_of_range_alert = 0.9;  // ... DRIFT_ALERT (clears below out_of_range_warn), [warn, 1]
  // Share of rows equal to the symbol's previous value, (0, 1].
  double stale_warn = 0.9;
  // A model's latest rows its stale share is judged on, [2, model_window_rows].
  std::size_t stale_window_rows = 20;
  bool alert_counts_as_failure = false;  // an evaluation with an alert records a governance failure
  // Relations (a sign flipped, columns swapped): a pair of features whose
  // live same-side-of-the-median agreement is this far from the training
  // one is broken; a feature with most of its pairs broken is in ALERT
  // (RELATION), (0, 1].
  double relation_break = 0.3;
  std::size_t relation_min_rows = 100;  // pair rows before a pair is judged, [1, 10^6]
  std::map<std::string, DriftThresholds, std::less<>> features;  // per-feature overrides
};

// The whole configuration: a plain value, safe to copy and to read from
// several threads.
struct Config {
  bool ml_enabled = false;                             // features.ml_enabled
  std::string contract = "ml_v1";                      // features.contract
  PredictorBackend backend = PredictorBackend::kAuto;  // predictor.backend
  GovernanceConfig governance;
  PathsConfig paths;
  LoggingConfig logging;
  DataConfig data;
  TrainingConfig training;
  LimitsConfig limits;
  DriftConfig drift;
  std::filesystem::path source;       // file it was read from ("" for defaults)
  std::vector<std::string> warnings;  // e.g. "features.ml_enabled absent: ML stays disabled"
};

// The largest configuration file load_config reads (1 MiB).
inline constexpr std::size_t kMaxConfigBytes = 1 << 20;
// The deepest nesting a configuration may have: block levels on a line plus
// its compact "- " / "? " indicators. mlgov's configuration needs 2.
inline constexpr int kMaxConfigNesting = 32;
// The most flow collections ('[' or '{' outside comments) a configuration may
// hold: mlgov's configuration has none, but a quoted value may contain one.
inline constexpr int kMaxConfigFlowCollections = 64;

// Reads and validates a YAML config. Absent keys keep their defaults (an
// absent features.ml_enabled adds a warning). Throws ConfigError (and no
// other exception) naming "file:line" and the key for: unreadable file, a
// file over kMaxConfigBytes, YAML syntax error, nesting beyond
// kMaxConfigNesting or kMaxConfigFlowCollections (checked by a linear scan
// before the YAML parser, which recurses, sees the text), a wrong type
// ("yes please" for a bool; null, a sequence or a mapping where a value
// belongs), a number out of its key's bounds (the message names them), an
// unknown or duplicate key or section, an unknown backend. Messages quote at
// most 80 bytes of a value.
Config load_config(const std::filesystem::path& file);

// Same rules on YAML text; `source` names it in errors.
Config parse_config(std::string_view yaml_text, const std::string& source);

// "auto" | "native" | "native_simd" | "xgboost".
std::string_view to_string(PredictorBackend backend) noexcept;

}  // namespace mlgov

template <>
struct fmt::formatter<mlgov::PredictorBackend> : mlgov::EnumFormatter<mlgov::PredictorBackend> {};
