// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "model/native_forest.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>
#include <utility>

#include "mlgov/errors.h"

namespace mlgov::internal {
namespace {

constexpr std::uint32_t kDefaultLeftBit = 0x80000000u;
constexpr std::uint32_t kFeatureMask = 0x7fffffffu;
// Deeper trees are refused (the compact layout stores depths in a byte).
constexpr int kMaxTreeDepth = 255;

// One tree as XGBoost stores it, after validation.
struct RawTree {
  std::vector<std::int32_t> left, right;
  std::vector<std::uint32_t> feature;
  std::vector<float> condition;  // split condition, or leaf value at a leaf
  std::vector<bool> default_left;
  int depth = 0;
  bool is_leaf(std::int32_t n) const { return left[static_cast<std::size_t>(n)] == -1; }
};

// The right child goes left or right: XGBoost's rule, branch-free.
//   not missing: right = !(x < threshold)
//   NaN:         right = !default_left
// !(x < t) and (x >= t) differ only for NaN, so choose between them.
inline std::uint32_t goes_right(float x, float threshold, std::uint32_t feature_word) noexcept {
  const std::uint32_t not_less = !(x < threshold);
  const std::uint32_t greater_equal = x >= threshold;
  const std::uint32_t default_left = feature_word >> 31;
  return not_less ^ ((not_less ^ greater_equal) & default_left);
}

}  // namespace

// Builds a NativeForest from a validated model (validate_model_document
// checked the structure); all errors name the source file.
class NativeForestBuilder {
 public:
  NativeForestBuilder(const ValidatedModel& model, std::string source)
      : model_(model), source_(std::move(source)) {}

  std::unique_ptr<NativeForest> build() {
    if (!model_.unsupported.empty()) {
      throw UnsupportedModelError(source_ + ": " + model_.unsupported);
    }
    const FloatJson& doc = model_.document;
    const FloatJson& learner = field(doc, "learner", "learner");
    auto forest = std::make_unique<NativeForest>();

    const FloatJson& booster = field(learner, "gradient_booster", "learner.gradient_booster");
    const std::string booster_name = string_field(booster, "name", "learner.gradient_booster.name");
    if (booster_name != "gbtree") {
      fail("unsupported booster '" + booster_name +
           "' at learner.gradient_booster.name (the native backend evaluates gbtree only)");
    }
    const FloatJson& mparam = field(learner, "learner_model_param", "learner.learner_model_param");
    const long num_class = int_string(mparam, "num_class", "learner.learner_model_param");
    if (num_class > 1) {
      fail("multi-class models (learner.learner_model_param.num_class=" +
           std::to_string(num_class) + ") are not supported by the native backend");
    }
    if (mparam.contains("num_target")) {
      const long num_target = int_string(mparam, "num_target", "learner.learner_model_param");
      if (num_target != 1) {
        fail("multi-target models (learner.learner_model_param.num_target=" +
             std::to_string(num_target) + ") are not supported by the native backend");
      }
    }
    const std::string objective = string_field(field(learner, "objective", "learner.objective"),
                                               "name", "learner.objective.name");
    if (objective == "binary:logistic") {
      forest->objective_ = NativeForest::Objective::kBinaryLogistic;
    } else if (objective == "reg:squarederror") {
      forest->objective_ = NativeForest::Objective::kRegSquaredError;
    } else {
      fail("unsupported objective '" + objective +
           "' at learner.objective.name (native: binary:logistic, reg:squarederror)");
    }

    const long num_feature = int_string(mparam, "num_feature", "learner.learner_model_param");
    if (num_feature <= 0 || num_feature > static_cast<long>(kFeatureMask)) {
      fail("learner.learner_model_param.num_feature=" + std::to_string(num_feature) +
           " is out of range");
    }
    forest->num_features_ = static_cast<std::size_t>(num_feature);
    const float base_score = float_string(mparam, "base_score", "learner.learner_model_param");
    if (forest->objective_ == NativeForest::Objective::kBinaryLogistic) {
      if (!(base_score > 0.0f && base_score < 1.0f)) {
        fail("learner.learner_model_param.base_score=" + std::to_string(base_score) +
             " must lie in (0, 1) for binary:logistic");
      }
      // XGBoost 1.7 LogisticRegression::ProbToMargin, in float.
      forest->base_margin_ = -std::log(1.0f / base_score - 1.0f);
    } else {
      forest->base_margin_ = base_score;  // reg:squarederror: identity
    }

    const FloatJson& model = field(booster, "model", "learner.gradient_booster.model");
    const FloatJson& trees = field(model, "trees", "learner.gradient_booster.model.trees");
    if (!trees.is_array()) fail("learner.gradient_booster.model.trees is not an array");
    const FloatJson& gparam =
        field(model, "gbtree_model_param", "learner.gradient_booster.model.gbtree_model_param");
    const long num_trees =
        int_string(gparam, "num_trees", "learner.gradient_booster.model.gbtree_model_param");
    if (num_trees != static_cast<long>(trees.size())) {
      fail("gbtree_model_param.num_trees=" + std::to_string(num_trees) + " but " +
           std::to_string(trees.size()) + " trees are stored");
    }
    const FloatJson& tree_info =
        field(model, "tree_info", "learner.gradient_booster.model.tree_info");
    if (!tree_info.is_array() || tree_info.size() != trees.size()) {
      fail("learner.gradient_booster.model.tree_info must list one group per tree");
    }
    for (std::size_t t = 0; t < tree_info.size(); ++t) {
      if (!tree_info[t].is_number_integer() || tree_info[t].get<std::int64_t>() != 0) {
        fail("tree_info[" + std::to_string(t) +
             "] is not 0: multi-output models are not supported by the native backend");
      }
    }

    // XGBoost places each tree at its id (a permutation, validated) and
    // sums in that order.
    std::vector<std::size_t> by_id(trees.size());
    for (std::size_t t = 0; t < trees.size(); ++t) {
      by_id[trees[t].at("id").get<std::size_t>()] = t;
    }
    std::vector<RawTree> raw;
    raw.reserve(trees.size());
    for (const std::size_t t : by_id) {
      raw.push_back(read_tree(trees[t], t, forest->num_features_));
      forest->max_depth_ = std::max(forest->max_depth_, raw.back().depth);
    }
    forest->num_trees_ = raw.size();
    if (forest->max_depth_ <= NativeForest::kMaxPaddedDepth) {
      build_padded(raw, *forest);
    } else {
      build_compact(raw, *forest);
    }
    return forest;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidModelError(source_ + ": " + what);
  }

  const FloatJson& field(const FloatJson& obj, const char* key, const std::string& path) const {
    if (!obj.is_object()) fail("expected an object holding " + path);
    const auto it = obj.find(key);
    if (it == obj.end()) fail("missing field " + path);
    return *it;
  }

  std::string string_field(const FloatJson& obj, const char* key, const std::string& path) const {
    const FloatJson& v = field(obj, key, path);
    if (!v.is_string()) fail(path + " is not a string");
    return v.get<std::string>();
  }

  // XGBoost stores model parameters as strings ("28", "5E-1").
  long int_string(const FloatJson& obj, const char* key, const std::string& parent) const {
    const std::string path = parent + "." + key;
    const std::string s = string_field(obj, key, path);
    errno = 0;
    char* end = nullptr;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0) fail(path + "='" + s + "' is not an integer");
    return v;
  }

  float float_string(const FloatJson& obj, const char* key, const std::string& parent) const {
    const std::string path = parent + "." + key;
    const std::string s = string_field(obj, key, path);
    errno = 0;
    char* end = nullptr;
    const float v = std::strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno != 0 || !std::isfinite(v)) {
      fail(path + "='" + s + "' is not a finite number");
    }
    return v;
  }

  template <typename T>
  std::vector<T> array(const FloatJson& tree, const char* key, const std::string& where,
                       std::size_t expected) const {
    const FloatJson& a = field(tree, key, where + "." + key);
    if (!a.is_array()) fail(where + "." + key + " is not an array");
    if (a.size() != expected) {
      fail(where + "." + key + " has " + std::to_string(a.size()) + " entries, expected " +
           std::to_string(expected) + " (tree_param.num_nodes)");
    }
    std::vector<T> out;
    out.reserve(expected);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const FloatJson& v = a[i];
      if constexpr (std::is_same_v<T, float>) {
        if (!v.is_number()) fail(where + "." + key + "[" + std::to_string(i) + "] is not a number");
        out.push_back(v.get<float>());
      } else {
        if (v.is_boolean()) {
          out.push_back(v.get<bool>() ? 1 : 0);
        } else if (v.is_number_integer()) {
          const std::int64_t x = v.get<std::int64_t>();
          if (x < -1 || x > static_cast<std::int64_t>(kFeatureMask)) {
            fail(where + "." + key + "[" + std::to_string(i) + "]=" + std::to_string(x) +
                 " is out of range");
          }
          out.push_back(static_cast<T>(x));
        } else {
          fail(where + "." + key + "[" + std::to_string(i) + "] is not an integer");
        }
      }
    }
    return out;
  }

  RawTree read_tree(const FloatJson& tree, std::size_t t, std::size_t num_features) const {
    const std::string where = "learner.gradient_booster.model.trees[" + std::to_string(t) + "]";
    const long num_nodes = int_string(field(tree, "tree_param", where + ".tree_param"), "num_nodes",
                                      where + ".tree_param");
    if (num_nodes < 1 || num_nodes > (1l << 30)) {
      fail(where + ".tree_param.num_nodes=" + std::to_string(num_nodes) + " is out of range");
    }
    const auto n = static_cast<std::size_t>(num_nodes);
    RawTree r;
    r.left = array<std::int32_t>(tree, "left_children", where, n);
    r.right = array<std::int32_t>(tree, "right_children", where, n);
    const auto split_indices = array<std::int32_t>(tree, "split_indices", where, n);
    r.condition = array<float>(tree, "split_conditions", where, n);
    const auto default_left = array<std::int32_t>(tree, "default_left", where, n);
    // Categorical splits on reachable nodes made the model unsupported
    // (validate_model_document); the split type of other nodes is unused.
    r.feature.resize(n);
    r.default_left.resize(n);
    // Walk from the root: every reachable node is visited once (a tree, not
    // a graph), children are both -1 or both valid, features are in range.
    std::vector<int> depth(n, -1);
    std::vector<std::int32_t> stack{0};
    depth[0] = 0;
    while (!stack.empty()) {
      const auto node = static_cast<std::size_t>(stack.back());
      stack.pop_back();
      const std::string at = where + " node " + std::to_string(node);
      const std::int32_t l = r.left[node], rr = r.right[node];
      if (l == -1 && rr == -1) {
        r.depth = std::max(r.depth, depth[node]);
        if (!std::isfinite(r.condition[node])) fail(at + ": leaf value is not finite");
        continue;
      }
      if (l < 0 || rr < 0 || static_cast<std::size_t>(l) >= n ||
          static_cast<std::size_t>(rr) >= n || l == rr) {
        fail(at + ": invalid children " + std::to_string(l) + ", " + std::to_string(rr));
      }
      if (split_indices[node] < 0 ||
          static_cast<std::size_t>(split_indices[node]) >= num_features) {
        fail(at + ": split_indices=" + std::to_string(split_indices[node]) +
             " is not a feature of this " + std::to_string(num_features) + "-feature model");
      }
      if (std::isnan(r.condition[node])) fail(at + ": split condition is NaN");
      r.feature[node] = static_cast<std::uint32_t>(split_indices[node]);
      r.default_left[node] = default_left[node] != 0;
      for (const std::int32_t child : {l, rr}) {
        const auto c = static_cast<std::size_t>(child);
        if (depth[c] != -1 || child == 0)
          fail(at + ": node " + std::to_string(child) + " is reached twice");
        depth[c] = depth[node] + 1;
        if (depth[c] > kMaxTreeDepth) {
          fail(where + " is deeper than " + std::to_string(kMaxTreeDepth) + " levels");
        }
        stack.push_back(child);
      }
    }
    return r;
  }

  static void build_padded(const std::vector<RawTree>& raw, NativeForest& f) {
    f.layout_ = NativeForest::Layout::kPadded;
    const int d = f.max_depth_;
    const std::size_t n_internal = (std::size_t{1} << d) - 1;
    const std::size_t n_leaves = std::size_t{1} << d;
    f.padded_nodes_.assign(raw.size() * n_internal, {0, 0.0f});
    f.padded_leaves_.assign(raw.size() * n_leaves, 0.0f);
    f.padded_leaf_ids_.assign(raw.size() * n_leaves, -1);
    for (std::size_t t = 0; t < raw.size(); ++t) {
      NativeForest::PaddedNode* nodes = f.padded_nodes_.data() + t * n_internal;
      float* leaves = f.padded_leaves_.data() + t * n_leaves;
      std::int32_t* ids = f.padded_leaf_ids_.data() + t * n_leaves;
      // (XGBoost node, padded slot, level)
      std::vector<std::tuple<std::int32_t, std::size_t, int>> todo{{0, 0, 0}};
      while (!todo.empty()) {
        const auto [node, slot, level] = todo.back();
        todo.pop_back();
        const RawTree& r = raw[t];
        const auto un = static_cast<std::size_t>(node);
        if (level == d) {  // a real leaf at full depth, or a replicated one
          leaves[slot - n_internal] = r.condition[un];
          ids[slot - n_internal] = node;
          continue;
        }
        if (r.is_leaf(node)) {
          // Padding below a shallow leaf: both ways lead to the same value, so
          // the (arbitrary) split stored here cannot change the result.
          nodes[slot] = {0, 0.0f};
          todo.emplace_back(node, 2 * slot + 1, level + 1);
          todo.emplace_back(node, 2 * slot + 2, level + 1);
        } else {
          nodes[slot] = {r.feature[un] | (r.default_left[un] ? kDefaultLeftBit : 0u),
                         r.condition[un]};
          todo.emplace_back(r.left[un], 2 * slot + 1, level + 1);
          todo.emplace_back(r.right[un], 2 * slot + 2, level + 1);
        }
      }
    }
  }

  static void build_compact(const std::vector<RawTree>& raw, NativeForest& f) {
    f.layout_ = NativeForest::Layout::kCompact;
    f.tree_offset_.push_back(0);
    for (const RawTree& r : raw) {
      // Breadth-first renumbering so that siblings are adjacent.
      std::vector<std::int32_t> order{0};
      for (std::size_t i = 0; i < order.size(); ++i) {
        const auto n = static_cast<std::size_t>(order[i]);
        if (r.left[n] != -1) {
          order.push_back(r.left[n]);
          order.push_back(r.right[n]);
        }
      }
      std::vector<std::uint32_t> new_index(r.left.size(), 0);
      for (std::size_t i = 0; i < order.size(); ++i) {
        new_index[static_cast<std::size_t>(order[i])] = static_cast<std::uint32_t>(i);
      }
      for (std::size_t i = 0; i < order.size(); ++i) {
        const auto n = static_cast<std::size_t>(order[i]);
        NativeForest::CompactNode node{};
        if (r.left[n] == -1) {
          node = {0, r.condition[n], static_cast<std::uint32_t>(i), 0};
        } else {
          node = {r.feature[n] | (r.default_left[n] ? kDefaultLeftBit : 0u), r.condition[n],
                  new_index[static_cast<std::size_t>(r.left[n])], 1};
        }
        f.compact_nodes_.push_back(node);
        f.compact_ids_.push_back(order[i]);
      }
      f.tree_offset_.push_back(static_cast<std::uint32_t>(f.compact_nodes_.size()));
      f.tree_depth_.push_back(static_cast<std::uint8_t>(r.depth));
    }
  }

  const ValidatedModel& model_;
  std::string source_;
};

std::unique_ptr<NativeForest> NativeForest::load(const std::filesystem::path& model_file,
                                                 const ModelLimits& limits) {
  return build(read_and_validate_model(model_file, limits), model_file.string());
}

std::unique_ptr<NativeForest> NativeForest::build(const ValidatedModel& model,
                                                  const std::string& source) {
  return NativeForestBuilder(model, source).build();
}

namespace {

// Trees of one chunk are evaluated for every row before moving on, so that
// the chunk's nodes stay in L1 while the rows stream past.
constexpr std::size_t kChunkBytes = 16 * 1024;

}  // namespace

// Adds the leaves of trees [t0, t1) to acc[0..R) for R rows, T trees walked
// in lockstep (R*T independent descents in flight). Per row the leaves are
// added in tree order, as XGBoost does.
template <int D, std::size_t R, std::size_t T, bool kMaybeNaN>
void NativeForest::padded_kernel(std::size_t t0, std::size_t t1, const float* const* rows,
                                 float* acc) const noexcept {
  constexpr std::size_t n_internal = (std::size_t{1} << D) - 1;
  constexpr std::size_t n_leaves = std::size_t{1} << D;
  const PaddedNode* const all_nodes = padded_nodes_.data();
  const float* const all_leaves = padded_leaves_.data();
  std::size_t t = t0;
  for (; t + T <= t1; t += T) {
    std::uint32_t idx[T][R] = {};
    for (int level = 0; level < D; ++level) {
      for (std::size_t k = 0; k < T; ++k) {
        const PaddedNode* nodes = all_nodes + (t + k) * n_internal;
        for (std::size_t r = 0; r < R; ++r) {
          const PaddedNode n = nodes[idx[k][r]];
          const float x = rows[r][n.feature & kFeatureMask];
          // Without NaN in the rows, !(x < t) alone decides (one compare).
          const std::uint32_t right = kMaybeNaN ? goes_right(x, n.threshold, n.feature)
                                                : static_cast<std::uint32_t>(!(x < n.threshold));
          idx[k][r] = 2 * idx[k][r] + 1 + right;
        }
      }
    }
    for (std::size_t k = 0; k < T; ++k) {
      const float* leaves = all_leaves + (t + k) * n_leaves - n_internal;
      for (std::size_t r = 0; r < R; ++r) acc[r] += leaves[idx[k][r]];
    }
  }
  if constexpr (T > 1) {
    if (t < t1) padded_kernel<D, R, 1, kMaybeNaN>(t, t1, rows, acc);
  }
}

template <std::size_t R>
void NativeForest::compact_kernel(std::size_t t0, std::size_t t1, const float* const* rows,
                                  float* acc) const noexcept {
  for (std::size_t t = t0; t < t1; ++t) {
    const CompactNode* nodes = compact_nodes_.data() + tree_offset_[t];
    const int d = tree_depth_[t];
    std::uint32_t idx[R] = {};
    for (int level = 0; level < d; ++level) {
      for (std::size_t r = 0; r < R; ++r) {
        const CompactNode& n = nodes[idx[r]];
        const float x = rows[r][n.feature & kFeatureMask];
        idx[r] = n.left + (goes_right(x, n.value, n.feature) & n.is_split);
      }
    }
    for (std::size_t r = 0; r < R; ++r) acc[r] += nodes[idx[r]].value;
  }
}

// Single rows walk 8 trees in lockstep; batches go chunk of trees by chunk,
// 8 rows at a time. out[] holds the running margins between chunks.
namespace {

bool any_nan(const float* values, std::size_t n) noexcept {
  bool nan = false;
  for (std::size_t i = 0; i < n; ++i) nan |= std::isnan(values[i]);
  return nan;
}

}  // namespace

// Single rows walk 8 trees in lockstep; batches go chunk of trees by chunk,
// 8 rows at a time. out[] holds the running margins between chunks. Rows
// without NaN (the usual case: the predictor refuses non-finite features)
// take the one-compare kernel.
template <int D>
void NativeForest::padded_margins(const float* rows, std::size_t n_rows,
                                  float* out) const noexcept {
  const std::size_t f = num_features_;
  for (std::size_t i = 0; i < n_rows; ++i) out[i] = base_margin_;
  if (n_rows < 4) {
    for (std::size_t i = 0; i < n_rows; ++i) {
      const float* row = rows + i * f;
      if (any_nan(row, f)) {
        padded_kernel<D, 1, 8, true>(0, num_trees_, &row, out + i);
      } else {
        padded_kernel<D, 1, 8, false>(0, num_trees_, &row, out + i);
      }
    }
    return;
  }
  constexpr std::size_t tree_bytes =
      ((std::size_t{1} << D) - 1) * sizeof(PaddedNode) + (std::size_t{1} << D) * sizeof(float);
  constexpr std::size_t chunk = tree_bytes >= kChunkBytes ? 1 : kChunkBytes / tree_bytes;
  for (std::size_t t0 = 0; t0 < num_trees_; t0 += chunk) {
    const std::size_t t1 = std::min(num_trees_, t0 + chunk);
    std::size_t i = 0;
    for (; i + kRowBlock <= n_rows; i += kRowBlock) {
      const float* ptrs[kRowBlock];
      for (std::size_t r = 0; r < kRowBlock; ++r) ptrs[r] = rows + (i + r) * f;
      if (any_nan(ptrs[0], kRowBlock * f)) {
        padded_kernel<D, kRowBlock, 1, true>(t0, t1, ptrs, out + i);
      } else {
        padded_kernel<D, kRowBlock, 1, false>(t0, t1, ptrs, out + i);
      }
    }
    for (; i < n_rows; ++i) {
      const float* row = rows + i * f;
      if (any_nan(row, f)) {
        padded_kernel<D, 1, 4, true>(t0, t1, &row, out + i);
      } else {
        padded_kernel<D, 1, 4, false>(t0, t1, &row, out + i);
      }
    }
  }
}

void NativeForest::compact_margins(const float* rows, std::size_t n_rows,
                                   float* out) const noexcept {
  const std::size_t f = num_features_;
  std::size_t i = 0;
  for (; i + kRowBlock <= n_rows; i += kRowBlock) {
    const float* ptrs[kRowBlock];
    float acc[kRowBlock];
    for (std::size_t r = 0; r < kRowBlock; ++r) {
      ptrs[r] = rows + (i + r) * f;
      acc[r] = base_margin_;
    }
    compact_kernel<kRowBlock>(0, num_trees_, ptrs, acc);
    for (std::size_t r = 0; r < kRowBlock; ++r) out[i + r] = acc[r];
  }
  for (; i < n_rows; ++i) {
    const float* row = rows + i * f;
    float acc = base_margin_;
    compact_kernel<1>(0, num_trees_, &row, &acc);
    out[i] = acc;
  }
}

void NativeForest::margins(const float* rows, std::size_t n_rows, float* out) const noexcept {
  if (layout_ == Layout::kCompact) return compact_margins(rows, n_rows, out);
  switch (max_depth_) {
    case 0:
      return padded_margins<0>(rows, n_rows, out);
    case 1:
      return padded_margins<1>(rows, n_rows, out);
    case 2:
      return padded_margins<2>(rows, n_rows, out);
    case 3:
      return padded_margins<3>(rows, n_rows, out);
    case 4:
      return padded_margins<4>(rows, n_rows, out);
    case 5:
      return padded_margins<5>(rows, n_rows, out);
    case 6:
      return padded_margins<6>(rows, n_rows, out);
    case 7:
      return padded_margins<7>(rows, n_rows, out);
    default:
      return padded_margins<8>(rows, n_rows, out);
  }
}

bool NativeForest::predict_margin(const float* rows, std::size_t n_rows,
                                  float* out) const noexcept {
  if (n_rows == 0) return true;
  if (rows == nullptr || out == nullptr) return false;
  margins(rows, n_rows, out);
  return true;
}

bool NativeForest::predict(const float* rows, std::size_t n_rows, float* out) noexcept {
  if (!predict_margin(rows, n_rows, out)) return false;
  if (objective_ == Objective::kBinaryLogistic) {
    // XGBoost 1.7 common::Sigmoid, in float.
    for (std::size_t i = 0; i < n_rows; ++i) out[i] = 1.0f / (1.0f + std::exp(-out[i]));
  }
  return true;
}

std::size_t NativeForest::leaf_slot(std::size_t tree, const float* row) const noexcept {
  if (layout_ == Layout::kPadded) {
    const std::size_t n_internal = (std::size_t{1} << max_depth_) - 1;
    const PaddedNode* nodes = padded_nodes_.data() + tree * n_internal;
    std::uint32_t idx = 0;
    for (int level = 0; level < max_depth_; ++level) {
      const PaddedNode n = nodes[idx];
      idx = 2 * idx + 1 + goes_right(row[n.feature & kFeatureMask], n.threshold, n.feature);
    }
    return tree * (n_internal + 1) + (idx - n_internal);
  }
  const CompactNode* nodes = compact_nodes_.data() + tree_offset_[tree];
  std::uint32_t idx = 0;
  for (int level = 0; level < tree_depth_[tree]; ++level) {
    const CompactNode& n = nodes[idx];
    idx = n.left + (goes_right(row[n.feature & kFeatureMask], n.value, n.feature) & n.is_split);
  }
  return tree_offset_[tree] + idx;
}

int NativeForest::leaf_node_id(std::size_t tree, const float* row) const noexcept {
  if (tree >= num_trees_ || row == nullptr) return -1;
  const std::size_t slot = leaf_slot(tree, row);
  return layout_ == Layout::kPadded ? padded_leaf_ids_[slot] : compact_ids_[slot];
}

float NativeForest::leaf_value(std::size_t tree, const float* row) const noexcept {
  if (tree >= num_trees_ || row == nullptr) return std::numeric_limits<float>::quiet_NaN();
  const std::size_t slot = leaf_slot(tree, row);
  return layout_ == Layout::kPadded ? padded_leaves_[slot] : compact_nodes_[slot].value;
}

std::unique_ptr<ModelBackend> load_native_backend(const std::filesystem::path& model_file) {
  return NativeForest::load(model_file);
}

std::unique_ptr<ModelBackend> load_native_backend(const ValidatedModel& model,
                                                  const std::string& source) {
  return NativeForest::build(model, source);
}

}  // namespace mlgov::internal
