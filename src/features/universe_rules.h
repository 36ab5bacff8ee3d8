// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the rules the batch (batch_features.cpp) and the streams
// (stream_features.cpp) share, so that both apply them the same way: the
// cross_rank_sector ranking, the sector membership of a universe and the
// missing-benchmark message.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mlgov/bars.h"
#include "mlgov/errors.h"

namespace mlgov::internal {

inline std::string missing_benchmark_message(std::string_view symbol, std::string_view benchmark,
                                             BarTime time) {
  return fmt::format(
      "{}: the benchmark{}{} has no bar on {} (every date of the symbol needs one for beta_60)",
      symbol, benchmark.empty() ? "" : " ", benchmark, format_bar_time(time));
}

// THE cross_rank_sector rule (docs/features_ml_v1.md, feature 28), shared by
// UniverseStream and the batch: `scratch` holds (ret_20d as emitted, symbol
// index) for every ranked symbol of one sector on one date; sorts it and calls
// assign(index, value) with each symbol's (k - 1) / (n - 1), ties averaged.
template <class Assign>
void rank_ret_20d(std::vector<std::pair<float, std::size_t>>& scratch, Assign&& assign) {
  const std::size_t n = scratch.size();
  if (n == 0) return;
  std::sort(scratch.begin(), scratch.end());
  std::size_t k = 0;
  while (k < n) {
    std::size_t end = k + 1;
    while (end < n && scratch[end].first == scratch[k].first) ++end;
    // 1-based ranks k+1..end share their average (k+1+end)/2; the feature
    // is (rank - 1) / (n - 1) = ((k + end - 1) / 2) / (n - 1).
    const double value =
        n == 1 ? 0.5 : (static_cast<double>(k + end - 1) / 2.0) / static_cast<double>(n - 1);
    for (std::size_t q = k; q < end; ++q) assign(scratch[q].second, static_cast<float>(value));
    k = end;
  }
}

// Symbol indices per sector, in first-appearance order of the sectors. Throws
// DataError for a duplicate symbol or a symbol without a sector (in the order
// of `symbols`).
inline std::vector<std::vector<std::size_t>> sector_members_of(
    const std::vector<std::string>& symbols, const SectorMap& sectors) {
  std::vector<std::vector<std::size_t>> members;
  std::map<std::string, std::size_t, std::less<>> sector_index;
  std::map<std::string, std::size_t, std::less<>> seen;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const std::string& sym = symbols[i];
    if (!seen.emplace(sym, i).second) {
      throw DataError(fmt::format("universe: symbol \"{}\" is listed twice", sym));
    }
    const auto it = sectors.sector_of.find(sym);
    if (it == sectors.sector_of.end()) {
      throw DataError(fmt::format("{}: symbol \"{}\" has no sector",
                                  sectors.source.empty() ? "sector map" : sectors.source, sym));
    }
    const auto [sit, inserted] = sector_index.emplace(it->second, members.size());
    if (inserted) members.emplace_back();
    members[sit->second].push_back(i);
  }
  return members;
}

}  // namespace mlgov::internal
