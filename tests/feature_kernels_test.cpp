// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The batch kernel (8 rows per call in SSE2 registers, 16 in AVX2) gives, lane by
// lane, the bits of the one-row kernel the streaming path uses. The batch
// picks the AVX2 version on a CPU that has it, so feature_parity_test alone
// would leave the SSE2 version untested here: this test runs both directly.
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "features/batch_layout.h"
#include "features/feature_kernel.h"
#include "mlgov/bars.h"
#include "mlgov/offline/synthetic_market.h"

namespace mlgov::internal {
namespace {

// history as SymbolHistory with the benchmark's return on the same index.
SymbolHistory history_of(const BarSeries& symbol, const BarSeries& benchmark) {
  EXPECT_EQ(symbol.bars.size(), benchmark.bars.size());
  SymbolHistory h;
  h.build(symbol.bars, [&](std::size_t j) {
    return simple_return(benchmark.bars[j].close, benchmark.bars[j - 1].close);
  });
  return h;
}

// Every 8-row call of `kernel` against 8 one-row calls, all 28 values, by bits.
void expect_lanes_equal_rows(const SymbolHistory& h, BatchKernel kernel, const char* name) {
  const std::size_t bars = h.close.size();
  const auto lanes = static_cast<std::size_t>(kernel.lanes);
  ASSERT_GE(bars, kLookback + lanes);
  double batch[kMaxBatchLanes][kNumFeatures];
  double one[1][kNumFeatures];
  std::size_t compared = 0;
  for (std::size_t t = kLookback - 1; t + lanes <= bars; ++t) {
    kernel.rows(h.rows_from(t), batch);
    for (int k = 0; k < kernel.lanes; ++k) {
      compute_feature_rows<double>(h.rows_from(t + static_cast<std::size_t>(k)), one);
      for (int c = 0; c < kNumFeatures; ++c) {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(batch[k][c]),
                  std::bit_cast<std::uint64_t>(one[0][c]))
            << name << ": row " << t + static_cast<std::size_t>(k) << " (lane " << k << ") "
            << kFeatureNames[static_cast<std::size_t>(c)] << ": " << batch[k][c] << " vs "
            << one[0][c];
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 0U);
}

// A market with fat tails, and a series that goes flat with no volume for a
// year (every fallback branch: rsi 50, zero range, zero variance, zero volume)
// then moves again, so lanes of one call take different branches.
struct Inputs {
  SyntheticMarket market;
  BarSeries flat;
};

const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs made;
    SyntheticMarketOptions options;
    options.symbols = 4;
    options.years = 3;
    options.sectors = 2;
    options.seed = 11;
    made.market = generate_synthetic_market(options);
    made.flat = made.market.symbols[0];
    for (std::size_t j = 300; j < 600 && j < made.flat.bars.size(); ++j) {
      Bar& b = made.flat.bars[j];
      b.open = b.high = b.low = b.close = 50.0;
      b.volume = 0.0;
    }
    return made;
  }();
  return in;
}

TEST(FeatureKernels, Sse2LanesEqualTheOneRowKernelBitForBit) {
  const Inputs& in = inputs();
  for (const BarSeries& s : in.market.symbols) {
    expect_lanes_equal_rows(history_of(s, in.market.benchmark), kSse2BatchKernel, "sse2");
  }
  expect_lanes_equal_rows(history_of(in.flat, in.market.benchmark), kSse2BatchKernel, "sse2 flat");
}

#ifdef MLGOV_HAS_AVX2_KERNEL
TEST(FeatureKernels, Avx2LanesEqualTheOneRowKernelBitForBit) {
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "this CPU has no AVX2";
  const Inputs& in = inputs();
  for (const BarSeries& s : in.market.symbols) {
    expect_lanes_equal_rows(history_of(s, in.market.benchmark), kAvx2BatchKernel, "avx2");
  }
  expect_lanes_equal_rows(history_of(in.flat, in.market.benchmark), kAvx2BatchKernel, "avx2 flat");
}

TEST(FeatureKernels, TheBatchUsesAvx2ExactlyWhenTheCpuHasIt) {
  const BatchKernel expected = __builtin_cpu_supports("avx2") ? kAvx2BatchKernel : kSse2BatchKernel;
  EXPECT_EQ(best_batch_kernel().rows, expected.rows);
  EXPECT_EQ(best_batch_kernel().lanes, expected.lanes);
}

#endif  // MLGOV_HAS_AVX2_KERNEL

// Eight symbols' windows stepped bar by bar, each from its own start (so
// their rings wrap at different bars), the flat series among them: after
// every bar, one call of `kernel` against compute_features on each window.
void expect_stream_lanes_equal_one_by_one(StreamKernel kernel) {
  const Inputs& in = inputs();
  std::vector<const BarSeries*> sources;
  for (const BarSeries& s : in.market.symbols) sources.push_back(&s);
  sources.push_back(&in.flat);
  std::vector<SymbolWindows> w(kStreamLanes);
  const SymbolWindows* ptrs[kStreamLanes];
  for (int k = 0; k < kStreamLanes; ++k) ptrs[k] = &w[static_cast<std::size_t>(k)];
  const std::vector<Bar>& bench = in.market.benchmark.bars;
  const std::size_t bars = bench.size() - 7 * kStreamLanes;
  double lanes[kStreamLanes][kNumFeatures];
  std::size_t compared = 0;
  for (std::size_t t = 0; t < bars; ++t) {
    for (int k = 0; k < kStreamLanes; ++k) {
      const std::size_t j = t + 7 * static_cast<std::size_t>(k);
      const auto& source = sources[static_cast<std::size_t>(k) % sources.size()]->bars;
      w[static_cast<std::size_t>(k)].push(
          source[j], t == 0 ? 0.0 : simple_return(bench[j].close, bench[j - 1].close));
    }
    if (t + 1 < static_cast<std::size_t>(kLookback)) continue;
    kernel.rows(ptrs, lanes);
    for (int k = 0; k < kStreamLanes; ++k) {
      double one[kNumFeatures];
      compute_features(w[static_cast<std::size_t>(k)], one);
      for (int c = 0; c < kNumFeatures; ++c) {
        ASSERT_EQ(std::bit_cast<std::uint64_t>(lanes[k][c]), std::bit_cast<std::uint64_t>(one[c]))
            << kernel.name << ": bar " << t << " lane " << k << " "
            << kFeatureNames[static_cast<std::size_t>(c)];
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 0U);
}

TEST(FeatureKernels, Sse2StreamLanesEqualOneSymbolAtATimeBitForBit) {
  expect_stream_lanes_equal_one_by_one({compute_stream_rows_sse2, "sse2"});
}

#ifdef MLGOV_HAS_AVX2_KERNEL
TEST(FeatureKernels, Avx2StreamLanesEqualOneSymbolAtATimeBitForBit) {
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "this CPU has no AVX2";
  expect_stream_lanes_equal_one_by_one({compute_stream_rows_avx2, "avx2"});
}

TEST(FeatureKernels, Avx512StreamLanesEqualOneSymbolAtATimeBitForBit) {
  if (!__builtin_cpu_supports("avx512f")) GTEST_SKIP() << "this CPU has no AVX-512";
  expect_stream_lanes_equal_one_by_one({compute_stream_rows_avx512, "avx512"});
}
#endif  // MLGOV_HAS_AVX2_KERNEL

TEST(FeatureKernels, HistoryHoldsWhatTheStreamingWindowsHold) {
  // The batch's inputs for a row are the streaming windows after that bar.
  const Inputs& in = inputs();
  const BarSeries& s = in.market.symbols[1];
  const SymbolHistory h = history_of(s, in.market.benchmark);
  SymbolWindows w;
  for (std::size_t j = 0; j < s.bars.size(); ++j) {
    w.push(s.bars[j], j == 0 ? 0.0
                             : simple_return(in.market.benchmark.bars[j].close,
                                             in.market.benchmark.bars[j - 1].close));
    if (j + 1 < static_cast<std::size_t>(kLookback)) continue;
    double from_windows[kNumFeatures];
    compute_features(w, from_windows);
    double from_history[1][kNumFeatures];
    compute_feature_rows<double>(h.rows_from(j), from_history);
    for (int c = 0; c < kNumFeatures; ++c) {
      ASSERT_EQ(std::bit_cast<std::uint64_t>(from_windows[c]),
                std::bit_cast<std::uint64_t>(from_history[0][c]))
          << "bar " << j << " " << kFeatureNames[static_cast<std::size_t>(c)];
    }
  }
}

}  // namespace
}  // namespace mlgov::internal
