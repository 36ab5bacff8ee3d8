// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/errors.h"

#include <utility>

namespace mlgov {

ModelFeatureMismatchError::ModelFeatureMismatchError(const std::string& context,
                                                     FeatureMismatch mismatch)
    : Error(context + ": feature mismatch: " + mismatch.summary()),
      mismatch_(std::move(mismatch)) {}

NoModelError::NoModelError(std::string symbol, const std::string& message)
    : ModelError(message), symbol_(std::move(symbol)) {}

}  // namespace mlgov
