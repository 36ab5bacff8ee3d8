// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// host_engine: a small trading engine that governs its ML alpha with mlgov,
// written the way a user of the library would write it.
//
// It loads the configuration, the feature contract and the models (through
// GovernedPredictor), then replays daily bars as trading cycles: each cycle
// feeds one bar per symbol through the streaming features (UniverseStream)
// and asks the predictor for a signal for every symbol that has a model
// (try_predict by ModelHandle, the noexcept face; the handles are resolved
// once at start-up, so a cycle never looks a symbol up). Every K cycles it
// prints the heartbeat and rewrites the Prometheus metrics file; governance
// events go to <logs_dir>/live.jsonl and errors.jsonl.
//
// --inject-mismatch-at C simulates the classic integration bug from cycle C
// on: the engine hands the predictor rows whose columns come in another order
// (a schema with two names swapped, the values permuted to match). The
// predictor refuses them as FEATURE_MISMATCH, the third failure inside the
// window latches DISABLED_GOVERNANCE, and the heartbeat says
// state=DEGRADED | ml_state=DISABLED_GOVERNANCE.
//
// --inject-mismatch-cycles K stops the bug after K cycles (the host rolled
// back), so that an operator's re-enable sticks; 0 keeps it to the end.
//
// Several engines, one latch: with governance.store: redis in the config,
// the engine links mlgov::redis and hands the predictor
// make_redis_governance_store(config, clock); every engine on the same scope
// shares the failure window and the latch (README, "Several engines").
// --cycle-ms M paces the cycles (one every M ms, as a live engine is paced by
// its market), so a run lasts long enough to see the fleet's changes arrive;
// 0 runs them back to back.
//
// Usage (from a directory where the config's relative paths make sense):
//   host_engine --config config.yaml --data data [--real-data ../data/real]
//               [--models models/ml_alpha] [--cycles 60] [--heartbeat-every 10]
//               [--inject-mismatch-at 30] [--inject-mismatch-cycles 0]
//               [--cycle-ms 0] [--metrics-file runtime/metrics/mlgov.prom]
//
// --data DIR is a universe as `mlgov synth` writes it: DIR/sectors.csv names
// the symbols, DIR/<SYM>.csv holds their bars and DIR/<benchmark>.csv the
// benchmark (config data.benchmark_symbol). --real-data DIR adds a second,
// independent feed (e.g. data/real: GOOG against SPX); without a sectors.csv
// every symbol of it is a sector of its own. Each feed replays its own dates:
// cycle k is the k-th date after the warm-up in every feed.
//
// Exit codes: 0 the run completed (whatever the ML state), 2 bad input.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <mlgov/bars.h>
#include <mlgov/clock.h>
#include <mlgov/config.h>
#include <mlgov/errors.h>
#include <mlgov/feature_computer.h>
#include <mlgov/feature_contract.h>
#include <mlgov/feature_schema.h>
#include <mlgov/governed_predictor.h>
#include <mlgov/logging.h>
#include <mlgov/ml_state.h>
#include <mlgov/model_handle.h>
#include <mlgov/model_registry.h>
#if MLGOV_HOST_ENGINE_REDIS
#include <mlgov/redis_governance_store.h>
#endif
#include <CLI/CLI.hpp>

namespace fs = std::filesystem;

namespace {

struct EngineOptions {
  std::string config = "configs/golden_config.yaml";
  std::string data;
  std::string real_data;
  std::string models;
  int cycles = 60;
  int heartbeat_every = 10;
  int inject_mismatch_at = 0;      // 0: never
  int inject_mismatch_cycles = 0;  // 0: to the end of the run
  int cycle_ms = 0;                // 0: cycles back to back
  std::string metrics_file = "runtime/metrics/mlgov.prom";
};

// The host's own alerting hook: mlgov calls it when ML is switched off by
// governance or re-enabled. A real engine would page someone here.
class ConsoleAlerting final : public mlgov::StateListener {
 public:
  void on_state_change(mlgov::MlState old_state, mlgov::MlState new_state,
                       std::string_view reason) noexcept override {
    const std::string_view from = mlgov::to_string(old_state);
    const std::string_view to = mlgov::to_string(new_state);
    std::fprintf(stdout, "[ALERT] ml_state %.*s -> %.*s: %.*s\n", static_cast<int>(from.size()),
                 from.data(), static_cast<int>(to.size()), to.data(),
                 static_cast<int>(reason.size()), reason.data());
    std::fflush(stdout);
  }
};

// One replayed market: a benchmark, its symbols and their streaming state.
struct Feed {
  std::string label;
  mlgov::BarSeries benchmark;
  std::vector<mlgov::BarSeries> series;
  mlgov::SectorMap sectors;
  std::optional<mlgov::UniverseStream> stream;
  std::size_t next = 0;                    // next benchmark bar to replay
  std::size_t end = 0;                     // one past the last benchmark bar to replay
  std::vector<std::size_t> cursor;         // next bar of each symbol
  std::vector<const mlgov::Bar*> bars;     // this date's bar of each symbol, or nullptr
  std::vector<mlgov::ModelHandle> models;  // per symbol, resolved at start
  std::uint64_t rejected = 0;              // bars the stream refused (bad data)

  bool exhausted() const { return next >= end; }
};

// Symbols of a feed directory: the ones sectors.csv names, else every
// <SYM>.csv except the benchmark (each then a sector of its own).
Feed load_feed(const std::string& label, const fs::path& dir, const std::string& benchmark) {
  if (!fs::is_directory(dir)) {
    throw mlgov::DataError(dir.string() + ": not a directory (expected <SYM>.csv files)");
  }
  Feed feed;
  feed.label = label;
  feed.benchmark = mlgov::load_bars_csv(dir / (benchmark + ".csv"), benchmark);
  const fs::path sectors_file = dir / "sectors.csv";
  if (fs::exists(sectors_file)) {
    feed.sectors = mlgov::load_sector_map(sectors_file);
  } else {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".csv") continue;
      const std::string stem = entry.path().stem().string();
      if (stem != benchmark) names.push_back(stem);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) feed.sectors.sector_of.emplace(name, name);
    feed.sectors.source = dir.string() + " (no sectors.csv: one sector per symbol)";
  }
  if (feed.sectors.sector_of.empty()) {
    throw mlgov::DataError(dir.string() + ": no symbols (no sectors.csv and no <SYM>.csv)");
  }
  for (const auto& [symbol, sector] : feed.sectors.sector_of) {
    if (symbol == benchmark) continue;
    if (!mlgov::is_valid_symbol(symbol)) {  // it becomes a file name below
      throw mlgov::DataError(feed.sectors.source + ": symbol '" + symbol +
                             "' is not 1-64 characters of [A-Za-z0-9._-]");
    }
    feed.series.push_back(mlgov::load_bars_csv(dir / (symbol + ".csv"), symbol));
  }

  // Replay the benchmark dates that cover the symbols' history.
  mlgov::BarTime first = std::numeric_limits<mlgov::BarTime>::max();
  mlgov::BarTime last = std::numeric_limits<mlgov::BarTime>::min();
  for (const auto& s : feed.series) {
    if (s.bars.empty()) continue;
    first = std::min(first, s.bars.front().time);
    last = std::max(last, s.bars.back().time);
  }
  const auto& b = feed.benchmark.bars;
  const auto by_time = [](const mlgov::Bar& bar, mlgov::BarTime t) { return bar.time < t; };
  feed.next =
      static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), first, by_time) - b.begin());
  feed.end =
      static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), last + 1, by_time) - b.begin());
  if (feed.next >= feed.end) {
    throw mlgov::DataError(dir.string() + ": the benchmark " + benchmark +
                           " has no bar on the symbols' dates");
  }
  feed.cursor.assign(feed.series.size(), 0);
  feed.bars.assign(feed.series.size(), nullptr);
  return feed;
}

// Feeds the feed's next date to its stream. Allocates nothing.
void step(Feed& feed) {
  const mlgov::Bar& bench = feed.benchmark.bars[feed.next++];
  for (std::size_t i = 0; i < feed.series.size(); ++i) {
    const auto& bars = feed.series[i].bars;
    std::size_t& c = feed.cursor[i];
    // A symbol bar on a date the benchmark lacks cannot get features: skip it.
    while (c < bars.size() && bars[c].time < bench.time) {
      ++c;
      ++feed.rejected;
    }
    feed.bars[i] = (c < bars.size() && bars[c].time == bench.time) ? &bars[c++] : nullptr;
  }
  const mlgov::FeatureStatus status = feed.stream->try_step(bench, feed.bars);
  if (status != mlgov::FeatureStatus::kReady) {
    ++feed.rejected;
    return;
  }
  for (std::size_t i = 0; i < feed.series.size(); ++i) {
    const mlgov::FeatureStatus s = feed.stream->status(i);
    if (s != mlgov::FeatureStatus::kReady && s != mlgov::FeatureStatus::kInsufficientHistory &&
        s != mlgov::FeatureStatus::kNoBar) {
      ++feed.rejected;
    }
  }
}

std::string current_date(const Feed& feed) {
  return feed.next == 0 ? "-" : mlgov::format_bar_time(feed.benchmark.bars[feed.next - 1].time);
}

constexpr std::size_t kStatusCount = mlgov::kPredictStatusCount;

int run(const EngineOptions& opt) {
  const auto started = std::chrono::steady_clock::now();
  mlgov::Config config = mlgov::load_config(opt.config);
  if (!opt.models.empty()) config.paths.models_dir = fs::path(opt.models);
  for (const auto& w : config.warnings) std::printf("config warning: %s\n", w.c_str());
  const mlgov::FeatureContract contract =
      mlgov::load_feature_contract(config.contract, config.paths.contracts_dir);
  const mlgov::FeatureComputer computer(contract);

  // The market feeds.
  std::vector<Feed> feeds;
  feeds.push_back(load_feed("synthetic", opt.data, config.data.benchmark_symbol));
  if (!opt.real_data.empty()) {
    feeds.push_back(load_feed("real", opt.real_data, config.data.benchmark_symbol));
  }
  // Logging: live.jsonl, errors.jsonl and a throttled console (stderr).
  auto clock = std::make_shared<mlgov::SystemClock>();
  mlgov::LoggerOptions log_options;
  log_options.logs_dir = config.paths.logs_dir;
  log_options.console_interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(config.logging.console_info_interval_seconds));
  ConsoleAlerting alerting;
  mlgov::PredictorOptions predictor_options;
  predictor_options.clock = clock;
  predictor_options.logger = mlgov::make_governance_logger(log_options, clock);
  predictor_options.listener = &alerting;
  if (config.governance.store == mlgov::GovernanceConfig::Store::kRedis) {
#if MLGOV_HOST_ENGINE_REDIS
    predictor_options.governance_store = mlgov::make_redis_governance_store(config, clock);
#else
    throw mlgov::ConfigError(opt.config +
                             ": governance.store is redis, but this host_engine was built "
                             "without mlgov::redis (libhiredis-dev missing at configure time)");
#endif
  }
  mlgov::GovernedPredictor predictor(config, contract, predictor_options);

  std::printf("host_engine: config %s, contract %s %s (fingerprint %.12s...)\n", opt.config.c_str(),
              contract.name().c_str(), contract.version().c_str(), contract.fingerprint().c_str());
  std::printf("host_engine: ml_state=%s, %zu models loaded, %zu refused, state file %s\n",
              std::string(mlgov::to_string(predictor.state())).c_str(),
              predictor.registry().models().size(), predictor.registry().refused().size(),
              predictor.state_file().c_str());
  for (const auto& refused : predictor.registry().refused()) {
    std::printf("host_engine: refused model %s: %s\n", refused.symbol.c_str(),
                refused.message.c_str());
  }

  std::uint64_t n_symbols = 0;
  std::uint64_t n_with_model = 0;
  for (auto& feed : feeds) {
    std::vector<std::string> symbols;
    for (const auto& s : feed.series) symbols.push_back(s.symbol);
    feed.stream.emplace(computer, symbols, feed.sectors, config.data.benchmark_symbol);
    for (const auto& s : symbols) {
      feed.models.push_back(predictor.resolve(s));  // invalid when the symbol has no model
      n_with_model += feed.models.back().valid() ? 1 : 0;
    }
    n_symbols += symbols.size();
    std::printf("host_engine: feed %s: %zu symbols, %zu dates (%s .. %s), benchmark %s\n",
                feed.label.c_str(), feed.series.size(), feed.end - feed.next,
                mlgov::format_bar_time(feed.benchmark.bars[feed.next].time).c_str(),
                mlgov::format_bar_time(feed.benchmark.bars[feed.end - 1].time).c_str(),
                feed.benchmark.symbol.c_str());
  }
  std::printf("host_engine: %llu symbols, %llu with a model\n",
              static_cast<unsigned long long>(n_symbols),
              static_cast<unsigned long long>(n_with_model));

  // Warm-up: min_history - 1 dates only fill the streams (no row is ready).
  const int warmup = computer.min_history() - 1;
  for (auto& feed : feeds) {
    for (int i = 0; i < warmup && !feed.exhausted(); ++i) step(feed);
  }
  std::printf("host_engine: warm-up done (%d bars per symbol); running %d cycles\n", warmup,
              opt.cycles);

  // The injected bug: a schema with the first two columns swapped, and a
  // scratch row whose values follow that order (allocated once, here).
  const std::size_t n_features = contract.size();
  std::vector<std::string> swapped_names = contract.names();
  if (n_features >= 2) std::swap(swapped_names[0], swapped_names[1]);
  const auto swapped_schema =
      mlgov::FeatureSchema::create(contract.name(), contract.version(), swapped_names);
  std::vector<float> swapped_values(n_features);

  std::array<std::uint64_t, kStatusCount> totals{};
  std::array<std::uint64_t, kStatusCount> in_cycle{};
  std::uint64_t cycle = 0;
  bool was_blocked = false;
  const auto uptime = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                            started);
  };
  const fs::path metrics_file(opt.metrics_file);
  if (metrics_file.has_parent_path()) fs::create_directories(metrics_file.parent_path());
  // The metrics file follows each heartbeat, so mlgov_host_state,
  // mlgov_cycles_total and mlgov_last_heartbeat_timestamp_seconds match the
  // line just printed. It is replaced atomically: point node_exporter's
  // --collector.textfile.directory at its directory (README, Monitoring).
  const auto beat = [&] {
    std::printf("%s\n", predictor.heartbeat(uptime(), n_symbols, cycle).c_str());
    predictor.write_metrics(metrics_file);
  };

  while (cycle < static_cast<std::uint64_t>(opt.cycles)) {
    bool any = false;
    for (const auto& feed : feeds) any = any || !feed.exhausted();
    if (!any) {
      std::printf("host_engine: data exhausted after %llu cycles\n",
                  static_cast<unsigned long long>(cycle));
      break;
    }
    if (opt.cycle_ms > 0 && cycle > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(opt.cycle_ms));
    }
    ++cycle;
    const bool inject = opt.inject_mismatch_at > 0 &&
                        cycle >= static_cast<std::uint64_t>(opt.inject_mismatch_at) &&
                        (opt.inject_mismatch_cycles == 0 ||
                         cycle < static_cast<std::uint64_t>(opt.inject_mismatch_at) +
                                     static_cast<std::uint64_t>(opt.inject_mismatch_cycles));
    if (inject && cycle == static_cast<std::uint64_t>(opt.inject_mismatch_at)) {
      std::printf(
          "host_engine: cycle %llu: injecting a mismatch: rows now come as [%s, %s, ...]"
          " instead of [%s, %s, ...]\n",
          static_cast<unsigned long long>(cycle), swapped_names[0].c_str(),
          swapped_names[1].c_str(), contract.names()[0].c_str(), contract.names()[1].c_str());
    }
    if (opt.inject_mismatch_at > 0 && opt.inject_mismatch_cycles > 0 &&
        cycle == static_cast<std::uint64_t>(opt.inject_mismatch_at) +
                     static_cast<std::uint64_t>(opt.inject_mismatch_cycles)) {
      std::printf("host_engine: cycle %llu: the mismatch stops: rows in contract order again\n",
                  static_cast<unsigned long long>(cycle));
    }
    in_cycle.fill(0);
    for (auto& feed : feeds) {
      if (feed.exhausted()) continue;
      step(feed);
      const mlgov::UniverseStream& stream = *feed.stream;
      for (std::size_t i = 0; i < feed.series.size(); ++i) {
        if (!feed.models[i].valid() || stream.status(i) != mlgov::FeatureStatus::kReady) continue;
        mlgov::FeatureRow row = stream.row(i);
        if (inject && row.values.size() == n_features && n_features >= 2) {
          std::copy(row.values.begin(), row.values.end(), swapped_values.begin());
          std::swap(swapped_values[0], swapped_values[1]);
          row = mlgov::FeatureRow{swapped_schema.get(), swapped_values};
        }
        const mlgov::PredictResult r = predictor.try_predict(feed.models[i], row);
        ++in_cycle[static_cast<std::size_t>(r.status)];
        // A real engine would size a position from r.value here.
      }
    }
    // Print a cycle's outcome when something failed, and the first cycle in
    // which calls were blocked; the heartbeats tell the rest.
    const auto count = [&](mlgov::PredictStatus st) {
      return in_cycle[static_cast<std::size_t>(st)];
    };
    const std::uint64_t failed = count(mlgov::PredictStatus::kFeatureMismatch) +
                                 count(mlgov::PredictStatus::kWrongFeatureCount) +
                                 count(mlgov::PredictStatus::kNonFiniteFeature) +
                                 count(mlgov::PredictStatus::kModelError);
    const std::uint64_t blocked = count(mlgov::PredictStatus::kGovernanceDisabled);
    if (failed > 0 || (blocked > 0 && !was_blocked)) {
      std::string line;
      for (std::size_t s = 0; s < kStatusCount; ++s) {
        if (in_cycle[s] == 0) continue;
        line += ' ';
        line += mlgov::to_string(static_cast<mlgov::PredictStatus>(s));
        line += '=' + std::to_string(in_cycle[s]);
      }
      std::printf("host_engine: cycle %llu (%s):%s%s\n", static_cast<unsigned long long>(cycle),
                  current_date(feeds.front()).c_str(), line.c_str(),
                  blocked > 0 && !was_blocked ? "  (ML signals blocked from here on)" : "");
    }
    was_blocked = blocked > 0;
    for (std::size_t s = 0; s < kStatusCount; ++s) totals[s] += in_cycle[s];
    if (opt.heartbeat_every > 0 && cycle % static_cast<std::uint64_t>(opt.heartbeat_every) == 0) {
      beat();
    }
  }
  if (opt.heartbeat_every <= 0 || cycle % static_cast<std::uint64_t>(opt.heartbeat_every) != 0) {
    beat();  // the final state, if the last cycle did not already print it
  }

  std::printf("host_engine: %llu cycles done; predictions:",
              static_cast<unsigned long long>(cycle));
  for (std::size_t s = 0; s < kStatusCount; ++s) {
    if (totals[s] == 0) continue;
    std::printf(" %s=%llu",
                std::string(mlgov::to_string(static_cast<mlgov::PredictStatus>(s))).c_str(),
                static_cast<unsigned long long>(totals[s]));
  }
  std::printf("\n");
  for (const auto& feed : feeds) {
    if (feed.rejected > 0) {
      std::printf("host_engine: feed %s: %llu bars rejected by the feature stream\n",
                  feed.label.c_str(), static_cast<unsigned long long>(feed.rejected));
    }
  }
  std::printf("host_engine: logs %s/live.jsonl and %s/errors.jsonl, metrics %s, state file %s\n",
              config.paths.logs_dir.c_str(), config.paths.logs_dir.c_str(),
              opt.metrics_file.c_str(), predictor.state_file().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  EngineOptions opt;
  CLI::App app{"host_engine: an example trading engine governed by mlgov"};
  app.add_option("--config", opt.config, "YAML configuration")->capture_default_str();
  app.add_option("--data", opt.data, "universe directory written by `mlgov synth`")->required();
  app.add_option("--real-data", opt.real_data,
                 "optional second feed (e.g. data/real: GOOG against SPX)");
  app.add_option("--models", opt.models, "models directory (overrides paths.models_dir)");
  app.add_option("--cycles", opt.cycles, "cycles after the warm-up")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000'000));
  app.add_option("--heartbeat-every", opt.heartbeat_every, "heartbeat every K cycles (0: at end)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000'000));
  app.add_option("--inject-mismatch-at", opt.inject_mismatch_at,
                 "from cycle C on, feed rows with two columns swapped (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000'000));
  app.add_option("--inject-mismatch-cycles", opt.inject_mismatch_cycles,
                 "the injected mismatch lasts K cycles (0: to the end)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000'000));
  app.add_option("--cycle-ms", opt.cycle_ms, "one cycle every M milliseconds (0: back to back)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3'600'000));
  app.add_option("--metrics-file", opt.metrics_file, "Prometheus textfile written each heartbeat")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // heartbeats appear as they happen, even in a pipe
  try {
    return run(opt);
  } catch (const mlgov::Error& e) {
    std::fprintf(stderr, "host_engine: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "host_engine: error: %s\n", e.what());
    return 2;
  }
}
