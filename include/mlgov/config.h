// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Config: the YAML configuration (configs/golden_config.yaml). ML is off
// unless it says `features.ml_enabled: true`.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mlgov {

// Which engine evaluates the trees. kAuto: native when the model is supported,
// XGBoost's C API otherwise.
enum class PredictorBackend { kAuto, kNative, kXgboost };

// governance: section. Defaults are the shipped values.
struct GovernanceConfig {
  int max_failures = 3;             // failures inside the window that latch DISABLED_GOVERNANCE
  double window_seconds = 300.0;    // sliding-window length, > 0
  bool allow_legacy_models = true;  // load models without model_meta.json (degraded)
  int max_model_age_days = 0;       // training_data_period.end older than this is stale; 0 = never
  std::filesystem::path state_file = "runtime/governance_state.json";  // latch persistence
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
  double console_info_interval_seconds = 5.0;  // at most one INFO/DEBUG console line per interval
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
  std::filesystem::path source;       // file it was read from ("" for defaults)
  std::vector<std::string> warnings;  // e.g. "features.ml_enabled absent: ML stays disabled"
};

// Reads and validates a YAML config. Absent keys keep their defaults (an
// absent features.ml_enabled adds a warning). Throws ConfigError naming
// "file:line" and the key for: unreadable file, YAML syntax error, a wrong
// type ("yes please" for a bool), a non-positive window or max_failures, a
// negative age, an unknown key in any section, an unknown backend.
Config load_config(const std::filesystem::path& file);

// Same rules on YAML text; `source` names it in errors.
Config parse_config(std::string_view yaml_text, const std::string& source);

// "auto" | "native" | "xgboost".
std::string_view to_string(PredictorBackend backend) noexcept;

}  // namespace mlgov
