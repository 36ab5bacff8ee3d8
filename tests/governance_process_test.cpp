// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Governance across real processes: engines (tests/governance_engine_process)
// that restart, share one state file, and meet the operator's `mlgov`
// binary. Each engine is a real GovernedPredictor over a real XGBoost model;
// the wall clock of a run is shifted by an option, never by sleeping. Waits
// poll with a deadline (the watcher's promise is "within a second").
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "io/read_file.h"
#include "mlgov/atomic_file.h"
#include "mlgov/governance.h"
#include "predictor_fixture.h"

using mlgov::internal::read_file;

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

std::string q(const std::string& s) { return "'" + s + "'"; }

// One engine process driven line by line through its stdin and stdout;
// stderr (the predictor's default JSON-lines logger) goes to a file.
class Engine {
 public:
  Engine(const std::vector<std::string>& args, const std::filesystem::path& stderr_file) {
    int in[2], out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(err, 2);
      ::close(in[1]);
      ::close(out[0]);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~Engine() {
    if (pid_ > 0) {
      ::close(to_);  // end of input: the engine exits
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    ::close(from_);
  }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Sends one command and returns its one-line answer ("" after 10 s).
  std::string ask(const std::string& command) {
    const std::string line = command + "\n";
    if (::write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return "";
    std::string answer;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        answer = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return answer;
      }
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char chunk[4096];
        const ssize_t n = ::read(from_, chunk, sizeof chunk);
        if (n <= 0) return "";
        buffer_.append(chunk, static_cast<std::size_t>(n));
      }
    }
    return "";
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string buffer_;
};

// Polls `ask` until it returns something containing `want` (the watcher
// takes changes in every 200 ms; the promise is one second).
std::string wait_for(Engine& e, const std::string& command, const std::string& want) {
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  std::string got;
  while (std::chrono::steady_clock::now() < deadline) {
    got = e.ask(command);
    if (got.find(want) != std::string::npos) return got;
    std::this_thread::sleep_for(50ms);
  }
  return got;
}

struct GovernanceProcesses : ::testing::Test {
  TempDir dir;
  std::filesystem::path models = dir / "models";
  std::filesystem::path state = dir / "runtime" / "governance_state.json";

  void SetUp() override {
    if (testing::cli_path().empty()) GTEST_SKIP() << "the mlgov tool is not built";
    std::filesystem::create_directories(models);
    testing::install_model(models, "GOOG");
  }
  std::vector<std::string> engine_args(long long wall_offset_seconds = 0) const {
    return {MLGOV_ENGINE_PROCESS_PATH,
            "--contracts",
            (testing::source_dir() / "contracts").string(),
            "--models",
            models.string(),
            "--state",
            state.string(),
            "--wall-offset-seconds",
            std::to_string(wall_offset_seconds)};
  }
  // One engine run: starts, runs `commands`, exits. Returns its stdout.
  std::string run_once(long long wall_offset_seconds, const std::string& commands,
                       const std::string& extra = "") {
    std::string cmd;
    for (const auto& a : engine_args(wall_offset_seconds)) cmd += q(a) + " ";
    std::string out;
    // The group keeps the engine's stderr (its log) out of the captured stdout.
    EXPECT_EQ(
        testing::run_command(
            "{ " + cmd + extra + " " + commands + " 2>>" + q((dir / "err").string()) + "; }", &out),
        0)
        << out;
    return out;
  }
  std::string mlgov(const std::string& args) {
    std::string out;
    last_rc = testing::run_command(q(testing::cli_path()) + " governance " + args, &out);
    return out;
  }
  int last_rc = -1;
  std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (const auto& h : read_governance_state(state).history) out.push_back(h.event);
    return out;
  }
};

// Three runs, each recording one failure and exiting, 100 s apart: the third
// run's failure makes three inside 300 s, so it latches.
TEST_F(GovernanceProcesses, ThreeRunsInARowEachFailingOnceInsideTheWindowLatch) {
  EXPECT_EQ(run_once(0, "fail state"), "NON_FINITE_FEATURE\nstate=ENABLED|OK\n");
  EXPECT_EQ(run_once(100, "fail state"), "NON_FINITE_FEATURE\nstate=ENABLED|OK\n");
  EXPECT_EQ(run_once(200, "fail state"), "NON_FINITE_FEATURE\nstate=DISABLED_GOVERNANCE\n");
  EXPECT_TRUE(read_governance_state(state).disabled);
  // A fourth run starts latched.
  EXPECT_EQ(run_once(210, "state"), "state=DISABLED_GOVERNANCE\n");
}

// The same three runs 200 s apart: any 300 s window holds two of them.
TEST_F(GovernanceProcesses, RunsSpacedWiderThanTheWindowNeverLatch) {
  EXPECT_EQ(run_once(0, "fail state"), "NON_FINITE_FEATURE\nstate=ENABLED|OK\n");
  EXPECT_EQ(run_once(200, "fail state"), "NON_FINITE_FEATURE\nstate=ENABLED|OK\n");
  EXPECT_EQ(run_once(400, "fail state"), "NON_FINITE_FEATURE\nstate=ENABLED|OK\n");
  EXPECT_EQ(run_once(600, "fail state"), "NON_FINITE_FEATURE\nstate=ENABLED|OK\n");
  EXPECT_FALSE(read_governance_state(state).disabled);
}

// The clock went back an hour across a restart: the earlier failures now lie
// in the future. They count (fail safe), so the third failure latches.
TEST_F(GovernanceProcesses, FailuresFromBeforeAClockStepBackStillCount) {
  run_once(3600, "fail");
  run_once(3700, "fail");
  EXPECT_EQ(run_once(0, "fail state"), "NON_FINITE_FEATURE\nstate=DISABLED_GOVERNANCE\n");
}

// Two engines on one file: A latches, B follows at its next heartbeat; the
// operator's `mlgov governance reenable` and `disable` reach both without a
// restart; the history holds every record in order.
TEST_F(GovernanceProcesses, TwoEnginesFollowEachOtherAndTheOperatorWithoutRestarting) {
  Engine a(engine_args(), dir / "a.err");
  ASSERT_EQ(a.ask("state"), "state=ENABLED|OK");
  Engine b(engine_args(), dir / "b.err");
  ASSERT_EQ(b.ask("state"), "state=ENABLED|OK");

  EXPECT_EQ(a.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a.ask("state"), "state=DISABLED_GOVERNANCE");
  // B's next heartbeat shows A's latch (heartbeat() checks the file itself).
  EXPECT_NE(b.ask("heartbeat").find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
  EXPECT_EQ(b.ask("predict"), "GOVERNANCE_DISABLED");

  mlgov("reenable --state-file " + q(state.string()) + " --operator alice --reason 'INC-1 fixed'");
  ASSERT_EQ(last_rc, 0);
  EXPECT_NE(a.ask("heartbeat").find("ml_state=ENABLED|OK"), std::string::npos);
  // B without a heartbeat: its watcher takes the change in within a second.
  EXPECT_EQ(wait_for(b, "state", "ENABLED|OK"), "state=ENABLED|OK");
  EXPECT_EQ(a.ask("predict"), "OK");
  EXPECT_EQ(b.ask("predict"), "OK");

  mlgov("disable --state-file " + q(state.string()) + " --operator bob --reason 'INC-2 feed'");
  ASSERT_EQ(last_rc, 0);
  EXPECT_EQ(wait_for(a, "state", "DISABLED_GOVERNANCE"), "state=DISABLED_GOVERNANCE");
  EXPECT_NE(b.ask("heartbeat").find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
  EXPECT_EQ(a.ask("predict"), "GOVERNANCE_DISABLED");

  EXPECT_EQ(events(), (std::vector<std::string>{"STARTED", "STARTED", "DISABLED_BY_GOVERNANCE",
                                                "REENABLED", "DISABLED_BY_OPERATOR"}));
  const GovernanceRecord r = read_governance_state(state);
  EXPECT_EQ(r.history[3].operator_name, "alice");
  EXPECT_EQ(r.history[4].operator_name, "bob");
  EXPECT_EQ(r.reason, "disabled by operator bob: INC-2 feed");
  mlgov("status --state-file " + q(state.string()));
  EXPECT_EQ(last_rc, 1);
}

// Failures of two engines add up in the file's shared window.
TEST_F(GovernanceProcesses, FailuresOfTwoEnginesShareTheWindow) {
  Engine a(engine_args(), dir / "a.err");
  Engine b(engine_args(), dir / "b.err");
  EXPECT_EQ(a.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(b.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a.ask("state"), "state=DISABLED_GOVERNANCE");
  EXPECT_NE(b.ask("heartbeat").find("ml_state=DISABLED_GOVERNANCE"), std::string::npos);
}

// Without a logger the predictor is not silent: a missing state file is a
// WARNING on stderr, as a JSON line, and the file is created at once.
TEST_F(GovernanceProcesses, FirstStartWarnsOnStderrAndCreatesTheFile) {
  run_once(0, "state");
  const std::string err = read_file(dir / "err");
  EXPECT_NE(err.find("\"level\":\"WARNING\""), std::string::npos) << err;
  EXPECT_NE(err.find("no governance state at " + state.string() +
                     ": starting enabled with an empty history; expected only on a first start"),
            std::string::npos)
      << err;
  EXPECT_EQ(events(), std::vector<std::string>{"STARTED"});
  run_once(0, "state");
  EXPECT_EQ(read_file(dir / "err").find("no governance state", err.size()), std::string::npos);
}

// A read-only state directory when the latch trips: ML stops in the process
// anyway and the error says the latch could not be persisted; a restart
// meanwhile starts disabled (STATE_NOT_WRITABLE); once the directory is
// writable again the running engine writes the latch it held.
TEST_F(GovernanceProcesses, ReadOnlyStateDirectoryLosesNoLatch) {
  auto args = engine_args();
  args.push_back("--drop-dac-override");  // so that root meets the permissions too
  Engine a(args, dir / "a.err");
  ASSERT_EQ(a.ask("state"), "state=ENABLED|OK");
  std::filesystem::permissions(state.parent_path(), std::filesystem::perms(0555));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.ask("fail"), "NON_FINITE_FEATURE");
  EXPECT_EQ(a.ask("state"), "state=DISABLED_GOVERNANCE");
  EXPECT_FALSE(read_governance_state(state).disabled);  // not written
  const std::string err = read_file(dir / "a.err");
  EXPECT_NE(err.find("the governance latch could not be persisted to " + state.string()),
            std::string::npos)
      << err;

  EXPECT_EQ(run_once(0, "state", "--drop-dac-override"), "state=DISABLED_GOVERNANCE\n");
  EXPECT_NE(read_file(dir / "err").find("STATE_NOT_WRITABLE"), std::string::npos);

  std::filesystem::permissions(state.parent_path(), std::filesystem::perms(0755));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!read_governance_state(state).disabled && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(read_governance_state(state).disabled);
  EXPECT_EQ(last_disabling_event(read_governance_state(state)), "DISABLED_BY_GOVERNANCE");
}

// A state file replaced by a symlink (here to a valid, enabled file) is
// refused: the engine starts disabled, loudly, and `status` agrees (exit 2).
TEST_F(GovernanceProcesses, SymlinkedStateFileIsRefusedByEngineAndStatusAlike) {
  std::filesystem::create_directories(state.parent_path());
  write_governance_state(dir / "other.json", GovernanceRecord{});
  std::filesystem::create_symlink(dir / "other.json", state);
  EXPECT_EQ(run_once(0, "state predict"), "state=DISABLED_GOVERNANCE\nGOVERNANCE_DISABLED\n");
  const std::string err = read_file(dir / "err");
  EXPECT_NE(err.find("\"level\":\"CRITICAL\""), std::string::npos) << err;
  EXPECT_NE(err.find("is a symbolic link; refused"), std::string::npos) << err;
  const std::string out = mlgov("status --state-file " + q(state.string()));
  EXPECT_EQ(last_rc, 2) << out;
  EXPECT_NE(out.find("is a symbolic link; refused"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::is_symlink(state));  // left alone
}

}  // namespace
}  // namespace mlgov
