// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace mlgov::internal {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool is_auth_error(std::string_view error) {
  return error.starts_with("WRONGPASS") || error.starts_with("NOAUTH") ||
         error.starts_with("ERR invalid password") || error.starts_with("ERR AUTH") ||
         error.starts_with("ERR Client sent AUTH");
}

[[noreturn]] void config_error(const Config& config, std::string_view field,
                               const std::string& rule) {
  const std::string where = config.source.empty() ? std::string("config") : config.source.string();
  throw ConfigError(fmt::format("{}: governance.redis.{}: {}", where, field, rule));
}

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string RedisEndpoint::describe() const { return fmt::format("redis {} scope {}", url, scope); }

RedisEndpoint redis_endpoint_from_config(const Config& config) {
  const RedisStoreConfig& rc = config.governance.redis;
  RedisEndpoint ep;
  constexpr std::string_view kScheme = "redis://";
  std::string_view url = rc.url;
  if (url.find('@') != std::string_view::npos) {
    // Checked before the scheme, and never echoed: it may hold a password.
    config_error(config, "url",
                 "a user or password in the URL is refused (the URL is not repeated here): name "
                 "the environment variable holding the password in governance.redis.password_env");
  }
  if (!url.starts_with(kScheme)) {
    config_error(config, "url", fmt::format("'{}' is not a redis://host[:port][/db] URL", rc.url));
  }
  std::string_view rest = url.substr(kScheme.size());
  std::string_view db_part;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    db_part = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest;
  // The port's colon: after the closing bracket of an IPv6 address ([::1]:6379).
  const auto bracket = rest.starts_with('[') ? rest.find(']') : std::string_view::npos;
  const auto colon = rest.find(':', bracket == std::string_view::npos ? 0 : bracket);
  if (colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    if (!parse_int(rest.substr(colon + 1), ep.port) || ep.port < 1 || ep.port > 65535) {
      config_error(config, "url",
                   fmt::format("'{}': the port must be a number in 1..65535", rc.url));
    }
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // an IPv6 address: [::1]:6379
  }
  if (host.empty()) config_error(config, "url", fmt::format("'{}': no host", rc.url));
  if (!db_part.empty() && (!parse_int(db_part, ep.db) || ep.db < 0)) {
    config_error(config, "url", fmt::format("'{}': the database must be a number >= 0", rc.url));
  }
  ep.host = std::string(host);
  ep.url = ep.host.find(':') == std::string::npos
               ? fmt::format("redis://{}:{}/{}", ep.host, ep.port, ep.db)
               : fmt::format("redis://[{}]:{}/{}", ep.host, ep.port, ep.db);

  if (rc.scope.empty() || rc.scope.size() > 64 ||
      rc.scope.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos) {
    config_error(config, "scope",
                 fmt::format("'{}' must be 1 to 64 characters of A-Z a-z 0-9 _ . -", rc.scope));
  }
  ep.scope = rc.scope;
  if (rc.connect_timeout_ms < 1) config_error(config, "connect_timeout_ms", "must be >= 1");
  if (rc.command_timeout_ms < 1) config_error(config, "command_timeout_ms", "must be >= 1");
  if (rc.sync_interval_ms < 1) config_error(config, "sync_interval_ms", "must be >= 1");
  if (!(rc.grace_seconds >= 0)) config_error(config, "grace_seconds", "must be >= 0");
  ep.connect_timeout = std::chrono::milliseconds(rc.connect_timeout_ms);
  ep.command_timeout = std::chrono::milliseconds(rc.command_timeout_ms);
  ep.password_env = rc.password_env;
  if (!rc.password_env.empty()) {
    const std::string& name = rc.password_env;
    const bool is_name = (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                         });
    if (!is_name) {
      // Never quoted: a config built in code may carry the password itself here.
      config_error(config, "password_env",
                   "is not a variable name ([A-Za-z_][A-Za-z0-9_]*; the value is not repeated "
                   "here)");
    }
    const char* value = std::getenv(rc.password_env.c_str());
    if (value == nullptr || *value == '\0') {
      config_error(config, "password_env",
                   fmt::format("names the environment variable {}, which is not set (or empty)",
                               rc.password_env));
    }
    ep.password = value;
  }
  return ep;
}

void RedisReplyDeleter::operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }

std::string reply_error(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR) return "";
  return std::string(reply->str, reply->len);
}

RedisConnection::RedisConnection(const RedisEndpoint& endpoint) : endpoint_(endpoint) {
  context_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                     to_timeval(endpoint_.connect_timeout));
  if (context_ == nullptr) {
    throw StoreUnavailableError(
        fmt::format("{}: cannot connect: out of memory", endpoint_.describe()));
  }
  if (context_->err != 0) {
    const std::string cause = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    throw StoreUnavailableError(fmt::format("{}: cannot connect: {}", endpoint_.describe(), cause));
  }
  redisSetTimeout(context_, to_timeval(endpoint_.command_timeout));
  try {
    if (!endpoint_.password.empty()) {
      const auto reply = command({"AUTH", endpoint_.password});
      const std::string error = reply_error(reply.get());
      if (!error.empty()) {
        throw RedisAuthError(fmt::format("{}: the server refused the password from ${}: {}",
                                         endpoint_.describe(), endpoint_.password_env, error));
      }
    }
    // SELECT also checks that the server answers at all (a stopped server
    // accepts the TCP connection in its kernel backlog and then says
    // nothing) and that no password is missing (NOAUTH).
    const auto reply = command({"SELECT", std::to_string(endpoint_.db)});
    const std::string error = reply_error(reply.get());
    if (is_auth_error(error)) {
      throw RedisAuthError(fmt::format("{}: {}{}", endpoint_.describe(), error,
                                       endpoint_.password_env.empty()
                                           ? " (no password configured: set "
                                             "governance.redis.password_env)"
                                           : ""));
    }
    if (!error.empty()) {
      throw StoreUnavailableError(
          fmt::format("{}: SELECT {} refused: {}", endpoint_.describe(), endpoint_.db, error));
    }
  } catch (...) {
    redisFree(context_);
    context_ = nullptr;
    throw;
  }
}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) redisFree(context_);
}

void RedisConnection::throw_io(const char* what) {
  std::string cause = context_->errstr;
  if (context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    cause = fmt::format("no answer within {} ms (governance.redis.command_timeout_ms)",
                        endpoint_.command_timeout.count());
  }
  if (cause.empty()) cause = "connection lost";
  throw StoreUnavailableError(fmt::format("{}: {}: {}", endpoint_.describe(), what, cause));
}

RedisReplyPtr RedisConnection::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  errno = 0;
  void* raw =
      redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (raw == nullptr) throw_io(args.empty() ? "command" : args.front().c_str());
  RedisReplyPtr reply(static_cast<redisReply*>(raw));
  return reply;
}

int RedisConnection::fd() const noexcept { return context_->fd; }

void RedisConnection::read_available() {
  errno = 0;
  if (redisBufferRead(context_) != REDIS_OK) throw_io("subscription");
}

RedisReplyPtr RedisConnection::next_buffered_reply() {
  void* raw = nullptr;
  if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) throw_io("subscription");
  return RedisReplyPtr(static_cast<redisReply*>(raw));
}

}  // namespace mlgov::internal
