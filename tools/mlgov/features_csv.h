// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The CSV `mlgov features` writes: `date,symbol,<features...>`, one row per
// frame row, each value in the shortest text that reads back as the same
// float32 (std::to_chars). Written atomically (temporary sibling, fsync,
// rename, fsync of the directory) while it is being formatted: a second
// thread writes one block while the caller formats the next, so the kernel's
// copy into the page cache overlaps the formatting.
#pragma once

#include <filesystem>

#include "mlgov/feature_computer.h"

namespace mlgov::cli {

// Writes `frame` as CSV to `path`, atomically: readers see the old file or
// the whole new one, and a failure leaves the old file untouched and removes
// the temporary. Throws std::system_error naming the path and the failed
// step. Uses one helper thread at a time (joined before it returns).
void write_features_csv(const FeatureFrame& frame, const std::filesystem::path& path);

}  // namespace mlgov::cli
