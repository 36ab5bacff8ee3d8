// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelRegistry: which directory wins, what is refused and why, legacy and
// stale models, symbol rules. Real XGBoost models (predictor_fixture.h).
#include "mlgov/model_registry.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/offline/xgboost_trainer.h"
#include "model/model_files.h"
#include "predictor_fixture.h"

using mlgov::internal::read_file;

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
  std::shared_ptr<EventSink> logger = testing::capture_logger(sink);
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
  const nlohmann::json& details = r.refused()[0].details;
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
  const nlohmann::json& details = r.refused()[0].details;
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
  // Its AVX-512 form where the CPU has AVX-512F (the trees are shallow).
  EXPECT_EQ(r.models()[0].info.backend,
            __builtin_cpu_supports("avx512f") ? "native_simd" : "native");
}

TEST_F(RegistryTest, NativeSimdBackendIsSelectable) {
  options.backend = PredictorBackend::kNativeSimd;
  install_model(models, "GOOG");
  const ModelRegistry r = load();
  ASSERT_EQ(r.models().size(), 1u);
  EXPECT_EQ(r.models()[0].info.backend, "native_simd");
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

// --- Hostile files: refused, one line, never a crash -------------

// The 28-feature test model with `edit` applied to its JSON document.
template <class Edit>
std::filesystem::path corrupted_model(const std::filesystem::path& dir, Edit edit) {
  auto doc = nlohmann::json::parse(read_file(testing::trained_model(28)));
  edit(doc);
  testing::write_text(dir / "model.json", doc.dump());
  return dir / "model.json";
}

nlohmann::json& first_tree(nlohmann::json& doc) {
  return doc["learner"]["gradient_booster"]["model"]["trees"][0];
}

void expect_one_line(const std::string& message) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(message.find("[bt]"), std::string::npos) << message;
}

// The native gate refuses it, and `auto` does not hand it to XGBoost (whose
// loader would crash at the first predict).
TEST_F(RegistryTest, AutoBackendRefusesAnInvalidModelInsteadOfFallingBack) {
  options.backend = PredictorBackend::kAuto;
  TempDir work;
  const auto bad = corrupted_model(
      work.path(), [](nlohmann::json& doc) { first_tree(doc)["split_indices"][0] = 1000; });
  const auto dir = install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, nullptr, bad);
  install_model(models, "AAPL");
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  ASSERT_NE(r.find("AAPL"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  const std::string& message = r.refused()[0].message;
  expect_one_line(message);
  EXPECT_NE(message.find((dir / "model.json").string() + ": invalid model: "), std::string::npos)
      << message;
  EXPECT_NE(message.find("split_indices=1000 is not a feature"), std::string::npos) << message;
}

TEST_F(RegistryTest, TreeWithACycleIsRefusedUnderEveryBackend) {
  TempDir work;
  const auto bad = corrupted_model(work.path(), [](nlohmann::json& doc) {
    auto& t = first_tree(doc);
    const int l = t["left_children"][0].get<int>();
    t["left_children"][l] = 0;  // back to the root
    t["right_children"][l] = 1;
  });
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, nullptr, bad);
  for (const auto backend :
       {PredictorBackend::kAuto, PredictorBackend::kNative, PredictorBackend::kXgboost}) {
    options.backend = backend;
    const ModelRegistry r = load();
    EXPECT_EQ(r.find("GOOG"), nullptr) << to_string(backend);
    ASSERT_EQ(r.refused().size(), 1u);
    EXPECT_NE(r.refused()[0].message.find("is reached twice"), std::string::npos)
        << r.refused()[0].message;
  }
}

// The case that crashed XGBoost 1.7.4's loader: a legacy directory (no meta)
// whose model.json is malformed, under `auto`.
TEST_F(RegistryTest, LegacyDirectoryWithOnlyAMalformedModelJsonIsRefusedUnderAuto) {
  options.backend = PredictorBackend::kAuto;
  TempDir work;
  const auto bad = corrupted_model(
      work.path(), [](nlohmann::json& doc) { first_tree(doc)["right_children"][0] = 2147483000; });
  install_model(models, "GOOG", "20251120_120000", MetaMode::kNone, nullptr, bad);
  const auto truncated = install_model(models, "AAPL", "20251120_120000", MetaMode::kNone);
  testing::write_text(truncated / "model.json", R"({"learner": {"gradient_booster": )");
  const ModelRegistry r = load();
  EXPECT_TRUE(r.models().empty());
  ASSERT_EQ(r.refused().size(), 2u);
  EXPECT_NE(r.refused()[0].message.find("not valid JSON"), std::string::npos)
      << r.refused()[0].message;  // AAPL
  EXPECT_NE(r.refused()[1].message.find("right_children[0]=2147483000"), std::string::npos)
      << r.refused()[1].message;  // GOOG
}

// XGBoost's JSON reader recurses once per level: it never sees this file.
TEST_F(RegistryTest, HundredThousandDeepModelJsonIsRefusedEvenForXgboost) {
  options.backend = PredictorBackend::kXgboost;
  const auto dir = install_model(models, "GOOG");
  testing::write_text(dir / "model.json", std::string(100000, '[') + std::string(100000, ']'));
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("nested deeper than 32 levels"), std::string::npos)
      << r.refused()[0].message;
}

// A sparse file one byte over the 64 MiB cap: refused from its size, without
// reading it (a 250 MB model took 46 s and 2.2 GB before the cap).
TEST_F(RegistryTest, ModelFileOverTheSizeCapIsRefusedBeforeReading) {
  const auto dir = install_model(models, "GOOG");
  std::filesystem::resize_file(dir / "model.json", options.max_model_file_bytes + 1);
  EXPECT_EQ(options.max_model_file_bytes, std::size_t{64} << 20);  // the documented default
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find(std::to_string((64 << 20) + 1) +
                                        " bytes, more than the cap of " + std::to_string(64 << 20)),
            std::string::npos)
      << r.refused()[0].message;
}

TEST_F(RegistryTest, ModelCapsComeFromTheOptions) {
  options.max_model_trees = 9;  // the test model has 10
  install_model(models, "GOOG");
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("num_trees='10': must be an integer in [0, 9]"),
            std::string::npos)
      << r.refused()[0].message;
}

TEST_F(RegistryTest, TheConfigsLimitsReachTheRegistry) {
  Config config;
  config.paths.models_dir = models;
  config.limits.max_trees = 9;  // the test model has 10
  config.limits.max_model_file_bytes = 123456;
  config.limits.max_tree_depth = 5;
  config.limits.max_json_depth = 20;
  const ModelRegistryOptions from_config = registry_options_from(config);
  EXPECT_EQ(from_config.models_dir, models);
  EXPECT_EQ(from_config.max_model_trees, 9u);
  EXPECT_EQ(from_config.max_model_file_bytes, 123456u);
  EXPECT_EQ(from_config.max_model_tree_depth, 5);
  EXPECT_EQ(from_config.max_model_json_depth, 20u);
  options = from_config;
  install_model(models, "GOOG");
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("must be an integer in [0, 9]"), std::string::npos)
      << r.refused()[0].message;
}

TEST_F(RegistryTest, SymlinkedModelDirectoryPointingOutsideIsRefused) {
  const auto outside = install_model(dir / "elsewhere", "GOOG");
  std::filesystem::create_directory_symlink(outside, models / "GOOG_v1_20251120_120000");
  install_model(models, "AAPL");
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  ASSERT_NE(r.find("AAPL"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("is a symlink, not a directory"), std::string::npos)
      << r.refused()[0].message;
}

TEST_F(RegistryTest, SymlinkedModelFileIsRefused) {
  const auto dir_ = install_model(models, "GOOG");
  std::filesystem::rename(dir_ / "model.json", dir / "model_elsewhere.json");
  std::filesystem::create_symlink(dir / "model_elsewhere.json", dir_ / "model.json");
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("is a symlink, not a regular file"), std::string::npos)
      << r.refused()[0].message;
}

// A FIFO would block start-up forever: refused at once.
TEST_F(RegistryTest, FifoModelFileIsRefusedWithoutBlocking) {
  const auto dir_ = install_model(models, "GOOG");
  std::filesystem::remove(dir_ / "model.json");
  ASSERT_EQ(::mkfifo((dir_ / "model.json").c_str(), 0600), 0);
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("is a FIFO, not a regular file"), std::string::npos)
      << r.refused()[0].message;
}

// 99999999_999999 sorts after every real timestamp: refused, and the real
// retrain still loads.
TEST_F(RegistryTest, ImpossibleTimestampDoesNotOutrankARealRetrain) {
  const auto real = install_model(models, "S001", "20251120_120000");
  install_model(models, "S001", "99999999_999999");
  install_model(models, "S001", "20250230_120000");  // 30 February
  install_model(models, "S001", "20251120_246000");  // 24:60
  const ModelRegistry r = load();
  ASSERT_NE(r.find("S001"), nullptr);
  EXPECT_EQ(r.find("S001")->info.directory, real);
  ASSERT_EQ(r.refused().size(), 3u);
  for (const auto& refused : r.refused()) {
    EXPECT_NE(refused.message.find("is not a real UTC date and time"), std::string::npos)
        << refused.message;
  }
}

// Now is 2026-01-01T00:00:00Z: a directory named one second later is refused
// (and does not outrank the older one); one named exactly now loads.
TEST_F(RegistryTest, TimestampInTheFutureIsRefused) {
  install_model(models, "GOOG", "20251120_120000");
  install_model(models, "GOOG", "20260101_000001");
  install_model(models, "AAPL", "20260101_000000");
  const ModelRegistry r = load();
  ASSERT_NE(r.find("GOOG"), nullptr);
  EXPECT_EQ(r.find("GOOG")->info.directory.filename(), "GOOG_v1_20251120_120000");
  EXPECT_NE(r.find("AAPL"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("20260101_000001 lies in the future"), std::string::npos)
      << r.refused()[0].message;
}

std::string meta_text_with(const std::string& symbol, const std::string& insert) {
  const std::string text = to_json(testing::good_meta(symbol)).dump();
  return "{" + insert + "," + text.substr(1);
}

TEST_F(RegistryTest, MetaWithANumberOutOfRangeFailsOnlyItsSymbol) {
  const auto bad = install_model(models, "GOOG");
  testing::write_text(bad / "model_meta.json", meta_text_with("GOOG", R"("drift": 1e999)"));
  install_model(models, "AAPL");
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  EXPECT_NE(r.find("AAPL"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("model_meta.json: malformed JSON: field drift: number "
                                        "1e999 is out of range"),
            std::string::npos)
      << r.refused()[0].message;
}

TEST_F(RegistryTest, MetaWithATenThousandDeepUnknownFieldFailsOnlyItsSymbol) {
  const auto bad = install_model(models, "GOOG");
  testing::write_text(
      bad / "model_meta.json",
      meta_text_with("GOOG", "\"deep\": " + std::string(10000, '[') + std::string(10000, ']')));
  install_model(models, "AAPL");
  const ModelRegistry r = load();
  EXPECT_EQ(r.find("GOOG"), nullptr);
  EXPECT_NE(r.find("AAPL"), nullptr);
  ASSERT_EQ(r.refused().size(), 1u);
  EXPECT_NE(r.refused()[0].message.find("nested deeper than 32 levels"), std::string::npos)
      << r.refused()[0].message;
}

// "One bad model directory fails only its symbol", through a real
// predictor: GOOG's meta overflows a double, AAPL keeps predicting.
TEST(RegistryWithPredictor, OneBadMetaLeavesTheOtherSymbolPredicting) {
  TempDir root;
  Config config = testing::test_config(root.path());
  const auto bad = install_model(config.paths.models_dir, "GOOG");
  testing::write_text(bad / "model_meta.json", meta_text_with("GOOG", R"("drift": 1e999)"));
  install_model(config.paths.models_dir, "AAPL");
  PredictorOptions options;
  options.clock = std::make_shared<ManualClock>(kNewYear2026);
  GovernedPredictor predictor(config, ml_v1(), options);
  const testing::OwnedRow row{ml_v1().schema()};
  EXPECT_EQ(predictor.try_predict("AAPL", row.row()).status, PredictStatus::kOk);
  EXPECT_EQ(predictor.try_predict("GOOG", row.row()).status, PredictStatus::kNoModel);
  ASSERT_EQ(predictor.registry().refused().size(), 1u);
  EXPECT_EQ(predictor.registry().refused()[0].symbol, "GOOG");
}

TEST_F(RegistryTest, UnsupportedModelFallsBackToXgboostUnderAutoAndIsRefusedUnderNative) {
  TempDir work;
  const auto x = testing::synthetic_features(300, 28, 3);
  const auto y = testing::synthetic_labels(x, 28, "binary:logistic", 3);
  offline::train_xgboost_model({x, y, 28}, nullptr,
                               {{{"objective", "binary:logistic"}, {"booster", "dart"}}, 3},
                               work / "model.json");
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, nullptr, work / "model.json");
  options.backend = PredictorBackend::kAuto;
  const ModelRegistry r = load();
  ASSERT_NE(r.find("GOOG"), nullptr);
  EXPECT_EQ(r.find("GOOG")->info.backend, "xgboost");
  options.backend = PredictorBackend::kNative;
  const ModelRegistry native = load();
  EXPECT_EQ(native.find("GOOG"), nullptr);
  ASSERT_EQ(native.refused().size(), 1u);
  EXPECT_NE(native.refused()[0].message.find("unsupported booster 'dart'"), std::string::npos)
      << native.refused()[0].message;
}

// XGBoost's error text carries "[bt] (N) ..." stack frames on some builds:
// the refusal is one line, the full text goes to the details.
TEST_F(RegistryTest, ModelXgboostRefusesIsRefusedInOneLine) {
  options.backend = PredictorBackend::kAuto;
  TempDir work;
  std::string text = read_file(testing::trained_model(28));
  const auto at = text.find("\"binary:logistic\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "\"reg:no_such_loss\"");
  testing::write_text(work / "model.json", text);
  install_model(models, "GOOG", "20251120_120000", MetaMode::kGood, nullptr, work / "model.json");
  const ModelRegistry r = load();
  ASSERT_EQ(r.refused().size(), 1u);
  const RefusedModel& refused = r.refused()[0];
  expect_one_line(refused.message);
  EXPECT_NE(refused.message.find("cannot load the model with backend auto"), std::string::npos)
      << refused.message;
  EXPECT_NE(refused.message.find("reg:no_such_loss"), std::string::npos) << refused.message;
  if (!refused.details.is_null()) {
    const nlohmann::json& details = refused.details;
    EXPECT_NE(details.at("error").get<std::string>().find("reg:no_such_loss"), std::string::npos);
  }
}

TEST(OneLine, KeepsTheFirstLineAndDropsXgboostStackFrames) {
  const std::string xgboost_text =
      "[12:00:00] /src/objective.cc:26: Unknown objective function: `x`\n"
      "Stack trace:\n"
      "  [bt] (0) /usr/lib/libxgboost.so(+0x1234) [0x7f00]\n"
      "  [bt] (1) /usr/lib/libxgboost.so(XGBoosterLoadModel+0x5) [0x7f01]\n"
      "\n";
  EXPECT_EQ(internal::one_line(xgboost_text),
            "[12:00:00] /src/objective.cc:26: Unknown objective function: `x`");
  EXPECT_EQ(internal::one_line("first\nsecond\nthird"), "first (and 2 more lines)");
}

// A crashed `mlgov train` leaves .tmp-* staging directories: those older than
// a day go at the next load, with a log line; younger ones (a run in
// progress) stay.
TEST_F(RegistryTest, StaleStagingDirectoriesAreRemovedAtLoadWithALogLine) {
  const auto stale = models / ".tmp-GOOG_v1-123-0";
  const auto fresh = models / ".tmp-AAPL_v1-456-0";
  std::filesystem::create_directories(stale / "inner");
  testing::write_text(stale / "inner" / "model.json", "partial");
  std::filesystem::create_directories(fresh);
  // Modification times relative to the injected clock (2026-01-01).
  const auto set_mtime = [&](const std::filesystem::path& p, std::chrono::hours before) {
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(
        (clock.wall_now() - before).time_since_epoch());
    const timespec times[2] = {{t.count(), 0}, {t.count(), 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
  };
  set_mtime(stale, std::chrono::hours(25));
  set_mtime(fresh, std::chrono::hours(23));
  load();
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(fresh));
  const auto removed = sink->with_status("STAGING_REMOVED");
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_NE(removed[0]["message"].get<std::string>().find(stale.string()), std::string::npos);
}

}  // namespace
}  // namespace mlgov
