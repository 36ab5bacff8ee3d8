// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/model_meta.h"

#include <chrono>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "io/json_capped.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "model/model_files.h"

namespace mlgov {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw ModelMetaError(fmt::format("{}: {}", source, what));
}

bool parse_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool valid_ymd(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!parse_digits(s, 0, 4, y) || !parse_digits(s, 5, 2, m) || !parse_digits(s, 8, 2, d)) {
    return false;
  }
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                     std::chrono::day{unsigned(d)}}
      .ok();
}

// Known fields, in the order they are written.
const std::set<std::string>& known_fields() {
  static const std::set<std::string> k = {
      "symbol",     "features",     "n_features",      "contract",
      "trained_at", "git_commit",   "git_dirty",       "training_data_period",
      "model_file", "objective",    "xgboost_version", "params",
      "metrics",    "feature_stats"};
  return k;
}

const json& field(const json& doc, const char* key, const std::string& source) {
  const auto it = doc.find(key);
  if (it == doc.end()) fail(source, fmt::format("field \"{}\" is missing", key));
  return *it;
}

std::string string_field(const json& doc, const char* key, const std::string& source,
                         const std::string& prefix = "") {
  const auto it = doc.find(key);
  if (it == doc.end()) fail(source, fmt::format("field \"{}{}\" is missing", prefix, key));
  if (!it->is_string()) {
    fail(source,
         fmt::format("field \"{}{}\" must be a string (found {})", prefix, key, it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace

bool is_iso_date(std::string_view text) noexcept { return text.size() == 10 && valid_ymd(text); }

bool is_iso8601_utc(std::string_view s) noexcept {
  if (s.size() < 20 || !valid_ymd(s) || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  int hh = 0, mm = 0, ss = 0;
  if (!parse_digits(s, 11, 2, hh) || !parse_digits(s, 14, 2, mm) || !parse_digits(s, 17, 2, ss)) {
    return false;
  }
  if (hh > 23 || mm > 59 || ss > 60) return false;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == digits_start) return false;
  }
  const std::string_view zone = s.substr(pos);
  return zone == "Z" || zone == "+00:00";
}

namespace {

ModelMeta parse_document(const json& doc, const std::string& source);

}  // namespace

ModelMeta parse_model_meta(std::string_view json_text, const std::string& source) {
  internal::JsonCaps caps;
  caps.max_depth = kMaxModelMetaDepth;
  auto parsed = internal::parse_json_capped<json>(json_text, internal::JsonSyntax::kText, caps);
  if (!parsed.document) fail(source, fmt::format("malformed JSON: {}", parsed.error));
  try {
    return parse_document(*parsed.document, source);
  } catch (const json::exception& e) {
    // A read above that did not test the type first: still the library's error.
    fail(source, internal::excerpt(e.what(), 200));
  }
}

namespace {

ModelMeta parse_document(const json& doc, const std::string& source) {
  if (!doc.is_object()) fail(source, "the top level must be a JSON object");

  ModelMeta meta;
  if (doc.contains("symbol")) meta.symbol = string_field(doc, "symbol", source);

  const json& features = field(doc, "features", source);
  if (!features.is_array()) fail(source, "field \"features\" must be an array of names");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < features.size(); ++i) {
    if (!features[i].is_string() || features[i].get<std::string>().empty()) {
      fail(source, fmt::format("field \"features[{}]\" must be a non-empty string", i));
    }
    std::string name = features[i].get<std::string>();
    if (!seen.insert(name).second) {
      fail(source, fmt::format("field \"features[{}]\": duplicate feature name \"{}\"", i,
                               internal::excerpt(name)));
    }
    meta.features.push_back(std::move(name));
  }
  const json& n = field(doc, "n_features", source);
  if (!n.is_number_integer() || n.get<long long>() < 0) {
    fail(source, "field \"n_features\" must be a non-negative integer");
  }
  meta.n_features = n.get<std::size_t>();
  if (meta.n_features != meta.features.size()) {
    fail(source, fmt::format("field \"n_features\" is {} but \"features\" lists {} names",
                             meta.n_features, meta.features.size()));
  }

  const json& contract = field(doc, "contract", source);
  if (!contract.is_object()) fail(source, "field \"contract\" must be an object");
  meta.contract.name = string_field(contract, "name", source, "contract.");
  meta.contract.version = string_field(contract, "version", source, "contract.");
  meta.contract.fingerprint = string_field(contract, "fingerprint", source, "contract.");

  meta.trained_at = string_field(doc, "trained_at", source);
  if (!is_iso8601_utc(meta.trained_at)) {
    fail(source, fmt::format("field \"trained_at\" (\"{}\") is not an ISO-8601 UTC timestamp "
                             "like 2026-11-26T14:03:07Z",
                             internal::excerpt(meta.trained_at)));
  }
  meta.git_commit = string_field(doc, "git_commit", source);
  if (const auto it = doc.find("git_dirty"); it != doc.end()) {
    if (!it->is_boolean()) fail(source, "field \"git_dirty\" must be a boolean");
    meta.git_dirty = it->get<bool>();
  }

  const json& period = field(doc, "training_data_period", source);
  if (!period.is_object()) fail(source, "field \"training_data_period\" must be an object");
  meta.training_data_period.start = string_field(period, "start", source, "training_data_period.");
  meta.training_data_period.end = string_field(period, "end", source, "training_data_period.");
  for (const auto* part : {&meta.training_data_period.start, &meta.training_data_period.end}) {
    if (!is_iso_date(*part)) {
      fail(source,
           fmt::format("field \"training_data_period.{}\" (\"{}\") is not a YYYY-MM-DD date",
                       part == &meta.training_data_period.start ? "start" : "end",
                       internal::excerpt(*part)));
    }
  }
  if (meta.training_data_period.start > meta.training_data_period.end) {
    fail(source, fmt::format("field \"training_data_period\": start {} is after end {}",
                             meta.training_data_period.start, meta.training_data_period.end));
  }

  meta.model_file = string_field(doc, "model_file", source);
  if (meta.model_file.find('/') != std::string::npos || meta.model_file == ".." ||
      meta.model_file.empty()) {
    fail(source, fmt::format("field \"model_file\" (\"{}\") must be a plain file name beside the "
                             "meta",
                             internal::excerpt(meta.model_file)));
  }
  meta.objective = string_field(doc, "objective", source);
  meta.xgboost_version = string_field(doc, "xgboost_version", source);
  for (const auto& [key, target] :
       {std::pair<const char*, json*>{"params", &meta.params},
        std::pair<const char*, json*>{"metrics", &meta.metrics},
        std::pair<const char*, json*>{"feature_stats", &meta.feature_stats}}) {
    if (const auto it = doc.find(key); it != doc.end()) {
      if (!it->is_object()) fail(source, fmt::format("field \"{}\" must be an object", key));
      *target = *it;
    }
  }
  for (const auto& [key, value] : doc.items()) {
    if (!known_fields().contains(key)) meta.unknown_fields[key] = value;
  }
  return meta;
}

}  // namespace

ModelMeta load_model_meta(const std::filesystem::path& file) {
  std::string text;
  try {
    text = internal::read_regular_file(file, kMaxModelMetaBytes);
  } catch (const ModelError& e) {
    throw ModelMetaError(fmt::format("cannot read the model metadata: {}", e.what()));
  }
  return parse_model_meta(text, file.string());
}

namespace {

// The document in its written order: known fields as documented, then the
// unknown ones kept from the file that was loaded.
nlohmann::ordered_json ordered_document(const ModelMeta& meta) {
  nlohmann::ordered_json doc;
  if (!meta.symbol.empty()) doc["symbol"] = meta.symbol;
  doc["features"] = meta.features;
  doc["n_features"] = meta.n_features;
  doc["contract"] = {{"name", meta.contract.name},
                     {"version", meta.contract.version},
                     {"fingerprint", meta.contract.fingerprint}};
  doc["trained_at"] = meta.trained_at;
  doc["git_commit"] = meta.git_commit;
  doc["git_dirty"] = meta.git_dirty;
  doc["training_data_period"] = {{"start", meta.training_data_period.start},
                                 {"end", meta.training_data_period.end}};
  doc["model_file"] = meta.model_file;
  doc["objective"] = meta.objective;
  doc["xgboost_version"] = meta.xgboost_version;
  doc["params"] = nlohmann::ordered_json::parse(meta.params.dump());
  doc["metrics"] = nlohmann::ordered_json::parse(meta.metrics.dump());
  doc["feature_stats"] = nlohmann::ordered_json::parse(meta.feature_stats.dump());
  for (const auto& [key, value] : meta.unknown_fields.items()) {
    if (!known_fields().contains(key)) doc[key] = nlohmann::ordered_json::parse(value.dump());
  }
  return doc;
}

}  // namespace

nlohmann::json to_json(const ModelMeta& meta) { return json::parse(ordered_document(meta).dump()); }

void save_model_meta(const ModelMeta& meta, const std::filesystem::path& file) {
  write_file_atomically(
      file, ordered_document(meta).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

void set_contract(ModelMeta& meta, const FeatureContract& contract) {
  meta.features = contract.names();
  meta.n_features = contract.size();
  meta.contract = {contract.name(), contract.version(), contract.fingerprint()};
}

void check_model_meta_against(const ModelMeta& meta, const FeatureContract& contract,
                              const std::string& source) {
  FeatureMismatch mismatch = contract.compare(meta.features);
  if (!mismatch.matches()) {
    throw ModelFeatureMismatchError(fmt::format("{}: model features differ from contract {} {}",
                                                source, contract.name(), contract.version()),
                                    std::move(mismatch));
  }
  if (meta.contract.name != contract.name() || meta.contract.version != contract.version()) {
    throw ModelMetaError(fmt::format(
        "{}: field \"contract\": the model was trained under contract {} {} but {} {} is loaded",
        source, internal::excerpt(meta.contract.name), internal::excerpt(meta.contract.version),
        contract.name(), contract.version()));
  }
  if (meta.contract.fingerprint != contract.fingerprint()) {
    throw ModelMetaError(
        fmt::format("{}: field \"contract.fingerprint\": {} differs from the loaded contract's {}",
                    source, internal::excerpt(meta.contract.fingerprint), contract.fingerprint()));
  }
}

}  // namespace mlgov
