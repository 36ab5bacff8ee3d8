// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Model files on disk (internal): reading a model or meta file only when it
// is what it claims to be, and removing what crashed training runs left.
//
// Why refuse instead of follow: a model directory or file that is a symlink
// can point anywhere (outside models_dir, at a file another user controls,
// at a different model than the one reviewed); a FIFO blocks the reader
// forever (start-up hangs); a device can be endless. `mlgov train` writes
// only plain directories and regular files, so anything else did not come
// from it, and loading it would serve a model nobody vetted.
//
// Thread-safety: stateless functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mlgov/clock.h"
#include "mlgov/events.h"

namespace mlgov::internal {

// What a path is, without following a symlink at its end.
enum class FileKind { kMissing, kRegular, kDirectory, kSymlink, kFifo, kOther, kError };
FileKind file_kind(const std::filesystem::path& path) noexcept;
// "a symlink", "a FIFO", "a device, socket or other special file", ...
std::string_view describe(FileKind kind) noexcept;

// Reads a regular file of at most `max_bytes` bytes, once. Refuses (throws
// ModelError "<path>: <why>") a symlink, a FIFO, a device or any other
// non-regular file (opened with O_NOFOLLOW | O_NONBLOCK, then fstat-checked,
// so a swap between check and open changes nothing), a file larger than
// `max_bytes` (checked before reading), and read errors.
std::string read_regular_file(const std::filesystem::path& path, std::size_t max_bytes);

// Removes the staging directories `.tmp-*` directly in `models_dir` whose
// last modification is more than `max_age` before clock.wall_now() (what a
// crashed `mlgov train` leaves), logging one warning line per directory
// removed (status STAGING_REMOVED). Symlinks and files named .tmp-* are left
// alone. Never throws: a directory that cannot be listed or removed is
// logged and skipped. Returns the number of directories removed.
std::size_t remove_stale_staging(const std::filesystem::path& models_dir, const Clock& clock,
                                 EventSink& logger,
                                 std::chrono::seconds max_age = std::chrono::hours(24));

// The same for a caller without a logger (the `mlgov train` tool): returns
// one line per stale directory, saying it was removed or why it was not.
struct StagingCleanup {
  std::filesystem::path directory;
  bool removed = false;
  std::string message;
};
std::vector<StagingCleanup> remove_stale_staging(
    const std::filesystem::path& models_dir, const Clock& clock,
    std::chrono::seconds max_age = std::chrono::hours(24));

// The first line of an error message, XGBoost's "[bt] (N) ..." stack frames
// and "Stack trace:" lines dropped, and " (and N more lines)" when other
// lines follow (the caller keeps the full text elsewhere): a refused
// model's message stays one line.
std::string one_line(std::string_view message);

}  // namespace mlgov::internal
