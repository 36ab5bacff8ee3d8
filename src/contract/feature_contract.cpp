// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/feature_contract.h"

#include <algorithm>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "io/text_excerpt.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "model/model_files.h"

#ifndef MLGOV_INSTALL_CONTRACTS_DIR
#define MLGOV_INSTALL_CONTRACTS_DIR "/usr/local/share/mlgov/contracts"
#endif
// The installed contracts relative to the installed bin directory, so a
// program installed with mlgov (the mlgov tool) finds them wherever the
// prefix was moved or installed to (cmake --install --prefix P).
#ifndef MLGOV_BIN_TO_CONTRACTS_DIR
#define MLGOV_BIN_TO_CONTRACTS_DIR "../share/mlgov/contracts"
#endif

namespace mlgov {
namespace {

// A contract is a few KB; anything near this is not one.
constexpr std::size_t kMaxContractBytes = 1u << 20;

using nlohmann::json;

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw ContractError(fmt::format("{}: {}", source, what));
}

const json& require(const json& obj, const char* key, json::value_t type, const char* type_name,
                    const std::string& source, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) fail(source, fmt::format("{}\"{}\" is missing", where, key));
  const bool ok = it->type() == type || (type == json::value_t::number_integer &&
                                         it->type() == json::value_t::number_unsigned);
  if (!ok) {
    fail(source,
         fmt::format("{}\"{}\" must be {} (found {})", where, key, type_name, it->type_name()));
  }
  return *it;
}

// nlohmann's DOM is copied and compared recursively; a contract nests three
// levels. Deeper documents are refused before nlohmann parses them.
constexpr int kMaxContractJsonDepth = 64;

// One linear pass over the text, outside strings: the first place where
// arrays/objects nest deeper than `max_depth`, as a 1-based line, or 0.
std::size_t line_nested_too_deep(std::string_view text, int max_depth) noexcept {
  int depth = 0;
  std::size_t line = 1;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\') {
        ++i;  // an escaped character, possibly '"'
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return line;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return 0;
}

// nlohmann's parse error ends with the token it last read, which may be a
// whole hostile string: keep the message, quote at most 80 bytes of the token.
std::string short_parse_error(const std::string& what) {
  constexpr std::string_view kLastRead = "last read: '";
  const std::size_t at = what.find(kLastRead);
  if (at == std::string::npos) return internal::excerpt(what, 240);
  const std::size_t token = at + kLastRead.size();
  const std::size_t close = what.rfind('\'');
  const std::string_view tail = std::string_view(what).substr(close + 1);
  return what.substr(0, token) +
         internal::excerpt(std::string_view(what).substr(token, close - token)) + "'" +
         internal::excerpt(tail);
}

// A feature's optional "range": {"min": lo, "max": hi}, at least one of the
// two, numbers, lo <= hi, no other key (a misspelt "mni" must not silently
// leave a side open).
FeatureRange parse_range(const json& range, const std::string& source, const std::string& where) {
  if (!range.is_object()) {
    fail(source, fmt::format("{}\"range\" must be an object with \"min\" and/or \"max\" (found {})",
                             where, range.type_name()));
  }
  FeatureRange out;
  for (const auto& [key, value] : range.items()) {
    if (key != "min" && key != "max") {
      fail(source, fmt::format("{}\"range\": unknown key \"{}\" (allowed: \"min\", \"max\")", where,
                               internal::excerpt(key)));
    }
    if (!value.is_number()) {
      fail(source, fmt::format("{}\"range\": \"{}\" must be a number (found {})", where, key,
                               value.type_name()));
    }
    (key == "min" ? out.lo : out.hi) = value.get<double>();
  }
  if (range.empty()) fail(source, where + "\"range\" must give \"min\", \"max\" or both");
  if (!(out.lo <= out.hi)) {
    fail(source, fmt::format("{}\"range\": \"min\" ({}) is above \"max\" ({})", where,
                             range.at("min").dump(), range.at("max").dump()));
  }
  return out;
}

bool is_safe_contract_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

FeatureContract FeatureContract::parse(std::string_view json_text, const std::string& source) {
  // The body runs inside a lambda so that the safety net below catches
  // whatever any line of it lets through.
  const auto parse_checked = [&]() -> FeatureContract {
    if (const std::size_t line = line_nested_too_deep(json_text, kMaxContractJsonDepth)) {
      fail(source, fmt::format("line {}: arrays and objects nest deeper than {} levels", line,
                               kMaxContractJsonDepth));
    }
    json doc;
    try {
      doc = json::parse(json_text);
    } catch (const json::parse_error& e) {
      fail(source, fmt::format("malformed JSON: {}", short_parse_error(e.what())));
    } catch (const json::out_of_range& e) {
      // 1e999: a number that overflows a double.
      fail(source, fmt::format("malformed JSON: a number is out of range ({})",
                               short_parse_error(e.what())));
    }
    if (!doc.is_object()) fail(source, "the top level must be a JSON object");

    const auto& name = require(doc, "name", json::value_t::string, "a string", source, "");
    if (name.get<std::string>().empty()) fail(source, "\"name\" must not be empty");
    const auto& version = require(doc, "version", json::value_t::string, "a string", source, "");
    if (version.get<std::string>().empty()) fail(source, "\"version\" must not be empty");
    const auto& list = require(doc, "features", json::value_t::array, "an array", source, "");
    if (list.empty()) fail(source, "\"features\" must not be empty");

    FeatureContract contract;
    contract.source_ = source;
    std::set<std::string> seen;
    std::vector<std::string> names;
    int max_lookback = 0;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = fmt::format("features[{}]: ", i);
      const json& item = list[i];
      if (!item.is_object()) fail(source, where + "must be an object");
      FeatureSpec spec;
      spec.name = require(item, "name", json::value_t::string, "a string", source, where);
      if (spec.name.empty()) fail(source, where + "\"name\" must not be empty");
      if (!seen.insert(spec.name).second) {
        fail(source,
             fmt::format("{}duplicate feature name \"{}\"", where, internal::excerpt(spec.name)));
      }
      const std::string w2 = fmt::format("features[{}] ({}): ", i, internal::excerpt(spec.name));
      spec.dtype = require(item, "dtype", json::value_t::string, "a string", source, w2);
      if (spec.dtype != "float32") {
        fail(source, fmt::format("{}dtype \"{}\" is not allowed: every feature is float32", w2,
                                 internal::excerpt(spec.dtype)));
      }
      const auto& lookback =
          require(item, "lookback", json::value_t::number_integer, "an integer", source, w2);
      if (lookback.get<long long>() < 1 || lookback.get<long long>() > 100000) {
        fail(source, fmt::format("{}\"lookback\" must be between 1 and 100000 bars (found {})", w2,
                                 lookback.dump()));
      }
      spec.lookback = lookback.get<int>();
      max_lookback = std::max(max_lookback, spec.lookback);
      if (const auto r = item.find("range"); r != item.end()) {
        spec.range = parse_range(*r, source, w2);
      }
      if (const auto d = item.find("description"); d != item.end()) {
        if (!d->is_string()) fail(source, w2 + "\"description\" must be a string");
        spec.description = d->get<std::string>();
      }
      names.push_back(spec.name);
      contract.features_.push_back(std::move(spec));
    }

    if (const auto n = doc.find("n_features"); n != doc.end()) {
      if (!n->is_number_integer()) fail(source, "\"n_features\" must be an integer");
      if (n->get<long long>() != static_cast<long long>(list.size())) {
        fail(source, fmt::format("\"n_features\" declares {} features but \"features\" lists {}",
                                 n->dump(), list.size()));
      }
    }
    const auto& min_history =
        require(doc, "min_history", json::value_t::number_integer, "an integer", source, "");
    if (min_history.get<long long>() < max_lookback || min_history.get<long long>() > 100000) {
      fail(source, fmt::format("\"min_history\" ({}) must cover the longest lookback ({} bars)",
                               min_history.dump(), max_lookback));
    }
    contract.min_history_ = min_history.get<int>();
    contract.schema_ = FeatureSchema::create(name.get<std::string>(), version.get<std::string>(),
                                             std::move(names));
    return contract;
  };
  try {
    return parse_checked();
  } catch (const json::exception& e) {
    // A safety net: the parser checks every type before reading it, but no
    // nlohmann exception may leave the library as anything but a ContractError.
    fail(source, fmt::format("invalid contract: {}", short_parse_error(e.what())));
  }
}

FeatureContract FeatureContract::load_file(const std::filesystem::path& file) {
  std::string text;
  try {
    // Like model files: a regular file only (never a FIFO that would block
    // the engine's start), of a bounded size.
    text = internal::read_regular_file(file, kMaxContractBytes);
  } catch (const ModelError& e) {
    throw ContractError(fmt::format("cannot read the contract file: {}", e.what()));
  }
  return parse(text, file.string());
}

std::optional<std::size_t> FeatureContract::index_of(std::string_view name) const noexcept {
  const auto& n = names();
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (n[i] == name) return i;
  }
  return std::nullopt;
}

std::filesystem::path contracts_dir_beside_executable() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return {};
  return (exe.parent_path() / MLGOV_BIN_TO_CONTRACTS_DIR).lexically_normal();
}

std::filesystem::path installed_contracts_dir() {
  std::filesystem::path beside = contracts_dir_beside_executable();
  std::error_code ec;
  if (!beside.empty() && std::filesystem::is_directory(beside, ec)) return beside;
  return MLGOV_INSTALL_CONTRACTS_DIR;
}

FeatureContract load_feature_contract(std::string_view name,
                                      const std::filesystem::path& contracts_dir) {
  if (!is_safe_contract_name(name)) {
    throw ContractError(fmt::format(
        "contract name \"{}\" is not allowed: use letters, digits, '_', '-' and '.'", name));
  }
  const std::string file_name = fmt::format("feature_contract_{}.json", name);
  std::vector<std::filesystem::path> candidates;
  if (!contracts_dir.empty()) candidates.push_back(contracts_dir / file_name);
  const std::filesystem::path beside = contracts_dir_beside_executable();
  if (!beside.empty()) candidates.push_back(beside / file_name);
  const std::filesystem::path configured = MLGOV_INSTALL_CONTRACTS_DIR;
  if (configured != beside) candidates.push_back(configured / file_name);
  std::vector<std::string> searched;
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) {
      FeatureContract contract = FeatureContract::load_file(candidate);
      if (contract.name() != name) {
        throw ContractError(fmt::format("{}: \"name\" is \"{}\" but the file is named for \"{}\"",
                                        candidate.string(), internal::excerpt(contract.name()),
                                        name));
      }
      return contract;
    }
    searched.push_back(candidate.string());
  }
  throw ContractError(fmt::format("feature contract \"{}\" not found; searched: {}", name,
                                  fmt::join(searched, ", ")));
}

}  // namespace mlgov
