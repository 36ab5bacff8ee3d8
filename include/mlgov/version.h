// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The library's version.
#pragma once

#include <string_view>

namespace mlgov {

// "MAJOR.MINOR.PATCH" of the compiled library (may differ from the headers'
// kHeaderVersion if a host mixes builds, which is how to detect that).
std::string_view library_version() noexcept;

inline constexpr std::string_view kHeaderVersion = "1.1.0";

}  // namespace mlgov
