// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: the fixed-size windows of one symbol and THE kernel that turns
// them into the 28 ml_v1 features. Batch and streaming both go through
// SymbolWindows::push + compute_features, so they agree to the bit.
//
// Every sum, mean and moment is computed from the window's own values, in
// double, oldest to newest; max/min over 252 bars use monotonic deques (exact).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "mlgov/bars.h"

namespace mlgov::detail {

inline constexpr int kNumFeatures = 28;
inline constexpr int kLookback = 253;  // mom_12_1 reads c[t-252]

// Spec order (docs/features_ml_v1.md).
enum FeatureId : std::uint8_t {
  kRet1d,
  kRet5d,
  kRet10d,
  kRet20d,
  kRet60d,
  kMom12_1,
  kSmaRatio20,
  kSmaRatio50,
  kSmaRatio200,
  kSmaCross12_26,
  kRsi14,
  kStochK14,
  kBbPos20,
  kVol5,
  kVol20,
  kVol60,
  kAtr14Norm,
  kHlRange,
  kGap1d,
  kSkew60,
  kKurt60,
  kVolumeRatio20,
  kDollarVolumeLog20,
  kVolumeZ20,
  kDistHigh252,
  kDistLow252,
  kBeta60,
  kCrossRankSector,
};

inline constexpr std::array<const char*, kNumFeatures> kFeatureNames = {"ret_1d",
                                                                        "ret_5d",
                                                                        "ret_10d",
                                                                        "ret_20d",
                                                                        "ret_60d",
                                                                        "mom_12_1",
                                                                        "sma_ratio_20",
                                                                        "sma_ratio_50",
                                                                        "sma_ratio_200",
                                                                        "sma_cross_12_26",
                                                                        "rsi_14",
                                                                        "stoch_k_14",
                                                                        "bb_pos_20",
                                                                        "vol_5",
                                                                        "vol_20",
                                                                        "vol_60",
                                                                        "atr_14_norm",
                                                                        "hl_range",
                                                                        "gap_1d",
                                                                        "skew_60",
                                                                        "kurt_60",
                                                                        "volume_ratio_20",
                                                                        "dollar_volume_log_20",
                                                                        "volume_z_20",
                                                                        "dist_high_252",
                                                                        "dist_low_252",
                                                                        "beta_60",
                                                                        "cross_rank_sector"};

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

// Sum of n values oldest to newest.
inline double window_sum(const double* x, int n) noexcept {
  double s = 0;
  for (int i = 0; i < n; ++i) s += x[i];
  return s;
}
inline double window_mean(const double* x, int n) noexcept { return window_sum(x, n) / n; }
// Sum of squared deviations from `mean`, oldest to newest.
inline double window_ss(const double* x, int n, double mean) noexcept {
  double s = 0;
  for (int i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    s += d * d;
  }
  return s;
}
// Sample standard deviation (divisor n - 1).
inline double window_std(const double* x, int n, double mean) noexcept {
  return std::sqrt(window_ss(x, n, mean) / (n - 1));
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
      const double prev = last.close;
      ret.push(bar.close / prev - 1.0);
      bench.push(bench_return);
      tr.push(std::max({bar.high - bar.low, std::abs(bar.high - prev), std::abs(bar.low - prev)}));
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

// THE kernel: the 28 features of the newest bar, in spec order, in double.
// Requires w.count >= kLookback. cross_rank_sector is the fallback 0.5 (the
// universe step overwrites it).
//
// Each sum adds its window's values oldest to newest, exactly as a separate
// loop per window would; windows ending at the same bar share a loop only so
// that their independent additions overlap in the CPU (the result of every
// sum is unchanged by that interleaving).
inline void compute_features(const SymbolWindows& w, double* f) noexcept {
  const double* c = w.close.window();  // c[252] = c_t, c[252 - k] = c_{t-k}
  const double ct = c[252];
  f[kRet1d] = ct / c[251] - 1.0;
  f[kRet5d] = ct / c[247] - 1.0;
  f[kRet10d] = ct / c[242] - 1.0;
  f[kRet20d] = ct / c[232] - 1.0;
  f[kRet60d] = ct / c[192] - 1.0;
  f[kMom12_1] = c[231] / c[0] - 1.0;

  // Close sums: SMA_200 from c[53], SMA_50 from c[203], SMA_26 from c[227],
  // SMA_20 from c[233], SMA_12 from c[241], all to c[252].
  double s200 = 0;
  double s50 = 0;
  double s26 = 0;
  double s20 = 0;
  double s12 = 0;
  int i = 53;
  for (; i < 203; ++i) s200 += c[i];
  for (; i < 227; ++i) {
    s200 += c[i];
    s50 += c[i];
  }
  for (; i < 233; ++i) {
    s200 += c[i];
    s50 += c[i];
    s26 += c[i];
  }
  for (; i < 241; ++i) {
    s200 += c[i];
    s50 += c[i];
    s26 += c[i];
    s20 += c[i];
  }
  for (; i < 253; ++i) {
    s200 += c[i];
    s50 += c[i];
    s26 += c[i];
    s20 += c[i];
    s12 += c[i];
  }
  const double sma200 = s200 / 200;
  const double sma50 = s50 / 50;
  const double sma26 = s26 / 26;
  const double sma20 = s20 / 20;
  const double sma12 = s12 / 12;
  f[kSmaRatio20] = ct / sma20 - 1.0;
  f[kSmaRatio50] = ct / sma50 - 1.0;
  f[kSmaRatio200] = ct / sma200 - 1.0;
  f[kSmaCross12_26] = sma12 / sma26 - 1.0;

  {  // rsi_14: d = c_j - c_{j-1} for the 14 newest j, oldest first
    double gain = 0;
    double loss = 0;
    for (int j = 239; j <= 252; ++j) {
      const double d = c[j] - c[j - 1];
      gain += d > 0 ? d : 0.0;
      loss += d < 0 ? -d : 0.0;
    }
    const double g = gain / 14;
    const double l = loss / 14;
    if (l == 0) {
      f[kRsi14] = g > 0 ? 100.0 : 50.0;
    } else {
      f[kRsi14] = 100.0 - 100.0 / (1.0 + g / l);
    }
  }

  {  // stoch_k_14
    const double* h = w.high.window();
    const double* l = w.low.window();
    double hi = h[0];
    double lo = l[0];
    for (int j = 1; j < 14; ++j) {
      hi = std::max(hi, h[j]);
      lo = std::min(lo, l[j]);
    }
    const double range = hi - lo;
    f[kStochK14] = range == 0 ? 0.5 : (ct - lo) / range;
  }

  // Returns: means of r over 60, 20 (from r[40]) and 5 (from r[55]) and of b over 60.
  const double* r = w.ret.window();  // r[59] = r_t
  const double* b = w.bench.window();
  double sr60 = 0;
  double sb60 = 0;
  double sr20 = 0;
  double sr5 = 0;
  for (int j = 0; j < 40; ++j) {
    sr60 += r[j];
    sb60 += b[j];
  }
  for (int j = 40; j < 55; ++j) {
    sr60 += r[j];
    sb60 += b[j];
    sr20 += r[j];
  }
  for (int j = 55; j < 60; ++j) {
    sr60 += r[j];
    sb60 += b[j];
    sr20 += r[j];
    sr5 += r[j];
  }
  const double mr = sr60 / 60;
  const double mb = sb60 / 60;
  const double m20 = sr20 / 20;
  const double m5 = sr5 / 5;
  double m2sum = 0;
  double m3sum = 0;
  double m4sum = 0;
  double cov = 0;
  double varb = 0;
  double ss20 = 0;
  double ss5 = 0;
  for (int j = 0; j < 60; ++j) {
    const double d = r[j] - mr;
    const double e = b[j] - mb;
    const double d2 = d * d;
    m2sum += d2;
    m3sum += d2 * d;
    m4sum += d2 * d2;
    cov += d * e;
    varb += e * e;
    if (j >= 40) {
      const double d20 = r[j] - m20;
      ss20 += d20 * d20;
    }
    if (j >= 55) {
      const double d5 = r[j] - m5;
      ss5 += d5 * d5;
    }
  }
  f[kVol5] = std::sqrt(ss5 / 4);
  f[kVol20] = std::sqrt(ss20 / 19);
  f[kVol60] = std::sqrt(m2sum / 59);

  {  // skew_60, kurt_60 (n = 60)
    const double m2 = m2sum / 60;
    const double m3 = m3sum / 60;
    const double m4 = m4sum / 60;
    if (m2 == 0) {
      f[kSkew60] = 0.0;
      f[kKurt60] = 0.0;
    } else {
      constexpr double n = 60;
      f[kSkew60] = std::sqrt(n * (n - 1)) / (n - 2) * m3 / (m2 * std::sqrt(m2));
      f[kKurt60] = ((n * n - 1) * m4 / (m2 * m2) - 3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3));
    }
  }

  {  // 20-bar windows: volume, dollar volume, and the closes' std for bb_pos_20
    const double* v = w.volume.window();
    const double* dv = w.dollar.window();
    const double* c20 = c + 233;
    double sv = 0;
    double sdv = 0;
    for (int j = 0; j < 20; ++j) {
      sv += v[j];
      sdv += dv[j];
    }
    const double mv = sv / 20;
    double ssv = 0;
    double ssc = 0;
    for (int j = 0; j < 20; ++j) {
      const double dvj = v[j] - mv;
      ssv += dvj * dvj;
      const double dcj = c20[j] - sma20;
      ssc += dcj * dcj;
    }
    const double vt = v[19];
    f[kVolumeRatio20] = mv == 0 ? 1.0 : vt / mv;
    const double sd_v = std::sqrt(ssv / 19);
    f[kVolumeZ20] = sd_v == 0 ? 0.0 : (vt - mv) / sd_v;
    f[kDollarVolumeLog20] = std::log1p(sdv / 20);
    const double sd_c = std::sqrt(ssc / 19);
    f[kBbPos20] = sd_c == 0 ? 0.0 : (ct - sma20) / (2.0 * sd_c);
  }

  f[kAtr14Norm] = window_mean(w.tr.window(), 14) / ct;
  f[kHlRange] = (w.last.high - w.last.low) / ct;
  f[kGap1d] = w.last.open / c[251] - 1.0;
  f[kDistHigh252] = ct / w.high252.best() - 1.0;
  f[kDistLow252] = ct / w.low252.best() - 1.0;
  f[kBeta60] = varb == 0 ? 0.0 : cov / varb;
  f[kCrossRankSector] = 0.5;
}

}  // namespace mlgov::detail
