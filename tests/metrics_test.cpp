// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Prometheus text exposition of the predictor's metrics, checked line by line
// against hand-written expectations.
#include "mlgov/metrics.h"
#include "mlgov/version.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/governed_predictor.h"
#include "predictor_fixture.h"
#include "test_support.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

MetricsSnapshot sample() {
  MetricsSnapshot s;
  s.version = "1.0.0";
  s.git_commit = "0123456789abcdef0123456789abcdef01234567";
  s.contract = "ml_v1@1.0.0";
  s.predictions = 1234;
  s.failures_by_reason[static_cast<std::size_t>(PredictStatus::kFeatureMismatch)] = 3;
  s.failures_by_reason[static_cast<std::size_t>(PredictStatus::kNonFiniteFeature)] = 1;
  s.failures_by_reason[static_cast<std::size_t>(PredictStatus::kNoModel)] = 17;
  s.failures_by_reason[static_cast<std::size_t>(PredictStatus::kInsufficientHistory)] = 5000;
  s.blocked_calls = 42;
  s.model_errors = 4;
  s.state = MlState::kDisabledGovernance;
  s.failures_in_window = 3;
  s.models_loaded = 225;
  s.models_degraded = 2;
  s.last_error = "GOOG: feature mismatch: expected 28, got 27";
  s.host_state = HostState::kDegraded;
  s.cycles = 57;
  s.last_heartbeat_seconds = 1767225690.25;
  return s;
}

TEST(Prometheus, FullExpositionLineByLine) {
  const std::vector<std::string> expected = {
      "# HELP mlgov_build_info The mlgov library's version and git commit and the feature "
      "contract; always 1.",
      "# TYPE mlgov_build_info gauge",
      "mlgov_build_info{version=\"1.0.0\",git_commit=\"0123456789abcdef0123456789abcdef01234567\","
      "contract=\"ml_v1@1.0.0\"} 1",
      "# HELP mlgov_predictions_total Successful predictions since start.",
      "# TYPE mlgov_predictions_total counter",
      "mlgov_predictions_total 1234",
      "# HELP mlgov_failures_total Governance failures since start (they feed the failure "
      "window), by reason.",
      "# TYPE mlgov_failures_total counter",
      "mlgov_failures_total{reason=\"feature_mismatch\"} 3",
      "mlgov_failures_total{reason=\"wrong_feature_count\"} 0",
      "mlgov_failures_total{reason=\"non_finite_feature\"} 1",
      "mlgov_failures_total{reason=\"model_error\"} 0",
      "mlgov_failures_total{reason=\"model_refused\"} 0",
      "# HELP mlgov_skipped_total Calls without a prediction that are not failures (no model for "
      "the symbol, too little history), by reason.",
      "# TYPE mlgov_skipped_total counter",
      "mlgov_skipped_total{reason=\"no_model\"} 17",
      "mlgov_skipped_total{reason=\"insufficient_history\"} 5000",
      "# HELP mlgov_blocked_calls_total Calls refused while ML was disabled by config or by "
      "governance.",
      "# TYPE mlgov_blocked_calls_total counter",
      "mlgov_blocked_calls_total 42",
      "# HELP mlgov_model_errors_total Governance failures recorded since start (the heartbeat's "
      "model_errors).",
      "# TYPE mlgov_model_errors_total counter",
      "mlgov_model_errors_total 4",
      "# HELP mlgov_state 1 for the current ML state, 0 for the others.",
      "# TYPE mlgov_state gauge",
      "mlgov_state{state=\"enabled_ok\"} 0",
      "mlgov_state{state=\"enabled_degraded\"} 0",
      "mlgov_state{state=\"disabled_config\"} 0",
      "mlgov_state{state=\"disabled_governance\"} 1",
      "# HELP mlgov_host_state 1 for the host state of the heartbeat (ok, degraded, halted), 0 "
      "for the others; all 0 before the first heartbeat.",
      "# TYPE mlgov_host_state gauge",
      "mlgov_host_state{state=\"ok\"} 0",
      "mlgov_host_state{state=\"degraded\"} 1",
      "mlgov_host_state{state=\"halted\"} 0",
      "# HELP mlgov_failures_in_window Governance failures inside the sliding window.",
      "# TYPE mlgov_failures_in_window gauge",
      "mlgov_failures_in_window 3",
      "# HELP mlgov_models_loaded Models loaded.",
      "# TYPE mlgov_models_loaded gauge",
      "mlgov_models_loaded 225",
      "# HELP mlgov_models_degraded Loaded models that are legacy (no meta) or stale.",
      "# TYPE mlgov_models_degraded gauge",
      "mlgov_models_degraded 2",
      "# HELP mlgov_cycles_total The host's cycles, as of the last heartbeat.",
      "# TYPE mlgov_cycles_total counter",
      "mlgov_cycles_total 57",
      "# HELP mlgov_last_heartbeat_timestamp_seconds Unix time of the last heartbeat; 0 before "
      "the first.",
      "# TYPE mlgov_last_heartbeat_timestamp_seconds gauge",
      "mlgov_last_heartbeat_timestamp_seconds 1767225690.25",
  };
  const std::string text = format_prometheus(sample());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = split_lines(text);
  ASSERT_EQ(lines.size(), expected.size()) << text;
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(lines[i], expected[i]) << "line " << i;
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(text)) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

TEST(Prometheus, EveryMlStateIsItsOwnSeriesWithExactlyOneOne) {
  const std::vector<std::pair<MlState, std::string>> states = {
      {MlState::kEnabledOk, "enabled_ok"},
      {MlState::kEnabledDegraded, "enabled_degraded"},
      {MlState::kDisabledConfig, "disabled_config"},
      {MlState::kDisabledGovernance, "disabled_governance"}};
  for (const auto& [state, label] : states) {
    MetricsSnapshot snap;
    snap.state = state;
    const auto series = lines_starting(format_prometheus(snap), "mlgov_state{");
    ASSERT_EQ(series.size(), 4u);
    for (const auto& [other, other_label] : states) {
      const std::string want =
          "mlgov_state{state=\"" + other_label + "\"} " + (other == state ? "1" : "0");
      EXPECT_NE(std::find(series.begin(), series.end(), want), series.end()) << want;
    }
  }
}

TEST(Prometheus, EveryHostStateIsItsOwnSeriesWithExactlyOneOne) {
  const std::vector<std::pair<HostState, std::string>> states = {
      {HostState::kOk, "ok"}, {HostState::kDegraded, "degraded"}, {HostState::kHalted, "halted"}};
  for (const auto& [state, label] : states) {
    MetricsSnapshot snap;
    snap.host_state = state;
    const auto series = lines_starting(format_prometheus(snap), "mlgov_host_state{");
    ASSERT_EQ(series.size(), 3u);
    for (const auto& [other, other_label] : states) {
      const std::string want =
          "mlgov_host_state{state=\"" + other_label + "\"} " + (other == state ? "1" : "0");
      EXPECT_NE(std::find(series.begin(), series.end(), want), series.end()) << want;
    }
  }
}

TEST(Prometheus, BeforeTheFirstHeartbeatEveryHostStateIsZeroAndTheTimestampZero) {
  const std::string text = format_prometheus(MetricsSnapshot{});
  EXPECT_EQ(lines_starting(text, "mlgov_host_state{"),
            (std::vector<std::string>{"mlgov_host_state{state=\"ok\"} 0",
                                      "mlgov_host_state{state=\"degraded\"} 0",
                                      "mlgov_host_state{state=\"halted\"} 0"}));
  EXPECT_EQ(lines_starting(text, "mlgov_last_heartbeat_timestamp_seconds "),
            std::vector<std::string>{"mlgov_last_heartbeat_timestamp_seconds 0"});
}

TEST(Prometheus, SkipsAreCountedApartFromFailures) {
  MetricsSnapshot s;
  s.failures_by_reason[static_cast<std::size_t>(PredictStatus::kNoModel)] = 7;
  s.failures_by_reason[static_cast<std::size_t>(PredictStatus::kInsufficientHistory)] = 9;
  const std::string text = format_prometheus(s);
  for (const auto& line : lines_starting(text, "mlgov_failures_total{")) {
    EXPECT_EQ(line.substr(line.size() - 2), " 0") << line;
  }
  EXPECT_TRUE(lines_starting(text, "mlgov_failures_total{reason=\"no_model\"").empty());
  EXPECT_TRUE(lines_starting(text, "mlgov_failures_total{reason=\"insufficient_history\"").empty());
  EXPECT_EQ(lines_starting(text, "mlgov_skipped_total{"),
            (std::vector<std::string>{"mlgov_skipped_total{reason=\"no_model\"} 7",
                                      "mlgov_skipped_total{reason=\"insufficient_history\"} 9"}));
}

TEST(Prometheus, TheLastErrorMessageIsNotExported) {
  MetricsSnapshot s = sample();
  s.last_error = "GOOG: \"quoted\" text that must stay in errors.jsonl";
  const std::string text = format_prometheus(s);
  EXPECT_EQ(text.find("quoted"), std::string::npos) << text;
  EXPECT_EQ(text.find("last_error"), std::string::npos) << text;
}

TEST(Prometheus, EveryFamilyHasHelpAndTypeBeforeItsSamples) {
  std::string announced;  // the family of the last # TYPE line
  std::vector<std::string> helped;
  for (const auto& line : split_lines(format_prometheus(sample()))) {
    if (line.rfind("# HELP ", 0) == 0) {
      helped.push_back(line.substr(7, line.find(' ', 7) - 7));
    } else if (line.rfind("# TYPE ", 0) == 0) {
      announced = line.substr(7, line.find(' ', 7) - 7);
      ASSERT_FALSE(helped.empty());
      EXPECT_EQ(helped.back(), announced);
    } else {
      const std::string name = line.substr(0, line.find_first_of("{ "));
      EXPECT_EQ(name, announced) << line;
    }
  }
}

TEST(Prometheus, BuildInfoValuesAreEscaped) {
  MetricsSnapshot s;
  s.contract = "odd\"name\\";
  EXPECT_EQ(lines_starting(format_prometheus(s), "mlgov_build_info{"),
            std::vector<std::string>{
                R"(mlgov_build_info{version="",git_commit="",contract="odd\"name\\"} 1)"});
}

TEST(PrometheusAudit, FullExpositionLineByLine) {
  AuditMetrics a;
  a.passed = 9;
  a.failed = 1;
  a.pass_rate = 0.9;
  a.min_pass_rate = 0.95;
  a.timestamp_seconds = 1767225600.5;
  const std::vector<std::string> expected = {
      "# HELP mlgov_audit_pass_rate Share of the audited symbols that passed every check in the "
      "last audit (0 to 1).",
      "# TYPE mlgov_audit_pass_rate gauge",
      "mlgov_audit_pass_rate 0.9",
      "# HELP mlgov_audit_min_pass_rate The minimum pass rate the last audit was judged by "
      "(--min-pass-rate).",
      "# TYPE mlgov_audit_min_pass_rate gauge",
      "mlgov_audit_min_pass_rate 0.95",
      "# HELP mlgov_audit_symbols Symbols in the last audit, by result.",
      "# TYPE mlgov_audit_symbols gauge",
      "mlgov_audit_symbols{result=\"passed\"} 9",
      "mlgov_audit_symbols{result=\"failed\"} 1",
      "# HELP mlgov_audit_last_run_timestamp_seconds Unix time of the last audit.",
      "# TYPE mlgov_audit_last_run_timestamp_seconds gauge",
      "mlgov_audit_last_run_timestamp_seconds 1767225600.5",
  };
  const std::string text = format_audit_prometheus(a);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(split_lines(text), expected);
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

TEST(Prometheus, ALongBuildInfoValueIsCutTo256InputBytes) {
  MetricsSnapshot s;
  s.contract = std::string(300, 'c');
  EXPECT_EQ(lines_starting(format_prometheus(s), "mlgov_build_info{"),
            std::vector<std::string>{"mlgov_build_info{version=\"\",git_commit=\"\",contract=\"" +
                                     std::string(256, 'c') + "\"} 1"});
}

// ---------------------------------------------------------------------------
// GovernedPredictor::metrics(): what the predictor puts in the snapshot.

struct PredictorMetrics : ::testing::Test {
  testing::TempDir dir;
  Config config = testing::test_config(dir.path());
  // Wall time 2026-01-01T00:00:00Z = 1767225600 s since the epoch.
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(
      std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600)));
  testing::OwnedRow good{testing::ml_v1().schema()};

  PredictorMetrics() { testing::install_model(config.paths.models_dir, "GOOG"); }

  std::unique_ptr<GovernedPredictor> make() {
    PredictorOptions o;
    o.clock = clock;
    return std::make_unique<GovernedPredictor>(config, testing::ml_v1(), o);
  }
  static void fail_once(GovernedPredictor& p) {
    const testing::OwnedRow bad = testing::missing_row();
    ASSERT_EQ(p.try_predict("GOOG", bad.row()).status, PredictStatus::kFeatureMismatch);
  }
};

TEST_F(PredictorMetrics, BeforeAnyHeartbeatThereIsNoHostStateAndNoHeartbeatTime) {
  const MetricsSnapshot m = make()->metrics();
  EXPECT_FALSE(m.host_state.has_value());
  EXPECT_EQ(m.cycles, 0u);
  EXPECT_EQ(m.last_heartbeat_seconds, 0.0);
}

TEST_F(PredictorMetrics, AHeartbeatRecordsItsWallTimeCyclesAndHostState) {
  auto p = make();
  clock->advance(90s);
  p->heartbeat(90s, 1, 7);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.last_heartbeat_seconds, 1'767'225'690.0);
  EXPECT_EQ(m.cycles, 7u);
  EXPECT_EQ(m.host_state, HostState::kOk);
}

TEST_F(PredictorMetrics, AHaltedHostIsExportedAsHalted) {
  auto p = make();
  p->heartbeat(1s, 1, 1, /*host_halted=*/true);
  EXPECT_EQ(p->metrics().host_state, HostState::kHalted);
  p->heartbeat(2s, 1, 2, /*host_halted=*/false);
  EXPECT_EQ(p->metrics().host_state, HostState::kOk);
}

// The governance latch degrades the host state at once, as the next
// heartbeat line would say state=DEGRADED: an alert need not wait for it.
TEST_F(PredictorMetrics, TheHostStateFollowsALatchAfterTheLastHeartbeat) {
  auto p = make();
  p->heartbeat(1s, 1, 1);
  for (int i = 0; i < config.governance.max_failures; ++i) fail_once(*p);
  ASSERT_EQ(p->state(), MlState::kDisabledGovernance);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.host_state, HostState::kDegraded);
  EXPECT_EQ(m.cycles, 1u);
}

TEST_F(PredictorMetrics, ASymbolWithoutAModelIsASkipNotAFailure) {
  auto p = make();
  ASSERT_EQ(p->try_predict("NOPE", good.row()).status, PredictStatus::kNoModel);
  const std::string text = format_prometheus(p->metrics());
  EXPECT_EQ(lines_starting(text, "mlgov_skipped_total{reason=\"no_model\"}"),
            std::vector<std::string>{"mlgov_skipped_total{reason=\"no_model\"} 1"});
  EXPECT_EQ(lines_starting(text, "mlgov_model_errors_total"),
            std::vector<std::string>{"mlgov_model_errors_total 0"});
  for (const auto& line : lines_starting(text, "mlgov_failures_total{")) {
    EXPECT_EQ(line.substr(line.size() - 2), " 0") << line;
  }
}

TEST_F(PredictorMetrics, BuildInfoNamesTheLibraryVersionItsCommitAndTheContract) {
  const MetricsSnapshot m = make()->metrics();
  EXPECT_EQ(m.version, "2.2.0");                 // project(mlgov VERSION 2.2.0)
  EXPECT_EQ(library_version(), kHeaderVersion);  // headers and library of one build
  EXPECT_EQ(m.contract, "ml_v1@1.0.0");          // contracts/feature_contract_ml_v1.json
  const bool hex40 = m.git_commit.size() == 40 &&
                     m.git_commit.find_first_not_of("0123456789abcdef") == std::string::npos;
  EXPECT_TRUE(hex40 || m.git_commit == "unknown") << m.git_commit;
}

TEST(Prometheus, WithoutAStoreThereIsNoStoreHealthFamily) {
  const std::string text = format_prometheus(MetricsSnapshot{});
  EXPECT_EQ(text.find("mlgov_governance_store_health"), std::string::npos);
}

TEST(Prometheus, TheStoreHealthIsOneGaugePerHealthWithOneSet) {
  MetricsSnapshot snap;
  snap.store_health = StoreHealth::kDegraded;
  const std::string text = format_prometheus(snap);
  EXPECT_NE(text.find("# TYPE mlgov_governance_store_health gauge\n"), std::string::npos);
  EXPECT_EQ(lines_starting(text, "mlgov_governance_store_health{"),
            (std::vector<std::string>{"mlgov_governance_store_health{health=\"ok\"} 0",
                                      "mlgov_governance_store_health{health=\"degraded\"} 1",
                                      "mlgov_governance_store_health{health=\"unavailable\"} 0"}));
}

}  // namespace
}  // namespace mlgov
