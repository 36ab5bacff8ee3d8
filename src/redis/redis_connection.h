// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// A thin owner of one hiredis connection: connect with a timeout, AUTH,
// SELECT, one command at a time, and the non-blocking reads of a subscriber.
// Private to mlgov::redis (the only place that includes hiredis).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mlgov/config.h"
#include "mlgov/governance.h"
#include "mlgov/governance_store.h"

struct redisContext;
struct redisReply;

namespace mlgov::internal {

// Where a scope lives and how to reach it (the password never leaves here
// except in the AUTH command).
struct RedisEndpoint {
  std::string url;  // as configured, "redis://host:port/db" (no credentials)
  std::string host;
  int port = 6379;
  int db = 0;
  std::string scope;
  std::string password;      // "" = no AUTH
  std::string password_env;  // the variable's NAME, for messages
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{500};
  // "redis redis://host:port/db scope S": messages and describe().
  std::string describe() const;
};

// Builds the endpoint of config.governance.redis (reads the password from
// the environment). Throws ConfigError naming the file and field.
RedisEndpoint redis_endpoint_from_config(const Config& config);

// The server refused the credentials (WRONGPASS, NOAUTH, invalid password):
// never a reason to think the store is merely unreachable.
class RedisAuthError : public GovernanceStateError {
 public:
  using GovernanceStateError::GovernanceStateError;
};

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const noexcept;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// Threading: one thread at a time.
class RedisConnection {
 public:
  // Connects (connect_timeout), sets the command timeout, AUTHs when a
  // password is set, SELECTs the db. Throws StoreUnavailableError naming the
  // endpoint and the cause, RedisAuthError for refused credentials.
  explicit RedisConnection(const RedisEndpoint& endpoint);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits for its reply (command_timeout). Throws
  // StoreUnavailableError on an I/O error or timeout (the connection is then
  // unusable). An error reply is returned as it is (type REDIS_REPLY_ERROR).
  RedisReplyPtr command(const std::vector<std::string>& args);

  // The socket, for poll() (subscriber use).
  int fd() const noexcept;
  // Reads what the socket holds (call after poll() says readable). Throws
  // StoreUnavailableError when the connection is closed or broken.
  void read_available();
  // The next complete reply already read, or null.
  RedisReplyPtr next_buffered_reply();

 private:
  [[noreturn]] void throw_io(const char* what);
  const RedisEndpoint& endpoint_;
  redisContext* context_ = nullptr;
};

// An error reply's text, "" for other replies.
std::string reply_error(const redisReply* reply);

}  // namespace mlgov::internal
