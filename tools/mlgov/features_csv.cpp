// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "features_csv.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "mlgov/atomic_file.h"
#include "mlgov/bars.h"
#include "mlgov/errors.h"
#include "mlgov/feature_mismatch.h"
#include "mlgov/model_registry.h"

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

// At most 80 characters of an offending field, quoted in messages.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxQuoted = 80;
  return fmt::format("\"{}{}\"", text.substr(0, kMaxQuoted), text.size() > kMaxQuoted ? "..." : "");
}

// Splits on ',' into `fields` (no quoting: the writer never quotes).
void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// The float32 a field holds, or false. strtof (not from_chars): it reads a
// subnormal std::to_chars wrote back to the same float (ERANGE there is not
// an error), and "nan", "inf", "-inf".
bool parse_float_field(std::string_view field, float& out) {
  if (field.empty() || field.size() > 64 || field.front() == ' ' || field.front() == '\t' ||
      field.front() == '+') {
    return false;
  }
  std::array<char, 72> buf{};
  std::copy(field.begin(), field.end(), buf.begin());
  char* stop = nullptr;
  errno = 0;
  const float v = std::strtof(buf.data(), &stop);
  if (stop != buf.data() + field.size()) return false;
  // Overflow gives +-HUGE_VALF with ERANGE: a value float32 cannot hold.
  if (errno == ERANGE && std::isinf(v)) return false;
  out = v;
  return true;
}

// Feeds the lines of a file to `on_line(text, line_no)`, reading in blocks;
// a line longer than max_line_bytes is an error as soon as the cap is passed.
template <typename OnLine>
void for_each_line(const fs::path& file, std::size_t max_line_bytes, OnLine on_line) {
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!in) {
    throw DataError(fmt::format("{}: cannot read the features file: {}", file.string(),
                                std::generic_category().message(errno != 0 ? errno : EIO)));
  }
  constexpr std::size_t kReadBlock = std::size_t{1} << 20;
  std::vector<char> block(kReadBlock);
  std::string line;
  std::size_t line_no = 1;
  while (true) {
    const std::size_t n = std::fread(block.data(), 1, block.size(), in.get());
    if (n == 0) {
      if (std::ferror(in.get()) != 0) {
        throw DataError(fmt::format("{}: read error after line {}", file.string(), line_no - 1));
      }
      break;
    }
    std::size_t pos = 0;
    while (pos < n) {
      const char* nl = static_cast<const char*>(std::memchr(block.data() + pos, '\n', n - pos));
      const std::size_t end = nl != nullptr ? static_cast<std::size_t>(nl - block.data()) : n;
      line.append(block.data() + pos, end - pos);
      if (line.size() > max_line_bytes + 1) {  // + 1: a CR before the newline
        throw DataError(fmt::format("{}:{}: line longer than {} bytes (limits.max_csv_line_bytes)",
                                    file.string(), line_no, max_line_bytes));
      }
      if (nl == nullptr) break;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      on_line(std::string_view(line), line_no);
      line.clear();
      ++line_no;
      pos = end + 1;
    }
  }
  if (!line.empty()) {  // a last line without a newline
    if (line.back() == '\r') line.pop_back();
    on_line(std::string_view(line), line_no);
  }
}

}  // namespace

FeaturesCsvTable read_features_csv(const fs::path& file,
                                   std::span<const std::string> expected_columns,
                                   std::size_t max_line_bytes) {
  FeaturesCsvTable table;
  std::map<std::string, std::uint32_t, std::less<>> index_of;
  std::vector<BarTime> last_time;  // per symbol index
  std::vector<std::string_view> fields;
  bool header = true;
  std::size_t blank_line = 0;  // an empty line, an error unless nothing follows
  const std::string name = file.string();
  for_each_line(file, max_line_bytes, [&](std::string_view line, std::size_t line_no) {
    if (blank_line != 0) {
      throw DataError(fmt::format("{}:{}: empty line (only the file's last line may be empty)",
                                  name, blank_line));
    }
    if (line.empty()) {
      blank_line = line_no;
      return;
    }
    split_fields(line, fields);
    if (header) {
      if (fields.size() < 2 || fields[0] != "date" || fields[1] != "symbol") {
        throw DataError(fmt::format(
            "{}:1: the header must start date,symbol (as `mlgov features` writes it)", name));
      }
      for (std::size_t j = 2; j < fields.size(); ++j) table.columns.emplace_back(fields[j]);
      const FeatureMismatch mismatch = compare_feature_names(expected_columns, table.columns);
      if (!mismatch.matches()) {
        throw DataError(fmt::format("{}:1: the feature columns are not the contract's: {}", name,
                                    mismatch.summary()));
      }
      header = false;
      return;
    }
    const std::size_t nf = table.columns.size();
    if (fields.size() != nf + 2) {
      throw DataError(
          fmt::format("{}:{}: {} fields, the header has {}", name, line_no, fields.size(), nf + 2));
    }
    BarTime t = 0;
    if (!parse_bar_time(fields[0], t)) {
      throw DataError(fmt::format("{}:{}: date {} is not YYYY-MM-DD[THH:MM:SS]", name, line_no,
                                  quoted(fields[0])));
    }
    if (!is_valid_symbol(fields[1])) {
      throw DataError(fmt::format("{}:{}: symbol {} is not 1..64 characters of [A-Za-z0-9._-]",
                                  name, line_no, quoted(fields[1])));
    }
    auto it = index_of.find(fields[1]);
    if (it == index_of.end()) {
      it =
          index_of.emplace(std::string(fields[1]), static_cast<std::uint32_t>(table.symbols.size()))
              .first;
      table.symbols.emplace_back(fields[1]);
      last_time.push_back(std::numeric_limits<BarTime>::min());
    } else if (t <= last_time[it->second]) {
      throw DataError(
          fmt::format("{}:{}: {} {} is not after the symbol's previous row ({}): a "
                      "symbol's dates must increase down the file",
                      name, line_no, fields[1], fields[0], format_bar_time(last_time[it->second])));
    }
    last_time[it->second] = t;
    for (std::size_t j = 0; j < nf; ++j) {
      float v = 0.0f;
      if (!parse_float_field(fields[j + 2], v)) {
        throw DataError(fmt::format("{}:{}: column {} ({}): {} is not a float32 number", name,
                                    line_no, j + 3, table.columns[j], quoted(fields[j + 2])));
      }
      table.values.push_back(v);
    }
    table.row_symbol.push_back(it->second);
    table.row_line.push_back(line_no);
  });
  if (header) throw DataError(fmt::format("{}: empty file (no header)", name));
  return table;
}

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
