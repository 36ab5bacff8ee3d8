// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "predict/row_checks.h"

#include <cmath>

namespace mlgov::internal {

std::size_t first_non_finite(std::span<const float> values) noexcept {
  std::size_t index = 0;
  while (index < values.size() && std::isfinite(values[index])) ++index;
  return index;
}

}  // namespace mlgov::internal
