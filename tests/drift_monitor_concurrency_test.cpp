// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// DriftMonitor under concurrent writers and readers (run under the tsan
// preset, where a data race fails the test): predicting threads record rows
// while others take snapshots and evaluate; every snapshot is whole.
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlgov/drift.h"

namespace mlgov {
namespace {

constexpr std::size_t kFeatures = 28;
constexpr std::size_t kWriters = 4;
constexpr std::size_t kRowsPerWriter = 20000;

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (std::size_t f = 0; f < kFeatures; ++f) out.push_back(fmt::format("f{}", f));
  return out;
}

// Edges 0..10: bin k (1..10) is [k-1, k).
TrainingBins bins() {
  nlohmann::json stats = nlohmann::json::object();
  for (const std::string& n : names()) {
    stats[n] = {{"min", 0.0}, {"max", 10.0}, {"deciles", {1, 2, 3, 4, 5, 6, 7, 8, 9}}};
  }
  return TrainingBins::from_feature_stats(stats, names(), "m");
}

TEST(DriftMonitorConcurrency, WritersAndReadersAtOnceLeaveEveryWindowWhole) {
  DriftConfig config;
  config.window_rows = 500;
  config.model_window_rows = 100;
  config.min_rows = 1;
  // Two models per writer, plus one model that two writers share.
  std::vector<DriftModel> models;
  for (std::size_t m = 0; m < 2 * kWriters + 1; ++m) {
    models.push_back({fmt::format("S{}", m), bins()});
  }
  DriftMonitor monitor(names(), config, std::move(models));
  const std::size_t shared = 2 * kWriters;

  std::atomic<bool> done{false};
  std::atomic<int> bad_snapshots{0};
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::vector<float> row(kFeatures);
      for (std::size_t i = 0; i < kRowsPerWriter; ++i) {
        // Every feature of a row in the same bin: a torn slot would mix bins.
        const float v = static_cast<float>((i + w) % 10) + 0.5f;
        std::fill(row.begin(), row.end(), v);
        const std::size_t model = i % 8 == 7 ? shared : 2 * w + i % 2;
        if (i % 3 == 0) {
          monitor.record(model, row);
        } else {
          monitor.record_reserved(monitor.reserve_rows(1), model, row);
        }
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      while (!done.load()) {
        const DriftSnapshot snap = r == 0 ? monitor.snapshot() : monitor.evaluate().snapshot;
        bool whole = snap.window_rows <= config.window_rows;
        for (const FeatureDrift& d : snap.features) {
          // Every feature of every row is in the same bin, so each feature
          // counts the same rows in each bin: the first feature's shares.
          for (std::size_t j = 0; j < kDecileBins; ++j) {
            whole = whole && d.shares[j] == snap.features[0].shares[j];
          }
          whole = whole && d.rows == snap.window_rows;
        }
        if (!whole) bad_snapshots.fetch_add(1);
      }
    });
  }
  for (std::size_t w = 0; w < kWriters; ++w) threads[w].join();
  done.store(true);
  for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();

  EXPECT_EQ(bad_snapshots.load(), 0);
  const DriftSnapshot last = monitor.snapshot();
  EXPECT_EQ(last.rows_recorded, kWriters * kRowsPerWriter);
  EXPECT_EQ(last.window_rows, config.window_rows);
  // Each writer's own models hold a full window; the shared one at most that
  // (two threads racing on one model's place may share a slot: documented).
  for (std::size_t m = 0; m < shared; ++m) {
    EXPECT_EQ(last.models[m].rows, config.model_window_rows) << last.models[m].symbol;
  }
  EXPECT_LE(last.models[shared].rows, config.model_window_rows);
}

}  // namespace
}  // namespace mlgov
