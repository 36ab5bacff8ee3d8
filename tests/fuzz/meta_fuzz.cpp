// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// libFuzzer target: the meta parser (fuzz_entries.h, mlgov::fuzz::meta).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_entries.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mlgov::fuzz::meta(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
