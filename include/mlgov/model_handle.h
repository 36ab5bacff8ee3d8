// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// ModelHandle: a symbol's model, resolved once at start-up so that the
// per-cycle prediction skips the symbol lookup (no hashing, no string
// compare). Obtained from GovernedPredictor::resolve(symbol) and passed back
// to the same predictor's try_predict / predict / predict_batch:
//
//   std::vector<mlgov::ModelHandle> models;                 // at start-up
//   for (const auto& s : symbols) models.push_back(predictor.resolve(s));
//   ...each cycle...
//   predictor.predict_batch(models, rows, results);         // noexcept
//
// A handle that names no model (default-constructed, resolved for a symbol
// without a model, or resolved by another predictor) is never undefined
// behaviour: the prediction answers PredictStatus::kNoModel, exactly where the
// symbol form would.
#pragma once

#include <cstdint>

namespace mlgov {

class GovernedPredictor;

// A plain value (trivially copyable, 16 bytes): copy it, store one per
// symbol. It holds the resolving predictor's identity (random, drawn at the
// predictor's construction) and an index into that predictor's
// registry().models(), which is immutable for the predictor's lifetime, so a
// handle stays valid as long as its predictor lives. A handle outliving its
// predictor, or given to another one (say after a config reload built a new
// predictor), names no model there: kNoModel, never a neighbour's model.
// Threading: a value; no synchronisation needed.
class ModelHandle {
 public:
  // An invalid handle (names no model).
  constexpr ModelHandle() noexcept = default;

  // True when it was resolved to a loaded model by some predictor. To ask
  // whether it names a model of a given predictor: predictor.has_model(handle).
  constexpr bool valid() const noexcept { return owner_ != 0; }

  friend constexpr bool operator==(const ModelHandle&, const ModelHandle&) noexcept = default;

 private:
  friend class GovernedPredictor;
  constexpr ModelHandle(std::uint64_t owner, std::uint32_t index) noexcept
      : owner_(owner), index_(index) {}

  std::uint64_t owner_ = 0;  // the resolving predictor's identity; 0: invalid
  std::uint32_t index_ = 0;  // into that predictor's registry().models()
};

}  // namespace mlgov
