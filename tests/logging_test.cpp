// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The sinks of typed records: the event's JSON line, the JSON-lines file
// sink, the throttled console, the adapter to a host's spdlog logger, the
// fan-out and the governance logger. Time comes from a ManualClock whose
// wall time starts at 1'767'225'600 s since the epoch, which is
// 2026-01-01T00:00:00Z (56 years after 1970 with 14 leap days:
// (56 * 365 + 14) * 86400 = 20454 * 86400 = 1'767'225'600).
#include "mlgov/logging.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "mlgov/heartbeat.h"
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

// Records every message a spdlog logger hands it (level, time, payload).
// Single-threaded use.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::chrono::system_clock::time_point time;
    std::string payload;
  };
  std::vector<Line> lines;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines.push_back({msg.level, msg.time, std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}
};

// Records what an EventSink receives. Single-threaded use.
class RecordingSink final : public EventSink {
 public:
  explicit RecordingSink(std::string name, std::vector<std::string>* order = nullptr)
      : name_(std::move(name)), order_(order) {}
  std::vector<GovernanceEvent> events;
  std::vector<HeartbeatRecord> heartbeats;
  void on_event(const GovernanceEvent& e) noexcept override {
    events.push_back(e);
    if (order_) order_->push_back(name_ + ":event");
  }
  void on_heartbeat(const HeartbeatRecord& h) noexcept override {
    heartbeats.push_back(h);
    if (order_) order_->push_back(name_ + ":heartbeat");
  }

 private:
  std::string name_;
  std::vector<std::string>* order_;
};

GovernanceEvent sample_event() {
  GovernanceEvent e;
  e.time = at_epoch_ms(1'767'225'600'123);
  e.level = spdlog::level::err;
  e.model = "ml_v1";
  e.symbol = "GOOG";
  e.status = "DISABLED_BY_GOVERNANCE";
  e.reason = "FEATURE_MISMATCH";
  e.ml_state = MlState::kDisabledGovernance;
  e.message = "third failure inside 300 s";
  e.details =
      Json{{"expected", 28}, {"got", 27}, {"missing", {"beta_60"}}, {"extra", Json::array()}};
  return e;
}

HeartbeatRecord sample_heartbeat() {
  return {.time = at_epoch_ms(1'767'225'607'000),  // 2026-01-01T00:00:07.000Z
          .uptime = 159s,
          .symbols = 225,
          .cycles = 2,
          .ml_state = MlState::kDisabledGovernance,
          .model_errors = 574};
}

// The heartbeat's JSON record, written out by hand from the fields above.
const Json kSampleHeartbeatJson = Json::parse(R"({"ts":"2026-01-01T00:00:07.000Z",
    "component":"HEARTBEAT","level":"INFO","uptime_s":159,"symbols":225,"cycles":2,
    "state":"DEGRADED","ml_state":"DISABLED_GOVERNANCE","model_errors":574})");

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
  const Json j = Json::parse(format_event_json(sample_event()));
  EXPECT_EQ(j.size(), 10u);
  EXPECT_EQ(j["ts"], "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(j["component"], "ML_GOVERNANCE");
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["model"], "ml_v1");
  EXPECT_EQ(j["symbol"], "GOOG");
  EXPECT_EQ(j["status"], "DISABLED_BY_GOVERNANCE");
  EXPECT_EQ(j["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(j["ml_state"], "DISABLED_GOVERNANCE");
  EXPECT_EQ(j["message"], "third failure inside 300 s");
  EXPECT_EQ(j["details"],
            Json::parse(R"({"expected":28,"got":27,"missing":["beta_60"],"extra":[]})"));
}

TEST(FormatEventJson, KeysComeInTheDocumentedOrderOnOneLine) {
  GovernanceEvent e;
  e.time = at_epoch_ms(0);
  e.level = spdlog::level::info;
  e.model = "m";
  e.symbol = "S";
  e.status = "ST";
  e.reason = "R";
  e.message = "x";
  EXPECT_EQ(format_event_json(e),
            R"({"ts":"1970-01-01T00:00:00.000Z","component":"ML_GOVERNANCE","level":"INFO",)"
            R"("model":"m","symbol":"S","status":"ST","reason":"R","ml_state":null,"message":"x",)"
            R"("details":{}})");
}

TEST(FormatEventJson, LevelNames) {
  GovernanceEvent e;
  const std::pair<spdlog::level::level_enum, const char*> cases[] = {
      {spdlog::level::trace, "TRACE"}, {spdlog::level::debug, "DEBUG"},
      {spdlog::level::info, "INFO"},   {spdlog::level::warn, "WARNING"},
      {spdlog::level::err, "ERROR"},   {spdlog::level::critical, "CRITICAL"}};
  for (const auto& [level, name] : cases) {
    e.level = level;
    EXPECT_EQ(Json::parse(format_event_json(e))["level"], name);
  }
}

TEST(FormatEventJson, EveryMlStateHasItsSpelling) {
  GovernanceEvent e;
  const std::pair<MlState, const char*> cases[] = {
      {MlState::kEnabledOk, "ENABLED|OK"},
      {MlState::kEnabledDegraded, "ENABLED|DEGRADED"},
      {MlState::kDisabledConfig, "DISABLED_CONFIG"},
      {MlState::kDisabledGovernance, "DISABLED_GOVERNANCE"}};
  for (const auto& [state, name] : cases) {
    e.ml_state = state;
    EXPECT_EQ(Json::parse(format_event_json(e))["ml_state"], name);
  }
}

TEST(FormatEventJson, DetailsThatAreNotAnObjectBecomeAnEmptyObject) {
  GovernanceEvent e = sample_event();
  e.details = Json::array({1, 2});
  EXPECT_EQ(Json::parse(format_event_json(e))["details"], Json::object());
  e.details = nullptr;
  EXPECT_EQ(Json::parse(format_event_json(e))["details"], Json::object());
}

TEST(FormatEventJson, PathLikeSymbolIsJustAString) {
  GovernanceEvent e = sample_event();
  e.symbol = "../../etc/passwd";
  EXPECT_EQ(Json::parse(format_event_json(e))["symbol"], "../../etc/passwd");
}

TEST(FormatEventJson, QuoteAndNewlineInSymbolCannotForgeFields) {
  // The symbol tries to close its string, end the line and start a new record.
  GovernanceEvent e = sample_event();
  const std::string evil = "GOOG\",\"level\":\"INFO\"}\n{\"symbol\":\"X";
  e.symbol = evil;
  const std::string line = format_event_json(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const Json j = Json::parse(line);
  EXPECT_EQ(j["symbol"], evil);
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j.size(), 10u);
}

TEST(FormatEventJson, ControlBytesAreEscaped) {
  GovernanceEvent e = sample_event();
  const std::string ctl = std::string("a\r\tb\x01", 5) + std::string(1, '\0') + "c";
  e.message = ctl;
  const std::string line = format_event_json(e);
  for (char c : line) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte";
  EXPECT_EQ(Json::parse(line)["message"], ctl);
}

TEST(FormatEventJson, InvalidUtf8BecomesReplacementCharacter) {
  GovernanceEvent e = sample_event();
  e.symbol = "AB\xFF\xFE";
  e.details = Json{{"path", "\xC3\x28"}};  // invalid UTF-8 inside the details
  std::string line;
  ASSERT_NO_THROW(line = format_event_json(e));
  const Json j = Json::parse(line);
  EXPECT_EQ(j["symbol"], "AB" + std::string(kReplacement) + std::string(kReplacement));
  // 0xC3 starts a sequence that '(' does not continue -> one U+FFFD, then '('.
  EXPECT_EQ(j["details"]["path"], std::string(kReplacement) + "(");
}

// ---------------------------------------------------------------------------
// JsonLinesFileSink

class JsonLinesFileSinkTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path file = dir / "logs" / "live.jsonl";
};

TEST_F(JsonLinesFileSinkTest, CreatesParentDirectoriesAndAppends) {
  std::filesystem::create_directories(file.parent_path());
  mlgov::testing::write_text(file, "{\"old\":1}\n");
  {
    JsonLinesFileSink sink(file);
    sink.on_event(sample_event());
  }
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], R"({"old":1})");
  EXPECT_EQ(Json::parse(lines[1])["status"], "DISABLED_BY_GOVERNANCE");
}

TEST_F(JsonLinesFileSinkTest, WritesEachEventAsItsJsonLine) {
  JsonLinesFileSink sink(file);
  GovernanceEvent second = sample_event();
  second.symbol = "AAPL";
  sink.on_event(sample_event());
  sink.on_event(second);
  EXPECT_EQ(read_lines(file), (std::vector<std::string>{format_event_json(sample_event()),
                                                        format_event_json(second)}));
}

TEST_F(JsonLinesFileSinkTest, WritesAHeartbeatAsItsJsonRecord) {
  JsonLinesFileSink sink(file);
  sink.on_heartbeat(sample_heartbeat());
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Json::parse(lines[0]), kSampleHeartbeatJson);
}

TEST_F(JsonLinesFileSinkTest, MessageWithNewlinesStaysOneLine) {
  JsonLinesFileSink sink(file);
  GovernanceEvent e = sample_event();
  e.message = "line one\nline two\r\n{\"forged\":1}";
  sink.on_event(e);
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Json::parse(lines[0])["message"], e.message);
}

TEST_F(JsonLinesFileSinkTest, RecordsBelowItsLevelAreNotWritten) {
  JsonLinesFileSink sink(file, spdlog::level::err);
  GovernanceEvent e = sample_event();
  e.level = spdlog::level::warn;
  sink.on_event(e);
  sink.on_heartbeat(sample_heartbeat());  // a heartbeat is an INFO record
  e.level = spdlog::level::err;
  sink.on_event(e);
  const auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Json::parse(lines[0])["level"], "ERROR");
}

TEST_F(JsonLinesFileSinkTest, UnopenableFileThrowsNamingIt) {
  // A regular file where the parent directory should be.
  mlgov::testing::write_text(dir / "blocker", "x");
  const auto bad = dir / "blocker" / "live.jsonl";
  try {
    JsonLinesFileSink sink(bad);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "blocker").string()), std::string::npos)
        << e.what();
  }
}

TEST_F(JsonLinesFileSinkTest, WriteErrorsAreCountedNotThrown) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  JsonLinesFileSink sink("/dev/full");
  sink.on_event(sample_event());
  sink.on_heartbeat(sample_heartbeat());
  EXPECT_EQ(sink.write_errors(), 2u);
}

// ---------------------------------------------------------------------------
// ThrottledConsoleSink, interval 5 s, time moved by hand, written to a real
// file.

class ThrottledConsoleSinkTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path path = dir / "console.txt";
  std::FILE* stream = std::fopen(path.c_str(), "w");
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  ThrottledConsoleSink sink{stream, 5s, clock, spdlog::level::debug};

  ~ThrottledConsoleSinkTest() override { std::fclose(stream); }

  // An event whose message is `text`, stamped with the clock's wall time.
  void log(spdlog::level::level_enum level, std::string_view text) {
    GovernanceEvent e;
    e.time = clock->wall_now();
    e.level = level;
    e.status = "S";
    e.reason = "R";
    e.message = text;
    sink.on_event(e);
  }
  std::vector<std::string> lines() {
    std::fflush(stream);
    return read_lines(path);
  }
  // What follows "S R: " in each line, or the whole text after "] " for a
  // held-back note.
  std::vector<std::string> messages() {
    std::vector<std::string> out;
    for (const std::string& line : lines()) {
      const std::string after_level = line.substr(line.find("] ") + 2);
      out.push_back(after_level.rfind("S R: ", 0) == 0 ? after_level.substr(5) : after_level);
    }
    return out;
  }
};

TEST_F(ThrottledConsoleSinkTest, LineShowsTimeLevelStatusReasonSymbolAndMessage) {
  clock->advance(1500ms);
  GovernanceEvent e = sample_event();
  e.time = clock->wall_now();
  sink.on_event(e);
  EXPECT_EQ(lines(), std::vector<std::string>{"2026-01-01T00:00:01.500Z [error] "
                                              "DISABLED_BY_GOVERNANCE FEATURE_MISMATCH GOOG: "
                                              "third failure inside 300 s"});
}

TEST_F(ThrottledConsoleSinkTest, FirstInfoLineGoesThrough) {
  log(spdlog::level::info, "a");
  EXPECT_EQ(messages(), std::vector<std::string>{"a"});
  EXPECT_EQ(sink.held_back(), 0u);
}

TEST_F(ThrottledConsoleSinkTest, InfoAndDebugInsideTheIntervalAreHeldBackAndCounted) {
  log(spdlog::level::info, "a");  // t = 0: written
  clock->advance(1s);
  log(spdlog::level::info, "b");  // t = 1: held (1 s < 5 s)
  clock->advance(3999ms);
  log(spdlog::level::debug, "c");  // t = 4.999: held
  EXPECT_EQ(messages(), std::vector<std::string>{"a"});
  EXPECT_EQ(sink.held_back(), 2u);
}

TEST_F(ThrottledConsoleSinkTest, AfterTheIntervalTheNextLineSaysHowManyWereHeldBack) {
  log(spdlog::level::info, "a");  // t = 0: written
  for (int i = 0; i < 7; ++i) {   // t = 0.5 .. 3.5: 7 lines held
    clock->advance(500ms);
    log(spdlog::level::info, "held");
  }
  clock->advance(1500ms);  // t = 5.0: exactly one interval after "a": written
  log(spdlog::level::info, "b");
  EXPECT_EQ(messages(), (std::vector<std::string>{"a", "(7 lines held back)", "b"}));
  EXPECT_EQ(lines()[1], "2026-01-01T00:00:05.000Z [info] (7 lines held back)");
  EXPECT_EQ(sink.held_back(), 0u);
  EXPECT_EQ(sink.total_held_back(), 7u);
}

TEST_F(ThrottledConsoleSinkTest, OneHeldLineIsSingular) {
  log(spdlog::level::info, "a");
  clock->advance(1s);
  log(spdlog::level::info, "held");
  clock->advance(5s);
  log(spdlog::level::info, "b");
  EXPECT_EQ(messages(), (std::vector<std::string>{"a", "(1 line held back)", "b"}));
}

TEST_F(ThrottledConsoleSinkTest, WarningsAndAboveAreNeverHeld) {
  log(spdlog::level::info, "a");
  log(spdlog::level::warn, "w");
  log(spdlog::level::err, "e");
  log(spdlog::level::critical, "c");
  EXPECT_EQ(messages(), (std::vector<std::string>{"a", "w", "e", "c"}));
  EXPECT_EQ(sink.total_held_back(), 0u);
}

TEST_F(ThrottledConsoleSinkTest, AWarningCarriesTheHeldBackNoteAtItsLevel) {
  log(spdlog::level::info, "a");
  clock->advance(1s);
  log(spdlog::level::info, "held1");
  log(spdlog::level::info, "held2");
  log(spdlog::level::err, "e");  // t = 1: written at once, after the note
  EXPECT_EQ(messages(), (std::vector<std::string>{"a", "(2 lines held back)", "e"}));
  EXPECT_EQ(lines()[1], "2026-01-01T00:00:01.000Z [error] (2 lines held back)");
  EXPECT_EQ(sink.held_back(), 0u);
}

TEST_F(ThrottledConsoleSinkTest, WarningsDoNotRestartTheInfoInterval) {
  log(spdlog::level::info, "a");  // t = 0
  clock->advance(4s);
  log(spdlog::level::warn, "w");  // t = 4
  clock->advance(1s);
  log(spdlog::level::info, "b");  // t = 5: 5 s after "a", written
  EXPECT_EQ(messages(), (std::vector<std::string>{"a", "w", "b"}));
}

TEST_F(ThrottledConsoleSinkTest, HeartbeatsAreNotWritten) {
  sink.on_heartbeat(sample_heartbeat());
  log(spdlog::level::info, "a");  // not held: the heartbeat took no slot
  EXPECT_EQ(messages(), std::vector<std::string>{"a"});
  EXPECT_EQ(sink.total_held_back(), 0u);
}

TEST_F(ThrottledConsoleSinkTest, EventsBelowItsLevelAreNeitherWrittenNorCounted) {
  ThrottledConsoleSink warn_sink{stream, 5s, clock, spdlog::level::warn};
  GovernanceEvent e;
  e.time = clock->wall_now();
  e.status = "S";
  e.reason = "R";
  e.level = spdlog::level::info;
  e.message = "a";
  warn_sink.on_event(e);
  e.message = "b";
  warn_sink.on_event(e);
  e.level = spdlog::level::warn;
  e.message = "w";
  warn_sink.on_event(e);
  EXPECT_EQ(messages(), std::vector<std::string>{"w"});
  EXPECT_EQ(warn_sink.total_held_back(), 0u);
}

// ---------------------------------------------------------------------------
// SpdlogEventSink: the host's own logger

TEST(SpdlogEventSink, HandsTheEventJsonLineToTheHostLoggerAtItsLevelAndTime) {
  auto capture = std::make_shared<CaptureSink>();
  auto logger = std::make_shared<spdlog::logger>("host", capture);
  logger->set_level(spdlog::level::trace);
  SpdlogEventSink sink(logger);
  sink.on_event(sample_event());
  ASSERT_EQ(capture->lines.size(), 1u);
  EXPECT_EQ(capture->lines[0].level, spdlog::level::err);
  EXPECT_EQ(capture->lines[0].time, sample_event().time);
  EXPECT_EQ(capture->lines[0].payload, format_event_json(sample_event()));
}

TEST(SpdlogEventSink, HandsTheHeartbeatJsonRecordAtInfo) {
  auto capture = std::make_shared<CaptureSink>();
  auto logger = std::make_shared<spdlog::logger>("host", capture);
  SpdlogEventSink sink(logger);
  sink.on_heartbeat(sample_heartbeat());
  ASSERT_EQ(capture->lines.size(), 1u);
  EXPECT_EQ(capture->lines[0].level, spdlog::level::info);
  EXPECT_EQ(Json::parse(capture->lines[0].payload), kSampleHeartbeatJson);
}

TEST(SpdlogEventSink, BelowTheLoggerLevelNothingIsLogged) {
  auto capture = std::make_shared<CaptureSink>();
  auto logger = std::make_shared<spdlog::logger>("host", capture);
  logger->set_level(spdlog::level::warn);
  SpdlogEventSink sink(logger);
  GovernanceEvent e = sample_event();
  e.level = spdlog::level::info;
  sink.on_event(e);
  sink.on_heartbeat(sample_heartbeat());
  EXPECT_TRUE(capture->lines.empty());
  e.level = spdlog::level::warn;
  sink.on_event(e);
  EXPECT_EQ(capture->lines.size(), 1u);
}

TEST(SpdlogEventSink, ANullLoggerIsRefused) {
  EXPECT_THROW(SpdlogEventSink(nullptr), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// FanOutSink

TEST(FanOutSink, EveryRecordReachesEverySinkInOrder) {
  std::vector<std::string> order;
  auto a = std::make_shared<RecordingSink>("a", &order);
  auto b = std::make_shared<RecordingSink>("b", &order);
  FanOutSink fan({a, nullptr, b});
  fan.on_event(sample_event());
  fan.on_heartbeat(sample_heartbeat());
  EXPECT_EQ(order, (std::vector<std::string>{"a:event", "b:event", "a:heartbeat", "b:heartbeat"}));
  ASSERT_EQ(b->events.size(), 1u);
  EXPECT_EQ(b->events[0].symbol, "GOOG");
  ASSERT_EQ(b->heartbeats.size(), 1u);
  EXPECT_EQ(b->heartbeats[0].model_errors, 574u);
}

// ---------------------------------------------------------------------------
// make_governance_logger

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
    logger->on_event(e);
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

TEST_F(GovernanceLoggerTest, HeartbeatGoesToLiveOnly) {
  auto logger = make_governance_logger(options(), clock);
  logger->on_heartbeat(sample_heartbeat());
  const auto live = read_lines(options().logs_dir / "live.jsonl");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(Json::parse(live[0]), kSampleHeartbeatJson);
  EXPECT_TRUE(read_lines(options().logs_dir / "errors.jsonl").empty());
}

TEST_F(GovernanceLoggerTest, ALevelAboveInfoAlsoFiltersTheFiles) {
  LoggerOptions o = options();
  o.level = spdlog::level::warn;
  auto logger = make_governance_logger(o, clock);
  GovernanceEvent e = sample_event();
  e.level = spdlog::level::info;
  logger->on_event(e);
  logger->on_heartbeat(sample_heartbeat());
  e.level = spdlog::level::warn;
  logger->on_event(e);
  const auto live = read_lines(o.logs_dir / "live.jsonl");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(Json::parse(live[0])["level"], "WARNING");
}

TEST_F(GovernanceLoggerTest, EventInLiveLogParsesBackWithEveryField) {
  auto logger = make_governance_logger(options(), clock);
  logger->on_event(sample_event());
  const auto lines = read_lines(options().logs_dir / "live.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  const Json j = Json::parse(lines[0]);
  EXPECT_EQ(j["ts"], "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(j["component"], "ML_GOVERNANCE");
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["model"], "ml_v1");
  EXPECT_EQ(j["symbol"], "GOOG");
  EXPECT_EQ(j["status"], "DISABLED_BY_GOVERNANCE");
  EXPECT_EQ(j["reason"], "FEATURE_MISMATCH");
  EXPECT_EQ(j["ml_state"], "DISABLED_GOVERNANCE");
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
    logger->on_event(e);
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

}  // namespace
}  // namespace mlgov
