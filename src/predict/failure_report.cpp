// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "predict/failure_report.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "predict/row_checks.h"

namespace mlgov::internal {
namespace {

std::string_view schema_label(const FeatureSchema* schema) {
  return schema == nullptr ? std::string_view("(none)") : std::string_view(schema->contract_name());
}

}  // namespace

std::string printable_symbol(std::string_view symbol) {
  if (is_valid_symbol(symbol)) return std::string(symbol);
  return nlohmann::json(std::string(symbol))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

FailureReport describe_failure(std::string_view symbol, PredictStatus reason, const FeatureRow& row,
                               const LoadedModel* model, const FeatureContract& contract) {
  using nlohmann::json;
  const std::string sym = printable_symbol(symbol);
  FailureReport d;
  switch (reason) {
    case PredictStatus::kFeatureMismatch: {
      static const std::vector<std::string> kNoNames;
      const auto& got_names = row.schema == nullptr ? kNoNames : row.schema->names();
      FeatureMismatch mismatch = compare_feature_names(contract.names(), got_names);
      if (row.schema == nullptr) {
        mismatch.got_count = row.values.size();
      }
      d.details = mismatch.to_json_object();
      d.details["expected_contract"] = contract.name() + " " + contract.version();
      d.details["expected_fingerprint"] = contract.fingerprint();
      if (row.schema != nullptr) {
        d.details["got_contract"] = row.schema->contract_name() + " " + row.schema->version();
        d.details["got_fingerprint"] = row.schema->fingerprint();
      } else {
        d.details["got_contract"] = nullptr;
        d.details["got_fingerprint"] = nullptr;
      }
      if (mismatch.matches()) {
        // Same names in the same order, but another contract name or version.
        d.message = fmt::format(
            "{}: feature mismatch: the row was computed under contract {} (fingerprint {}) but "
            "the model expects {} {} (fingerprint {})",
            sym, row.schema ? row.schema->contract_name() + " " + row.schema->version() : "(none)",
            row.schema ? row.schema->fingerprint() : "(none)", contract.name(), contract.version(),
            contract.fingerprint());
      } else {
        d.message = fmt::format("{}: feature mismatch (row schema {}): {}", sym,
                                schema_label(row.schema), mismatch.summary());
      }
      d.mismatch = std::move(mismatch);
      break;
    }
    case PredictStatus::kWrongFeatureCount: {
      const std::size_t expected = model ? model->info.n_features : contract.size();
      FeatureMismatch mismatch;
      mismatch.expected_count = expected;
      mismatch.got_count = row.values.size();
      mismatch.first_order_difference = std::min(expected, row.values.size());
      d.message =
          fmt::format("{}: wrong feature count: the row holds {} values, the model takes {}", sym,
                      row.values.size(), expected);
      d.details = json{{"expected", expected}, {"got", row.values.size()}};
      d.mismatch = std::move(mismatch);
      break;
    }
    case PredictStatus::kNonFiniteFeature: {
      const std::size_t index = first_non_finite(row.values);
      const float v = index < row.values.size() ? row.values[index] : 0.0f;
      const std::string value = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
      const std::string name =
          index < contract.size() ? contract.names()[index] : fmt::format("#{}", index);
      d.message = fmt::format("{}: non-finite feature {} (index {}) = {}", sym, name, index, value);
      d.details = json{{"feature", name}, {"index", index}, {"value", value}};
      break;
    }
    case PredictStatus::kModelError: {
      d.message = fmt::format(
          "{}: the model failed to evaluate or returned a non-finite value "
          "(backend {}, {})",
          sym, model ? model->info.backend : "?", model ? model->info.model_file.string() : "?");
      d.details = json{{"backend", model ? model->info.backend : ""},
                       {"model_file", model ? model->info.model_file.string() : ""}};
      break;
    }
    default:
      d.message = fmt::format("{}: {}", sym, to_string(reason));
      break;
  }
  return d;
}

}  // namespace mlgov::internal
