// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// VectorForest (internal): the "native_simd" evaluator. The same trees as
// NativeForest's padded layout (every tree padded to a complete tree of the
// model's depth D <= 8, heap order: node i's children at 2i+1 and 2i+2),
// evaluated many descents per AVX-512 instruction, in two layouts:
//
//   - rank16 (rows without NaN, when the model has at most 64 features and
//     fewer than 1008 distinct split values per feature): each feature's
//     split values sorted once; a node is 16 bits (feature << 10 | code),
//     the row's values become ranks (how many split values are <= x), and
//     `rank >= code` is exactly `!(x < split)`. 32 trees per instruction;
//     a lane picks its node among the level's nodes by a tree of blends
//     (gathers are slower than ~30 blends on the machines measured). Batches
//     go row by row.
//   - float32 (rows with NaN, or models rank16 does not take): one row puts
//     16 trees in the lanes (blends for nodes, a permute for the row value);
//     a batch puts 16 rows in the lanes (per tree, the upper levels and the
//     leaves looked up in registers, the row values gathered).
//
// Leaves are added per row one by one in tree order (a batch's lanes are
// rows, so a vector add keeps that order).
//
// Exact XGBoost semantics, bit for bit equal to NativeForest: `x < split`
// goes left, NaN goes to the default child, each row's margin starts at the
// base margin and adds its leaves in tree order in float (lanes are rows or
// are summed one by one in tree order), the same transform.
//
// Runtime dispatch: without AVX-512F (checked once, at build) predict() runs
// the NativeForest it was built from, so the choice is portable.
//
// Thread-safety: immutable after build; predict() may be called from any
// number of threads at once. predict() allocates nothing and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/model_backend.h"
#include "model/native_forest.h"

namespace mlgov::internal {

class VectorForest final : public ModelBackend {
 public:
  static constexpr int kMaxDepth = NativeForest::kMaxPaddedDepth;
  static constexpr std::size_t kLanes = 16;

  // Why `forest` cannot be evaluated by this layout ("" when it can): depth
  // over kMaxDepth, or too many features for 32-bit gather offsets.
  static std::string unsupported_reason(const NativeForest& forest);
  // True when this CPU runs the AVX-512 kernels (otherwise predict() runs
  // the NativeForest).
  static bool cpu_has_avx512() noexcept;

  // Takes over `forest`. Throws UnsupportedModelError naming `source` and
  // unsupported_reason() when it is not empty.
  static std::unique_ptr<VectorForest> build(std::unique_ptr<NativeForest> forest,
                                             const std::string& source);

  std::string_view name() const noexcept override { return "native_simd"; }
  std::size_t num_features() const noexcept override { return forest_->num_features(); }
  bool predict(const float* rows, std::size_t n_rows, float* out) noexcept override;
  // The raw margin (before the objective's transform) for each row.
  bool predict_margin(const float* rows, std::size_t n_rows, float* out) const noexcept;
  // True when predict() runs the AVX-512 kernels on this CPU.
  bool vectorized() const noexcept { return vectorized_; }
  const NativeForest& scalar() const noexcept { return *forest_; }

  // "rank16" when rows without NaN are scored on the 16-bit rank layout
  // (32 trees per instruction), else "float32".
  std::string_view layout_name() const noexcept {
    return rank_groups_.empty() ? "float32" : "rank16";
  }

  // Public for make_unique; use build().
  VectorForest() = default;
  struct Views;

 private:
  void margins(const float* rows, std::size_t n_rows, float* out) const noexcept;
  void build_rank_layout(const NativeForest& forest);

  std::unique_ptr<NativeForest> forest_;
  bool vectorized_ = false;
  int depth_ = 0;
  std::size_t num_trees_ = 0;
  // Batch layout, per tree kTreeFloats floats: thresholds [0, 64), feature
  // words (feature | default_left << 31) [64, 128), leaves [128, 128 + 2^D)
  // (64-float blocks: one tree is 12 cache lines for D <= 6).
  std::size_t tree_stride_ = 0;
  std::vector<float> by_tree_;
  // Single-row layout, per group of 16 trees: for each heap node n the 16
  // trees' thresholds, then their feature words, then per leaf the 16
  // trees' leaf values. Trees past the end are zero padding, never summed.
  std::size_t group_stride_ = 0;
  std::vector<float> by_group_;
  // Rank layout (empty when it does not apply): each feature's distinct split
  // values sorted, in chunks of 16 padded with +inf (feature f's at
  // [chunk_offset_[f], chunk_offset_[f + 1])), each chunk's last value
  // (splitters_, likewise padded to 16), and per group of 32 trees, for heap
  // node n, the 32 trees' 16-bit nodes (feature << 10 | code).
  std::vector<float> sorted_thresholds_;
  std::vector<std::uint32_t> chunk_offset_;
  std::vector<float> splitters_;
  std::vector<std::uint32_t> splitter_offset_;
  std::vector<std::uint16_t> rank_groups_;
  std::size_t rank_stride_ = 0;
};

}  // namespace mlgov::internal
