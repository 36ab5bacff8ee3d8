// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// FeatureSchema: an ordered list of float32 feature names with its contract
// name, version and fingerprint. Every feature row points at one, so the
// predictor can check "same features, same order" with a single comparison.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mlgov {

// Immutable after creation: safe to share and read from any number of
// threads without synchronisation.
class FeatureSchema {
 public:
  // Builds a schema and computes its fingerprint (see fingerprint()).
  // Does not validate the names; FeatureContract does that for contracts.
  static std::shared_ptr<const FeatureSchema> create(std::string contract_name, std::string version,
                                                     std::vector<std::string> names);

  const std::string& contract_name() const noexcept { return contract_name_; }
  const std::string& version() const noexcept { return version_; }
  const std::vector<std::string>& names() const noexcept { return names_; }
  std::size_t size() const noexcept { return names_.size(); }

  // Lower-case hex SHA-256 (64 characters) of the canonical serialisation
  //   ["<contract_name>","<version>",[["<name_0>","float32"],...]]
  // i.e. compact JSON (no spaces), names in order. A swap, rename, dtype or
  // version change alters it; descriptions and lookbacks do not enter it.
  const std::string& fingerprint() const noexcept { return fingerprint_hex_; }
  // The same digest as 32 raw bytes.
  const std::array<std::uint8_t, 32>& digest() const noexcept { return digest_; }

  // True when both schemas have the same fingerprint. O(1), noexcept, no
  // allocation: the hot path's check.
  bool same_fingerprint(const FeatureSchema& other) const noexcept {
    return this == &other || digest_ == other.digest_;
  }

  // Internal: use create(). Public only so std::make_shared can reach it.
  struct Token {};
  FeatureSchema(Token, std::string contract_name, std::string version,
                std::vector<std::string> names);

 private:
  std::string contract_name_;
  std::string version_;
  std::vector<std::string> names_;
  std::array<std::uint8_t, 32> digest_{};
  std::string fingerprint_hex_;
};

// The fingerprint rule above, as a free function (used for model metadata).
std::string compute_feature_fingerprint(const std::string& contract_name,
                                        const std::string& version,
                                        std::span<const std::string> names);

// One row of features as produced by FeatureComputer: a view, owning nothing.
// `schema` names the columns; `values` holds schema->size() float32 values
// unless the row is malformed (the predictor checks). Trivially copyable.
//
// "No row" has exactly one value, FeatureRow::none() == FeatureRow{}: no
// schema and no values. A stream that is not ready returns it, and the
// predictor answers it with kInsufficientHistory (not a failure). A row with
// a schema but no values is a malformed row (a wrong feature count).
struct FeatureRow {
  const FeatureSchema* schema = nullptr;
  std::span<const float> values;

  // The "no row yet" value (the same as FeatureRow{}).
  static constexpr FeatureRow none() noexcept { return {}; }
  // True for none(): no schema and no values.
  constexpr bool is_none() const noexcept { return schema == nullptr && values.data() == nullptr; }
};

}  // namespace mlgov
