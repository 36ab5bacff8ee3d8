// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the per-bar input rules of docs/features_ml_v1.md, shared by the
// CSV loader, validate_bars and the streaming update (one definition).
#pragma once

#include <cmath>

#include "mlgov/bars.h"

namespace mlgov::internal {

// Rule names as they appear in error messages.
inline constexpr const char* kRuleNonIncreasingDate = "non-increasing or duplicate date";
inline constexpr const char* kRuleBadPrice = "non-finite or non-positive price";
inline constexpr const char* kRuleBadVolume = "negative or non-finite volume";
inline constexpr const char* kRuleHighBelowLow = "high < low";
inline constexpr const char* kRuleHighBelowOpenClose = "high < max(open, close)";
inline constexpr const char* kRuleLowAboveOpenClose = "low > min(open, close)";

inline bool good_price(double x) noexcept { return std::isfinite(x) && x > 0; }

// The first rule `bar` breaks on its own (prices, volume, OHLC consistency),
// or nullptr. Never throws, never allocates.
inline const char* bar_value_violation(const Bar& bar) noexcept {
  if (!good_price(bar.open) || !good_price(bar.high) || !good_price(bar.low) ||
      !good_price(bar.close)) {
    return kRuleBadPrice;
  }
  if (!std::isfinite(bar.volume) || bar.volume < 0) return kRuleBadVolume;
  if (bar.high < bar.low) return kRuleHighBelowLow;
  if (bar.high < (bar.open > bar.close ? bar.open : bar.close)) return kRuleHighBelowOpenClose;
  if (bar.low > (bar.open < bar.close ? bar.open : bar.close)) return kRuleLowAboveOpenClose;
  return nullptr;
}

}  // namespace mlgov::internal
