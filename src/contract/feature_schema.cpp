// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/feature_schema.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "util/sha256.h"

namespace mlgov {
namespace {

// The canonical serialisation documented in feature_schema.h. nlohmann's
// compact dump is deterministic for arrays of strings, and a Python
// json.dumps(..., separators=(",", ":")) of plain ASCII names gives the same
// bytes, so anyone can recompute a fingerprint by hand.
std::string canonical_text(const std::string& contract_name, const std::string& version,
                           std::span<const std::string> names) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& name : names) pairs.push_back({name, "float32"});
  const nlohmann::json doc = {contract_name, version, pairs};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string compute_feature_fingerprint(const std::string& contract_name,
                                        const std::string& version,
                                        std::span<const std::string> names) {
  return internal::to_hex(internal::sha256(canonical_text(contract_name, version, names)));
}

FeatureSchema::FeatureSchema(Token, std::string contract_name, std::string version,
                             std::vector<std::string> names)
    : contract_name_(std::move(contract_name)),
      version_(std::move(version)),
      names_(std::move(names)) {
  digest_ = internal::sha256(canonical_text(contract_name_, version_, names_));
  fingerprint_hex_ = internal::to_hex(digest_);
}

std::shared_ptr<const FeatureSchema> FeatureSchema::create(std::string contract_name,
                                                           std::string version,
                                                           std::vector<std::string> names) {
  return std::make_shared<const FeatureSchema>(Token{}, std::move(contract_name),
                                               std::move(version), std::move(names));
}

}  // namespace mlgov
