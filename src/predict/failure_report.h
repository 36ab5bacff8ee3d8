// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// What a failed prediction looks like to people and to the logs: one message
// and structured details, built once on the failure path (never on the
// success path) and carried as they are into the event and the exception.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mlgov/feature_contract.h"
#include "mlgov/feature_mismatch.h"
#include "mlgov/feature_schema.h"
#include "mlgov/ml_state.h"
#include "mlgov/model_registry.h"

namespace mlgov::internal {

struct FailureReport {
  std::string message;                                // "GOOG: feature mismatch (...): ..."
  nlohmann::json details = nlohmann::json::object();  // the event's "details"
  std::optional<FeatureMismatch> mismatch;            // kFeatureMismatch, kWrongFeatureCount
};

// The symbol as shown in messages: a valid symbol as is, anything else
// JSON-quoted, so a quote or a newline shows as \" or \n.
std::string printable_symbol(std::string_view symbol);

// The report of `reason` for `row` against `model` (null when unknown) and
// `contract`: for a feature mismatch the name-by-name diff and both
// contracts; for a wrong count the two counts; for a non-finite value the
// first such feature; for a model error the backend and the model file.
// Throws only std::bad_alloc.
FailureReport describe_failure(std::string_view symbol, PredictStatus reason, const FeatureRow& row,
                               const LoadedModel* model, const FeatureContract& contract);

}  // namespace mlgov::internal
