// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelMeta: model_meta.json read, written atomically, validated, and
// checked against the feature contract.
#include "mlgov/model_meta.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <string>
#include <utility>
#include <vector>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "test_support.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using mlgov::testing::source_dir;
using mlgov::testing::TempDir;
using mlgov::testing::write_text;
using nlohmann::json;

FeatureContract shipped() { return load_feature_contract("ml_v1", source_dir() / "contracts"); }

// A complete, valid meta for the shipped contract.
ModelMeta valid_meta() {
  ModelMeta m;
  m.symbol = "GOOG";
  set_contract(m, shipped());
  m.trained_at = "2026-11-26T14:03:07Z";
  m.git_commit = "0123456789abcdef0123456789abcdef01234567";
  m.training_data_period = {"2005-08-19", "2008-10-07"};
  m.xgboost_version = "1.7.4";
  m.params = {{"max_depth", 6}, {"eta", 0.05}};
  m.metrics = {{"valid_auc", 0.53}};
  return m;
}

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_meta_error(const json& doc, const std::vector<std::string>& fragments) {
  try {
    parse_model_meta(doc.dump(), "models/X/model_meta.json");
    FAIL() << "expected ModelMetaError";
  } catch (const ModelMetaError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("models/X/model_meta.json"), std::string::npos) << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

TEST(ModelMeta, SaveThenLoadRoundTripsEveryField) {
  TempDir dir;
  const ModelMeta m = valid_meta();
  save_model_meta(m, dir / "model_meta.json");
  const ModelMeta back = load_model_meta(dir / "model_meta.json");
  EXPECT_EQ(back.symbol, "GOOG");
  EXPECT_EQ(back.features, m.features);
  EXPECT_EQ(back.n_features, 28u);
  EXPECT_EQ(back.contract.name, "ml_v1");
  EXPECT_EQ(back.contract.version, "1.0.0");
  EXPECT_EQ(back.contract.fingerprint,
            "a8952ddd2d5df4f77e490ac96a8bbf5ca0b37d890d822290420f2f4963769b19");
  EXPECT_EQ(back.trained_at, "2026-11-26T14:03:07Z");
  EXPECT_EQ(back.git_commit, m.git_commit);
  EXPECT_EQ(back.training_data_period.start, "2005-08-19");
  EXPECT_EQ(back.training_data_period.end, "2008-10-07");
  EXPECT_EQ(back.model_file, "model.json");
  EXPECT_EQ(back.objective, "binary:logistic");
  EXPECT_EQ(back.xgboost_version, "1.7.4");
  EXPECT_EQ(back.params, m.params);
  EXPECT_EQ(back.metrics, m.metrics);
  EXPECT_NO_THROW(check_model_meta_against(back, shipped(), "model_meta.json"));
}

TEST(ModelMeta, UnknownFieldsSurviveALoadSaveRoundTrip) {
  TempDir dir;
  json doc = to_json(valid_meta());
  doc["owner_team"] = "alpha-research";
  doc["nested"] = {{"a", {1, 2, 3}}};
  write_text(dir / "in.json", doc.dump());
  save_model_meta(load_model_meta(dir / "in.json"), dir / "out.json");
  const json out = json::parse(read_file(dir / "out.json"));
  EXPECT_EQ(out["owner_team"], "alpha-research");
  EXPECT_EQ(out["nested"]["a"], json({1, 2, 3}));
}

TEST(ModelMeta, TwentySevenDeclaredWithTwentyEightNamesIsRejected) {
  json doc = to_json(valid_meta());
  doc["n_features"] = 27;
  expect_meta_error(doc, {"n_features", "27", "28"});
}

TEST(ModelMeta, UnparseableTrainedAtIsRejected) {
  json doc = to_json(valid_meta());
  doc["trained_at"] = "yesterday afternoon";
  expect_meta_error(doc, {"trained_at", "yesterday afternoon", "ISO-8601"});
}

TEST(ModelMeta, ImpossibleDateIsRejected) {
  json doc = to_json(valid_meta());
  doc["trained_at"] = "2026-02-30T10:00:00Z";  // February has no 30th
  expect_meta_error(doc, {"trained_at"});
  doc = to_json(valid_meta());
  doc["training_data_period"]["end"] = "2008-13-01";
  expect_meta_error(doc, {"training_data_period.end", "2008-13-01"});
}

TEST(ModelMeta, PeriodStartAfterEndIsRejected) {
  json doc = to_json(valid_meta());
  doc["training_data_period"] = {{"start", "2009-01-02"}, {"end", "2008-12-31"}};
  expect_meta_error(doc, {"training_data_period", "2009-01-02", "after", "2008-12-31"});
}

TEST(ModelMeta, WrongTypeNamesTheField) {
  json doc = to_json(valid_meta());
  doc["git_commit"] = 42;
  expect_meta_error(doc, {"\"git_commit\"", "string"});
  doc = to_json(valid_meta());
  doc["features"][4] = 3.5;
  expect_meta_error(doc, {"features[4]"});
}

TEST(ModelMeta, MissingFieldIsNamed) {
  json doc = to_json(valid_meta());
  doc.erase("training_data_period");
  expect_meta_error(doc, {"\"training_data_period\" is missing"});
}

TEST(ModelMeta, MalformedJsonIsRejected) {
  TempDir dir;
  write_text(dir / "model_meta.json", "{\"features\": [\"ret_1d\",");
  const std::string msg = error_of([&] { load_model_meta(dir / "model_meta.json"); });
  EXPECT_NE(msg.find("model_meta.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed JSON"), std::string::npos) << msg;
}

// Text of a valid meta with `insert` placed right after the opening brace.
std::string meta_text_with(const std::string& insert) {
  const std::string text = to_json(valid_meta()).dump();
  return "{" + insert + "," + text.substr(1);
}

std::string meta_error_of(const std::string& text) {
  try {
    parse_model_meta(text, "models/X/model_meta.json");
  } catch (const ModelMetaError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "<no error>";
}

// 1e999 overflows a double: the library's error naming the file and the
// field, not nlohmann's out_of_range.
TEST(ModelMeta, NumberOutOfRangeIsAMetaErrorNamingTheField) {
  json doc = to_json(valid_meta());
  std::string text = doc.dump();
  const auto at = text.find("\"valid_auc\":");
  ASSERT_NE(at, std::string::npos) << text;
  const auto value_end = text.find_first_of(",}", at);
  text.replace(at + 12, value_end - (at + 12), "1e999");
  const std::string msg = meta_error_of(text);
  EXPECT_NE(msg.find("models/X/model_meta.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("field metrics.valid_auc: number 1e999 is out of range"), std::string::npos)
      << msg;
}

// 10^4 levels of unknown field: refused at the depth cap with the library's
// error (copying it would recurse once per level).
TEST(ModelMeta, DeeplyNestedUnknownFieldIsRefused) {
  const std::string deep = "\"annotations\": " + std::string(10000, '[') + std::string(10000, ']');
  const std::string msg = meta_error_of(meta_text_with(deep));
  EXPECT_NE(msg.find("models/X/model_meta.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nested deeper than " + std::to_string(kMaxModelMetaDepth)), std::string::npos)
      << msg;
}

TEST(ModelMeta, UnknownFieldWithinTheDepthCapIsKept) {
  const std::string nested = "\"annotations\": " + std::string(20, '[') + std::string(20, ']');
  const ModelMeta meta = parse_model_meta(meta_text_with(nested), "m");
  ASSERT_TRUE(meta.unknown_fields.contains("annotations"));
  EXPECT_EQ(meta.unknown_fields["annotations"].dump(), std::string(20, '[') + std::string(20, ']'));
}

TEST(ModelMeta, DuplicateKeyIsRefused) {
  const std::string msg = meta_error_of(meta_text_with("\"git_commit\": \"abc\""));
  EXPECT_NE(msg.find("field git_commit: duplicate key"), std::string::npos) << msg;
}

TEST(ModelMeta, ErrorsQuoteAtMostEightyCharactersOfTheValue) {
  ModelMeta meta = valid_meta();
  meta.trained_at = std::string(1'000'000, 'x');
  const std::string msg = meta_error_of(to_json(meta).dump());
  EXPECT_NE(msg.find("trained_at"), std::string::npos) << msg.substr(0, 300);
  EXPECT_NE(msg.find(std::string(80, 'x') + "..."), std::string::npos) << msg.substr(0, 300);
  EXPECT_EQ(msg.find(std::string(81, 'x')), std::string::npos);
}

TEST(ModelMeta, MalformedJsonQuotesAtMostEightyCharacters) {
  const std::string msg = meta_error_of("{\"symbol\": tru" + std::string(100000, 'e') + "}");
  EXPECT_NE(msg.find("malformed JSON"), std::string::npos) << msg.substr(0, 300);
  EXPECT_LT(msg.size(), 400u) << msg.substr(0, 300);
}

// A FIFO would block the reader forever; a symlink could point anywhere.
TEST(ModelMeta, MetaThatIsAFifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "model_meta.json").c_str(), 0600), 0);
  const std::string msg = error_of([&] { load_model_meta(dir / "model_meta.json"); });
  EXPECT_NE(msg.find("is a FIFO, not a regular file"), std::string::npos) << msg;
}

TEST(ModelMeta, MetaThatIsASymlinkIsRefused) {
  TempDir dir;
  save_model_meta(valid_meta(), dir / "real.json");
  std::filesystem::create_symlink(dir / "real.json", dir / "model_meta.json");
  const std::string msg = error_of([&] { load_model_meta(dir / "model_meta.json"); });
  EXPECT_NE(msg.find("is a symlink, not a regular file"), std::string::npos) << msg;
}

TEST(ModelMeta, MetaWithAnotherFingerprintIsRejected) {
  ModelMeta m = valid_meta();
  m.contract.fingerprint = std::string(64, 'f');
  try {
    check_model_meta_against(m, shipped(), "models/GOOG/model_meta.json");
    FAIL() << "expected ModelMetaError";
  } catch (const ModelMetaError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("models/GOOG/model_meta.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("contract.fingerprint"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string(64, 'f')), std::string::npos) << msg;
  }
}

TEST(ModelMeta, MetaWrittenUnderASwappedContractIsRejectedWithThePosition) {
  // A model trained with vol_5 and vol_20 swapped (positions 13 and 14).
  ModelMeta m = valid_meta();
  std::swap(m.features[13], m.features[14]);
  m.contract.fingerprint = compute_feature_fingerprint("ml_v1", "1.0.0", m.features);
  try {
    check_model_meta_against(m, shipped(), "model_meta.json");
    FAIL() << "expected ModelFeatureMismatchError";
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().expected_count, 28u);
    EXPECT_EQ(e.mismatch().got_count, 28u);
    ASSERT_TRUE(e.mismatch().first_order_difference.has_value());
    EXPECT_EQ(*e.mismatch().first_order_difference, 13u);
    EXPECT_EQ(e.mismatch().expected_at_difference, "vol_5");
    EXPECT_EQ(e.mismatch().got_at_difference, "vol_20");
    const json details = json::parse(e.details_json());
    EXPECT_EQ(details["first_order_difference"], 13);
  }
}

TEST(ModelMeta, MetaMissingAFeatureReportsItMissing) {
  ModelMeta m = valid_meta();
  m.features.erase(m.features.begin() + 26);  // drop beta_60
  m.n_features = 27;
  try {
    check_model_meta_against(m, shipped(), "model_meta.json");
    FAIL() << "expected ModelFeatureMismatchError";
  } catch (const ModelFeatureMismatchError& e) {
    EXPECT_EQ(e.mismatch().missing, std::vector<std::string>{"beta_60"});
    EXPECT_TRUE(e.mismatch().extra.empty());
    EXPECT_EQ(*e.mismatch().first_order_difference, 26u);
  }
}

TEST(ModelMeta, ModelFileMayNotPointOutsideItsDirectory) {
  json doc = to_json(valid_meta());
  doc["model_file"] = "../../etc/passwd";
  expect_meta_error(doc, {"model_file", "plain file name"});
}

// Makes every write(2) past `bytes` fail with EFBIG for the scope's life: a
// real I/O failure in the middle of writing, which also works as root.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

TEST(ModelMeta, FailedWriteLeavesTheOldFileIntact) {
  TempDir dir;
  const auto file = dir / "model_meta.json";
  save_model_meta(valid_meta(), file);
  const std::string before = read_file(file);
  ModelMeta bigger = valid_meta();
  bigger.unknown_fields["padding"] = std::string(50000, 'p');
  {
    FileSizeLimit limit(4096);  // the new document is ~52 KB: its write fails
    EXPECT_THROW(save_model_meta(bigger, file), std::system_error);
  }
  EXPECT_EQ(read_file(file), before);
  // And no temporary file is left beside it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST(ModelMeta, WriteIntoAMissingDirectoryFailsCleanly) {
  TempDir dir;
  EXPECT_THROW(save_model_meta(valid_meta(), dir / "no-such-dir" / "model_meta.json"),
               std::system_error);
}

TEST(ModelMeta, OverwriteReplacesTheWholeFile) {
  TempDir dir;
  const auto file = dir / "model_meta.json";
  write_text(file, std::string(100000, 'x'));  // longer than any meta
  save_model_meta(valid_meta(), file);
  EXPECT_NO_THROW(load_model_meta(file));
}

TEST(Iso8601, AcceptsUtcForms) {
  EXPECT_TRUE(is_iso8601_utc("2026-11-26T14:03:07Z"));
  EXPECT_TRUE(is_iso8601_utc("2026-11-26T14:03:07.123Z"));
  EXPECT_TRUE(is_iso8601_utc("2024-02-29T00:00:00+00:00"));
  EXPECT_FALSE(is_iso8601_utc("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(is_iso8601_utc("2026-11-26 14:03:07Z"));
  EXPECT_FALSE(is_iso8601_utc("2026-11-26T14:03:07+02:00"));  // not UTC
  EXPECT_FALSE(is_iso8601_utc("2026-11-26T24:00:00Z"));
  EXPECT_TRUE(is_iso_date("2000-01-03"));
  EXPECT_FALSE(is_iso_date("2000-1-3"));
}

}  // namespace
}  // namespace mlgov
