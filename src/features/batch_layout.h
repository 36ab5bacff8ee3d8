// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: a symbol's whole history laid out as the kernel's inputs (the
// batch), the same values SymbolWindows holds for each bar.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "features/feature_kernel.h"

namespace mlgov::internal {

// One symbol's whole history laid out as the kernel's inputs (batch), the
// same values SymbolWindows holds for each bar: index j is bar j (ret, bench
// and tr from bar 1 on; high252/low252 once 252 bars are in).
struct SymbolHistory {
  std::vector<double> close, open, high, low, volume, dollar, ret, bench, tr, high252, low252;
  std::vector<double> scratch;  // sliding_extreme's

  // `bench_return(j)` is the benchmark's return on bar j's date (j >= 1).
  template <class BenchReturn>
  void build(const std::vector<Bar>& bars, const BenchReturn& bench_return) {
    const std::size_t m = bars.size();
    for (auto* v :
         {&close, &open, &high, &low, &volume, &dollar, &ret, &bench, &tr, &high252, &low252}) {
      v->resize(m);
    }
    for (std::size_t j = 0; j < m; ++j) {
      const Bar& bar = bars[j];
      close[j] = bar.close;
      open[j] = bar.open;
      high[j] = bar.high;
      low[j] = bar.low;
      volume[j] = bar.volume;
      dollar[j] = bar.close * bar.volume;
      if (j > 0) {
        ret[j] = simple_return(bar.close, bars[j - 1].close);
        bench[j] = bench_return(j);
        tr[j] = true_range(bar, bars[j - 1].close);
      } else {
        ret[0] = bench[0] = tr[0] = 0.0;  // never read: rows start at bar 252
      }
    }
    sliding_extreme<true>(high, high252);
    sliding_extreme<false>(low, low252);
  }

  // out[j] = the max (kMax) or min of x over the 252 values ending at j (over
  // x[0 .. j] before that), as MonotonicWindow gives it: exact, since a max
  // or min is one of the values whatever the order of comparison. Blocks of
  // 252 (van Herk / Gil-Werman): the window ending at j is the suffix of one
  // block and the prefix of the next, so two running extremes per value, no
  // branches.
  template <bool kMax>
  void sliding_extreme(const std::vector<double>& x, std::vector<double>& out) {
    constexpr std::size_t kW = 252;
    const auto better = [](double a, double b) { return kMax ? std::max(a, b) : std::min(a, b); };
    const std::size_t m = x.size();
    std::vector<double>& prefix = out;      // within each block, from its start
    std::vector<double>& suffix = scratch;  // within each block, to its end
    suffix.resize(m);
    for (std::size_t j = 0; j < m; ++j)
      prefix[j] = j % kW == 0 ? x[j] : better(prefix[j - 1], x[j]);
    for (std::size_t j = m; j-- > 0;) {
      suffix[j] = (j + 1) % kW == 0 || j + 1 == m ? x[j] : better(suffix[j + 1], x[j]);
    }
    // From j = kW - 1 on, a full window: suffix of [j-251]'s block, prefix of
    // j's. (Before that, prefix[j] is already the extreme of x[0 .. j].)
    for (std::size_t j = m; j-- > kW - 1;) out[j] = better(suffix[j - (kW - 1)], prefix[j]);
  }

  // The inputs of rows t .. t + L - 1. Requires kLookback - 1 <= t and
  // t + L <= bars.
  KernelInputs rows_from(std::size_t t) const noexcept {
    return {close.data() + t - 252, ret.data() + t - 59,    bench.data() + t - 59,
            tr.data() + t - 13,     high.data() + t - 13,   low.data() + t - 13,
            volume.data() + t - 19, dollar.data() + t - 19, open.data() + t,
            high252.data() + t,     low252.data() + t};
  }
};

}  // namespace mlgov::internal
