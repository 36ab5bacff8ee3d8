// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// FeatureContract: the single source of truth for a model's inputs, loaded
// from contracts/feature_contract_<name>.json. Names, order, dtype (float32
// only), lookbacks, natural value ranges, version, minimum history, and the
// fingerprint.
#pragma once

#include <cstddef>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlgov/feature_mismatch.h"
#include "mlgov/feature_schema.h"

namespace mlgov {

// The values a feature can take by its definition: lo <= v <= hi, a side the
// contract leaves open being infinite. From the feature's "range" object,
// {"min": lo, "max": hi} (either may be absent). Plain value.
struct FeatureRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();

  // Whether `value` lies inside (a NaN never does).
  bool contains(double value) const noexcept { return value >= lo && value <= hi; }
};

// One feature of a contract, as declared in the JSON file.
struct FeatureSpec {
  std::string name;
  std::string dtype;                  // always "float32" after validation
  int lookback = 0;                   // bars of history the feature reads, >= 1
  std::optional<FeatureRange> range;  // absent: no natural bound (skew_60, beta_60, ...)
  std::string description;            // free text
  // Neither the range nor the description enters the fingerprint (name,
  // version and the ordered names do): adding or correcting a range keeps
  // every trained model's recorded fingerprint valid.
};

// Immutable after loading: safe to share and read from any number of threads.
class FeatureContract {
 public:
  // Loads and validates a contract file. Throws ContractError naming the file
  // and the field or feature index on: missing/unreadable file, malformed or
  // truncated JSON, missing "name"/"version"/"features", a declared
  // n_features that differs from the list, an empty or duplicate name, a
  // dtype other than "float32", a lookback < 1, min_history < max lookback,
  // a "range" that is not an object of "min" and/or "max" numbers with
  // min <= max.
  static FeatureContract load_file(const std::filesystem::path& file);

  // Same rules on JSON text already in memory; `source` names it in errors.
  static FeatureContract parse(std::string_view json_text, const std::string& source);

  const std::string& name() const noexcept { return schema_->contract_name(); }
  const std::string& version() const noexcept { return schema_->version(); }
  // Bars a symbol needs before the first row can be emitted (253 for ml_v1).
  int min_history() const noexcept { return min_history_; }
  const std::vector<FeatureSpec>& features() const noexcept { return features_; }
  const std::vector<std::string>& names() const noexcept { return schema_->names(); }
  std::size_t size() const noexcept { return features_.size(); }
  // See FeatureSchema::fingerprint().
  const std::string& fingerprint() const noexcept { return schema_->fingerprint(); }
  // The schema every row computed under this contract points at.
  const std::shared_ptr<const FeatureSchema>& schema() const noexcept { return schema_; }
  // The file it came from (or the `source` given to parse()).
  const std::string& source() const noexcept { return source_; }

  // Position of `name` in the contract, or nullopt.
  std::optional<std::size_t> index_of(std::string_view name) const noexcept;

  // Difference between this contract's ordered names and `names`.
  FeatureMismatch compare(std::span<const std::string> names) const {
    return compare_feature_names(this->names(), names);
  }

 private:
  FeatureContract() = default;
  std::shared_ptr<const FeatureSchema> schema_;
  std::vector<FeatureSpec> features_;
  int min_history_ = 0;
  std::string source_;
};

// Loads contract `name` (e.g. "ml_v1") from the file
// feature_contract_<name>.json, searching `contracts_dir` first (skipped when
// empty), then the running program's <bin>/../share/mlgov/contracts (found
// through /proc/self/exe: what an installed mlgov tool uses, wherever its
// prefix is), then the share/mlgov/contracts of the prefix mlgov was
// configured for. Throws ContractError listing every place searched when
// none has it, and for a name that is not [A-Za-z0-9_.-]+ (no path can be
// smuggled in). A host installed elsewhere passes the package's
// mlgov_CONTRACTS_DIR (or its own directory) as `contracts_dir`.
FeatureContract load_feature_contract(std::string_view name,
                                      const std::filesystem::path& contracts_dir = {});

// The running program's <bin>/../share/mlgov/contracts when that directory
// exists (an installed mlgov tool), else the directory the library was
// configured to install contracts into.
std::filesystem::path installed_contracts_dir();

// The running program's <bin>/../share/mlgov/contracts (through
// /proc/self/exe), whether or not it exists; empty when the program's path
// cannot be read.
std::filesystem::path contracts_dir_beside_executable();

}  // namespace mlgov
