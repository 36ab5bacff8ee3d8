// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/feature_mismatch.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace mlgov {

FeatureMismatch compare_feature_names(std::span<const std::string> expected,
                                      std::span<const std::string> got) {
  FeatureMismatch m;
  m.expected_count = expected.size();
  m.got_count = got.size();
  const std::set<std::string_view> expected_set(expected.begin(), expected.end());
  const std::set<std::string_view> got_set(got.begin(), got.end());
  for (const auto& name : expected) {
    if (!got_set.contains(name)) m.missing.push_back(name);
  }
  for (const auto& name : got) {
    if (!expected_set.contains(name)) m.extra.push_back(name);
  }
  const std::size_t longest = std::max(expected.size(), got.size());
  for (std::size_t i = 0; i < longest; ++i) {
    const bool in_expected = i < expected.size();
    const bool in_got = i < got.size();
    if (in_expected && in_got && expected[i] == got[i]) continue;
    m.first_order_difference = i;
    m.expected_at_difference = in_expected ? expected[i] : std::string();
    m.got_at_difference = in_got ? got[i] : std::string();
    break;
  }
  return m;
}

nlohmann::json FeatureMismatch::to_json_object() const {
  nlohmann::json j = {
      {"expected", expected_count}, {"got", got_count}, {"missing", missing}, {"extra", extra}};
  if (first_order_difference) {
    j["first_order_difference"] = *first_order_difference;
    j["expected_name"] = expected_at_difference;
    j["got_name"] = got_at_difference;
  } else {
    j["first_order_difference"] = nullptr;
  }
  return j;
}

std::string FeatureMismatch::to_json() const {
  return to_json_object().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FeatureMismatch::summary() const {
  if (matches()) return fmt::format("the {} features match", expected_count);
  std::string s = fmt::format("expected {} features, got {}", expected_count, got_count);
  if (!missing.empty()) s += fmt::format("; missing [{}]", fmt::join(missing, ", "));
  if (!extra.empty()) s += fmt::format("; extra [{}]", fmt::join(extra, ", "));
  s += fmt::format("; order differs first at position {} (expected '{}', got '{}')",
                   *first_order_difference, expected_at_difference, got_at_difference);
  return s;
}

}  // namespace mlgov
