// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "io/read_file.h"

namespace mlgov {
namespace {

[[noreturn]] void throw_errno(const std::string& what, int err) {
  throw std::system_error(err, std::generic_category(), what);
}

// A unique sibling name; the pid and a random suffix keep concurrent writers
// (threads or processes) apart.
std::filesystem::path temp_sibling(const std::filesystem::path& path) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  // fmt rather than operator+ chains: GCC 12 warns falsely (-Wrestrict) on those.
  return path.parent_path() /
         fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), rng() & 0xFFFFFFFF);
}

}  // namespace

void fsync_directory(const std::filesystem::path& dir) {
  const std::string name = dir.empty() ? std::string(".") : dir.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(name + ": cannot open directory to fsync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_errno(name + ": fsync of the directory failed", err);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path tmp = temp_sibling(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno(tmp.string() + ": cannot create temporary file", errno);
  auto fail = [&](const std::string& step) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw_errno(path.string() + ": " + step, err);
  };
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno(path.string() + ": close failed", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno(path.string() + ": rename into place failed", err);
  }
  fsync_directory(path.parent_path());
}

std::string internal::read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno(path.string() + ": cannot open", errno ? errno : ENOENT);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw_errno(path.string() + ": read failed", EIO);
  return ss.str();
}

std::vector<std::filesystem::path> remove_stale_temporaries(const std::filesystem::path& path,
                                                            std::chrono::seconds max_age) {
  std::vector<std::filesystem::path> removed;
  const std::string prefix = fmt::format(".{}.tmp.", path.filename().string());
  const std::filesystem::path dir = path.parent_path().empty() ? "." : path.parent_path();
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return removed;
  const auto now = std::filesystem::file_time_type::clock::now();
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::error_code ignored;
    if (!it->is_regular_file(ignored) || it->is_symlink(ignored)) continue;
    const auto mtime = it->last_write_time(ignored);
    if (ignored || now - mtime < max_age) continue;
    if (std::filesystem::remove(it->path(), ignored) && !ignored) removed.push_back(it->path());
  }
  return removed;
}

}  // namespace mlgov
