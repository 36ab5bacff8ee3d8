// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: one streaming symbol's fixed-size windows (SymbolWindows, one
// row per bar), the rings and monotonic deques they are made of, and the
// per-bar quantities (return, true range) both layouts store.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

#include "features/feature_ids.h"
#include "mlgov/bars.h"

namespace mlgov::internal {

// The last N values, always readable as one contiguous array oldest..newest:
// each value is stored twice (at slot and slot + N).
template <int N>
struct MirrorRing {
  std::array<double, 2 * N> buf{};
  int head = 0;  // the oldest slot (next to be overwritten)

  void push(double x) noexcept {
    buf[head] = x;
    buf[head + N] = x;
    head = head + 1 == N ? 0 : head + 1;
  }
  // N values, oldest first. Slots never written read as 0.
  const double* window() const noexcept { return buf.data() + head; }
  // back = 0 is the newest value, back = 1 the one before, ...
  double newest(int back = 0) const noexcept { return buf[head + N - 1 - back]; }
};

// Maximum (kMax) or minimum of the last N pushed values, exact, fixed capacity.
template <int N, bool kMax>
struct MonotonicWindow {
  std::array<std::int64_t, N> index{};
  std::array<double, N> value{};
  int front = 0;
  int size = 0;

  void push(std::int64_t t, double x) noexcept {
    while (size > 0 && index[front] <= t - N) {  // expire what left the window
      front = front + 1 == N ? 0 : front + 1;
      --size;
    }
    while (size > 0) {  // drop values that can never be the extreme again
      const int back = (front + size - 1) % N;
      if (kMax ? value[back] <= x : value[back] >= x) {
        --size;
      } else {
        break;
      }
    }
    const int slot = (front + size) % N;  // size <= N-1 here
    index[slot] = t;
    value[slot] = x;
    ++size;
  }
  double best() const noexcept { return value[front]; }
};

// r_t = c_t / c_{t-1} - 1 (also the benchmark's b_t).
inline double simple_return(double close, double previous_close) noexcept {
  return close / previous_close - 1.0;
}

// TR_t = max(h - l, |h - c_{t-1}|, |l - c_{t-1}|).
inline double true_range(const Bar& bar, double previous_close) noexcept {
  return std::max({bar.high - bar.low, std::abs(bar.high - previous_close),
                   std::abs(bar.low - previous_close)});
}

// ret_20d from the newest close and the one 20 bars earlier, as emitted.
inline float ret_20d_value(double close_t, double close_t_minus_20) noexcept {
  return static_cast<float>(close_t / close_t_minus_20 - 1.0);
}

// One symbol's windows. Plain data, no heap; push() is total (validate first).
struct SymbolWindows {
  MirrorRing<kLookback> close;
  MirrorRing<60> ret;    // r_t, t >= 1
  MirrorRing<60> bench;  // b_t on the same dates as ret
  MirrorRing<14> tr;     // true range, t >= 1
  MirrorRing<14> high;   // for MAX_14(h)
  MirrorRing<14> low;    // for MIN_14(l)
  MirrorRing<20> volume;
  MirrorRing<20> dollar;  // c * v
  MonotonicWindow<252, true> high252;
  MonotonicWindow<252, false> low252;
  Bar last{};
  std::int64_t count = 0;  // bars pushed

  // Appends bar t = count with the benchmark return of its date
  // (`bench_return` is ignored for the first bar, which has no return).
  void push(const Bar& bar, double bench_return) noexcept {
    if (count > 0) {
      ret.push(simple_return(bar.close, last.close));
      bench.push(bench_return);
      tr.push(true_range(bar, last.close));
    }
    close.push(bar.close);
    high.push(bar.high);
    low.push(bar.low);
    volume.push(bar.volume);
    dollar.push(bar.close * bar.volume);
    high252.push(count, bar.high);
    low252.push(count, bar.low);
    last = bar;
    ++count;
  }

  bool has_ret_20d() const noexcept { return count >= 21; }
  float ret_20d() const noexcept { return ret_20d_value(close.newest(0), close.newest(20)); }
};

}  // namespace mlgov::internal
