// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "features_csv.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "mlgov/atomic_file.h"
#include "mlgov/bars.h"

namespace mlgov::cli {
namespace {

namespace fs = std::filesystem;

// The longest text std::to_chars gives a float32 in its shortest form:
// sign, 9 significant digits, the point and "e-38" ("-1.17549435e-38").
constexpr std::size_t kMaxFloatText = 15;
// Big enough that a write is a few hundred microseconds of kernel work, small
// enough that the block the kernel copies is still in the cache.
constexpr std::size_t kBlockBytes = std::size_t{2} << 20;

[[noreturn]] void throw_errno(const std::string& what, int err) {
  throw std::system_error(err, std::generic_category(), what);
}

// A temporary sibling of `path`, created exclusively, that becomes `path`
// at commit(); removed by the destructor when commit() was not reached.
// The name follows write_file_atomically's (".<name>.tmp.<pid>.<n>") so that
// remove_stale_temporaries finds one a crash left behind.
class TemporarySibling {
 public:
  explicit TemporarySibling(const fs::path& path) : path_(path) {
    std::mt19937_64 rng{std::random_device{}()};
    tmp_ = path.parent_path() /
           fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), rng() & 0xFFFFFFFF);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno(tmp_.string() + ": cannot create temporary file", errno);
  }
  TemporarySibling(const TemporarySibling&) = delete;
  TemporarySibling& operator=(const TemporarySibling&) = delete;
  ~TemporarySibling() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }

  // Writes all of [data, data + size). Throws std::system_error.
  void write_all(const char* data, std::size_t size) const {
    while (size > 0) {
      const ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno(path_.string() + ": write failed", errno);
      }
      data += n;
      size -= static_cast<std::size_t>(n);
    }
  }

  // fsync, close, rename over the path, fsync the directory.
  void commit() {
    if (::fsync(fd_) != 0) throw_errno(path_.string() + ": fsync failed", errno);
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) throw_errno(path_.string() + ": close failed", errno);
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      throw_errno(path_.string() + ": rename into place failed", errno);
    }
    committed_ = true;
    fsync_directory(path_.parent_path());
  }

 private:
  fs::path path_;
  fs::path tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Appends one row; `p` has room for the longest possible row.
char* format_row(const FeatureFrame& frame, std::size_t i, std::string_view date, char* p) {
  p = std::copy(date.begin(), date.end(), p);
  *p++ = ',';
  p = std::copy(frame.symbols[i].begin(), frame.symbols[i].end(), p);
  for (const float v : frame.row_values(i)) {
    *p++ = ',';
    p = std::to_chars(p, p + kMaxFloatText, v).ptr;
  }
  *p++ = '\n';
  return p;
}

}  // namespace

void write_features_csv(const FeatureFrame& frame, const fs::path& path) {
  std::string header = "date,symbol";
  for (const std::string& c : frame.columns()) {
    header.push_back(',');
    header += c;
  }
  header.push_back('\n');
  std::size_t longest_symbol = 0;
  for (const std::string& s : frame.symbols) longest_symbol = std::max(longest_symbol, s.size());
  // The date (at most YYYY-MM-DDTHH:MM:SS), the symbol, a comma and a value
  // per column, the newline.
  const std::size_t max_row = 19 + 1 + longest_symbol + frame.cols() * (1 + kMaxFloatText) + 1;
  const std::size_t block_bytes = std::max({kBlockBytes, 2 * max_row, 2 * header.size()});

  TemporarySibling out(path);
  // Two blocks: the caller fills one while the helper thread writes the other.
  std::array<std::unique_ptr<char[]>, 2> blocks = {
      std::make_unique_for_overwrite<char[]>(block_bytes),
      std::make_unique_for_overwrite<char[]>(block_bytes)};
  std::future<void> writing;
  int current = 0;
  auto hand_over = [&](std::size_t size) {
    if (writing.valid()) writing.get();  // the other block is free again (or its error)
    writing = std::async(std::launch::async,
                         [&out, data = blocks[current].get(), size] { out.write_all(data, size); });
    current ^= 1;
  };
  try {
    char* p = std::copy(header.begin(), header.end(), blocks[current].get());
    BarTime date_of_text = 0;
    std::string date_text;
    for (std::size_t i = 0; i < frame.rows(); ++i) {
      if (blocks[current].get() + block_bytes - p < static_cast<std::ptrdiff_t>(max_row)) {
        hand_over(static_cast<std::size_t>(p - blocks[current].get()));
        p = blocks[current].get();
      }
      // Rows come date by date: a date is formatted once, not once a row.
      if (i == 0 || frame.times[i] != date_of_text) {
        date_of_text = frame.times[i];
        date_text = format_bar_time(date_of_text);
      }
      p = format_row(frame, i, date_text, p);
    }
    hand_over(static_cast<std::size_t>(p - blocks[current].get()));
    writing.get();
  } catch (...) {
    if (writing.valid()) writing.wait();  // the thread uses `out` and the blocks
    throw;
  }
  out.commit();
}

}  // namespace mlgov::cli
