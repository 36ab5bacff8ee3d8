// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Prometheus text exposition of the predictor's metrics, checked line by line
// against hand-written expectations.
#include "mlgov/metrics.h"

#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "mlgov/atomic_file.h"
#include "test_support.h"

namespace mlgov {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

MetricsSnapshot sample() {
  MetricsSnapshot s;
  s.predictions = 1234;
  s.failures_by_reason[static_cast<std::size_t>(FailureReason::kFeatureMismatch)] = 3;
  s.failures_by_reason[static_cast<std::size_t>(FailureReason::kNonFiniteFeature)] = 1;
  s.failures_by_reason[static_cast<std::size_t>(FailureReason::kNoModel)] = 17;
  s.blocked_calls = 42;
  s.model_errors = 4;
  s.state = MlState::kDisabledGovernance;
  s.failures_in_window = 3;
  s.models_loaded = 225;
  s.models_degraded = 2;
  s.last_error = "GOOG: feature mismatch: expected 28, got 27";
  return s;
}

TEST(Prometheus, FullExpositionLineByLine) {
  const std::vector<std::string> expected = {
      "# HELP mlgov_predictions_total Successful predictions since start.",
      "# TYPE mlgov_predictions_total counter",
      "mlgov_predictions_total 1234",
      "# HELP mlgov_failures_total Failed predictions since start, by reason.",
      "# TYPE mlgov_failures_total counter",
      "mlgov_failures_total{reason=\"FEATURE_MISMATCH\"} 3",
      "mlgov_failures_total{reason=\"WRONG_FEATURE_COUNT\"} 0",
      "mlgov_failures_total{reason=\"NON_FINITE_FEATURE\"} 1",
      "mlgov_failures_total{reason=\"MODEL_ERROR\"} 0",
      "mlgov_failures_total{reason=\"MODEL_REFUSED\"} 0",
      "mlgov_failures_total{reason=\"NO_MODEL\"} 17",
      "mlgov_failures_total{reason=\"INSUFFICIENT_HISTORY\"} 0",
      "# HELP mlgov_blocked_calls_total Calls refused while ML was disabled by config or by "
      "governance.",
      "# TYPE mlgov_blocked_calls_total counter",
      "mlgov_blocked_calls_total 42",
      "# HELP mlgov_model_errors_total Governance failures recorded since start.",
      "# TYPE mlgov_model_errors_total counter",
      "mlgov_model_errors_total 4",
      "# HELP mlgov_state 1 for the current ML state, 0 for the others.",
      "# TYPE mlgov_state gauge",
      "mlgov_state{state=\"ENABLED|OK\"} 0",
      "mlgov_state{state=\"ENABLED|DEGRADED\"} 0",
      "mlgov_state{state=\"DISABLED_CONFIG\"} 0",
      "mlgov_state{state=\"DISABLED_GOVERNANCE\"} 1",
      "# HELP mlgov_failures_in_window Governance failures inside the sliding window.",
      "# TYPE mlgov_failures_in_window gauge",
      "mlgov_failures_in_window 3",
      "# HELP mlgov_models_loaded Models loaded.",
      "# TYPE mlgov_models_loaded gauge",
      "mlgov_models_loaded 225",
      "# HELP mlgov_models_degraded Loaded models that are legacy (no meta) or stale.",
      "# TYPE mlgov_models_degraded gauge",
      "mlgov_models_degraded 2",
      "# HELP mlgov_last_error_info The last error message (1), or an empty message (0) when "
      "there was none.",
      "# TYPE mlgov_last_error_info gauge",
      "mlgov_last_error_info{message=\"GOOG: feature mismatch: expected 28, got 27\"} 1",
  };
  const std::string text = format_prometheus(sample());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = split_lines(text);
  ASSERT_EQ(lines.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(lines[i], expected[i]) << "line " << i;
}

TEST(Prometheus, EveryStateHasExactlyOneOneSample) {
  for (MlState s : {MlState::kEnabledOk, MlState::kEnabledDegraded, MlState::kDisabledConfig,
                    MlState::kDisabledGovernance}) {
    MetricsSnapshot snap;
    snap.state = s;
    int ones = 0;
    for (const auto& line : split_lines(format_prometheus(snap))) {
      if (line.rfind("mlgov_state{", 0) == 0 && line.back() == '1') {
        ++ones;
        EXPECT_EQ(line, "mlgov_state{state=\"" + std::string(to_string(s)) + "\"} 1");
      }
    }
    EXPECT_EQ(ones, 1);
  }
}

TEST(Prometheus, NoLastErrorIsAnEmptyMessageWithValueZero) {
  const auto lines = split_lines(format_prometheus(MetricsSnapshot{}));
  EXPECT_EQ(lines.back(), "mlgov_last_error_info{message=\"\"} 0");
}

TEST(Prometheus, LastErrorIsEscaped) {
  MetricsSnapshot s;
  s.last_error = "a\\b \"q\"\nnext";
  // backslash -> \\, quote -> \", newline -> \n (two characters each).
  EXPECT_EQ(split_lines(format_prometheus(s)).back(),
            R"(mlgov_last_error_info{message="a\\b \"q\"\nnext"} 1)");
}

TEST(PrometheusLabel, EscapesBackslashQuoteNewline) {
  EXPECT_EQ(escape_prometheus_label("C:\\x \"y\"\n", 100), R"(C:\\x \"y\"\n)");
}

TEST(PrometheusLabel, KeepsValidUtf8) {
  EXPECT_EQ(escape_prometheus_label("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88", 100),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88");
}

TEST(PrometheusLabel, ReplacesEachInvalidByte) {
  // 0xFF is never UTF-8; 0xC0 0xAF is an overlong '/'; 0xED 0xA0 0x80 is a
  // surrogate; a lone continuation byte 0x80. Each invalid byte -> U+FFFD.
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(escape_prometheus_label("a\xFF"
                                    "b",
                                    100),
            "a" + r + "b");
  EXPECT_EQ(escape_prometheus_label("\xC0\xAF", 100), r + r);
  EXPECT_EQ(escape_prometheus_label("\xED\xA0\x80", 100), r + r + r);
  EXPECT_EQ(escape_prometheus_label("\x80", 100), r);
  EXPECT_EQ(escape_prometheus_label("\xE2\x82", 100), r + r);  // truncated sequence
}

TEST(PrometheusLabel, CutsAtACharacterBoundary) {
  // "ab" then a 3-byte euro sign: with a 4-byte limit the euro (bytes 3..5)
  // does not fit, so only "ab" is kept.
  EXPECT_EQ(escape_prometheus_label("ab\xE2\x82\xAC", 4), "ab");
  EXPECT_EQ(escape_prometheus_label("ab\xE2\x82\xAC", 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(escape_prometheus_label("abcdef", 3), "abc");
}

TEST(Prometheus, LongLastErrorIsCutTo256InputBytes) {
  MetricsSnapshot s;
  s.last_error = std::string(300, 'x');
  EXPECT_EQ(split_lines(format_prometheus(s)).back(),
            "mlgov_last_error_info{message=\"" + std::string(256, 'x') + "\"} 1");
}

TEST(PrometheusFile, WritesTheExpositionAtomically) {
  mlgov::testing::TempDir dir;
  const auto file = dir / "mlgov.prom";
  mlgov::testing::write_text(file, "old content\n");
  write_prometheus_file(sample(), file);
  EXPECT_EQ(read_file(file), format_prometheus(sample()));
  // No temporary file is left beside it.
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(PrometheusFile, MissingParentDirectoryIsCreated) {
  mlgov::testing::TempDir dir;
  const auto file = dir / "runtime" / "metrics" / "mlgov.prom";
  write_prometheus_file(sample(), file);
  EXPECT_EQ(read_file(file), format_prometheus(sample()));
}

TEST(PrometheusFile, UnwritablePathThrowsNamingIt) {
  mlgov::testing::TempDir dir;
  // A regular file where the parent directory should be: nothing can be created.
  mlgov::testing::write_text(dir / "blocker", "x");
  const auto file = dir / "blocker" / "mlgov.prom";
  try {
    write_prometheus_file(sample(), file);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("blocker"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mlgov
