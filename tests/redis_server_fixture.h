// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// A throwaway redis-server for tests: its own process on a free loopback port,
// its own temporary directory, never the system service. Torn down (kill -9,
// directory removed) by the destructor.
//
//   MLGOV_SKIP_WITHOUT_REDIS_SERVER();            // first line of a test
//   mlgov::testing::RedisServer server(options);  // options.appendonly = true
//   ... server.url() ... server.sigstop(); server.sigcont();
//   server.kill9(); server.restart();            // same port, same dir (AOF)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.h"

namespace mlgov::testing {

struct RedisServerOptions {
  // appendonly yes (appendfsync always): what a restart must find again.
  // Otherwise nothing is persisted (--save '' --appendonly no).
  bool appendonly = false;
  // requirepass; empty: no password.
  std::string password;
};

// Threading: one thread (the test's) drives a RedisServer.
class RedisServer {
 public:
  // Starts redis-server and waits until it answers PING (10 s at most).
  // Throws std::runtime_error naming the cause (and the server's log tail)
  // when it does not come up.
  explicit RedisServer(RedisServerOptions options = {});
  // kill -9 (after SIGCONT if stopped), waits for the process, removes the directory.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Whether a `redis-server` executable is on PATH.
  static bool installed();

  int port() const { return port_; }
  // "redis://127.0.0.1:<port>/<db>".
  std::string url(int db = 0) const;
  const std::filesystem::path& dir() const { return dir_.path(); }
  // The running server's pid (0 when not running).
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // SIGTERM and wait (a clean shutdown: the AOF is flushed).
  void stop();
  // SIGKILL and wait: no shutdown work at all.
  void kill9();
  // Freeze and thaw the process: its socket stays open but nothing answers.
  void sigstop();
  void sigcont();
  // Starts the server again on the same port and directory (after stop() or
  // kill9()) and waits until it answers PING. Throws like the constructor.
  void restart();

  // Runs `redis-cli -h 127.0.0.1 -p <port> [-a password] args...` (each arg
  // shell-quoted) and returns its output with the trailing newline removed.
  // Throws std::runtime_error when redis-cli exits non-zero.
  std::string cli(const std::vector<std::string>& args) const;

 private:
  void launch();
  void wait_until_ready(std::chrono::milliseconds timeout);
  bool answers_ping() const;
  void reap(int signal_number);
  std::string log_tail() const;

  RedisServerOptions options_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = 0;
  bool stopped_ = false;  // SIGSTOPped
};

// A loopback TCP port nothing listens on (bound then released, so a race is
// possible in theory; the fixture retries on a port taken meanwhile).
int free_loopback_port();

}  // namespace mlgov::testing

// The first line of a test that needs redis-server: skips with a clear
// message when it is not installed, except under CI=true, where it fails
// (CI installs it: scripts/install-deps.sh).
#define MLGOV_SKIP_WITHOUT_REDIS_SERVER()                                                 \
  do {                                                                                    \
    if (!::mlgov::testing::RedisServer::installed()) {                                    \
      const char* ci = std::getenv("CI");                                                 \
      if (ci != nullptr && std::string(ci) == "true") {                                   \
        FAIL() << "redis-server is not on PATH and CI=true: scripts/install-deps.sh "     \
                  "installs it (package redis-server)";                                   \
      }                                                                                   \
      GTEST_SKIP() << "redis-server is not on PATH: install it (apt-get install "         \
                      "redis-server, or scripts/install-deps.sh) to run the Redis tests"; \
    }                                                                                     \
  } while (false)
