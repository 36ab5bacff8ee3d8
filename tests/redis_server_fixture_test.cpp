// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The redis-server test fixture itself: what the Redis store's tests rely on.
#include "redis_server_fixture.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>

namespace mlgov::testing {
namespace {

TEST(RedisServerFixture, StartsOnLoopbackAndAnswers) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  EXPECT_GT(server.port(), 0);
  EXPECT_EQ(server.url(), "redis://127.0.0.1:" + std::to_string(server.port()) + "/0");
  EXPECT_EQ(server.cli({"PING"}), "PONG");
  EXPECT_EQ(server.cli({"CONFIG", "GET", "bind"}), "bind\n127.0.0.1");
}

TEST(RedisServerFixture, TwoServersGetDifferentPortsAndDirectories) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer a;
  RedisServer b;
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.dir(), b.dir());
  a.cli({"SET", "k", "a"});
  EXPECT_EQ(b.cli({"EXISTS", "k"}), "0");
}

TEST(RedisServerFixture, AppendonlyDataSurvivesKill9AndRestartOnTheSamePort) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.appendonly = true;
  RedisServer server(options);
  const int port = server.port();
  server.cli({"SET", "latched", "yes"});
  server.kill9();
  EXPECT_FALSE(server.running());
  server.restart();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.cli({"GET", "latched"}), "yes");
}

TEST(RedisServerFixture, WithoutAppendonlyNothingSurvivesARestart) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  server.cli({"SET", "latched", "yes"});
  server.stop();
  server.restart();
  EXPECT_EQ(server.cli({"EXISTS", "latched"}), "0");
}

TEST(RedisServerFixture, RequirepassRefusesCommandsWithoutThePassword) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServerOptions options;
  options.password = "s3cret";
  RedisServer server(options);
  EXPECT_EQ(server.cli({"PING"}), "PONG");  // cli() authenticates
  std::string output;
  run_command("redis-cli -h 127.0.0.1 -p " + std::to_string(server.port()) + " PING", &output);
  EXPECT_NE(output.find("NOAUTH"), std::string::npos) << output;
}

TEST(RedisServerFixture, SigstopFreezesAndSigcontThaws) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  RedisServer server;
  server.sigstop();
  std::string output;
  // A frozen server accepts the connection (the kernel does) but never
  // answers: timeout(1) ends redis-cli with status 124.
  const int status = run_command(
      "timeout 2 redis-cli -h 127.0.0.1 -p " + std::to_string(server.port()) + " PING", &output);
  EXPECT_EQ(status, 124) << output;
  server.sigcont();
  EXPECT_EQ(server.cli({"PING"}), "PONG");
}

TEST(RedisServerFixture, DestructorRemovesTheDirectoryAndEndsTheProcess) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  std::filesystem::path dir;
  pid_t pid = 0;
  {
    RedisServer server;
    dir = server.dir();
    pid = server.pid();
    EXPECT_TRUE(std::filesystem::exists(dir));
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: no such process
}

}  // namespace
}  // namespace mlgov::testing
