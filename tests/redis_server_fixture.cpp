// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "redis_server_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mlgov::testing {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// A blocking loopback connection with a short timeout; -1 when refused.
int connect_loopback(int port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string resp_command(const std::vector<std::string>& args) {
  std::string out;
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const auto& a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

// Sends one command, returns the first line of the reply ("" on error).
std::string round_trip(int fd, const std::vector<std::string>& args) {
  const std::string request = resp_command(args);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return "";
  std::string reply;
  char buffer[256];
  while (reply.find("\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return "";
    reply.append(buffer, static_cast<std::size_t>(n));
  }
  return reply.substr(0, reply.find("\r\n"));
}

}  // namespace

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool RedisServer::installed() {
  std::string output;
  return run_command("command -v redis-server", &output) == 0;
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    try {
      launch();
      wait_until_ready(std::chrono::seconds(10));
      return;
    } catch (const std::runtime_error& e) {
      last_error = e.what();
      if (pid_ > 0) reap(SIGKILL);
    }
  }
  throw std::runtime_error("redis-server did not start after 5 ports: " + last_error);
}

RedisServer::~RedisServer() {
  if (pid_ > 0) reap(SIGKILL);
}

std::string RedisServer::url(int db) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

void RedisServer::launch() {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir().string(),
                                   "--logfile",
                                   (dir() / "redis.log").string(),
                                   "--daemonize",
                                   "no",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   options_.appendonly ? "yes" : "no",
                                   "--appendfsync",
                                   "always"};
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    // Its own process group: a ctest timeout's signal to the test does not
    // reach it twice, and the test's terminal signals do not either.
    ::setpgid(0, 0);
    // Dies with the test (a crashed test leaves no server behind), and keeps
    // none of the test's output pipes open (it logs to its own file).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      ::dup2(null_fd, 1);
      ::dup2(null_fd, 2);
    }
    ::execvp("redis-server", argv.data());
    std::_Exit(127);
  }
  pid_ = child;
  stopped_ = false;
}

bool RedisServer::answers_ping() const {
  const int fd = connect_loopback(port_, std::chrono::milliseconds(500));
  if (fd < 0) return false;
  bool ok = true;
  if (!options_.password.empty()) ok = round_trip(fd, {"AUTH", options_.password}) == "+OK";
  if (ok) ok = round_trip(fd, {"PING"}) == "+PONG";
  ::close(fd);
  return ok;
}

void RedisServer::wait_until_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                               " exited at start; log: " + log_tail());
    }
    if (answers_ping()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                           " did not answer PING within " + std::to_string(timeout.count()) +
                           " ms; log: " + log_tail());
}

void RedisServer::reap(int signal_number) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal_number);
  if (stopped_) ::kill(pid_, SIGCONT);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  stopped_ = false;
}

void RedisServer::stop() { reap(SIGTERM); }

void RedisServer::kill9() { reap(SIGKILL); }

void RedisServer::sigstop() {
  if (pid_ <= 0) throw std::logic_error("RedisServer::sigstop: not running");
  ::kill(pid_, SIGSTOP);
  stopped_ = true;
}

void RedisServer::sigcont() {
  if (pid_ <= 0) throw std::logic_error("RedisServer::sigcont: not running");
  ::kill(pid_, SIGCONT);
  stopped_ = false;
}

void RedisServer::restart() {
  if (pid_ > 0) throw std::logic_error("RedisServer::restart: still running (stop it first)");
  // The port may still be in TIME_WAIT from the killed server's connections;
  // redis-server sets SO_REUSEADDR, so a retry or two is enough.
  std::string last_error;
  for (int attempt = 0; attempt < 10; ++attempt) {
    try {
      launch();
      wait_until_ready(std::chrono::seconds(10));
      return;
    } catch (const std::runtime_error& e) {
      last_error = e.what();
      if (pid_ > 0) reap(SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  throw std::runtime_error("redis-server did not restart on port " + std::to_string(port_) + ": " +
                           last_error);
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::string command = "redis-cli -h 127.0.0.1 -p " + std::to_string(port_);
  if (!options_.password.empty()) {
    command += " --no-auth-warning -a ";
    command += shell_quote(options_.password);
  }
  for (const auto& a : args) {
    command += ' ';
    command += shell_quote(a);
  }
  std::string output;
  const int status = run_command(command, &output);
  if (status != 0)
    throw std::runtime_error("redis-cli exited " + std::to_string(status) + ": " + output);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

std::string RedisServer::log_tail() const {
  std::ifstream in(dir() / "redis.log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string log = ss.str();
  if (log.size() > 2000) log = log.substr(log.size() - 2000);
  return log.empty() ? "(empty)" : log;
}

}  // namespace mlgov::testing
