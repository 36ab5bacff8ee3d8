// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// FeatureMismatch: the structured difference between the feature list a model
// expects and the one it was given. It is the "details" block carried by
// ModelFeatureMismatchError and logged as JSON by the predictor.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mlgov {

// A value type; safe to copy and to read from several threads.
struct FeatureMismatch {
  std::size_t expected_count = 0;
  std::size_t got_count = 0;
  // Names in the expected list that the other list lacks, in expected order.
  std::vector<std::string> missing;
  // Names in the other list that the expected list lacks, in their order.
  std::vector<std::string> extra;
  // First 0-based position i where expected[i] != got[i] (a position past
  // the end of the shorter list counts as differing). Empty when equal.
  std::optional<std::size_t> first_order_difference;
  // The names standing at first_order_difference ("" past the end).
  std::string expected_at_difference;
  std::string got_at_difference;

  // True when both lists are identical, element by element.
  bool matches() const noexcept { return !first_order_difference.has_value(); }

  // Compact JSON object: {"expected":N,"got":M,"missing":[...],"extra":[...],
  // "first_order_difference":I|null,"expected_name":"...","got_name":"..."}.
  // Strings are JSON-escaped; never throws on odd input.
  std::string to_json() const;
  // The same object as a value, for records that carry it (events.h).
  nlohmann::json to_json_object() const;

  // One human line, e.g. "expected 28 features, got 27; missing [vol_5];
  // order differs first at position 13 (expected vol_5, got vol_20)".
  std::string summary() const;
};

// Compares two ordered name lists. Pure; O(n log n); never throws except
// std::bad_alloc.
FeatureMismatch compare_feature_names(std::span<const std::string> expected,
                                      std::span<const std::string> got);

}  // namespace mlgov
