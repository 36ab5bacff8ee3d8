// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelHandle: resolve once, predict by handle. A handle that names no model
// of the predictor (default, unknown symbol, another predictor's) is
// kNoModel, never undefined behaviour; handles survive a re-enable. The batch
// gives the single calls' results and counters, reads the state once and,
// when a failure in it latches, refuses the rest. (Every status through both
// single forms, by symbol and by handle: the typed PredictForm suite of
// governed_predictor_test.cpp.) Real XGBoost models; a ManualClock, never a
// sleep.
#include "mlgov/model_handle.h"

#include <bit>
#include <cmath>
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
    Config c = config;
    if (!state_file.empty()) c.governance.state_file = dir / state_file;
    return std::make_unique<GovernedPredictor>(c, ml_v1(), o);
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
  EXPECT_EQ(p->metrics().failures_by_reason[static_cast<int>(PredictStatus::kNoModel)], 3u);
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

TEST_F(HandleTest, BatchGivesTheSingleCallsResultsAndCounters) {
  // Two predictors over the same models (separate latches), one per form.
  auto by_handle = make("a.json");
  auto by_call = make("b.json");
  const OwnedRow other(ml_v1().schema(), 1.5f);
  const OwnedRow bad = missing_row();
  const std::vector<std::string> symbols = {"GOOG", "AAPL", "NOPE", "GOOG", "AAPL", "GOOG"};
  const std::vector<FeatureRow> rows = {good.row(),   other.row(), good.row(),
                                        FeatureRow{}, bad.row(),   other.row()};
  std::vector<ModelHandle> handles;
  for (const auto& s : symbols) handles.push_back(by_handle->resolve(s));
  std::vector<PredictResult> out_h(6), out_s(6);
  EXPECT_EQ(by_handle->predict_batch(handles, rows, out_h), 3u);
  for (std::size_t i = 0; i < 6; ++i) out_s[i] = by_call->try_predict(symbols[i], rows[i]);
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
  const MetricsSnapshot ms = by_call->metrics();
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

// A caller error, told apart from a model failure: nothing is evaluated or
// recorded, every result says SPAN_LENGTH_MISMATCH.
TEST_F(HandleTest, BatchWithUnequalSpansIsASpanLengthMismatchAndEvaluatesNothing) {
  auto p = make();
  const std::vector<ModelHandle> handles = {p->resolve("GOOG"), p->resolve("AAPL")};
  const std::vector<FeatureRow> rows = {good.row()};
  std::vector<PredictResult> out(2, PredictResult{PredictStatus::kOk, 1.0f});
  EXPECT_EQ(p->predict_batch(handles, rows, out), 0u);
  for (const PredictResult& r : out) {
    EXPECT_EQ(r.status, PredictStatus::kSpanLengthMismatch);
    EXPECT_TRUE(std::isnan(r.value));
  }
  EXPECT_EQ(p->predict_batch(std::span<const ModelHandle>(handles).first(1), rows,
                             std::span<PredictResult>(out)),
            0u);  // rows and handles agree, out does not
  const MetricsSnapshot m = p->metrics();
  EXPECT_EQ(m.predictions, 0u);
  EXPECT_EQ(m.model_errors, 0u);
  EXPECT_EQ(m.blocked_calls, 0u);
  for (const std::uint64_t n : m.failures_by_reason) EXPECT_EQ(n, 0u);
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

// ---------------------------------------------------------------------------
// Governance and configuration

TEST_F(HandleTest, HandlesResolvedBeforeALatchWorkAfterTheReenable) {
  auto p = make();
  const ModelHandle goog = p->resolve("GOOG");
  const OwnedRow bad = missing_row();
  for (int i = 0; i < 3; ++i) p->try_predict(goog, bad.row());
  ASSERT_EQ(p->state(), MlState::kDisabledGovernance);
  EXPECT_EQ(p->try_predict(goog, good.row()).status, PredictStatus::kGovernanceDisabled);
  p->reenable("alice", "fixed the column order");
  EXPECT_TRUE(p->try_predict(goog, good.row()).ok());  // the same handle, no resolve again
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

// The batch trips at the third failing row and refuses the remaining rows
// (blocked calls), where single calls on a second predictor trip at the same
// row and refuse the same rows with the same counts.
TEST_F(HandleTest, FailureThatLatchesMidBatchRefusesTheRestLikeSingleCalls) {
  auto by_handle = make("a.json");
  auto by_call = make("b.json");
  const OwnedRow bad = missing_row();
  const std::vector<std::string> symbols = {"GOOG", "AAPL", "GOOG", "AAPL", "GOOG", "AAPL", "GOOG"};
  const std::vector<FeatureRow> rows = {good.row(), bad.row(),  good.row(), bad.row(),
                                        bad.row(),  good.row(), good.row()};
  std::vector<ModelHandle> handles;
  for (const auto& s : symbols) handles.push_back(by_handle->resolve(s));
  std::vector<PredictResult> out_h(7), out_s(7);
  EXPECT_EQ(by_handle->predict_batch(handles, rows, out_h), 2u);
  for (std::size_t i = 0; i < 7; ++i) out_s[i] = by_call->try_predict(symbols[i], rows[i]);
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
  const MetricsSnapshot ms = by_call->metrics();
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
