// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Config: the YAML switch (ML off unless features.ml_enabled: true) and the
// validation of every section.
#include "mlgov/config.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "mlgov/bars.h"
#include "mlgov/errors.h"
#include "test_support.h"

namespace mlgov {
namespace {

using mlgov::testing::source_dir;
using mlgov::testing::TempDir;
using mlgov::testing::write_text;

void expect_config_error(const std::string& yaml, const std::vector<std::string>& fragments) {
  try {
    parse_config(yaml, "cfg.yaml");
    FAIL() << "expected ConfigError for:\n" << yaml;
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }
}

// --- The ML switch ---------------------------------------------------------

TEST(MlEnabledFlag, ShippedGoldenConfigKeepsMlDisabled) {
  const Config cfg = load_config(source_dir() / "configs/golden_config.yaml");
  EXPECT_FALSE(cfg.ml_enabled);
  EXPECT_TRUE(cfg.warnings.empty());
}

TEST(MlEnabledFlag, TrueEnablesMl) {
  EXPECT_TRUE(parse_config("features:\n  ml_enabled: true\n", "cfg.yaml").ml_enabled);
}

TEST(MlEnabledFlag, AbsentMeansDisabledWithAWarning) {
  const Config cfg = parse_config("governance:\n  max_failures: 3\n", "cfg.yaml");
  EXPECT_FALSE(cfg.ml_enabled);
  ASSERT_EQ(cfg.warnings.size(), 1u);
  EXPECT_NE(cfg.warnings[0].find("features.ml_enabled"), std::string::npos);
}

TEST(MlEnabledFlag, StringWhereABoolBelongsIsAnErrorNamingKeyAndLine) {
  // Line 3 holds the offending value.
  expect_config_error("# comment\nfeatures:\n  ml_enabled: \"yes please\"\n",
                      {"cfg.yaml:3", "features.ml_enabled", "yes please", "boolean"});
}

TEST(MlEnabledFlag, YamlOneOneYesIsNotAcceptedAsTrue) {
  expect_config_error("features:\n  ml_enabled: yes\n", {"features.ml_enabled", "boolean"});
}

TEST(MlEnabledFlag, EmptyFileMeansDisabled) {
  const Config cfg = parse_config("", "empty.yaml");
  EXPECT_FALSE(cfg.ml_enabled);
  EXPECT_FALSE(cfg.warnings.empty());
}

// --- Governance and the other sections -------------------------------------

TEST(Config, ShippedValuesAreTheDocumentedDefaults) {
  const Config cfg = load_config(source_dir() / "configs/golden_config.yaml");
  EXPECT_EQ(cfg.governance.max_failures, 3);
  EXPECT_DOUBLE_EQ(cfg.governance.window_seconds, 300.0);
  EXPECT_TRUE(cfg.governance.allow_legacy_models);
  EXPECT_EQ(cfg.governance.state_file, "runtime/governance_state.json");
  EXPECT_EQ(cfg.paths.contracts_dir, "contracts");
  EXPECT_EQ(cfg.paths.models_dir, "models/ml_alpha");
  EXPECT_EQ(cfg.paths.logs_dir, "runtime/logs");
  EXPECT_EQ(cfg.contract, "ml_v1");
  EXPECT_EQ(cfg.backend, PredictorBackend::kAuto);
  EXPECT_EQ(cfg.training.n_estimators, 300);
  EXPECT_EQ(cfg.training.max_depth, 6);
  EXPECT_DOUBLE_EQ(cfg.training.eta, 0.05);
  EXPECT_EQ(cfg.training.seed, 42);
}

TEST(Config, ZeroWindowIsRejected) {
  expect_config_error("governance:\n  window_seconds: 0\n",
                      {"cfg.yaml:2", "governance.window_seconds", "between 1 and 604800"});
}

TEST(Config, NegativeWindowIsRejected) {
  expect_config_error("governance:\n  window_seconds: -300\n",
                      {"governance.window_seconds", "between 1 and 604800"});
}

TEST(Config, ZeroMaxFailuresIsRejected) {
  expect_config_error("governance:\n  max_failures: 0\n", {"governance.max_failures"});
}

TEST(Config, UnknownGovernanceKeyIsRejectedWithItsLine) {
  expect_config_error("features:\n  ml_enabled: false\ngovernance:\n  max_failure: 3\n",
                      {"cfg.yaml:4", "governance.max_failure", "unknown key", "max_failures"});
}

TEST(Config, UnknownSectionIsRejected) {
  expect_config_error("featurez:\n  ml_enabled: true\n",
                      {"cfg.yaml:1", "featurez", "unknown section"});
}

TEST(Config, NonNumericWindowIsRejected) {
  expect_config_error("governance:\n  window_seconds: five minutes\n",
                      {"governance.window_seconds", "number", "five minutes"});
}

TEST(Config, UnknownBackendIsRejected) {
  expect_config_error("predictor:\n  backend: gpu\n", {"predictor.backend", "gpu"});
}

TEST(Config, SyntaxErrorNamesTheLine) {
  expect_config_error("features:\n  ml_enabled: [true\n", {"cfg.yaml:", "YAML syntax error"});
}

TEST(Config, MissingFileNamesTheFile) {
  TempDir dir;
  try {
    load_config(dir / "absent.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.yaml"), std::string::npos);
  }
}

TEST(Config, OverridesAreRead) {
  TempDir dir;
  write_text(dir / "c.yaml",
             "features:\n  ml_enabled: true\npredictor:\n  backend: xgboost\ngovernance:\n"
             "  max_failures: 5\n  window_seconds: 60.5\n  allow_legacy_models: false\n"
             "  max_model_age_days: 30\n  state_file: /tmp/x.json\npaths:\n  models_dir: m\n");
  const Config cfg = load_config(dir / "c.yaml");
  EXPECT_TRUE(cfg.ml_enabled);
  EXPECT_EQ(cfg.backend, PredictorBackend::kXgboost);
  EXPECT_EQ(cfg.governance.max_failures, 5);
  EXPECT_DOUBLE_EQ(cfg.governance.window_seconds, 60.5);
  EXPECT_FALSE(cfg.governance.allow_legacy_models);
  EXPECT_EQ(cfg.governance.max_model_age_days, 30);
  EXPECT_EQ(cfg.governance.state_file, "/tmp/x.json");
  EXPECT_EQ(cfg.paths.models_dir, "m");
  EXPECT_EQ(cfg.paths.logs_dir, "runtime/logs");  // untouched default
}

// --- Bounds: every number has a range, checked at load ------------------------

TEST(ConfigBounds, WindowBelowOneSecondIsRejectedNamingTheBound) {
  // 1e-10 once passed validation and made the predictor throw later.
  expect_config_error("governance:\n  window_seconds: 1e-10\n",
                      {"cfg.yaml:2", "governance.window_seconds", "between 1 and 604800", "1e-10"});
}

TEST(ConfigBounds, WindowOfOneSecondAndOfSevenDaysAreAccepted) {
  EXPECT_DOUBLE_EQ(
      parse_config("governance:\n  window_seconds: 1\n", "c").governance.window_seconds, 1.0);
  // 7 days = 7 * 86400 s.
  EXPECT_DOUBLE_EQ(
      parse_config("governance:\n  window_seconds: 604800\n", "c").governance.window_seconds,
      604800.0);
}

TEST(ConfigBounds, WindowLongerThanSevenDaysIsRejected) {
  expect_config_error("governance:\n  window_seconds: 604801\n",
                      {"governance.window_seconds", "between 1 and 604800", "7 days"});
}

TEST(ConfigBounds, HugeIntegersAreRejectedBeforeAnyConversion) {
  // 9.3e9 and above once converted a double to int out of range (UB).
  expect_config_error("governance:\n  max_failures: 9.3e9\n",
                      {"cfg.yaml:2", "governance.max_failures", "between 1 and 1000"});
  expect_config_error("training:\n  seed: 1e300\n", {"training.seed", "between"});
  expect_config_error("governance:\n  window_seconds: 9.3e9\n",
                      {"governance.window_seconds", "between 1 and 604800"});
}

TEST(ConfigBounds, NumberOverflowingADoubleIsAnErrorNamingTheKey) {
  expect_config_error("governance:\n  window_seconds: 1e999\n",
                      {"cfg.yaml:2", "governance.window_seconds", "out of range"});
}

TEST(ConfigBounds, InfinityAndNanAreNotNumbers) {
  expect_config_error("governance:\n  window_seconds: .inf\n", {"expected a number"});
  expect_config_error("governance:\n  window_seconds: nan\n", {"expected a number"});
}

TEST(ConfigBounds, FractionalIntegerIsRejected) {
  expect_config_error("governance:\n  max_failures: 2.5\n",
                      {"governance.max_failures", "expected an integer", "2.5"});
}

TEST(ConfigBounds, ModelAgeAndConsoleIntervalAreBounded) {
  expect_config_error("governance:\n  max_model_age_days: 36501\n",
                      {"governance.max_model_age_days", "between 0 and 36500"});
  expect_config_error("logging:\n  console_info_interval_seconds: 86401\n",
                      {"logging.console_info_interval_seconds", "between 0 and 86400"});
  expect_config_error("training:\n  n_estimators: 0\n",
                      {"training.n_estimators", "between 1 and 100000"});
}

// --- Wrong shapes: a null, a sequence or a mapping where a value belongs -------

TEST(ConfigShapes, NullValueIsAnErrorNamingTheKey) {
  expect_config_error(
      "governance:\n  window_seconds:\n",
      {"cfg.yaml:2", "governance.window_seconds", "expected a number", "found null"});
}

TEST(ConfigShapes, SequenceWhereANumberBelongsIsAnError) {
  expect_config_error(
      "governance:\n  max_failures: [1, 2]\n",
      {"cfg.yaml:2", "governance.max_failures", "expected a number", "found a sequence"});
}

TEST(ConfigShapes, MappingWhereABoolBelongsIsAnError) {
  expect_config_error("features:\n  ml_enabled:\n    x: 1\n",
                      {"features.ml_enabled", "expected a boolean", "found a mapping"});
}

TEST(ConfigShapes, SequenceWhereAStringBelongsIsAnError) {
  expect_config_error("paths:\n  models_dir:\n    - a\n    - b\n",
                      {"paths.models_dir", "expected a non-empty string", "found a sequence"});
}

TEST(ConfigShapes, SequenceAsAKeyIsAnError) {
  expect_config_error("governance:\n  ? [a, b]\n  : 3\n",
                      {"cfg.yaml:2", "expected a key name", "found a sequence"});
  expect_config_error("? [a, b]\n: 3\n", {"cfg.yaml:1", "expected a key name"});
}

TEST(ConfigShapes, SectionThatIsAScalarIsAnError) {
  expect_config_error("governance: 3\n",
                      {"cfg.yaml:1", "governance", "expected a mapping of keys", "found \"3\""});
}

TEST(ConfigShapes, DuplicateKeyIsAnError) {
  expect_config_error("governance:\n  max_failures: 3\n  max_failures: 5\n",
                      {"cfg.yaml:3", "governance.max_failures", "duplicate key"});
}

TEST(ConfigShapes, DuplicateSectionIsAnError) {
  expect_config_error("governance:\n  max_failures: 3\ngovernance:\n  max_failures: 5\n",
                      {"cfg.yaml:3", "governance", "duplicate section"});
}

TEST(ConfigShapes, ErrorQuotesAtMost80BytesOfAValue) {
  const std::string value(500, 'v');
  try {
    parse_config("predictor:\n  backend: " + value + "\n", "cfg.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(std::string(80, 'v') + "..."), std::string::npos) << msg;
    EXPECT_EQ(msg.find(std::string(81, 'v')), std::string::npos) << msg;
  }
}

// --- Depth: the YAML parser recurses; nesting is bounded before it runs -------

TEST(ConfigDepth, HundredThousandDeepFlowSequenceIsAConfigError) {
  const std::string yaml = std::string(100000, '[') + std::string(100000, ']') + "\n";
  expect_config_error(yaml, {"cfg.yaml:1", "flow collections"});
}

TEST(ConfigDepth, HundredThousandDeepFlowMappingUnderAKeyIsAConfigError) {
  std::string yaml = "features:\n  contract: ";
  for (int i = 0; i < 100000; ++i) yaml += "{a: ";
  yaml += std::string(100000, '}') + "\n";
  expect_config_error(yaml, {"cfg.yaml:2", "flow collections"});
}

TEST(ConfigDepth, HundredThousandCompactSequenceIndicatorsAreAConfigError) {
  std::string yaml;
  for (int i = 0; i < 100000; ++i) yaml += "- ";
  yaml += "x\n";
  expect_config_error(yaml, {"cfg.yaml:1", "nested deeper than 32 levels"});
}

TEST(ConfigDepth, NestingBehindALoneCarriageReturnIsCounted) {
  // yaml-cpp takes a lone '\r' as a line break: these are 10^5 nested sequences.
  std::string yaml = "x:\r";
  for (int i = 0; i < 100000; ++i) yaml += "- ";
  yaml += "y\n";
  expect_config_error(yaml, {"cfg.yaml:2", "nested deeper than 32 levels"});
}

TEST(ConfigDepth, CrlfLineEndsAreOneBreak) {
  const Config cfg = parse_config("governance:\r\n  max_failures: 4\r\n", "c");
  EXPECT_EQ(cfg.governance.max_failures, 4);
}

TEST(ConfigDepth, DeepIndentedMappingsAreAConfigError) {
  // a:\n b:\n  c:\n ... 40 levels, one more space each.
  std::string yaml;
  for (int i = 0; i < 40; ++i) yaml += std::string(i, ' ') + "k" + std::to_string(i) + ":\n";
  expect_config_error(yaml, {"cfg.yaml:33", "nested deeper than 32 levels"});
}

TEST(ConfigDepth, BracketsInCommentsDoNotCount) {
  std::string yaml;
  for (int i = 0; i < 100; ++i) yaml += "# range [1, 1000) {see docs\n";
  yaml += "governance:\n  max_failures: 3   # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n";
  EXPECT_EQ(parse_config(yaml, "c").governance.max_failures, 3);
}

TEST(ConfigDepth, QuotedValueWithBracketsIsAccepted) {
  EXPECT_EQ(
      parse_config("governance:\n  state_file: \"run/[a]{b}.json\"\n", "c").governance.state_file,
      "run/[a]{b}.json");
}

// --- limits: --------------------------------------------------------------------

TEST(ConfigLimits, DefaultsAreTheDocumentedValues) {
  const Config cfg = parse_config("features:\n  ml_enabled: false\n", "c");
  EXPECT_EQ(cfg.limits.max_csv_line_bytes, 65536U);
  EXPECT_EQ(cfg.limits.max_model_file_bytes, 64ULL * 1024 * 1024);
  EXPECT_EQ(cfg.limits.max_trees, 100000);
  EXPECT_EQ(cfg.limits.max_tree_depth, 64);
  EXPECT_EQ(cfg.limits.max_json_depth, 32);
}

TEST(ConfigLimits, ShippedGoldenConfigHoldsTheDefaults) {
  const Config shipped = load_config(source_dir() / "configs/golden_config.yaml");
  const LimitsConfig defaults;
  EXPECT_EQ(shipped.limits.max_csv_line_bytes, defaults.max_csv_line_bytes);
  EXPECT_EQ(shipped.limits.max_model_file_bytes, defaults.max_model_file_bytes);
  EXPECT_EQ(shipped.limits.max_trees, defaults.max_trees);
  EXPECT_EQ(shipped.limits.max_tree_depth, defaults.max_tree_depth);
  EXPECT_EQ(shipped.limits.max_json_depth, defaults.max_json_depth);
}

TEST(ConfigLimits, OverridesAreRead) {
  const Config cfg = parse_config(
      "limits:\n  max_csv_line_bytes: 1024\n  max_model_file_bytes: 4294967296\n"
      "  max_trees: 500\n  max_tree_depth: 12\n  max_json_depth: 8\n",
      "c");
  EXPECT_EQ(cfg.limits.max_csv_line_bytes, 1024U);
  EXPECT_EQ(cfg.limits.max_model_file_bytes, 4294967296ULL);  // 4 GiB: above int32
  EXPECT_EQ(cfg.limits.max_trees, 500);
  EXPECT_EQ(cfg.limits.max_tree_depth, 12);
  EXPECT_EQ(cfg.limits.max_json_depth, 8);
}

TEST(ConfigLimits, EachLimitIsBoundedAndTheErrorNamesTheBound) {
  expect_config_error("limits:\n  max_csv_line_bytes: 0\n",
                      {"cfg.yaml:2", "limits.max_csv_line_bytes", "between 64 and 16777216"});
  expect_config_error("limits:\n  max_model_file_bytes: 4294967297\n",
                      {"limits.max_model_file_bytes", "between 1024 and 4294967296"});
  expect_config_error("limits:\n  max_trees: -1\n", {"limits.max_trees", "between 1 and 10000000"});
  expect_config_error("limits:\n  max_tree_depth: 256\n",
                      {"limits.max_tree_depth", "between 1 and 255"});
  expect_config_error("limits:\n  max_json_depth: 7\n",
                      {"limits.max_json_depth", "between 8 and 1024"});
  expect_config_error("limits:\n  max_tree: 7\n", {"limits.max_tree", "unknown key"});
}

TEST(ConfigLimits, DefaultCsvLineCapIsTheLoadersDefault) {
  EXPECT_EQ(LimitsConfig{}.max_csv_line_bytes, kDefaultMaxCsvLineBytes);
}

// --- Size ------------------------------------------------------------------------

TEST(ConfigSize, FileLargerThanOneMebibyteIsRefused) {
  TempDir dir;
  write_text(dir / "big.yaml", "features:\n  ml_enabled: false\n" + std::string(1 << 20, '#'));
  try {
    load_config(dir / "big.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("big.yaml"), std::string::npos) << msg;
    EXPECT_NE(msg.find("larger than 1048576 bytes"), std::string::npos) << msg;
  }
}

// --- governance.store and governance.redis ---------------------------------

// A complete redis section, every key set (lines 2..13).
constexpr const char* kRedisConfig =
    "governance:\n"
    "  store: redis\n"
    "  redis:\n"
    "    url: redis://cache.desk.local:6380/2\n"
    "    scope: desk-a.eu_1\n"
    "    connect_timeout_ms: 250\n"
    "    command_timeout_ms: 75\n"
    "    sync_interval_ms: 40\n"
    "    password_env: MLGOV_REDIS_PASSWORD\n"
    "    grace_seconds: 12.5\n"
    "    on_unavailable: local\n";

TEST(ConfigGovernanceStore, DefaultIsTheStateFile) {
  const Config cfg = parse_config("features:\n  ml_enabled: false\n", "c");
  EXPECT_EQ(cfg.governance.store, GovernanceConfig::Store::kFile);
}

TEST(ConfigGovernanceStore, ShippedGoldenConfigNamesTheFileStore) {
  const Config cfg = load_config(source_dir() / "configs/golden_config.yaml");
  EXPECT_EQ(cfg.governance.store, GovernanceConfig::Store::kFile);
  EXPECT_TRUE(cfg.governance.redis.url.empty());
}

TEST(ConfigGovernanceStore, FileIsAccepted) {
  const Config cfg = parse_config("governance:\n  store: file\n", "c");
  EXPECT_EQ(cfg.governance.store, GovernanceConfig::Store::kFile);
}

TEST(ConfigGovernanceStore, UnknownStoreIsRejectedWithItsLine) {
  expect_config_error("governance:\n  max_failures: 3\n  store: etcd\n",
                      {"cfg.yaml:3", "governance.store", "expected file or redis", "etcd"});
}

TEST(ConfigGovernanceStore, EveryRedisKeyIsRead) {
  const Config cfg = parse_config(kRedisConfig, "c");
  const RedisStoreConfig& r = cfg.governance.redis;
  EXPECT_EQ(cfg.governance.store, GovernanceConfig::Store::kRedis);
  EXPECT_EQ(r.url, "redis://cache.desk.local:6380/2");
  EXPECT_EQ(r.host, "cache.desk.local");
  EXPECT_EQ(r.port, 6380);
  EXPECT_EQ(r.db, 2);
  EXPECT_EQ(r.scope, "desk-a.eu_1");
  EXPECT_EQ(r.connect_timeout_ms, 250);
  EXPECT_EQ(r.command_timeout_ms, 75);
  EXPECT_EQ(r.sync_interval_ms, 40);
  EXPECT_EQ(r.password_env, "MLGOV_REDIS_PASSWORD");
  EXPECT_DOUBLE_EQ(r.grace_seconds, 12.5);
  EXPECT_EQ(r.on_unavailable, RedisStoreConfig::OnUnavailable::kLocal);
  EXPECT_TRUE(cfg.warnings.size() == 1u);  // only "features.ml_enabled is absent"
}

TEST(ConfigGovernanceStore, RedisDefaultsAreTheDocumentedValues) {
  const Config cfg = parse_config(
      "governance:\n  store: redis\n  redis:\n    url: redis://10.0.0.7\n    scope: a\n", "c");
  const RedisStoreConfig& r = cfg.governance.redis;
  EXPECT_EQ(r.host, "10.0.0.7");
  EXPECT_EQ(r.port, 6379);
  EXPECT_EQ(r.db, 0);
  EXPECT_EQ(r.connect_timeout_ms, 1000);
  EXPECT_EQ(r.command_timeout_ms, 500);
  EXPECT_EQ(r.sync_interval_ms, 1000);
  EXPECT_EQ(r.password_env, "");
  EXPECT_DOUBLE_EQ(r.grace_seconds, 30.0);
  EXPECT_EQ(r.on_unavailable, RedisStoreConfig::OnUnavailable::kDisable);
}

TEST(ConfigGovernanceStore, Ipv6HostInBracketsIsRead) {
  const Config cfg = parse_config(
      "governance:\n  store: redis\n  redis:\n    url: redis://[::1]:7000/3\n    scope: a\n", "c");
  EXPECT_EQ(cfg.governance.redis.host, "::1");
  EXPECT_EQ(cfg.governance.redis.port, 7000);
  EXPECT_EQ(cfg.governance.redis.db, 3);
}

TEST(ConfigGovernanceStore, RedisWithoutARedisSectionIsAnErrorNamingIt) {
  expect_config_error("governance:\n  max_failures: 3\n  store: redis\n",
                      {"cfg.yaml:3", "governance.store", "governance.redis", "url", "scope"});
}

TEST(ConfigGovernanceStore, RedisSectionWithoutUrlAndScopeNamesBoth) {
  expect_config_error("governance:\n  store: redis\n  redis:\n    grace_seconds: 5\n",
                      {"cfg.yaml:4", "governance.redis", "missing url and scope"});
}

TEST(ConfigGovernanceStore, RedisSectionWithoutScopeNamesIt) {
  expect_config_error("governance:\n  store: redis\n  redis:\n    url: redis://h:1/0\n",
                      {"governance.redis", "missing scope"});
}

TEST(ConfigGovernanceStore, UnknownRedisKeyIsRejectedWithItsLine) {
  expect_config_error(
      "governance:\n  store: redis\n  redis:\n    url: redis://h\n    scope: a\n    pasword: x\n",
      {"cfg.yaml:6", "governance.redis.pasword", "unknown key", "password_env"});
}

TEST(ConfigGovernanceStore, RedisThatIsNotAMappingIsRejected) {
  expect_config_error("governance:\n  store: redis\n  redis: redis://h:6379/0\n",
                      {"cfg.yaml:3", "governance.redis", "expected a mapping"});
}

// Each url is refused with the rule it breaks (line 4 holds it).
TEST(ConfigGovernanceStore, MalformedUrlsAreRejectedWithTheRule) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://h:6379/0", "expected redis://host:port/db"},
      {"rediss://h:6379/0", "not supported"},
      {"redis://:secret@h:6379/0", "password in the url is refused"},
      {"redis://user:secret@h/0", "password_env"},
      {"redis://:6379/0", "names no host"},
      {"redis://h:0/0", "port must be an integer from 1 to 65535"},
      {"redis://h:65536/0", "port must be an integer from 1 to 65535"},
      {"redis://h:/0", "port must be an integer"},
      {"redis://h:63x9/0", "port must be an integer"},
      {"redis://h:6379/x", "database must be an integer from 0 to 65535"},
      {"redis://h:6379/-1", "database must be an integer"},
      {"redis://h o:6379/0", "invalid host"},
      {"redis://[::1/0", "unclosed '['"},
  };
  for (const auto& [url, rule] : cases) {
    SCOPED_TRACE(url);
    expect_config_error(
        "governance:\n  store: redis\n  redis:\n    url: \"" + url + "\"\n    scope: a\n",
        {"cfg.yaml:4", "governance.redis.url", rule});
  }
}

TEST(ConfigGovernanceStore, ScopeOutsideItsCharacterSetIsRejected) {
  for (const std::string& scope :
       std::vector<std::string>{"desk a", "desk/a", "{mlgov}", "d:e", std::string(65, 'a')}) {
    SCOPED_TRACE(scope);
    expect_config_error(
        "governance:\n  store: redis\n  redis:\n    url: redis://h\n    scope: \"" + scope + "\"\n",
        {"cfg.yaml:5", "governance.redis.scope", "1 to 64"});
  }
}

TEST(ConfigGovernanceStore, ScopeOfSixtyFourCharactersIsAccepted) {
  const std::string scope(64, 'z');
  const Config cfg = parse_config(
      "governance:\n  store: redis\n  redis:\n    url: redis://h\n    scope: " + scope + "\n", "c");
  EXPECT_EQ(cfg.governance.redis.scope, scope);
}

TEST(ConfigGovernanceStore, PasswordEnvMustBeAVariableName) {
  for (const std::string& name : std::vector<std::string>{"hunter2!", "1ABC", "MY-PASS", "a b"}) {
    SCOPED_TRACE(name);
    expect_config_error(
        "governance:\n  store: redis\n  redis:\n    url: redis://h\n    scope: a\n"
        "    password_env: \"" +
            name + "\"\n",
        {"cfg.yaml:6", "governance.redis.password_env", "NAME of an environment variable"});
  }
}

// Whatever else is wrong with the url, one holding userinfo is never quoted.
TEST(ConfigGovernanceStore, AUrlWithAPasswordIsNeverEchoedWhateverItsScheme) {
  for (const std::string& url :
       std::vector<std::string>{"rediss://:S3cretPw@h:6379/0", "http://user:S3cretPw@h/0",
                                "redis://:S3cretPw@h/0", "S3cretPw@h"}) {
    SCOPED_TRACE(url);
    try {
      parse_config(
          "governance:\n  store: redis\n  redis:\n    url: \"" + url + "\"\n    scope: a\n",
          "cfg.yaml");
      FAIL() << "accepted";
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("governance.redis.url"), std::string::npos) << msg;
      EXPECT_NE(msg.find("password_env"), std::string::npos) << msg;
      EXPECT_EQ(msg.find("S3cretPw"), std::string::npos) << msg;
    }
  }
}

// People paste the password itself into password_env: never repeated.
TEST(ConfigGovernanceStore, APasswordPastedIntoPasswordEnvIsNeverEchoed) {
  try {
    parse_config(
        "governance:\n  store: redis\n  redis:\n    url: redis://h\n    scope: a\n"
        "    password_env: \"S3cret-Pw!\"\n",
        "cfg.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("is not a variable name"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("S3cret"), std::string::npos) << msg;
  }
}

TEST(ConfigGovernanceStore, TimeoutsAndIntervalsOutsideTheirBoundsAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"connect_timeout_ms: 0", "between 1 and 60000 ms"},
      {"connect_timeout_ms: 60001", "between 1 and 60000 ms"},
      {"command_timeout_ms: 0", "between 1 and 60000 ms"},
      {"command_timeout_ms: 2.5", "expected an integer"},
      {"sync_interval_ms: 9", "between 10 and 60000 ms"},
      {"grace_seconds: -1", "between 0 and 86400 seconds"},
      {"grace_seconds: 86401", "between 0 and 86400 seconds"},
      {"on_unavailable: ignore", "expected disable or local"},
  };
  for (const auto& [line, rule] : cases) {
    SCOPED_TRACE(line);
    const std::string key = line.substr(0, line.find(':'));
    expect_config_error(
        "governance:\n  store: redis\n  redis:\n    url: redis://h\n    scope: a\n    " + line +
            "\n",
        {"cfg.yaml:6", "governance.redis." + key, rule});
  }
}

TEST(ConfigGovernanceStore, RedisSectionWithTheFileStoreIsAWarning) {
  const Config cfg = parse_config(
      "features:\n  ml_enabled: false\ngovernance:\n  redis:\n    url: redis://h\n    scope: a\n",
      "c");
  EXPECT_EQ(cfg.governance.store, GovernanceConfig::Store::kFile);
  ASSERT_EQ(cfg.warnings.size(), 1u);
  EXPECT_NE(cfg.warnings[0].find("governance.store is not redis"), std::string::npos);
}

// --- drift: ---------------------------------------------------------------------

TEST(ConfigDrift, ShippedGoldenConfigHoldsTheDefaults) {
  const Config shipped = load_config(source_dir() / "configs/golden_config.yaml");
  const DriftConfig defaults;
  EXPECT_EQ(shipped.drift.enabled, defaults.enabled);
  EXPECT_EQ(shipped.drift.window_rows, defaults.window_rows);
  EXPECT_EQ(shipped.drift.model_window_rows, defaults.model_window_rows);
  EXPECT_EQ(shipped.drift.min_rows, defaults.min_rows);
  EXPECT_EQ(shipped.drift.warn_psi, defaults.warn_psi);
  EXPECT_EQ(shipped.drift.alert_psi, defaults.alert_psi);
  EXPECT_EQ(shipped.drift.clear_psi, defaults.clear_psi);
  EXPECT_EQ(shipped.drift.clear_evaluations, defaults.clear_evaluations);
  EXPECT_EQ(shipped.drift.out_of_range_warn, defaults.out_of_range_warn);
  EXPECT_EQ(shipped.drift.out_of_range_alert, defaults.out_of_range_alert);
  EXPECT_EQ(shipped.drift.stale_warn, defaults.stale_warn);
  EXPECT_EQ(shipped.drift.stale_window_rows, defaults.stale_window_rows);
  EXPECT_EQ(shipped.drift.alert_counts_as_failure, defaults.alert_counts_as_failure);
  EXPECT_TRUE(shipped.drift.features.empty());
}

TEST(ConfigDrift, DefaultsAreTheDriftProofsValues) {
  // docs/drift_proof.md: PSI warns, out of range alerts.
  const DriftConfig d = parse_config("features:\n  ml_enabled: false\n", "c").drift;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.window_rows, 2000U);
  EXPECT_EQ(d.min_rows, 1000U);
  EXPECT_EQ(d.warn_psi, 0.25);
  EXPECT_EQ(d.alert_psi, 100.0);
  EXPECT_EQ(d.out_of_range_warn, 0.25);
  EXPECT_EQ(d.out_of_range_alert, 0.9);
  EXPECT_EQ(d.stale_warn, 0.9);
  EXPECT_EQ(d.stale_window_rows, 20U);
  EXPECT_FALSE(d.alert_counts_as_failure);
}

TEST(ConfigDrift, OverridesAreRead) {
  const DriftConfig d = parse_config(
                            "drift:\n  enabled: false\n  window_rows: 4500\n"
                            "  model_window_rows: 250\n  min_rows: 900\n  warn_psi: 0.2\n"
                            "  alert_psi: 0.5\n  clear_psi: 0.3\n  clear_evaluations: 4\n"
                            "  out_of_range_warn: 0.1\n  out_of_range_alert: 0.6\n"
                            "  stale_warn: 0.8\n  stale_window_rows: 30\n"
                            "  alert_counts_as_failure: true\n",
                            "c")
                            .drift;
  EXPECT_FALSE(d.enabled);
  EXPECT_EQ(d.window_rows, 4500U);
  EXPECT_EQ(d.model_window_rows, 250U);
  EXPECT_EQ(d.min_rows, 900U);
  EXPECT_EQ(d.warn_psi, 0.2);
  EXPECT_EQ(d.alert_psi, 0.5);
  EXPECT_EQ(d.clear_psi, 0.3);
  EXPECT_EQ(d.clear_evaluations, 4);
  EXPECT_EQ(d.out_of_range_warn, 0.1);
  EXPECT_EQ(d.out_of_range_alert, 0.6);
  EXPECT_EQ(d.stale_warn, 0.8);
  EXPECT_EQ(d.stale_window_rows, 30U);
  EXPECT_TRUE(d.alert_counts_as_failure);
}

TEST(ConfigDrift, PerFeatureOverridesAreReadWithTheirLine) {
  const DriftConfig d = parse_config(
                            "drift:\n  features:\n    ret_1d:\n      warn_psi: 0.15\n"
                            "    vol_20: {alert_psi: 0.4, stale_warn: 1}\n",
                            "c.yaml")
                            .drift;
  ASSERT_EQ(d.features.size(), 2U);
  EXPECT_EQ(d.features.at("ret_1d").warn_psi, 0.15);
  EXPECT_FALSE(d.features.at("ret_1d").alert_psi.has_value());
  EXPECT_EQ(d.features.at("ret_1d").where, "c.yaml:3");
  EXPECT_EQ(d.features.at("vol_20").alert_psi, 0.4);
  EXPECT_EQ(d.features.at("vol_20").stale_warn, 1.0);
}

TEST(ConfigDrift, UnknownKeyInAFeatureOverrideIsRejectedNamingIt) {
  expect_config_error("drift:\n  features:\n    ret_1d:\n      warn: 0.15\n",
                      {"cfg.yaml:4", "drift.features.ret_1d.warn", "unknown key"});
}

TEST(ConfigDrift, AlertBelowWarnIsRejected) {
  expect_config_error("drift:\n  warn_psi: 0.3\n  alert_psi: 0.2\n",
                      {"cfg.yaml:3", "drift.alert_psi", "must be >= warn_psi"});
}

TEST(ConfigDrift, AFeatureOverrideBelowTheSectionsWarnIsRejected) {
  expect_config_error("drift:\n  features:\n    ret_1d:\n      alert_psi: 0.2\n",
                      {"cfg.yaml:4", "drift.features.ret_1d.alert_psi", "must be >= warn_psi"});
}

TEST(ConfigDrift, ClearAboveAlertIsRejected) {
  expect_config_error("drift:\n  alert_psi: 0.3\n  clear_psi: 0.4\n",
                      {"cfg.yaml:3", "drift.clear_psi", "must be <= alert_psi"});
}

TEST(ConfigDrift, MinRowsAboveTheWindowIsRejected) {
  expect_config_error("drift:\n  window_rows: 500\n  min_rows: 600\n",
                      {"cfg.yaml:3", "drift.min_rows", "must be <= drift.window_rows"});
}

TEST(ConfigDrift, EachValueIsBounded) {
  expect_config_error("drift:\n  window_rows: 99\n",
                      {"cfg.yaml:2", "drift.window_rows", "between 100 and 1000000"});
  expect_config_error("drift:\n  warn_psi: 0\n", {"drift.warn_psi", "between"});
  expect_config_error("drift:\n  out_of_range_warn: 1.5\n",
                      {"drift.out_of_range_warn", "must be in (0, 1]"});
  expect_config_error("drift:\n  stale_window_rows: 1\n",
                      {"drift.stale_window_rows", "between 2 and 100000"});
  expect_config_error("drift:\n  enabled: yes\n", {"drift.enabled", "expected a boolean"});
  expect_config_error("drift:\n  features: [ret_1d]\n",
                      {"drift.features", "expected a mapping of feature names"});
}

}  // namespace
}  // namespace mlgov
