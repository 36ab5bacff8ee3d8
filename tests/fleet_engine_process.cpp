// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// A test-only engine process for the fleet tests (tests/fleet_*_test.cpp):
// a real GovernedPredictor over a real XGBoost model, configured by a YAML
// file as a live engine is, so that several processes on one governance
// store (governance.store: redis, one scope) meet each other, the operator's
// `mlgov` binary and a real redis-server.
//
// Usage: fleet_engine_process --config FILE [--name NAME] [--events FILE]
//                             [--symbol SYM] [COMMAND...]
// The config names the models (paths.models_dir, which must hold SYM's
// model; default GOOG) and the store. With governance.store: redis the
// process passes make_redis_governance_store(config, clock) to the predictor,
// as a host linking mlgov::redis does.
// Commands (from the arguments, in order; with none, one per line from stdin,
// each answered by one line on stdout):
//   fail       one governance failure (a NaN feature for SYM): prints its status
//   predict    one good prediction for SYM: prints its status
//   heartbeat  prints the line heartbeat() returns
//   state      prints state=<MlState>
//   quit       exits (end of input too)
// --events FILE: every state change the predictor reports (its
// StateListener) is appended to FILE as one line
//   <unix ns> <NAME> <old state> -> <new state> | <reason>
// the moment it is reported, so a test can read when each engine learnt of a
// change. The predictor has no logger: its default (WARNING and up, JSON
// lines on stderr) is what a test reads. Exit code 0; 2 for bad usage or a
// config the predictor refuses (the error on stderr).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/feature_contract.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/ml_state.h"
#include "mlgov/redis_governance_store.h"

namespace {

// Appends each state change, stamped with the wall clock in ns, to a file.
class EventFile final : public mlgov::StateListener {
 public:
  EventFile(std::string name, const std::string& path) : name_(std::move(name)) {
    if (!path.empty()) file_ = std::fopen(path.c_str(), "a");
  }
  ~EventFile() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;
  bool failed_to_open(const std::string& path) const { return !path.empty() && file_ == nullptr; }

  void on_state_change(mlgov::MlState old_state, mlgov::MlState new_state,
                       std::string_view reason) noexcept override {
    const long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    if (file_ == nullptr) return;
    const std::string_view from = mlgov::to_string(old_state);
    const std::string_view to = mlgov::to_string(new_state);
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(file_, "%lld %s %.*s -> %.*s | %.*s\n", ns, name_.c_str(),
                 static_cast<int>(from.size()), from.data(), static_cast<int>(to.size()), to.data(),
                 static_cast<int>(reason.size()), reason.data());
    std::fflush(file_);
  }

 private:
  std::string name_;
  std::mutex mu_;
  std::FILE* file_ = nullptr;
};

int run(const std::string& config_file, const std::string& name, const std::string& events,
        const std::string& symbol, const std::vector<std::string>& commands) {
  const mlgov::Config config = mlgov::load_config(config_file);
  const mlgov::FeatureContract contract =
      mlgov::load_feature_contract(config.contract, config.paths.contracts_dir);
  EventFile event_file(name, events);
  if (event_file.failed_to_open(events)) {
    std::fprintf(stderr, "%s: cannot open\n", events.c_str());
    return 2;
  }
  auto clock = std::make_shared<mlgov::SystemClock>();
  mlgov::PredictorOptions options;
  options.clock = clock;
  options.listener = &event_file;
  if (config.governance.store == mlgov::GovernanceConfig::Store::kRedis) {
    options.governance_store = mlgov::make_redis_governance_store(config, clock);
  }
  mlgov::GovernedPredictor predictor(config, contract, options);
  std::printf("ready state=%s\n", std::string(mlgov::to_string(predictor.state())).c_str());

  const auto schema = contract.schema();
  std::vector<float> good(schema->size(), 0.5f);
  std::vector<float> bad = good;
  bad[0] = std::numeric_limits<float>::quiet_NaN();
  const auto status = [&](const std::vector<float>& row) {
    return std::string(mlgov::to_string(predictor.try_predict(symbol, {schema.get(), row}).status));
  };
  const auto execute = [&](const std::string& command) {
    if (command == "fail") {
      std::printf("%s\n", status(bad).c_str());
    } else if (command == "predict") {
      std::printf("%s\n", status(good).c_str());
    } else if (command == "heartbeat") {
      std::printf("%s\n", predictor.heartbeat(std::chrono::seconds(1), 1, 1).c_str());
    } else if (command == "state") {
      std::printf("state=%s\n", std::string(mlgov::to_string(predictor.state())).c_str());
    } else {
      std::printf("unknown command %s\n", command.c_str());
    }
  };
  if (!commands.empty()) {
    for (const auto& c : commands) execute(c);
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") execute(line);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file, name = "engine", events, symbol = "GOOG";
  std::vector<std::string> commands;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") {
      config_file = value();
    } else if (a == "--name") {
      name = value();
    } else if (a == "--events") {
      events = value();
    } else if (a == "--symbol") {
      symbol = value();
    } else {
      commands.push_back(a);
    }
  }
  if (config_file.empty()) {
    std::fprintf(stderr, "usage: %s --config FILE [--name N] [--events FILE] ...\n", argv[0]);
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    return run(config_file, name, events, symbol, commands);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fleet_engine_process: error: %s\n", e.what());
    return 2;
  }
}
