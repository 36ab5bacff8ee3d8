// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "model/model_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "mlgov/errors.h"
#include "mlgov/logging.h"

namespace mlgov::internal {
namespace {

FileKind kind_of(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::kRegular;
  if (S_ISDIR(mode)) return FileKind::kDirectory;
  if (S_ISLNK(mode)) return FileKind::kSymlink;
  if (S_ISFIFO(mode)) return FileKind::kFifo;
  return FileKind::kOther;
}

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

FileKind file_kind(const std::filesystem::path& path) noexcept {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT || errno == ENOTDIR ? FileKind::kMissing : FileKind::kError;
  }
  return kind_of(st.st_mode);
}

std::string_view describe(FileKind kind) noexcept {
  switch (kind) {
    case FileKind::kMissing:
      return "missing";
    case FileKind::kRegular:
      return "a regular file";
    case FileKind::kDirectory:
      return "a directory";
    case FileKind::kSymlink:
      return "a symlink";
    case FileKind::kFifo:
      return "a FIFO";
    case FileKind::kOther:
      return "a device, socket or other special file";
    case FileKind::kError:
      break;
  }
  return "unreadable";
}

std::string read_regular_file(const std::filesystem::path& path, std::size_t max_bytes) {
  const auto fail = [&](const std::string& why) -> std::string {
    throw ModelError(fmt::format("{}: {}", path.string(), why));
  };
  const FileKind kind = file_kind(path);
  if (kind == FileKind::kMissing) fail("missing");
  if (kind != FileKind::kRegular && kind != FileKind::kError) {
    fail(fmt::format("is {}, not a regular file (refused: only regular files are loaded)",
                     describe(kind)));
  }
  Fd file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) fail(fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail(fmt::format("cannot stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) {
    fail(fmt::format("is {}, not a regular file (refused: only regular files are loaded)",
                     describe(kind_of(st.st_mode))));
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_bytes) {
    fail(
        fmt::format("{} bytes, more than the cap of {} bytes (rule: a model file is at most "
                    "max_model_file_bytes)",
                    size, max_bytes));
  }
  std::string bytes(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(file.fd, bytes.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(fmt::format("read error: {}", std::strerror(errno)));
    if (n == 0) break;  // shrank while reading: parse what is there
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

std::vector<StagingCleanup> remove_stale_staging(const std::filesystem::path& models_dir,
                                                 const Clock& clock, std::chrono::seconds max_age) {
  std::vector<StagingCleanup> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(models_dir, ec);
  if (ec) return out;  // no models_dir: nothing to clean (the caller reports it)
  std::vector<std::filesystem::path> stale;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto path = it->path();
    if (path.filename().string().rfind(".tmp-", 0) != 0) continue;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    const auto modified = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    if (clock.wall_now() - modified > max_age) stale.push_back(path);
  }
  const auto hours = std::chrono::duration_cast<std::chrono::hours>(max_age).count();
  for (const auto& path : stale) {
    std::error_code rm;
    std::filesystem::remove_all(path, rm);
    if (rm) {
      out.push_back({path, false,
                     fmt::format("{}: stale staging directory (older than {} h, left by a crashed "
                                 "mlgov train) could not be removed: {}",
                                 path.string(), hours, rm.message())});
    } else {
      out.push_back({path, true,
                     fmt::format("{}: removed a staging directory older than {} h (left by a "
                                 "crashed mlgov train)",
                                 path.string(), hours)});
    }
  }
  return out;
}

std::size_t remove_stale_staging(const std::filesystem::path& models_dir, const Clock& clock,
                                 EventSink& logger, std::chrono::seconds max_age) {
  std::size_t removed = 0;
  for (const StagingCleanup& c : remove_stale_staging(models_dir, clock, max_age)) {
    GovernanceEvent event;
    event.time = clock.wall_now();
    event.level = spdlog::level::warn;
    event.status = c.removed ? "STAGING_REMOVED" : "STAGING_NOT_REMOVED";
    event.reason = "STALE_STAGING_DIRECTORY";
    event.message = c.message;
    logger.on_event(event);
    removed += c.removed ? 1 : 0;
  }
  return removed;
}

std::string one_line(std::string_view message) {
  std::string first;
  std::size_t more = 0;
  std::size_t pos = 0;
  while (pos <= message.size()) {
    std::size_t end = message.find('\n', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(pos, end - pos);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    const bool frame = line.rfind("[bt]", 0) == 0 || line == "Stack trace:";
    if (!line.empty() && !frame) {
      if (first.empty()) {
        first = line;
      } else {
        ++more;
      }
    }
    pos = end + 1;
  }
  if (more > 0) first += fmt::format(" (and {} more line{})", more, more == 1 ? "" : "s");
  return first;
}

}  // namespace mlgov::internal
