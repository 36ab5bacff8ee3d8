// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The CSV `mlgov features` writes: `date,symbol,<features...>`, one row per
// frame row, each value in the shortest text that reads back as the same
// float32 (std::to_chars). Written atomically (temporary sibling, fsync,
// rename, fsync of the directory) while it is being formatted: a second
// thread writes one block while the caller formats the next, so the kernel's
// copy into the page cache overlaps the formatting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "mlgov/feature_computer.h"

namespace mlgov::cli {

// Writes `frame` as CSV to `path`, atomically: readers see the old file or
// the whole new one, and a failure leaves the old file untouched and removes
// the temporary. Throws std::system_error naming the path and the failed
// step. Uses one helper thread at a time (joined before it returns).
void write_features_csv(const FeatureFrame& frame, const std::filesystem::path& path);

// A features CSV read back: the rows in file order. A plain value.
struct FeaturesCsvTable {
  std::vector<std::string> columns;       // the feature columns (after date,symbol)
  std::vector<std::string> symbols;       // distinct symbols, in order of first appearance
  std::vector<std::uint32_t> row_symbol;  // per row: index into symbols
  std::vector<std::size_t> row_line;      // per row: its line in the file (1 = the header)
  std::vector<float> values;              // row-major, columns.size() per row
};

// Reads a CSV in the format write_features_csv writes, strictly: the header
// must be date,symbol followed by exactly `expected_columns` (names, order,
// count: a difference is reported as the FeatureMismatch summary); every row
// has that many fields, a real date (YYYY-MM-DD[THH:MM:SS]), a valid symbol
// (is_valid_symbol), and a number in every feature field (a float32: "nan"
// and "inf" as std::to_chars writes them are numbers; text, an empty field
// or a value beyond float32's range is not); a symbol's dates strictly
// increase down the file; no line is empty (but a final newline) or longer
// than `max_line_bytes` (read no further than the cap). A CR before the
// newline is ignored. Throws DataError "<file>:<line>: <rule>" for the first
// broken rule, or "<file>: ..." for an unreadable or empty file.
FeaturesCsvTable read_features_csv(const std::filesystem::path& file,
                                   std::span<const std::string> expected_columns,
                                   std::size_t max_line_bytes);

}  // namespace mlgov::cli
