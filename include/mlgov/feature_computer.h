// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// FeatureComputer: the one implementation of the ml_v1 features
// (docs/features_ml_v1.md), in two schedules that give bit-identical float32
// values for the same bars:
//   * batch:     FeatureComputer::compute_symbol / compute_universe -> FeatureFrame
//   * streaming: BenchmarkStream + FeatureStream (one symbol, one bar per call)
//                and UniverseStream (one date per call, adds cross_rank_sector).
// The batch is its own phased implementation (ranks by date, then each
// symbol's history through the kernel 8 or 16 rows at a time, on worker
// threads), not the streaming state run over the history. Both compute every
// value with the same kernel from the window's own values (oldest to newest,
// in double), so a row depends only on the last 253 bars, never on where the
// history started; tests/feature_parity_test.cpp checks batch and streaming
// bit for bit.
//
// cross_rank_sector ranks the float32 ret_20d values as emitted (ties are
// float equality), so the rank agrees with the ret_20d column a model sees.
// Outside a universe (compute_symbol, FeatureStream alone) every symbol is a
// sector of one and the column holds the spec's fallback, 0.5.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlgov/bars.h"
#include "mlgov/enum_formatter.h"
#include "mlgov/feature_contract.h"
#include "mlgov/feature_schema.h"

namespace spdlog {
class logger;
}

namespace mlgov {

// Outcome of a streaming update. Only kReady means the row holds the bar's
// features; every error leaves the state exactly as it was before the call.
enum class FeatureStatus : std::uint8_t {
  kReady = 0,            // row() holds this bar's features
  kInsufficientHistory,  // bar accepted; fewer than min_history() bars so far, no row
  kOutOfOrder,           // bar time <= the previous bar's time (or duplicate); rejected
  kMissingBenchmark,     // the benchmark has no bar (or no return) on this date; rejected
  kInvalidBar,           // non-finite/non-positive price, bad volume, high < low, ...; rejected
  kNoBar,                // (UniverseStream) the symbol has no bar on this date
  kUnknownSymbol,        // (UniverseStream) index out of range
};

// "READY", "INSUFFICIENT_HISTORY", "OUT_OF_ORDER", ... (the enum's name in
// upper snake case).
std::string_view to_string(FeatureStatus status) noexcept;

// The full ml_v1 feature list this library can compute, in spec order.
const std::vector<std::string>& supported_features();

// A batch result: one row per (symbol, date) with a complete feature vector.
// Rows are ordered by date, then by the order of the symbols given. Plain value.
struct FeatureFrame {
  std::shared_ptr<const FeatureSchema> schema;  // the contract's schema: columns, fingerprint
  std::vector<BarTime> times;                   // per row
  std::vector<std::string> symbols;             // per row
  std::vector<float> values;                    // row-major, rows() x cols()
  std::vector<std::string> warnings;            // e.g. a symbol with fewer than 253 bars

  // The column names in contract order (schema->names(); empty without a
  // schema).
  const std::vector<std::string>& columns() const noexcept;
  // The schema's fingerprint ("" without a schema).
  const std::string& fingerprint() const noexcept;
  std::size_t rows() const noexcept { return times.size(); }
  std::size_t cols() const noexcept { return schema ? schema->size() : 0; }
  // Row i's values (i < rows()).
  std::span<const float> row_values(std::size_t i) const noexcept {
    return {values.data() + i * cols(), cols()};
  }
  // Row i as a FeatureRow pointing at `schema` (valid while the frame lives).
  FeatureRow row(std::size_t i) const noexcept { return {schema.get(), row_values(i)}; }
  // Position of column `name`, or nullopt.
  std::optional<std::size_t> column_index(std::string_view name) const noexcept;
};

// Options for FeatureComputer. Plain struct; defaults documented inline.
struct FeatureComputerOptions {
  // Receives the warnings (e.g. "GOOG: 120 bars, fewer than 253: no rows").
  // nullptr = silent (warnings are still returned in FeatureFrame::warnings).
  std::shared_ptr<spdlog::logger> logger;
  // Worker threads compute_universe may use (std::thread, started and joined
  // within the call). 0 = std::thread::hardware_concurrency(); 1 = the
  // caller's thread only. The result is the same bits for every value.
  int threads = 0;
};

// Immutable after construction: safe to share and use from any number of
// threads (each thread uses its own FeatureStream / UniverseStream).
class FeatureComputer {
 public:
  // Throws ContractError listing every contract feature this library cannot
  // compute (see supported_features()). Rows need max(253, min_history) bars.
  explicit FeatureComputer(FeatureContract contract, FeatureComputerOptions options = {});

  const FeatureContract& contract() const noexcept { return contract_; }
  const std::shared_ptr<const FeatureSchema>& schema() const noexcept { return contract_.schema(); }
  // Bars a symbol needs before its first row (253 for ml_v1).
  int min_history() const noexcept { return min_history_; }

  // One symbol against its benchmark: a row for every bar with index >= 252.
  // cross_rank_sector is 0.5 (a sector of one). Throws DataError for bars that
  // break an input rule (validate_bars) and for a symbol date the benchmark
  // lacks (naming the symbol and the date). Fewer than 253 bars: no rows and
  // a warning.
  FeatureFrame compute_symbol(const BarSeries& bars, const BarSeries& benchmark) const;

  // A universe: every symbol against the benchmark, with cross_rank_sector
  // ranked per date within each sector. Throws DataError as compute_symbol,
  // plus for a symbol without a sector and for a duplicate symbol.
  // Threading: runs the dates' ranks, then the symbols, on up to
  // options.threads worker threads, joined before it returns; the frame is
  // bit-identical to a UniverseStream stepped date by date, whatever the
  // thread count and the CPU's instruction set.
  FeatureFrame compute_universe(const std::vector<BarSeries>& symbols, const BarSeries& benchmark,
                                const SectorMap& sectors) const;

 private:
  // Logs `message` as a warning on the configured logger (if any).
  void warn(const std::string& message) const;
  bool compute_universe_parallel(const std::vector<BarSeries>& symbols, const BarSeries& benchmark,
                                 const std::vector<std::vector<std::size_t>>& sector_members,
                                 FeatureFrame& frame) const;
  void compute_universe_serial(const std::vector<BarSeries>& symbols, const BarSeries& benchmark,
                               const std::vector<std::string>& names, const SectorMap& sectors,
                               const std::string& bench_name, FeatureFrame& frame) const;

  FeatureContract contract_;
  FeatureComputerOptions options_;
  std::vector<std::uint8_t> columns_;
  int min_history_ = 0;
  int cross_rank_column_ = -1;
  friend class FeatureStream;
};

// Naming rule of the streams (and of the whole library): the noexcept form is
// try_<verb> and returns a status; <verb> is the throwing form.

// The benchmark's side of streaming: its last bar and the return b_t it
// implies (from its own consecutive bars). Feed it every benchmark bar, in
// order, before the symbols' bars of the same date.
// Threading: not synchronised; one owner thread (readers after the update).
class BenchmarkStream {
 public:
  // Accepts the next benchmark bar. kOutOfOrder / kInvalidBar leave the state
  // unchanged. Never allocates.
  FeatureStatus try_update(const Bar& bar) noexcept;
  // Throwing form: DataError naming `name` (e.g. "SPX") and the date.
  void update(const Bar& bar, std::string_view name);

  bool has_bar() const noexcept { return count_ > 0; }
  BarTime time() const noexcept { return last_.time; }  // valid when has_bar()
  bool has_return() const noexcept { return count_ > 1; }
  double last_return() const noexcept { return ret_; }  // valid when has_return()
  const Bar& last_bar() const noexcept { return last_; }

 private:
  Bar last_{};
  double ret_ = 0;
  std::int64_t count_ = 0;
};

// One symbol's streaming state: fixed-size windows of the lookback, allocated
// once at construction; try_update() never allocates, never throws, and its work
// is bounded by the windows, not by the length of history.
// Threading: not synchronised; one owner thread. Movable, not copyable.
class FeatureStream {
 public:
  // `computer` must outlive the stream.
  FeatureStream(const FeatureComputer& computer, std::string symbol);
  ~FeatureStream();
  FeatureStream(FeatureStream&&) noexcept;
  FeatureStream& operator=(FeatureStream&&) noexcept;
  FeatureStream(const FeatureStream&) = delete;
  FeatureStream& operator=(const FeatureStream&) = delete;

  // Takes the symbol's next bar; `benchmark` must already hold the bar of the
  // same date (else kMissingBenchmark). On kReady, row() holds the bar's
  // features (cross_rank_sector = 0.5 until a UniverseStream overwrites it).
  // On any error the state is unchanged.
  FeatureStatus try_update(const Bar& bar, const BenchmarkStream& benchmark) noexcept;

  // Throwing form: returns row() on kReady, std::nullopt on
  // kInsufficientHistory, throws DataError naming the symbol, the date and
  // the rule otherwise.
  std::optional<FeatureRow> update(const Bar& bar, const BenchmarkStream& benchmark);

  // The last kReady row; valid until the next update. FeatureRow::none()
  // before the first kReady (the predictor answers it kInsufficientHistory).
  FeatureRow row() const noexcept;
  const std::string& symbol() const noexcept { return symbol_; }
  // Bars accepted so far.
  std::int64_t bar_count() const noexcept;
  // Time of the last accepted bar (0 before any).
  BarTime last_time() const noexcept;
  // ret_20d of the last accepted bar as emitted (float32), when it has >= 21
  // bars; what cross_rank_sector ranks.
  std::optional<float> ret_20d() const noexcept;

 private:
  friend class UniverseStream;
  // Overwrites the cross_rank_sector column, if any (the universe's rank).
  void set_cross_rank(float value) noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string symbol_;
};

// A universe in streaming form: one call per date with the benchmark bar and
// each symbol's bar (or none), yielding per-symbol rows with cross_rank_sector.
// All buffers are allocated at construction; try_step() never allocates.
// Threading: not synchronised; one owner thread.
class UniverseStream {
 public:
  // Throws DataError for a symbol without a sector in `sectors` or a duplicate
  // symbol. `computer` must outlive the stream.
  UniverseStream(const FeatureComputer& computer, std::vector<std::string> symbols,
                 const SectorMap& sectors, std::string benchmark_name = "benchmark");
  ~UniverseStream();
  UniverseStream(UniverseStream&&) noexcept;
  UniverseStream& operator=(UniverseStream&&) noexcept;

  std::size_t size() const noexcept;
  const std::string& symbol(std::size_t i) const noexcept;
  std::optional<std::size_t> index_of(std::string_view symbol) const noexcept;

  // One date. `bars[i]` is symbol i's bar on the benchmark bar's date, or
  // nullptr; bars.size() must equal size() (else kUnknownSymbol, no window
  // changes and every status(i) is kNoBar). Returns the benchmark's status: on
  // error no window changes and every status(i) is kMissingBenchmark, so no
  // row(i) serves the previous date's row again. Otherwise each
  // symbol's outcome is in status(i): kReady (row(i) valid, rank filled),
  // kInsufficientHistory, kNoBar, or a rejection (that symbol unchanged; a bar
  // whose time differs from the benchmark's is kMissingBenchmark).
  FeatureStatus try_step(const Bar& benchmark_bar, std::span<const Bar* const> bars) noexcept;

  // Throwing form: DataError naming the benchmark or the symbol, the date and
  // the rule on the first rejection (the other symbols of the date are still
  // stepped).
  void step(const Bar& benchmark_bar, std::span<const Bar* const> bars);

  FeatureStatus status(std::size_t i) const noexcept;
  // Symbol i's row of the last step; FeatureRow::none() unless
  // status(i) == kReady, so try_predict(handle, row(i)) from the first bar
  // answers kInsufficientHistory (not a failure) until the row is ready.
  FeatureRow row(std::size_t i) const noexcept;
  const FeatureStream& stream(std::size_t i) const noexcept;
  const BenchmarkStream& benchmark() const noexcept;
  const std::string& benchmark_name() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlgov

template <>
struct fmt::formatter<mlgov::FeatureStatus> : mlgov::EnumFormatter<mlgov::FeatureStatus> {};
