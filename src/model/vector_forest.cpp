// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "model/vector_forest.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "model/model_document.h"

namespace mlgov::internal {
namespace {

constexpr std::uint32_t kFeatureMask = 0x7fffffffu;
constexpr std::uint32_t kDefaultLeftBit = 0x80000000u;
constexpr std::size_t kLanes = VectorForest::kLanes;
// Trees of one chunk are evaluated for every row block before moving on, so
// that their nodes stay in L1 while the rows stream past.
constexpr std::size_t kChunkBytes = 32 * 1024;
// Independent descents interleaved: row blocks of 16 per tree in a batch,
// groups of 16 trees for one row.
constexpr int kBatchBlocks = 4;
constexpr int kRowGroups = 2;
// Fewer rows than this are scored one by one (16 trees per instruction).
constexpr std::size_t kBatchMinRows = 4;

// Floats per table (thresholds, feature words, leaves) of one tree in the
// batch layout: at least 64 so that the register tables load whole.
constexpr std::size_t table_floats(int depth) {
  return std::max<std::size_t>(64, std::size_t{1} << depth);
}

float word_as_float(std::uint32_t w) {
  float f;
  std::memcpy(&f, &w, sizeof f);
  return f;
}

// Full gathers with a defined pass-through (GCC 12 warns that the plain
// intrinsics' undefined source "may be used uninitialized").
__attribute__((target("avx512f"), always_inline)) inline __m512 gather_ps(
    __m512i index, const void* base) noexcept {
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xffff, index, base, 4);
}
__attribute__((target("avx512f"), always_inline)) inline __m512i gather_epi32(
    __m512i index, const void* base) noexcept {
  return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xffff, index, base, 4);
}

// Where the lanes go right at one level: !(x < t), except NaN, which goes
// right unless the node's default is left.
__attribute__((target("avx512f"), always_inline)) inline __mmask16 goes_right(
    __m512 x, __m512 threshold, __m512i feature_word) noexcept {
  const __mmask16 not_less = _mm512_cmp_ps_mask(x, threshold, _CMP_NLT_UQ);
  const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
  const __mmask16 default_left =
      _mm512_test_epi32_mask(feature_word, _mm512_set1_epi32(static_cast<int>(kDefaultLeftBit)));
  return static_cast<__mmask16>(not_less ^ (nan & default_left));
}

// Adds trees [t0, t1) to acc[k] for K blocks of 16 rows each (block k's
// row r at rows[k] + r * n_features, lanes of valid[k]). The K blocks'
// descents are interleaved: each level's gather waits on the level before,
// so independent chains must be in flight together. `tree` points at the
// batch layout.
template <int D, int K>
__attribute__((target("avx512f"))) void batch_trees(const float* tree, std::size_t stride,
                                                    std::size_t t0, std::size_t t1,
                                                    const float* const* rows, __m512i row_offsets,
                                                    const __mmask16* valid, __m512* acc) noexcept {
  constexpr std::size_t p = table_floats(D);
  constexpr int n_internal = (1 << D) - 1;
  const __m512i feature_mask = _mm512_set1_epi32(static_cast<int>(kFeatureMask));
  const __m512i one = _mm512_set1_epi32(1);
  for (std::size_t t = t0; t < t1; ++t) {
    const float* thr = tree + t * stride;
    const float* feat = thr + p;
    const float* leaves = feat + p;
    // Levels 0-4: heap nodes 0..30, in two registers per table.
    const __m512 thr_a = _mm512_loadu_ps(thr);
    const __m512 thr_b = _mm512_loadu_ps(thr + 16);
    const __m512i feat_a = _mm512_loadu_si512(feat);
    const __m512i feat_b = _mm512_loadu_si512(feat + 16);
    __m512i idx[K];
    for (int k = 0; k < K; ++k) idx[k] = _mm512_setzero_si512();
    for (int level = 0; level < D; ++level) {
      for (int k = 0; k < K; ++k) {
        __m512 threshold;
        __m512i word;
        if (level <= 4) {
          threshold = _mm512_permutex2var_ps(thr_a, idx[k], thr_b);
          word = _mm512_permutex2var_epi32(feat_a, idx[k], feat_b);
        } else if (level == 5) {  // heap nodes 31..62
          const __m512i local = _mm512_sub_epi32(idx[k], _mm512_set1_epi32(31));
          threshold =
              _mm512_permutex2var_ps(_mm512_loadu_ps(thr + 31), local, _mm512_loadu_ps(thr + 47));
          word = _mm512_permutex2var_epi32(_mm512_loadu_si512(feat + 31), local,
                                           _mm512_loadu_si512(feat + 47));
        } else {
          threshold = gather_ps(idx[k], thr);
          word = gather_epi32(idx[k], feat);
        }
        const __m512i offset = _mm512_add_epi32(row_offsets, _mm512_and_si512(word, feature_mask));
        const __m512 x =
            _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid[k], offset, rows[k], 4);
        const __mmask16 right = goes_right(x, threshold, word);
        idx[k] = _mm512_add_epi32(_mm512_add_epi32(idx[k], idx[k]), one);
        idx[k] = _mm512_mask_add_epi32(idx[k], right, idx[k], one);
      }
    }
    for (int k = 0; k < K; ++k) {
      const __m512i leaf = _mm512_sub_epi32(idx[k], _mm512_set1_epi32(n_internal));
      __m512 value;
      if constexpr (D <= 5) {
        value = _mm512_permutex2var_ps(_mm512_loadu_ps(leaves), leaf, _mm512_loadu_ps(leaves + 16));
      } else if constexpr (D == 6) {
        const __m512 low =
            _mm512_permutex2var_ps(_mm512_loadu_ps(leaves), leaf, _mm512_loadu_ps(leaves + 16));
        const __m512 high = _mm512_permutex2var_ps(_mm512_loadu_ps(leaves + 32), leaf,
                                                   _mm512_loadu_ps(leaves + 48));
        const __mmask16 upper = _mm512_test_epi32_mask(leaf, _mm512_set1_epi32(32));
        value = _mm512_mask_blend_ps(upper, low, high);
      } else {
        value = gather_ps(leaf, leaves);
      }
      acc[k] = _mm512_add_ps(acc[k], value);  // per lane (row): tree order
    }
  }
}

template <int D>
__attribute__((target("avx512f"))) void batch_margins(const float* tree, std::size_t stride,
                                                      std::size_t n_trees, std::size_t n_features,
                                                      float base_margin, const float* rows,
                                                      std::size_t n_rows, float* out) noexcept {
  constexpr int K = kBatchBlocks;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i row_offsets =
      _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(n_features)));
  const std::size_t chunk = std::max<std::size_t>(1, kChunkBytes / (stride * sizeof(float)));
  for (std::size_t t0 = 0; t0 < n_trees; t0 += chunk) {
    const std::size_t t1 = std::min(n_trees, t0 + chunk);
    for (std::size_t i = 0; i < n_rows; i += K * kLanes) {
      const float* block_rows[K];
      __mmask16 valid[K];
      __m512 acc[K];
      for (int k = 0; k < K; ++k) {
        const std::size_t first = i + static_cast<std::size_t>(k) * kLanes;
        const std::size_t n = first < n_rows ? std::min(kLanes, n_rows - first) : 0;
        valid[k] = static_cast<__mmask16>(n == kLanes ? 0xffffu : (1u << n) - 1u);
        // A block past the end keeps a valid pointer and loads nothing.
        block_rows[k] = rows + std::min(first, n_rows - 1) * n_features;
        acc[k] = t0 == 0 ? _mm512_set1_ps(base_margin)
                         : _mm512_maskz_loadu_ps(valid[k], out + std::min(first, n_rows));
      }
      batch_trees<D, K>(tree, stride, t0, t1, block_rows, row_offsets, valid, acc);
      for (int k = 0; k < K; ++k) {
        const std::size_t first = i + static_cast<std::size_t>(k) * kLanes;
        _mm512_mask_storeu_ps(out + std::min(first, n_rows), valid[k], acc[k]);
      }
    }
  }
}

// Per lane, the vector at v + 16 * local[lane] of 2^B vectors at v, v + 16,
// ...: a tree of blends on the bits of `local` (bit[b] = lanes whose bit b
// is set). Gathers are slow on the machines measured (a 16-lane gather
// costs as much as ~30 blends), so per-lane lookups are blends up to 64
// candidates.
template <int B>
__attribute__((target("avx512f"), always_inline)) inline __m512 mux(const float* v,
                                                                    const __mmask16* bit) noexcept {
  if constexpr (B == 0) {
    return _mm512_loadu_ps(v);
  } else {
    const __m512 low = mux<B - 1>(v, bit);
    const __m512 high = mux<B - 1>(v + (std::size_t{1} << (B - 1)) * kLanes, bit);
    return _mm512_mask_blend_ps(bit[B - 1], low, high);
  }
}

// The row's value of feature `word & kFeatureMask` per lane: permutes from
// the row held in registers (at most 64 features), else a gather.
struct RowInRegisters {
  __m512 r0, r1, r2, r3;
};

template <int XW>
__attribute__((target("avx512f"), always_inline)) inline __m512 row_value(
    const RowInRegisters& r, const float* row, __m512i feature) noexcept {
  if constexpr (XW == 1) {
    return _mm512_permutex2var_ps(r.r0, feature, r.r1);
  } else if constexpr (XW == 2) {
    const __m512 low = _mm512_permutex2var_ps(r.r0, feature, r.r1);
    const __m512 high = _mm512_permutex2var_ps(r.r2, feature, r.r3);
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(feature, _mm512_set1_epi32(32)), low, high);
  } else {
    return gather_ps(feature, row);
  }
}

// One level of K interleaved descents (16 trees each) for one row: node
// `local` of this level per lane, then the child index within the next
// level. Levels past 6 gather (a blend tree over 128+ nodes costs more).
template <int Level, int D, int K, int XW>
__attribute__((target("avx512f"), always_inline)) inline void row_level(
    const float* groups, std::size_t stride, std::size_t g0, const float* row,
    const RowInRegisters& in_registers, __m512i* local) noexcept {
  constexpr int n_internal = (1 << D) - 1;
  constexpr std::size_t first = (std::size_t{1} << Level) - 1;
  const __m512i feature_mask = _mm512_set1_epi32(static_cast<int>(kFeatureMask));
  for (int k = 0; k < K; ++k) {
    const float* thr = groups + (g0 + static_cast<std::size_t>(k)) * stride;
    const float* feat = thr + n_internal * kLanes;
    __m512 threshold;
    __m512i word;
    if constexpr (Level <= 6) {
      __mmask16 bit[Level > 0 ? Level : 1];
      for (int b = 0; b < Level; ++b) {
        bit[b] = _mm512_test_epi32_mask(local[k], _mm512_set1_epi32(1 << b));
      }
      threshold = mux<Level>(thr + first * kLanes, bit);
      word = _mm512_castps_si512(mux<Level>(feat + first * kLanes, bit));
    } else {
      const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
      const __m512i slot = _mm512_add_epi32(
          _mm512_maskz_slli_epi32(
              0xffff, _mm512_add_epi32(local[k], _mm512_set1_epi32(static_cast<int>(first))), 4),
          lane);
      threshold = gather_ps(slot, thr);
      word = gather_epi32(slot, feat);
    }
    const __m512 x = row_value<XW>(in_registers, row, _mm512_and_si512(word, feature_mask));
    const __mmask16 right = goes_right(x, threshold, word);
    local[k] = _mm512_add_epi32(local[k], local[k]);
    local[k] = _mm512_mask_add_epi32(local[k], right, local[k], _mm512_set1_epi32(1));
  }
  if constexpr (Level + 1 < D) {
    row_level<Level + 1, D, K, XW>(groups, stride, g0, row, in_registers, local);
  }
}

// Adds to `acc`, in tree order, the leaves of groups [g0, g0 + K) of 16
// trees each for one row (trees past n_trees are padding, never added).
// Group g holds, for heap node n, the 16 trees' thresholds at [n * 16,
// n * 16 + 16), then their feature words likewise; leaves are read from the
// batch layout (`leaves` + tree * tree_stride). The K groups' descents are
// interleaved.
template <int D, int K, int XW>
__attribute__((target("avx512f"))) float row_groups(const float* groups, std::size_t stride,
                                                    const float* leaves, std::size_t tree_stride,
                                                    std::size_t g0, std::size_t n_trees,
                                                    const float* row,
                                                    const RowInRegisters& in_registers,
                                                    float acc) noexcept {
  alignas(64) std::int32_t leaf_index[K][kLanes];
  __m512i local[K];  // index within the level
  for (int k = 0; k < K; ++k) local[k] = _mm512_setzero_si512();
  row_level<0, D, K, XW>(groups, stride, g0, row, in_registers, local);
  for (int k = 0; k < K; ++k) _mm512_store_si512(leaf_index[k], local[k]);
  for (int k = 0; k < K; ++k) {
    const std::size_t first = (g0 + static_cast<std::size_t>(k)) * kLanes;
    const std::size_t n = std::min(kLanes, n_trees - first);
    const float* tree_leaves = leaves + first * tree_stride;
    for (std::size_t j = 0; j < n; ++j) {
      acc += tree_leaves[j * tree_stride + static_cast<std::size_t>(leaf_index[k][j])];
    }
  }
  return acc;
}

// Up to 16 values of `row` from `from` on, zero past n_features.
__attribute__((target("avx512f"), always_inline)) inline __m512 row_part(
    const float* row, std::size_t n_features, std::size_t from) noexcept {
  if (from >= n_features) return _mm512_setzero_ps();
  const std::size_t n = std::min(kLanes, n_features - from);
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>(n == kLanes ? 0xffffu : (1u << n) - 1u),
                               row + from);
}

template <int D, int XW>
__attribute__((target("avx512f"))) float row_margin(const float* groups, std::size_t stride,
                                                    const float* leaves, std::size_t tree_stride,
                                                    std::size_t n_trees, std::size_t n_features,
                                                    float base_margin, const float* row) noexcept {
  constexpr int K = kRowGroups;
  RowInRegisters r{};
  if constexpr (XW > 0) {
    r.r0 = row_part(row, n_features, 0);
    r.r1 = row_part(row, n_features, 16);
    r.r2 = row_part(row, n_features, 32);
    r.r3 = row_part(row, n_features, 48);
  }
  const std::size_t n_groups = (n_trees + kLanes - 1) / kLanes;
  float acc = base_margin;
  std::size_t g = 0;
  for (; g + K <= n_groups; g += K) {
    acc = row_groups<D, K, XW>(groups, stride, leaves, tree_stride, g, n_trees, row, r, acc);
  }
  for (; g < n_groups; ++g) {
    acc = row_groups<D, 1, XW>(groups, stride, leaves, tree_stride, g, n_trees, row, r, acc);
  }
  return acc;
}

// ---- Rank layout: 16-bit nodes, 32 trees per instruction ----
//
// Each feature's distinct split values, sorted: T_f[0] < ... < T_f[m-1]. A
// node splitting feature f at T_f[j] stores code j + 1; a row value x (not
// NaN) has rank r = #{k : T_f[k] <= x}. Then !(x < T_f[j]) exactly when
// r >= j + 1: the float compare becomes a 16-bit integer compare, and a node
// (feature << 10 | code) fits 16 bits, so one instruction moves 32 trees.
// Padding nodes store 0 (always right; both sides hold the same leaves).

constexpr int kRankBits = 10;
constexpr std::size_t kRankLanes = 32;

// The rank of `x` (not NaN): how many of feature f's sorted split values
// are <= x. Values are stored in chunks of 16 padded with +inf, and the
// last value of every chunk again as a splitter list (padded likewise): the
// number of splitters <= x is the number of whole chunks <= x, and one more
// compare counts inside the next chunk. Two dependent vector compares
// instead of a ~10-step dependent binary search. (+inf padding is counted
// only for x = +inf, whose rank then exceeds every code: still right.)
__attribute__((target("avx512f,popcnt"), always_inline)) inline std::uint16_t rank_of(
    const float* chunks, std::size_t n_chunks, const float* splitters, float x) noexcept {
  const __m512 xv = _mm512_set1_ps(x);
  std::uint32_t whole = 0;
  for (std::size_t k = 0; k < n_chunks; k += kLanes) {
    whole += static_cast<std::uint32_t>(
        _mm_popcnt_u32(_mm512_cmp_ps_mask(_mm512_loadu_ps(splitters + k), xv, _CMP_LE_OQ)));
  }
  if (whole >= n_chunks) return static_cast<std::uint16_t>(whole * kLanes);
  const auto inside = static_cast<std::uint32_t>(
      _mm_popcnt_u32(_mm512_cmp_ps_mask(_mm512_loadu_ps(chunks + whole * kLanes), xv, _CMP_LE_OQ)));
  return static_cast<std::uint16_t>(whole * kLanes + inside);
}

// Per lane, the 16-bit vector at v + 32 * local[lane] among 2^B at v.
template <int B>
__attribute__((target("avx512f,avx512bw"), always_inline)) inline __m512i mux16(
    const std::uint16_t* v, const __mmask32* bit) noexcept {
  if constexpr (B == 0) {
    return _mm512_loadu_si512(v);
  } else {
    const __m512i low = mux16<B - 1>(v, bit);
    const __m512i high = mux16<B - 1>(v + (std::size_t{1} << (B - 1)) * kRankLanes, bit);
    return _mm512_mask_blend_epi16(bit[B - 1], low, high);
  }
}

template <int Level, int D, int K>
__attribute__((target("avx512f,avx512bw"), always_inline)) inline void rank_level(
    const std::uint16_t* groups, std::size_t stride, std::size_t g0, __m512i ranks_lo,
    __m512i ranks_hi, __m512i* local) noexcept {
  constexpr std::size_t first = (std::size_t{1} << Level) - 1;
  const __m512i code_mask = _mm512_set1_epi16((1 << kRankBits) - 1);
  const __m512i one = _mm512_set1_epi16(1);
  for (int k = 0; k < K; ++k) {
    const std::uint16_t* nodes = groups + (g0 + static_cast<std::size_t>(k)) * stride;
    __mmask32 bit[Level > 0 ? Level : 1];
    for (int b = 0; b < Level; ++b) {
      bit[b] = _mm512_test_epi16_mask(local[k], _mm512_set1_epi16(static_cast<short>(1 << b)));
    }
    const __m512i word = mux16<Level>(nodes + first * kRankLanes, bit);
    const __m512i feature = _mm512_srli_epi16(word, kRankBits);
    const __m512i x_rank = _mm512_permutex2var_epi16(ranks_lo, feature, ranks_hi);
    const __mmask32 right = _mm512_cmpge_epu16_mask(x_rank, _mm512_and_si512(word, code_mask));
    local[k] = _mm512_add_epi16(local[k], local[k]);
    local[k] = _mm512_mask_add_epi16(local[k], right, local[k], one);
  }
  if constexpr (Level + 1 < D) {
    rank_level<Level + 1, D, K>(groups, stride, g0, ranks_lo, ranks_hi, local);
  }
}

// One row's margin: K groups of 32 trees interleaved, leaves added in tree
// order. `ranks` holds the row's 64 ranks (zero past n_features).
template <int D>
__attribute__((target("avx512f,avx512bw"))) float rank_margin(
    const std::uint16_t* groups, std::size_t stride, const float* leaves, std::size_t tree_stride,
    std::size_t n_trees, float base_margin, const std::uint16_t* ranks) noexcept {
  constexpr int K = 2;
  const __m512i ranks_lo = _mm512_loadu_si512(ranks);
  const __m512i ranks_hi = _mm512_loadu_si512(ranks + 32);
  const std::size_t n_groups = (n_trees + kRankLanes - 1) / kRankLanes;
  float acc = base_margin;
  alignas(64) std::uint16_t leaf_index[K][kRankLanes];
  for (std::size_t g = 0; g < n_groups; g += K) {
    __m512i local[K];
    for (int k = 0; k < K; ++k) local[k] = _mm512_setzero_si512();
    if (g + K <= n_groups) {
      rank_level<0, D, K>(groups, stride, g, ranks_lo, ranks_hi, local);
    } else {
      rank_level<0, D, 1>(groups, stride, g, ranks_lo, ranks_hi, local);
    }
    for (int k = 0; k < K; ++k) _mm512_store_si512(leaf_index[k], local[k]);
    for (int k = 0; k < K && g + static_cast<std::size_t>(k) < n_groups; ++k) {
      const std::size_t first = (g + static_cast<std::size_t>(k)) * kRankLanes;
      const std::size_t n = std::min(kRankLanes, n_trees - first);
      const float* tree_leaves = leaves + first * tree_stride;
      for (std::size_t j = 0; j < n; ++j) acc += tree_leaves[j * tree_stride + leaf_index[k][j]];
    }
  }
  return acc;
}

}  // namespace

// The tables one call reads, by layout.
struct VectorForest::Views {
  const float* by_tree;
  std::size_t tree_stride;
  const float* by_group;
  std::size_t group_stride;
  const std::uint16_t* rank_groups;  // nullptr: no rank layout
  std::size_t rank_stride;
  const float* sorted_thresholds;  // chunks of 16, +inf padded
  const std::uint32_t* chunk_offset;
  const float* splitters;
  const std::uint32_t* splitter_offset;
  std::size_t n_trees;
  std::size_t n_features;
  float base_margin;
};

namespace {

bool row_has_nan(const float* row, std::size_t n) noexcept {
  bool nan = false;
  for (std::size_t i = 0; i < n; ++i) nan |= std::isnan(row[i]);
  return nan;
}

// ranks[f] for every feature of `row` (no NaN in it).
__attribute__((target("avx512f,popcnt"))) void compute_ranks(const VectorForest::Views& v,
                                                             const float* row,
                                                             std::uint16_t* ranks) noexcept {
  for (std::size_t f = 0; f < v.n_features; ++f) {
    const std::uint32_t at = v.chunk_offset[f];
    const std::size_t n_chunks = (v.chunk_offset[f + 1] - at) / kLanes;
    ranks[f] =
        rank_of(v.sorted_thresholds + at, n_chunks, v.splitters + v.splitter_offset[f], row[f]);
  }
}

template <int D>
float one_row(const VectorForest::Views& v, const float* row) noexcept {
  constexpr std::size_t p = table_floats(D);
  const float* leaves = v.by_tree + 2 * p;
  if (v.rank_groups != nullptr && !row_has_nan(row, v.n_features)) {
    alignas(64) std::uint16_t ranks[64] = {};
    compute_ranks(v, row, ranks);
    return rank_margin<D>(v.rank_groups, v.rank_stride, leaves, v.tree_stride, v.n_trees,
                          v.base_margin, ranks);
  }
  if (v.n_features <= 32) {
    return row_margin<D, 1>(v.by_group, v.group_stride, leaves, v.tree_stride, v.n_trees,
                            v.n_features, v.base_margin, row);
  }
  if (v.n_features <= 64) {
    return row_margin<D, 2>(v.by_group, v.group_stride, leaves, v.tree_stride, v.n_trees,
                            v.n_features, v.base_margin, row);
  }
  return row_margin<D, 0>(v.by_group, v.group_stride, leaves, v.tree_stride, v.n_trees,
                          v.n_features, v.base_margin, row);
}

template <int D>
void margins_for_depth(const VectorForest::Views& v, const float* rows, std::size_t n_rows,
                       float* out) noexcept {
  if (n_rows < kBatchMinRows || v.rank_groups != nullptr) {
    for (std::size_t i = 0; i < n_rows; ++i) out[i] = one_row<D>(v, rows + i * v.n_features);
    return;
  }
  batch_margins<D>(v.by_tree, v.tree_stride, v.n_trees, v.n_features, v.base_margin, rows, n_rows,
                   out);
}

}  // namespace

std::string VectorForest::unsupported_reason(const NativeForest& forest) {
  if (forest.layout() != NativeForest::Layout::kPadded || forest.max_depth() > kMaxDepth) {
    return "trees deeper than " + std::to_string(kMaxDepth) + " (depth " +
           std::to_string(forest.max_depth()) + ")";
  }
  if (forest.max_depth() < 1) return "trees of depth 0 (a single leaf each)";
  // Gather offsets are 32-bit: row 15 of a block at 15 * n_features.
  if (forest.num_features() >
      static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()) / (kLanes + 1)) {
    return std::to_string(forest.num_features()) + " features (too many for 32-bit offsets)";
  }
  return {};
}

// The rank layout when it applies: at most 64 features, at most 1023
// distinct split values per feature, no NaN split value, and AVX-512BW.
void VectorForest::build_rank_layout(const NativeForest& forest) {
  const std::size_t n_features = forest.num_features_;
  if (n_features > 64 || !__builtin_cpu_supports("avx512bw") || !__builtin_cpu_supports("popcnt")) {
    return;
  }
  const int d = forest.max_depth_;
  const std::size_t n_internal = (std::size_t{1} << d) - 1;
  std::vector<std::vector<float>> values(n_features);
  for (const NativeForest::PaddedNode& n : forest.padded_nodes_) {
    if (std::isnan(n.threshold)) return;
    values[n.feature & kFeatureMask].push_back(n.threshold);
  }
  constexpr float kInf = std::numeric_limits<float>::infinity();
  chunk_offset_.assign(1, 0);
  splitter_offset_.assign(1, 0);
  for (std::vector<float>& v : values) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());  // -0 == +0: one entry
    if (v.size() >= (std::size_t{1} << kRankBits) - kLanes) {
      chunk_offset_.clear();
      splitter_offset_.clear();
      sorted_thresholds_.clear();
      splitters_.clear();
      return;
    }
    const std::size_t n_chunks = (v.size() + kLanes - 1) / kLanes;
    const std::size_t first = sorted_thresholds_.size();
    sorted_thresholds_.insert(sorted_thresholds_.end(), v.begin(), v.end());
    sorted_thresholds_.resize(first + n_chunks * kLanes, kInf);
    for (std::size_t c = 0; c < n_chunks; ++c) {
      splitters_.push_back(sorted_thresholds_[first + c * kLanes + kLanes - 1]);
    }
    splitters_.resize(splitter_offset_.back() + (n_chunks + kLanes - 1) / kLanes * kLanes, kInf);
    chunk_offset_.push_back(static_cast<std::uint32_t>(sorted_thresholds_.size()));
    splitter_offset_.push_back(static_cast<std::uint32_t>(splitters_.size()));
  }
  const std::size_t n_groups = (num_trees_ + kRankLanes - 1) / kRankLanes;
  rank_stride_ = n_internal * kRankLanes;
  rank_groups_.assign(n_groups * rank_stride_, 0);
  for (std::size_t t = 0; t < num_trees_; ++t) {
    const NativeForest::PaddedNode* nodes = forest.padded_nodes_.data() + t * n_internal;
    std::uint16_t* group = rank_groups_.data() + (t / kRankLanes) * rank_stride_;
    for (std::size_t n = 0; n < n_internal; ++n) {
      const std::uint32_t f = nodes[n].feature & kFeatureMask;
      const std::vector<float>& v = values[f];
      // code j + 1 for T_f[j]: the rank from which a value goes right.
      const auto j = static_cast<std::size_t>(
          std::lower_bound(v.begin(), v.end(), nodes[n].threshold) - v.begin());
      group[n * kRankLanes + t % kRankLanes] =
          static_cast<std::uint16_t>((f << kRankBits) | (j + 1));
    }
  }
}

bool VectorForest::cpu_has_avx512() noexcept { return __builtin_cpu_supports("avx512f"); }

std::unique_ptr<VectorForest> VectorForest::build(std::unique_ptr<NativeForest> forest,
                                                  const std::string& source) {
  if (const std::string reason = unsupported_reason(*forest); !reason.empty()) {
    throw UnsupportedModelError(source + ": the native_simd backend does not evaluate " + reason);
  }
  auto v = std::make_unique<VectorForest>();
  const int d = forest->max_depth_;
  const std::size_t n_internal = (std::size_t{1} << d) - 1;
  const std::size_t n_leaves = std::size_t{1} << d;
  const std::size_t n_trees = forest->num_trees_;
  v->depth_ = d;
  v->num_trees_ = n_trees;

  const std::size_t p = table_floats(d);
  v->tree_stride_ = 3 * p;
  v->by_tree_.assign(n_trees * v->tree_stride_, 0.0f);
  const std::size_t n_groups = (n_trees + kLanes - 1) / kLanes;
  v->group_stride_ = 2 * n_internal * kLanes;
  v->by_group_.assign(n_groups * v->group_stride_, 0.0f);
  for (std::size_t t = 0; t < n_trees; ++t) {
    const NativeForest::PaddedNode* nodes = forest->padded_nodes_.data() + t * n_internal;
    const float* leaves = forest->padded_leaves_.data() + t * n_leaves;
    float* tree = v->by_tree_.data() + t * v->tree_stride_;
    float* group = v->by_group_.data() + (t / kLanes) * v->group_stride_;
    const std::size_t lane = t % kLanes;
    for (std::size_t n = 0; n < n_internal; ++n) {
      tree[n] = nodes[n].threshold;
      tree[p + n] = word_as_float(nodes[n].feature);
      group[n * kLanes + lane] = nodes[n].threshold;
      group[(n_internal + n) * kLanes + lane] = word_as_float(nodes[n].feature);
    }
    for (std::size_t l = 0; l < n_leaves; ++l) tree[2 * p + l] = leaves[l];
  }
  v->build_rank_layout(*forest);
  v->vectorized_ = cpu_has_avx512();
  v->forest_ = std::move(forest);
  return v;
}

void VectorForest::margins(const float* rows, std::size_t n_rows, float* out) const noexcept {
  const Views v{by_tree_.data(),
                tree_stride_,
                by_group_.data(),
                group_stride_,
                rank_groups_.empty() ? nullptr : rank_groups_.data(),
                rank_stride_,
                sorted_thresholds_.data(),
                chunk_offset_.data(),
                splitters_.data(),
                splitter_offset_.data(),
                num_trees_,
                forest_->num_features(),
                forest_->base_margin()};
  switch (depth_) {
    case 1:
      return margins_for_depth<1>(v, rows, n_rows, out);
    case 2:
      return margins_for_depth<2>(v, rows, n_rows, out);
    case 3:
      return margins_for_depth<3>(v, rows, n_rows, out);
    case 4:
      return margins_for_depth<4>(v, rows, n_rows, out);
    case 5:
      return margins_for_depth<5>(v, rows, n_rows, out);
    case 6:
      return margins_for_depth<6>(v, rows, n_rows, out);
    case 7:
      return margins_for_depth<7>(v, rows, n_rows, out);
    default:
      return margins_for_depth<8>(v, rows, n_rows, out);
  }
}

bool VectorForest::predict_margin(const float* rows, std::size_t n_rows,
                                  float* out) const noexcept {
  if (!vectorized_) return forest_->predict_margin(rows, n_rows, out);
  if (n_rows == 0) return true;
  if (rows == nullptr || out == nullptr) return false;
  margins(rows, n_rows, out);
  return true;
}

bool VectorForest::predict(const float* rows, std::size_t n_rows, float* out) noexcept {
  if (!vectorized_) return forest_->predict(rows, n_rows, out);
  if (!predict_margin(rows, n_rows, out)) return false;
  if (forest_->objective() == NativeForest::Objective::kBinaryLogistic) {
    // XGBoost 1.7 common::Sigmoid, in float (as NativeForest::predict).
    for (std::size_t i = 0; i < n_rows; ++i) out[i] = 1.0f / (1.0f + std::exp(-out[i]));
  }
  return true;
}

std::unique_ptr<ModelBackend> load_native_simd_backend(const ValidatedModel& model,
                                                       const std::string& source) {
  return VectorForest::build(NativeForest::build(model, source), source);
}

}  // namespace mlgov::internal
