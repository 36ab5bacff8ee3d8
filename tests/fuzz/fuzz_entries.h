// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The fuzzing entry points: one function per parser, each feeding raw bytes
// to the parser as a file a user would hand it. A parser may answer with its
// documented error (caught here) or a value (whose invariants are checked);
// anything else (another exception, a crash, a sanitizer report, a hang)
// escapes and is a finding.
//
// Each libFuzzer target (tests/fuzz/<target>_fuzz.cpp) calls one of these,
// and tests/fuzz_regression_test.cpp replays every saved input through the
// same function in the normal presets, so a crash found once stays fixed.
//
// Header-only so that the libFuzzer targets and the regression test compile
// it without a library target of their own.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "features/bar_rules.h"
#include "mlgov/bars.h"
#include "mlgov/config.h"
#include "mlgov/errors.h"
#include "mlgov/feature_contract.h"
#include "mlgov/governance.h"
#include "mlgov/model_meta.h"
#include "model/model_backend.h"
#include "model/model_document.h"

namespace mlgov::fuzz {

// A finding that is not a crash: the parser accepted input and returned a
// value that breaks its own documented guarantees.
[[noreturn]] inline void broken_invariant(const std::string& what) {
  throw std::logic_error("fuzz invariant broken: " + what);
}

inline void bars(std::string_view data) {
  try {
    const BarSeries s = parse_bars_csv(data, "fuzz.csv", "FUZZ");
    for (std::size_t i = 0; i < s.bars.size(); ++i) {
      if (internal::bar_value_violation(s.bars[i]) != nullptr) broken_invariant("bad bar accepted");
      if (i > 0 && s.bars[i].time <= s.bars[i - 1].time) broken_invariant("time not increasing");
    }
  } catch (const DataError&) {
  }
}

inline void sectors(std::string_view data) {
  try {
    const SectorMap m = parse_sector_map(data, "fuzz.csv");
    for (const auto& [symbol, sector] : m.sector_of) {
      if (symbol.empty() || sector.empty()) broken_invariant("empty symbol or sector accepted");
    }
  } catch (const DataError&) {
  }
}

inline void contract(std::string_view data) {
  try {
    const FeatureContract c = FeatureContract::parse(data, "fuzz.json");
    if (c.names().empty()) broken_invariant("contract without features accepted");
  } catch (const ContractError&) {
  }
}

inline void meta(std::string_view data) {
  try {
    const ModelMeta m = parse_model_meta(data, "fuzz_meta.json");
    // A copy and a save: what the registry and the predictor do with a meta
    // (the unknown fields once overflowed the stack while being copied).
    const ModelMeta copy = m;
    (void)to_json(copy).dump();
  } catch (const ModelMetaError&) {
  }
}

inline void state(std::string_view data) {
  try {
    const GovernanceRecord r = parse_governance_record(data, "fuzz_state.json");
    // What the latch writes must read back.
    (void)parse_governance_record(governance_record_to_json(r), "fuzz_state_roundtrip.json");
  } catch (const GovernanceStateError&) {
  }
}

inline void config(std::string_view data) {
  try {
    const Config c = parse_config(data, "fuzz.yaml");
    const double w = c.governance.window_seconds;
    if (!(w >= 1 && w <= 7 * 86400.0)) broken_invariant("window_seconds out of bounds accepted");
    if (c.governance.max_failures < 1 || c.governance.max_failures > 1000) {
      broken_invariant("max_failures out of bounds accepted");
    }
    if (c.limits.max_csv_line_bytes < 64 || c.limits.max_json_depth < 8) {
      broken_invariant("limit out of bounds accepted");
    }
  } catch (const ConfigError&) {
  }
}

// The model gate: every input goes through validate_model_document, as every
// model file does in the registry. What it accepts must then load and
// evaluate any row without faulting in the backend the registry would pick:
// the native evaluator, or XGBoost (whose own loader checks nothing) for a
// valid model the native evaluator does not support. A crash inside XGBoost
// here is a hole in the gate.
inline void model(std::string_view data) {
  try {
    const internal::ValidatedModel validated =
        internal::validate_model_document(data, internal::ModelLimits{});
    std::unique_ptr<internal::ModelBackend> backend;
    try {
      backend = internal::load_native_backend(validated, "fuzz_model");
    } catch (const internal::UnsupportedModelError&) {
      backend = internal::load_xgboost_backend(validated, "fuzz_model");
    }
    const std::size_t n = backend->num_features();
    // Zeros, and NaN (every default direction).
    std::vector<float> rows(2 * n, 0.0f);
    std::fill(rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(), std::nanf(""));
    float out[2] = {0, 0};
    (void)backend->predict(rows.data(), 2, out);
  } catch (const ModelError&) {
  }
}

// Every target by name, for the regression replayer and for scripts.
struct Target {
  const char* name;
  void (*run)(std::string_view);
};
inline constexpr Target kTargets[] = {
    {"bars", bars},   {"sectors", sectors}, {"contract", contract}, {"meta", meta},
    {"state", state}, {"config", config},   {"model", model},
};

}  // namespace mlgov::fuzz
