// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// NativeForest (internal): evaluates an XGBoost gbtree model read from its
// JSON model file, bit for bit as XGBoost 1.7's CPU predictor does:
//
//   margin = ProbToMargin(base_score)   (float; -logf(1/b - 1) for
//                                        binary:logistic, b itself for
//                                        reg:squarederror)
//   for tree in model order: margin += leaf(tree, row)          (float adds)
//   out = transform(margin)             (1/(1+expf(-m)) or identity)
//
// where a node sends a row left when `x < split_condition` (float compare),
// to its default child when x is NaN. Any other input, including +-inf, is
// compared as is.
//
// Layouts. When every tree is at most kMaxPaddedDepth deep, each tree is
// padded to a complete tree of the model's maximum depth D (leaves of
// shallower paths replicated into the padding) and evaluated branch-free:
// D steps of idx = 2*idx + 1 + go_right, then a leaf-array lookup. Deeper
// models use a compact layout (children adjacent, leaves pointing at
// themselves) walked for the tree's own depth, equally branch-free and
// exact. Rows are evaluated in interleaved blocks of kRowBlock so that
// several independent descents are in flight at once.
//
// load_native_backend (model_backend.h) returns one of these.
//
// Thread-safety: immutable after load; predict() may be called from any
// number of threads at once. predict() allocates nothing and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_backend.h"
#include "model/model_document.h"

namespace mlgov::internal {

class NativeForest final : public ModelBackend {
 public:
  enum class Objective { kBinaryLogistic, kRegSquaredError };
  enum class Layout { kPadded, kCompact };

  static constexpr int kMaxPaddedDepth = 8;
  static constexpr std::size_t kRowBlock = 8;

  // Reads an XGBoost model file (JSON, or UBJSON for a .ubj file; a regular
  // file within limits.max_file_bytes), validates it
  // (validate_model_document) and builds the evaluator. Throws
  // InvalidModelError or ModelError naming the file and the rule broken, and
  // UnsupportedModelError naming what the native evaluator does not do.
  static std::unique_ptr<NativeForest> load(const std::filesystem::path& model_file,
                                            const ModelLimits& limits = {});
  // Builds the evaluator from a validated model; `source` names the file in
  // errors. Throws UnsupportedModelError when model.unsupported is set.
  static std::unique_ptr<NativeForest> build(const ValidatedModel& model,
                                             const std::string& source);

  std::string_view name() const noexcept override { return "native"; }
  std::size_t num_features() const noexcept override { return num_features_; }
  bool predict(const float* rows, std::size_t n_rows, float* out) noexcept override;

  // The raw margin (before the objective's transform) for each row.
  bool predict_margin(const float* rows, std::size_t n_rows, float* out) const noexcept;

  // Diagnostics for parity tests: the XGBoost node id of the leaf `tree`
  // sends `row` to, and that leaf's value.
  int leaf_node_id(std::size_t tree, const float* row) const noexcept;
  float leaf_value(std::size_t tree, const float* row) const noexcept;

  std::size_t num_trees() const noexcept { return num_trees_; }
  int max_depth() const noexcept { return max_depth_; }
  Layout layout() const noexcept { return layout_; }
  Objective objective() const noexcept { return objective_; }
  // ProbToMargin(base_score): the margin every row starts from.
  float base_margin() const noexcept { return base_margin_; }

  // Public for make_unique; use load().
  NativeForest() = default;

 private:
  friend class NativeForestBuilder;
  friend class VectorForest;  // builds its lanes from the padded layout

  // Padded layout: per tree, (2^D - 1) internal nodes then 2^D leaves.
  struct PaddedNode {
    std::uint32_t feature;  // bit 31: default_left
    float threshold;
  };
  // Compact layout: children adjacent (right = left + 1); a leaf has
  // left = itself and is_split = 0 so extra steps stay on it.
  struct CompactNode {
    std::uint32_t feature;  // bit 31: default_left
    float value;            // split condition, or the leaf value
    std::uint32_t left;     // index within the tree
    std::uint32_t is_split;
  };

  template <int D, std::size_t R, std::size_t T, bool kMaybeNaN>
  void padded_kernel(std::size_t t0, std::size_t t1, const float* const* rows,
                     float* acc) const noexcept;
  template <std::size_t R>
  void compact_kernel(std::size_t t0, std::size_t t1, const float* const* rows,
                      float* acc) const noexcept;
  template <int D>
  void padded_margins(const float* rows, std::size_t n_rows, float* out) const noexcept;
  void compact_margins(const float* rows, std::size_t n_rows, float* out) const noexcept;
  void margins(const float* rows, std::size_t n_rows, float* out) const noexcept;
  // Index into the leaf storage (padded_leaves_ or compact_nodes_) of the
  // leaf `tree` sends `row` to.
  std::size_t leaf_slot(std::size_t tree, const float* row) const noexcept;

  std::size_t num_features_ = 0;
  std::size_t num_trees_ = 0;
  int max_depth_ = 0;
  Layout layout_ = Layout::kPadded;
  Objective objective_ = Objective::kBinaryLogistic;
  float base_margin_ = 0.0f;

  // kPadded
  std::vector<PaddedNode> padded_nodes_;       // num_trees * (2^D - 1)
  std::vector<float> padded_leaves_;           // num_trees * 2^D
  std::vector<std::int32_t> padded_leaf_ids_;  // XGBoost node id per padded leaf
  // kCompact
  std::vector<CompactNode> compact_nodes_;
  std::vector<std::uint32_t> tree_offset_;  // into compact_nodes_, num_trees + 1
  std::vector<std::uint8_t> tree_depth_;
  std::vector<std::int32_t> compact_ids_;  // XGBoost node id per compact node
};

}  // namespace mlgov::internal
