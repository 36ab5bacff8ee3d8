// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// FeatureContract: loading, validation and the fingerprint.
#include "mlgov/feature_contract.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlgov/errors.h"
#include "test_support.h"
#include "util/sha256.h"

namespace mlgov {
namespace {

using mlgov::testing::source_dir;
using mlgov::testing::TempDir;
using mlgov::testing::write_text;
using nlohmann::json;

// The 28 names of docs/features_ml_v1.md, in the spec's table order, typed
// here from the spec rather than read from the contract file.
const std::vector<std::string> kSpecNames = {"ret_1d",
                                             "ret_5d",
                                             "ret_10d",
                                             "ret_20d",
                                             "ret_60d",
                                             "mom_12_1",
                                             "sma_ratio_20",
                                             "sma_ratio_50",
                                             "sma_ratio_200",
                                             "sma_cross_12_26",
                                             "rsi_14",
                                             "stoch_k_14",
                                             "bb_pos_20",
                                             "vol_5",
                                             "vol_20",
                                             "vol_60",
                                             "atr_14_norm",
                                             "hl_range",
                                             "gap_1d",
                                             "skew_60",
                                             "kurt_60",
                                             "volume_ratio_20",
                                             "dollar_volume_log_20",
                                             "volume_z_20",
                                             "dist_high_252",
                                             "dist_low_252",
                                             "beta_60",
                                             "cross_rank_sector"};

json shipped_contract_json() {
  std::ifstream in(source_dir() / "contracts/feature_contract_ml_v1.json");
  return json::parse(in);
}

// Expects `fn` to throw ContractError whose message contains every fragment.
template <typename Fn>
void expect_contract_error(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    FAIL() << "expected ContractError";
  } catch (const ContractError& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

TEST(FeatureContract, ShippedContractHasTheSpecsTwentyEightFeaturesInOrder) {
  const FeatureContract c =
      FeatureContract::load_file(source_dir() / "contracts/feature_contract_ml_v1.json");
  EXPECT_EQ(c.name(), "ml_v1");
  EXPECT_EQ(c.version(), "1.0.0");
  EXPECT_EQ(c.min_history(), 253);
  EXPECT_EQ(c.names(), kSpecNames);
  for (const auto& f : c.features()) {
    EXPECT_EQ(f.dtype, "float32") << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
  }
}

TEST(FeatureContract, LookbacksFollowTheSpec) {
  const FeatureContract c = load_feature_contract("ml_v1", source_dir() / "contracts");
  // mom_12_1 reads c[t-252]: 253 bars; hl_range reads one bar; ret_1d two.
  EXPECT_EQ(c.features()[*c.index_of("mom_12_1")].lookback, 253);
  EXPECT_EQ(c.features()[*c.index_of("hl_range")].lookback, 1);
  EXPECT_EQ(c.features()[*c.index_of("ret_1d")].lookback, 2);
  EXPECT_EQ(c.features()[*c.index_of("dist_high_252")].lookback, 252);
}

TEST(FeatureContract, FingerprintIsSha256OfTheCanonicalSerialisation) {
  // Computed independently with Python:
  //   hashlib.sha256(json.dumps(["ml_v1","1.0.0",[[n,"float32"] for n in names]],
  //                             separators=(",",":")).encode()).hexdigest()
  const FeatureContract c = load_feature_contract("ml_v1", source_dir() / "contracts");
  EXPECT_EQ(c.fingerprint(), "a8952ddd2d5df4f77e490ac96a8bbf5ca0b37d890d822290420f2f4963769b19");
}

TEST(FeatureContract, SwappingTwoFeaturesChangesTheFingerprint) {
  json doc = shipped_contract_json();
  std::swap(doc["features"][13], doc["features"][14]);  // vol_5 <-> vol_20
  const FeatureContract original = FeatureContract::parse(shipped_contract_json().dump(), "a.json");
  const FeatureContract swapped = FeatureContract::parse(doc.dump(), "b.json");
  EXPECT_NE(original.fingerprint(), swapped.fingerprint());
  const FeatureMismatch m = original.compare(swapped.names());
  ASSERT_TRUE(m.first_order_difference.has_value());
  EXPECT_EQ(*m.first_order_difference, 13u);
  EXPECT_TRUE(m.missing.empty());
  EXPECT_TRUE(m.extra.empty());
}

TEST(FeatureContract, RenamingAFeatureChangesTheFingerprint) {
  json doc = shipped_contract_json();
  doc["features"][0]["name"] = "ret_1d_v2";
  EXPECT_NE(FeatureContract::parse(doc.dump(), "x.json").fingerprint(),
            FeatureContract::parse(shipped_contract_json().dump(), "y.json").fingerprint());
}

TEST(FeatureContract, VersionChangeChangesTheFingerprint) {
  json doc = shipped_contract_json();
  doc["version"] = "1.0.1";
  EXPECT_NE(FeatureContract::parse(doc.dump(), "x.json").fingerprint(),
            FeatureContract::parse(shipped_contract_json().dump(), "y.json").fingerprint());
}

TEST(FeatureContract, DescriptionEditDoesNotChangeTheFingerprint) {
  json doc = shipped_contract_json();
  doc["features"][5]["description"] = "reworded by a tidy colleague";
  doc["description"] = "also reworded";
  EXPECT_EQ(FeatureContract::parse(doc.dump(), "x.json").fingerprint(),
            FeatureContract::parse(shipped_contract_json().dump(), "y.json").fingerprint());
}

TEST(FeatureContract, MissingFileIsAContractErrorNamingTheFile) {
  TempDir dir;
  expect_contract_error([&] { FeatureContract::load_file(dir / "nope.json"); },
                        {"nope.json", "cannot read"});
}

// A FIFO in the contract's place would block the engine's start for ever; a
// contract file larger than any contract is refused before it is read.
TEST(FeatureContract, AFifoOrAnOversizedFileIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo.json").c_str(), 0600), 0);
  expect_contract_error([&] { FeatureContract::load_file(dir / "fifo.json"); },
                        {"fifo.json", "cannot read", "FIFO"});
  std::filesystem::resize_file(
      [&] {
        std::ofstream(dir / "big.json") << "{";
        return dir / "big.json";
      }(),
      (1u << 20) + 1);
  expect_contract_error([&] { FeatureContract::load_file(dir / "big.json"); },
                        {"big.json", "cannot read"});
}

TEST(FeatureContract, LoadByNameListsEveryPlaceSearched) {
  TempDir dir;
  expect_contract_error([&] { load_feature_contract("ml_v9", dir.path()); },
                        {"ml_v9", (dir / "feature_contract_ml_v9.json").string(),
                         installed_contracts_dir().string()});
}

TEST(FeatureContract, LoadByNameSearchesTheHostDirectoryFirst) {
  TempDir dir;
  json doc = shipped_contract_json();
  doc["features"][0]["description"] = "host copy";
  write_text(dir / "feature_contract_ml_v1.json", doc.dump());
  const FeatureContract c = load_feature_contract("ml_v1", dir.path());
  EXPECT_EQ(c.source(), (dir / "feature_contract_ml_v1.json").string());
  EXPECT_EQ(c.features()[0].description, "host copy");
}

TEST(FeatureContract, ContractNameCannotEscapeTheDirectory) {
  expect_contract_error([&] { load_feature_contract("../../etc/passwd", source_dir()); },
                        {"../../etc/passwd", "not allowed"});
}

TEST(FeatureContract, InstalledDirectoryIsShareMlgovContracts) {
  const std::string dir = installed_contracts_dir().string();
  EXPECT_NE(dir.find("share/mlgov/contracts"), std::string::npos) << dir;
}

TEST(FeatureContract, MalformedJsonNamesTheFileAndPosition) {
  expect_contract_error([] { FeatureContract::parse("{\"name\": \"ml_v1\", ", "trunc.json"); },
                        {"trunc.json", "malformed JSON", "line"});
}

TEST(FeatureContract, TruncatedFileIsRejected) {
  TempDir dir;
  const std::string full = shipped_contract_json().dump(2);
  write_text(dir / "feature_contract_ml_v1.json", full.substr(0, full.size() / 2));
  expect_contract_error([&] { load_feature_contract("ml_v1", dir.path()); },
                        {"feature_contract_ml_v1.json", "malformed JSON"});
}

TEST(FeatureContract, DuplicateFeatureNameIsRejectedWithItsIndex) {
  json doc = shipped_contract_json();
  doc["features"][7]["name"] = "ret_1d";
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "dup.json"); },
                        {"dup.json", "features[7]", "duplicate", "ret_1d"});
}

TEST(FeatureContract, EmptyFeatureNameIsRejected) {
  json doc = shipped_contract_json();
  doc["features"][3]["name"] = "";
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "empty.json"); },
                        {"empty.json", "features[3]", "empty"});
}

TEST(FeatureContract, Float64DtypeIsRejected) {
  json doc = shipped_contract_json();
  doc["features"][2]["dtype"] = "float64";
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "f64.json"); },
                        {"f64.json", "features[2]", "ret_10d", "float64", "float32"});
}

TEST(FeatureContract, DeclaredCountMustEqualTheList) {
  json doc = shipped_contract_json();
  doc["n_features"] = 27;
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "count.json"); },
                        {"count.json", "n_features", "27", "28"});
}

TEST(FeatureContract, MissingVersionIsRejected) {
  json doc = shipped_contract_json();
  doc.erase("version");
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "nov.json"); },
                        {"nov.json", "\"version\" is missing"});
}

TEST(FeatureContract, MinHistoryMustCoverTheLongestLookback) {
  json doc = shipped_contract_json();
  doc["min_history"] = 100;
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "mh.json"); },
                        {"mh.json", "min_history", "253"});
}

TEST(FeatureContract, WrongTypeForLookbackIsRejected) {
  json doc = shipped_contract_json();
  doc["features"][0]["lookback"] = "two";
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "lb.json"); },
                        {"lb.json", "features[0]", "lookback", "integer"});
}

TEST(FeatureContract, NaturalRangesFollowTheSpec) {
  // docs/features_ml_v1.md, "Natural ranges": bounds typed here from the spec.
  const FeatureContract c = load_feature_contract("ml_v1", source_dir() / "contracts");
  const auto range_of = [&](const std::string& name) {
    return c.features()[*c.index_of(name)].range;
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(range_of("ret_1d").has_value());
  EXPECT_EQ(range_of("ret_1d")->lo, -1.0);
  EXPECT_EQ(range_of("ret_1d")->hi, kInf);
  EXPECT_EQ(range_of("rsi_14")->lo, 0.0);
  EXPECT_EQ(range_of("rsi_14")->hi, 100.0);
  EXPECT_EQ(range_of("stoch_k_14")->hi, 1.0);
  EXPECT_EQ(range_of("cross_rank_sector")->hi, 1.0);
  EXPECT_EQ(range_of("dist_high_252")->lo, -1.0);
  EXPECT_EQ(range_of("dist_high_252")->hi, 0.0);
  EXPECT_EQ(range_of("dist_low_252")->lo, 0.0);
  EXPECT_EQ(range_of("vol_60")->lo, 0.0);
  // Samuelson's bound 19 / sqrt(20) = 4.2485292 with a margin for float32.
  EXPECT_EQ(range_of("volume_z_20")->lo, -4.24853);
  EXPECT_EQ(range_of("volume_z_20")->hi, 4.24853);
  EXPECT_EQ(range_of("bb_pos_20")->hi, 2.124265);
  for (const char* unbounded : {"skew_60", "kurt_60", "beta_60"}) {
    EXPECT_FALSE(range_of(unbounded).has_value()) << unbounded;
  }
  std::size_t with_range = 0;
  for (const auto& f : c.features()) with_range += f.range ? 1 : 0;
  EXPECT_EQ(with_range, 25u);
}

TEST(FeatureContract, RangesDoNotEnterTheFingerprint) {
  // Trained models record the fingerprint: the shipped contract with its
  // ranges removed, or one of them changed, keeps the recorded value.
  json without = shipped_contract_json();
  for (auto& f : without["features"]) f.erase("range");
  json changed = shipped_contract_json();
  changed["features"][10]["range"] = {{"min", 0}, {"max", 1}};
  const std::string recorded = "a8952ddd2d5df4f77e490ac96a8bbf5ca0b37d890d822290420f2f4963769b19";
  EXPECT_EQ(FeatureContract::parse(without.dump(), "without.json").fingerprint(), recorded);
  EXPECT_EQ(FeatureContract::parse(changed.dump(), "changed.json").fingerprint(), recorded);
}

TEST(FeatureContract, RangeMustBeAnObject) {
  json doc = shipped_contract_json();
  doc["features"][10]["range"] = json::array({0, 100});
  expect_contract_error(
      [&] { FeatureContract::parse(doc.dump(), "r.json"); },
      {"r.json", "features[10] (rsi_14)", "\"range\" must be an object", "array"});
}

TEST(FeatureContract, RangeWithAMisspeltKeyIsRejected) {
  json doc = shipped_contract_json();
  doc["features"][10]["range"] = {{"mni", 0}, {"max", 100}};
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "r.json"); },
                        {"r.json", "features[10] (rsi_14)", "unknown key \"mni\""});
}

TEST(FeatureContract, RangeBoundMustBeANumber) {
  json doc = shipped_contract_json();
  doc["features"][11]["range"] = {{"min", "0"}};
  expect_contract_error(
      [&] { FeatureContract::parse(doc.dump(), "r.json"); },
      {"r.json", "features[11] (stoch_k_14)", "\"min\" must be a number", "string"});
}

TEST(FeatureContract, RangeWithMinAboveMaxIsRejected) {
  json doc = shipped_contract_json();
  doc["features"][10]["range"] = {{"min", 100}, {"max", 0}};
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "r.json"); },
                        {"r.json", "features[10] (rsi_14)", "\"min\" (100) is above \"max\" (0)"});
}

TEST(FeatureContract, EmptyRangeIsRejected) {
  json doc = shipped_contract_json();
  doc["features"][10]["range"] = json::object();
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "r.json"); },
                        {"r.json", "features[10] (rsi_14)", "\"min\", \"max\" or both"});
}

TEST(FeatureRange, HoldsItsBoundsAndRefusesNaN) {
  const FeatureRange r{0.0, 1.0};
  EXPECT_TRUE(r.contains(0.0));
  EXPECT_TRUE(r.contains(1.0));
  EXPECT_FALSE(r.contains(-1e-12));
  EXPECT_FALSE(r.contains(1.0000001));
  EXPECT_FALSE(r.contains(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_TRUE(FeatureRange{}.contains(std::numeric_limits<double>::infinity()));
}

TEST(Sha256, MatchesTheFipsTestVectors) {
  // FIPS 180-2 appendix B.1 and B.2, and the empty string.
  EXPECT_EQ(internal::to_hex(internal::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(internal::to_hex(
                internal::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(internal::to_hex(internal::sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // A one-million-'a' message crosses many blocks (B.3).
  EXPECT_EQ(internal::to_hex(internal::sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// --- Hostile contract files ---------------------------------------------------

TEST(ContractHostileInput, HundredThousandDeepArrayIsAContractErrorNamingTheDepth) {
  const std::string text =
      "{\"name\": \"x\", \"deep\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  expect_contract_error([&] { FeatureContract::parse(text, "deep.json"); },
                        {"deep.json", "line 1", "deeper than 64 levels"});
}

TEST(ContractHostileInput, BracketsInsideStringsDoNotCountAsNesting) {
  json doc = shipped_contract_json();
  doc["features"][0]["description"] = std::string(1000, '[') + "\\\"{{";
  EXPECT_EQ(FeatureContract::parse(doc.dump(), "a.json").names().size(), 28U);
}

TEST(ContractHostileInput, NestingOf64LevelsIsParsedAndOf65IsRefused) {
  // The top-level object is level 1; "x" adds 63 or 64 arrays below it.
  json doc = shipped_contract_json();
  const std::string base = doc.dump();
  const std::string ok = base.substr(0, base.size() - 1) + ",\"x\":" + std::string(63, '[') +
                         std::string(63, ']') + "}";
  EXPECT_NO_THROW(FeatureContract::parse(ok, "ok.json"));
  const std::string deep = base.substr(0, base.size() - 1) + ",\"x\":" + std::string(64, '[') +
                           std::string(64, ']') + "}";
  expect_contract_error([&] { FeatureContract::parse(deep, "deep.json"); },
                        {"deep.json", "deeper than 64 levels"});
}

TEST(ContractHostileInput, NumberOverflowingADoubleIsAContractError) {
  json doc = shipped_contract_json();
  std::string text = doc.dump();
  const std::string key = "\"min_history\":253";
  ASSERT_NE(text.find(key), std::string::npos);
  text.replace(text.find(key), key.size(), "\"min_history\":1e999");
  expect_contract_error([&] { FeatureContract::parse(text, "big.json"); },
                        {"big.json", "out of range"});
}

TEST(ContractHostileInput, HugeUnsignedLookbackIsRefusedByItsBound) {
  json doc = shipped_contract_json();
  doc["features"][0]["lookback"] = 18446744073709551615ULL;
  expect_contract_error([&] { FeatureContract::parse(doc.dump(), "a.json"); },
                        {"a.json", "lookback", "between 1 and 100000"});
}

TEST(ContractHostileInput, LongDuplicateNameIsQuotedInAtMost80Bytes) {
  json doc = shipped_contract_json();
  const std::string name(1000, 'n');
  doc["features"][0]["name"] = name;
  doc["features"][1]["name"] = name;
  try {
    FeatureContract::parse(doc.dump(), "dup.json");
    FAIL();
  } catch (const ContractError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("duplicate feature name \"" + std::string(80, 'n') + "...\""),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find(std::string(81, 'n')), std::string::npos) << msg;
  }
}

TEST(ContractHostileInput, SyntaxErrorQuotesAtMost80BytesOfTheLastToken) {
  // An unterminated string of 10^4 bytes: nlohmann's message quotes it whole.
  const std::string text = "{\"name\": \"" + std::string(10000, 's');
  try {
    FeatureContract::parse(text, "open.json");
    FAIL();
  } catch (const ContractError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("open.json: malformed JSON"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(std::string(81, 's')), std::string::npos) << msg;
    EXPECT_LT(msg.size(), 400U) << msg;
  }
}

}  // namespace
}  // namespace mlgov
