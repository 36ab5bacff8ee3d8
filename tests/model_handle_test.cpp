// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelHandle: resolve once, predict by handle. The handle forms give the
// symbol forms' results bit for bit, every status in the same order, the same
// recording under the handle's symbol, and a handle that names no model of
// the predictor (default, unknown symbol, another predictor's) is kNoModel,
// never undefined behaviour. The batch reads the state once and, when a
// failure in it latches, refuses the rest exactly as the symbol batch does.
// Real XGBoost models; a ManualClock, never a sleep.
#include "mlgov/model_handle.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "mlgov/governed_predictor.h"
#include "model/model_backend.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

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

struct HandleTest : ::testing::Test {
  TempDir dir;
  Config config = testing::test_config(dir.path());
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  OwnedRow good{ml_v1().schema()};

  HandleTest() {
    install_model(config.paths.models_dir, "GOOG");
    install_model(config.paths.models_dir, "AAPL");
  }

  // `state_file` set: a second predictor over the same models with its own latch.
  std::unique_ptr<GovernedPredictor> make(const std::string& state_file = "") {
    PredictorOptions o;
    o.clock = clock;
    o.logger = testing::capture_logger(sink);
    if (!state_file.empty()) o.state_file = dir / state_file;
    return std::make_unique<GovernedPredictor>(config, ml_v1(), o);
  }
};

// ---------------------------------------------------------------------------
// The handle itself

TEST(ModelHandle, IsASmallTriviallyCopyableValueInvalidByDefault) {
  static_assert(std::is_trivially_copyable_v<ModelHandle>);
  static_assert(sizeof(ModelHandle) <= 16);
  constexpr ModelHandle h;
  static_assert(!h.valid());
  EXPECT_EQ(ModelHandle{}, h);
}

TEST_F(HandleTest, ResolveOfAKnownSymbolNamesItsModel) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  const ModelHandle aapl = p->resolve("AAPL");
  EXPECT_TRUE(goog.valid());
  EXPECT_TRUE(p->has_model(goog));
  EXPECT_EQ(p->symbol(goog), "GOOG");
  EXPECT_EQ(p->symbol(aapl), "AAPL");
  EXPECT_NE(goog, aapl);
  EXPECT_EQ(p->resolve("GOOG"), goog);  // the same handle every time
}

TEST_F(HandleTest, ResolveOfAnUnknownSymbolGivesAnInvalidHandleThatIsNoModel) {
  auto p = make();
  const ModelHandle msft = p->resolve("MSFT");
  EXPECT_FALSE(msft.valid());
  EXPECT_FALSE(p->has_model(msft));
  EXPECT_EQ(p->symbol(msft), "");
  EXPECT_EQ(p->try_predict(msft, good.row()).status, PredictStatus::kNoModel);
  EXPECT_TRUE(std::isnan(p->try_predict(msft, good.row()).value));
  try {
    p->predict(msft, good.row());
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("invalid model handle"), std::string::npos) << e.what();
  }
  // Counted like the symbol form's kNoModel, not a governance failure.
  EXPECT_EQ(p->metrics().failures_by_reason[static_cast<int>(FailureReason::kNoModel)], 3u);
  EXPECT_EQ(p->model_errors(), 0u);
  EXPECT_EQ(p->state(), MlState::kEnabledOk);
}

TEST_F(HandleTest, DefaultHandleIsNoModel) {
  auto p = make();
  EXPECT_FALSE(p->has_model(ModelHandle{}));
  EXPECT_EQ(p->try_predict(ModelHandle{}, good.row()).status, PredictStatus::kNoModel);
  EXPECT_THROW(p->predict(ModelHandle{}, good.row()), ModelError);
}

TEST_F(HandleTest, HandleFromAnotherPredictorNamesNoModelThere) {
  auto first = make();
  auto second = make("second_state.json");  // the same models, another predictor
  const ModelHandle goog = first->resolve("GOOG");
  EXPECT_FALSE(second->has_model(goog));
  EXPECT_EQ(second->symbol(goog), "");
  EXPECT_EQ(second->try_predict(goog, good.row()).status, PredictStatus::kNoModel);
  EXPECT_THROW(second->predict(goog, good.row()), ModelError);
  EXPECT_TRUE(first->try_predict(goog, good.row()).ok());
  EXPECT_TRUE(second->try_predict(second->resolve("GOOG"), good.row()).ok());
}

// A config reload builds a new predictor, often at the freed address: the old
// handles must not name its models.
TEST_F(HandleTest, HandleOutlivingItsPredictorNamesNoModelInTheNextOne) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  p.reset();
  auto next = make();
  EXPECT_FALSE(next->has_model(goog));
  EXPECT_EQ(next->try_predict(goog, good.row()).status, PredictStatus::kNoModel);
}

// ---------------------------------------------------------------------------
// Same results as the symbol form

// Varied finite rows; the expected values come from the model file evaluated
// directly by XGBoost, independent of the predictor.
TEST_F(HandleTest, HandlePredictionsEqualSymbolPredictionsBitForBit) {
  auto p = make();
  auto direct = internal::load_xgboost_backend(testing::trained_model(28));
  const std::vector<float> x = testing::synthetic_features(50, 28, 99, 0.0);
  const ModelHandle goog = p->resolve("GOOG");
  for (std::size_t i = 0; i < 50; ++i) {
    const FeatureRow row{ml_v1().schema().get(), std::span<const float>(x).subspan(i * 28, 28)};
    float expected = 0;
    ASSERT_TRUE(direct->predict(row.values.data(), 1, &expected));
    const PredictResult by_handle = p->try_predict(goog, row);
    const PredictResult by_symbol = p->try_predict("GOOG", row);
    ASSERT_EQ(by_handle.status, PredictStatus::kOk);
    EXPECT_EQ(bits(by_handle.value), bits(expected)) << "row " << i;
    EXPECT_EQ(bits(by_handle.value), bits(by_symbol.value)) << "row " << i;
    EXPECT_EQ(bits(p->predict(goog, row)), bits(expected)) << "row " << i;
  }
  EXPECT_EQ(p->metrics().predictions, 150u);
}

TEST_F(HandleTest, BatchGivesTheSymbolBatchsResultsAndCounters) {
  // Two predictors over the same models (separate latches), one per form.
  auto by_handle = make("a.json");
  auto by_symbol = make("b.json");
  const OwnedRow other(ml_v1().schema(), 1.5f);
  const OwnedRow bad = missing_row();
  const std::vector<std::string> symbols = {"GOOG", "AAPL", "NOPE", "GOOG", "AAPL", "GOOG"};
  const std::vector<FeatureRow> rows = {good.row(),   other.row(), good.row(),
                                        FeatureRow{}, bad.row(),   other.row()};
  std::vector<ModelHandle> handles;
  for (const auto& s : symbols) handles.push_back(by_handle->resolve(s));
  std::vector<PredictResult> out_h(6), out_s(6);
  EXPECT_EQ(by_handle->predict_batch(handles, rows, out_h), 3u);
  EXPECT_EQ(by_symbol->predict_batch(symbols, rows, out_s), 3u);
  const std::vector<PredictStatus> expected = {PredictStatus::kOk,
                                               PredictStatus::kOk,
                                               PredictStatus::kNoModel,
                                               PredictStatus::kInsufficientHistory,
                                               PredictStatus::kFeatureMismatch,
                                               PredictStatus::kOk};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(out_h[i].status, expected[i]) << i;
    EXPECT_EQ(out_s[i].status, expected[i]) << i;
    EXPECT_EQ(bits(out_h[i].value), bits(out_s[i].value)) << i;
  }
  const MetricsSnapshot mh = by_handle->metrics();
  const MetricsSnapshot ms = by_symbol->metrics();
  EXPECT_EQ(mh.predictions, 3u);
  EXPECT_EQ(mh.predictions, ms.predictions);
  EXPECT_EQ(mh.model_errors, ms.model_errors);
  EXPECT_EQ(mh.blocked_calls, ms.blocked_calls);
  EXPECT_EQ(mh.failures_by_reason, ms.failures_by_reason);
}

TEST_F(HandleTest, SuccessfulBatchLogsNothing) {
  auto p = make();
  const std::vector<ModelHandle> handles = {p->resolve("GOOG"), p->resolve("AAPL")};
  const std::vector<FeatureRow> rows = {good.row(), good.row()};
  std::vector<PredictResult> out(2);
  const std::size_t records = sink->records().size();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(p->predict_batch(handles, rows, out), 2u);
  EXPECT_EQ(sink->records().size(), records);
  EXPECT_EQ(p->metrics().predictions, 20u);
}

TEST_F(HandleTest, BatchWithUnequalSpansEvaluatesNothing) {
  auto p = make();
  const std::vector<ModelHandle> handles = {p->resolve("GOOG"), p->resolve("AAPL")};
  const std::vector<FeatureRow> rows = {good.row()};
  std::vector<PredictResult> out(2, PredictResult{PredictStatus::kOk, 1.0f});
  EXPECT_EQ(p->predict_batch(handles, rows, out), 0u);
  EXPECT_EQ(out[0].status, PredictStatus::kModelError);
  EXPECT_EQ(out[1].status, PredictStatus::kModelError);
  EXPECT_EQ(p->metrics().predictions, 0u);
}

TEST_F(HandleTest, EmptyBatchReturnsZero) {
  auto p = make();
  EXPECT_EQ(p->predict_batch(std::span<const ModelHandle>(), std::span<const FeatureRow>(),
                             std::span<PredictResult>()),
            0u);
  EXPECT_EQ(p->metrics().blocked_calls, 0u);
}

// ---------------------------------------------------------------------------
// Every status through the handle, recorded under the handle's symbol

TEST_F(HandleTest, FeatureMismatchIsRecordedUnderTheHandlesSymbol) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  const OwnedRow bad(edited_schema([](auto& n) { n.erase(n.begin() + 5); }));
  EXPECT_EQ(p->try_predict(goog, bad.row()).status, PredictStatus::kFeatureMismatch);
  const auto events = sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["symbol"], "GOOG");
  EXPECT_EQ(events[0]["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(events[0]["details"]["missing"], nlohmann::json::array({ml_v1().names()[5]}));
  EXPECT_NE(p->metrics().last_error.find("GOOG: feature mismatch"), std::string::npos);
  try {
    p->predict(goog, bad.row());
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().expected_count, 28u);
    EXPECT_EQ(e.mismatch().got_count, 27u);
    EXPECT_EQ(e.mismatch().missing, std::vector<std::string>{ml_v1().names()[5]});
    EXPECT_EQ(e.mismatch().first_order_difference, 5u);
    EXPECT_NE(std::string(e.what()).find("GOOG"), std::string::npos) << e.what();
  }
  EXPECT_EQ(p->model_errors(), 2u);
}

TEST_F(HandleTest, RowFromAnotherContractIsAMismatchNamingBothFingerprints) {
  auto p = make();
  const OwnedRow bad(edited_schema([](auto&) {}, "ml_v0"));
  try {
    p->predict(p->resolve("GOOG"), bad.row());
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find("ml_v0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(ml_v1().fingerprint()), std::string::npos) << e.what();
  }
}

TEST_F(HandleTest, WrongFeatureCountThroughAHandle) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  const FeatureRow bad{ml_v1().schema().get(), std::span<const float>(good.values).first(27)};
  EXPECT_EQ(p->try_predict(goog, bad).status, PredictStatus::kWrongFeatureCount);
  try {
    p->predict(goog, bad);
    FAIL();
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().expected_count, 28u);
    EXPECT_EQ(e.mismatch().got_count, 27u);
  }
  EXPECT_EQ(sink->with_status("FAILURE_RECORDED")[0]["reason"], "WRONG_FEATURE_COUNT");
}

// The branch-free finiteness check: NaN (quiet, signalling, negative) and
// +-inf at every position are refused; the extreme finite values are not.
TEST_F(HandleTest, EveryNonFiniteValueAtEveryPositionIsRefused) {
  config.governance.max_failures = 1000;
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
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
      EXPECT_EQ(p->try_predict(goog, row.row()).status, PredictStatus::kNonFiniteFeature)
          << "index " << i << " value " << v;
      ++failures;
    }
    for (const float v : finite) {
      OwnedRow row(ml_v1().schema());
      row.values[i] = v;
      EXPECT_TRUE(p->try_predict(goog, row.row()).ok()) << "index " << i << " value " << v;
    }
  }
  EXPECT_EQ(p->metrics().failures_by_reason[static_cast<int>(FailureReason::kNonFiniteFeature)],
            failures);
  OwnedRow row(ml_v1().schema());
  row.values[27] = -kInf;
  try {
    p->predict(goog, row.row());
    FAIL();
  } catch (const DataError& e) {
    const std::string expected =
        "GOOG: non-finite feature " + ml_v1().names()[27] + " (index 27) = -inf";
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

// A regression model whose every leaf is 3e38: ten trees sum past the float
// range, so the output is +inf, which the predictor refuses.
TEST_F(HandleTest, NonFiniteModelOutputIsAModelError) {
  TempDir model_dir;
  const auto file = testing::train_test_model(model_dir.path(), 28, 10, 3, "reg:squarederror");
  nlohmann::json model = nlohmann::json::parse(read_file(file));
  for (auto& tree : model["learner"]["gradient_booster"]["model"]["trees"]) {
    for (std::size_t i = 0; i < tree["left_children"].size(); ++i) {
      if (tree["left_children"][i] == -1) {
        tree["split_conditions"][i] = 3e38;
        tree["base_weights"][i] = 3e38;
      }
    }
  }
  testing::write_text(file, model.dump());
  install_model(config.paths.models_dir, "MSFT", "20251120_120000", MetaMode::kGood, nullptr, file);
  auto p = make();
  const ModelHandle msft = p->resolve("MSFT");
  ASSERT_TRUE(p->has_model(msft));
  EXPECT_EQ(p->try_predict(msft, good.row()).status, PredictStatus::kModelError);
  EXPECT_THROW(p->predict(msft, good.row()), ModelError);
  const auto events = sink->with_status("FAILURE_RECORDED");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["symbol"], "MSFT");
  EXPECT_EQ(events[0]["reason"], "MODEL_ERROR");
}

TEST_F(HandleTest, EmptyRowIsInsufficientHistoryNotAFailure) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  EXPECT_EQ(p->try_predict(goog, FeatureRow{}).status, PredictStatus::kInsufficientHistory);
  try {
    p->predict(goog, FeatureRow{});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("GOOG: no feature row yet"), std::string::npos);
  }
  EXPECT_EQ(p->model_errors(), 0u);
}

// Check order: the row is not looked at for an invalid handle before the
// FeatureRow{} check, as the symbol form.
TEST_F(HandleTest, EmptyRowComesBeforeNoModel) {
  auto p = make();
  EXPECT_EQ(p->try_predict(ModelHandle{}, FeatureRow{}).status,
            PredictStatus::kInsufficientHistory);
  EXPECT_EQ(p->try_predict("NOPE", FeatureRow{}).status, PredictStatus::kInsufficientHistory);
}

// ---------------------------------------------------------------------------
// Governance and configuration

TEST_F(HandleTest, ThirdFailureThroughAHandleLatchesAndRefusesUntilReenabled) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  const OwnedRow bad = missing_row();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p->try_predict(goog, bad.row()).status, PredictStatus::kFeatureMismatch);
  }
  ASSERT_EQ(p->state(), MlState::kDisabledGovernance);
  const auto latch = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latch.size(), 1u);
  EXPECT_EQ(latch[0]["symbol"], "GOOG");
  EXPECT_EQ(read_governance_state(config.governance.state_file).last_failures[2].symbol, "GOOG");

  const std::size_t records = sink->records().size();
  EXPECT_EQ(p->try_predict(goog, good.row()).status, PredictStatus::kGovernanceDisabled);
  EXPECT_THROW(p->predict(goog, good.row()), GovernanceDisabledError);
  EXPECT_EQ(sink->records().size(), records);  // blocked: nothing recorded or logged
  EXPECT_EQ(p->metrics().blocked_calls, 2u);
  EXPECT_EQ(p->metrics().predictions, 0u);

  p->reenable("alice", "fixed the column order");
  EXPECT_TRUE(p->try_predict(goog, good.row()).ok());  // handles survive a re-enable
}

TEST_F(HandleTest, LatchedAtStartStillResolves) {
  {
    auto p = make();
    const OwnedRow bad = missing_row();
    for (int i = 0; i < 3; ++i) p->try_predict(p->resolve("GOOG"), bad.row());
  }
  auto restarted = make();
  ASSERT_EQ(restarted->state(), MlState::kDisabledGovernance);
  const ModelHandle goog = restarted->resolve("GOOG");
  EXPECT_TRUE(restarted->has_model(goog));  // the models are loaded; the latch blocks them
  EXPECT_EQ(restarted->try_predict(goog, good.row()).status, PredictStatus::kGovernanceDisabled);
}

TEST_F(HandleTest, MlDisabledByConfigGivesInvalidHandlesThatAnswerMlDisabled) {
  config.ml_enabled = false;
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  EXPECT_FALSE(goog.valid());  // nothing is loaded when ML is off
  // The state comes first: kMlDisabled, not kNoModel, even for a bad row.
  EXPECT_EQ(p->try_predict(goog, good.row()).status, PredictStatus::kMlDisabled);
  EXPECT_EQ(p->try_predict(goog, missing_row().row()).status, PredictStatus::kMlDisabled);
  EXPECT_THROW(p->predict(goog, good.row()), MlDisabledError);
  const std::vector<ModelHandle> handles = {goog, p->resolve("AAPL"), ModelHandle{}};
  const std::vector<FeatureRow> rows = {good.row(), good.row(), good.row()};
  std::vector<PredictResult> out(3);
  EXPECT_EQ(p->predict_batch(handles, rows, out), 0u);
  for (const auto& r : out) EXPECT_EQ(r.status, PredictStatus::kMlDisabled);
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.blocked_calls, 6u);
  EXPECT_EQ(m.model_errors, 0u);
}

// Same rows, same models: the handle batch and the symbol batch trip at the
// same row and refuse the same remaining rows with the same counts.
TEST_F(HandleTest, FailureThatLatchesMidBatchRefusesTheRestLikeTheSymbolBatch) {
  auto by_handle = make("a.json");
  auto by_symbol = make("b.json");
  const OwnedRow bad = missing_row();
  const std::vector<std::string> symbols = {"GOOG", "AAPL", "GOOG", "AAPL", "GOOG", "AAPL", "GOOG"};
  const std::vector<FeatureRow> rows = {good.row(), bad.row(),  good.row(), bad.row(),
                                        bad.row(),  good.row(), good.row()};
  std::vector<ModelHandle> handles;
  for (const auto& s : symbols) handles.push_back(by_handle->resolve(s));
  std::vector<PredictResult> out_h(7), out_s(7);
  EXPECT_EQ(by_handle->predict_batch(handles, rows, out_h), 2u);
  EXPECT_EQ(by_symbol->predict_batch(symbols, rows, out_s), 2u);
  const std::vector<PredictStatus> expected = {
      PredictStatus::kOk,
      PredictStatus::kFeatureMismatch,
      PredictStatus::kOk,
      PredictStatus::kFeatureMismatch,
      PredictStatus::kFeatureMismatch,  // the third failure: latches
      PredictStatus::kGovernanceDisabled,
      PredictStatus::kGovernanceDisabled};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(out_h[i].status, expected[i]) << i;
    EXPECT_EQ(out_s[i].status, expected[i]) << i;
  }
  EXPECT_EQ(by_handle->state(), MlState::kDisabledGovernance);
  const MetricsSnapshot mh = by_handle->metrics();
  const MetricsSnapshot ms = by_symbol->metrics();
  EXPECT_EQ(mh.predictions, 2u);
  EXPECT_EQ(mh.model_errors, 3u);
  EXPECT_EQ(mh.blocked_calls, 2u);
  EXPECT_EQ(mh.predictions, ms.predictions);
  EXPECT_EQ(mh.model_errors, ms.model_errors);
  EXPECT_EQ(mh.blocked_calls, ms.blocked_calls);
  // One latch event per predictor, naming the symbol of the tripping row.
  const auto latches = sink->with_status("DISABLED_BY_GOVERNANCE");
  ASSERT_EQ(latches.size(), 2u);
  EXPECT_EQ(latches[0]["symbol"], "GOOG");
  EXPECT_EQ(latches[1]["symbol"], "GOOG");
}

TEST_F(HandleTest, BatchWhenLatchedRefusesEveryRowWithoutTouchingAModel) {
  auto p = make();
  const OwnedRow bad = missing_row();
  for (int i = 0; i < 3; ++i) p->try_predict("GOOG", bad.row());
  ASSERT_EQ(p->state(), MlState::kDisabledGovernance);
  const std::vector<ModelHandle> handles = {p->resolve("GOOG"), ModelHandle{}, p->resolve("AAPL")};
  const std::vector<FeatureRow> rows = {good.row(), good.row(), bad.row()};
  std::vector<PredictResult> out(3);
  EXPECT_EQ(p->predict_batch(handles, rows, out), 0u);
  for (const auto& r : out) EXPECT_EQ(r.status, PredictStatus::kGovernanceDisabled);
  EXPECT_EQ(p->metrics().blocked_calls, 3u);
  EXPECT_EQ(p->model_errors(), 3u);  // the bad row was not recorded
}

}  // namespace
}  // namespace mlgov
