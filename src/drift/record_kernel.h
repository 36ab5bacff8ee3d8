// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the clones of DriftMonitor's record kernel. The constructor
// picks the fastest this CPU runs; tests run every one the CPU can over the
// same rows (their windows must be bit-identical) and the benchmark times
// each.
#pragma once

#include <string_view>

#include "mlgov/drift.h"

namespace mlgov::internal {

enum class DriftRecordKernel {
  kGeneric,  // the vector extension as compiled for the build's target
  kAvx2,     // the same code compiled for AVX2 (8 features a register)
  kAvx512,   // intrinsics, 16 features a register, mask compares
};

std::string_view to_string(DriftRecordKernel kernel) noexcept;

struct DriftMonitorAccess {
  // Whether this CPU runs `kernel`.
  static bool cpu_runs(DriftRecordKernel kernel) noexcept;
  // The kernel `monitor` records with.
  static DriftRecordKernel kernel(const DriftMonitor& monitor) noexcept;
  // Makes `monitor` record with `kernel`; false (and no change) when the
  // CPU does not run it. Not while another thread records.
  static bool use(DriftMonitor& monitor, DriftRecordKernel kernel) noexcept;
};

}  // namespace mlgov::internal
