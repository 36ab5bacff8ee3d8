// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelMeta: model_meta.json, written beside every model by the training
// tool and checked against the feature contract when the model is loaded.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/feature_contract.h"

namespace mlgov {

struct ContractRef {
  std::string name;
  std::string version;
  std::string fingerprint;
};

struct TrainingDataPeriod {
  std::string start;  // YYYY-MM-DD
  std::string end;    // YYYY-MM-DD, >= start
};

// A plain value; safe to copy and to read from several threads.
struct ModelMeta {
  std::string symbol;                 // optional ("" when absent)
  std::vector<std::string> features;  // ordered, as the model consumes them
  std::size_t n_features = 0;
  ContractRef contract;
  std::string trained_at;  // ISO-8601 UTC, e.g. 2026-11-26T14:03:07Z
  std::string git_commit;
  bool git_dirty = false;
  TrainingDataPeriod training_data_period;
  std::string model_file = "model.json";
  std::string objective = "binary:logistic";
  std::string xgboost_version;
  nlohmann::json params = nlohmann::json::object();   // training parameters
  nlohmann::json metrics = nlohmann::json::object();  // e.g. valid_logloss, valid_auc
  nlohmann::json feature_stats =
      nlohmann::json::object();  // per feature: mean, std, min, max, deciles
  // Fields this version does not know, kept verbatim across load/save. A
  // loaded meta nests at most kMaxModelMetaDepth deep, so copying these
  // (a recursive operation in nlohmann) stays shallow.
  nlohmann::json unknown_fields = nlohmann::json::object();
};

// A model_meta.json nested deeper than this is refused (mlgov writes 3
// levels; a 10^6-deep unknown field would overflow the stack when copied).
inline constexpr std::size_t kMaxModelMetaDepth = 32;
// A model_meta.json larger than this is refused before it is read (mlgov
// writes about 30 KB).
inline constexpr std::size_t kMaxModelMetaBytes = std::size_t{16} << 20;

// Parses and validates model_meta.json. Throws ModelMetaError (and nothing
// else but std::bad_alloc) naming the file and the field for: a file that is
// not a regular file (a symlink, a FIFO: refused, never followed or waited
// on) or is larger than kMaxModelMetaBytes, an unreadable file, malformed
// JSON, nesting deeper than kMaxModelMetaDepth, a duplicate key, a number
// out of range (1e999), a missing or mistyped field, n_features !=
// features.size(), an empty or duplicate feature name, an unparseable
// trained_at or period date, start > end. Quotes at most 80 characters of
// any offending text.
ModelMeta load_model_meta(const std::filesystem::path& file);
// The same checks on the text of a meta; `source` names it in messages (the
// fuzz target's entry).
ModelMeta parse_model_meta(std::string_view json_text, const std::string& source);

// The JSON document (known fields first, then unknown_fields).
nlohmann::json to_json(const ModelMeta& meta);

// Writes meta atomically (see atomic_file.h). Throws std::system_error.
void save_model_meta(const ModelMeta& meta, const std::filesystem::path& file);

// Checks a meta against a contract: names and order first (a difference
// throws ModelFeatureMismatchError with the full FeatureMismatch), then the
// contract name, version and fingerprint (a difference throws ModelMetaError
// naming both fingerprints). `source` names the meta file in messages.
void check_model_meta_against(const ModelMeta& meta, const FeatureContract& contract,
                              const std::string& source);

// Fills features, n_features and contract from `contract`.
void set_contract(ModelMeta& meta, const FeatureContract& contract);

// True when `text` is an ISO-8601 UTC timestamp YYYY-MM-DDTHH:MM:SS[.fff]Z
// (or +00:00) naming a real instant.
bool is_iso8601_utc(std::string_view text) noexcept;
// True when `text` is YYYY-MM-DD naming a real date.
bool is_iso_date(std::string_view text) noexcept;

}  // namespace mlgov
