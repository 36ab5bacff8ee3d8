// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Synthetic market: a deterministic, realistic-looking daily universe (symbols,
// a benchmark index and a sector map) for tests, examples and benchmarks.
//
// Daily log returns follow a factor model, market + sector + idiosyncratic,
// each a scaled Student-t (fat tails); the market factor is about 1%/day and
// stocks have annual volatilities between roughly 20% and 40%. Bars fall on
// business days (Monday to Friday, 252 per year, no holidays), satisfy every
// input rule of docs/features_ml_v1.md, and volumes are positive and
// autocorrelated. The benchmark is an index built from the market factor,
// with a bar on every date.
//
// Determinism: the same options give the same bytes on every platform. The
// generator uses its own PRNG (xoshiro256**) and its own normal/Student-t
// transforms, and no libm function other than exp, log and sqrt.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mlgov/bars.h"

namespace mlgov {

// What to generate. Plain value; defaults give the issue-3 benchmark universe
// (225 symbols x 10 years = 2520 bars each).
struct SyntheticMarketOptions {
  int symbols = 225;                      // S001, S002, ... (at least 1)
  int years = 10;                         // 252 business days per year (at least 1)
  int sectors = 11;                       // SEC01, SEC02, ... (1..symbols)
  std::uint64_t seed = 7;                 // same seed, same market
  std::string benchmark_symbol = "SPX";   // also the benchmark's file name
  std::string start_date = "2010-01-04";  // YYYY-MM-DD; a weekend start moves to Monday
};

// A generated universe. Plain value.
struct SyntheticMarket {
  std::vector<BarSeries> symbols;  // in symbol order, all on the same dates
  BarSeries benchmark;             // same dates as every symbol
  SectorMap sectors;               // every symbol -> SEC01..SECnn
};

// Generates the universe described by `options`. Pure function of the
// options. Throws std::invalid_argument naming the option that is out of
// range (symbols < 1, years < 1, sectors < 1 or > symbols, bad start_date,
// empty or path-like benchmark_symbol, or a benchmark_symbol equal to a
// generated symbol name).
SyntheticMarket generate_synthetic_market(const SyntheticMarketOptions& options);

// Writes DIR/<SYM>.csv for every symbol, DIR/<benchmark>.csv and
// DIR/sectors.csv (header `symbol,sector`), in the format load_bars_csv and
// load_sector_map read. Creates `dir` if needed; overwrites existing files.
// Throws std::system_error when a file cannot be written, std::invalid_argument
// when a symbol is not a safe file name (letters, digits, ., -, _).
void write_synthetic_market(const SyntheticMarket& market, const std::filesystem::path& dir);

}  // namespace mlgov
