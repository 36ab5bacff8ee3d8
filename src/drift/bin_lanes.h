// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the branch-free binning of up to 8 features at once (GCC/Clang
// vector extension; 8 floats are one AVX2 register or two SSE2 registers).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

// Every function here is always_inline: no 32-byte vector crosses a call,
// so clang's -Wpsabi ("AVX vector argument without 'avx' enabled changes the
// ABI"), raised where they are written into code compiled without AVX, has
// no ABI to protect.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace mlgov::internal {

inline constexpr std::size_t kBinLanes = 8;    // features per group
inline constexpr std::size_t kLaneEdges = 11;  // min, d1..d9, the float above max
// Features per group of the AVX-512 clone (one zmm register): the edge
// tables and the previous values are padded to a multiple of it, so a
// 16-lane load of either never leaves its array.
inline constexpr std::size_t kWideLanes = 16;

using BinFloat8 = float __attribute__((vector_size(32)));
using BinInt8 = std::int32_t __attribute__((vector_size(32)));
using BinByte8 = std::uint8_t __attribute__((vector_size(8)));

// The smallest float >= edge, and the smallest float > edge.
float round_up_to_float(double edge) noexcept;
float float_above(double edge) noexcept;

// Loads `count` (<= 8) values; the missing lanes are NaN.
[[gnu::always_inline]] inline BinFloat8 load_lanes(const float* values,
                                                   std::size_t count) noexcept {
  BinFloat8 v;
  if (count == kBinLanes) {
    std::memcpy(&v, values, sizeof v);
  } else {
    float padded[kBinLanes];
    for (float& x : padded) x = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(padded, values, count * sizeof(float));
    std::memcpy(&v, padded, sizeof v);
  }
  return v;
}

// The bins of 8 values: the number of the 11 edges each value is >= to
// (edges[k * stride + lane]), NaN blended to 12. No branch on a value.
[[gnu::always_inline]] inline BinInt8 bin_lanes(const float* edges, std::size_t stride,
                                                BinFloat8 v) noexcept {
  BinInt8 bin = {};
  for (std::size_t k = 0; k < kLaneEdges; ++k) {
    BinFloat8 e;
    std::memcpy(&e, edges + k * stride, sizeof e);
    bin -= (v >= e);  // a true lane is all ones: -1
  }
  const BinInt8 nan = (v != v);
  return (bin & ~nan) | (nan & 12);
}

// bin_lanes for `count` values, narrowed to bytes in out[0..8).
// The low byte of each lane (every cell is below 256), as 8 bytes: one
// shuffle, where __builtin_convertvector's narrowing is lowered lane by lane.
[[gnu::always_inline]] inline BinByte8 low_bytes(BinInt8 cells) noexcept {
  using Bytes32 = std::uint8_t __attribute__((vector_size(32)));
  const Bytes32 b = std::bit_cast<Bytes32>(cells);
  return __builtin_shufflevector(b, b, 0, 4, 8, 12, 16, 20, 24, 28);
}

[[gnu::always_inline]] inline void bin_group(const float* edges, std::size_t stride,
                                             const float* values, std::size_t count,
                                             std::uint8_t* out) noexcept {
  const BinByte8 bytes = low_bytes(bin_lanes(edges, stride, load_lanes(values, count)));
  std::memcpy(out, &bytes, sizeof bytes);
}

}  // namespace mlgov::internal

#pragma GCC diagnostic pop
