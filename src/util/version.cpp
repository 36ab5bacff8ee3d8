// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/version.h"

namespace mlgov {
std::string_view library_version() noexcept { return MLGOV_VERSION_STRING; }
}  // namespace mlgov
