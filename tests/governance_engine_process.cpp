// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// A test-only engine process for tests/governance_process_test.cpp: a real
// GovernedPredictor on a state file, driven by commands, so that restarts,
// several engines on one file and the operator's CLI meet real processes.
//
// Usage: governance_engine_process --contracts DIR --models DIR --state FILE
//          [--wall-offset-seconds S] [--drop-dac-override] [COMMAND...]
// Commands (from the arguments, in order; with none, one per line from stdin,
// each answered by one line on stdout):
//   fail       one governance failure (a NaN feature for GOOG): prints its status
//   predict    one good prediction for GOOG: prints its status
//   heartbeat  prints the line heartbeat() returns
//   state      prints state=<MlState>
//   quit       exits (end of input too)
// --wall-offset-seconds shifts the wall clock (the governance window's clock),
// so a test can place a run minutes apart without sleeping.
// --drop-dac-override drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so that
// a test running as root meets file permissions as any other user does.
// The predictor has no logger: its default (WARNING and up, JSON lines on
// stderr) is what a test reads. Exit code 0, or 2 for bad usage.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/feature_contract.h"
#include "mlgov/governed_predictor.h"

namespace {

class OffsetClock final : public mlgov::Clock {
 public:
  explicit OffsetClock(std::chrono::seconds offset) : offset_(offset) {}
  std::chrono::steady_clock::time_point steady_now() const noexcept override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point wall_now() const noexcept override {
    return std::chrono::system_clock::now() + offset_;
  }

 private:
  std::chrono::seconds offset_;
};

bool drop_dac_override() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  for (const int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) {
    data[cap / 32].effective &= ~(1u << (cap % 32));
  }
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string contracts, models, state;
  long long offset = 0;
  bool drop = false;
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
    if (a == "--contracts") {
      contracts = value();
    } else if (a == "--models") {
      models = value();
    } else if (a == "--state") {
      state = value();
    } else if (a == "--wall-offset-seconds") {
      offset = std::stoll(value());
    } else if (a == "--drop-dac-override") {
      drop = true;
    } else {
      commands.push_back(a);
    }
  }
  if (contracts.empty() || models.empty() || state.empty()) {
    std::fprintf(stderr, "usage: %s --contracts DIR --models DIR --state FILE ...\n", argv[0]);
    return 2;
  }
  if (drop && !drop_dac_override()) {
    std::fprintf(stderr, "cannot drop CAP_DAC_OVERRIDE\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  mlgov::Config config;
  config.ml_enabled = true;
  config.contract = "ml_v1";
  config.backend = mlgov::PredictorBackend::kXgboost;
  config.paths.models_dir = models;
  config.governance.state_file = state;
  const mlgov::FeatureContract contract = mlgov::load_feature_contract("ml_v1", contracts);
  mlgov::PredictorOptions options;
  options.clock = std::make_shared<OffsetClock>(std::chrono::seconds(offset));
  mlgov::GovernedPredictor predictor(config, contract, options);

  const auto schema = contract.schema();
  std::vector<float> good(schema->size(), 0.5f);
  std::vector<float> bad = good;
  bad[0] = std::numeric_limits<float>::quiet_NaN();
  const auto run = [&](const std::string& command) {
    if (command == "fail") {
      std::printf(
          "%s\n",
          std::string(mlgov::to_string(predictor.try_predict("GOOG", {schema.get(), bad}).status))
              .c_str());
    } else if (command == "predict") {
      std::printf(
          "%s\n",
          std::string(mlgov::to_string(predictor.try_predict("GOOG", {schema.get(), good}).status))
              .c_str());
    } else if (command == "heartbeat") {
      std::printf("%s\n", predictor.heartbeat(std::chrono::seconds(1), 1, 1).c_str());
    } else if (command == "state") {
      std::printf("state=%s\n", std::string(mlgov::to_string(predictor.state())).c_str());
    } else {
      std::printf("unknown command %s\n", command.c_str());
    }
  };
  if (!commands.empty()) {
    for (const auto& c : commands) run(c);
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line) && line != "quit") run(line);
  return 0;
}
