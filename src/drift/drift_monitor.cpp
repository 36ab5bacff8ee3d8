// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// DriftMonitor: the windows of binned rows (written lock-free by the
// predicting threads), the figures computed from them, and the judgement.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <fmt/format.h>

#include "drift/bin_lanes.h"
#include "drift/record_kernel.h"
#include "drift/relations.h"
#include "mlgov/drift.h"
#include "mlgov/errors.h"

namespace mlgov {
namespace {

// A cell byte: the bin in the low 4 bits, then whether the symbol had a
// previous value (0x40) and whether this value equals it (0x80).
constexpr std::uint8_t kBinMask = 0x0f;
constexpr std::uint8_t kHasPrevious = 0x40;
constexpr std::uint8_t kStale = 0x80;
constexpr std::size_t kCodes = 15;  // 13 bins, stale, had a previous value
constexpr std::size_t kStaleCode = 13;
constexpr std::size_t kHasPreviousCode = 14;
constexpr std::size_t kTopSymbols = 5;
// A feature repeating its previous value in this share of the other
// symbols' rows repeats by nature (the drift proof: a sector rank 0.43-0.54,
// every continuous feature at most 0.001), so it is not judged stale per
// symbol.
constexpr double kNaturalRepeatShare = 0.05;
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

using Counts = std::array<std::uint64_t, kCodes>;

struct Thresholds {
  double warn_psi, alert_psi, clear_psi, out_of_range_warn, out_of_range_alert, stale_warn;
};

Thresholds resolve(const DriftConfig& config, const DriftThresholds* o) {
  Thresholds t{config.warn_psi,          config.alert_psi,          config.clear_psi,
               config.out_of_range_warn, config.out_of_range_alert, config.stale_warn};
  if (o == nullptr) return t;
  t.warn_psi = o->warn_psi.value_or(t.warn_psi);
  t.alert_psi = o->alert_psi.value_or(t.alert_psi);
  t.clear_psi = o->clear_psi.value_or(t.clear_psi);
  t.out_of_range_warn = o->out_of_range_warn.value_or(t.out_of_range_warn);
  t.out_of_range_alert = o->out_of_range_alert.value_or(t.out_of_range_alert);
  t.stale_warn = o->stale_warn.value_or(t.stale_warn);
  return t;
}

void add_cell(Counts& counts, std::uint8_t cell) noexcept {
  ++counts[cell & kBinMask];
  counts[kStaleCode] += (cell & kStale) != 0;
  counts[kHasPreviousCode] += (cell & kHasPrevious) != 0;
}

}  // namespace

struct DriftMonitor::State {
  static void record_row(State& s, std::uint64_t place, std::size_t model,
                         std::span<const float> values) noexcept;
  static void record_row_generic(State& s, std::uint64_t place, std::size_t model,
                                 std::span<const float> values) noexcept;
#if defined(__x86_64__) && defined(__GNUC__)
  static void record_row_avx2(State& s, std::uint64_t place, std::size_t model,
                              std::span<const float> values) noexcept;
  static void record_row_avx512(State& s, std::uint64_t place, std::size_t model,
                                std::span<const float> values) noexcept;
#endif
  // record_row's clone for this CPU (set by the constructor).
  void (*record)(State&, std::uint64_t, std::size_t,
                 std::span<const float>) noexcept = &record_row_generic;
  std::vector<std::string> features;
  DriftConfig config;
  std::vector<DriftModel> models;
  std::map<std::string, std::size_t, std::less<>> by_symbol;
  std::vector<Thresholds> thresholds;  // per feature
  std::vector<std::uint8_t> tied;      // [model * nf + f]: tied training edges
  internal::RelationPlan relations;    // the feature pairs judged (relations.h)
  std::size_t nf = 0;
  std::size_t groups = 0;  // words of 8 cells per row
  std::size_t window = 0;
  std::size_t model_window = 0;

  // Pooled window: window slots of [sequence, model, groups cell words].
  std::size_t pooled_stride = 0;
  std::unique_ptr<std::atomic<std::uint64_t>[]> pooled;
  // Where a place that has already left the window is written instead (its
  // slot may belong to a newer row by now: a batch reserves its places when
  // it starts and writes each after the row's trees, so a slow batch among
  // fast threads can fall a window behind). Never read; all atomics, so
  // several writers at once are no race.
  std::unique_ptr<std::atomic<std::uint64_t>[]> discard;
  // The slot of `place` is taken over by place + window, which exists once
  // `next` has passed it.
  std::atomic<std::uint64_t>* pooled_slot(std::uint64_t place) const noexcept {
    const std::uint64_t newest = next.load(std::memory_order_relaxed);
    return place + window >= newest ? &pooled[(place % window) * pooled_stride] : discard.get();
  }
  // On a line of their own: every batch's fetch_add on `next` must not
  // invalidate the read-mostly fields every record() reads.
  alignas(64) std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> forgone{0};  // places reserved and never recorded

  // Per watched model: its ring (model_window slots of [sequence, cells]),
  // its next place, and the previous values (two floats per word).
  alignas(64) std::vector<std::size_t> watched;  // model -> watched index, or kNone
  // Every watched model's edge table (TrainingBins' lane edges, [11][padded]
  // floats), one after the other in watched order, each 64-byte aligned: a
  // cycle over the symbols in order reads one run of memory, which the
  // hardware prefetcher follows, rather than 225 scattered heap blocks.
  std::size_t edge_stride = 0;  // floats per edge row (padded features)
  std::size_t edge_block = 0;   // floats per model
  std::vector<float> edge_storage;
  const float* edges = nullptr;  // 64-byte aligned, inside edge_storage
  const float* edges_of(std::size_t w) const noexcept { return edges + w * edge_block; }
  std::size_t model_stride = 0;
  // Slot-major: the models' slots of one ring place are adjacent, so a
  // cycle that feeds every symbol once writes one run of memory rather than
  // one cold line (and page) per model.
  std::size_t n_watched = 0;
  std::unique_ptr<std::atomic<std::uint64_t>[]> model_rings;
  std::atomic<std::uint64_t>* model_slot(std::size_t w, std::uint64_t ring_place) const noexcept {
    return &model_rings[(ring_place * n_watched + w) * model_stride];
  }
  struct alignas(64) ModelNext {
    std::atomic<std::uint64_t> next{0};
  };
  std::unique_ptr<ModelNext[]> model_next;
  // watched * previous_stride words: the model's previous values, two
  // floats a word, padded to kWideLanes floats.
  std::size_t previous_stride = 0;
  std::unique_ptr<std::atomic<std::uint64_t>[]> previous_storage;
  std::atomic<std::uint64_t>* previous = nullptr;  // 64-byte aligned, inside previous_storage

  // Judgement (evaluate), guarded by levels_mu.
  mutable std::mutex levels_mu;
  std::vector<DriftLevel> pooled_levels;
  std::vector<int> clear_runs;
  // Which figure crossed its alert threshold during the current alert
  // (bit 0: PSI, bit 1: out of range): each clears at its own lower level.
  std::vector<std::uint8_t> alerted_by;
  std::vector<DriftLevel> model_levels;  // [watched * nf + f]
};

DriftMonitor::DriftMonitor(std::vector<std::string> features, const DriftConfig& config,
                           std::vector<DriftModel> models)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  // The fastest clone this CPU runs.
  if (!internal::DriftMonitorAccess::use(*this, internal::DriftRecordKernel::kAvx512)) {
    internal::DriftMonitorAccess::use(*this, internal::DriftRecordKernel::kAvx2);
  }
  s.features = std::move(features);
  s.config = config;
  s.models = std::move(models);
  s.nf = s.features.size();
  s.groups = (s.nf + internal::kBinLanes - 1) / internal::kBinLanes;
  s.window = std::max<std::size_t>(config.window_rows, 1);
  s.model_window = std::max<std::size_t>(config.model_window_rows, 1);
  for (const auto& [name, overrides] : config.features) {
    if (std::find(s.features.begin(), s.features.end(), name) == s.features.end()) {
      throw ConfigError(fmt::format("{}drift.features.{}: not a feature of the contract",
                                    overrides.where.empty() ? "" : overrides.where + ": ", name));
    }
  }
  s.thresholds.reserve(s.nf);
  for (const std::string& name : s.features) {
    const auto it = config.features.find(name);
    s.thresholds.push_back(resolve(config, it == config.features.end() ? nullptr : &it->second));
  }
  s.watched.assign(s.models.size(), kNone);
  s.tied.assign(s.models.size() * s.nf, 0);
  std::size_t n_watched = 0;
  for (std::size_t m = 0; m < s.models.size(); ++m) {
    s.by_symbol.emplace(s.models[m].symbol, m);
    const std::optional<TrainingBins>& bins = s.models[m].bins;
    if (!bins) continue;
    if (bins->n_features() != s.nf) {
      throw std::invalid_argument(fmt::format("drift: model {} has {} features, the contract {}",
                                              s.models[m].symbol, bins->n_features(), s.nf));
    }
    for (std::size_t f = 0; f < s.nf; ++f) {
      for (std::size_t k = 0; k + 1 < internal::kLaneEdges; ++k) {
        if (bins->lane_edges_[k * bins->padded_ + f] ==
            bins->lane_edges_[(k + 1) * bins->padded_ + f]) {
          s.tied[m * s.nf + f] = 1;
        }
      }
    }
    s.watched[m] = n_watched++;
  }
  s.edge_stride = (s.nf + internal::kWideLanes - 1) / internal::kWideLanes * internal::kWideLanes;
  s.edge_block = internal::kLaneEdges * s.edge_stride;  // a multiple of 16 floats: 64 bytes
  constexpr std::size_t kAlignFloats = 64 / sizeof(float);
  s.edge_storage.assign(n_watched * s.edge_block + kAlignFloats, 0.0f);
  {
    const auto at = reinterpret_cast<std::uintptr_t>(s.edge_storage.data());
    const std::size_t skip = (64 - at % 64) % 64 / sizeof(float);
    s.edges = s.edge_storage.data() + skip;
  }
  for (std::size_t m = 0; m < s.models.size(); ++m) {
    if (s.watched[m] == kNone) continue;
    const TrainingBins& bins = *s.models[m].bins;
    // Row by row (TrainingBins pads its rows on its own terms); padding
    // lanes +inf, as there (their values load as NaN and bin to kNanBin).
    auto* block = const_cast<float*>(s.edges_of(s.watched[m]));
    for (std::size_t k = 0; k < internal::kLaneEdges; ++k) {
      for (std::size_t f = 0; f < s.edge_stride; ++f) {
        block[k * s.edge_stride + f] = f < s.nf ? bins.lane_edges_[k * bins.padded_ + f]
                                                : std::numeric_limits<float>::infinity();
      }
    }
  }
  s.relations = internal::RelationPlan(s.nf, s.models);
  s.pooled_stride = 2 + s.groups;
  s.pooled = std::make_unique<std::atomic<std::uint64_t>[]>(s.window * s.pooled_stride);
  s.discard = std::make_unique<std::atomic<std::uint64_t>[]>(s.pooled_stride);
  s.model_stride = 1 + s.groups;
  s.model_rings =
      std::make_unique<std::atomic<std::uint64_t>[]>(n_watched * s.model_window * s.model_stride);
  s.n_watched = n_watched;
  s.model_next = std::make_unique<State::ModelNext[]>(n_watched);
  s.previous_stride =
      (s.nf + internal::kWideLanes - 1) / internal::kWideLanes * (internal::kWideLanes / 2);
  const std::size_t previous_words = n_watched * s.previous_stride;
  // 64-byte aligned (a model's previous values in whole lines).
  s.previous_storage = std::make_unique<std::atomic<std::uint64_t>[]>(previous_words + 8);
  {
    const auto at = reinterpret_cast<std::uintptr_t>(s.previous_storage.get());
    s.previous = s.previous_storage.get() + (64 - at % 64) % 64 / sizeof(std::uint64_t);
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::uint64_t two_nans = 0;
  std::memcpy(&two_nans, &nan, sizeof nan);
  std::memcpy(reinterpret_cast<char*>(&two_nans) + sizeof nan, &nan, sizeof nan);
  for (std::size_t i = 0; i < previous_words; ++i) {
    s.previous[i].store(two_nans, std::memory_order_relaxed);
  }
  s.pooled_levels.assign(s.nf, DriftLevel::kOk);
  s.clear_runs.assign(s.nf, 0);
  s.alerted_by.assign(s.nf, 0);
  s.model_levels.assign(n_watched * s.nf, DriftLevel::kOk);
}

DriftMonitor::~DriftMonitor() = default;

std::optional<std::size_t> DriftMonitor::model_index(std::string_view symbol) const noexcept {
  const auto it = state_->by_symbol.find(symbol);
  if (it == state_->by_symbol.end()) return std::nullopt;
  return it->second;
}

std::size_t DriftMonitor::n_models() const noexcept { return state_->models.size(); }
const std::vector<std::string>& DriftMonitor::features() const noexcept { return state_->features; }
const DriftConfig& DriftMonitor::config() const noexcept { return state_->config; }
bool DriftMonitor::watches(std::size_t model) const noexcept {
  return model < state_->watched.size() && state_->watched[model] != kNone;
}

void DriftMonitor::record(std::size_t model, std::span<const float> values) noexcept {
  if (!watches(model) || values.size() != state_->nf) return;
  record_reserved(reserve_rows(1), model, values);
}

std::uint64_t DriftMonitor::reserve_rows(std::size_t rows) noexcept {
  return state_->next.fetch_add(rows, std::memory_order_relaxed);
}

void DriftMonitor::forgo_rows(std::size_t rows) noexcept {
  state_->forgone.fetch_add(rows, std::memory_order_relaxed);
}

// bin_lanes.h's vectors inside record_row, an always_inline body: no
// vector crosses a call, so clang's -Wpsabi has no ABI to protect.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
// The row's binning and window writes (record_reserved's body), inlined into
// two clones: without -mavx2 GCC lowers the 8-lane (256-bit) vector compares
// of bin_lanes.h to scalar code (~370 ns a row of 28 features); compiled for
// AVX2 they are a handful of vcmpps per group. The clone is picked once, at
// construction, from the CPU (__builtin_cpu_supports), not per call.
[[gnu::always_inline]] inline void DriftMonitor::State::record_row(
    State& s, std::uint64_t place, std::size_t model, std::span<const float> values) noexcept {
  if (model >= s.watched.size() || values.size() != s.nf) return;
  const std::size_t w = s.watched[model];
  if (w == kNone) return;

  std::atomic<std::uint64_t>* pooled = s.pooled_slot(place);
  // The model's place: a plain load and store, not an atomic add: one
  // symbol is fed from one thread at a time in every engine we know, and two
  // threads racing here only share a slot (the seqlock keeps it whole or
  // leaves it out).
  std::atomic<std::uint64_t>& model_next = s.model_next[w].next;
  const std::uint64_t model_place = model_next.load(std::memory_order_relaxed);
  model_next.store(model_place + 1, std::memory_order_relaxed);
  std::atomic<std::uint64_t>* ring = s.model_slot(w, model_place % s.model_window);

  // The seqlock's writer: sequence 0, then every word of the row with a
  // release store (a reader that sees one of them also sees the 0), then the
  // sequence. Release stores rather than a fence: the same instructions on
  // x86, and ThreadSanitizer, which does not model fences, can check them.
  pooled[0].store(0, std::memory_order_relaxed);
  ring[0].store(0, std::memory_order_relaxed);
  pooled[1].store(model, std::memory_order_release);

  std::atomic<std::uint64_t>* previous = &s.previous[w * s.previous_stride];
  for (std::size_t g = 0; g < s.groups; ++g) {
    const std::size_t first = g * internal::kBinLanes;
    const std::size_t count = std::min(internal::kBinLanes, s.nf - first);
    const internal::BinFloat8 v = internal::load_lanes(values.data() + first, count);
    const internal::BinInt8 cells = internal::bin_lanes(s.edges_of(w) + first, s.edge_stride, v);
    std::uint64_t new_words[internal::kBinLanes / 2];
    std::memcpy(new_words, &v, sizeof new_words);
    // The stale flags from the previous values, in scalar registers: building
    // a vector of the four words read back would go through memory and miss
    // store forwarding (a ~15-cycle stall per group). A lane had a previous
    // value when that value is not NaN, and is stale when its bits are equal.
    std::uint64_t flags = 0;
    for (std::size_t i = 0; i < internal::kBinLanes / 2; ++i) {
      std::atomic<std::uint64_t>& word = previous[g * (internal::kBinLanes / 2) + i];
      const std::uint64_t old_word = word.load(std::memory_order_relaxed);
      word.store(new_words[i], std::memory_order_relaxed);
      for (std::size_t half = 0; half < 2; ++half) {
        const auto old_bits = static_cast<std::uint32_t>(old_word >> (32 * half));
        const auto new_bits = static_cast<std::uint32_t>(new_words[i] >> (32 * half));
        const std::uint64_t had = (old_bits & 0x7fffffffu) <= 0x7f800000u;  // not NaN
        const std::uint64_t same = old_bits == new_bits;
        flags |= (had * kHasPrevious | had * same * kStale) << (8 * (2 * i + half));
      }
    }
    const internal::BinByte8 bytes = internal::low_bytes(cells);
    std::uint64_t word;
    std::memcpy(&word, &bytes, sizeof word);
    word |= flags;
    pooled[2 + g].store(word, std::memory_order_release);
    ring[1 + g].store(word, std::memory_order_release);
  }
  pooled[0].store(place + 1, std::memory_order_release);
  ring[0].store(model_place + 1, std::memory_order_release);
}

#pragma GCC diagnostic pop

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void DriftMonitor::State::record_row_avx2(
    State& s, std::uint64_t place, std::size_t model, std::span<const float> values) noexcept {
  record_row(s, place, model, values);
}

// The AVX-512 clone, 16 features a register: a masked load of the values
// (no padded copy, no load past the row), 11 compares into mask registers
// each counted into the lanes they hold (vpmovm2d, vpsubd), the stale flags from one integer
// compare against the previous values, and one narrowing (vpmovdb) to the
// cell bytes. The previous values stay relaxed atomic words (a model fed
// from two threads at once is a race the memory model must define), read
// and written one word at a time and moved between general and vector
// registers: no store-to-load forwarding through memory.
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) void
DriftMonitor::State::record_row_avx512(State& s, std::uint64_t place, std::size_t model,
                                       std::span<const float> values) noexcept {
  if (model >= s.watched.size() || values.size() != s.nf) return;
  const std::size_t w = s.watched[model];
  if (w == kNone) return;

  std::atomic<std::uint64_t>* pooled = s.pooled_slot(place);
  // A plain load and store of the model's place, as in record_row.
  std::atomic<std::uint64_t>& model_next = s.model_next[w].next;
  const std::uint64_t model_place = model_next.load(std::memory_order_relaxed);
  model_next.store(model_place + 1, std::memory_order_relaxed);
  std::atomic<std::uint64_t>* ring = s.model_slot(w, model_place % s.model_window);

  // The seqlock's writer: sequence 0, then every word of the row with a
  // release store (a reader that sees one of them also sees the 0), then the
  // sequence. Release stores rather than a fence: the same instructions on
  // x86, and ThreadSanitizer, which does not model fences, can check them.
  pooled[0].store(0, std::memory_order_relaxed);
  ring[0].store(0, std::memory_order_relaxed);
  pooled[1].store(model, std::memory_order_release);

  const __m512i nan_bin = _mm512_set1_epi32(static_cast<int>(kNanBin));
  const __m512 nan_lanes = _mm512_set1_ps(std::numeric_limits<float>::quiet_NaN());
  const __m512i has_previous = _mm512_set1_epi32(kHasPrevious);
  const __m512i stale = _mm512_set1_epi32(kStale);
  std::atomic<std::uint64_t>* previous = &s.previous[w * s.previous_stride];
  const float* edges = s.edges_of(w);
  const std::size_t stride = s.edge_stride;
  constexpr auto relaxed = std::memory_order_relaxed;
  for (std::size_t first = 0; first < s.nf; first += internal::kWideLanes) {
    const std::size_t count = std::min(internal::kWideLanes, s.nf - first);
    const auto lanes = static_cast<__mmask16>((1u << count) - 1u);
    // Lanes past the row load as NaN, as in load_lanes: the same bytes as
    // the other clones, padding included.
    const __m512 v = _mm512_mask_loadu_ps(nan_lanes, lanes, values.data() + first);
    __m512i bin = _mm512_setzero_si512();
    for (std::size_t k = 0; k < internal::kLaneEdges; ++k) {
      const __mmask16 ge =
          _mm512_cmp_ps_mask(v, _mm512_loadu_ps(edges + k * stride + first), _CMP_GE_OQ);
      bin = _mm512_sub_epi32(bin, _mm512_movm_epi32(ge));  // all ones: -1
    }
    bin = _mm512_mask_mov_epi32(bin, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan_bin);

    std::atomic<std::uint64_t>* words = previous + first / 2;
    auto word_at = [words](int i) {
      return static_cast<long long>(words[i].load(std::memory_order_relaxed));
    };
    const __m512i old = _mm512_set_epi64(word_at(7), word_at(6), word_at(5), word_at(4), word_at(3),
                                         word_at(2), word_at(1), word_at(0));
    // A lane had a previous value when it is not NaN, and is stale when its
    // bits equal the new value's.
    const __mmask16 had =
        _mm512_cmp_ps_mask(_mm512_castsi512_ps(old), _mm512_castsi512_ps(old), _CMP_ORD_Q);
    const __m512i bits = _mm512_castps_si512(v);
    const __mmask16 same = _mm512_cmpeq_epi32_mask(old, bits);
    bin = _mm512_mask_or_epi32(bin, had, bin, has_previous);
    bin = _mm512_mask_or_epi32(bin, had & same, bin, stale);

    // The masked forms: a defined pass-through (GCC 12 warns that the plain
    // intrinsics' undefined source "may be used uninitialized").
    const __m128i zero = _mm_setzero_si128();
    const __m128i new01 = _mm512_mask_extracti64x2_epi64(zero, 0x3, bits, 0);
    const __m128i new23 = _mm512_mask_extracti64x2_epi64(zero, 0x3, bits, 1);
    const __m128i new45 = _mm512_mask_extracti64x2_epi64(zero, 0x3, bits, 2);
    const __m128i new67 = _mm512_mask_extracti64x2_epi64(zero, 0x3, bits, 3);
    words[0].store(static_cast<std::uint64_t>(_mm_cvtsi128_si64(new01)), relaxed);
    words[1].store(static_cast<std::uint64_t>(_mm_extract_epi64(new01, 1)), relaxed);
    words[2].store(static_cast<std::uint64_t>(_mm_cvtsi128_si64(new23)), relaxed);
    words[3].store(static_cast<std::uint64_t>(_mm_extract_epi64(new23, 1)), relaxed);
    words[4].store(static_cast<std::uint64_t>(_mm_cvtsi128_si64(new45)), relaxed);
    words[5].store(static_cast<std::uint64_t>(_mm_extract_epi64(new45, 1)), relaxed);
    words[6].store(static_cast<std::uint64_t>(_mm_cvtsi128_si64(new67)), relaxed);
    words[7].store(static_cast<std::uint64_t>(_mm_extract_epi64(new67, 1)), relaxed);

    // The 16 cell bytes: two words of the slot (the second only when the
    // row has features there).
    const __m128i cells = _mm512_mask_cvtepi32_epi8(zero, 0xffff, bin);
    const std::size_t word = first / internal::kBinLanes;
    const auto low = static_cast<std::uint64_t>(_mm_cvtsi128_si64(cells));
    pooled[2 + word].store(low, std::memory_order_release);
    ring[1 + word].store(low, std::memory_order_release);
    if (word + 1 < s.groups) {
      const auto high = static_cast<std::uint64_t>(_mm_extract_epi64(cells, 1));
      pooled[3 + word].store(high, std::memory_order_release);
      ring[2 + word].store(high, std::memory_order_release);
    }
  }
  pooled[0].store(place + 1, std::memory_order_release);
  ring[0].store(model_place + 1, std::memory_order_release);
}
#endif

void DriftMonitor::State::record_row_generic(State& s, std::uint64_t place, std::size_t model,
                                             std::span<const float> values) noexcept {
  record_row(s, place, model, values);
}

void DriftMonitor::record_reserved(std::uint64_t place, std::size_t model,
                                   std::span<const float> values) noexcept {
  state_->record(*state_, place, model, values);
}

namespace internal {

std::string_view to_string(DriftRecordKernel kernel) noexcept {
  switch (kernel) {
    case DriftRecordKernel::kGeneric:
      return "generic";
    case DriftRecordKernel::kAvx2:
      return "avx2";
    case DriftRecordKernel::kAvx512:
      return "avx512";
  }
  return "?";
}

bool DriftMonitorAccess::cpu_runs(DriftRecordKernel kernel) noexcept {
  switch (kernel) {
    case DriftRecordKernel::kGeneric:
      return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case DriftRecordKernel::kAvx2:
      return __builtin_cpu_supports("avx2");
    case DriftRecordKernel::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
    default:
      return false;
  }
}

DriftRecordKernel DriftMonitorAccess::kernel(const DriftMonitor& monitor) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  if (monitor.state_->record == &DriftMonitor::State::record_row_avx512) {
    return DriftRecordKernel::kAvx512;
  }
  if (monitor.state_->record == &DriftMonitor::State::record_row_avx2) {
    return DriftRecordKernel::kAvx2;
  }
#endif
  return DriftRecordKernel::kGeneric;
}

bool DriftMonitorAccess::use(DriftMonitor& monitor, DriftRecordKernel kernel) noexcept {
  if (!cpu_runs(kernel)) return false;
  auto& record = monitor.state_->record;
  switch (kernel) {
    case DriftRecordKernel::kGeneric:
      record = &DriftMonitor::State::record_row_generic;
      return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case DriftRecordKernel::kAvx2:
      record = &DriftMonitor::State::record_row_avx2;
      return true;
    case DriftRecordKernel::kAvx512:
      record = &DriftMonitor::State::record_row_avx512;
      return true;
#endif
    default:
      return false;
  }
}

}  // namespace internal

void DriftMonitor::prefetch(std::size_t model) const noexcept {
  const State& s = *state_;
  if (model >= s.watched.size() || s.watched[model] == kNone) return;
  const std::size_t w = s.watched[model];
  constexpr std::size_t kLine = 64;
  // The edge table: one line in four. The tables are adjacent in symbol
  // order, so the hardware prefetcher fetches the lines between; a prefetch
  // per line costs more than it saves (BM_DriftCostPaired: 22 prefetches a
  // row 10.5-12.6 us a cycle, one in four 9.7-9.8 us, none 11.5-12.4 us).
  const char* first = reinterpret_cast<const char*>(s.edges_of(w));
  const std::size_t bytes = s.edge_block * sizeof(float);  // whole lines
  for (std::size_t at = 0; at < bytes; at += 4 * kLine) __builtin_prefetch(first + at, 0, 3);
  // Written by record(): fetched for writing (64-byte aligned, whole lines).
  const auto* previous = reinterpret_cast<const char*>(&s.previous[w * s.previous_stride]);
  const std::size_t previous_bytes = s.previous_stride * sizeof(std::uint64_t);
  for (std::size_t at = 0; at < previous_bytes; at += kLine) {
    __builtin_prefetch(previous + at, 1, 3);
  }
  __builtin_prefetch(&s.model_next[w], 1, 3);
}

namespace {

// The figures of feature f over the counts of the given models
// (counts[m * nf + f]).
FeatureDrift figures_of(const std::string& name, std::size_t f, std::size_t nf,
                        const std::vector<DriftModel>& models,
                        const std::vector<std::size_t>& included, const std::vector<Counts>& counts,
                        const std::vector<std::uint8_t>& tied, const Thresholds& t,
                        bool with_top_symbols) {
  FeatureDrift d;
  d.feature = name;
  Counts total{};
  for (std::size_t m : included) {
    const Counts& c = counts[m * nf + f];
    for (std::size_t k = 0; k < kCodes; ++k) total[k] += c[k];
    if (tied[m * nf + f]) d.stale_judged = false;
  }
  for (std::size_t k = 0; k <= kNanBin; ++k) d.rows += total[k];
  d.nan_rows = total[kNanBin];
  for (std::size_t j = 1; j <= kDecileBins; ++j) d.in_range_rows += total[j];
  const std::uint64_t valid = d.rows - d.nan_rows;
  // Each model's expected shares weigh by its in-range rows (its non-NaN
  // rows when no row is in range), so the pooled expectation is what the
  // same rows would show under their own training distributions.
  const bool by_in_range = d.in_range_rows > 0;
  std::vector<double> weight(included.size(), 0.0);
  double total_weight = 0.0;
  for (std::size_t i = 0; i < included.size(); ++i) {
    const Counts& c = counts[included[i] * nf + f];
    std::uint64_t in_range = 0;
    for (std::size_t j = 1; j <= kDecileBins; ++j) in_range += c[j];
    const std::uint64_t rows_valid = c[0] + in_range + c[kAboveRangeBin];
    weight[i] = static_cast<double>(by_in_range ? in_range : rows_valid);
    total_weight += weight[i];
  }
  for (std::size_t i = 0; i < included.size(); ++i) {
    if (weight[i] == 0.0) continue;
    const auto& e = models[included[i]].bins->expected_shares(f);
    for (std::size_t j = 0; j < kDecileBins; ++j) {
      d.expected_shares[j] += weight[i] / total_weight * e[j];
    }
  }
  if (total_weight == 0.0) d.expected_shares.fill(1.0 / static_cast<double>(kDecileBins));
  if (by_in_range) {
    for (std::size_t j = 0; j < kDecileBins; ++j) {
      d.shares[j] = static_cast<double>(total[j + 1]) / static_cast<double>(d.in_range_rows);
    }
  }
  if (valid > 0) {
    d.psi = population_stability_index(d.shares, d.expected_shares);
    d.below_range_fraction =
        static_cast<double>(total[kBelowRangeBin]) / static_cast<double>(valid);
    d.above_range_fraction =
        static_cast<double>(total[kAboveRangeBin]) / static_cast<double>(valid);
    d.out_of_range_fraction = d.below_range_fraction + d.above_range_fraction;
  }
  if (total[kHasPreviousCode] > 0) {
    d.stale_share =
        static_cast<double>(total[kStaleCode]) / static_cast<double>(total[kHasPreviousCode]);
  }
  if (!with_top_symbols || valid == 0) return d;

  std::array<double, kDecileBins> log_ratio;
  for (std::size_t j = 0; j < kDecileBins; ++j) {
    log_ratio[j] = std::log(std::max(d.shares[j], kPsiMinShare) /
                            std::max(d.expected_shares[j], kPsiMinShare));
  }
  std::vector<SymbolContribution> all;
  for (std::size_t i = 0; i < included.size(); ++i) {
    const std::size_t m = included[i];
    const Counts& c = counts[m * nf + f];
    SymbolContribution sc;
    sc.symbol = models[m].symbol;
    for (std::size_t k = 0; k <= kNanBin; ++k) sc.rows += c[k];
    if (sc.rows == 0) continue;
    const auto& e = models[m].bins->expected_shares(f);
    for (std::size_t j = 0; j < kDecileBins; ++j) {
      const double observed =
          by_in_range ? static_cast<double>(c[j + 1]) / static_cast<double>(d.in_range_rows) : 0.0;
      const double expected = total_weight > 0.0 ? weight[i] / total_weight * e[j] : 0.0;
      sc.psi_contribution += (observed - expected) * log_ratio[j];
    }
    sc.out_of_range_rows = c[kBelowRangeBin] + c[kAboveRangeBin];
    sc.stale_rows = c[kStaleCode];
    sc.score = sc.psi_contribution / t.warn_psi + static_cast<double>(sc.out_of_range_rows) /
                                                      static_cast<double>(valid) /
                                                      t.out_of_range_warn;
    if (d.stale_judged && total[kHasPreviousCode] > 0) {
      sc.score += static_cast<double>(sc.stale_rows) /
                  static_cast<double>(total[kHasPreviousCode]) / t.stale_warn;
    }
    if (sc.score > 0.0) all.push_back(std::move(sc));
  }
  const std::size_t keep = std::min(kTopSymbols, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    [](const SymbolContribution& a, const SymbolContribution& b) {
                      return a.score > b.score || (a.score == b.score && a.symbol < b.symbol);
                    });
  all.resize(keep);
  d.top_symbols = std::move(all);
  return d;
}

}  // namespace

DriftSnapshot DriftMonitor::snapshot() const {
  const State& s = *state_;
  DriftSnapshot snap;
  const std::size_t nf = s.nf;
  std::vector<Counts> pooled_counts(s.models.size() * nf, Counts{});
  std::vector<std::uint64_t> cells(s.groups);
  internal::RelationTally relation_tally(s.relations);

  // The pooled window: places [next - window, next).
  const std::uint64_t next = s.next.load(std::memory_order_acquire);
  const std::uint64_t forgone = s.forgone.load(std::memory_order_relaxed);
  snap.rows_recorded = next > forgone ? next - forgone : 0;
  const std::uint64_t oldest = next > s.window ? next - s.window : 0;
  for (std::size_t p = 0; p < s.window; ++p) {
    const std::atomic<std::uint64_t>* slot = &s.pooled[p * s.pooled_stride];
    const std::uint64_t seq = slot[0].load(std::memory_order_acquire);
    if (seq == 0 || seq - 1 < oldest || seq - 1 >= next) continue;
    // The seqlock's reader: acquire loads of the row's words (a word of a
    // newer row brings its writer's sequence 0 along), then the sequence
    // again; the slot is whole when both sequence loads agree.
    const std::uint64_t model = slot[1].load(std::memory_order_acquire);
    for (std::size_t g = 0; g < s.groups; ++g)
      cells[g] = slot[2 + g].load(std::memory_order_acquire);
    if (slot[0].load(std::memory_order_relaxed) != seq || model >= s.models.size()) continue;
    ++snap.window_rows;
    for (std::size_t f = 0; f < nf; ++f) {
      const auto cell = static_cast<std::uint8_t>(cells[f / 8] >> (8 * (f % 8)));
      add_cell(pooled_counts[model * nf + f], cell);
    }
    relation_tally.add(model, [&cells](std::size_t f) {
      return static_cast<std::uint8_t>((cells[f / 8] >> (8 * (f % 8))) & kBinMask);
    });
  }

  std::vector<std::size_t> watched;
  for (std::size_t m = 0; m < s.models.size(); ++m) {
    if (s.watched[m] != kNone) {
      watched.push_back(m);
      if (!s.models[m].bins->has_relations()) {
        snap.models_without_relations.push_back(s.models[m].symbol);
      }
    } else {
      snap.models_without_stats.push_back(s.models[m].symbol);
    }
  }
  std::vector<Counts> pooled_totals(nf, Counts{});
  for (std::size_t m = 0; m < s.models.size(); ++m) {
    for (std::size_t f = 0; f < nf; ++f) {
      for (std::size_t k = 0; k < kCodes; ++k) pooled_totals[f][k] += pooled_counts[m * nf + f][k];
    }
  }
  std::vector<DriftLevel> pooled_levels;
  std::vector<DriftLevel> model_levels;
  {
    std::lock_guard lock(s.levels_mu);
    pooled_levels = s.pooled_levels;
    model_levels = s.model_levels;
  }
  for (std::size_t f = 0; f < nf; ++f) {
    FeatureDrift d = figures_of(s.features[f], f, nf, s.models, watched, pooled_counts, s.tied,
                                s.thresholds[f], true);
    d.level = pooled_levels[f];
    d.relations = relation_tally.figures(f, s.features, s.config, d.relation_broken);
    snap.features.push_back(std::move(d));
  }

  // Each model's own window: places [next - model_window, next) of its ring;
  // the latest stale_window_rows of them also count as recent. Read
  // slot-major, as the rings are laid out (one run of memory, not a page per
  // slot); `watched` lists the models in watched order (watched[w] is the
  // model of ring w).
  const std::size_t n_watched = watched.size();
  std::vector<Counts> model_counts(s.models.size() * nf, Counts{});
  std::vector<Counts> recent_counts(n_watched * nf, Counts{});
  std::vector<std::uint64_t> model_nexts(n_watched), model_oldest(n_watched),
      recent_oldest(n_watched), model_rows(n_watched, 0), recent_rows(n_watched, 0);
  for (std::size_t w = 0; w < n_watched; ++w) {
    const std::uint64_t next_place = s.model_next[w].next.load(std::memory_order_acquire);
    model_nexts[w] = next_place;
    model_oldest[w] = next_place > s.model_window ? next_place - s.model_window : 0;
    recent_oldest[w] =
        next_place > s.config.stale_window_rows ? next_place - s.config.stale_window_rows : 0;
  }
  for (std::size_t p = 0; p < s.model_window; ++p) {
    for (std::size_t w = 0; w < n_watched; ++w) {
      const std::atomic<std::uint64_t>* slot = s.model_slot(w, p);
      const std::uint64_t seq = slot[0].load(std::memory_order_acquire);
      if (seq == 0 || seq - 1 < model_oldest[w] || seq - 1 >= model_nexts[w]) continue;
      for (std::size_t g = 0; g < s.groups; ++g) {
        cells[g] = slot[1 + g].load(std::memory_order_acquire);  // as above
      }
      if (slot[0].load(std::memory_order_relaxed) != seq) continue;
      ++model_rows[w];
      const bool is_recent = seq - 1 >= recent_oldest[w];
      recent_rows[w] += is_recent;
      const std::size_t m = watched[w];
      for (std::size_t f = 0; f < nf; ++f) {
        const auto cell = static_cast<std::uint8_t>(cells[f / 8] >> (8 * (f % 8)));
        add_cell(model_counts[m * nf + f], cell);
        if (is_recent) add_cell(recent_counts[w * nf + f], cell);
      }
    }
  }
  for (std::size_t w = 0; w < n_watched; ++w) {
    const std::size_t m = watched[w];
    const Counts* recent = &recent_counts[w * nf];
    ModelDrift md;
    md.symbol = s.models[m].symbol;
    md.rows = model_rows[w];
    md.recent_rows = recent_rows[w];
    const std::vector<std::size_t> only{m};
    for (std::size_t f = 0; f < nf; ++f) {
      FeatureDrift d = figures_of(s.features[f], f, nf, s.models, only, model_counts, s.tied,
                                  s.thresholds[f], false);
      if (recent[f][kHasPreviousCode] > 0) {
        d.recent_stale_share = static_cast<double>(recent[f][kStaleCode]) /
                               static_cast<double>(recent[f][kHasPreviousCode]);
      }
      // How often the feature repeats by nature: its stale share over the
      // other symbols' rows of the pooled window. A feature that repeats
      // there (a rank in its sector holds for days) is not judged stale per
      // model, or every symbol at the top of its sector would be "frozen".
      const Counts& all = pooled_totals[f];
      const Counts& own = pooled_counts[m * nf + f];
      const std::uint64_t others_previous = all[kHasPreviousCode] - own[kHasPreviousCode];
      d.others_stale_share = others_previous == 0
                                 ? 0.0
                                 : static_cast<double>(all[kStaleCode] - own[kStaleCode]) /
                                       static_cast<double>(others_previous);
      d.stale_judged = d.stale_judged && d.others_stale_share < kNaturalRepeatShare;
      d.level = model_levels[w * nf + f];
      md.features.push_back(std::move(d));
    }
    snap.models.push_back(std::move(md));
  }
  summarise(snap);
  return snap;
}

void DriftMonitor::summarise(DriftSnapshot& snap) {
  snap.worst_psi = 0.0;
  snap.worst_feature.clear();
  snap.features_in_warning = 0;
  snap.features_in_alert = 0;
  for (const FeatureDrift& d : snap.features) {
    if (d.rows > d.nan_rows && (snap.worst_feature.empty() || d.psi > snap.worst_psi)) {
      snap.worst_psi = d.psi;
      snap.worst_feature = d.feature;
    }
    snap.features_in_warning += d.level == DriftLevel::kWarning;
    snap.features_in_alert += d.level == DriftLevel::kAlert;
  }
}

namespace {

const char* first_reason(const FeatureDrift& d, const Thresholds& t, bool alert) {
  if (d.psi >= (alert ? t.alert_psi : t.warn_psi)) return "PSI";
  if (d.out_of_range_fraction >= (alert ? t.out_of_range_alert : t.out_of_range_warn)) {
    return "OUT_OF_RANGE";
  }
  if (alert && d.relation_broken) return "RELATION";
  return "STALE";
}

}  // namespace

DriftEvaluation DriftMonitor::evaluate() {
  State& s = *state_;
  DriftEvaluation out;
  out.snapshot = snapshot();
  std::lock_guard lock(s.levels_mu);
  const bool judged = out.snapshot.window_rows >= s.config.min_rows;
  for (std::size_t f = 0; f < s.nf; ++f) {
    FeatureDrift& d = out.snapshot.features[f];
    const Thresholds& t = s.thresholds[f];
    const DriftLevel before = s.pooled_levels[f];
    DriftLevel after = before;
    const bool valid = d.rows > d.nan_rows;
    if (judged && valid) {
      const bool psi_alert = d.psi >= t.alert_psi;
      const bool range_alert = d.out_of_range_fraction >= t.out_of_range_alert;
      const bool relation_alert = d.relation_broken;
      const bool alert = psi_alert || range_alert || relation_alert;
      const bool warn = d.psi >= t.warn_psi || d.out_of_range_fraction >= t.out_of_range_warn ||
                        (d.stale_judged && d.stale_share >= t.stale_warn);
      out.alert_now = out.alert_now || alert;
      if (alert) {
        after = DriftLevel::kAlert;
        s.clear_runs[f] = 0;
        s.alerted_by[f] |= (psi_alert ? 1 : 0) | (range_alert ? 2 : 0) | (relation_alert ? 4 : 0);
      } else if (before == DriftLevel::kAlert) {
        // A figure that crossed its alert threshold must fall below its
        // clear level (PSI: clear_psi; out of range: out_of_range_warn;
        // relations: no longer most broken).
        const bool calm =
            ((s.alerted_by[f] & 1) == 0 || d.psi < t.clear_psi) &&
            ((s.alerted_by[f] & 2) == 0 || d.out_of_range_fraction < t.out_of_range_warn) &&
            ((s.alerted_by[f] & 4) == 0 || !d.relation_broken);
        s.clear_runs[f] = calm ? s.clear_runs[f] + 1 : 0;
        if (s.clear_runs[f] >= s.config.clear_evaluations) {
          after = warn ? DriftLevel::kWarning : DriftLevel::kOk;
          s.clear_runs[f] = 0;
          s.alerted_by[f] = 0;
        }
      } else {
        after = warn ? DriftLevel::kWarning : DriftLevel::kOk;
      }
    }
    s.pooled_levels[f] = after;
    d.level = after;
    if (after == DriftLevel::kAlert) out.in_alert = true;
    if (after != before) {
      DriftTransition tr;
      tr.feature = d.feature;
      tr.from = before;
      tr.to = after;
      tr.figures = d;
      tr.reason =
          after == DriftLevel::kOk ? "CLEARED" : first_reason(d, t, after == DriftLevel::kAlert);
      out.transitions.push_back(std::move(tr));
    }
  }
  for (ModelDrift& md : out.snapshot.models) {
    const std::size_t m = *model_index(md.symbol);
    const std::size_t w = s.watched[m];
    for (std::size_t f = 0; f < s.nf; ++f) {
      FeatureDrift& d = md.features[f];
      const DriftLevel before = s.model_levels[w * s.nf + f];
      DriftLevel after = before;
      if (d.stale_judged && md.recent_rows >= s.config.stale_window_rows) {
        after = d.recent_stale_share >= s.thresholds[f].stale_warn ? DriftLevel::kWarning
                                                                   : DriftLevel::kOk;
      }
      s.model_levels[w * s.nf + f] = after;
      d.level = after;
      if (after != before) {
        DriftTransition tr;
        tr.feature = d.feature;
        tr.symbol = md.symbol;
        tr.from = before;
        tr.to = after;
        tr.figures = d;
        tr.reason = after == DriftLevel::kOk ? "CLEARED" : "STALE";
        out.transitions.push_back(std::move(tr));
      }
    }
  }
  summarise(out.snapshot);
  return out;
}

}  // namespace mlgov
