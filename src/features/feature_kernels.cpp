// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The batch kernel's two instruction sets. compute_feature_rows is always
// inlined, so each function below is the whole kernel compiled for its own
// target; -ffp-contract=off (CMakeLists.txt) keeps AVX2 from fusing a
// multiply and an add, so both round every operation as the scalar code does.
#include "features/feature_kernel.h"

namespace mlgov::internal {

void compute_batch_rows_sse2(const KernelInputs& in, double (*f)[kNumFeatures]) noexcept {
  compute_feature_rows<LaneParts<kSse2BatchKernel.lanes, Double2>>(in, f);
}

namespace {

// Gathers the symbols' windows into lanes, then runs the kernel on them.
// Always inlined: each caller below is compiled for its own target.
template <class V>
[[gnu::always_inline]] inline void compute_stream_rows(const SymbolWindows* const* w,
                                                       double (*f)[kNumFeatures]) noexcept {
  constexpr int L = kLanesOf<V>;
  InterleavedWindows<L> lanes;  // 29 KB of stack at 8 lanes
  lanes.template set<V::kWidth == 8>(w);
  compute_feature_rows<V, L>(lanes.inputs(), f);
}

}  // namespace

void compute_stream_rows_sse2(const SymbolWindows* const* w, double (*f)[kNumFeatures]) noexcept {
  compute_stream_rows<LaneParts<kStreamLanes, Double2>>(w, f);
}

#ifdef MLGOV_HAS_AVX2_KERNEL
__attribute__((target("avx2"))) void compute_stream_rows_avx2(const SymbolWindows* const* w,
                                                              double (*f)[kNumFeatures]) noexcept {
  compute_stream_rows<LaneParts<kStreamLanes, Double4>>(w, f);
}

using Double8 = double __attribute__((vector_size(64)));

__attribute__((target("avx512f"))) void compute_stream_rows_avx512(
    const SymbolWindows* const* w, double (*f)[kNumFeatures]) noexcept {
  compute_stream_rows<LaneParts<kStreamLanes, Double8>>(w, f);
}

StreamKernel best_stream_kernel() noexcept {
  if (__builtin_cpu_supports("avx512f")) return {compute_stream_rows_avx512, "avx512"};
  if (__builtin_cpu_supports("avx2")) return {compute_stream_rows_avx2, "avx2"};
  return {compute_stream_rows_sse2, "sse2"};
}

__attribute__((target("avx2"))) void compute_batch_rows_avx2(const KernelInputs& in,
                                                             double (*f)[kNumFeatures]) noexcept {
  compute_feature_rows<LaneParts<kAvx2BatchKernel.lanes, Double4>>(in, f);
}

BatchKernel best_batch_kernel() noexcept {
  return __builtin_cpu_supports("avx2") ? kAvx2BatchKernel : kSse2BatchKernel;
}
#else
BatchKernel best_batch_kernel() noexcept { return kSse2BatchKernel; }
StreamKernel best_stream_kernel() noexcept { return {compute_stream_rows_sse2, "sse2"}; }
#endif

}  // namespace mlgov::internal
