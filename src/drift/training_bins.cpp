// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// TrainingBins: a model's feature_stats as bin edges, and the branch-free
// binning of a row (see drift.h for the layout).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "drift/bin_lanes.h"
#include "mlgov/drift.h"
#include "mlgov/errors.h"

namespace mlgov {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& feature,
                       const std::string& what) {
  throw ModelMetaError(fmt::format("{}: feature_stats.{}: {}", source, feature, what));
}

double number_field(const nlohmann::json& stats, const char* key, const std::string& source,
                    const std::string& feature) {
  const auto it = stats.find(key);
  if (it == stats.end()) fail(source, feature, fmt::format("\"{}\" is missing", key));
  if (!it->is_number()) {
    fail(source, feature, fmt::format("\"{}\" must be a number (found {})", key, it->type_name()));
  }
  const double value = it->get<double>();
  if (!std::isfinite(value)) fail(source, feature, fmt::format("\"{}\" must be finite", key));
  return value;
}

}  // namespace

namespace internal {

float round_up_to_float(double edge) noexcept {
  float f = static_cast<float>(edge);
  if (static_cast<double>(f) < edge) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

float float_above(double edge) noexcept {
  float f = round_up_to_float(edge);
  if (static_cast<double>(f) <= edge) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

}  // namespace internal

TrainingBins TrainingBins::from_feature_stats(const nlohmann::json& feature_stats,
                                              std::span<const std::string> features,
                                              const std::string& source) {
  if (!feature_stats.is_object()) {
    throw ModelMetaError(fmt::format("{}: feature_stats must be an object (found {})", source,
                                     feature_stats.type_name()));
  }
  TrainingBins bins;
  const std::size_t n = features.size();
  bins.edges_.resize(n);
  bins.expected_.resize(n);
  bins.padded_ = (n + internal::kWideLanes - 1) / internal::kWideLanes * internal::kWideLanes;
  bins.lane_edges_.assign(internal::kLaneEdges * bins.padded_,
                          std::numeric_limits<float>::infinity());
  for (std::size_t f = 0; f < n; ++f) {
    const std::string& name = features[f];
    const auto it = feature_stats.find(name);
    if (it == feature_stats.end()) fail(source, name, "missing (every feature needs its stats)");
    if (!it->is_object()) {
      fail(source, name, fmt::format("must be an object (found {})", it->type_name()));
    }
    std::array<double, kDecileBins + 1>& e = bins.edges_[f];
    e[0] = number_field(*it, "min", source, name);
    e[kDecileBins] = number_field(*it, "max", source, name);
    const auto deciles = it->find("deciles");
    if (deciles == it->end()) fail(source, name, "\"deciles\" is missing");
    if (!deciles->is_array() || deciles->size() != kDecileBins - 1) {
      fail(source, name, "\"deciles\" must be an array of 9 numbers");
    }
    for (std::size_t k = 0; k + 1 < kDecileBins; ++k) {
      const nlohmann::json& d = (*deciles)[k];
      if (!d.is_number() || !std::isfinite(d.get<double>())) {
        fail(source, name, fmt::format("deciles[{}] must be a finite number", k));
      }
      e[k + 1] = d.get<double>();
    }
    for (std::size_t k = 0; k < kDecileBins; ++k) {
      if (!(e[k] <= e[k + 1])) {
        fail(source, name,
             fmt::format("edges out of order (min <= deciles[0] <= ... <= deciles[8] <= max): "
                         "{} > {}",
                         e[k], e[k + 1]));
      }
    }
    // The lanes: edges 0..9 rounded up to float, edge 10 the smallest float
    // above max (so v == max stays in range).
    std::array<float, internal::kLaneEdges> lane{};
    for (std::size_t k = 0; k < kDecileBins; ++k) lane[k] = internal::round_up_to_float(e[k]);
    lane[kDecileBins] = internal::float_above(e[kDecileBins]);
    for (std::size_t k = 0; k < internal::kLaneEdges; ++k) {
      bins.lane_edges_[k * bins.padded_ + f] = lane[k];
    }
    // Expected shares on the float edges the binning uses: the quantile
    // level of the first edge equal to a bin's upper edge minus that of the
    // first edge equal to its lower edge (0.1 per decile when all differ).
    auto first_index = [&](float value) {
      std::size_t k = 0;
      while (lane[k] != value) ++k;
      return k;
    };
    for (std::size_t j = 0; j < kDecileBins; ++j) {
      const std::size_t upper = j + 1 < kDecileBins ? first_index(lane[j + 1]) : kDecileBins;
      bins.expected_[f][j] =
          static_cast<double>(upper - first_index(lane[j])) / static_cast<double>(kDecileBins);
    }
  }
  read_relations(bins, feature_stats, features, source);
  return bins;
}

void TrainingBins::read_relations(TrainingBins& bins, const nlohmann::json& feature_stats,
                                  std::span<const std::string> features,
                                  const std::string& source) {
  const std::size_t n = features.size();
  bins.relations_.assign(n, {});
  for (std::size_t f = 0; f < n; ++f) {
    const nlohmann::json& stats = feature_stats.at(features[f]);
    const auto it = stats.find("relations");
    if (it == stats.end()) continue;
    bins.has_relations_ = true;
    if (!it->is_array()) {
      fail(source, features[f],
           fmt::format("\"relations\" must be an array (found {})", it->type_name()));
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const nlohmann::json& r = (*it)[i];
      const std::string where = fmt::format("relations[{}]", i);
      if (!r.is_object()) fail(source, features[f], where + " must be an object");
      const auto name = r.find("feature");
      if (name == r.end() || !name->is_string()) {
        fail(source, features[f], where + ".feature must be a feature name");
      }
      const auto g = std::find(features.begin(), features.end(), name->get<std::string>());
      if (g == features.end() || static_cast<std::size_t>(g - features.begin()) == f) {
        fail(source, features[f],
             fmt::format("{}.feature \"{}\" must be another feature of the contract", where,
                         name->get<std::string>()));
      }
      const auto a = r.find("agreement");
      if (a == r.end() || !a->is_number() || !(a->get<double>() >= 0.0) ||
          !(a->get<double>() <= 1.0)) {
        fail(source, features[f], where + ".agreement must be a number in [0, 1]");
      }
      bins.relations_[f].push_back(
          {static_cast<std::size_t>(g - features.begin()), a->get<double>()});
    }
  }
}

std::optional<TrainingBins> TrainingBins::from_meta(const ModelMeta& meta,
                                                    const std::string& source) {
  if (meta.feature_stats.is_null() ||
      (meta.feature_stats.is_object() && meta.feature_stats.empty())) {
    return std::nullopt;
  }
  return from_feature_stats(meta.feature_stats, meta.features, source);
}

std::uint8_t TrainingBins::bin_of(std::size_t f, float value) const noexcept {
  if (std::isnan(value)) return kNanBin;
  std::uint8_t bin = 0;
  for (std::size_t k = 0; k < internal::kLaneEdges; ++k) {
    if (value >= lane_edges_[k * padded_ + f]) ++bin;
  }
  return bin;
}

void TrainingBins::bin_row(std::span<const float> values,
                           std::span<std::uint8_t> bins) const noexcept {
  const std::size_t n = std::min({values.size(), bins.size(), n_features()});
  for (std::size_t first = 0; first < n; first += internal::kBinLanes) {
    const std::size_t count = std::min(internal::kBinLanes, n - first);
    std::uint8_t out[internal::kBinLanes];
    internal::bin_group(lane_edges_.data() + first, padded_, values.data() + first, count, out);
    std::memcpy(bins.data() + first, out, count);
  }
}

double population_stability_index(std::span<const double, kDecileBins> observed,
                                  std::span<const double, kDecileBins> expected) noexcept {
  double psi = 0.0;
  for (std::size_t j = 0; j < kDecileBins; ++j) {
    psi += (observed[j] - expected[j]) *
           std::log(std::max(observed[j], kPsiMinShare) / std::max(expected[j], kPsiMinShare));
  }
  return psi;
}

double psi_against_uniform(std::span<const double, kDecileBins> observed) noexcept {
  std::array<double, kDecileBins> uniform;
  uniform.fill(1.0 / static_cast<double>(kDecileBins));
  return population_stability_index(observed, uniform);
}

std::string_view to_string(DriftLevel level) noexcept {
  switch (level) {
    case DriftLevel::kOk:
      return "OK";
    case DriftLevel::kWarning:
      return "WARNING";
    case DriftLevel::kAlert:
      return "ALERT";
  }
  return "UNKNOWN";
}

}  // namespace mlgov
