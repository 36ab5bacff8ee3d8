// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the SIMD lanes THE kernel computes several rows in at once
// (GCC/Clang vector extension), each lane the same IEEE operations as a double.
#pragma once

#include <algorithm>
#include <type_traits>

namespace mlgov::internal {

// Lanes: L doubles that the arithmetic operators treat lane by lane. Plain
// double is one lane; LaneParts<L, Part> is L lanes held in native SIMD
// registers of two (SSE2) or four (AVX2) doubles (GCC/Clang vector
// extension). Each lane's +, -, *, / is the same IEEE operation as on a
// double, so a lane computes exactly what the scalar code would: lanes only
// let L rows' independent sums overlap. (Native-width parts, not one wide
// vector: GCC keeps a vector wider than the machine's registers in memory.)
//
// Every function taking or returning parts is always inlined, with no
// lambdas: a vector passed by value between a function compiled for AVX2 and
// one compiled without would be passed differently (GCC's -Wpsabi), which at
// -O0 (no inlining otherwise) gives wrong values.
using Double2 = double __attribute__((vector_size(16)));
using Double4 = double __attribute__((vector_size(32)));

#define MLGOV_LANES_INLINE [[gnu::always_inline]] inline

template <int L, class Part>
struct LaneParts {
  static constexpr int kLanes = L;
  static constexpr int kWidth = static_cast<int>(sizeof(Part) / sizeof(double));
  static constexpr int kParts = L / kWidth;
  static_assert(L % kWidth == 0);
  Part part[kParts];

  MLGOV_LANES_INLINE LaneParts& operator+=(const LaneParts& o) noexcept {
    for (int q = 0; q < kParts; ++q) part[q] += o.part[q];
    return *this;
  }
  MLGOV_LANES_INLINE friend LaneParts operator+(const LaneParts& a, const LaneParts& b) noexcept {
    LaneParts r;
    for (int q = 0; q < kParts; ++q) r.part[q] = a.part[q] + b.part[q];
    return r;
  }
  MLGOV_LANES_INLINE friend LaneParts operator-(const LaneParts& a, const LaneParts& b) noexcept {
    LaneParts r;
    for (int q = 0; q < kParts; ++q) r.part[q] = a.part[q] - b.part[q];
    return r;
  }
  MLGOV_LANES_INLINE friend LaneParts operator*(const LaneParts& a, const LaneParts& b) noexcept {
    LaneParts r;
    for (int q = 0; q < kParts; ++q) r.part[q] = a.part[q] * b.part[q];
    return r;
  }
  MLGOV_LANES_INLINE friend LaneParts operator/(const LaneParts& a, const LaneParts& b) noexcept {
    LaneParts r;
    for (int q = 0; q < kParts; ++q) r.part[q] = a.part[q] / b.part[q];
    return r;
  }
  MLGOV_LANES_INLINE friend LaneParts operator/(const LaneParts& a, double y) noexcept {
    LaneParts r;
    for (int q = 0; q < kParts; ++q) r.part[q] = a.part[q] / y;
    return r;
  }
  MLGOV_LANES_INLINE friend LaneParts operator-(const LaneParts& a, double y) noexcept {
    LaneParts r;
    for (int q = 0; q < kParts; ++q) r.part[q] = a.part[q] - y;
    return r;
  }
};

template <class V>
inline constexpr int kLanesOf = V::kLanes;
template <>
inline constexpr int kLanesOf<double> = 1;

// p[0 .. lanes), one value per lane. memcpy: an unaligned load on every
// compiler (an alignment attribute on a vector alias is not honoured by all).
template <class V>
MLGOV_LANES_INLINE V load_lanes(const double* p) noexcept {
  if constexpr (std::is_same_v<V, double>) {
    return *p;
  } else {
    V v;
    for (int q = 0; q < V::kParts; ++q) {
      std::remove_cvref_t<decltype(v.part[q])> x;  // a register, not v's memory
      __builtin_memcpy(&x, p + q * V::kWidth, sizeof(x));
      v.part[q] = x;
    }
    return v;
  }
}
template <class V>
MLGOV_LANES_INLINE double lane(const V& v, int k) noexcept {
  if constexpr (std::is_same_v<V, double>) {
    return v;
  } else {
    return v.part[k / V::kWidth][k % V::kWidth];
  }
}
// d where d > 0, else 0 (each lane: `d > 0 ? d : 0.0`).
template <class V>
MLGOV_LANES_INLINE V positive_part(const V& d) noexcept {
  if constexpr (std::is_same_v<V, double>) {
    return d > 0 ? d : 0.0;
  } else {
    V r;
    for (int q = 0; q < V::kParts; ++q) {
      const std::remove_cvref_t<decltype(d.part[q])> zero{};
      r.part[q] = d.part[q] > zero ? d.part[q] : zero;
    }
    return r;
  }
}
// -d where d < 0, else 0 (each lane: `d < 0 ? -d : 0.0`).
template <class V>
MLGOV_LANES_INLINE V negative_part(const V& d) noexcept {
  if constexpr (std::is_same_v<V, double>) {
    return d < 0 ? -d : 0.0;
  } else {
    V r;
    for (int q = 0; q < V::kParts; ++q) {
      const std::remove_cvref_t<decltype(d.part[q])> zero{};
      r.part[q] = d.part[q] < zero ? -d.part[q] : zero;
    }
    return r;
  }
}
// std::max / std::min lane by lane, with their exact tie rules.
template <class V>
MLGOV_LANES_INLINE V lanes_max(const V& a, const V& b) noexcept {
  if constexpr (std::is_same_v<V, double>) {
    return a < b ? b : a;
  } else {
    V r;
    for (int q = 0; q < V::kParts; ++q) r.part[q] = a.part[q] < b.part[q] ? b.part[q] : a.part[q];
    return r;
  }
}
template <class V>
MLGOV_LANES_INLINE V lanes_min(const V& a, const V& b) noexcept {
  if constexpr (std::is_same_v<V, double>) {
    return b < a ? b : a;
  } else {
    V r;
    for (int q = 0; q < V::kParts; ++q) r.part[q] = b.part[q] < a.part[q] ? b.part[q] : a.part[q];
    return r;
  }
}

#undef MLGOV_LANES_INLINE

}  // namespace mlgov::internal
