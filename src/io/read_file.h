// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Reading a whole small file (state files, test fixtures). Internal: the
// public API reads files through the loaders that validate them.
#pragma once

#include <filesystem>
#include <string>

namespace mlgov::internal {

// Reads a whole file. Throws std::system_error naming the path.
std::string read_file(const std::filesystem::path& path);

}  // namespace mlgov::internal
