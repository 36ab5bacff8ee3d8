// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The fleet under load, on a real redis-server (tests/redis_server_fixture.h):
// 20 engines (threads of this process, each its own GovernedPredictor over
// 225 symbols' models with its own Redis store and connections, as 20 engine
// processes would have) on one scope with the default rule (3 failures in
// 300 s).
//
// Storm: for 10 s every engine runs a cycle every 20 ms (a predict_batch over
// its 225 symbols, then one row with a NaN feature for the next symbol): 1,000
// failure attempts per second across the fleet. 50 ms after each latch
// appears on the server, an operator re-enables the scope (as `mlgov
// governance reenable` does, through its own store) and the storm trips it
// again. Afterwards: exactly one DISABLED_BY_GOVERNANCE record per trip, one
// REENABLED record per re-enable with its reason, in order, nothing lost
// (every record any engine or the operator made is in the stream).
//
// Propagation: 40 rounds in which one engine fails max_failures times (its
// own window latches it at once) and the other 19 learn of it through the
// store. Failure-to-fleet latency (the engine's local latch to each other
// engine's StateListener call): p50 and p99 printed, never asserted.
//
// Labelled "load": the release preset runs it; the sanitizer presets leave it
// out (CMakePresets.json), so CI's budget pays for it once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fleet_support.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/redis_governance_store.h"
#include "predictor_fixture.h"
#include "redis_server_fixture.h"

namespace mlgov {
namespace {

using namespace std::chrono_literals;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr int kEngines = 20;
constexpr int kSymbols = 225;
constexpr auto kStormDuration = 10s;
constexpr auto kCyclePeriod = 20ms;  // 50 failure attempts/s per engine, 1,000/s in all
constexpr int kPropagationRounds = 40;

// Remembers when this engine learnt of each state change (steady clock).
class TransitionLog final : public StateListener {
 public:
  TransitionLog() { changes_.reserve(4096); }
  void on_state_change(MlState, MlState new_state, std::string_view) noexcept override {
    const SteadyTime now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    changes_.push_back({now, new_state});
  }
  struct Change {
    SteadyTime at;
    MlState state;
  };
  std::vector<Change> changes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_;
  }
  // The time of the first change to `state` at or after `since`, if any.
  std::optional<SteadyTime> first(MlState state, SteadyTime since) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : changes_) {
      if (c.state == state && c.at >= since) return c.at;
    }
    return std::nullopt;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Change> changes_;
};

struct LoadEngine {
  TransitionLog log;
  std::unique_ptr<GovernedPredictor> predictor;
  std::vector<ModelHandle> handles;
  std::atomic<std::uint64_t> failures{0};  // calls answered as a governance failure
  std::atomic<std::uint64_t> blocked{0};   // calls refused: GOVERNANCE_DISABLED
  std::atomic<std::uint64_t> ok{0};        // good predictions served
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

double ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

bool all_in(const std::vector<std::unique_ptr<LoadEngine>>& engines, MlState state) {
  for (const auto& e : engines) {
    if (e->predictor->state() != state) return false;
  }
  return true;
}

// Waits until every engine is in `state` (deadline `within`); false on timeout.
bool wait_all(const std::vector<std::unique_ptr<LoadEngine>>& engines, MlState state,
              std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!all_in(engines, state)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(FleetLoad, TwentyEnginesUnderAFailureStormOneDisabledRecordPerTripNothingLost) {
  MLGOV_SKIP_WITHOUT_REDIS_SERVER();
  testing::RedisServer server;
  testing::TempDir dir;
  const auto models = dir / "models";
  std::vector<std::string> symbols;
  for (int i = 1; i <= kSymbols; ++i) {
    // Room for any int: GCC's -Wformat-truncation at -O1 cannot see that
    // i <= kSymbols.
    char name[32];
    std::snprintf(name, sizeof name, "S%03d", i);
    symbols.emplace_back(name);
    testing::install_model(models, name);
  }
  testing::FleetConfigOptions o;
  o.url = server.url();
  o.scope = "load";
  testing::write_text(dir / "config.yaml", testing::fleet_config_yaml(models, dir / "logs", o));
  Config config = load_config(dir / "config.yaml");
  config.backend = PredictorBackend::kNative;
  const FeatureContract contract =
      load_feature_contract(config.contract, config.paths.contracts_dir);
  auto clock = std::make_shared<SystemClock>();

  std::vector<std::unique_ptr<LoadEngine>> engines;
  for (int e = 0; e < kEngines; ++e) {
    auto engine = std::make_unique<LoadEngine>();
    PredictorOptions options;
    options.clock = clock;
    options.logger = make_null_logger();
    options.listener = &engine->log;
    options.governance_store = make_redis_governance_store(config, clock);
    engine->predictor = std::make_unique<GovernedPredictor>(config, contract, options);
    ASSERT_EQ(engine->predictor->state(), MlState::kEnabledOk) << "engine " << e;
    for (const auto& s : symbols) engine->handles.push_back(engine->predictor->resolve(s));
    ASSERT_EQ(engine->predictor->registry().models().size(), static_cast<std::size_t>(kSymbols));
    engines.push_back(std::move(engine));
  }
  // The operator: its own store, as `mlgov governance reenable --config` has.
  auto operator_store = make_redis_governance_store(config, clock);

  const auto schema = contract.schema();
  const std::vector<float> good_values(schema->size(), 0.5f);
  std::vector<float> bad_values = good_values;
  bad_values[0] = std::numeric_limits<float>::quiet_NaN();
  const FeatureRow good{schema.get(), good_values};
  const FeatureRow bad{schema.get(), bad_values};

  // ---- The storm.
  std::atomic<bool> storming{true};
  std::vector<std::thread> threads;
  for (int e = 0; e < kEngines; ++e) {
    threads.emplace_back([&, e] {
      LoadEngine& engine = *engines[static_cast<std::size_t>(e)];
      std::vector<FeatureRow> rows(kSymbols, good);
      std::vector<PredictResult> results(kSymbols);
      std::size_t next_symbol = static_cast<std::size_t>(e);
      auto tick = std::chrono::steady_clock::now();
      while (storming.load()) {
        engine.predictor->predict_batch(engine.handles, rows, results);
        for (const auto& r : results) {
          if (r.ok()) engine.ok.fetch_add(1, std::memory_order_relaxed);
        }
        const PredictResult r = engine.predictor->try_predict(
            engine.handles[next_symbol++ % static_cast<std::size_t>(kSymbols)], bad);
        if (counts_as_governance_failure(r.status)) {
          engine.failures.fetch_add(1, std::memory_order_relaxed);
        } else if (r.status == PredictStatus::kGovernanceDisabled) {
          engine.blocked.fetch_add(1, std::memory_order_relaxed);
        }
        tick += kCyclePeriod;
        std::this_thread::sleep_until(tick);
      }
    });
  }
  const auto storm_start = std::chrono::steady_clock::now();
  // The operator watches the scope on the server (the authority: an engine
  // may still be applying the previous change) and re-enables each trip
  // 50 ms after it sees it.
  int reenables = 0;
  while (std::chrono::steady_clock::now() - storm_start < kStormDuration) {
    if (!operator_store->read().disabled) {
      std::this_thread::sleep_for(2ms);
      continue;
    }
    std::this_thread::sleep_for(50ms);
    operator_store->reenable("load-test", "storm re-enable " + std::to_string(reenables + 1),
                             clock->wall_now());
    ++reenables;
  }
  storming = false;
  for (auto& t : threads) t.join();
  const auto storm_end = std::chrono::steady_clock::now();
  // The storm's last trip may still be in flight: settle, then re-enable once
  // more if the scope ended latched, so that every trip has its re-enable.
  std::this_thread::sleep_for(500ms);
  if (operator_store->read().disabled) {
    operator_store->reenable("load-test", "storm re-enable " + std::to_string(reenables + 1),
                             clock->wall_now());
    ++reenables;
  }
  ASSERT_TRUE(wait_all(engines, MlState::kEnabledOk, 5s));

  // ---- Propagation: one engine latches on its own window; the others follow.
  std::vector<double> propagation_ms;
  for (int round = 0; round < kPropagationRounds; ++round) {
    LoadEngine& origin = *engines[static_cast<std::size_t>(round % kEngines)];
    const SteadyTime round_start = std::chrono::steady_clock::now();
    // Its own window latches it at once (at most max_failures failures; fewer
    // when the storm left some in its window).
    for (int i = 0; i < config.governance.max_failures &&
                    origin.predictor->state() != MlState::kDisabledGovernance;
         ++i) {
      const PredictResult r = origin.predictor->try_predict(origin.handles[0], bad);
      ASSERT_TRUE(counts_as_governance_failure(r.status)) << to_string(r.status);
    }
    ASSERT_EQ(origin.predictor->state(), MlState::kDisabledGovernance);
    const auto latched = origin.log.first(MlState::kDisabledGovernance, round_start);
    ASSERT_TRUE(latched.has_value());
    const SteadyTime t0 = *latched;
    ASSERT_TRUE(wait_all(engines, MlState::kDisabledGovernance, 5s)) << "round " << round;
    for (const auto& e : engines) {
      if (e.get() == &origin) continue;
      // The state flips before the listener is called: give the call a moment.
      std::optional<SteadyTime> t;
      for (int i = 0; i < 1000 && !t; ++i) {
        t = e->log.first(MlState::kDisabledGovernance, round_start);
        if (!t) std::this_thread::sleep_for(1ms);
      }
      if (t) propagation_ms.push_back(ms(*t - t0));
    }
    operator_store->reenable("load-test", "propagation re-enable " + std::to_string(round + 1),
                             clock->wall_now());
    ++reenables;
    ASSERT_TRUE(wait_all(engines, MlState::kEnabledOk, 5s)) << "round " << round;
  }

  // ---- The stream: every record, in order, one DISABLED per trip.
  const auto entries = testing::read_stream(server.port(), "{mlgov:load}:history");
  std::map<std::string, int> counts;
  std::vector<std::string> reenable_reasons;
  int disabled_since_reenable = 0;
  int trips_with_two_disables = 0;
  int reenables_without_a_trip = 0;
  std::string previous_id;
  for (const auto& entry : entries) {
    const std::string event = entry.fields.value("event", "?");
    ++counts[event];
    if (event == "DISABLED_BY_GOVERNANCE") {
      if (++disabled_since_reenable > 1) ++trips_with_two_disables;
    } else if (event == "REENABLED") {
      if (disabled_since_reenable == 0) ++reenables_without_a_trip;
      disabled_since_reenable = 0;
      reenable_reasons.push_back(entry.fields.value("reason", ""));
    }
  }
  EXPECT_EQ(counts["STARTED"], kEngines);
  EXPECT_EQ(counts["REENABLED"], reenables);
  EXPECT_EQ(counts["DISABLED_BY_GOVERNANCE"], reenables);  // one per trip, each re-enabled once
  EXPECT_EQ(trips_with_two_disables, 0);
  EXPECT_EQ(reenables_without_a_trip, 0);
  EXPECT_EQ(disabled_since_reenable, 0);
  EXPECT_EQ(static_cast<int>(entries.size()), kEngines + 2 * reenables)
      << "records other than STARTED, DISABLED_BY_GOVERNANCE and REENABLED";
  // The re-enables' reasons in the order they were made: nothing lost, nothing reordered.
  std::vector<std::string> expected_reasons;
  const int storm_reenables = reenables - kPropagationRounds;
  for (int i = 1; i <= storm_reenables; ++i) {
    expected_reasons.push_back("storm re-enable " + std::to_string(i));
  }
  for (int i = 1; i <= kPropagationRounds; ++i) {
    expected_reasons.push_back("propagation re-enable " + std::to_string(i));
  }
  EXPECT_EQ(reenable_reasons, expected_reasons);
  EXPECT_EQ(testing::redis_cli(server.port(), "XLEN '{mlgov:load}:history'"),
            std::to_string(entries.size()) + "\n");

  // ---- The figures (printed, never asserted).
  std::uint64_t failures = 0, blocked = 0, ok = 0;
  for (const auto& e : engines) {
    failures += e->failures.load();
    blocked += e->blocked.load();
    ok += e->ok.load();
  }
  const double storm_s = std::chrono::duration<double>(storm_end - storm_start).count();
  std::printf(
      "[fleet load] %d engines x %d symbols, storm %.1f s: %llu failure attempts "
      "(%.0f/s): %llu recorded as failures, %llu blocked by the latch; %llu good predictions; "
      "%d trips, each re-enabled\n",
      kEngines, kSymbols, storm_s, static_cast<unsigned long long>(failures + blocked),
      static_cast<double>(failures + blocked) / storm_s, static_cast<unsigned long long>(failures),
      static_cast<unsigned long long>(blocked), static_cast<unsigned long long>(ok),
      storm_reenables);
  std::printf(
      "[fleet load] failure-to-fleet propagation (local latch -> other engines' "
      "listeners): p50 %.2f ms, p99 %.2f ms (%zu samples, %d rounds)\n",
      quantile(propagation_ms, 0.5), quantile(propagation_ms, 0.99), propagation_ms.size(),
      kPropagationRounds);
  std::printf(
      "[fleet load] history stream: %zu records (%d STARTED, %d DISABLED_BY_GOVERNANCE, "
      "%d REENABLED)\n",
      entries.size(), counts["STARTED"], counts["DISABLED_BY_GOVERNANCE"], counts["REENABLED"]);
  EXPECT_EQ(propagation_ms.size(), static_cast<std::size_t>(kPropagationRounds) * (kEngines - 1));
}

}  // namespace
}  // namespace mlgov
