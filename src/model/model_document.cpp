// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "model/model_document.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <utility>

#include "io/json_capped.h"
#include "model/model_files.h"

namespace mlgov::internal {
namespace {

// XGBoost writes a node's SplitIndex() masked to 31 bits: its deleted-node
// marker (0xffffffff) is written as 2^31-1 with default_left 1; the root's
// parent (-1) is written as 2^31-1 too.
constexpr std::int64_t kMasked31 = 2147483647;
// Categories are float-valued features: 2^24 is the first integer a float
// cannot tell from its neighbour. XGBoost allocates a bitfield of max+1 bits.
constexpr std::int64_t kMaxCategory = std::int64_t{1} << 24;
constexpr int kHardMaxTreeDepth = 255;

[[noreturn]] void invalid(const std::string& what) { throw InvalidModelError(what); }

std::string str(std::size_t v) { return std::to_string(v); }
std::string str(std::int64_t v) { return std::to_string(v); }

class Validator {
 public:
  explicit Validator(const ModelLimits& limits)
      : limits_(limits), max_depth_(std::min(limits.max_tree_depth, kHardMaxTreeDepth)) {}

  void run(ValidatedModel& out) {
    const FloatJson& doc = out.document;
    if (!doc.is_object()) invalid("the top level is not an object (rule: an XGBoost model)");
    if (const auto it = doc.find("version"); it != doc.end()) {
      const bool ok = it->is_array() && it->size() == 3 &&
                      std::all_of(it->begin(), it->end(), [](const FloatJson& v) {
                        return v.is_number_integer() && v.get<std::int64_t>() >= 0;
                      });
      if (!ok) invalid("field version: must be [major, minor, patch]");
    }
    const FloatJson& learner = object_member(doc, "learner", "learner");
    const std::string mp = "learner.learner_model_param";
    const FloatJson& mparam = object_member(learner, "learner_model_param", mp);
    const auto num_feature =
        int_param(mparam, "num_feature", mp, 1, static_cast<std::int64_t>(limits_.max_features));
    const auto max_groups = static_cast<std::int64_t>(limits_.max_output_groups);
    const auto num_class = int_param(mparam, "num_class", mp, 0, max_groups);
    const auto num_target =
        mparam.contains("num_target") ? int_param(mparam, "num_target", mp, 1, max_groups) : 1;
    float_param(mparam, "base_score", mp);
    num_features_ = num_feature;
    groups_ = std::max<std::int64_t>({num_class, num_target, 1});

    const FloatJson& objective = object_member(learner, "objective", "learner.objective");
    const std::string objective_name = string_member(objective, "name", "learner.objective.name");

    const std::string bp = "learner.gradient_booster";
    const FloatJson& booster = object_member(learner, "gradient_booster", bp);
    const std::string booster_name = string_member(booster, "name", bp + ".name");
    std::string unsupported;
    if (booster_name == "gbtree") {
      check_gbtree(object_member(booster, "model", bp + ".model"), bp + ".model");
    } else if (booster_name == "dart") {
      const FloatJson& inner = object_member(booster, "gbtree", bp + ".gbtree");
      if (string_member(inner, "name", bp + ".gbtree.name") != "gbtree") {
        invalid("field " + bp + ".gbtree.name: must be \"gbtree\"");
      }
      check_gbtree(object_member(inner, "model", bp + ".gbtree.model"), bp + ".gbtree.model");
      number_array(booster, "weight_drop", bp, num_trees_, "one per tree");
      unsupported = "unsupported booster 'dart' at learner.gradient_booster.name";
    } else if (booster_name == "gblinear") {
      const FloatJson& model = object_member(booster, "model", bp + ".model");
      number_array(model, "weights", bp + ".model",
                   static_cast<std::size_t>((num_feature + 1) * groups_),
                   "(num_feature + 1) x output groups");
      unsupported = "unsupported booster 'gblinear' at learner.gradient_booster.name";
    } else {
      invalid("field " + bp + ".name: unknown booster '" + excerpt(booster_name) +
              "' (rule: gbtree, dart or gblinear)");
    }
    if (unsupported.empty() && num_class > 1) {
      unsupported = "multi-class models (learner.learner_model_param.num_class=" + str(num_class) +
                    ") are not supported";
    }
    if (unsupported.empty() && num_target != 1) {
      unsupported =
          "multi-target models (learner.learner_model_param.num_target=" + str(num_target) +
          ") are not supported";
    }
    if (unsupported.empty() && objective_name != "binary:logistic" &&
        objective_name != "reg:squarederror") {
      unsupported = "unsupported objective '" + excerpt(objective_name) +
                    "' at learner.objective.name (native: binary:logistic, reg:squarederror)";
    }
    if (unsupported.empty()) unsupported = multi_output_;
    if (unsupported.empty()) unsupported = categorical_;
    if (!unsupported.empty()) unsupported += " by the native backend";

    out.num_features = static_cast<std::size_t>(num_feature);
    out.num_trees = num_trees_;
    out.unsupported = std::move(unsupported);
  }

 private:
  const FloatJson& member(const FloatJson& obj, const char* key, const std::string& path) const {
    if (!obj.is_object()) invalid("field " + parent_of(path) + ": not an object");
    const auto it = obj.find(key);
    if (it == obj.end()) invalid("missing field " + path);
    return *it;
  }

  static std::string parent_of(const std::string& path) {
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? "(top level)" : path.substr(0, dot);
  }

  const FloatJson& object_member(const FloatJson& obj, const char* key,
                                 const std::string& path) const {
    const FloatJson& v = member(obj, key, path);
    if (!v.is_object()) invalid("field " + path + ": not an object");
    return v;
  }

  std::string string_member(const FloatJson& obj, const char* key, const std::string& path) const {
    const FloatJson& v = member(obj, key, path);
    if (!v.is_string()) invalid("field " + path + ": not a string");
    return v.get<std::string>();
  }

  // XGBoost stores parameters as strings ("28", "5E-1").
  std::int64_t int_param(const FloatJson& obj, const char* key, const std::string& parent,
                         std::int64_t lo, std::int64_t hi) const {
    const std::string path = parent + "." + key;
    const std::string s = string_member(obj, key, path);
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0 || v < lo || v > hi) {
      invalid("field " + path + "='" + excerpt(s) + "': must be an integer in [" + str(lo) + ", " +
              str(hi) + "]");
    }
    return v;
  }

  void float_param(const FloatJson& obj, const char* key, const std::string& parent) const {
    const std::string path = parent + "." + key;
    const std::string s = string_member(obj, key, path);
    errno = 0;
    char* end = nullptr;
    const float v = std::strtof(s.c_str(), &end);
    if (s.empty() || *end != '\0' || errno != 0 || !std::isfinite(v)) {
      invalid("field " + path + "='" + excerpt(s) + "': must be a finite number");
    }
  }

  const FloatJson& array_member(const FloatJson& obj, const char* key, const std::string& where,
                                std::size_t expected, const char* why) const {
    const std::string path = where + "." + key;
    const FloatJson& a = member(obj, key, path);
    if (!a.is_array()) invalid("field " + path + ": not an array");
    if (expected != kAnySize && a.size() != expected) {
      invalid("field " + path + ": " + str(a.size()) + " entries, expected " + str(expected) +
              " (" + why + ")");
    }
    return a;
  }

  void number_array(const FloatJson& obj, const char* key, const std::string& where,
                    std::size_t expected, const char* why = "tree_param.num_nodes") const {
    const FloatJson& a = array_member(obj, key, where, expected, why);
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_number()) {
        invalid("field " + where + "." + key + "[" + str(i) + "]: not a number");
      }
    }
  }

  std::vector<std::int64_t> int_array(const FloatJson& obj, const char* key,
                                      const std::string& where, std::size_t expected,
                                      std::int64_t lo, std::int64_t hi,
                                      const char* why = "tree_param.num_nodes") const {
    const FloatJson& a = array_member(obj, key, where, expected, why);
    std::vector<std::int64_t> out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      const FloatJson& v = a[i];
      const bool in_range =
          v.is_number_integer() &&
          !(v.is_number_unsigned() &&
            v.get<std::uint64_t>() >
                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
      if (!in_range) {
        invalid("field " + where + "." + key + "[" + str(i) + "]: must be an integer in [" +
                str(lo) + ", " + str(hi) + "]");
      }
      out[i] = v.is_number_unsigned() ? static_cast<std::int64_t>(v.get<std::uint64_t>())
                                      : v.get<std::int64_t>();
      if (out[i] < lo || out[i] > hi) {
        invalid("field " + where + "." + key + "[" + str(i) + "]=" + str(out[i]) +
                ": must be an integer in [" + str(lo) + ", " + str(hi) + "]");
      }
    }
    return out;
  }

  void check_gbtree(const FloatJson& model, const std::string& where) {
    const std::string gp = where + ".gbtree_model_param";
    const FloatJson& gparam = object_member(model, "gbtree_model_param", gp);
    const auto max_trees = static_cast<std::int64_t>(limits_.max_trees);
    const auto num_trees = int_param(gparam, "num_trees", gp, 0, max_trees);
    int_param(gparam, "num_parallel_tree", gp, 1, std::max<std::int64_t>(max_trees, 1));
    num_trees_ = static_cast<std::size_t>(num_trees);
    const FloatJson& trees =
        array_member(model, "trees", where, num_trees_, "gbtree_model_param.num_trees");
    const auto info = int_array(model, "tree_info", where, num_trees_, 0, groups_ - 1,
                                "one output group per tree");
    if (std::any_of(info.begin(), info.end(), [](std::int64_t g) { return g != 0; })) {
      multi_output_ = "multi-output models (tree_info not all 0) are not supported";
    }
    std::vector<bool> seen(num_trees_, false);
    for (std::size_t t = 0; t < num_trees_; ++t) {
      const std::string tw = where + ".trees[" + str(t) + "]";
      const FloatJson& tree = trees[t];
      if (!tree.is_object()) invalid("field " + tw + ": not an object");
      const FloatJson& id = member(tree, "id", tw + ".id");
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0 ||
          id.get<std::uint64_t>() >= num_trees_ || seen[id.get<std::size_t>()]) {
        invalid("field " + tw + ".id: tree ids must be a permutation of 0.." +
                str(num_trees_ == 0 ? 0 : num_trees_ - 1) + " (a missing or repeated id)");
      }
      seen[id.get<std::size_t>()] = true;
      check_tree(tree, tw, t);
    }
  }

  void check_tree(const FloatJson& tree, const std::string& where, std::size_t t) {
    const std::string tp = where + ".tree_param";
    const FloatJson& tparam = object_member(tree, "tree_param", tp);
    const auto max_nodes = static_cast<std::int64_t>(limits_.max_nodes);
    const auto n64 = int_param(tparam, "num_nodes", tp, 1, max_nodes);
    total_nodes_ += static_cast<std::size_t>(n64);
    if (total_nodes_ > limits_.max_nodes) {
      invalid("the model has more than " + str(limits_.max_nodes) +
              " nodes (rule: at most max_nodes in all trees)");
    }
    const auto num_deleted = int_param(tparam, "num_deleted", tp, 0, n64 - 1);
    int_param(tparam, "num_feature", tp, 0, static_cast<std::int64_t>(limits_.max_features));
    const auto n = static_cast<std::size_t>(n64);
    for (const char* key : {"loss_changes", "sum_hessian", "base_weights", "split_conditions"}) {
      number_array(tree, key, where, n);
    }
    const auto left = int_array(tree, "left_children", where, n, -1, n64 - 1);
    const auto right = int_array(tree, "right_children", where, n, -1, n64 - 1);
    const auto parents = int_array(tree, "parents", where, n, -1, kMasked31);
    const auto split = int_array(tree, "split_indices", where, n, 0, kMasked31);
    const auto default_left = int_array(tree, "default_left", where, n, 0, 1);
    const bool has_split_type = tree.contains("split_type");
    const auto split_type = has_split_type ? int_array(tree, "split_type", where, n, 0, 1)
                                           : std::vector<std::int64_t>(n, 0);

    // From the root: each node reached once, children a pair (l, l + 1).
    std::vector<int> depth(n, -1);
    parent_of_.assign(n, -1);
    std::vector<std::int64_t> categorical_splits;
    std::vector<std::size_t> stack{0};
    depth[0] = 0;
    if (parents[0] != kMasked31 && parents[0] != -1) {
      invalid("field " + where + ".parents[0]=" + str(parents[0]) +
              ": the root has no parent (rule: 2147483647)");
    }
    while (!stack.empty()) {
      const std::size_t node = stack.back();
      stack.pop_back();
      const std::string at = where + " node " + str(node);
      const std::int64_t l = left[node], r = right[node];
      if (l == -1) {
        if (r != -1) invalid(at + ": a leaf (left child -1) with right child " + str(r));
        continue;
      }
      if (r != l + 1) {
        invalid(at + ": children " + str(l) + ", " + str(r) +
                " are not a pair (left, left + 1) (rule: XGBoost takes left + 1 as the right "
                "child)");
      }
      for (const std::int64_t child : {l, r}) {
        const auto c = static_cast<std::size_t>(child);
        if (child == 0 || depth[c] != -1) {
          invalid(at + ": node " + str(child) +
                  " is reached twice (rule: a tree, without cycles or shared children)");
        }
        depth[c] = depth[node] + 1;
        if (depth[c] > max_depth_) {
          invalid(where + " is deeper than " + std::to_string(max_depth_) +
                  " levels (rule: max_tree_depth)");
        }
        parent_of_[c] = static_cast<std::int64_t>(node);
        stack.push_back(c);
      }
      if (split[node] >= num_features_) {
        invalid(at + ": split_indices=" + str(split[node]) + " is not a feature of this " +
                str(num_features_) + "-feature model");
      }
      if (split_type[node] == 1) categorical_splits.push_back(static_cast<std::int64_t>(node));
    }

    // The parents array agrees with the children (checked after the walk,
    // so that a shared child is reported as such).
    for (std::size_t c = 1; c < n; ++c) {
      if (depth[c] != -1 && parents[c] != parent_of_[c]) {
        invalid(where + " node " + str(c) + ": parents[" + str(c) + "]=" + str(parents[c]) +
                " but its parent is node " + str(parent_of_[c]));
      }
    }

    // Nodes not reached are deleted nodes; their parent chains reach the root.
    std::int64_t deleted = 0;
    for (std::size_t i = 1; i < n; ++i) {
      const bool marker = split[i] == kMasked31 && default_left[i] == 1;
      deleted += marker ? 1 : 0;
      if (depth[i] == -1 && !marker) {
        invalid(where + " node " + str(i) +
                ": not reachable from the root and not marked deleted (rule: every node in the "
                "tree once)");
      }
    }
    if (deleted != num_deleted) {
      invalid("field " + tp + ".num_deleted=" + str(num_deleted) + " but " + str(deleted) +
              " nodes are marked deleted");
    }
    check_parent_chains(parents, depth, where);

    if (has_split_type) check_categories(tree, where, n, split_type, categorical_splits);
    if (!categorical_splits.empty() && categorical_.empty()) {
      categorical_ = "categorical split at " + where + " node " + str(categorical_splits.front()) +
                     ": categorical features are not supported";
    }
    (void)t;
  }

  // XGBoost walks parent pointers (GetDepth); a cycle among deleted nodes
  // would be an endless loop there.
  static void check_parent_chains(const std::vector<std::int64_t>& parents,
                                  const std::vector<int>& depth, const std::string& where) {
    const std::size_t n = parents.size();
    enum : std::uint8_t { kUnknown, kOnPath, kDone };
    std::vector<std::uint8_t> state(n, kUnknown);
    for (std::size_t i = 0; i < n; ++i) {
      if (depth[i] != -1) state[i] = kDone;
    }
    std::vector<std::size_t> path;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t cur = i;
      path.clear();
      while (state[cur] == kUnknown) {
        state[cur] = kOnPath;
        path.push_back(cur);
        const std::int64_t p = parents[cur];
        if (p < 0 || static_cast<std::size_t>(p) >= n) {
          invalid(where + " node " + str(cur) + ": parents[" + str(cur) + "]=" + str(p) +
                  " is not a node of the tree");
        }
        cur = static_cast<std::size_t>(p);
      }
      if (state[cur] == kOnPath) {
        invalid(where + " node " + str(i) + ": its parent chain is a cycle");
      }
      for (const std::size_t k : path) state[k] = kDone;
    }
  }

  void check_categories(const FloatJson& tree, const std::string& where, std::size_t n,
                        const std::vector<std::int64_t>& split_type,
                        const std::vector<std::int64_t>& categorical_splits) {
    const auto n64 = static_cast<std::int64_t>(n);
    const auto categories = int_array(tree, "categories", where, kAnySize, 0, kMaxCategory - 1, "");
    const auto c64 = static_cast<std::int64_t>(categories.size());
    const auto nodes = int_array(tree, "categories_nodes", where, kAnySize, 0, n64 - 1, "");
    const auto m = nodes.size();
    const auto segments =
        int_array(tree, "categories_segments", where, m, 0, c64, "one per categories_nodes entry");
    const auto sizes =
        int_array(tree, "categories_sizes", where, m, 1, c64, "one per categories_nodes entry");
    for (std::size_t k = 0; k < m; ++k) {
      const std::string at = where + ".categories_nodes[" + str(k) + "]";
      if (k > 0 && nodes[k] <= nodes[k - 1]) invalid("field " + at + ": not increasing");
      if (split_type[static_cast<std::size_t>(nodes[k])] != 1) {
        invalid("field " + at + "=" + str(nodes[k]) + ": not a categorical split (split_type)");
      }
      if (segments[k] + sizes[k] > c64) {
        invalid("field " + where + ".categories_segments[" + str(k) +
                "]: the segment runs past the end of categories");
      }
      const auto first = categories.begin() + segments[k];
      const std::int64_t max_cat = *std::max_element(first, first + sizes[k]);
      bitfield_bytes_ += static_cast<std::size_t>(max_cat / 32 + 1) * 4;
      if (bitfield_bytes_ > limits_.max_file_bytes) {
        invalid("the categorical splits need more than " + str(limits_.max_file_bytes) +
                " bytes of bitfields (rule: at most max_file_bytes)");
      }
    }
    for (const std::int64_t node : categorical_splits) {
      if (!std::binary_search(nodes.begin(), nodes.end(), node)) {
        invalid(where + " node " + str(node) +
                ": a categorical split without categories (not in categories_nodes)");
      }
    }
  }

  static constexpr std::size_t kAnySize = static_cast<std::size_t>(-1);

  const ModelLimits& limits_;
  int max_depth_;
  std::int64_t num_features_ = 0;
  std::int64_t groups_ = 1;
  std::size_t num_trees_ = 0;
  std::size_t total_nodes_ = 0;
  std::size_t bitfield_bytes_ = 0;
  std::string multi_output_;
  std::string categorical_;
  std::vector<std::int64_t> parent_of_;  // per node of the tree being checked
};

}  // namespace

std::string ValidatedModel::xgboost_json() const {
  return document.dump(-1, ' ', false, FloatJson::error_handler_t::replace);
}

ModelFormat detect_model_format(std::string_view bytes) noexcept {
  if (bytes.size() >= 2 && bytes[0] == '{') {
    const char c = bytes[1];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '$' || c == '#') {
      return ModelFormat::kUbjson;
    }
  }
  return ModelFormat::kJson;
}

ValidatedModel validate_model_document(std::string_view bytes, ModelFormat format,
                                       const ModelLimits& limits) {
  if (bytes.size() > limits.max_file_bytes) {
    invalid(std::to_string(bytes.size()) + " bytes, more than the cap of " +
            std::to_string(limits.max_file_bytes) + " (rule: max_file_bytes)");
  }
  JsonCaps caps;
  caps.max_depth = limits.max_nesting;
  caps.max_values = bytes.size() + 1;
  caps.refuse_unsigned_above_int64 = true;
  auto parsed = parse_json_capped<FloatJson>(
      bytes, format == ModelFormat::kUbjson ? JsonSyntax::kUbjson : JsonSyntax::kText, caps);
  if (!parsed.document) {
    invalid(
        std::string(format == ModelFormat::kUbjson ? "not valid UBJSON: " : "not valid JSON: ") +
        parsed.error);
  }
  ValidatedModel out;
  out.document = std::move(*parsed.document);
  out.format = format;
  try {
    Validator(limits).run(out);
  } catch (const InvalidModelError&) {
    throw;
  } catch (const nlohmann::json::exception& e) {
    // A check above reads a type it did not test first: still a refusal.
    invalid(excerpt(e.what(), 200));
  }
  return out;
}

ValidatedModel validate_model_document(std::string_view bytes, const ModelLimits& limits) {
  return validate_model_document(bytes, detect_model_format(bytes), limits);
}

ValidatedModel read_and_validate_model(const std::filesystem::path& model_file,
                                       const ModelLimits& limits) {
  const std::string bytes = read_regular_file(model_file, limits.max_file_bytes);
  const ModelFormat format =
      model_file.extension() == ".ubj" ? ModelFormat::kUbjson : ModelFormat::kJson;
  try {
    return validate_model_document(bytes, format, limits);
  } catch (const InvalidModelError& e) {
    throw InvalidModelError(model_file.string() + ": " + e.what());
  }
}

}  // namespace mlgov::internal
