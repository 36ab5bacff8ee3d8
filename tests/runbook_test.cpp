// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// RUNBOOKS/ML_HYGIENE.md: every command an operator is told to run works as
// written. The runbook marks each ```sh block with the comment line just
// above it:
//   <!-- runbook-test -->           run it; it must exit 0 and print something
//   <!-- runbook-test exit=N -->    run it; it must exit N and print something
//   <!-- runbook-skip: REASON -->   an illustration, not run (REASON required)
// The runnable blocks run in document order, each in a fresh
// `bash -eu -o pipefail`, in one temporary engine directory laid out like the
// golden config: config.yaml (ML on, tiny training parameters), data/ (a small
// synthetic market from `mlgov synth`), models/ml_alpha/ (models from
// `mlgov train`), and runtime/ holding what a real incident leaves behind: a
// predictor latched by three feature mismatches, its live.jsonl/errors.jsonl
// and a metrics file. The built `mlgov` comes first on PATH.
// MLGOV_RUNBOOK_VERBOSE=1 prints every block's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/read_file.h"
#include "mlgov/bars.h"
#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/feature_computer.h"
#include "mlgov/feature_contract.h"
#include "mlgov/feature_schema.h"
#include "mlgov/governance.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/logging.h"
#include "test_support.h"

using mlgov::internal::read_file;

namespace fs = std::filesystem;
using mlgov::testing::cli_path;
using mlgov::testing::run_command;
using mlgov::testing::source_dir;
using mlgov::testing::TempDir;
using mlgov::testing::write_text;

namespace {

struct ShellBlock {
  int line = 0;         // 1-based line of the opening fence
  std::string heading;  // the nearest heading above
  std::string marker;   // the marker comment above the fence ("" if none)
  bool runnable = false;
  int expected_exit = 0;
  std::string skip_reason;
  std::string code;
};

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Every ```sh block with the marker on the last non-blank line above it.
std::vector<ShellBlock> shell_blocks(const std::string& markdown) {
  std::vector<ShellBlock> blocks;
  std::istringstream in(markdown);
  std::string line;
  std::string heading;
  std::string last_nonblank;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = trim(line);
    if (t.rfind("```", 0) == 0) {
      // A fence: collect the whole block, whatever its language.
      ShellBlock block;
      block.line = number;
      block.heading = heading;
      const bool is_sh = t == "```sh";
      std::string code;
      while (std::getline(in, line)) {
        ++number;
        if (trim(line) == "```") break;
        code += line + "\n";
      }
      if (is_sh) {
        block.code = code;
        const std::string m = trim(last_nonblank);
        if (m.rfind("<!-- runbook-test", 0) == 0 && m.size() >= 3 &&
            m.compare(m.size() - 3, 3, "-->") == 0) {
          block.marker = m;
          block.runnable = true;
          const auto pos = m.find("exit=");
          if (pos != std::string::npos) block.expected_exit = std::stoi(m.substr(pos + 5));
        } else if (m.rfind("<!-- runbook-skip:", 0) == 0 && m.size() >= 3 &&
                   m.compare(m.size() - 3, 3, "-->") == 0) {
          block.marker = m;
          block.skip_reason = trim(m.substr(18, m.size() - 18 - 3));
        }
        blocks.push_back(block);
      }
      last_nonblank = "```";
      continue;
    }
    if (t.rfind('#', 0) == 0) heading = t;
    if (!t.empty()) last_nonblank = t;
  }
  return blocks;
}

fs::path runbook_path() { return source_dir() / "RUNBOOKS" / "ML_HYGIENE.md"; }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Replaces the one occurrence of `from` in `text`; fails the test otherwise.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  ASSERT_NE(pos, std::string::npos) << "golden config lacks '" << from << "'";
  ASSERT_EQ(text.find(from, pos + 1), std::string::npos) << "'" << from << "' twice";
  text.replace(pos, from.size(), to);
}

TEST(Runbook, EveryShellBlockIsMarkedRunnableOrSkippedWithAReason) {
  const auto blocks = shell_blocks(read_file(runbook_path()));
  ASSERT_FALSE(blocks.empty());
  for (const auto& b : blocks) {
    EXPECT_FALSE(b.marker.empty()) << "ML_HYGIENE.md:" << b.line << " (" << b.heading
                                   << "): ```sh block without <!-- runbook-test --> or "
                                      "<!-- runbook-skip: REASON --> on the line above";
    if (!b.runnable && !b.marker.empty()) {
      EXPECT_FALSE(b.skip_reason.empty()) << "ML_HYGIENE.md:" << b.line << ": skip without reason";
    }
  }
}

TEST(Runbook, RunnableBlocksCoverTriageLogsAuditRetrainRollbackAndReenable) {
  const std::string text = read_file(runbook_path());
  std::string runnable;
  for (const auto& b : shell_blocks(text)) {
    if (b.runnable) runnable += b.code;
  }
  for (const std::string needle :
       {"mlgov governance status", "mlgov governance reenable", "mlgov governance disable",
        "mlgov audit", "mlgov train", "runtime/logs/live.jsonl", "runtime/logs/errors.jsonl",
        "models/quarantine"}) {
    EXPECT_NE(runnable.find(needle), std::string::npos) << "no runnable block uses " << needle;
  }
  for (const std::string state :
       {"ENABLED\\|OK", "ENABLED\\|DEGRADED", "DISABLED_CONFIG", "DISABLED_GOVERNANCE"}) {
    EXPECT_NE(text.find(state), std::string::npos) << "state " << state << " not explained";
  }
  EXPECT_NE(text.find("## 9. Re-enabling"), std::string::npos);
  for (const std::string level : {"**L1", "**L2", "**L3"}) {
    EXPECT_NE(text.find(level), std::string::npos) << level;
  }
}

// The engine directory an operator meets during an incident (see the top).
class RunbookEnvironment {
 public:
  void build() {
    const fs::path dir = tmp_.path();
    const std::string cd = "cd " + shell_quote(dir.string()) + " && ";
    const std::string mlgov = shell_quote(cli_path());
    std::string out;

    // A small market: 4 symbols x 3 years, 2 sectors.
    ASSERT_EQ(
        run_command(cd + mlgov + " synth --symbols 4 --years 3 --sectors 2 --seed 11 --out data",
                    &out),
        0)
        << out;

    // The golden config with ML on in a copy, absolute contracts dir, tiny
    // trees (the runbook's retrain uses --config config.yaml).
    std::string config = read_file(source_dir() / "configs" / "golden_config.yaml");
    replace_once(config, "ml_enabled: false", "ml_enabled: true");
    replace_once(config, "contracts_dir: contracts",
                 "contracts_dir: \"" + (source_dir() / "contracts").string() + "\"");
    replace_once(config, "n_estimators: 300", "n_estimators: 8");
    replace_once(config, "max_depth: 6", "max_depth: 3");
    write_text(dir / "config.yaml", config);

    ASSERT_EQ(run_command(cd + mlgov +
                              " train --symbols S001,S002 --data data --benchmark SPX"
                              " --sectors data/sectors.csv --out models/ml_alpha"
                              " --config config.yaml",
                          &out),
              0)
        << out;
    // Date the trained directories in the past, so that the runbook's
    // retrain (now) is certainly the newest one.
    for (const std::string sym : {"S001", "S002"}) {
      std::vector<fs::path> found;
      for (const auto& e : fs::directory_iterator(dir / "models" / "ml_alpha")) {
        if (e.path().filename().string().rfind(sym + "_v1_", 0) == 0) found.push_back(e.path());
      }
      ASSERT_EQ(found.size(), 1u) << sym;
      fs::rename(found[0], dir / "models" / "ml_alpha" / (sym + "_v1_20260101_000000"));
    }

    latch_predictor(dir);
  }

  const fs::path& dir() const { return tmp_.path(); }

 private:
  // Runs a predictor on real rows, then hands it rows with two columns
  // swapped: the third mismatch latches DISABLED_GOVERNANCE, as in the demo.
  void latch_predictor(const fs::path& dir) {
    mlgov::Config config = mlgov::load_config(dir / "config.yaml");
    config.paths.models_dir = dir / "models" / "ml_alpha";
    config.governance.state_file = dir / "runtime" / "governance_state.json";
    const mlgov::FeatureContract contract =
        mlgov::load_feature_contract(config.contract, config.paths.contracts_dir);
    auto clock = std::make_shared<mlgov::ManualClock>();
    mlgov::LoggerOptions log_options;
    log_options.logs_dir = dir / "runtime" / "logs";
    log_options.console = false;
    mlgov::PredictorOptions options;
    options.clock = clock;
    options.logger = mlgov::make_governance_logger(log_options, clock);

    const fs::path data = dir / "data";
    std::vector<mlgov::BarSeries> series;
    for (const std::string sym : {"S001", "S002", "S003", "S004"}) {
      series.push_back(mlgov::load_bars_csv(data / (sym + ".csv"), sym));
    }
    const mlgov::FeatureComputer computer(contract);
    const mlgov::FeatureFrame frame =
        computer.compute_universe(series, mlgov::load_bars_csv(data / "SPX.csv", "SPX"),
                                  mlgov::load_sector_map(data / "sectors.csv"));
    ASSERT_GT(frame.rows(), 0u);
    // The latest S001 row (rows are ordered by date, then symbol).
    std::size_t row_index = frame.rows();
    for (std::size_t i = 0; i < frame.rows(); ++i) {
      if (frame.symbols[i] == "S001") row_index = i;
    }
    ASSERT_LT(row_index, frame.rows());

    std::vector<std::string> swapped = contract.names();
    std::swap(swapped[0], swapped[1]);
    const auto swapped_schema =
        mlgov::FeatureSchema::create(contract.name(), contract.version(), swapped);
    std::vector<float> values(frame.row_values(row_index).begin(),
                              frame.row_values(row_index).end());
    std::swap(values[0], values[1]);

    mlgov::GovernedPredictor predictor(config, contract, options);
    ASSERT_EQ(predictor.state(), mlgov::MlState::kEnabledOk);
    ASSERT_TRUE(predictor.try_predict("S001", frame.row(row_index)).ok());
    predictor.heartbeat(std::chrono::seconds(60), 4, 1);
    for (int i = 0; i < 3; ++i) {
      clock->advance(std::chrono::seconds(1));
      const auto r = predictor.try_predict("S001", {swapped_schema.get(), values});
      ASSERT_EQ(r.status, mlgov::PredictStatus::kFeatureMismatch);
    }
    ASSERT_EQ(predictor.state(), mlgov::MlState::kDisabledGovernance);
    ASSERT_EQ(predictor.try_predict("S002", frame.row(row_index)).status,
              mlgov::PredictStatus::kGovernanceDisabled);
    predictor.heartbeat(std::chrono::seconds(120), 4, 2);
    fs::create_directories(dir / "runtime" / "metrics");
    predictor.write_metrics(dir / "runtime" / "metrics" / "mlgov.prom");
  }

  TempDir tmp_;
};

TEST(Runbook, RunnableBlocksSucceedAsWrittenAgainstALatchedEngineDirectory) {
  if (cli_path().empty()) GTEST_SKIP() << "the mlgov tool is not built";
  RunbookEnvironment env;
  ASSERT_NO_FATAL_FAILURE(env.build());
  const fs::path dir = env.dir();
  const std::string path_prefix = fs::path(cli_path()).parent_path().string();

  int ran = 0;
  for (const auto& b : shell_blocks(read_file(runbook_path()))) {
    if (!b.runnable) continue;
    ++ran;
    const fs::path script = dir / (".runbook_block_" + std::to_string(b.line) + ".sh");
    write_text(script, b.code);
    std::string out;
    const int rc =
        run_command("cd " + shell_quote(dir.string()) + " && PATH=" + shell_quote(path_prefix) +
                        ":\"$PATH\" bash -eu -o pipefail " + shell_quote(script.string()),
                    &out);
    if (std::getenv("MLGOV_RUNBOOK_VERBOSE") != nullptr) {
      std::printf("---- ML_HYGIENE.md:%d (%s), exit %d\n%s", b.line, b.heading.c_str(), rc,
                  out.c_str());
    }
    EXPECT_EQ(rc, b.expected_exit) << "ML_HYGIENE.md:" << b.line << " (" << b.heading << ")\n"
                                   << b.code << "---- output ----\n"
                                   << out;
    EXPECT_NE(trim(out), "") << "ML_HYGIENE.md:" << b.line << " (" << b.heading
                             << ") printed nothing:\n"
                             << b.code;
  }
  EXPECT_GE(ran, 10);

  // The end state the procedures promise: the latch, the L1 and rollback
  // kill switches and the re-enable all in the audit trail, in that order,
  // latch cleared; the retrained S001 moved to quarantine, the old one loaded.
  const mlgov::GovernanceRecord record =
      mlgov::read_governance_state(dir / "runtime" / "governance_state.json");
  EXPECT_FALSE(record.disabled);
  std::vector<std::string> events;
  for (const auto& h : record.history) {
    if (h.event != "STARTED") events.push_back(h.event);
  }
  EXPECT_EQ(events, (std::vector<std::string>{"DISABLED_BY_GOVERNANCE", "DISABLED_BY_OPERATOR",
                                              "DISABLED_BY_OPERATOR", "REENABLED"}));
  ASSERT_FALSE(record.history.empty());
  EXPECT_EQ(record.history.back().event, "REENABLED");
  EXPECT_FALSE(record.history.back().operator_name.empty());
  std::vector<std::string> quarantined;
  for (const auto& e : fs::directory_iterator(dir / "models" / "quarantine")) {
    quarantined.push_back(e.path().filename().string());
  }
  ASSERT_EQ(quarantined.size(), 1u);
  EXPECT_EQ(quarantined[0].rfind("S001_v1_", 0), 0u);
  EXPECT_NE(quarantined[0], "S001_v1_20260101_000000");
  EXPECT_TRUE(fs::is_directory(dir / "models" / "ml_alpha" / "S001_v1_20260101_000000"));
}

}  // namespace
