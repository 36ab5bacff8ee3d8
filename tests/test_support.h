// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Helpers shared by the tests: where the source tree is, scratch directories.
#pragma once

#include <filesystem>
#include <string>

namespace mlgov::testing {

// The repository root (contracts/, configs/, data/ live there).
std::filesystem::path source_dir();

// A fresh, empty directory under the system temp dir, removed by the
// destructor. Not copyable.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path` (plain, not atomic), creating parent directories.
void write_text(const std::filesystem::path& path, const std::string& content);

// Runs a shell command, returns its exit status; stdout+stderr go to *output.
int run_command(const std::string& command, std::string* output);

// The built `mlgov` command-line tool ("" when tools are not built).
std::string cli_path();

}  // namespace mlgov::testing
