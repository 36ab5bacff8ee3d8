// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// GovernedPredictor: check order and every failure kind through every single
// prediction form (typed: by symbol and by handle), the governance window and
// latch (persisted, re-enabled), the logs, the heartbeat, the metrics and the
// status enum. Real XGBoost models; a ManualClock, never a sleep.
#include "mlgov/governed_predictor.h"

#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/config.h"
#include "mlgov/errors.h"
#include "mlgov/feature_computer.h"
#include "mlgov/governance.h"
#include "mlgov/logging.h"
#include "mlgov/metrics.h"
#include "model/model_backend.h"
#include "predictor_fixture.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::CaptureSink;
using testing::edited_schema;
using testing::install_model;
using testing::MetaMode;
using testing::missing_row;
using testing::ml_v1;
using testing::OwnedRow;
using testing::TempDir;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::uint32_t bits(float v) { return std::bit_cast<std::uint32_t>(v); }

// Records every state change.
struct RecordingListener final : StateListener {
  struct Change {
    MlState from, to;
    std::string reason;
  };
  std::vector<Change> changes;
  void on_state_change(MlState from, MlState to, std::string_view reason) noexcept override {
    changes.push_back({from, to, std::string(reason)});
  }
};

struct PredictorTest : ::testing::Test {
  TempDir dir;
  Config config = testing::test_config(dir.path());
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  RecordingListener listener;
  OwnedRow good{ml_v1().schema()};

  PredictorTest() {
    install_model(config.paths.models_dir, "GOOG");
    install_model(config.paths.models_dir, "AAPL");
  }

  PredictorOptions options() {
    PredictorOptions o;
    o.clock = clock;
    o.logger = testing::capture_logger(sink);
    o.listener = &listener;
    return o;
  }
  std::unique_ptr<GovernedPredictor> make() {
    return std::make_unique<GovernedPredictor>(config, ml_v1(), options());
  }
  // One governance failure (a feature mismatch) on GOOG.
  static void fail_once(GovernedPredictor& p) {
    const OwnedRow bad = missing_row();
    ASSERT_EQ(p.try_predict("GOOG", bad.row()).status, PredictStatus::kFeatureMismatch);
  }
};

// ---------------------------------------------------------------------------
// Every form of a single prediction: by symbol (the convenience) and by
// handle (resolved first) give the same statuses in the same order, the same
// values and the same recording under the model's symbol.

struct BySymbol {
  static PredictResult try_predict(GovernedPredictor& p, std::string_view symbol,
                                   const FeatureRow& row) {
    return p.try_predict(symbol, row);
  }
  static float predict(GovernedPredictor& p, std::string_view symbol, const FeatureRow& row) {
    return p.predict(symbol, row);
  }
};

struct ByHandle {
  static PredictResult try_predict(GovernedPredictor& p, std::string_view symbol,
                                   const FeatureRow& row) {
    return p.try_predict(p.resolve(symbol), row);
  }
  static float predict(GovernedPredictor& p, std::string_view symbol, const FeatureRow& row) {
    return p.predict(p.resolve(symbol), row);
  }
};

struct FormName {
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, BySymbol> ? "BySymbol" : "ByHandle";
  }
};

template <class Form>
struct PredictForm : PredictorTest {
  PredictResult try_predict(GovernedPredictor& p, std::string_view symbol, const FeatureRow& row) {
    return Form::try_predict(p, symbol, row);
  }
  float predict(GovernedPredictor& p, std::string_view symbol, const FeatureRow& row) {
    return Form::predict(p, symbol, row);
  }
};

using Forms = ::testing::Types<BySymbol, ByHandle>;
TYPED_TEST_SUITE(PredictForm, Forms, FormName);

// Varied finite rows; the expected values come from the model file evaluated
// directly by XGBoost, independent of the predictor.
TYPED_TEST(PredictForm, ReturnsTheModelsOutputBitForBit) {
  auto p = this->make();
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  auto direct = internal::load_xgboost_backend(testing::trained_model(28));
  const std::vector<float> x = testing::synthetic_features(50, 28, 99, 0.0);
  for (std::size_t i = 0; i < 50; ++i) {
    const FeatureRow row{ml_v1().schema().get(), std::span<const float>(x).subspan(i * 28, 28)};
    float expected = 0;
    ASSERT_TRUE(direct->predict(row.values.data(), 1, &expected));
    const PredictResult r = this->try_predict(*p, "GOOG", row);
    ASSERT_EQ(r.status, PredictStatus::kOk);
    EXPECT_EQ(bits(r.value), bits(expected)) << "row " << i;
    EXPECT_EQ(bits(this->predict(*p, "GOOG", row)), bits(expected)) << "row " << i;
    EXPECT_GT(r.value, 0.0f);  // binary:logistic: a probability
    EXPECT_LT(r.value, 1.0f);
  }
  EXPECT_EQ(p->metrics().predictions, 100u);
}

TYPED_TEST(PredictForm, SuccessLogsNothingAndCountsAPrediction) {
  auto p = this->make();
  const std::size_t before = this->sink->records().size();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(this->try_predict(*p, "GOOG", this->good.row()).ok());
  EXPECT_EQ(this->sink->records().size(), before);
  EXPECT_EQ(p->metrics().predictions, 10u);
  EXPECT_EQ(p->model_errors(), 0u);
}

// Config comes first: even a mismatching row is just "disabled", not a
// failure.
TYPED_TEST(PredictForm, MlDisabledByConfigIsADistinctStatusNotAFailure) {
  this->config.ml_enabled = false;
  auto p = this->make();
  EXPECT_EQ(p->state(), MlState::kDisabledConfig);
  EXPECT_FALSE(p->has_model(p->resolve("GOOG")));  // nothing is loaded when ML is off
  const PredictResult r = this->try_predict(*p, "GOOG", this->good.row());
  EXPECT_EQ(r.status, PredictStatus::kMlDisabled);
  EXPECT_TRUE(std::isnan(r.value));
  EXPECT_EQ(this->try_predict(*p, "GOOG", missing_row().row()).status, PredictStatus::kMlDisabled);
  EXPECT_THROW(this->predict(*p, "GOOG", this->good.row()), MlDisabledError);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.blocked_calls, 3u);
  EXPECT_EQ(m.model_errors, 0u);
  EXPECT_EQ(m.state, MlState::kDisabledConfig);
}

TYPED_TEST(PredictForm, EmptyRowIsInsufficientHistoryNotAFailure) {
  auto p = this->make();
  EXPECT_EQ(this->try_predict(*p, "GOOG", FeatureRow{}).status,
            PredictStatus::kInsufficientHistory);
  try {
    this->predict(*p, "GOOG", FeatureRow{});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("GOOG: no feature row yet"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(p->model_errors(), 0u);
}

// Check order: FeatureRow{} is answered before the model is looked for.
TYPED_TEST(PredictForm, EmptyRowComesBeforeNoModel) {
  auto p = this->make();
  EXPECT_EQ(this->try_predict(*p, "NOPE", FeatureRow{}).status,
            PredictStatus::kInsufficientHistory);
}

TYPED_TEST(PredictForm, MissingFeatureIsAMismatchRecordedUnderTheSymbol) {
  auto p = this->make();
  const OwnedRow bad(edited_schema([](auto& n) { n.erase(n.begin() + 5); }));
  EXPECT_EQ(this->try_predict(*p, "GOOG", bad.row()).status, PredictStatus::kFeatureMismatch);
  const auto events = this->sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["symbol"], "GOOG");
  EXPECT_EQ(events[0]["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(events[0]["details"]["missing"], json::array({ml_v1().names()[5]}));
  EXPECT_NE(p->metrics().last_error.find("GOOG: feature mismatch"), std::string::npos);
  try {
    this->predict(*p, "GOOG", bad.row());
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().expected_count, 28u);
    EXPECT_EQ(e.mismatch().got_count, 27u);
    EXPECT_EQ(e.mismatch().missing, std::vector<std::string>{ml_v1().names()[5]});
    EXPECT_TRUE(e.mismatch().extra.empty());
    EXPECT_EQ(e.mismatch().first_order_difference, 5u);
    EXPECT_NE(std::string(e.what()).find("GOOG"), std::string::npos) << e.what();
  }
  EXPECT_EQ(p->model_errors(), 2u);
}

// Same names, same order, but computed under another contract: the
// fingerprint differs, so it is a mismatch even though the names agree.
TYPED_TEST(PredictForm, RowFromAnotherContractIsAMismatchNamingBothFingerprints) {
  auto p = this->make();
  const OwnedRow bad(edited_schema([](auto&) {}, "ml_v0"));
  EXPECT_EQ(this->try_predict(*p, "GOOG", bad.row()).status, PredictStatus::kFeatureMismatch);
  try {
    this->predict(*p, "GOOG", bad.row());
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("ml_v0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(ml_v1().fingerprint()), std::string::npos) << e.what();
  }
}

TYPED_TEST(PredictForm, RowWithoutSchemaIsAMismatch) {
  auto p = this->make();
  const FeatureRow bad{nullptr, this->good.values};
  EXPECT_EQ(this->try_predict(*p, "GOOG", bad).status, PredictStatus::kFeatureMismatch);
}

// The schema is right but the span holds 27 values.
TYPED_TEST(PredictForm, RowOfWrongLengthIsAWrongFeatureCount) {
  auto p = this->make();
  const FeatureRow bad{ml_v1().schema().get(), std::span<const float>(this->good.values).first(27)};
  EXPECT_EQ(this->try_predict(*p, "GOOG", bad).status, PredictStatus::kWrongFeatureCount);
  try {
    this->predict(*p, "GOOG", bad);
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().expected_count, 28u);
    EXPECT_EQ(e.mismatch().got_count, 27u);
  }
  EXPECT_EQ(this->sink->with_status("FAILURE_RECORDED")[0]["reason"], "WRONG_FEATURE_COUNT");
}

// The branch-free finiteness check: NaN (quiet, signalling, negative) and
// +-inf at every position are refused; the extreme finite values are not.
TYPED_TEST(PredictForm, EveryNonFiniteValueAtEveryPositionIsRefusedNamingTheFeature) {
  this->config.governance.max_failures = 1000;
  auto p = this->make();
  const std::vector<float> non_finite = {kNaN, -kNaN, std::numeric_limits<float>::signaling_NaN(),
                                         kInf, -kInf};
  const std::vector<float> finite = {
      std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest(),
      std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min(), -0.0f};
  std::size_t failures = 0;
  for (std::size_t i = 0; i < 28; ++i) {
    for (const float v : non_finite) {
      OwnedRow row(ml_v1().schema());
      row.values[i] = v;
      EXPECT_EQ(this->try_predict(*p, "GOOG", row.row()).status, PredictStatus::kNonFiniteFeature)
          << "index " << i << " value " << v;
      ++failures;
    }
    for (const float v : finite) {
      OwnedRow row(ml_v1().schema());
      row.values[i] = v;
      EXPECT_TRUE(this->try_predict(*p, "GOOG", row.row()).ok()) << "index " << i << " value " << v;
    }
  }
  EXPECT_EQ(p->metrics().failures_by_reason[static_cast<int>(PredictStatus::kNonFiniteFeature)],
            failures);
  OwnedRow row(ml_v1().schema());
  row.values[7] = 0.5f;
  row.values[9] = -kInf;
  row.values[27] = kNaN;
  try {
    this->predict(*p, "GOOG", row.row());
    FAIL();
  } catch (const DataError& e) {
    const std::string expected =
        "GOOG: non-finite feature " + ml_v1().names()[9] + " (index 9) = -inf";
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

// A regression model whose every leaf is 3e38: ten trees sum past the float
// range, so the output is +inf, which the predictor refuses.
TYPED_TEST(PredictForm, NonFiniteModelOutputIsAModelError) {
  TempDir model_dir;
  const auto file = testing::train_test_model(model_dir.path(), 28, 10, 3, "reg:squarederror");
  json model = json::parse(read_file(file));
  for (auto& tree : model["learner"]["gradient_booster"]["model"]["trees"]) {
    for (std::size_t i = 0; i < tree["left_children"].size(); ++i) {
      if (tree["left_children"][i] == -1) {
        tree["split_conditions"][i] = 3e38;
        tree["base_weights"][i] = 3e38;
      }
    }
  }
  testing::write_text(file, model.dump());
  install_model(this->config.paths.models_dir, "MSFT", "20251120_120000", MetaMode::kGood, nullptr,
                file);
  auto p = this->make();
  EXPECT_EQ(this->try_predict(*p, "MSFT", this->good.row()).status, PredictStatus::kModelError);
  EXPECT_THROW(this->predict(*p, "MSFT", this->good.row()), ModelError);
  const auto events = this->sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["symbol"], "MSFT");
  EXPECT_EQ(events[0]["reason"], "MODEL_ERROR");
}

TYPED_TEST(PredictForm, ThirdFailureLatchesAndRefusesWithoutTouchingAModelUntilReenabled) {
  auto p = this->make();
  const OwnedRow bad = missing_row();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(this->try_predict(*p, "GOOG", bad.row()).status, PredictStatus::kFeatureMismatch);
  }
  ASSERT_EQ(p->state(), MlState::kDisabledGovernance);
  const auto latch = this->sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latch.size(), 1u);
  EXPECT_EQ(latch[0]["symbol"], "GOOG");
  EXPECT_EQ(read_governance_state(this->config.governance.state_file).last_failures[2].symbol,
            "GOOG");

  const std::size_t records = this->sink->records().size();
  EXPECT_EQ(this->try_predict(*p, "GOOG", this->good.row()).status,
            PredictStatus::kGovernanceDisabled);
  EXPECT_THROW(this->predict(*p, "GOOG", this->good.row()), GovernanceDisabledError);
  // Nothing was evaluated, recorded or logged.
  EXPECT_EQ(this->sink->records().size(), records);
  EXPECT_EQ(p->metrics().blocked_calls, 2u);
  EXPECT_EQ(p->metrics().predictions, 0u);
  EXPECT_EQ(p->model_errors(), 3u);

  p->reenable("alice", "fixed the column order");
  EXPECT_TRUE(this->try_predict(*p, "GOOG", this->good.row()).ok());
}

// ---------------------------------------------------------------------------
// Check order and statuses

TEST_F(PredictorTest, NoModelForSymbolIsNotAGovernanceFailure) {
  auto p = make();
  EXPECT_EQ(p->try_predict("MSFT", good.row()).status, PredictStatus::kNoModel);
  try {
    p->predict("MSFT", good.row());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("MSFT: no model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(p->model_errors(), 0u);
  EXPECT_EQ(p->metrics().failures_by_reason[static_cast<int>(PredictStatus::kNoModel)], 2u);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
}

TEST_F(PredictorTest, HostileSymbolsFindNoModelAndNothingOnDisk) {
  auto p = make();
  const std::vector<std::string> symbols = {"../../etc/passwd", "GOOG\"\n{\"forged\":1}",
                                            "GOOG/../AAPL", std::string("GO\0OG", 5)};
  for (const std::string& symbol : symbols) {
    EXPECT_EQ(p->try_predict(symbol, good.row()).status, PredictStatus::kNoModel) << symbol;
    EXPECT_FALSE(p->has_model(p->resolve(symbol)));
  }
  try {
    p->predict("A\"B\nC", good.row());
    FAIL();
  } catch (const ModelError& e) {
    // The symbol is shown JSON-escaped: the message stays one line.
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(R"("A\"B\nC")"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------
// Each mismatch kind

TEST_F(PredictorTest, ExtraFeatureIsAMismatchNamingIt) {
  auto p = make();
  const OwnedRow bad(edited_schema([](auto& n) { n.push_back("my_new_feature"); }));
  try {
    p->predict("GOOG", bad.row());
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().got_count, 29u);
    EXPECT_EQ(e.mismatch().extra, std::vector<std::string>{"my_new_feature"});
    EXPECT_EQ(e.mismatch().first_order_difference, 28u);  // past the end of the expected list
  }
}

TEST_F(PredictorTest, SwappedFeaturesAreAMismatchAtTheFirstSwappedPosition) {
  auto p = make();
  const OwnedRow bad(edited_schema([](auto& n) { std::swap(n[13], n[14]); }));
  try {
    p->predict("GOOG", bad.row());
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().got_count, 28u);
    EXPECT_TRUE(e.mismatch().missing.empty());
    EXPECT_TRUE(e.mismatch().extra.empty());
    EXPECT_EQ(e.mismatch().first_order_difference, 13u);
    EXPECT_EQ(e.mismatch().expected_at_difference, ml_v1().names()[13]);
    EXPECT_EQ(e.mismatch().got_at_difference, ml_v1().names()[14]);
  }
}

// ---------------------------------------------------------------------------
// Governance window and latch (3 failures within 300 s)

TEST_F(PredictorTest, TwoFailuresKeepItEnabled) {
  auto p = make();
  fail_once(*p);
  clock->advance(10s);
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  EXPECT_EQ(p->model_errors(), 2u);
  EXPECT_TRUE(p->try_predict("GOOG", good.row()).ok());
}

TEST_F(PredictorTest, ThirdFailureInsideWindowDisables) {
  auto p = make();
  fail_once(*p);
  clock->advance(100s);
  fail_once(*p);
  clock->advance(199s);  // 299 s after the first
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  ASSERT_EQ(listener.changes.size(), 1u);
  EXPECT_EQ(listener.changes[0].from, MlState::kEnabledOk);
  EXPECT_EQ(listener.changes[0].to, MlState::kDisabledGovernance);
  EXPECT_NE(listener.changes[0].reason.find("3 failures within 300s"), std::string::npos)
      << listener.changes[0].reason;
}

// Half-open window: the third failure exactly 300 s after the first no longer
// sees it.
TEST_F(PredictorTest, ThirdFailureExactlyAtWindowLengthDoesNotDisable) {
  auto p = make();
  fail_once(*p);
  clock->advance(100s);
  fail_once(*p);
  clock->advance(200s);  // exactly 300 s after the first
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  EXPECT_EQ(p->metrics().failures_in_window, 2u);
}

TEST_F(PredictorTest, ThirdFailureOneNanosecondInsideWindowDisables) {
  auto p = make();
  fail_once(*p);
  clock->advance(100s);
  fail_once(*p);
  clock->advance(200s - 1ns);
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
}

// A failure every 151 s: at most two in any 300 s window, never three.
TEST_F(PredictorTest, FailuresSpreadWiderThanWindowNeverDisable) {
  auto p = make();
  for (int i = 0; i < 20; ++i) {
    fail_once(*p);
    clock->advance(151s);
  }
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  EXPECT_EQ(p->model_errors(), 20u);
}

TEST_F(PredictorTest, EveryFailureKindCountsTowardsTheLatch) {
  auto p = make();
  OwnedRow nan_row(ml_v1().schema());
  nan_row.values[0] = kNaN;
  const FeatureRow short_row{ml_v1().schema().get(), std::span<const float>(good.values).first(3)};
  EXPECT_EQ(p->try_predict("GOOG", nan_row.row()).status, PredictStatus::kNonFiniteFeature);
  EXPECT_EQ(p->try_predict("GOOG", short_row).status, PredictStatus::kWrongFeatureCount);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.failures_by_reason[static_cast<int>(PredictStatus::kNonFiniteFeature)], 1u);
  EXPECT_EQ(m.failures_by_reason[static_cast<int>(PredictStatus::kWrongFeatureCount)], 1u);
  EXPECT_EQ(m.failures_by_reason[static_cast<int>(PredictStatus::kFeatureMismatch)], 1u);
}

TEST_F(PredictorTest, BlockedCallsAreCountedNotRecorded) {
  auto p = make();
  for (int i = 0; i < 3; ++i) fail_once(*p);
  const OwnedRow bad = missing_row();
  EXPECT_EQ(p->try_predict("GOOG", bad.row()).status, PredictStatus::kGovernanceDisabled);
  EXPECT_EQ(p->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.blocked_calls, 2u);
  EXPECT_EQ(m.model_errors, 3u);
  EXPECT_EQ(m.predictions, 0u);
}

TEST_F(PredictorTest, LatchPersistsAcrossARestart) {
  {
    auto p = make();
    for (int i = 0; i < 3; ++i) fail_once(*p);
  }
  const GovernanceRecord on_disk = read_governance_state(config.governance.state_file);
  EXPECT_TRUE(on_disk.disabled);
  EXPECT_EQ(on_disk.last_failures.size(), 3u);
  EXPECT_EQ(on_disk.last_failures[0].symbol, "GOOG");
  EXPECT_EQ(on_disk.last_failures[0].reason, "FEATURE_MISMATCH");
  EXPECT_EQ(on_disk.history.back().event, "DISABLED_BY_GOVERNANCE");
  auto restarted = make();
  EXPECT_EQ(restarted->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(restarted->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
}

TEST_F(PredictorTest, ConfiguredStateFileIsUsed) {
  const std::filesystem::path default_file = config.governance.state_file;
  config.governance.state_file = dir / "elsewhere" / "gov.json";
  GovernedPredictor p(config, ml_v1(), options());
  for (int i = 0; i < 3; ++i) fail_once(p);
  EXPECT_TRUE(read_governance_state(dir / "elsewhere" / "gov.json").disabled);
  EXPECT_FALSE(std::filesystem::exists(default_file));
}

TEST_F(PredictorTest, GarbageStateFileIsTreatedAsDisabledLoudly) {
  testing::write_text(config.governance.state_file, "{\"state\": \"ENABLED\"");  // truncated
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(p->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["level"], "CRITICAL");
  EXPECT_EQ(events[0]["reason"], "STATE_FILE_UNREADABLE");
  EXPECT_NE(events[0]["message"].get<std::string>().find(config.governance.state_file.string()),
            std::string::npos);
}

TEST_F(PredictorTest, MissingStateFileIsAWarningAndIsCreatedWithAStartedRecord) {
  ASSERT_FALSE(std::filesystem::exists(config.governance.state_file));
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  const auto warnings = sink->with_status("STATE_FILE_MISSING");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0]["level"], "WARNING");
  EXPECT_EQ(warnings[0]["message"],
            "no governance state at " + config.governance.state_file.string() +
                ": starting enabled with an empty history; expected only on a first start");
  const GovernanceRecord on_disk = read_governance_state(config.governance.state_file);
  ASSERT_EQ(on_disk.history.size(), 1u);
  EXPECT_EQ(on_disk.history[0].event, "STARTED");
  EXPECT_EQ(on_disk.history[0].ts, "2026-01-01T00:00:00.000Z");
}

// Failures an earlier run left in the file's window count after a restart.
TEST_F(PredictorTest, WindowFailuresInTheStateFileCountAtStart) {
  GovernanceRecord r;  // two failures 10 s and 5 s before the ManualClock's start
  r.window_failures = {"2025-12-31T23:59:50.000Z", "2025-12-31T23:59:55.000Z"};
  write_governance_state(config.governance.state_file, r);
  auto p = make();
  EXPECT_EQ(p->metrics().failures_in_window, 2u);
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
}

TEST_F(PredictorTest, OperatorDisableLatchesAndIsLoggedAsDisabledByOperator) {
  auto p = make();
  p->disable("bob", "INC-7: bad feed");
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(p->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
  const auto events = sink->with_status("DISABLED_BY_OPERATOR");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["level"], "ERROR");
  EXPECT_EQ(events[0]["details"]["operator"], "bob");
  EXPECT_TRUE(sink->with_status("DISABLED_BY_GOVERNANCE").empty());
  const GovernanceRecord on_disk = read_governance_state(config.governance.state_file);
  EXPECT_TRUE(on_disk.disabled);
  EXPECT_EQ(on_disk.reason, "disabled by operator bob: INC-7: bad feed");
  EXPECT_EQ(on_disk.history.back().event, "DISABLED_BY_OPERATOR");
  ASSERT_EQ(listener.changes.size(), 1u);
  EXPECT_EQ(listener.changes[0].reason, "disabled by operator bob: INC-7: bad feed");
  EXPECT_THROW(p->disable("", "x"), std::invalid_argument);
  // The heartbeat keeps the state names.
  EXPECT_NE(p->heartbeat(1s, 1, 1).find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
}

// The offline scorer's governance: the window and the latch work as usual,
// in memory, and nothing is read or written on disk (no state file, no lock
// file), so a backtest never reaches a live engine's latch.
TEST_F(PredictorTest, InMemoryGovernanceLatchesWithoutTouchingTheStateFile) {
  PredictorOptions o = options();
  o.in_memory_governance = true;
  GovernedPredictor p(config, ml_v1(), o);
  EXPECT_TRUE(p.try_predict("GOOG", good.row()).ok());
  fail_once(p);
  fail_once(p);
  EXPECT_EQ(p.state(), MlState::kEnabledOk);
  fail_once(p);
  EXPECT_EQ(p.state(), MlState::kDisabledGovernance);
  EXPECT_EQ(sink->with_status("DISABLED_BY_GOVERNANCE").size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(config.governance.state_file.parent_path()));
  p.reenable("alice", "backtest rerun");
  EXPECT_TRUE(p.try_predict("GOOG", good.row()).ok());
  EXPECT_FALSE(std::filesystem::exists(config.governance.state_file.parent_path()));
}

// A state file that turns to garbage while the engine runs disables it; if
// the garbage is then moved aside (the runbook's first step before a
// re-enable), the file is written back DISABLED, never as the ENABLED state
// the engine had before, so no engine on the file re-enables itself without
// an operator.
TEST_F(PredictorTest, GarbageThenRemovedStateFileIsWrittenBackDisabled) {
  auto p = make();
  std::ofstream(config.governance.state_file, std::ios::trunc) << "{ not json";
  EXPECT_NE(p->heartbeat(1s, 1, 1).find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
  std::filesystem::remove(config.governance.state_file);
  EXPECT_NE(p->heartbeat(2s, 1, 2).find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
  const GovernanceRecord written = read_governance_state(config.governance.state_file);
  EXPECT_TRUE(written.disabled);
  EXPECT_NE(written.reason.find("unreadable"), std::string::npos) << written.reason;
  EXPECT_EQ(written.history.back().event, "STATE_FILE_RECREATED");
  EXPECT_EQ(p->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
}

// A failure that finds the state file turned to garbage disables at once,
// without waiting for the watcher.
TEST_F(PredictorTest, FailureThatFindsAGarbageStateFileDisablesAtOnce) {
  auto p = make();
  std::ofstream(config.governance.state_file, std::ios::trunc) << "{ not json";
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(p->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
  EXPECT_FALSE(sink->with_status("DISABLED_BY_GOVERNANCE").empty());
}

// What the CLI (or another engine) writes shows at the next heartbeat.
TEST_F(PredictorTest, ChangeToTheStateFileShowsAtTheNextHeartbeat) {
  auto p = make();
  disable_governance_state_file(config.governance.state_file, "bob", "kill", *clock);
  EXPECT_NE(p->heartbeat(1s, 1, 1).find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
  EXPECT_EQ(p->try_predict("GOOG", good.row()).status, PredictStatus::kGovernanceDisabled);
  reenable_governance_state_file(config.governance.state_file, "alice", "fixed", *clock);
  EXPECT_NE(p->heartbeat(2s, 1, 2).find("ml_state=ENABLED|OK"), std::string::npos);
  EXPECT_TRUE(p->try_predict("GOOG", good.row()).ok());
  // (The listener may be told from the watcher thread, which can take the
  // change in first; the logged events say the same without a race.)
  EXPECT_EQ(sink->with_status("DISABLED_BY_OPERATOR").size(), 1u);
  EXPECT_EQ(sink->with_status("REENABLED").size(), 1u);
}

TEST_F(PredictorTest, FifoStateFileStartsDisabledWithoutBlocking) {
  std::filesystem::create_directories(config.governance.state_file.parent_path());
  ASSERT_EQ(::mkfifo(config.governance.state_file.c_str(), 0600), 0);
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["level"], "CRITICAL");
  EXPECT_NE(events[0]["message"].get<std::string>().find("is a FIFO"), std::string::npos);
}

TEST_F(PredictorTest, StaleStateTemporariesAreRemovedAtStartWithALogLine) {
  const auto state_dir = config.governance.state_file.parent_path();
  std::filesystem::create_directories(state_dir);
  const auto stale = state_dir / ".governance_state.json.tmp.99.1";
  testing::write_text(stale, "partial");
  std::filesystem::last_write_time(stale, std::filesystem::file_time_type::clock::now() - 25h);
  auto p = make();
  EXPECT_FALSE(std::filesystem::exists(stale));
  const auto events = sink->with_status("STATE_TEMPORARY_REMOVED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0]["message"].get<std::string>().find(stale.string()), std::string::npos);
}

// No logger given: WARNING and up still reach stderr, as JSON lines.
TEST_F(PredictorTest, PredictorWithoutALoggerWritesWarningsToStderr) {
  PredictorOptions o = options();
  o.logger = nullptr;
  ::testing::internal::CaptureStderr();
  {
    GovernedPredictor p(config, ml_v1(), o);
    fail_once(p);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  std::vector<json> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << err;  // the missing state file, the failure; no INFO
  EXPECT_EQ(lines[0]["status"], "STATE_FILE_MISSING");
  EXPECT_EQ(lines[0]["level"], "WARNING");
  EXPECT_EQ(lines[1]["status"], "FAILURE_RECORDED");
  EXPECT_EQ(lines[1]["reason"], "FEATURE_MISMATCH");
}

TEST_F(PredictorTest, ReenableClearsTheLatchAndTheWindow) {
  auto p = make();
  for (int i = 0; i < 3; ++i) fail_once(*p);
  p->reenable("alice", "retrained GOOG");
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  EXPECT_TRUE(p->try_predict("GOOG", good.row()).ok());
  // The window was cleared: two new failures do not trip.
  fail_once(*p);
  fail_once(*p);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  ASSERT_EQ(listener.changes.size(), 2u);
  EXPECT_EQ(listener.changes[1].from, MlState::kDisabledGovernance);
  EXPECT_EQ(listener.changes[1].to, MlState::kEnabledOk);
}

TEST_F(PredictorTest, ReenableWritesTheAuditRecordAndLogsIt) {
  auto p = make();
  for (int i = 0; i < 3; ++i) fail_once(*p);
  clock->advance(1500ms);
  p->reenable("alice", "retrained GOOG");
  const GovernanceRecord on_disk = read_governance_state(config.governance.state_file);
  EXPECT_FALSE(on_disk.disabled);
  // STARTED, DISABLED_BY_GOVERNANCE, then the operator's entry.
  ASSERT_EQ(on_disk.history.size(), 3u);
  EXPECT_EQ(on_disk.history[0].event, "STARTED");
  EXPECT_EQ(on_disk.history[1].event, "DISABLED_BY_GOVERNANCE");
  EXPECT_EQ(on_disk.history[2].event, "REENABLED");
  EXPECT_EQ(on_disk.history[2].operator_name, "alice");
  EXPECT_EQ(on_disk.history[2].reason, "retrained GOOG");
  // ManualClock starts at 2026-01-01T00:00:00Z; 1.5 s later.
  EXPECT_EQ(on_disk.history[2].ts, "2026-01-01T00:00:01.500Z");
  const auto events = sink->with_status("REENABLED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["details"]["operator"], "alice");
  EXPECT_EQ(events[0]["details"]["reason"], "retrained GOOG");
  // A restart stays enabled.
  EXPECT_EQ(make()->state(), MlState::kEnabledOk);
}

TEST_F(PredictorTest, ReenableNeedsOperatorAndReason) {
  auto p = make();
  for (int i = 0; i < 3; ++i) fail_once(*p);
  EXPECT_THROW(p->reenable("", "x"), std::invalid_argument);
  EXPECT_THROW(p->reenable("alice", ""), std::invalid_argument);
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
}

TEST_F(PredictorTest, ReenableAfterGarbageStateFileRewritesIt) {
  testing::write_text(config.governance.state_file, "garbage");
  auto p = make();
  p->reenable("alice", "inspected the file");
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
  const GovernanceRecord on_disk = read_governance_state(config.governance.state_file);
  ASSERT_EQ(on_disk.history.size(), 2u);
  EXPECT_EQ(on_disk.history[0].event, "STATE_FILE_UNREADABLE");
  EXPECT_EQ(on_disk.history[1].event, "REENABLED");
}

// ---------------------------------------------------------------------------
// Models at start

TEST_F(PredictorTest, RefusedModelCountsAsAFailureAndDegrades) {
  ModelMeta meta = testing::good_meta("MSFT");
  meta.contract.name = "ml_v2";
  install_model(config.paths.models_dir, "MSFT", "20251120_120000", MetaMode::kGood, &meta);
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  EXPECT_EQ(p->model_errors(), 1u);
  EXPECT_EQ(p->metrics().failures_by_reason[static_cast<int>(PredictStatus::kModelRefused)], 1u);
  const auto events = sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["symbol"], "MSFT");
  EXPECT_EQ(events[0]["reason"], "MODEL_REFUSED");
  EXPECT_NE(events[0]["message"].get<std::string>().find("ml_v2"), std::string::npos);
  EXPECT_FALSE(p->has_model(p->resolve("MSFT")));
  EXPECT_TRUE(p->has_model(p->resolve("GOOG")));
}

TEST_F(PredictorTest, ThreeRefusedModelsLatchAtStart) {
  for (const char* symbol : {"M1", "M2", "M3"}) {
    ModelMeta meta = testing::good_meta(symbol);
    std::swap(meta.features[0], meta.features[1]);
    install_model(config.paths.models_dir, symbol, "20251120_120000", MetaMode::kGood, &meta);
  }
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kDisabledGovernance);
  const auto events = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["details"]["first_order_difference"], 0);
}

TEST_F(PredictorTest, LegacyModelMakesTheStateDegraded) {
  install_model(config.paths.models_dir, "MSFT", "20251120_120000", MetaMode::kNone);
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  ASSERT_TRUE(p->model_info("MSFT").has_value());
  EXPECT_TRUE(p->model_info("MSFT")->legacy);
  EXPECT_TRUE(p->try_predict("MSFT", good.row()).ok());
  EXPECT_EQ(p->metrics().models_degraded, 1u);
  EXPECT_EQ(p->metrics().models_loaded, 3u);
}

// ManualClock: 2026-01-01; data ending 2025-06-30 is 185 days old > 90.
TEST_F(PredictorTest, StaleModelMakesTheStateDegraded) {
  config.governance.max_model_age_days = 90;
  const ModelMeta meta = testing::good_meta("MSFT", "2025-06-30");
  install_model(config.paths.models_dir, "MSFT", "20251120_120000", MetaMode::kGood, &meta);
  auto p = make();
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
  EXPECT_TRUE(p->model_info("MSFT")->stale);
  EXPECT_NE(p->model_info("MSFT")->degraded_reason.find("185 days ago"), std::string::npos)
      << p->model_info("MSFT")->degraded_reason;
}

TEST_F(PredictorTest, ReenableReturnsToDegradedWhenAModelIsDegraded) {
  install_model(config.paths.models_dir, "MSFT", "20251120_120000", MetaMode::kNone);
  auto p = make();
  for (int i = 0; i < 3; ++i) fail_once(*p);
  p->reenable("alice", "ok");
  EXPECT_EQ(p->state(), MlState::kEnabledDegraded);
}

TEST_F(PredictorTest, ContractOtherThanTheConfiguredOneIsAConfigError) {
  config.contract = "ml_v2";
  EXPECT_THROW(make(), ConfigError);
}

TEST_F(PredictorTest, MissingModelsDirectoryIsAModelError) {
  config.paths.models_dir = dir / "no_such_dir";
  EXPECT_THROW(make(), ModelError);
}

// ---------------------------------------------------------------------------
// Logs

TEST_F(PredictorTest, FailureIsOneJsonEventWithEveryField) {
  auto p = make();
  clock->advance(1234ms);
  const OwnedRow bad(edited_schema([](auto& n) { n.erase(n.begin()); }));
  p->try_predict("GOOG", bad.row());
  const auto events = sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(events.size(), 1u);
  const json& e = events[0];
  EXPECT_EQ(e["ts"], "2026-01-01T00:00:01.234Z");
  EXPECT_EQ(e["component"], "ML_GOVERNANCE");
  EXPECT_EQ(e["level"], "ERROR");
  EXPECT_EQ(e["model"], "ml_v1");
  EXPECT_EQ(e["symbol"], "GOOG");
  EXPECT_EQ(e["reason"], "FEATURE_MISMATCH");
  EXPECT_NE(e["message"].get<std::string>().find("feature mismatch"), std::string::npos);
  const json& d = e["details"];
  EXPECT_EQ(d["expected"], 28);
  EXPECT_EQ(d["got"], 27);
  EXPECT_EQ(d["missing"], json::array({ml_v1().names()[0]}));
  EXPECT_EQ(d["extra"], json::array());
  EXPECT_EQ(d["first_order_difference"], 0);
  EXPECT_EQ(d["expected_fingerprint"], ml_v1().fingerprint());
  EXPECT_EQ(d["got_fingerprint"], bad.schema->fingerprint());
}

TEST_F(PredictorTest, TheLatchingFailureIsOneCriticalEvent) {
  auto p = make();
  for (int i = 0; i < 3; ++i) fail_once(*p);
  EXPECT_EQ(sink->with_status("FAILURE_RECORDED").size(), 2u);
  const auto latch = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latch.size(), 1u);
  EXPECT_EQ(latch[0]["level"], "CRITICAL");
  EXPECT_EQ(latch[0]["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(latch[0]["symbol"], "GOOG");
  EXPECT_NE(latch[0]["message"].get<std::string>().find("mlgov governance reenable"),
            std::string::npos);
}

TEST_F(PredictorTest, LogsGoToLiveAndErrorsJsonlAsParsableLines) {
  PredictorOptions o = options();
  LoggerOptions lo;
  lo.logs_dir = config.paths.logs_dir;
  lo.console = false;
  o.logger = make_governance_logger(lo, clock);
  {
    GovernedPredictor p(config, ml_v1(), o);
    for (int i = 0; i < 3; ++i) fail_once(p);
    p.heartbeat(159s, 225, 2);
  }
  auto lines = [](const std::filesystem::path& f) {
    std::vector<json> out;
    std::istringstream in(read_file(f));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  };
  const auto live = lines(config.paths.logs_dir / "live.jsonl");
  const auto errors = lines(config.paths.logs_dir / "errors.jsonl");
  // errors.jsonl: the two FAILURE_RECORDED (ERROR) and the latch (CRITICAL).
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[2]["status"], "DISABLED_BY_GOVERNANCE");
  // live.jsonl has them too, and the heartbeat as a JSON record.
  bool heartbeat_found = false;
  for (const auto& j : live) {
    if (j.value("component", "") == "HEARTBEAT") {
      heartbeat_found = true;
      EXPECT_EQ(j["uptime_s"], 159);
      EXPECT_EQ(j["symbols"], 225);
      EXPECT_EQ(j["cycles"], 2);
      EXPECT_EQ(j["state"], "DEGRADED");
      EXPECT_EQ(j["ml_state"], "DISABLED_GOVERNANCE");
      EXPECT_EQ(j["model_errors"], 3);
    }
  }
  EXPECT_TRUE(heartbeat_found);
}

// ---------------------------------------------------------------------------
// Heartbeat and metrics

TEST_F(PredictorTest, HeartbeatLineIsExact) {
  auto p = make();
  EXPECT_EQ(p->heartbeat(159s, 225, 2),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=OK | ml_state=ENABLED|OK | "
            "model_errors=0");
  for (int i = 0; i < 3; ++i) fail_once(*p);
  EXPECT_EQ(p->heartbeat(159s, 225, 2),
            "[HEARTBEAT] uptime=159s | symbols=225 | cycles=2 | state=DEGRADED | "
            "ml_state=DISABLED_GOVERNANCE | model_errors=3");
  clock->advance(7s);  // the record's time comes from the injected clock
  EXPECT_EQ(p->heartbeat(160s, 225, 3, /*host_halted=*/true),
            "[HEARTBEAT] uptime=160s | symbols=225 | cycles=3 | state=HALTED | "
            "ml_state=DISABLED_GOVERNANCE | model_errors=3");
  // The sink received the last one once, as its JSON record at INFO.
  const auto records = sink->records();
  EXPECT_EQ(json::parse(records.back().payload),
            json::parse(R"({"ts":"2026-01-01T00:00:07.000Z","component":"HEARTBEAT",
                "level":"INFO","uptime_s":160,"symbols":225,"cycles":3,"state":"HALTED",
                "ml_state":"DISABLED_GOVERNANCE","model_errors":3,
                "store":"file )" +
                        config.governance.state_file.string() + R"(","store_health":"OK"})"));
  EXPECT_EQ(records.back().level, spdlog::level::info);
}

TEST_F(PredictorTest, MetricsSnapshotCountsEverything) {
  auto p = make();
  ASSERT_TRUE(p->try_predict("GOOG", good.row()).ok());
  ASSERT_TRUE(p->try_predict("AAPL", good.row()).ok());
  p->try_predict("NOPE", good.row());
  fail_once(*p);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.predictions, 2u);
  EXPECT_EQ(m.model_errors, 1u);
  EXPECT_EQ(m.failures_by_reason[static_cast<int>(PredictStatus::kFeatureMismatch)], 1u);
  EXPECT_EQ(m.failures_by_reason[static_cast<int>(PredictStatus::kNoModel)], 1u);
  EXPECT_EQ(m.failures_in_window, 1u);
  EXPECT_EQ(m.state, MlState::kEnabledOk);
  EXPECT_EQ(m.models_loaded, 2u);
  EXPECT_NE(m.last_error.find("GOOG: feature mismatch"), std::string::npos) << m.last_error;
  clock->advance(300s);
  EXPECT_EQ(p->metrics().failures_in_window, 0u);
}

TEST_F(PredictorTest, WriteMetricsWritesThePrometheusFile) {
  auto p = make();
  fail_once(*p);
  const auto file = dir / "mlgov.prom";
  p->write_metrics(file);
  const std::string text = read_file(file);
  EXPECT_NE(text.find("mlgov_model_errors_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mlgov_failures_total{reason=\"feature_mismatch\"} 1"), std::string::npos)
      << text;
}

TEST(PredictStatus, SpellingsAreStable) {
  EXPECT_EQ(to_string(PredictStatus::kOk), "OK");
  EXPECT_EQ(to_string(PredictStatus::kMlDisabled), "ML_DISABLED");
  EXPECT_EQ(to_string(PredictStatus::kGovernanceDisabled), "GOVERNANCE_DISABLED");
  EXPECT_EQ(to_string(PredictStatus::kNoModel), "NO_MODEL");
  EXPECT_EQ(to_string(PredictStatus::kFeatureMismatch), "FEATURE_MISMATCH");
  EXPECT_EQ(to_string(PredictStatus::kWrongFeatureCount), "WRONG_FEATURE_COUNT");
  EXPECT_EQ(to_string(PredictStatus::kNonFiniteFeature), "NON_FINITE_FEATURE");
  EXPECT_EQ(to_string(PredictStatus::kModelError), "MODEL_ERROR");
  EXPECT_EQ(to_string(PredictStatus::kInsufficientHistory), "INSUFFICIENT_HISTORY");
  EXPECT_EQ(to_string(PredictStatus::kModelRefused), "MODEL_REFUSED");
  EXPECT_EQ(to_string(PredictStatus::kSpanLengthMismatch), "SPAN_LENGTH_MISMATCH");
}

// kPredictStatusCount covers the enum: the last status is at count - 1.
TEST(PredictStatus, CountCoversEveryStatus) {
  EXPECT_EQ(static_cast<std::size_t>(PredictStatus::kSpanLengthMismatch), kPredictStatusCount - 1);
  EXPECT_NE(to_string(static_cast<PredictStatus>(kPredictStatusCount - 1)), "UNKNOWN");
  EXPECT_EQ(to_string(static_cast<PredictStatus>(kPredictStatusCount)), "UNKNOWN");
}

// The governance failures feed the window; blocked calls and skips do not.
TEST(PredictStatus, OnlyModelFaultsCountAsGovernanceFailures) {
  const std::vector<PredictStatus> failures = {
      PredictStatus::kFeatureMismatch, PredictStatus::kWrongFeatureCount,
      PredictStatus::kNonFiniteFeature, PredictStatus::kModelError, PredictStatus::kModelRefused};
  for (std::size_t i = 0; i < kPredictStatusCount; ++i) {
    const auto status = static_cast<PredictStatus>(i);
    const bool expected = std::find(failures.begin(), failures.end(), status) != failures.end();
    EXPECT_EQ(counts_as_governance_failure(status), expected) << to_string(status);
  }
}

// fmt (and so spdlog) prints a public enum by its to_string spelling, and
// the string format spec applies.
TEST(EnumFormatting, FmtPrintsTheToStringSpelling) {
  EXPECT_EQ(fmt::format("{}", PredictStatus::kFeatureMismatch), "FEATURE_MISMATCH");
  EXPECT_EQ(fmt::format("{}", MlState::kDisabledGovernance), "DISABLED_GOVERNANCE");
  EXPECT_EQ(fmt::format("{}", MlState::kEnabledOk), "ENABLED|OK");
  EXPECT_EQ(fmt::format("{}", HostState::kHalted), "HALTED");
  EXPECT_EQ(fmt::format("{}", PredictorBackend::kXgboost), "xgboost");
  EXPECT_EQ(fmt::format("{}", FeatureStatus::kOutOfOrder), "OUT_OF_ORDER");
  EXPECT_EQ(fmt::format("[{:>8}]", PredictStatus::kOk), "[      OK]");
}

}  // namespace
}  // namespace mlgov
