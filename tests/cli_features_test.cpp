// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov features` end to end, on the shipped real data and on a synthetic
// universe: the CSV it writes holds exactly the library's float32 values
// (each in its shortest round-trip text), and bad input ends with exit code
// 2 and a message naming the culprit.
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlgov/bars.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "test_support.h"

namespace mlgov {
namespace {

namespace fs = std::filesystem;
using testing::cli_path;
using testing::run_command;
using testing::source_dir;
using testing::TempDir;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, ',')) out.push_back(field);
  return out;
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

class CliFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cli_path().empty()) GTEST_SKIP() << "mlgov tool not built";
  }
  // Runs `mlgov features <args>`; returns the exit status.
  int run(const std::string& args, std::string* output) {
    return run_command(cli_path() + " features " + args, output);
  }
  std::string contracts() const {
    return "--contracts-dir " + (source_dir() / "contracts").string();
  }
  std::string real() const { return (source_dir() / "data" / "real").string(); }
};

TEST_F(CliFeatures, WritesTheLibrarysValuesForGoogAgainstSpx) {
  TempDir tmp;
  std::string output;
  ASSERT_EQ(run("--data " + real() + " --symbols GOOG --benchmark SPX --out " +
                    (tmp / "f.csv").string() + " " + contracts(),
                &output),
            0)
      << output;
  const auto lines = read_lines(tmp / "f.csv");
  const FeatureComputer computer(load_feature_contract("ml_v1", source_dir() / "contracts"));
  const FeatureFrame frame =
      computer.compute_symbol(load_bars_csv(source_dir() / "data/real/GOOG.csv", "GOOG"),
                              load_bars_csv(source_dir() / "data/real/SPX.csv", "SPX"));
  ASSERT_EQ(lines.size(), frame.rows() + 1);
  std::vector<std::string> header = {"date", "symbol"};
  header.insert(header.end(), frame.columns().begin(), frame.columns().end());
  EXPECT_EQ(split(lines[0]), header);
  for (std::size_t i = 0; i < frame.rows(); ++i) {
    const auto fields = split(lines[i + 1]);
    ASSERT_EQ(fields.size(), frame.cols() + 2);
    ASSERT_EQ(fields[0], format_bar_time(frame.times[i]));
    ASSERT_EQ(fields[1], "GOOG");
    for (std::size_t j = 0; j < frame.cols(); ++j) {
      const float parsed = std::strtof(fields[j + 2].c_str(), nullptr);
      ASSERT_EQ(std::bit_cast<std::uint32_t>(parsed),
                std::bit_cast<std::uint32_t>(frame.row_values(i)[j]))
          << "row " << i << " " << frame.columns()[j];
    }
  }
}

// Reads a value written by `mlgov features` as a float32, the way a reader
// of the CSV would (the whole field must be the number).
float parse_float_field(const std::string& field) {
  float value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  EXPECT_TRUE(ec == std::errc() && end == field.data() + field.size()) << field;
  return value;
}

// What the tool wrote before it wrote shortest texts: 9 significant digits,
// which round-trip every float32.
std::string nine_digit_text(float value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(value));
  return buf;
}

TEST_F(CliFeatures, SyntheticUniverseCsvReadsBackAsTheBatchValuesBitForBit) {
  TempDir tmp;
  std::string output;
  ASSERT_EQ(run_command(cli_path() + " synth --symbols 6 --years 2 --sectors 2 --seed 11 --out " +
                            (tmp / "u").string(),
                        &output),
            0)
      << output;
  ASSERT_EQ(
      run("--data " + (tmp / "u").string() + " --sectors " + (tmp / "u/sectors.csv").string() +
              " --out " + (tmp / "f.csv").string() + " " + contracts(),
          &output),
      0)
      << output;

  // The library's batch over the same files, loaded by the library.
  std::vector<BarSeries> universe;
  for (const char* sym : {"S001", "S002", "S003", "S004", "S005", "S006"}) {
    universe.push_back(load_bars_csv(tmp / "u" / (std::string(sym) + ".csv"), sym));
  }
  const FeatureComputer computer(load_feature_contract("ml_v1", source_dir() / "contracts"));
  const FeatureFrame frame = computer.compute_universe(
      universe, load_bars_csv(tmp / "u/SPX.csv", "SPX"), load_sector_map(tmp / "u/sectors.csv"));
  ASSERT_EQ(frame.rows(), 6U * (504U - 252U));  // 2 years of 252 bars, rows from bar 252 on

  const auto lines = read_lines(tmp / "f.csv");
  ASSERT_EQ(lines.size(), frame.rows() + 1);
  for (std::size_t i = 0; i < frame.rows(); ++i) {
    const auto fields = split(lines[i + 1]);
    ASSERT_EQ(fields.size(), frame.cols() + 2) << lines[i + 1];
    ASSERT_EQ(fields[0], format_bar_time(frame.times[i]));
    ASSERT_EQ(fields[1], frame.symbols[i]);
    for (std::size_t j = 0; j < frame.cols(); ++j) {
      const float expected = frame.row_values(i)[j];
      const float parsed = parse_float_field(fields[j + 2]);
      ASSERT_EQ(std::bit_cast<std::uint32_t>(parsed), std::bit_cast<std::uint32_t>(expected))
          << "row " << i << " " << frame.columns()[j] << ": \"" << fields[j + 2] << "\"";
      // The old %.9g text names the same float32, and the new text is never longer.
      const std::string old_text = nine_digit_text(expected);
      ASSERT_EQ(std::bit_cast<std::uint32_t>(parse_float_field(old_text)),
                std::bit_cast<std::uint32_t>(parsed))
          << old_text;
      ASSERT_LE(fields[j + 2].size(), old_text.size()) << fields[j + 2] << " vs " << old_text;
    }
  }
}

TEST_F(CliFeatures, DefaultsToEveryCsvButTheBenchmarkAndSectors) {
  TempDir tmp;
  fs::copy_file(source_dir() / "data/real/GOOG.csv", tmp / "GOOG.csv");
  fs::copy_file(source_dir() / "data/real/SPX.csv", tmp / "SPX.csv");
  testing::write_text(tmp / "sectors.csv", "symbol,sector\nGOOG,Tech\n");
  std::string output;
  ASSERT_EQ(run("--data " + tmp.path().string() + " --benchmark SPX --sectors " +
                    (tmp / "sectors.csv").string() + " --out " + (tmp / "f.csv").string() + " " +
                    contracts(),
                &output),
            0)
      << output;
  const auto lines = read_lines(tmp / "f.csv");
  ASSERT_GT(lines.size(), 1U);
  for (std::size_t i = 1; i < lines.size(); ++i) ASSERT_EQ(split(lines[i])[1], "GOOG");
  EXPECT_EQ(lines.size(), 1047U - 252U + 1U);  // GOOG has 1047 bars
}

TEST_F(CliFeatures, UnknownSymbolExitsWithCode2NamingIt) {
  TempDir tmp;
  std::string output;
  EXPECT_EQ(run("--data " + real() + " --symbols GOOG,NOPE --benchmark SPX --out " +
                    (tmp / "f.csv").string() + " " + contracts(),
                &output),
            2);
  EXPECT_NE(output.find("NOPE"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(tmp / "f.csv"));
}

TEST_F(CliFeatures, BadFileExitsWithCode2NamingFileAndLine) {
  TempDir tmp;
  fs::copy_file(source_dir() / "data/real/SPX.csv", tmp / "SPX.csv");
  testing::write_text(tmp / "BAD.csv",
                      "date,open,high,low,close,volume\n2020-01-02,10,9,11,10,5\n");
  std::string output;
  EXPECT_EQ(run("--data " + tmp.path().string() + " --symbols BAD --benchmark SPX --out " +
                    (tmp / "f.csv").string() + " " + contracts(),
                &output),
            2);
  EXPECT_NE(output.find("BAD.csv:2:"), std::string::npos) << output;
  EXPECT_NE(output.find("high < low"), std::string::npos) << output;
}

TEST_F(CliFeatures, MissingRequiredOptionIsAUsageError) {
  std::string output;
  EXPECT_EQ(run("--data " + real() + " --symbols GOOG", &output), 2) << output;
}

}  // namespace
}  // namespace mlgov
