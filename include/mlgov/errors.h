// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The exception types mlgov throws. Every message names the culprit: the
// file and the field, key or line that is wrong, and the rule it broke.
// The hot path also has non-throwing forms (see governed_predictor.h) that
// report the same conditions as a PredictStatus.
#pragma once

#include <stdexcept>
#include <string>

#include "mlgov/feature_mismatch.h"

namespace mlgov {

// Base of every mlgov exception. Catch this to catch them all.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A feature contract file is missing, malformed or breaks a contract rule.
class ContractError : public Error {
 public:
  using Error::Error;
};

// A model_meta.json is missing, malformed, inconsistent, or was written for
// another contract (fingerprint differs).
class ModelMetaError : public Error {
 public:
  using Error::Error;
};

// The YAML configuration has a wrong type, a bad value or an unknown key.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// Market data (bars, benchmark, sector map) breaks an input rule of the spec,
// or a feature row holds a value that may not be used (NaN, inf).
class DataError : public Error {
 public:
  using Error::Error;
};

// A model file cannot be loaded or evaluated (truncated JSON, wrong feature
// count, XGBoost error), or no model exists for the symbol asked about
// (NoModelError).
class ModelError : public Error {
 public:
  using Error::Error;
};

// No model is loaded for the symbol (or the handle) a prediction asked for:
// a condition of the universe, not a model that failed. A ModelError, so
// code catching ModelError still catches it; catch NoModelError first to
// tell "no model" from "the model failed". symbol() is the symbol asked
// about (empty for a handle that names no model).
class NoModelError : public ModelError {
 public:
  NoModelError(std::string symbol, const std::string& message);

  const std::string& symbol() const noexcept { return symbol_; }

 private:
  std::string symbol_;
};

// The features given to a model differ from the ones it was trained on.
// Carries the full difference (expected/got counts, missing, extra, first
// out-of-order position), also as JSON for logs.
class ModelFeatureMismatchError : public Error {
 public:
  // `context` says where the mismatch was found (a symbol, a file); the
  // message becomes "<context>: feature mismatch: <mismatch.summary()>".
  ModelFeatureMismatchError(const std::string& context, FeatureMismatch mismatch);

  const FeatureMismatch& mismatch() const noexcept { return mismatch_; }
  // Same as mismatch().to_json().
  std::string details_json() const { return mismatch_.to_json(); }

 private:
  FeatureMismatch mismatch_;
};

// The predictor was latched off by the sliding-window failure counter and
// refuses every call until an operator re-enables it.
class GovernanceDisabledError : public Error {
 public:
  using Error::Error;
};

// ML is switched off by configuration (features.ml_enabled is not true).
class MlDisabledError : public Error {
 public:
  using Error::Error;
};

}  // namespace mlgov
