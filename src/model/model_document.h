// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// validate_model_document (internal): the one gate every XGBoost model file
// passes before any backend loads it. XGBoost 1.7's loader trusts the file:
// a child or split index out of range, a cycle, a missing tree or a short
// array in a model becomes a SIGSEGV or an endless loop at the first predict,
// and its JSON reader recurses once per nesting level. So the structure is
// checked here, in full, for every booster:
//
//   - the document parses (JSON text, or UBJSON through nlohmann's reader)
//     nested at most ModelLimits::max_nesting deep, every key once;
//   - learner_model_param: num_feature in [1, max_features], num_class and
//     num_target at most max_output_groups, base_score a finite number;
//   - gbtree (and dart's inner gbtree): num_trees == trees == tree_info
//     entries <= max_trees, tree ids a permutation of 0..n-1, tree_info
//     groups < the number of output groups, num_parallel_tree >= 1; dart:
//     one weight_drop per tree; gblinear: (num_feature + 1) * groups weights;
//   - every tree: every array num_nodes long, the total of nodes <= max_nodes;
//     from the root, children both -1 (a leaf) or a pair (left, left + 1)
//     inside the tree (XGBoost evaluates the right branch as left + 1), every
//     node reached at most once (no cycles, no shared children), depth <=
//     max_tree_depth, split features < num_feature, parents pointing at the
//     real parent; nodes not reached are XGBoost's deleted nodes (marker
//     split index 2^31-1 with default_left) and count num_deleted; the
//     categorical arrays (categories_nodes, _segments, _sizes, categories)
//     consistent and within range.
//
// The outcome is three-way: invalid (InvalidModelError: refuse the model),
// valid but not evaluable by the native evaluator (ValidatedModel::unsupported
// names why: categorical splits, multi-class or multi-target, dart,
// gblinear, another objective; XGBoost may evaluate it), or valid and
// native. XGBoost is never handed the original bytes: xgboost_json() is the
// validated document written back as canonical JSON text, so no difference
// between two JSON readers (duplicate keys, escapes, leading bytes that send
// XGBoost to its legacy binary loader) can reach it.
//
// Thread-safety: stateless functions; a ValidatedModel is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/errors.h"

namespace mlgov::internal {

// Numbers parsed straight to float (std::strtof, correctly rounded), as
// XGBoost reads them: going through double could round a value twice.
using FloatJson = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t,
                                       std::uint64_t, float>;

// Caps on a model. The defaults are generous for real models (a 64 MB file
// holds about 10^6 small trees; real models have 10^2..10^4 trees of depth
// 3..12) and stop the hostile ones.
struct ModelLimits {
  std::size_t max_file_bytes = 64u << 20;  // 64 MiB, checked before reading
  std::size_t max_trees = 100'000;
  int max_tree_depth = 64;                 // at most 255 (larger is taken as 255)
  std::size_t max_nodes = 16'777'216;      // all trees together (2^24)
  std::size_t max_features = 1'048'576;    // learner_model_param.num_feature
  std::size_t max_output_groups = 65'536;  // num_class, num_target
  std::size_t max_nesting = 32;            // JSON nesting (real models: 7)
};

enum class ModelFormat { kJson, kUbjson };

// A model the gate refuses: the message is one line, the rule broken, without
// the file name (the caller prefixes it).
class InvalidModelError : public ModelError {
 public:
  using ModelError::ModelError;
};

// A valid model the native evaluator cannot evaluate (thrown by the native
// loaders; the registry's `auto` backend then uses XGBoost).
class UnsupportedModelError : public ModelError {
 public:
  using ModelError::ModelError;
};

struct ValidatedModel {
  FloatJson document;
  ModelFormat format = ModelFormat::kJson;
  std::size_t num_features = 0;
  std::size_t num_trees = 0;
  // "" when the native evaluator can evaluate the model, else why not
  // (one line, e.g. "categorical split at trees[3] node 0").
  std::string unsupported;

  // The document as canonical JSON text for XGBoost (never throws for
  // content: invalid UTF-8 from a UBJSON string is replaced).
  std::string xgboost_json() const;
};

// UBJSON when the bytes start with '{' and a UBJSON type marker (XGBoost's
// own rule for a model buffer), else JSON.
ModelFormat detect_model_format(std::string_view bytes) noexcept;

// Parses and validates a model document (see the file comment). Throws
// InvalidModelError naming the field and the rule when the model is invalid
// or breaks a limit; never throws anything else but std::bad_alloc.
ValidatedModel validate_model_document(std::string_view bytes, ModelFormat format,
                                       const ModelLimits& limits);
// The same, with the format detected from the bytes (the fuzz target's entry).
ValidatedModel validate_model_document(std::string_view bytes, const ModelLimits& limits);

// Reads `model_file` (read_regular_file: a regular file within
// limits.max_file_bytes) and validates it, as UBJSON for a .ubj file, else
// as JSON. Throws ModelError or InvalidModelError "<file>: <rule>".
ValidatedModel read_and_validate_model(const std::filesystem::path& model_file,
                                       const ModelLimits& limits);

}  // namespace mlgov::internal
