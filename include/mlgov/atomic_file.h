// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Crash-safe file replacement: readers see the old content or the new one,
// never a torn mix, and a failure leaves the old file untouched.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mlgov {

// Writes `content` to `path` atomically: a temporary file in the same
// directory, write, fsync, rename over `path`, fsync the directory. Creates
// no parent directories. Throws std::system_error naming the path and the
// step that failed; the temporary file is removed on failure.
// Thread-safe for distinct paths; concurrent writers of one path each land
// whole, last rename wins.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// fsyncs a directory so that a rename or creation inside it is durable.
// Throws std::system_error naming the directory.
void fsync_directory(const std::filesystem::path& dir);

// Removes the temporaries write_file_atomically(path, ...) left beside
// `path` (".<name>.tmp.<pid>.<n>", from a writer that crashed between create
// and rename) whose last modification is older than `max_age`. Returns the
// paths removed. Never throws except std::bad_alloc: a directory that cannot
// be listed or a file that cannot be removed is skipped.
std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& path,
                                                            std::chrono::seconds max_age);

}  // namespace mlgov
