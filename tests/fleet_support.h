// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Shared by the fleet tests (tests/fleet_*_test.cpp): engine processes
// (tests/fleet_engine_process.cpp) driven line by line, the YAML config of an
// engine on a Redis scope, the `mlgov` tool, and the scope's history stream
// read back with redis-cli (as an operator would).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace mlgov::testing {

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// What goes into an engine's config besides the server and the scope.
struct FleetConfigOptions {
  std::string url;    // redis://127.0.0.1:PORT/0
  std::string scope;  // the shared latch's name
  int max_failures = 3;
  int window_seconds = 300;
  int grace_seconds = 30;
  int sync_interval_ms = 100;
  std::string password_env;    // "" : no password
  std::string on_unavailable;  // "" : the default
};

// A complete engine config (ML on, the shipped contract, `models` holding
// the models) on the Redis store.
inline std::string fleet_config_yaml(const std::filesystem::path& models,
                                     const std::filesystem::path& logs,
                                     const FleetConfigOptions& o) {
  std::string y;
  y += "features:\n  ml_enabled: true\n  contract: ml_v1\n";
  y += "predictor:\n  backend: auto\n";
  y += "governance:\n";
  y += "  max_failures: " + std::to_string(o.max_failures) + "\n";
  y += "  window_seconds: " + std::to_string(o.window_seconds) + "\n";
  y += "  store: redis\n";
  y += "  redis:\n";
  y += "    url: \"" + o.url + "\"\n";
  y += "    scope: \"" + o.scope + "\"\n";
  y += "    connect_timeout_ms: 500\n";
  y += "    command_timeout_ms: 500\n";
  y += "    sync_interval_ms: " + std::to_string(o.sync_interval_ms) + "\n";
  y += "    grace_seconds: " + std::to_string(o.grace_seconds) + "\n";
  if (!o.on_unavailable.empty()) y += "    on_unavailable: " + o.on_unavailable + "\n";
  if (!o.password_env.empty()) y += "    password_env: " + o.password_env + "\n";
  y += "paths:\n";
  y += "  contracts_dir: \"" + (source_dir() / "contracts").string() + "\"\n";
  y += "  models_dir: \"" + models.string() + "\"\n";
  y += "  logs_dir: \"" + logs.string() + "\"\n";
  return y;
}

// One fleet_engine_process driven through its stdin and stdout; its stderr
// (the predictor's default JSON-lines logger) goes to a file. The engine
// prints "ready state=..." once its predictor is built: the constructor
// waits for that line (10 s) and keeps it in ready_line().
class FleetEngine {
 public:
  FleetEngine(const std::vector<std::string>& args, const std::filesystem::path& stderr_file,
              const std::vector<std::pair<std::string, std::string>>& env = {}) {
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
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
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
    ready_ = read_line(std::chrono::seconds(10));
  }
  ~FleetEngine() {
    if (pid_ > 0) {
      ::close(to_);  // end of input: the engine exits
      int status = 0;
      // An engine that does not exit within 10 s is killed: a hung test
      // must not hang the suite.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    ::close(from_);
  }
  FleetEngine(const FleetEngine&) = delete;
  FleetEngine& operator=(const FleetEngine&) = delete;

  // "ready state=<MlState>", or "" when the engine did not get that far.
  const std::string& ready_line() const { return ready_; }

  // Sends one command and returns its one-line answer ("" after 10 s).
  std::string ask(const std::string& command) {
    const std::string line = command + "\n";
    if (::write(to_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return "";
    return read_line(std::chrono::seconds(10));
  }

  // Polls `command` until its answer contains `want` or `within` passes;
  // returns the last answer.
  std::string wait_for(const std::string& command, const std::string& want,
                       std::chrono::milliseconds within = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    std::string got;
    while (true) {
      got = ask(command);
      if (got.find(want) != std::string::npos || std::chrono::steady_clock::now() >= deadline) {
        return got;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::string read_line(std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string answer = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return answer;
      }
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char chunk[4096];
        const ssize_t n = ::read(from_, chunk, sizeof chunk);
        if (n <= 0) return "";
        buffer_.append(chunk, static_cast<std::size_t>(n));
      }
    }
    return "";
  }

  pid_t pid_ = -1;
  int to_ = -1;
  int from_ = -1;
  std::string buffer_;
  std::string ready_;
};

// One entry of a scope's history stream: the stream id and the fields.
struct StreamEntry {
  std::string id;
  nlohmann::json fields;  // {"event": "...", "operator": "...", ...}
};

// XRANGE of `key` through redis-cli (RESP2 as JSON), as an operator reads it.
inline std::vector<StreamEntry> read_stream(int port, const std::string& key,
                                            const std::string& password = "") {
  std::string out;
  const std::string auth = password.empty() ? "" : "REDISCLI_AUTH=" + shell_quote(password) + " ";
  const int rc = run_command(auth + "redis-cli -p " + std::to_string(port) + " -2 --json XRANGE " +
                                 shell_quote(key) + " - + 2>&1",
                             &out);
  if (rc != 0) throw std::runtime_error("redis-cli XRANGE failed: " + out);
  const nlohmann::json j = nlohmann::json::parse(out);
  std::vector<StreamEntry> entries;
  for (const auto& e : j) {
    StreamEntry entry;
    entry.id = e.at(0).get<std::string>();
    const auto& kv = e.at(1);
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
      entry.fields[kv[i].get<std::string>()] = kv[i + 1];
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// A redis-cli command against the server; returns its output (stdout+stderr).
inline std::string redis_cli(int port, const std::string& args, const std::string& password = "") {
  std::string out;
  const std::string auth = password.empty() ? "" : "REDISCLI_AUTH=" + shell_quote(password) + " ";
  run_command(auth + "redis-cli -p " + std::to_string(port) + " " + args + " 2>&1", &out);
  return out;
}

}  // namespace mlgov::testing
