// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelRegistry: the models found under models_dir, one per symbol, each
// checked against the feature contract before it may score a row.
//
// Layout: models_dir/<SYMBOL>_v<N>_<YYYYMMDD_HHMMSS>/ holding model.json (or
// model.ubj) and model_meta.json. The newest directory per symbol (by its
// timestamp) wins; if the newest is refused, the symbol has no model (an
// older directory is never used silently in its place). Entries whose name
// starts with '.' or contains ".tmp" are temporaries (a training run in
// progress) and are skipped; other names that do not fit the pattern, and
// symbols that break the symbol rule (is_valid_symbol), are skipped with a
// warning. Regular files directly in models_dir are ignored.
//
// Hostile files. A directory whose timestamp is not a real UTC date and time,
// or lies after clock.wall_now(), is refused and takes no part in choosing
// the newest (S001_v1_99999999_999999 never outranks a real retrain). A
// model directory that is a symlink, FIFO, device or other non-directory,
// and a model or meta file that is not a regular file, are refused (never
// followed: see README "Models"). Every model file is read once, within
// max_model_file_bytes, and its structure validated in full (indices,
// cycles, shared children, tree ids, depth and size caps) before any backend
// loads it; an invalid model is refused with one line naming the file and
// the rule. Any error while loading one directory refuses that symbol only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/events.h"
#include "mlgov/feature_contract.h"
#include "mlgov/ml_state.h"
#include "mlgov/model_meta.h"

namespace mlgov {

namespace internal {
class ModelBackend;  // src/model/model_backend.h: not part of the public API
}

// What an operator wants to know about a loaded model. A plain value.
struct ModelInfo {
  std::string symbol;
  std::filesystem::path directory;
  std::filesystem::path model_file;
  std::string backend;  // "native", "native_simd" or "xgboost"
  std::size_t n_features = 0;
  bool legacy = false;  // no model_meta.json: count check only
  bool stale = false;   // training_data_period.end older than max_model_age_days
  // Why the model is degraded ("" when healthy), e.g. "legacy model without
  // model_meta.json" or "stale: training data ends 2025-01-31, 400 days ago
  // (max 365)".
  std::string degraded_reason;
  std::optional<ModelMeta> meta;  // absent for legacy models
};

// A model directory that was refused at load. A plain value.
struct RefusedModel {
  std::string symbol;
  std::filesystem::path directory;
  // One line naming the file, the field and the rule broken, e.g.
  // ".../GOOG_v1_20261126_140307/model_meta.json: contract.fingerprint: expected
  // 3f2a..., got 9c1d... (meta written for another contract)".
  std::string message;
  // The feature mismatch (FeatureMismatch::to_json_object) when the refusal
  // is a feature-list difference, {"error": full text} when the message was
  // cut to one line, else null.
  nlohmann::json details;
};

// A loaded model: its description and the engine that evaluates it.
struct LoadedModel {
  ModelInfo info;
  // Internal (opaque to hosts). Thread-safe for concurrent predict().
  std::shared_ptr<internal::ModelBackend> backend;
};

// How the registry loads models. Defaults follow the shipped config.
struct ModelRegistryOptions {
  std::filesystem::path models_dir = "models/ml_alpha";
  PredictorBackend backend = PredictorBackend::kAuto;
  bool allow_legacy_models = true;
  int max_model_age_days = 0;  // 0: never stale
  // Caps on one model, checked before any backend sees it (over a cap: the
  // model is refused). Generous for real models, which hold 10^2..10^4
  // trees of depth 3..12.
  std::size_t max_model_file_bytes = std::size_t{64} << 20;  // 64 MiB, before reading
  std::size_t max_model_trees = 100'000;
  int max_model_tree_depth = 64;             // levels below the root; at most 255
  std::size_t max_model_nodes = 16'777'216;  // nodes of all trees together (2^24)
  std::size_t max_model_json_depth = 32;     // nesting of model.json (real models: 7)
};

// The options the config asks for: paths.models_dir, predictor.backend,
// governance.allow_legacy_models and max_model_age_days, and the limits:
// section's model caps. What the predictor and the tools load with.
ModelRegistryOptions registry_options_from(const Config& config);

// True when `symbol` is 1..64 characters of [A-Za-z0-9._-], is not "." and
// contains no "..". Such a symbol can never name a path outside models_dir.
bool is_valid_symbol(std::string_view symbol) noexcept;

// Immutable after load(): safe to read from any number of threads at once
// (find() is lock-free and allocates nothing).
class ModelRegistry {
 public:
  // An empty registry.
  ModelRegistry() = default;

  // Scans options.models_dir and loads the newest model of every symbol.
  // For each model: if model_meta.json exists it must parse and pass
  // check_model_meta_against(contract) (else refused, with the full
  // mismatch); without it the model loads in legacy mode when
  // allow_legacy_models (a deprecation warning is logged) and is refused
  // otherwise. The backend's feature count must equal the contract's
  // n_features. Backend: kAuto uses the native evaluator (native_simd when
  // the trees are at most 8 deep and the CPU has AVX-512F) and falls back to
  // XGBoost only when the model is valid but unsupported natively
  // (categorical splits, multi-class, dart, gblinear, another objective);
  // kNative and kNativeSimd refuse unsupported models; kXgboost always uses
  // XGBoost. An
  // invalid model is refused whatever the backend. Stale staging
  // directories (.tmp-* older than a day) are removed first, with a log line. A model whose
  // training_data_period.end (taken as 00:00 UTC that day) lies more than
  // max_model_age_days * 24 h before clock.wall_now() is stale: loaded,
  // degraded, logged. Refusals are returned by refused() (not logged here:
  // the predictor logs them as governance failures); legacy, stale and
  // skipped entries are logged on `logger`. Throws ModelError only when
  // models_dir does not exist or cannot be listed: any error inside one
  // model directory refuses that symbol and no other.
  static ModelRegistry load(const ModelRegistryOptions& options, const FeatureContract& contract,
                            const Clock& clock, EventSink& logger);

  // The model for `symbol`, or nullptr. One hash of the symbol and a binary
  // search over a compact array of hashes (the hot path's lookup: a handful
  // of cache lines, not a walk over the model records); noexcept, no
  // allocation.
  const LoadedModel* find(std::string_view symbol) const noexcept;

  // Loaded models, sorted by symbol.
  std::span<const LoadedModel> models() const noexcept { return models_; }
  // Refused model directories, sorted by symbol.
  const std::vector<RefusedModel>& refused() const noexcept { return refused_; }
  // Models that are legacy or stale.
  std::size_t degraded_count() const noexcept;

 private:
  // (hash of the symbol, index into models_), sorted: find()'s index.
  struct IndexEntry {
    std::uint64_t hash;
    std::uint32_t model;
  };
  void build_index();

  std::vector<LoadedModel> models_;
  std::vector<RefusedModel> refused_;
  std::vector<IndexEntry> index_;
};

}  // namespace mlgov
