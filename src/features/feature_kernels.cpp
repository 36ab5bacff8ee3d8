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

#ifdef MLGOV_HAS_AVX2_KERNEL
__attribute__((target("avx2"))) void compute_batch_rows_avx2(const KernelInputs& in,
                                                             double (*f)[kNumFeatures]) noexcept {
  compute_feature_rows<LaneParts<kAvx2BatchKernel.lanes, Double4>>(in, f);
}

BatchKernel best_batch_kernel() noexcept {
  return __builtin_cpu_supports("avx2") ? kAvx2BatchKernel : kSse2BatchKernel;
}
#else
BatchKernel best_batch_kernel() noexcept { return kSse2BatchKernel; }
#endif

}  // namespace mlgov::internal
