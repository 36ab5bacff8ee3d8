// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// fmt support for mlgov's public enums: each enum's header specialises
// fmt::formatter with EnumFormatter, so fmt::format("{}", state) (and an
// spdlog call) prints to_string(state). Width, fill and alignment apply as for
// a string ("{:>20}").
#pragma once

#include <string_view>

#include <fmt/core.h>

namespace mlgov {

// The formatter of an enum that has a to_string(Enum) returning
// std::string_view in namespace mlgov. Stateless; usable from any thread.
template <class Enum>
struct EnumFormatter : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(Enum value, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(to_string(value), ctx);
  }
};

}  // namespace mlgov
