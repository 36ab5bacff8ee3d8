// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Structured logging: event JSON lines, the JSON-lines file sink, the
// throttled console sink and the governance logger. Time comes from a
// ManualClock whose wall time starts at 1'767'225'600 s since the epoch,
// which is 2026-01-01T00:00:00Z (56 years after 1970 with 14 leap days:
// (56 * 365 + 14) * 86400 = 20454 * 86400 = 1'767'225'600).
#include "mlgov/logging.h"

#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using mlgov::testing::TempDir;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

std::chrono::system_clock::time_point at_epoch_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// The lines of a file; each line must end with '\n'.
std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < all.size()) {
    const std::size_t end = all.find('\n', start);
    if (end == std::string::npos) {
      ADD_FAILURE() << file << " ends without a newline";
      lines.push_back(all.substr(start));
      break;
    }
    lines.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Records every message it receives (level and payload). Single-threaded use.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::pair<spdlog::level::level_enum, std::string>> lines;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines.emplace_back(msg.level, std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}
};

spdlog::details::log_msg make_msg(spdlog::level::level_enum level, std::string_view text) {
  return spdlog::details::log_msg("test", level, spdlog::string_view_t(text.data(), text.size()));
}

GovernanceEvent sample_event() {
  GovernanceEvent e;
  e.level = spdlog::level::err;
  e.model = "ml_v1";
  e.symbol = "GOOG";
  e.status = "DISABLED_BY_GOVERNANCE";
  e.reason = "FEATURE_MISMATCH";
  e.message = "third failure inside 300 s";
  e.details_json = R"({"expected":28,"got":27,"missing":["beta_60"],"extra":[]})";
  return e;
}

// ---------------------------------------------------------------------------
// format_utc_millis

TEST(FormatUtcMillis, EpochIs1970) {
  EXPECT_EQ(format_utc_millis(at_epoch_ms(0)), "1970-01-01T00:00:00.000Z");
}

TEST(FormatUtcMillis, FormatsDateTimeAndMilliseconds) {
  // 2026-01-01T00:00:00Z plus 1 h 2 min 3.456 s = 3723.456 s.
  EXPECT_EQ(format_utc_millis(at_epoch_ms(1'767'225'600'000 + 3'723'456)),
            "2026-01-01T01:02:03.456Z");
}

TEST(FormatUtcMillis, TruncatesSubMillisecondsTowardThePast) {
  // 999.9 ms after the epoch is still millisecond 999; 0.1 ms before it is
  // millisecond -1, the last one of 1969.
  const auto epoch = std::chrono::system_clock::time_point{};
  EXPECT_EQ(format_utc_millis(epoch + std::chrono::microseconds(999'900)),
            "1970-01-01T00:00:00.999Z");
  EXPECT_EQ(format_utc_millis(epoch - std::chrono::microseconds(100)), "1969-12-31T23:59:59.999Z");
}

TEST(FormatUtcMillis, LeapDay) {
  // 2024-02-29: 2024-01-01 is day 19723 ((54 * 365 + 13) leap days 1972..2020),
  // plus 31 (January) + 28 = day 19782.
  EXPECT_EQ(format_utc_millis(at_epoch_ms(19'782LL * 86'400'000 + 1)), "2024-02-29T00:00:00.001Z");
}

// ---------------------------------------------------------------------------
// format_event_json

TEST(FormatEventJson, EveryFieldParsesBack) {
  const std::string line = format_event_json(sample_event(), at_epoch_ms(1'767'225'600'123));
  const Json j = Json::parse(line);
  EXPECT_EQ(j.size(), 9u);
  EXPECT_EQ(j["ts"], "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(j["component"], "ML_GOVERNANCE");
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["model"], "ml_v1");
  EXPECT_EQ(j["symbol"], "GOOG");
  EXPECT_EQ(j["status"], "DISABLED_BY_GOVERNANCE");
  EXPECT_EQ(j["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(j["message"], "third failure inside 300 s");
  EXPECT_EQ(j["details"],
            Json::parse(R"({"expected":28,"got":27,"missing":["beta_60"],"extra":[]})"));
}

TEST(FormatEventJson, KeysComeInTheDocumentedOrderOnOneLine) {
  GovernanceEvent e;
  e.level = spdlog::level::info;
  e.model = "m";
  e.symbol = "S";
  e.status = "ST";
  e.reason = "R";
  e.message = "x";
  EXPECT_EQ(format_event_json(e, at_epoch_ms(0)),
            R"({"ts":"1970-01-01T00:00:00.000Z","component":"ML_GOVERNANCE","level":"INFO",)"
            R"("model":"m","symbol":"S","status":"ST","reason":"R","message":"x","details":{}})");
}

TEST(FormatEventJson, LevelNames) {
  GovernanceEvent e;
  const std::pair<spdlog::level::level_enum, const char*> cases[] = {
      {spdlog::level::trace, "TRACE"}, {spdlog::level::debug, "DEBUG"},
      {spdlog::level::info, "INFO"},   {spdlog::level::warn, "WARNING"},
      {spdlog::level::err, "ERROR"},   {spdlog::level::critical, "CRITICAL"}};
  for (const auto& [level, name] : cases) {
    e.level = level;
    EXPECT_EQ(Json::parse(format_event_json(e, at_epoch_ms(0)))["level"], name);
  }
}

TEST(FormatEventJson, InvalidDetailsAreKeptAsAString) {
  GovernanceEvent e = sample_event();
  e.details_json = R"({"expected":28,)";
  EXPECT_EQ(Json::parse(format_event_json(e, at_epoch_ms(0)))["details"], R"({"expected":28,)");
}

TEST(FormatEventJson, NonObjectDetailsAreKeptAsAString) {
  GovernanceEvent e = sample_event();
  e.details_json = "[1,2]";
  EXPECT_EQ(Json::parse(format_event_json(e, at_epoch_ms(0)))["details"], "[1,2]");
}

TEST(FormatEventJson, DeeplyNestedDetailsAreKeptAsAString) {
  // 65 levels of {"a": ...} is one more than the 64 allowed.
  std::string deep;
  for (int i = 0; i < 65; ++i) deep += R"({"a":)";
  deep += "1";
  deep += std::string(65, '}');
  GovernanceEvent e = sample_event();
  e.details_json = deep;
  EXPECT_EQ(Json::parse(format_event_json(e, at_epoch_ms(0)))["details"], deep);
  // 64 levels are embedded as an object.
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += R"({"a":)";
  ok += "1";
  ok += std::string(64, '}');
  e.details_json = ok;
  EXPECT_TRUE(Json::parse(format_event_json(e, at_epoch_ms(0)))["details"].is_object());
}

TEST(FormatEventJson, PathLikeSymbolIsJustAString) {
  GovernanceEvent e = sample_event();
  e.symbol = "../../etc/passwd";
  const std::string line = format_event_json(e, at_epoch_ms(0));
  EXPECT_EQ(Json::parse(line)["symbol"], "../../etc/passwd");
}

TEST(FormatEventJson, QuoteAndNewlineInSymbolCannotForgeFields) {
  // The symbol tries to close its string, end the line and start a new record.
  GovernanceEvent e = sample_event();
  const std::string evil = "GOOG\",\"level\":\"INFO\"}\n{\"symbol\":\"X";
  e.symbol = evil;
  const std::string line = format_event_json(e, at_epoch_ms(0));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const Json j = Json::parse(line);
  EXPECT_EQ(j["symbol"], evil);
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j.size(), 9u);
}

TEST(FormatEventJson, ControlBytesAreEscaped) {
  GovernanceEvent e = sample_event();
  const std::string ctl = std::string("a\r\tb\x01", 5) + std::string(1, '\0') + "c";
  e.message = ctl;
  const std::string line = format_event_json(e, at_epoch_ms(0));
  for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte";
  EXPECT_EQ(Json::parse(line)["message"], ctl);
}

TEST(FormatEventJson, InvalidUtf8BecomesReplacementCharacter) {
  GovernanceEvent e = sample_event();
  e.symbol = "AB\xFF\xFE";
  e.details_json = "{\"path\":\"\xC3\x28\"}";  // invalid UTF-8 inside the details
  std::string line;
  ASSERT_NO_THROW(line = format_event_json(e, at_epoch_ms(0)));
  const Json j = Json::parse(line);
  EXPECT_EQ(j["symbol"], "AB" + std::string(kReplacement) + std::string(kReplacement));
  // Not valid JSON text (bad UTF-8), so kept as a string, itself repaired:
  // 0xC3 starts a sequence that '(' does not continue -> one U+FFFD, then '('.
  EXPECT_EQ(j["details"], "{\"path\":\"" + std::string(kReplacement) + "(\"}");
}

// ---------------------------------------------------------------------------
// JsonLinesFileSink

class JsonLinesFileSinkTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::filesystem::path file = dir / "logs" / "live.jsonl";
};

TEST_F(JsonLinesFileSinkTest, CreatesParentDirectoriesAndAppends) {
  mlgov::testing::write_text(file, "{\"old\":1}\n");
  {
    JsonLinesFileSink sink(file, clock);
    sink.log(make_msg(spdlog::level::info, R"({"new":2})"));
  }
  EXPECT_EQ(read_lines(file), (std::vector<std::string>{R"({"old":1})", R"({"new":2})"}));
}

TEST_F(JsonLinesFileSinkTest, WritesAGovernanceEventVerbatim) {
  const std::string line = format_event_json(sample_event(), clock->wall_now());
  JsonLinesFileSink sink(file, clock);
  sink.log(make_msg(spdlog::level::err, line));
  EXPECT_EQ(read_lines(file), std::vector<std::string>{line});
}

TEST_F(JsonLinesFileSinkTest, WrapsPlainText) {
  clock->advance(1500ms);
  JsonLinesFileSink sink(file, clock);
  sink.log(make_msg(spdlog::level::warn, "model dir scanned"));
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], R"({"ts":"2026-01-01T00:00:01.500Z","component":"mlgov","level":"WARNING",)"
                      R"("message":"model dir scanned"})");
}

TEST_F(JsonLinesFileSinkTest, PayloadWithNewlineStaysOneRecord) {
  JsonLinesFileSink sink(file, clock);
  const std::string two_objects = "{\"a\":1}\n{\"b\":2}";
  sink.log(make_msg(spdlog::level::info, two_objects));
  sink.log(make_msg(spdlog::level::info, "line one\nline two"));
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Json::parse(lines[0])["message"], two_objects);
  EXPECT_EQ(Json::parse(lines[1])["message"], "line one\nline two");
}

TEST_F(JsonLinesFileSinkTest, BrokenJsonObjectIsWrapped) {
  JsonLinesFileSink sink(file, clock);
  sink.log(make_msg(spdlog::level::info, R"({"a":1,"b":})"));
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Json::parse(lines[0])["message"], R"({"a":1,"b":})");
}

TEST_F(JsonLinesFileSinkTest, InvalidUtf8PayloadIsRepairedNotDropped) {
  JsonLinesFileSink sink(file, clock);
  sink.log(make_msg(spdlog::level::info, "bad \xFF byte"));
  sink.log(make_msg(spdlog::level::info, "{\"s\":\"\xFF\"}"));  // object with bad UTF-8: wrapped
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Json::parse(lines[0])["message"], "bad " + std::string(kReplacement) + " byte");
  EXPECT_EQ(Json::parse(lines[1])["message"], "{\"s\":\"" + std::string(kReplacement) + "\"}");
  EXPECT_EQ(sink.write_errors(), 0u);
}

TEST_F(JsonLinesFileSinkTest, UnopenableFileThrowsNamingIt) {
  // A regular file where the parent directory should be.
  mlgov::testing::write_text(dir / "blocker", "x");
  const auto bad = dir / "blocker" / "live.jsonl";
  try {
    JsonLinesFileSink sink(bad, clock);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "blocker").string()), std::string::npos)
        << e.what();
  }
}

TEST_F(JsonLinesFileSinkTest, WriteErrorsAreCountedNotThrown) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  JsonLinesFileSink sink("/dev/full", clock);
  EXPECT_NO_THROW(sink.log(make_msg(spdlog::level::err, "disk full")));
  EXPECT_NO_THROW(sink.log(make_msg(spdlog::level::err, "still full")));
  EXPECT_EQ(sink.write_errors(), 2u);
}

// ---------------------------------------------------------------------------
// ThrottledSink, interval 5 s, time moved by hand.

class ThrottledSinkTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<CaptureSink> inner = std::make_shared<CaptureSink>();
  ThrottledSink sink{inner, 5s, clock};

  void log(spdlog::level::level_enum level, std::string_view text) {
    sink.log(make_msg(level, text));
  }
  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& [level, text] : inner->lines) out.push_back(text);
    return out;
  }
};

TEST_F(ThrottledSinkTest, FirstInfoLineGoesThrough) {
  log(spdlog::level::info, "a");
  EXPECT_EQ(payloads(), std::vector<std::string>{"a"});
  EXPECT_EQ(sink.held_back(), 0u);
}

TEST_F(ThrottledSinkTest, InfoAndDebugInsideTheIntervalAreHeldBackAndCounted) {
  log(spdlog::level::info, "a");  // t = 0: forwarded
  clock->advance(1s);
  log(spdlog::level::info, "b");  // t = 1: held (1 s < 5 s)
  clock->advance(3999ms);
  log(spdlog::level::debug, "c");  // t = 4.999: held
  EXPECT_EQ(payloads(), std::vector<std::string>{"a"});
  EXPECT_EQ(sink.held_back(), 2u);
}

TEST_F(ThrottledSinkTest, AfterTheIntervalTheNextLineSaysHowManyWereHeldBack) {
  log(spdlog::level::info, "a");  // t = 0: forwarded
  for (int i = 0; i < 7; ++i) {   // t = 0.5 .. 3.5: 7 lines held
    clock->advance(500ms);
    log(spdlog::level::info, "held");
  }
  clock->advance(1500ms);  // t = 5.0: exactly one interval after "a": forwarded
  log(spdlog::level::info, "b");
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a", "(7 lines held back)", "b"}));
  EXPECT_EQ(inner->lines[1].first, spdlog::level::info);
  EXPECT_EQ(sink.held_back(), 0u);
  EXPECT_EQ(sink.total_held_back(), 7u);
}

TEST_F(ThrottledSinkTest, OneHeldLineIsSingular) {
  log(spdlog::level::info, "a");
  clock->advance(1s);
  log(spdlog::level::info, "held");
  clock->advance(5s);
  log(spdlog::level::info, "b");
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a", "(1 line held back)", "b"}));
}

TEST_F(ThrottledSinkTest, WarningsAndAboveAreNeverHeld) {
  log(spdlog::level::info, "a");
  log(spdlog::level::warn, "w");
  log(spdlog::level::err, "e");
  log(spdlog::level::critical, "c");
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a", "w", "e", "c"}));
  EXPECT_EQ(sink.total_held_back(), 0u);
}

TEST_F(ThrottledSinkTest, AWarningCarriesTheHeldBackNoteAtItsLevel) {
  log(spdlog::level::info, "a");
  clock->advance(1s);
  log(spdlog::level::info, "held1");
  log(spdlog::level::info, "held2");
  log(spdlog::level::err, "e");  // t = 1: forwarded at once, after the note
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a", "(2 lines held back)", "e"}));
  EXPECT_EQ(inner->lines[1].first, spdlog::level::err);
  EXPECT_EQ(sink.held_back(), 0u);
}

TEST_F(ThrottledSinkTest, WarningsDoNotRestartTheInfoInterval) {
  log(spdlog::level::info, "a");  // t = 0
  clock->advance(4s);
  log(spdlog::level::warn, "w");  // t = 4
  clock->advance(1s);
  log(spdlog::level::info, "b");  // t = 5: 5 s after "a", forwarded
  EXPECT_EQ(payloads(), (std::vector<std::string>{"a", "w", "b"}));
}

TEST_F(ThrottledSinkTest, HeartbeatLinesAreNeverHeld) {
  log(spdlog::level::info, "a");
  log(spdlog::level::info,
      "[HEARTBEAT] uptime=1s | symbols=1 | cycles=1 | state=OK | "
      "ml_state=ENABLED|OK | model_errors=0");
  EXPECT_EQ(payloads().size(), 2u);
  EXPECT_EQ(sink.held_back(), 0u);
}

TEST_F(ThrottledSinkTest, LinesTheInnerSinkFiltersAreNotCounted) {
  inner->set_level(spdlog::level::warn);
  log(spdlog::level::info, "a");
  log(spdlog::level::info, "b");
  log(spdlog::level::warn, "w");
  EXPECT_EQ(payloads(), std::vector<std::string>{"w"});
  EXPECT_EQ(sink.total_held_back(), 0u);
}

// ---------------------------------------------------------------------------
// Governance logger and log_event

class GovernanceLoggerTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  LoggerOptions options() const {
    LoggerOptions o;
    o.logs_dir = dir / "runtime" / "logs";
    o.console = false;
    return o;
  }
};

TEST_F(GovernanceLoggerTest, LiveGetsInfoAndUpErrorsGetsErrorAndUp) {
  auto logger = make_governance_logger(options(), clock);
  GovernanceEvent e = sample_event();
  const spdlog::level::level_enum levels[] = {spdlog::level::debug, spdlog::level::info,
                                              spdlog::level::warn, spdlog::level::err,
                                              spdlog::level::critical};
  for (auto level : levels) {
    e.level = level;
    log_event(*logger, e, *clock);
  }
  const auto live = read_lines(options().logs_dir / "live.jsonl");
  const auto errors = read_lines(options().logs_dir / "errors.jsonl");
  ASSERT_EQ(live.size(), 4u);
  EXPECT_EQ(Json::parse(live[0])["level"], "INFO");
  EXPECT_EQ(Json::parse(live[1])["level"], "WARNING");
  EXPECT_EQ(Json::parse(live[2])["level"], "ERROR");
  EXPECT_EQ(Json::parse(live[3])["level"], "CRITICAL");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(Json::parse(errors[0])["level"], "ERROR");
  EXPECT_EQ(Json::parse(errors[1])["level"], "CRITICAL");
}

TEST_F(GovernanceLoggerTest, EventInLiveLogParsesBackWithEveryField) {
  auto logger = make_governance_logger(options(), clock);
  clock->advance(2s + 345ms);
  log_event(*logger, sample_event(), *clock);
  const auto lines = read_lines(options().logs_dir / "live.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  const Json j = Json::parse(lines[0]);
  EXPECT_EQ(j["ts"], "2026-01-01T00:00:02.345Z");
  EXPECT_EQ(j["component"], "ML_GOVERNANCE");
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["model"], "ml_v1");
  EXPECT_EQ(j["symbol"], "GOOG");
  EXPECT_EQ(j["status"], "DISABLED_BY_GOVERNANCE");
  EXPECT_EQ(j["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(j["message"], "third failure inside 300 s");
  EXPECT_EQ(j["details"]["missing"], Json::array({"beta_60"}));
}

TEST_F(GovernanceLoggerTest, HostileSymbolsEachStayOneParseableLine) {
  auto logger = make_governance_logger(options(), clock);
  const std::string symbols[] = {"../../etc/passwd", "GO\"OG\nFAKE", "\xFF\xFE\xC0",
                                 "}{\"level\":\"INFO\"}"};
  GovernanceEvent e = sample_event();
  for (const auto& s : symbols) {
    e.symbol = s;
    log_event(*logger, e, *clock);
  }
  const auto lines = read_lines(options().logs_dir / "errors.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(Json::parse(lines[0])["symbol"], "../../etc/passwd");
  EXPECT_EQ(Json::parse(lines[1])["symbol"], "GO\"OG\nFAKE");
  // 0xFF, 0xFE and 0xC0 can never appear in UTF-8: three replacements.
  EXPECT_EQ(Json::parse(lines[2])["symbol"],
            std::string(kReplacement) + std::string(kReplacement) + std::string(kReplacement));
  EXPECT_EQ(Json::parse(lines[3])["symbol"], "}{\"level\":\"INFO\"}");
  for (const auto& line : lines) EXPECT_EQ(Json::parse(line)["level"], "ERROR");
}

TEST_F(GovernanceLoggerTest, PlainHostMessagesAreWrapped) {
  auto logger = make_governance_logger(options(), clock);
  logger->error("cannot read {}", "models/GOOG_v1/model.json");
  const auto lines = read_lines(options().logs_dir / "errors.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  const Json j = Json::parse(lines[0]);
  EXPECT_EQ(j["component"], "mlgov");
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["message"], "cannot read models/GOOG_v1/model.json");
}

TEST_F(GovernanceLoggerTest, LoggerIsNotRegisteredGlobally) {
  LoggerOptions o = options();
  o.name = "mlgov-registry-probe";
  auto logger = make_governance_logger(o, clock);
  EXPECT_EQ(spdlog::get("mlgov-registry-probe"), nullptr);
}

TEST_F(GovernanceLoggerTest, UncreatableLogsDirThrowsNamingIt) {
  mlgov::testing::write_text(dir / "file", "x");
  LoggerOptions o = options();
  o.logs_dir = dir / "file" / "logs";
  try {
    make_governance_logger(o, clock);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.logs_dir.string()), std::string::npos) << e.what();
  }
}

TEST(LogEvent, BelowTheLoggerLevelNothingIsWritten) {
  auto inner = std::make_shared<CaptureSink>();
  spdlog::logger logger("t", inner);
  logger.set_level(spdlog::level::warn);
  ManualClock clock;
  GovernanceEvent e = sample_event();
  e.level = spdlog::level::info;
  log_event(logger, e, clock);
  EXPECT_TRUE(inner->lines.empty());
  e.level = spdlog::level::warn;
  log_event(logger, e, clock);
  ASSERT_EQ(inner->lines.size(), 1u);
  EXPECT_EQ(inner->lines[0].second, format_event_json(e, clock.wall_now()));
}

TEST(NullLogger, DropsEverything) {
  auto logger = make_null_logger();
  EXPECT_FALSE(logger->should_log(spdlog::level::critical));
  EXPECT_TRUE(logger->sinks().empty());
  ManualClock clock;
  EXPECT_NO_THROW(log_event(*logger, sample_event(), clock));
  EXPECT_EQ(spdlog::get("mlgov-null"), nullptr);
}

}  // namespace
}  // namespace mlgov
