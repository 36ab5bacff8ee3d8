// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// SHA-256 (FIPS 180-4), for contract fingerprints. Our own 100 lines rather
// than a dependency on OpenSSL for one hash of a few hundred bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlgov::internal {

// Digest of `data`. Pure; thread-safe.
std::array<std::uint8_t, 32> sha256(std::string_view data) noexcept;

// Lower-case hex of a digest (64 characters).
std::string to_hex(const std::array<std::uint8_t, 32>& digest);

}  // namespace mlgov::internal
