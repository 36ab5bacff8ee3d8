// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Shared by the CLI tests of train, audit, predict and the end-to-end test: a
// small synthetic universe written by `mlgov synth` (6 symbols x 2 years of
// 252 business days, 2 sectors, benchmark SPX) and a tiny training config
// (20 trees of depth 3), and helpers to run the built `mlgov` tool on it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace mlgov::testing {

// 2 years x 252 business days (synthetic_market.h).
inline constexpr int kUniverseBars = 504;

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
  return nlohmann::json::parse(slurp(p));
}

// Single-quoted for the shell (the test paths hold no quote).
inline std::string quote(const std::filesystem::path& p) {
  std::string s(1, '\'');
  s.append(p.string());
  s.push_back('\'');
  return s;
}

// A small universe in a fresh temporary directory.
class SmallUniverse {
 public:
  SmallUniverse() {
    const std::string cli = cli_path();
    if (cli.empty()) throw std::runtime_error("the mlgov tool is not built");
    std::string out;
    const int rc = run_command(
        quote(cli) + " synth --symbols 6 --years 2 --sectors 2 --seed 7 --out " + quote(data()),
        &out);
    if (rc != 0) throw std::runtime_error("mlgov synth failed: " + out);
    write_text(config(),
               "features:\n  ml_enabled: false\n"
               "training:\n  n_estimators: 20\n  max_depth: 3\n");
  }

  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path data() const { return dir_ / "data"; }
  std::filesystem::path sectors() const { return dir_ / "data" / "sectors.csv"; }
  std::filesystem::path config() const { return dir_ / "small_config.yaml"; }
  std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }

  // Runs `mlgov <args>` (the contracts of the source tree); returns the exit
  // code, output in *output.
  static int mlgov(const std::string& args, std::string* output) {
    return run_command(quote(cli_path()) + " " + args, output);
  }

  static std::string contracts_arg() {
    return " --contracts-dir " + quote(source_dir() / "contracts");
  }

  // `mlgov train` of `symbols` into `out` with the small config.
  int train(const std::string& symbols, const std::filesystem::path& out, std::string* output,
            const std::string& extra = "") const {
    return mlgov("train --symbols " + symbols + " --data " + quote(data()) +
                     " --benchmark SPX --sectors " + quote(sectors()) + " --out " + quote(out) +
                     " --config " + quote(config()) + contracts_arg() + extra,
                 output);
  }

  // `mlgov audit` of `symbols`, with `--models models` unless empty.
  int audit(const std::string& symbols, const std::filesystem::path& models,
            const std::filesystem::path& report, std::string* output,
            const std::string& extra = "") const {
    return mlgov("audit --symbols " + symbols + " --data " + quote(data()) +
                     " --benchmark SPX --sectors " + quote(sectors()) +
                     (models.empty() ? std::string() : " --models " + quote(models)) + " --out " +
                     quote(report) + contracts_arg() + extra,
                 output);
  }

  // `mlgov features` for every symbol of the universe.
  int features(const std::filesystem::path& out, std::string* output) const {
    return mlgov("features --data " + quote(data()) +
                     " --symbols S001,S002,S003,S004,S005,S006 --benchmark SPX --sectors " +
                     quote(sectors()) + " --out " + quote(out) + contracts_arg(),
                 output);
  }

  // `mlgov predict`.
  static int predict(const std::filesystem::path& models, const std::filesystem::path& features,
                     const std::filesystem::path& out, std::string* output,
                     const std::string& extra = "") {
    return mlgov("predict --models " + quote(models) + " --features " + quote(features) +
                     " --out " + quote(out) + contracts_arg() + extra,
                 output);
  }

 private:
  TempDir dir_;
};

// The model directories directly under `models` whose names start with
// "<symbol>_v", sorted.
inline std::vector<std::filesystem::path> model_dirs(const std::filesystem::path& models,
                                                     const std::string& symbol) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(models)) return out;
  for (const auto& e : std::filesystem::directory_iterator(models)) {
    if (e.path().filename().string().rfind(symbol + "_v", 0) == 0) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A CSV as rows of fields (no quoting: the tool writes none); a line ending
// in ',' has an empty last field.
inline std::vector<std::vector<std::string>> read_csv(const std::filesystem::path& file) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream in(slurp(file));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream ls(line);
    for (std::string f; std::getline(ls, f, ',');) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.push_back("");
    rows.push_back(fields);
  }
  return rows;
}

// Writes rows as a CSV (the inverse of read_csv).
inline void write_csv(const std::filesystem::path& file,
                      const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) text += (i ? "," : "") + r[i];
    text += "\n";
  }
  write_text(file, text);
}

// A test suite over one SmallUniverse built once for all its tests: S001 and
// S002 trained, the features of all six symbols written.
class TrainedUniverseSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    universe_ = new SmallUniverse();
    std::string out;
    if (universe_->train("S001,S002", models(), &out) != 0) {
      throw std::runtime_error("mlgov train failed: " + out);
    }
    if (universe_->features(features(), &out) != 0) {
      throw std::runtime_error("mlgov features failed: " + out);
    }
  }
  static void TearDownTestSuite() {
    delete universe_;
    universe_ = nullptr;
  }
  static std::filesystem::path models() { return *universe_ / "models"; }
  static std::filesystem::path features() { return *universe_ / "features.csv"; }

  static inline SmallUniverse* universe_ = nullptr;
  TempDir scratch_;
};

}  // namespace mlgov::testing
