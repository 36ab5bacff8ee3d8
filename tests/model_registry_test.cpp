// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelRegistry: which directory wins, what is refused and why, legacy and
// stale models, symbol rules. Real XGBoost models (predictor_fixture.h).
#include "mlgov/model_registry.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "predictor_fixture.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using testing::CaptureSink;
using testing::install_model;
using testing::MetaMode;
using testing::ml_v1;
using testing::TempDir;

// 2026-01-01T00:00:00Z (see governance_test.cpp for the arithmetic).
const auto kNewYear2026 =
    std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600));

struct RegistryTest : ::testing::Test {
  TempDir dir;
  std::filesystem::path models = dir / "models";
  ManualClock clock{kNewYear2026};
  std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
  std::shared_ptr<spdlog::logger> logger = testing::capture_logger(sink);
  ModelRegistryOptions options;

  RegistryTest() {
    std::filesystem::create_directories(models);
    options.models_dir = models;
    options.backend = PredictorBackend::kXgboost;
  }
  ModelRegistry load() { return ModelRegistry::load(options, ml_v1(), clock, *logger); }
};

TEST(IsValidSymbol, AcceptsTickerCharacters) {
  EXPECT_TRUE(is_valid_symbol("GOOG"));
  EXPECT_TRUE(is_valid_symbol("BRK.B"));
  EXPECT_TRUE(is_valid_symbol("BF-B"));
  EXPECT_TRUE(is_valid_symbol("SYN_001"));
}

TEST(IsValidSymbol, RejectsAnythingThatCouldNameAnotherPath) {
  EXPECT_FALSE(is_valid_symbol(""));
  EXPECT_FALSE(is_valid_symbol("."));
  EXPECT_FALSE(is_valid_symbol(".."));
  EXPECT_FALSE(is_valid_symbol("../../etc/passwd"));
  EXPECT_FALSE(is_valid_symbol("A..B"));
  EXPECT_FALSE(is_valid_symbol("a/b"));
  EXPECT_FALSE(is_valid_symbol("a\\b"));
  EXPECT_FALSE(is_valid_symbol("A\"B"));
  EXPECT_FALSE(is_valid_symbol("A\nB"));
  EXPECT_FALSE(is_valid_symbol(std::string("A\0B", 3)));
  EXPECT_FALSE(is_valid_symbol(std::string(65, 'A')));
}

TEST_F(RegistryTest, ModelWithMatchingMetaLoadsHealthy) {
  install_model(models, "GOOG");
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  const ModelInfo& info = r.models()[0].info;
  EXPECT_EQ(info.symbol, "GOOG");
  EXPECT_EQ(info.backend, "xgboost");
  EXPECT_EQ(info.n_features, 28u);
  EXPECT_FALSE(info.legacy);
  EXPECT_FALSE(info.stale);
  EXPECT_EQ(info.degraded_reason, "");
  ASSERT_TRUE(info.meta.has_value());
  EXPECT_EQ(info.meta->contract.fingerprint, ml_v1().fingerprint());
  EXPECT_TRUE(r.refused().empty());
  EXPECT_EQ(r.degraded_count(), 0u);
}

TEST_F(RegistryTest, NewestDirectoryPerSymbolWins) {
  install_model(models, "GOOG", "20251101_090000");
  const auto newest = install_model(models, "GOOG", "20251120_120000");
  install_model(models, "GOOG", "20251115_235959");
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  EXPECT_EQ(r.models()[0].info.directory, newest);
}

// The newest is refused: the symbol has no model; the older one is not used.
TEST_F(RegistryTest, RefusedNewestIsNotReplacedByAnOlderModel) {
  install_model(models, "GOOG", "20251101_090000");
  const auto newest = install_model(models, "GOOG", "20251120_120000");
  testing::write_text(newest / "model.json", "{\"learner\": ");
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_EQ(r.refused()[0].directory, newest);
}

TEST_F(RegistryTest, TemporaryDirectoriesAreIgnored) {
  install_model(models, "GOOG", "20251101_090000");
  // A training run in progress: dot-prefixed, or carrying ".tmp".
  install_model(models, ".AAPL", "20251120_120000");
  install_model(models, "MSFT", "20251120_120000.tmp");
  std::filesystem::create_directories(models / "GOOG_v1_20251130_000000.tmp.123");
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  EXPECT_EQ(r.models()[0].info.symbol, "GOOG");
  EXPECT_TRUE(r.refused().empty());
  EXPECT_TRUE(sink->with_status("MODEL_SKIPPED").empty());  // silently: temporaries are normal
}

TEST_F(RegistryTest, NamesOutsideThePatternAreSkippedWithAWarning) {
  install_model(models, "GOOG");
  std::filesystem::create_directories(models / "notes");
  std::filesystem::create_directories(models / "GOOG_v1_2026_1200");
  testing::write_text(models / "README.txt", "a file, not a directory");
  const ModelRegistry r = load();
  EXPECT_EQ(r.models().size(), 1u);
  EXPECT_EQ(sink->with_status("MODEL_SKIPPED").size(), 2u);  // notes, GOOG_v1_2026_1200
}

// A directory whose "symbol" holds a quote and a newline is skipped, and the
// warning naming it is still one valid JSON line.
TEST_F(RegistryTest, HostileDirectoryNameIsSkippedAndEscapedInTheLog) {
  std::filesystem::create_directories(models / "A\"B\nC_v1_20251120_120000");
  const ModelRegistry r = load();
  EXPECT_TRUE(r.models().empty());
  const auto records = sink->records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].payload.find('\n'), std::string::npos);
  const auto j = nlohmann::json::parse(records[0].payload);
  EXPECT_EQ(j["status"], "MODEL_SKIPPED");
  EXPECT_NE(j["message"].get<std::string>().find("A\"B\nC_v1_20251120_120000"), std::string::npos);
}

TEST_F(RegistryTest, FindMatchesTheWholeSymbolOnly) {
  install_model(models, "GOOG");
  install_model(models, "GOOGL");
  const ModelRegistry r = load();
  ASSERT_NE(r.find("GOOG"), nullptr);
  EXPECT_EQ(r.find("GOOG")->info.symbol, "GOOG");
  EXPECT_EQ(r.find("GOOGL")->info.symbol, "GOOGL");
  EXPECT_EQ(r.find("GOO"), nullptr);
  EXPECT_EQ(r.find("../../etc/passwd"), nullptr);
}

TEST_F(RegistryTest, MetaForAnotherContractIsRefusedNamingTheFingerprint) {
  ModelMeta meta = testing::good_meta("GOOG");
  meta.contract.name = "ml_v2";  // same names, another contract
  const auto dir = install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  const std::string& message = r.refused()[0].message;
  EXPECT_NE(message.find((dir / "model_meta.json").string()), std::string::npos) << message;
  EXPECT_NE(message.find("ml_v2"), std::string::npos) << message;
}

TEST_F(RegistryTest, MetaWithAnotherFingerprintIsRefused) {
  ModelMeta meta = testing::good_meta("GOOG");
  meta.contract.fingerprint = std::string(64, '0');
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("fingerprint"), std::string::npos);
}

// Swapping features 0 and 1 in the meta: first difference at position 0,
// nothing missing, nothing extra.
TEST_F(RegistryTest, MetaWithSwappedFeaturesIsRefusedWithTheFullMismatch) {
  ModelMeta meta = testing::good_meta("GOOG");
  std::swap(meta.features[0], meta.features[1]);
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  const auto details = nlohmann::json::parse(r.refused()[0].details_json);
  EXPECT_EQ(details["expected"], 28);
  EXPECT_EQ(details["got"], 28);
  EXPECT_EQ(details["first_order_difference"], 0);
  EXPECT_TRUE(details["missing"].empty());
  EXPECT_TRUE(details["extra"].empty());
}

TEST_F(RegistryTest, MalformedMetaIsRefusedNamingTheFile) {
  const auto dir = install_model(models, "GOOG");
  testing::write_text(dir / "model_meta.json", "{\"features\": [");
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("model_meta.json"), std::string::npos);
}

TEST_F(RegistryTest, TruncatedModelJsonIsRefusedWithAClearError) {
  const auto dir = install_model(models, "GOOG");
  const std::string text = read_file(dir / "model.json");
  testing::write_text(dir / "model.json", text.substr(0, text.size() / 2));
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find((dir / "model.json").string()), std::string::npos)
      << r.refused()[0].message;
}

// The meta claims the 28 contract features but the booster was trained on 27.
TEST_F(RegistryTest, ModelWith27FeaturesIsRefused) {
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, nullptr,
                testing::trained_model(27));
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  const std::string& message = r.refused()[0].message;
  EXPECT_NE(message.find("takes 27 features but contract ml_v1 has 28"), std::string::npos)
      << message;
  const auto details = nlohmann::json::parse(r.refused()[0].details_json);
  EXPECT_EQ(details["expected"], 28);
  EXPECT_EQ(details["got"], 27);
}

TEST_F(RegistryTest, MissingModelFileIsRefused) {
  const auto dir = install_model(models, "GOOG");
  std::filesystem::remove(dir / "model.json");
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("missing"), std::string::npos);
}

TEST_F(RegistryTest, MetaForAnotherSymbolIsRefused) {
  const ModelMeta meta = testing::good_meta("AAPL");
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("field \"symbol\""), std::string::npos);
}

TEST_F(RegistryTest, LegacyModelLoadsDegradedWithADeprecationWarning) {
  install_model(models, "GOOG", "20251120_120000", MetaMode::kNone);
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  const ModelInfo& info = r.models()[0].info;
  EXPECT_TRUE(info.legacy);
  EXPECT_FALSE(info.meta.has_value());
  EXPECT_NE(info.degraded_reason.find("legacy"), std::string::npos);
  EXPECT_EQ(r.degraded_count(), 1u);
  const auto warnings = sink->with_status("MODEL_LOADED_DEGRADED");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0]["reason"], "LEGACY_MODEL");
  EXPECT_EQ(warnings[0]["level"], "WARNING");
  EXPECT_EQ(warnings[0]["symbol"], "GOOG");
}

TEST_F(RegistryTest, LegacyModelIsRefusedWhenNotAllowed) {
  options.allow_legacy_models = false;
  install_model(models, "GOOG", "20251120_120000", MetaMode::kNone);
  const ModelRegistry r = load();
  EXPECT_TRUE(r.models().empty());
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("allow_legacy_models"), std::string::npos);
}

// A legacy model still gets the count check: 27 features is refused.
TEST_F(RegistryTest, LegacyModelWithWrongFeatureCountIsRefused) {
  install_model(models, "GOOG", "20251120_120000", MetaMode::kNone, nullptr,
                testing::trained_model(27));
  const ModelRegistry r = load();
  EXPECT_TRUE(r.models().empty());
  EXPECT_EQ(r.refused().size(), 1u);
}

// Now 2026-01-01; data ending 2025-11-01 is 61 days old (30 + 31): stale
// with a 30-day limit.
TEST_F(RegistryTest, StaleModelLoadsDegradedAndLogged) {
  options.max_model_age_days = 30;
  const ModelMeta meta = testing::good_meta("GOOG", "2025-11-01");
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  const ModelInfo& info = r.models()[0].info;
  EXPECT_TRUE(info.stale);
  EXPECT_NE(info.degraded_reason.find("2025-11-01, 61 days ago"), std::string::npos)
      << info.degraded_reason;
  const auto warnings = sink->with_status("MODEL_LOADED_DEGRADED");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0]["reason"], "STALE_MODEL");
}

// 2025-12-02 00:00 UTC is exactly 30 days before 2026-01-01 00:00: not older
// than 30 days, so not stale; one nanosecond later it is.
TEST_F(RegistryTest, ModelExactlyMaxAgeOldIsNotStale) {
  options.max_model_age_days = 30;
  const ModelMeta meta = testing::good_meta("GOOG", "2025-12-02");
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry at_limit = load();
  ASSERT_EQ(at_limit.models().size(), 1u);
  EXPECT_FALSE(at_limit.models()[0].info.stale);
  clock.advance(1ns);
  const ModelRegistry past_limit = load();
  ASSERT_EQ(past_limit.models().size(), 1u);
  EXPECT_TRUE(past_limit.models()[0].info.stale);
}

TEST_F(RegistryTest, MaxAgeZeroNeverMakesAModelStale) {
  options.max_model_age_days = 0;
  const ModelMeta meta = testing::good_meta("GOOG", "2000-01-31");
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, &meta);
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  EXPECT_FALSE(r.models()[0].info.stale);
}

TEST_F(RegistryTest, AutoBackendPrefersTheNativeEvaluator) {
  options.backend = PredictorBackend::kAuto;
  install_model(models, "GOOG");
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  EXPECT_EQ(r.models()[0].info.backend, "native");
}

TEST_F(RegistryTest, MissingModelsDirectoryThrowsModelError) {
  options.models_dir = dir / "nope";
  try {
    load();
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "nope").string()), std::string::npos);
  }
}

TEST_F(RegistryTest, ByteIdenticalModelFilesShareOneEvaluator) {
  options.backend = PredictorBackend::kAuto;
  install_model(models, "AAPL");
  install_model(models, "GOOG");  // the same trained file, copied
  // A different model (another seed) for MSFT.
  TempDir other;
  testing::TestModelSpec spec;
  spec.rounds = 10;
  spec.max_depth = 3;
  spec.n_rows = 500;
  spec.seed = 99;
  const auto other_file = testing::train_test_model(other.path(), spec);
  install_model(models, "MSFT", "20251120_120000", MetaMode::kGood, nullptr, other_file);
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 3u);
  EXPECT_EQ(r.find("AAPL")->backend.get(), r.find("GOOG")->backend.get());
  EXPECT_NE(r.find("AAPL")->backend.get(), r.find("MSFT")->backend.get());
}

TEST_F(RegistryTest, ModelsAreSortedBySymbol) {
  install_model(models, "MSFT");
  install_model(models, "AAPL");
  install_model(models, "GOOG");
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 3u);
  EXPECT_EQ(r.models()[0].info.symbol, "AAPL");
  EXPECT_EQ(r.models()[1].info.symbol, "GOOG");
  EXPECT_EQ(r.models()[2].info.symbol, "MSFT");
}

}  // namespace
}  // namespace mlgov
