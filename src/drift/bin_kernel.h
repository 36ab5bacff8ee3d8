// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the clones of DriftMonitor's binning kernel, which snapshot()
// runs over the rows record() copied (record() itself only copies). The
// constructor picks the fastest this CPU runs; tests run every one the CPU
// can over the same rows (their figures must be bit-identical) and the
// benchmark times each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mlgov/drift.h"

namespace mlgov::internal {

enum class DriftBinKernel {
  kGeneric,  // the vector extension as compiled for the build's target
  kAvx2,     // the same code compiled for AVX2 (8 features a register)
  kAvx512,   // intrinsics, 16 features a register, mask compares
};

std::string_view to_string(DriftBinKernel kernel) noexcept;

struct DriftMonitorAccess {
  // Whether this CPU runs `kernel`.
  static bool cpu_runs(DriftBinKernel kernel) noexcept;
  // The kernel `monitor` bins with.
  static DriftBinKernel kernel(const DriftMonitor& monitor) noexcept;
  // Makes `monitor` bin with `kernel`; false (and no change) when the CPU
  // does not run it. Not while another thread takes a snapshot.
  static bool use(DriftMonitor& monitor, DriftBinKernel kernel) noexcept;
  // The features a row is padded to for bin_row (a multiple of 16).
  static std::size_t padded_features(const DriftMonitor& monitor) noexcept;
  // One row's cells under watched model `model`'s edges with the monitor's
  // kernel: `values` and `previous` (null: no previous row) padded to
  // padded_features() floats with NaN, `cells` padded_features() bytes.
  static void bin_row(const DriftMonitor& monitor, std::size_t model, const float* values,
                      const float* previous, std::uint8_t* cells) noexcept;
};

}  // namespace mlgov::internal
