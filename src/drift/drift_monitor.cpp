// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// DriftMonitor: the rings of rows (written lock-free by the predicting
// threads), the binning and figures computed from them, and the judgement.
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

#include "drift/bin_kernel.h"
#include "drift/bin_lanes.h"
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

// The monitor's memory. The hot path (record) only copies: each accepted
// row's values go, with its pooled place and a sequence number, into its
// model's ring; nothing is binned and no previous value is read there. The
// pooled window is the rows of every ring whose pooled place is among the
// last window_rows. The binning (the row's decile cells under its model's
// edges) and the stale flags (bit equality with the model's previous row,
// the ring slot before) are computed by snapshot(), off the hot path, once
// per row: the cells are kept by sequence.
struct DriftMonitor::State {
  std::vector<std::string> features;
  DriftConfig config;
  std::vector<DriftModel> models;
  std::map<std::string, std::size_t, std::less<>> by_symbol;
  std::vector<Thresholds> thresholds;  // per feature
  std::vector<std::uint8_t> tied;      // [model * nf + f]: tied training edges
  internal::RelationPlan relations;    // the feature pairs judged (relations.h)
  std::size_t nf = 0;
  std::size_t value_words = 0;  // words of a row's values: two floats a word
  std::size_t window = 0;
  std::size_t model_window = 0;
  // A ring's capacity: a power of two, so a place's slot is a mask and not
  // a 64-bit division; at least model_window + 1 rows (the oldest row of
  // the model's window still has its previous row there, for the stale
  // flag); and, up to the pooled window's rows, at least min_rows + 1 (one
  // symbol fed alone still fills the pooled window enough to be judged),
  // twice the model's share of that window and kRingRowsBudget / models:
  // the pooled window finds every row of a universe of up to 32 symbols
  // however they are fed (at the defaults), and of a larger one fed evenly
  // or with a symbol fed up to twice as often as the others. A symbol fed
  // more often still counts its last model_slots rows there (1,024 at the
  // defaults).
  static constexpr std::size_t kRingRowsBudget = std::size_t{1} << 16;
  std::size_t model_slots = 0;
  std::vector<std::size_t> watched;  // model -> watched index, or kNone
  std::size_t n_watched = 0;
  // Model rings: model_slots slots of [sequence, pooled place, value words]
  // per watched model, whole lines (16 words, two lines, for 28 features),
  // 64-byte aligned, slot-major (the models' slots of one ring place are
  // adjacent: a cycle that feeds every symbol once writes one run of
  // memory, not one cold line and page per model).
  std::size_t model_stride = 0;
  std::unique_ptr<std::atomic<std::uint64_t>[]> model_storage;
  std::atomic<std::uint64_t>* model_rings = nullptr;
  std::atomic<std::uint64_t>* model_slot(std::size_t w, std::uint64_t model_place) const noexcept {
    return &model_rings[((model_place & (model_slots - 1)) * n_watched + w) * model_stride];
  }
  // Each watched model's next place in its ring, adjacent (eight to a line:
  // a cycle in symbol order reads a run of lines).
  std::unique_ptr<std::atomic<std::uint64_t>[]> model_next;
  // On a line of their own: every batch's fetch_add on `next` must not
  // invalidate the read-mostly fields every record() reads.
  alignas(64) std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> forgone{0};  // places reserved and never recorded

  // --- snapshot() only ---------------------------------------------------
  // The binning clone for this CPU (set by the constructor): the cells of
  // one row, `values` and `previous` (or null: no previous row) padded to
  // edge_stride floats.
  void (*bin)(const float* edges, std::size_t stride, const float* values, const float* previous,
              std::uint8_t* cells) noexcept = &bin_row_generic;
  static void bin_row_generic(const float* edges, std::size_t stride, const float* values,
                              const float* previous, std::uint8_t* cells) noexcept;
#if defined(__x86_64__) && defined(__GNUC__)
  static void bin_row_avx2(const float* edges, std::size_t stride, const float* values,
                           const float* previous, std::uint8_t* cells) noexcept;
  static void bin_row_avx512(const float* edges, std::size_t stride, const float* values,
                             const float* previous, std::uint8_t* cells) noexcept;
#endif
  // Every watched model's edge table (TrainingBins' lane edges, [11][padded]
  // floats), one after the other in watched order, 64-byte aligned.
  std::size_t edge_stride = 0;  // floats per edge row (features padded to kWideLanes)
  std::size_t edge_block = 0;   // floats per model
  std::vector<float> edge_storage;
  const float* edges = nullptr;  // inside edge_storage
  const float* edges_of(std::size_t w) const noexcept { return edges + w * edge_block; }
  // The rings' cells, binned once per row: the sequence each slot's cells
  // were binned from (0: none), its row's pooled place, and edge_stride cell
  // bytes a slot, in the rings' order. Guarded by cache_mu (snapshot() is
  // const and may run on several threads).
  mutable std::mutex cache_mu;
  mutable std::vector<std::uint64_t> cached_sequence;
  mutable std::vector<std::uint64_t> cached_place;
  mutable std::vector<std::uint8_t> cached_cells;

  // Judgement (evaluate), guarded by levels_mu.
  mutable std::mutex levels_mu;
  std::vector<DriftLevel> pooled_levels;
  std::vector<int> clear_runs;
  // Which figure crossed its alert threshold during the current alert
  // (bit 0: PSI, bit 1: out of range): each clears at its own lower level.
  std::vector<std::uint8_t> alerted_by;
  std::vector<DriftLevel> model_levels;  // [watched * nf + f]

  // Reads the row a ring slot holds under `sequence`: its values into `out`
  // (edge_stride floats, NaN past nf) and its place word. The seqlock's
  // reader: false when the slot holds another row or is being written, or
  // when the row fails its check (place_word()).
  bool read_row(const std::atomic<std::uint64_t>* slot, std::uint64_t sequence, float* out,
                std::uint64_t& word_of_place_out) const noexcept;
};

// A slot's place word: the row's pooled place in the low kPlaceBits and,
// above, a check of the place and the value words. Two threads feeding one
// symbol at once can take one ring place (its next place is a plain load
// and store: an atomic add would cost a locked instruction a row) and
// interleave their words under one sequence number, which the seqlock
// cannot see; the check can. Each word is rotated by its index (distinct
// rotations: two words swapped, or a word of two equal floats, still count)
// and XORed; the sum with the place is multiplied by an odd constant, which
// spreads every bit into the top 16 kept (a mixed row passes by chance about
// once in 65,536; a mixed row whose words are all equal is no mixture). Two
// operations a word and one multiply a row. Places wrap at 2^48 (39 years
// of 225,000 rows a second).
constexpr unsigned kPlaceBits = 48;
constexpr std::uint64_t kPlaceMask = (std::uint64_t{1} << kPlaceBits) - 1;
constexpr std::uint64_t kCheckMultiplier = 0x9E3779B97F4A7C15u;  // odd

constexpr std::uint64_t check_term(std::uint64_t word, std::size_t index) noexcept {
  return std::rotl(word, static_cast<int>(index));
}

constexpr std::uint64_t place_word(std::uint64_t place, std::uint64_t check_sum) noexcept {
  place &= kPlaceMask;
  const std::uint64_t check = (check_sum ^ std::rotl(place, 17)) * kCheckMultiplier;
  return place | (check >> kPlaceBits) << kPlaceBits;
}

namespace {

// Allocates `words` atomic words plus a line, and returns the first 64-byte
// aligned word.
std::atomic<std::uint64_t>* aligned_words(std::unique_ptr<std::atomic<std::uint64_t>[]>& storage,
                                          std::size_t words) {
  constexpr std::size_t kLineWords = 64 / sizeof(std::uint64_t);
  storage = std::make_unique<std::atomic<std::uint64_t>[]>(words + kLineWords);
  const auto at = reinterpret_cast<std::uintptr_t>(storage.get());
  return storage.get() + (64 - at % 64) % 64 / sizeof(std::uint64_t);
}

std::size_t whole_lines(std::size_t words) {
  constexpr std::size_t kLineWords = 64 / sizeof(std::uint64_t);
  return (words + kLineWords - 1) / kLineWords * kLineWords;
}

}  // namespace

DriftMonitor::DriftMonitor(std::vector<std::string> features, const DriftConfig& config,
                           std::vector<DriftModel> models)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  // The fastest binning clone this CPU runs.
  if (!internal::DriftMonitorAccess::use(*this, internal::DriftBinKernel::kAvx512)) {
    internal::DriftMonitorAccess::use(*this, internal::DriftBinKernel::kAvx2);
  }
  s.features = std::move(features);
  s.config = config;
  s.models = std::move(models);
  s.nf = s.features.size();
  s.value_words = (s.nf + 1) / 2;
  // Clamped (a DriftConfig need not come through config.cpp's bounds):
  // bit_ceil of anything larger would not fit.
  constexpr std::size_t kMaxRows = std::size_t{1} << 30;
  s.window = std::clamp<std::size_t>(config.window_rows, 1, kMaxRows);
  s.model_window = std::clamp<std::size_t>(config.model_window_rows, 1, kMaxRows);
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
  s.n_watched = n_watched;
  static_assert(kNone == kNoRing);
  ring_of_ = s.watched.data();
  n_models_ = s.watched.size();
  {
    const std::size_t n = std::max<std::size_t>(n_watched, 1);
    const std::size_t min_rows = std::clamp<std::size_t>(config.min_rows, 1, s.window);
    const std::size_t pooled_share = std::min(
        s.window, std::max({2 * s.window / n + 1, State::kRingRowsBudget / n, min_rows + 1}));
    s.model_slots = std::bit_ceil(std::max(s.model_window + 1, pooled_share));
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
  s.model_stride = whole_lines(2 + s.value_words);
  {
    // A clear error rather than bad_alloc at start-up: the rings and the
    // kept cells, per watched model, model_slots slots each.
    const double bytes = static_cast<double>(n_watched) * static_cast<double>(s.model_slots) *
                         static_cast<double>(s.model_stride * 8 + 16 + s.edge_stride);
    constexpr double kMaxBytes = 4.0 * 1024 * 1024 * 1024;
    if (bytes > kMaxBytes) {
      throw ConfigError(fmt::format(
          "drift: {} models x {} ring slots need {:.0f} MB, over the 4,096 MB limit: lower "
          "drift.model_window_rows ({}), drift.window_rows ({}) or drift.min_rows ({}) "
          "(a ring holds model_window_rows + 1 rows, and up to window_rows at least "
          "min_rows + 1, rounded up to a power of two)",
          n_watched, s.model_slots, bytes / (1024 * 1024), config.model_window_rows,
          config.window_rows, config.min_rows));
    }
  }
  s.model_rings = aligned_words(s.model_storage, n_watched * s.model_slots * s.model_stride);
  s.model_next = std::make_unique<std::atomic<std::uint64_t>[]>(n_watched);
  s.cached_sequence.assign(n_watched * s.model_slots, 0);
  s.cached_place.assign(n_watched * s.model_slots, 0);
  s.cached_cells.assign(n_watched * s.model_slots * s.edge_stride, 0);
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

// The hot path: the row's pooled place and value words into its model's
// ring slot, the seqlock's writer: sequence 0, then every word with a
// release store (a reader that sees one of them also sees the 0), then the
// sequence. Release stores rather than a fence: the same instructions on
// x86 (plain movs), and ThreadSanitizer, which does not model fences, can
// check them. No branch on a value, no division, two lines written, one
// load that may miss (the model's next place, which prefetch() fetches).
void DriftMonitor::record_reserved(std::uint64_t place, std::size_t model,
                                   std::span<const float> values) noexcept {
  State& s = *state_;
  if (model >= n_models_ || values.size() != s.nf) return;
  const std::size_t w = ring_of_[model];
  if (w == kNone) return;
  // The model's place: a plain load and store, not an atomic add: one
  // symbol is fed from one thread at a time in every engine we know, and two
  // threads racing here only share a slot, whose interleaved words the check
  // in the place word then leaves out (place_word above).
  std::atomic<std::uint64_t>& model_next = s.model_next[w];
  const std::uint64_t model_place = model_next.load(std::memory_order_relaxed);
  model_next.store(model_place + 1, std::memory_order_relaxed);
  std::atomic<std::uint64_t>* slot = s.model_slot(w, model_place);

  slot[0].store(0, std::memory_order_relaxed);
  std::uint64_t check_sum = 0;
  const std::size_t whole = s.nf / 2;
  for (std::size_t i = 0; i < whole; ++i) {
    std::uint64_t word;
    std::memcpy(&word, values.data() + 2 * i, sizeof word);
    check_sum ^= check_term(word, i);
    slot[2 + i].store(word, std::memory_order_release);
  }
  if (whole < s.value_words) {  // an odd count: the last value and a NaN
    const float pair[2] = {values[s.nf - 1], std::numeric_limits<float>::quiet_NaN()};
    std::uint64_t word;
    std::memcpy(&word, pair, sizeof word);
    check_sum ^= check_term(word, whole);
    slot[2 + whole].store(word, std::memory_order_release);
  }
  slot[1].store(place_word(place, check_sum), std::memory_order_release);
  slot[0].store(model_place + 1, std::memory_order_release);
}

bool DriftMonitor::State::read_row(const std::atomic<std::uint64_t>* slot, std::uint64_t sequence,
                                   float* out, std::uint64_t& word_of_place_out) const noexcept {
  if (sequence == 0 || slot[0].load(std::memory_order_acquire) != sequence) return false;
  // Acquire loads: a word of a newer row brings its writer's sequence 0
  // along, so the second sequence load below sees the change.
  const std::uint64_t word_of_place = slot[1].load(std::memory_order_acquire);
  std::uint64_t check_sum = 0;
  for (std::size_t i = 0; i < value_words; ++i) {
    const std::uint64_t word = slot[2 + i].load(std::memory_order_acquire);
    check_sum ^= check_term(word, i);
    std::memcpy(out + 2 * i, &word, sizeof word);
  }
  for (std::size_t f = 2 * value_words; f < edge_stride; ++f) {
    out[f] = std::numeric_limits<float>::quiet_NaN();
  }
  if (slot[0].load(std::memory_order_relaxed) != sequence) return false;
  word_of_place_out = word_of_place;
  return word_of_place == place_word(word_of_place, check_sum);
}

// bin_lanes.h's vectors inside bin_row_body, an always_inline body: no
// vector crosses a call, so clang's -Wpsabi has no ABI to protect.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace {

// A cell byte: the bin in the low 4 bits, whether the row's model had a
// previous row with a value there (kHasPrevious), and whether this value's
// bits equal it (kStale). Inlined into two clones: without -mavx2 GCC
// lowers the 8-lane vector compares to SSE2 pairs; compiled for AVX2 they
// are one vcmpps each.
[[gnu::always_inline]] inline void bin_row_body(const float* edges, std::size_t stride,
                                                const float* values, const float* previous,
                                                std::uint8_t* cells) noexcept {
  using internal::BinFloat8;
  using internal::BinInt8;
  for (std::size_t first = 0; first < stride; first += internal::kBinLanes) {
    BinFloat8 v;
    std::memcpy(&v, values + first, sizeof v);
    BinInt8 cell = internal::bin_lanes(edges + first, stride, v);
    if (previous != nullptr) {
      BinFloat8 p;
      std::memcpy(&p, previous + first, sizeof p);
      const BinInt8 had = (p == p);  // not NaN
      const BinInt8 same = std::bit_cast<BinInt8>(p) == std::bit_cast<BinInt8>(v);
      cell |= (had & kHasPrevious) | (had & same & kStale);
    }
    const internal::BinByte8 bytes = internal::low_bytes(cell);
    std::memcpy(cells + first, &bytes, sizeof bytes);
  }
}

}  // namespace

void DriftMonitor::State::bin_row_generic(const float* edges, std::size_t stride,
                                          const float* values, const float* previous,
                                          std::uint8_t* cells) noexcept {
  bin_row_body(edges, stride, values, previous, cells);
}

#pragma GCC diagnostic pop

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void DriftMonitor::State::bin_row_avx2(
    const float* edges, std::size_t stride, const float* values, const float* previous,
    std::uint8_t* cells) noexcept {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
  bin_row_body(edges, stride, values, previous, cells);
#pragma GCC diagnostic pop
}

// The AVX-512 clone, 16 features a register: 11 compares into mask
// registers, each a masked add into the lanes it holds, the NaN blend, the
// flags from two compares against the previous row, and one narrowing
// (vpmovdb) to the 16 cell bytes.
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) void
DriftMonitor::State::bin_row_avx512(const float* edges, std::size_t stride, const float* values,
                                    const float* previous, std::uint8_t* cells) noexcept {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i nan_bin = _mm512_set1_epi32(static_cast<int>(kNanBin));
  const __m512i has_previous = _mm512_set1_epi32(kHasPrevious);
  const __m512i stale = _mm512_set1_epi32(kStale);
  for (std::size_t first = 0; first < stride; first += internal::kWideLanes) {
    const __m512 v = _mm512_loadu_ps(values + first);
    __m512i bin = _mm512_setzero_si512();
    for (std::size_t k = 0; k < internal::kLaneEdges; ++k) {
      const __mmask16 ge =
          _mm512_cmp_ps_mask(v, _mm512_loadu_ps(edges + k * stride + first), _CMP_GE_OQ);
      bin = _mm512_mask_add_epi32(bin, ge, bin, one);
    }
    bin = _mm512_mask_mov_epi32(bin, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), nan_bin);
    if (previous != nullptr) {
      const __m512 p = _mm512_loadu_ps(previous + first);
      const __mmask16 had = _mm512_cmp_ps_mask(p, p, _CMP_ORD_Q);
      const __mmask16 same =
          _mm512_cmpeq_epi32_mask(_mm512_castps_si512(p), _mm512_castps_si512(v));
      bin = _mm512_mask_or_epi32(bin, had, bin, has_previous);
      bin = _mm512_mask_or_epi32(bin, had & same, bin, stale);
    }
    // The masked form: a defined pass-through (GCC 12 warns that the plain
    // intrinsic's undefined source "may be used uninitialized").
    _mm_storeu_si128(reinterpret_cast<__m128i*>(cells + first),
                     _mm512_mask_cvtepi32_epi8(_mm_setzero_si128(), 0xffff, bin));
  }
}
#endif

namespace internal {

std::string_view to_string(DriftBinKernel kernel) noexcept {
  switch (kernel) {
    case DriftBinKernel::kGeneric:
      return "generic";
    case DriftBinKernel::kAvx2:
      return "avx2";
    case DriftBinKernel::kAvx512:
      return "avx512";
  }
  return "?";
}

bool DriftMonitorAccess::cpu_runs(DriftBinKernel kernel) noexcept {
  switch (kernel) {
    case DriftBinKernel::kGeneric:
      return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case DriftBinKernel::kAvx2:
      return __builtin_cpu_supports("avx2");
    case DriftBinKernel::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
    default:
      return false;
  }
}

DriftBinKernel DriftMonitorAccess::kernel(const DriftMonitor& monitor) noexcept {
#if defined(__x86_64__) && defined(__GNUC__)
  if (monitor.state_->bin == &DriftMonitor::State::bin_row_avx512) return DriftBinKernel::kAvx512;
  if (monitor.state_->bin == &DriftMonitor::State::bin_row_avx2) return DriftBinKernel::kAvx2;
#endif
  return DriftBinKernel::kGeneric;
}

bool DriftMonitorAccess::use(DriftMonitor& monitor, DriftBinKernel kernel) noexcept {
  if (!cpu_runs(kernel)) return false;
  auto& bin = monitor.state_->bin;
  switch (kernel) {
    case DriftBinKernel::kGeneric:
      bin = &DriftMonitor::State::bin_row_generic;
      return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case DriftBinKernel::kAvx2:
      bin = &DriftMonitor::State::bin_row_avx2;
      return true;
    case DriftBinKernel::kAvx512:
      bin = &DriftMonitor::State::bin_row_avx512;
      return true;
#endif
    default:
      return false;
  }
}

std::size_t DriftMonitorAccess::padded_features(const DriftMonitor& monitor) noexcept {
  return monitor.state_->edge_stride;
}

void DriftMonitorAccess::bin_row(const DriftMonitor& monitor, std::size_t model,
                                 const float* values, const float* previous,
                                 std::uint8_t* cells) noexcept {
  const DriftMonitor::State& s = *monitor.state_;
  if (!monitor.watches(model)) return;
  s.bin(s.edges_of(s.watched[model]), s.edge_stride, values, previous, cells);
}

}  // namespace internal

void DriftMonitor::prefetch(std::size_t model) const noexcept {
  const State& s = *state_;
  if (model >= n_models_ || ring_of_[model] == kNone) return;
  const std::size_t w = ring_of_[model];
  // What record() writes, fetched for writing (a store to a line not in
  // the cache waits for it in the store buffer, and the trees between two
  // records evict everything): the model's next place, then the two lines
  // of its ring slot. The next place is loaded for the slot's address; it
  // shares its line with seven other models, so in a cycle over the symbols
  // it is mostly in the cache already.
  std::atomic<std::uint64_t>& model_next = s.model_next[w];
  __builtin_prefetch(&model_next, 1, 3);
  const auto* slot =
      reinterpret_cast<const char*>(s.model_slot(w, model_next.load(std::memory_order_relaxed)));
  for (std::size_t at = 0; at < s.model_stride * sizeof(std::uint64_t); at += 64) {
    __builtin_prefetch(slot + at, 1, 3);
  }
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
  const std::size_t stride = s.edge_stride;
  std::vector<std::size_t> watched;  // watched[w]: the model of ring w
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
  const std::size_t n_watched = watched.size();

  // The windows: the pooled one, rows whose pooled place is in
  // [next - window, next); each model's, places [next - model_window, next)
  // of its ring, the latest stale_window_rows of them also counted as
  // recent.
  const std::uint64_t next = s.next.load(std::memory_order_acquire);
  const std::uint64_t forgone = s.forgone.load(std::memory_order_relaxed);
  snap.rows_recorded = next > forgone ? next - forgone : 0;
  const std::uint64_t oldest = next > s.window ? next - s.window : 0;
  std::vector<std::uint64_t> model_nexts(n_watched), model_oldest(n_watched),
      recent_oldest(n_watched), model_rows(n_watched, 0), recent_rows(n_watched, 0);
  for (std::size_t w = 0; w < n_watched; ++w) {
    const std::uint64_t next_place = s.model_next[w].load(std::memory_order_acquire);
    model_nexts[w] = next_place;
    model_oldest[w] = next_place > s.model_window ? next_place - s.model_window : 0;
    recent_oldest[w] =
        next_place > s.config.stale_window_rows ? next_place - s.config.stale_window_rows : 0;
  }

  // One pass over the rings, slot-major as they are laid out. A slot's
  // cells are binned the first time a snapshot needs its row, and kept: the
  // row's previous row stays in the ring while the row is in its model's
  // window (the ring holds more than model_window rows).
  std::vector<Counts> pooled_counts(s.models.size() * nf, Counts{});
  std::vector<Counts> model_counts(s.models.size() * nf, Counts{});
  std::vector<Counts> recent_counts(n_watched * nf, Counts{});
  internal::RelationTally relation_tally(s.relations);
  std::vector<float> values(stride), previous(stride);
  std::lock_guard cache_lock(s.cache_mu);
  for (std::size_t p = 0; p < s.model_slots; ++p) {
    for (std::size_t w = 0; w < n_watched; ++w) {
      const std::atomic<std::uint64_t>* slot = s.model_slot(w, p);
      const std::uint64_t sequence = slot[0].load(std::memory_order_acquire);
      if (sequence == 0 || sequence - 1 >= model_nexts[w]) continue;
      const std::uint64_t model_place = sequence - 1;
      const std::size_t at = p * n_watched + w;
      std::uint8_t* cells = &s.cached_cells[at * stride];
      // The kept cells are this row's when the sequence and the place word
      // (unique to a row) both match.
      const std::uint64_t word_of_place = slot[1].load(std::memory_order_relaxed);
      std::uint64_t place = word_of_place & kPlaceMask;
      if (s.cached_sequence[at] != sequence || s.cached_place[at] != word_of_place) {
        const bool needed = model_place >= model_oldest[w] || (place >= oldest && place < next);
        std::uint64_t read_place = 0;
        if (!needed || !s.read_row(slot, sequence, values.data(), read_place)) continue;
        place = read_place & kPlaceMask;
        std::uint64_t previous_place = 0;
        const bool had =
            model_place > 0 && s.read_row(s.model_slot(w, model_place - 1), model_place,
                                          previous.data(), previous_place);
        s.bin(s.edges_of(w), stride, values.data(), had ? previous.data() : nullptr, cells);
        // Kept unless the previous row should be there and could not be read
        // (overwritten or being written: a symbol fed faster than a snapshot
        // walks its ring); then this snapshot counts the row without its stale
        // flags and the next one bins it again.
        s.cached_sequence[at] = had || model_place == 0 ? sequence : 0;
        s.cached_place[at] = read_place;
      }
      const std::size_t m = watched[w];
      if (place >= oldest && place < next) {
        ++snap.window_rows;
        for (std::size_t f = 0; f < nf; ++f) add_cell(pooled_counts[m * nf + f], cells[f]);
        relation_tally.add(
            m, [cells](std::size_t f) { return static_cast<std::uint8_t>(cells[f] & kBinMask); });
      }
      if (model_place >= model_oldest[w]) {
        ++model_rows[w];
        const bool is_recent = model_place >= recent_oldest[w];
        recent_rows[w] += is_recent;
        for (std::size_t f = 0; f < nf; ++f) {
          add_cell(model_counts[m * nf + f], cells[f]);
          if (is_recent) add_cell(recent_counts[w * nf + f], cells[f]);
        }
      }
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
