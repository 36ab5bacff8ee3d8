// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The clones of DriftMonitor's binning kernel (generic, AVX2, AVX-512; the
// constructor picks the fastest the CPU runs; snapshot() bins with it) over
// the same rows: every window and figure bit-identical, and each cell the
// scalar definition (TrainingBins::bin_of, bit equality with the symbol's
// previous value).
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drift/bin_kernel.h"
#include "mlgov/drift.h"

namespace mlgov {
namespace {

using internal::DriftBinKernel;
using internal::DriftMonitorAccess;

constexpr DriftBinKernel kKernels[] = {DriftBinKernel::kGeneric, DriftBinKernel::kAvx2,
                                       DriftBinKernel::kAvx512};

std::vector<std::string> names(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t f = 0; f < n; ++f) out.push_back(fmt::format("f{}", f));
  return out;
}

// Model m, feature f: edges spread from -(f + 1) to 2(m + 1), with a tie
// (d3 == d4) on every third feature, and edges that are no float.
TrainingBins bins(std::size_t m, std::size_t n) {
  nlohmann::json stats = nlohmann::json::object();
  for (std::size_t f = 0; f < n; ++f) {
    const double lo = -static_cast<double>(f + 1);
    const double hi = 2.0 * static_cast<double>(m + 1);
    nlohmann::json deciles = nlohmann::json::array();
    for (int k = 1; k <= 9; ++k) {
      const int at = f % 3 == 0 && k == 4 ? 3 : k;
      deciles.push_back(lo + (hi - lo) * at / 10.0 + 1e-9);
    }
    stats[names(n)[f]] = {{"min", lo}, {"max", hi}, {"deciles", deciles}};
  }
  return TrainingBins::from_feature_stats(stats, names(n), "kernels");
}

struct Row {
  std::size_t model;
  std::vector<float> values;
};

// Rows over `models` models: values inside and outside the range, on the
// float edges and either side of them, NaN, +-inf, and repeats of the
// model's previous value (stale) in about a third of the cells.
std::vector<Row> rows_for(const std::vector<TrainingBins>& all, std::size_t n, std::size_t count) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(-0.2, 1.2);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<std::vector<float>> previous(all.size(), std::vector<float>(n, 0.0f));
  std::vector<Row> rows;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t m = (i * 7) % all.size();
    Row row{m, std::vector<float>(n)};
    for (std::size_t f = 0; f < n; ++f) {
      const auto& e = all[m].edges(f);
      const int p = pick(rng);
      float v;
      if (p < 30) {
        // The model's previous value, once it has one (a fresh draw before).
        v = i >= all.size() ? previous[m][f]
                            : static_cast<float>(e[0] + (e[kDecileBins] - e[0]) * unit(rng));
      } else if (p < 38) {
        v = static_cast<float>(e[static_cast<std::size_t>(p - 30)]);  // an edge, rounded
        if (p % 2 == 0) v = std::nextafter(v, -INFINITY);
      } else if (p < 41) {
        v = std::numeric_limits<float>::quiet_NaN();
      } else if (p < 43) {
        v = p == 41 ? INFINITY : -INFINITY;
      } else {
        v = static_cast<float>(e[0] + (e[kDecileBins] - e[0]) * unit(rng));
      }
      row.values[f] = v;
    }
    previous[m] = row.values;
    rows.push_back(std::move(row));
  }
  return rows;
}

// The monitor's whole state as JSON after feeding `rows`, with `kernel`.
// `snapshot_every` > 0: a snapshot after every that many rows too.
nlohmann::json fed(DriftBinKernel kernel, std::size_t n, const std::vector<TrainingBins>& all,
                   const std::vector<Row>& rows, bool batch, std::size_t snapshot_every = 0) {
  DriftConfig config;
  config.window_rows = 300;
  config.model_window_rows = 150;
  config.min_rows = 1;
  config.stale_window_rows = 5;
  std::vector<DriftModel> models;
  for (std::size_t m = 0; m < all.size(); ++m) models.push_back({fmt::format("S{}", m), all[m]});
  DriftMonitor monitor(names(n), config, std::move(models));
  EXPECT_TRUE(DriftMonitorAccess::use(monitor, kernel));
  EXPECT_EQ(DriftMonitorAccess::kernel(monitor), kernel);
  if (batch) {
    std::uint64_t place = monitor.reserve_rows(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      monitor.record_reserved(place++, rows[i].model, rows[i].values);
      if (snapshot_every > 0 && i % snapshot_every == 0) (void)monitor.snapshot();
    }
  } else {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      monitor.record(rows[i].model, rows[i].values);
      if (snapshot_every > 0 && i % snapshot_every == 0) (void)monitor.snapshot();
    }
  }
  return to_json(monitor.evaluate().snapshot);
}

// Feeds the same rows over 5 models with every clone this CPU runs, per row
// and as one batch, with a snapshot every `snapshot_every` rows (0: none),
// and expects the generic clone's figures of one snapshot at the end each
// time. Returns how many clones ran.
std::size_t expect_every_clone_gives_the_generic_figures(std::size_t n, std::size_t row_count,
                                                         std::size_t snapshot_every) {
  std::vector<TrainingBins> all;
  for (std::size_t m = 0; m < 5; ++m) all.push_back(bins(m, n));
  const std::vector<Row> rows = rows_for(all, n, row_count);
  const nlohmann::json reference = fed(DriftBinKernel::kGeneric, n, all, rows, false);
  std::size_t ran = 0;
  for (DriftBinKernel kernel : kKernels) {
    if (!DriftMonitorAccess::cpu_runs(kernel)) continue;
    ++ran;
    for (bool batch : {false, true}) {
      EXPECT_EQ(fed(kernel, n, all, rows, batch, snapshot_every), reference)
          << internal::to_string(kernel) << (batch ? " (batch)" : "");
    }
  }
  return ran;
}

class BinKernels : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BinKernels, EveryCloneThisCpuRunsGivesTheGenericWindowsBitForBit) {
  EXPECT_GE(expect_every_clone_gives_the_generic_figures(GetParam(), 1000, 0), 1u);
}

// The pooled figures of two models' rows, against the definition: each
// value's bin from its own model's bin_of, stale when its bits equal the
// same model's previous value (NaN never stale).
TEST_P(BinKernels, EachCloneCountsWhatTheScalarDefinitionCounts) {
  const std::size_t n = GetParam();
  std::vector<TrainingBins> all{bins(0, n), bins(3, n)};
  const std::vector<Row> rows = rows_for(all, n, 240);
  std::vector<std::array<std::uint64_t, kNanBin + 1>> bins_seen(
      n, std::array<std::uint64_t, kNanBin + 1>{});
  std::vector<std::uint64_t> stale(n, 0);
  std::vector<std::uint64_t> had_previous(n, 0);
  std::vector<const Row*> last(all.size(), nullptr);
  for (const Row& row : rows) {
    for (std::size_t f = 0; f < n; ++f) {
      ++bins_seen[f][all[row.model].bin_of(f, row.values[f])];
      if (last[row.model] == nullptr) continue;
      const float before = last[row.model]->values[f];
      if (std::isnan(before)) continue;
      ++had_previous[f];
      stale[f] +=
          std::bit_cast<std::uint32_t>(before) == std::bit_cast<std::uint32_t>(row.values[f]) ? 1
                                                                                              : 0;
    }
    last[row.model] = &row;
  }
  std::size_t ran = 0;
  for (DriftBinKernel kernel : kKernels) {
    if (!DriftMonitorAccess::cpu_runs(kernel)) continue;
    ++ran;
    const nlohmann::json snap = fed(kernel, n, all, rows, true);
    for (std::size_t f = 0; f < n; ++f) {
      const nlohmann::json& d = snap["features"][f];
      SCOPED_TRACE(fmt::format("{} feature {}", internal::to_string(kernel), f));
      EXPECT_EQ(d["rows"].get<std::uint64_t>(), rows.size());
      EXPECT_EQ(d["nan_rows"].get<std::uint64_t>(), bins_seen[f][kNanBin]);
      std::uint64_t in_range = 0;
      for (std::size_t j = 1; j <= kDecileBins; ++j) in_range += bins_seen[f][j];
      ASSERT_EQ(d["in_range_rows"].get<std::uint64_t>(), in_range);
      ASSERT_GT(in_range, 0u);
      for (std::size_t j = 0; j < kDecileBins; ++j) {
        EXPECT_DOUBLE_EQ(d["shares"][j].get<double>(),
                         static_cast<double>(bins_seen[f][j + 1]) / static_cast<double>(in_range))
            << "bin " << j + 1;
      }
      const double valid = static_cast<double>(rows.size() - bins_seen[f][kNanBin]);
      EXPECT_DOUBLE_EQ(d["below_range_fraction"].get<double>(),
                       static_cast<double>(bins_seen[f][kBelowRangeBin]) / valid);
      EXPECT_DOUBLE_EQ(d["above_range_fraction"].get<double>(),
                       static_cast<double>(bins_seen[f][kAboveRangeBin]) / valid);
      EXPECT_DOUBLE_EQ(d["stale_share"].get<double>(),
                       static_cast<double>(stale[f]) / static_cast<double>(had_previous[f]));
    }
  }
  // Which clones ran on this CPU (the others are skipped, not failed).
  ::testing::Test::RecordProperty("kernels_run", static_cast<int>(ran));
  EXPECT_GE(ran, 1u);
}

// snapshot() bins each model row once and keeps its cells: snapshots taken
// between the records (every 7 rows; 600 rows a model, so each ring of 512
// slots wraps and its kept cells are replaced), with every clone and in both
// forms, must give the figures of one snapshot at the end.
TEST_P(BinKernels, SnapshotsBetweenTheRecordsLeaveTheFiguresAsOneAtTheEnd) {
  EXPECT_GE(expect_every_clone_gives_the_generic_figures(GetParam(), 3000, 7), 1u);
}

// 28: the contract; 5, 8, 16, 20 and 33: tails of one, two and three
// registers, and a row with no partial group.
INSTANTIATE_TEST_SUITE_P(FeatureCounts, BinKernels, ::testing::Values(5, 8, 16, 20, 28, 33));

}  // namespace
}  // namespace mlgov
