// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The success path with the Redis governance store vs the file store, paired
// (#13: "the hot path never waits for the network; prove it"). Two
// GovernedPredictors over the same 225 symbols' models (one small real
// XGBoost model, 10 trees x depth 3, evaluated natively), one on the state
// file, one on a Redis scope of a throwaway redis-server this program starts
// on a free loopback port (and kills at exit). Per iteration: 225
// try_predict(handle, row) on each predictor back to back, the order
// alternating; each call must answer OK.
//
//   BM_SuccessPathPaired  redis_minus_file_ns_per_call: the median of the
//                         per-iteration differences, order-balanced (the mean
//                         of the two orders' medians); file_ns_per_call and
//                         redis_ns_per_call: the medians of each.
//   BM_SuccessPathFile / BM_SuccessPathRedis: each alone (225 calls per iteration).
//
// Needs redis-server on PATH (scripts/install-deps.sh). On a shared machine:
//   build/release/bench/fleet_store_bench --benchmark_repetitions=10
//       --benchmark_enable_random_interleaving=true
//       --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mlgov/clock.h"
#include "mlgov/config.h"
#include "mlgov/feature_contract.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/logging.h"
#include "mlgov/model_meta.h"
#include "mlgov/offline/xgboost_trainer.h"
#include "mlgov/redis_governance_store.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kSymbols = 225;

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("no free loopback port");
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// A redis-server of this program's own: loopback, no persistence, a scratch
// directory; killed by the destructor.
class ScratchRedis {
 public:
  explicit ScratchRedis(const fs::path& dir) : port_(free_loopback_port()) {
    fs::create_directories(dir);
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      ::execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port.c_str(),
               "--dir", dir.c_str(), "--save", "", "--appendonly", "no", "--logfile",
               (dir / "redis.log").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const std::string ping = "redis-cli -p " + std::to_string(port_) + " ping >/dev/null 2>&1";
    for (int i = 0; i < 200; ++i) {
      if (std::system(ping.c_str()) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("redis-server did not answer PING (is it installed?)");
  }
  ~ScratchRedis() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  ScratchRedis(const ScratchRedis&) = delete;
  ScratchRedis& operator=(const ScratchRedis&) = delete;
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  int port_;
  pid_t pid_ = -1;
};

class Fixture {
 public:
  Fixture() {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("mlgov-fleet-bench-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(rd() & 0xFFFFFF));
    redis_ = std::make_unique<ScratchRedis>(root_ / "redis");
    contract_ = std::make_unique<mlgov::FeatureContract>(
        mlgov::load_feature_contract("ml_v1", fs::path(MLGOV_SOURCE_DIR) / "contracts"));
    const std::size_t n = contract_->size();

    // One small real model on random data, copied to every symbol.
    std::mt19937 gen(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(2000 * n);
    std::vector<float> y(2000);
    for (auto& v : x) v = normal(gen);
    for (std::size_t i = 0; i < y.size(); ++i)
      y[i] = x[i * n] + 0.5f * x[i * n + 1] > 0 ? 1.0f : 0.0f;
    mlgov::offline::TrainSpec spec;
    spec.rounds = 10;
    spec.params = {{"objective", "binary:logistic"}, {"max_depth", "3"}, {"nthread", "1"}};
    mlgov::offline::train_xgboost_model({x, y, n}, nullptr, spec, root_ / "model.json");
    mlgov::ModelMeta meta;
    mlgov::set_contract(meta, *contract_);
    meta.trained_at = "2026-01-01T00:00:00Z";
    meta.git_commit = "fleet-store-bench";
    meta.training_data_period = {"2010-01-04", "2025-12-31"};
    meta.xgboost_version = "1.7.4";
    for (std::size_t i = 0; i < kSymbols; ++i) {
      char symbol[8];
      std::snprintf(symbol, sizeof symbol, "S%03zu", i + 1);
      symbols_.emplace_back(symbol);
      const fs::path dir = root_ / "models" / (std::string(symbol) + "_v1_20260101_000000");
      fs::create_directories(dir);
      fs::copy_file(root_ / "model.json", dir / "model.json");
      meta.symbol = symbol;
      mlgov::save_model_meta(meta, dir / "model_meta.json");
    }

    mlgov::Config config;
    config.ml_enabled = true;
    config.backend = mlgov::PredictorBackend::kNative;
    config.paths.models_dir = root_ / "models";
    config.paths.contracts_dir = fs::path(MLGOV_SOURCE_DIR) / "contracts";
    config.governance.state_file = root_ / "governance_state.json";
    auto clock = std::make_shared<mlgov::SystemClock>();
    mlgov::PredictorOptions options;
    options.clock = clock;
    options.logger = mlgov::make_null_logger();
    file_ = std::make_unique<mlgov::GovernedPredictor>(config, *contract_, options);

    mlgov::Config redis_config = config;
    redis_config.governance.store = mlgov::GovernanceConfig::Store::kRedis;
    redis_config.governance.redis.url = redis_->url();
    redis_config.governance.redis.scope = "bench";
    options.governance_store = mlgov::make_redis_governance_store(redis_config, clock);
    redis_pred_ = std::make_unique<mlgov::GovernedPredictor>(redis_config, *contract_, options);

    for (const auto& s : symbols_) {
      file_handles_.push_back(file_->resolve(s));
      redis_handles_.push_back(redis_pred_->resolve(s));
    }
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    values_.resize(kSymbols * n);
    for (auto& v : values_) v = uniform(gen);
    schema_ = contract_->schema();
    for (std::size_t i = 0; i < kSymbols; ++i) {
      rows_.push_back({schema_.get(), std::span<const float>(values_.data() + i * n, n)});
    }
  }
  ~Fixture() {
    file_.reset();
    redis_pred_.reset();
    redis_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // 225 governed calls by handle on `p`; returns how many answered OK.
  std::size_t cycle(mlgov::GovernedPredictor& p, const std::vector<mlgov::ModelHandle>& handles) {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < kSymbols; ++i) {
      const mlgov::PredictResult r = p.try_predict(handles[i], rows_[i]);
      ok += r.ok() ? 1 : 0;
      benchmark::DoNotOptimize(r.value);
    }
    return ok;
  }
  mlgov::GovernedPredictor& file() { return *file_; }
  mlgov::GovernedPredictor& redis() { return *redis_pred_; }
  const std::vector<mlgov::ModelHandle>& file_handles() const { return file_handles_; }
  const std::vector<mlgov::ModelHandle>& redis_handles() const { return redis_handles_; }

 private:
  fs::path root_;
  std::unique_ptr<ScratchRedis> redis_;
  std::unique_ptr<mlgov::FeatureContract> contract_;
  std::shared_ptr<const mlgov::FeatureSchema> schema_;
  std::vector<std::string> symbols_;
  std::unique_ptr<mlgov::GovernedPredictor> file_;
  std::unique_ptr<mlgov::GovernedPredictor> redis_pred_;
  std::vector<mlgov::ModelHandle> file_handles_;
  std::vector<mlgov::ModelHandle> redis_handles_;
  std::vector<float> values_;
  std::vector<mlgov::FeatureRow> rows_;
};

Fixture& fixture() {
  static Fixture f;  // destroyed at exit: the server is killed, the scratch directory removed
  return f;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

double ns_per_call(Clock::duration d) {
  return std::chrono::duration<double, std::nano>(d).count() / static_cast<double>(kSymbols);
}

void check_ok(benchmark::State& state, std::size_t ok, std::size_t cycles) {
  if (ok != cycles * kSymbols) {
    static std::string message;
    message = "a prediction did not answer OK: ok=" + std::to_string(ok) +
              " expected=" + std::to_string(cycles * kSymbols);
    state.SkipWithError(message.c_str());
  }
}

void BM_SuccessPathPaired(benchmark::State& state) {
  Fixture& f = fixture();
  std::vector<double> file_ns, redis_ns, diff_file_first, diff_redis_first;
  std::size_t ok = 0;
  bool file_first = true;
  for (auto _ : state) {
    double a = 0, b = 0;
    if (file_first) {
      auto t0 = Clock::now();
      ok += f.cycle(f.file(), f.file_handles());
      auto t1 = Clock::now();
      ok += f.cycle(f.redis(), f.redis_handles());
      auto t2 = Clock::now();
      a = ns_per_call(t1 - t0);
      b = ns_per_call(t2 - t1);
      diff_file_first.push_back(b - a);
    } else {
      auto t0 = Clock::now();
      ok += f.cycle(f.redis(), f.redis_handles());
      auto t1 = Clock::now();
      ok += f.cycle(f.file(), f.file_handles());
      auto t2 = Clock::now();
      b = ns_per_call(t1 - t0);
      a = ns_per_call(t2 - t1);
      diff_redis_first.push_back(b - a);
    }
    file_ns.push_back(a);
    redis_ns.push_back(b);
    file_first = !file_first;
  }
  check_ok(state, ok, 2 * static_cast<std::size_t>(state.iterations()));
  const double d1 = median(diff_file_first);
  const double d2 = median(diff_redis_first);
  state.counters["file_ns_per_call"] = median(file_ns);
  state.counters["redis_ns_per_call"] = median(redis_ns);
  state.counters["redis_minus_file_ns_per_call"] = diff_redis_first.empty()  ? d1
                                                   : diff_file_first.empty() ? d2
                                                                             : 0.5 * (d1 + d2);
}
BENCHMARK(BM_SuccessPathPaired)->Unit(benchmark::kMicrosecond);

void BM_SuccessPathFile(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t ok = 0;
  for (auto _ : state) ok += f.cycle(f.file(), f.file_handles());
  check_ok(state, ok, static_cast<std::size_t>(state.iterations()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kSymbols));
}
BENCHMARK(BM_SuccessPathFile)->Unit(benchmark::kMicrosecond);

void BM_SuccessPathRedis(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t ok = 0;
  for (auto _ : state) ok += f.cycle(f.redis(), f.redis_handles());
  check_ok(state, ok, static_cast<std::size_t>(state.iterations()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kSymbols));
}
BENCHMARK(BM_SuccessPathRedis)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
