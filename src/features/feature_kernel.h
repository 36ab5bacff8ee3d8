// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Internal: THE kernel that turns a symbol's windows into the 28 ml_v1
// features (compute_feature_rows), its inputs (KernelInputs) and the choice
// of batch kernel for this CPU. Its two input layouts hold the same values
// and feed it, so they agree to the bit: the fixed-size windows of one
// streaming symbol (features/feature_windows.h, one row per bar) and a
// symbol's whole history (features/batch_layout.h, several consecutive rows
// at once).
//
// Every sum, mean and moment is computed from the window's own values, in
// double, oldest to newest; max/min over 252 bars are exact (monotonic deques
// when streaming, van Herk/Gil-Werman blocks in the batch).
#pragma once

#include <algorithm>
#include <cmath>

#include "features/feature_ids.h"
#include "features/feature_lanes.h"
#include "features/feature_windows.h"

namespace mlgov::internal {

// What THE kernel reads for L consecutive rows of one symbol (rows t0 ..
// t0 + L - 1). Every pointer is to values oldest first; row k (0 <= k < L)
// reads the same window shifted by k. With L = 1 these are the streaming
// windows; the batch points them into a symbol's whole history.
struct KernelInputs {
  const double* close;    // 253 + L - 1: row k reads close[k .. k + 252]
  const double* ret;      // 60 + L - 1: r_j = c_j / c_{j-1} - 1
  const double* bench;    // 60 + L - 1: b_j, the benchmark's return on r_j's date
  const double* tr;       // 14 + L - 1: true range
  const double* high;     // 14 + L - 1: row k's own high is high[k + 13]
  const double* low;      // 14 + L - 1
  const double* volume;   // 20 + L - 1
  const double* dollar;   // 20 + L - 1: c * v
  const double* open;     // L: row k's own open
  const double* high252;  // L: the highest high of the 252 bars ending at row k
  const double* low252;   // L: the lowest low of those bars
};

// THE kernel: the 28 features of L consecutive rows, in spec order, in
// double: f[k][feature] for row k. cross_rank_sector is the fallback 0.5 (the
// universe step overwrites it).
//
// Each sum adds its window's values oldest to newest, exactly as one loop per
// window and row would. The loops only interleave independent sums (windows
// ending at the same bar, and the L rows in the lanes) so that they overlap in
// the CPU: the additions of each single sum, and so its bits, are the same for
// every L (tests/feature_parity_test.cpp holds the batch, L = 8 or 16, to
// streaming, L = 1; tests/feature_kernels_test.cpp both batch kernels, lane by lane).
//
// V is the lane type: double (one row, streaming) or LaneParts<L, Part>.
// S is the layout of the windows: element j of lane k is p[j * S + k]. S = 1
// (KernelInputs as documented): the lanes are consecutive rows of one
// symbol, each window the previous one shifted by a bar. S = L: the lanes
// are L symbols' windows interleaved (InterleavedWindows, streaming L symbols
// at once). The arithmetic is the same for both.
// Always inlined, so that a caller compiled for AVX2 gets AVX2 code.
template <class V, int S = 1>
[[gnu::always_inline]] inline void compute_feature_rows(const KernelInputs& in,
                                                        double (*f)[kNumFeatures]) noexcept {
  constexpr int L = kLanesOf<V>;
  static_assert(S == 1 || S == L);
  const double* c = in.close;  // row k: c[252 * S + k] = c_t, c[(252 - j) * S + k] = c_{t-j}
  for (int k = 0; k < L; ++k) {
    const double* ck = c + k;
    const double ct = ck[252 * S];
    f[k][kRet1d] = ct / ck[251 * S] - 1.0;
    f[k][kRet5d] = ct / ck[247 * S] - 1.0;
    f[k][kRet10d] = ct / ck[242 * S] - 1.0;
    f[k][kRet20d] = ct / ck[232 * S] - 1.0;
    f[k][kRet60d] = ct / ck[192 * S] - 1.0;
    f[k][kMom12_1] = ck[231 * S] / ck[0] - 1.0;
    f[k][kHlRange] = (in.high[13 * S + k] - in.low[13 * S + k]) / ct;
    f[k][kGap1d] = in.open[k] / ck[251 * S] - 1.0;
    f[k][kDistHigh252] = ct / in.high252[k] - 1.0;
    f[k][kDistLow252] = ct / in.low252[k] - 1.0;
    f[k][kCrossRankSector] = 0.5;
  }

  // Close sums: SMA_200 from c[53], SMA_50 from c[203], SMA_26 from c[227],
  // SMA_20 from c[233], SMA_12 from c[241], all to c[252].
  V s200{};
  V s50{};
  V s26{};
  V s20{};
  V s12{};
  int i = 53;
  for (; i < 203; ++i) s200 += load_lanes<V>(c + i * S);
  for (; i < 227; ++i) {
    const V x = load_lanes<V>(c + i * S);
    s200 += x;
    s50 += x;
  }
  for (; i < 233; ++i) {
    const V x = load_lanes<V>(c + i * S);
    s200 += x;
    s50 += x;
    s26 += x;
  }
  for (; i < 241; ++i) {
    const V x = load_lanes<V>(c + i * S);
    s200 += x;
    s50 += x;
    s26 += x;
    s20 += x;
  }
  for (; i < 253; ++i) {
    const V x = load_lanes<V>(c + i * S);
    s200 += x;
    s50 += x;
    s26 += x;
    s20 += x;
    s12 += x;
  }
  const V sma20 = s20 / 20;
  {
    const V ct = load_lanes<V>(c + 252 * S);
    const V ratio20 = ct / sma20 - 1.0;
    const V ratio50 = ct / (s50 / 50) - 1.0;
    const V ratio200 = ct / (s200 / 200) - 1.0;
    const V cross = (s12 / 12) / (s26 / 26) - 1.0;
    for (int k = 0; k < L; ++k) {
      f[k][kSmaRatio20] = lane<V>(ratio20, k);
      f[k][kSmaRatio50] = lane<V>(ratio50, k);
      f[k][kSmaRatio200] = lane<V>(ratio200, k);
      f[k][kSmaCross12_26] = lane<V>(cross, k);
    }
  }

  {  // rsi_14: d = c_j - c_{j-1} for the 14 newest j, oldest first
    V gain{};
    V loss{};
    for (int j = 239; j <= 252; ++j) {
      const V d = load_lanes<V>(c + j * S) - load_lanes<V>(c + (j - 1) * S);
      gain += positive_part<V>(d);
      loss += negative_part<V>(d);
    }
    for (int k = 0; k < L; ++k) {
      const double g = lane<V>(gain, k) / 14;
      const double l = lane<V>(loss, k) / 14;
      if (l == 0) {
        f[k][kRsi14] = g > 0 ? 100.0 : 50.0;
      } else {
        f[k][kRsi14] = 100.0 - 100.0 / (1.0 + g / l);
      }
    }
  }

  {  // stoch_k_14
    V hi = load_lanes<V>(in.high);
    V lo = load_lanes<V>(in.low);
    for (int j = 1; j < 14; ++j) {
      hi = lanes_max<V>(hi, load_lanes<V>(in.high + j * S));
      lo = lanes_min<V>(lo, load_lanes<V>(in.low + j * S));
    }
    for (int k = 0; k < L; ++k) {
      const double range = lane<V>(hi, k) - lane<V>(lo, k);
      f[k][kStochK14] = range == 0 ? 0.5 : (c[252 * S + k] - lane<V>(lo, k)) / range;
    }
  }

  // Returns: means of r over 60, 20 (from r[40]) and 5 (from r[55]) and of b over 60.
  const double* r = in.ret;  // row k: r[59 * S + k] = r_t
  const double* b = in.bench;
  V sr60{};
  V sb60{};
  V sr20{};
  V sr5{};
  for (int j = 0; j < 40; ++j) {
    sr60 += load_lanes<V>(r + j * S);
    sb60 += load_lanes<V>(b + j * S);
  }
  for (int j = 40; j < 55; ++j) {
    const V x = load_lanes<V>(r + j * S);
    sr60 += x;
    sb60 += load_lanes<V>(b + j * S);
    sr20 += x;
  }
  for (int j = 55; j < 60; ++j) {
    const V x = load_lanes<V>(r + j * S);
    sr60 += x;
    sb60 += load_lanes<V>(b + j * S);
    sr20 += x;
    sr5 += x;
  }
  const V mr = sr60 / 60;
  const V mb = sb60 / 60;
  const V m20 = sr20 / 20;
  const V m5 = sr5 / 5;
  // Central moments, covariance and the 20- and 5-bar sums of squares, each
  // over j oldest to newest.
  V m2sum{};
  V m3sum{};
  V m4sum{};
  V cov{};
  V varb{};
  // Two passes, so that one pass's accumulators fit the registers.
  for (int j = 0; j < 60; ++j) {
    const V d = load_lanes<V>(r + j * S) - mr;
    const V d2 = d * d;
    m2sum += d2;
    m3sum += d2 * d;
    m4sum += d2 * d2;
  }
  for (int j = 0; j < 60; ++j) {
    const V d = load_lanes<V>(r + j * S) - mr;
    const V e = load_lanes<V>(b + j * S) - mb;
    cov += d * e;
    varb += e * e;
  }
  V ss20{};
  for (int j = 40; j < 60; ++j) {
    const V d20 = load_lanes<V>(r + j * S) - m20;
    ss20 += d20 * d20;
  }
  V ss5{};
  for (int j = 55; j < 60; ++j) {
    const V d5 = load_lanes<V>(r + j * S) - m5;
    ss5 += d5 * d5;
  }
  for (int k = 0; k < L; ++k) {
    f[k][kVol5] = std::sqrt(lane<V>(ss5, k) / 4);
    f[k][kVol20] = std::sqrt(lane<V>(ss20, k) / 19);
    f[k][kVol60] = std::sqrt(lane<V>(m2sum, k) / 59);
    const double vb = lane<V>(varb, k);
    f[k][kBeta60] = vb == 0 ? 0.0 : lane<V>(cov, k) / vb;
    // skew_60, kurt_60 (n = 60)
    const double m2 = lane<V>(m2sum, k) / 60;
    const double m3 = lane<V>(m3sum, k) / 60;
    const double m4 = lane<V>(m4sum, k) / 60;
    if (m2 == 0) {
      f[k][kSkew60] = 0.0;
      f[k][kKurt60] = 0.0;
    } else {
      constexpr double n = 60;
      f[k][kSkew60] = std::sqrt(n * (n - 1)) / (n - 2) * m3 / (m2 * std::sqrt(m2));
      f[k][kKurt60] = ((n * n - 1) * m4 / (m2 * m2) - 3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3));
    }
  }

  {  // 20-bar windows: volume, dollar volume, and the closes' std for bb_pos_20
    const double* v = in.volume;
    const double* dv = in.dollar;
    const double* c20 = c + 233 * S;
    V sv{};
    V sdv{};
    for (int j = 0; j < 20; ++j) {
      sv += load_lanes<V>(v + j * S);
      sdv += load_lanes<V>(dv + j * S);
    }
    const V mv = sv / 20;
    V ssv{};
    V ssc{};
    for (int j = 0; j < 20; ++j) {
      const V dvj = load_lanes<V>(v + j * S) - mv;
      ssv += dvj * dvj;
      const V dcj = load_lanes<V>(c20 + j * S) - sma20;
      ssc += dcj * dcj;
    }
    for (int k = 0; k < L; ++k) {
      const double ct = c[252 * S + k];
      const double vt = v[19 * S + k];
      const double mvk = lane<V>(mv, k);
      f[k][kVolumeRatio20] = mvk == 0 ? 1.0 : vt / mvk;
      const double sd_v = std::sqrt(lane<V>(ssv, k) / 19);
      f[k][kVolumeZ20] = sd_v == 0 ? 0.0 : (vt - mvk) / sd_v;
      f[k][kDollarVolumeLog20] = std::log1p(lane<V>(sdv, k) / 20);
      const double sd_c = std::sqrt(lane<V>(ssc, k) / 19);
      const double sma = lane<V>(sma20, k);
      f[k][kBbPos20] = sd_c == 0 ? 0.0 : (ct - sma) / (2.0 * sd_c);
    }
  }

  {  // atr_14_norm: the mean true range over 14, oldest first
    V str{};
    for (int j = 0; j < 14; ++j) str += load_lanes<V>(in.tr + j * S);
    for (int k = 0; k < L; ++k) f[k][kAtr14Norm] = lane<V>(str, k) / 14 / c[252 * S + k];
  }
}

// The features of the newest bar of `w` (streaming). Requires w.count >= kLookback.
inline void compute_features(const SymbolWindows& w, double (&f)[kNumFeatures]) noexcept {
  const double open = w.last.open;
  const double high252 = w.high252.best();
  const double low252 = w.low252.best();
  const KernelInputs in{
      w.close.window(), w.ret.window(),    w.bench.window(),  w.tr.window(), w.high.window(),
      w.low.window(),   w.volume.window(), w.dollar.window(), &open,         &high252,
      &low252};
  compute_feature_rows<double>(in, &f);
}

// L symbols' streaming windows interleaved, for compute_feature_rows<V, L>:
// element j of symbol k's window at [j * L + k], so that one load gives that
// element for all L symbols. A cycle of a universe runs L symbols' sums side
// by side in SIMD lanes; within each symbol every sum still adds its window
// oldest to newest, so each symbol's bits are compute_features' bits.
template <int L>
struct InterleavedWindows {
  double close[kLookback * L];
  double ret[60 * L];
  double bench[60 * L];
  double tr[14 * L];
  double high[14 * L];
  double low[14 * L];
  double volume[20 * L];
  double dollar[20 * L];
  double open[L];
  double high252[L];
  double low252[L];

  // Copies the windows of w[0 .. L) (each with count >= kLookback) into the
  // lanes. kTranspose: in 8 x 8 blocks through 64-byte registers (L = 8;
  // only for AVX-512 code: compilers split those shuffles into many for
  // narrower registers, which costs more than it saves). Always inlined, so
  // that it is compiled for the caller's target.
  template <bool kTranspose>
  [[gnu::always_inline]] void set(const SymbolWindows* const* w) noexcept {
    gather<kLookback, kTranspose>(close, w,
                                  [](const SymbolWindows& x) { return x.close.window(); });
    gather<60, kTranspose>(ret, w, [](const SymbolWindows& x) { return x.ret.window(); });
    gather<60, kTranspose>(bench, w, [](const SymbolWindows& x) { return x.bench.window(); });
    gather<14, kTranspose>(tr, w, [](const SymbolWindows& x) { return x.tr.window(); });
    gather<14, kTranspose>(high, w, [](const SymbolWindows& x) { return x.high.window(); });
    gather<14, kTranspose>(low, w, [](const SymbolWindows& x) { return x.low.window(); });
    gather<20, kTranspose>(volume, w, [](const SymbolWindows& x) { return x.volume.window(); });
    gather<20, kTranspose>(dollar, w, [](const SymbolWindows& x) { return x.dollar.window(); });
    for (int k = 0; k < L; ++k) {
      open[k] = w[k]->last.open;
      high252[k] = w[k]->high252.best();
      low252[k] = w[k]->low252.best();
    }
  }
  KernelInputs inputs() const noexcept {
    return {close, ret, bench, tr, high, low, volume, dollar, open, high252, low252};
  }

 private:
  using Double8 = double __attribute__((vector_size(64)));

  // to[j * L + k] = window_of(*w[k])[j] for j < N. __builtin_shufflevector
  // (GCC 12 and clang alike) picks from the two vectors' concatenation.
  // kTranspose: 8 x 8 blocks
  // transposed in registers (8 loads, 24 shuffles, 8 stores for 64 values,
  // instead of 64 scalar loads and 64 scalar stores); the rest one by one.
  template <int N, bool kTranspose, class WindowOf>
  [[gnu::always_inline]] static void gather(double* to, const SymbolWindows* const* w,
                                            WindowOf window_of) noexcept {
    const double* from[L];
    for (int k = 0; k < L; ++k) from[k] = window_of(*w[k]);
    int j = 0;
    if constexpr (kTranspose && L == 8) {
      for (; j + 8 <= N; j += 8) {
        Double8 r[8];
        for (int k = 0; k < 8; ++k) __builtin_memcpy(&r[k], from[k] + j, sizeof(Double8));
        Double8 t[8];
        for (int k = 0; k < 8; k += 2) {
          t[k] = __builtin_shufflevector(r[k], r[k + 1], 0, 8, 2, 10, 4, 12, 6, 14);
          t[k + 1] = __builtin_shufflevector(r[k], r[k + 1], 1, 9, 3, 11, 5, 13, 7, 15);
        }
        Double8 u[8];
        for (int k : {0, 1, 4, 5}) {
          u[k] = __builtin_shufflevector(t[k], t[k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
          u[k + 2] = __builtin_shufflevector(t[k], t[k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
        for (int k = 0; k < 4; ++k) {  // column q of the block: element j + q of every lane
          const Double8 low_half =
              __builtin_shufflevector(u[k], u[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
          const Double8 high_half =
              __builtin_shufflevector(u[k], u[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
          __builtin_memcpy(to + (j + k) * 8, &low_half, sizeof(Double8));
          __builtin_memcpy(to + (j + k + 4) * 8, &high_half, sizeof(Double8));
        }
      }
    }
    for (; j < N; ++j) {
      for (int k = 0; k < L; ++k) to[j * L + k] = from[k][j];
    }
  }
};

// Asks for the cache lines the kernel will read from `w`'s windows: a
// universe's windows (about 8 KB a symbol) do not stay in L2 between cycles,
// and the requests overlap the misses of the next symbols' pushes.
inline void prefetch_windows(const SymbolWindows& w) noexcept {
  const auto lines = [](const double* p, int n) {
    for (int j = 0; j < n; j += 8) __builtin_prefetch(p + j);
    __builtin_prefetch(p + n - 1);
  };
  lines(w.close.window(), kLookback);
  lines(w.ret.window(), 60);
  lines(w.bench.window(), 60);
  lines(w.tr.window(), 14);
  lines(w.high.window(), 14);
  lines(w.low.window(), 14);
  lines(w.volume.window(), 20);
  lines(w.dollar.window(), 20);
}

// The streaming kernel for a universe: the features of the newest bar of
// `lanes` symbols per call (w[0 .. lanes), each with count >= kLookback),
// f[k] for w[k], in SSE2 registers (every x86-64), AVX2 ones or AVX-512 ones.
// Each gives compute_features' bits symbol by symbol.
inline constexpr int kStreamLanes = 8;
struct StreamKernel {
  void (*rows)(const SymbolWindows* const* w, double (*f)[kNumFeatures]) noexcept;
  const char* name;
};
void compute_stream_rows_sse2(const SymbolWindows* const* w, double (*f)[kNumFeatures]) noexcept;
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void compute_stream_rows_avx2(const SymbolWindows* const* w,
                                                              double (*f)[kNumFeatures]) noexcept;
__attribute__((target("avx512f"))) void compute_stream_rows_avx512(
    const SymbolWindows* const* w, double (*f)[kNumFeatures]) noexcept;
#endif
// AVX-512 when this CPU has it, else AVX2, else SSE2.
StreamKernel best_stream_kernel() noexcept;

// The batch kernel: `lanes` consecutive rows per call, in SSE2 registers (8
// rows: every x86-64) or AVX2 ones (16 rows). Both give the bits of
// compute_feature_rows<double> row by row (tests/feature_kernels_test.cpp).
inline constexpr int kMaxBatchLanes = 16;
struct BatchKernel {
  void (*rows)(const KernelInputs& in, double (*f)[kNumFeatures]) noexcept;
  int lanes;  // rows per call, <= kMaxBatchLanes
};
// (On other architectures "SSE2" is the same code in the machine's own
// 16-byte vectors, and there is no AVX2 kernel.)
void compute_batch_rows_sse2(const KernelInputs& in, double (*f)[kNumFeatures]) noexcept;
inline constexpr BatchKernel kSse2BatchKernel{compute_batch_rows_sse2, 8};
#if defined(__x86_64__) || defined(__i386__)
#define MLGOV_HAS_AVX2_KERNEL 1
__attribute__((target("avx2"))) void compute_batch_rows_avx2(const KernelInputs& in,
                                                             double (*f)[kNumFeatures]) noexcept;
inline constexpr BatchKernel kAvx2BatchKernel{compute_batch_rows_avx2, 16};
#endif
// AVX2 when this CPU has it, else SSE2.
BatchKernel best_batch_kernel() noexcept;

}  // namespace mlgov::internal
