// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/model_registry.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/json_capped.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "mlgov/logging.h"
#include "model/model_backend.h"
#include "model/model_document.h"
#include "model/model_files.h"
#include "util/sha256.h"

namespace mlgov {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// A directory name split as <SYMBOL>_v<N>_<YYYYMMDD>_<HHMMSS>.
struct ParsedDirName {
  std::string symbol;
  std::string timestamp;  // "YYYYMMDD_HHMMSS": lexical order == time order
};

std::optional<ParsedDirName> parse_dir_name(std::string_view name) {
  // Suffix "_YYYYMMDD_HHMMSS" is 16 characters.
  if (name.size() < 16 + 3) return std::nullopt;
  const std::string_view ts = name.substr(name.size() - 15);
  if (name[name.size() - 16] != '_' || ts[8] != '_' || !all_digits(ts.substr(0, 8)) ||
      !all_digits(ts.substr(9))) {
    return std::nullopt;
  }
  const std::string_view head = name.substr(0, name.size() - 16);  // <SYMBOL>_v<N>
  const std::size_t v = head.rfind("_v");
  if (v == std::string_view::npos || v == 0 || !all_digits(head.substr(v + 2))) {
    return std::nullopt;
  }
  return ParsedDirName{std::string(head.substr(0, v)), std::string(ts)};
}

// The instant a "YYYYMMDD_HHMMSS" timestamp names (UTC), or nothing when it
// is not a real date and time.
std::optional<std::chrono::sys_seconds> parse_dir_timestamp(std::string_view ts) {
  const auto num = [&](std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (ts[i] - '0');
    return v;
  };
  const std::chrono::year_month_day ymd{std::chrono::year{num(0, 4)},
                                        std::chrono::month{static_cast<unsigned>(num(4, 2))},
                                        std::chrono::day{static_cast<unsigned>(num(6, 2))}};
  const int hh = num(9, 2), mm = num(11, 2), ss = num(13, 2);
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  return std::chrono::sys_days{ymd} + std::chrono::hours(hh) + std::chrono::minutes(mm) +
         std::chrono::seconds(ss);
}

bool is_temporary(std::string_view name) {
  return name.empty() || name.front() == '.' || name.find(".tmp") != std::string_view::npos;
}

// True when `name` is a plain file name inside the model directory.
bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\\') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

std::optional<std::chrono::sys_days> parse_date(std::string_view s) {
  if (!is_iso_date(s)) return std::nullopt;
  const int y = std::stoi(std::string(s.substr(0, 4)));
  const unsigned m = static_cast<unsigned>(std::stoi(std::string(s.substr(5, 2))));
  const unsigned d = static_cast<unsigned>(std::stoi(std::string(s.substr(8, 2))));
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

void log_registry_event(EventSink& logger, const Clock& clock, spdlog::level::level_enum level,
                        std::string_view model, std::string_view symbol, std::string_view status,
                        std::string_view reason, std::string message) {
  GovernanceEvent event;
  event.time = clock.wall_now();
  event.level = level;
  event.model = model;
  event.symbol = symbol;
  event.status = status;
  event.reason = reason;
  event.message = std::move(message);
  logger.on_event(event);
}

// Thrown inside load_one() to refuse a model; carries the mismatch JSON.
struct Refusal {
  std::string message;
  nlohmann::json details;
};

std::shared_ptr<internal::ModelBackend> make_backend(const internal::ValidatedModel& model,
                                                     const std::string& source,
                                                     PredictorBackend choice) {
  switch (choice) {
    case PredictorBackend::kNative:
      return internal::load_native_backend(model, source);
    case PredictorBackend::kNativeSimd:
      return internal::load_native_simd_backend(model, source);
    case PredictorBackend::kXgboost:
      return internal::load_xgboost_backend(model, source);
    case PredictorBackend::kAuto:
      break;
  }
  return internal::load_auto_backend(model, source).backend;
}

// Evaluators already loaded, by the SHA-256 of the model file's bytes: symbols
// whose model files are byte-identical (one universe model deployed per
// symbol) share one immutable evaluator instead of 225 copies competing for
// the cache.
using BackendCache =
    std::map<std::array<std::uint8_t, 32>, std::shared_ptr<internal::ModelBackend>>;

internal::ModelLimits limits_of(const ModelRegistryOptions& options) {
  internal::ModelLimits limits;
  limits.max_file_bytes = options.max_model_file_bytes;
  limits.max_trees = options.max_model_trees;
  limits.max_tree_depth = options.max_model_tree_depth;
  limits.max_nodes = options.max_model_nodes;
  limits.max_nesting = options.max_model_json_depth;
  return limits;
}

// The one-line refusal for an error whose text may span lines (XGBoost's
// stack frames): the full text goes to the details.
Refusal one_line_refusal(const std::string& message) {
  std::string line = internal::one_line(message);
  nlohmann::json details;
  if (line != message) details = nlohmann::json{{"error", message}};
  return Refusal{std::move(line), std::move(details)};
}

LoadedModel load_one(const std::string& symbol, const std::filesystem::path& dir,
                     const ModelRegistryOptions& options, const FeatureContract& contract,
                     const Clock& clock, EventSink& logger, BackendCache& cache) {
  LoadedModel loaded;
  ModelInfo& info = loaded.info;
  info.symbol = symbol;
  info.directory = dir;

  const auto meta_file = dir / "model_meta.json";
  const bool has_meta = internal::file_kind(meta_file) != internal::FileKind::kMissing;
  if (has_meta) {
    ModelMeta meta;
    try {
      meta = parse_model_meta(internal::read_regular_file(meta_file, kMaxModelMetaBytes),
                              meta_file.string());
      check_model_meta_against(meta, contract, meta_file.string());
    } catch (const ModelFeatureMismatchError& e) {
      throw Refusal{e.what(), e.mismatch().to_json_object()};
    } catch (const ModelMetaError& e) {
      throw Refusal{e.what(), {}};
    } catch (const ModelError& e) {  // not a regular file, too large, unreadable
      throw Refusal{e.what(), {}};
    }
    if (!meta.symbol.empty() && meta.symbol != symbol) {
      throw Refusal{fmt::format("{}: field \"symbol\": the meta is for {} but the directory is "
                                "for {} (rule: a model serves the symbol of its directory)",
                                meta_file.string(), internal::excerpt(meta.symbol), symbol),
                    {}};
    }
    if (!is_plain_file_name(meta.model_file)) {
      throw Refusal{fmt::format("{}: field \"model_file\": \"{}\" is not a plain file name inside "
                                "the model directory",
                                meta_file.string(), internal::excerpt(meta.model_file)),
                    {}};
    }
    info.model_file = dir / meta.model_file;
    info.meta = std::move(meta);
  } else {
    if (!options.allow_legacy_models) {
      throw Refusal{fmt::format("{}: missing, and legacy models without meta are not allowed "
                                "(governance.allow_legacy_models is false)",
                                meta_file.string()),
                    {}};
    }
    info.legacy = true;
    info.model_file = dir / "model.json";
    if (internal::file_kind(info.model_file) == internal::FileKind::kMissing) {
      info.model_file = dir / "model.ubj";
    }
    info.degraded_reason =
        "legacy model without model_meta.json (deprecated: feature names and "
        "contract not checked, only the feature count)";
  }

  const internal::FileKind kind = internal::file_kind(info.model_file);
  if (kind == internal::FileKind::kMissing) {
    throw Refusal{info.legacy ? fmt::format("{}: no model.json or model.ubj in the model directory",
                                            dir.string())
                              : fmt::format("{}: missing (named by model_meta.json's model_file)",
                                            info.model_file.string()),
                  {}};
  }

  // The file is read once: its digest, its validation and its backend all
  // come from these bytes.
  const std::string source = info.model_file.string();
  std::string bytes;
  try {
    bytes = internal::read_regular_file(info.model_file, options.max_model_file_bytes);
  } catch (const ModelError& e) {
    throw Refusal{e.what(), {}};
  }
  const auto refuse_feature_count = [&](std::size_t n_features) {
    FeatureMismatch mismatch;
    mismatch.expected_count = contract.size();
    mismatch.got_count = n_features;
    mismatch.first_order_difference = std::min(contract.size(), n_features);
    return Refusal{fmt::format("{}: the model takes {} features but contract {} has {} (rule: the "
                               "model's feature count must equal n_features)",
                               source, n_features, contract.name(), contract.size()),
                   mismatch.to_json_object()};
  };
  const auto digest = internal::sha256(bytes);
  if (const auto it = cache.find(digest); it != cache.end()) {
    loaded.backend = it->second;
  } else {
    const auto format = info.model_file.extension() == ".ubj" ? internal::ModelFormat::kUbjson
                                                              : internal::ModelFormat::kJson;
    internal::ValidatedModel model;
    try {
      model = internal::validate_model_document(bytes, format, limits_of(options));
    } catch (const internal::InvalidModelError& e) {
      throw Refusal{fmt::format("{}: invalid model: {}", source, e.what()), {}};
    }
    bytes.clear();
    bytes.shrink_to_fit();
    if (model.num_features != contract.size()) throw refuse_feature_count(model.num_features);
    try {
      loaded.backend = make_backend(model, source, options.backend);
    } catch (const std::exception& e) {
      // The backends' messages start with the file name: say it once.
      std::string_view what = e.what();
      if (what.rfind(source + ": ", 0) == 0) what.remove_prefix(source.size() + 2);
      Refusal r = one_line_refusal(std::string(what));
      r.message = fmt::format("{}: cannot load the model with backend {}: {}", source,
                              to_string(options.backend), r.message);
      throw r;
    }
    cache.emplace(digest, loaded.backend);
  }
  info.backend = std::string(loaded.backend->name());
  info.n_features = loaded.backend->num_features();
  if (info.n_features != contract.size()) throw refuse_feature_count(info.n_features);

  if (info.legacy) {
    log_registry_event(
        logger, clock, spdlog::level::warn, contract.name(), symbol, "MODEL_LOADED_DEGRADED",
        "LEGACY_MODEL",
        fmt::format("{}: loaded in legacy mode (no model_meta.json; only the feature count was "
                    "checked); legacy models are deprecated: retrain to write the meta",
                    info.model_file.string()));
  } else if (options.max_model_age_days > 0) {
    const std::string& end_text = info.meta->training_data_period.end;
    const auto end = parse_date(end_text);
    if (end) {
      const auto age = clock.wall_now() - std::chrono::system_clock::time_point(*end);
      const auto max_age = std::chrono::days(options.max_model_age_days);
      if (age > max_age) {
        const auto days = std::chrono::duration_cast<std::chrono::days>(age).count();
        info.stale = true;
        info.degraded_reason =
            fmt::format("stale: training data ends {}, {} days ago (max_model_age_days {})",
                        end_text, days, options.max_model_age_days);
        log_registry_event(logger, clock, spdlog::level::warn, contract.name(), symbol,
                           "MODEL_LOADED_DEGRADED", "STALE_MODEL",
                           fmt::format("{}: {}", dir.string(), info.degraded_reason));
      }
    }
  }
  return loaded;
}

}  // namespace

bool is_valid_symbol(std::string_view symbol) noexcept {
  if (symbol.empty() || symbol.size() > 64 || symbol == ".") return false;
  if (symbol.find("..") != std::string_view::npos) return false;
  return std::all_of(symbol.begin(), symbol.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' ||
           c == '-' || c == '_';
  });
}

ModelRegistry ModelRegistry::load(const ModelRegistryOptions& options,
                                  const FeatureContract& contract, const Clock& clock,
                                  EventSink& logger) {
  const auto& root = options.models_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    throw ModelError(
        fmt::format("{}: models directory does not exist or is not a directory "
                    "(paths.models_dir)",
                    root.string()));
  }
  internal::remove_stale_staging(root, clock, logger);

  ModelRegistry registry;
  struct Candidate {
    std::string timestamp;  // "YYYYMMDD_HHMMSS": lexical order == time order
    std::string name;
    internal::FileKind kind;
  };
  std::map<std::string, Candidate, std::less<>> newest;
  std::filesystem::directory_iterator it(root, ec);
  if (ec) {
    throw ModelError(
        fmt::format("{}: cannot list the models directory: {}", root.string(), ec.message()));
  }
  const auto now = clock.wall_now();
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) {
      throw ModelError(
          fmt::format("{}: cannot list the models directory: {}", root.string(), ec.message()));
    }
    const std::string name = it->path().filename().string();
    if (is_temporary(name)) continue;
    const internal::FileKind kind = internal::file_kind(it->path());
    if (kind == internal::FileKind::kRegular || kind == internal::FileKind::kMissing) continue;
    const auto parsed = parse_dir_name(name);
    if (!parsed || !is_valid_symbol(parsed->symbol)) {
      log_registry_event(logger, clock, spdlog::level::warn, contract.name(), "", "MODEL_SKIPPED",
                         "INVALID_MODEL_DIRECTORY_NAME",
                         fmt::format("{}: not a model directory <SYMBOL>_v<N>_<YYYYMMDD_HHMMSS> "
                                     "with a symbol of [A-Za-z0-9._-]: skipped",
                                     (root / name).string()));
      continue;
    }
    const auto when = parse_dir_timestamp(parsed->timestamp);
    if (!when || *when > now) {
      registry.refused_.push_back(
          {parsed->symbol,
           root / name,
           !when ? fmt::format("{}: timestamp {} is not a real UTC date and time (rule: "
                               "<SYMBOL>_v<N>_YYYYMMDD_HHMMSS, named when the model was trained)",
                               (root / name).string(), parsed->timestamp)
                 : fmt::format("{}: timestamp {} lies in the future (now {}; rule: a model "
                               "directory is named when the model was trained)",
                               (root / name).string(), parsed->timestamp, format_utc_millis(now)),
           {}});
      continue;
    }
    Candidate candidate{parsed->timestamp, name, kind};
    auto [slot, inserted] = newest.try_emplace(parsed->symbol, candidate);
    if (!inserted && std::tie(candidate.timestamp, candidate.name) >
                         std::tie(slot->second.timestamp, slot->second.name)) {
      slot->second = candidate;
    }
  }

  BackendCache cache;
  for (const auto& [symbol, candidate] : newest) {  // std::map: sorted by symbol
    const auto dir = root / candidate.name;
    if (candidate.kind != internal::FileKind::kDirectory) {
      registry.refused_.push_back(
          {symbol,
           dir,
           fmt::format("{}: is {}, not a directory (refused: a model directory is never "
                       "followed or read through a link or special file)",
                       dir.string(), internal::describe(candidate.kind)),
           {}});
      continue;
    }
    try {
      registry.models_.push_back(load_one(symbol, dir, options, contract, clock, logger, cache));
    } catch (Refusal& refusal) {
      registry.refused_.push_back(
          {symbol, dir, std::move(refusal.message), std::move(refusal.details)});
    } catch (const std::exception& e) {
      // Whatever else goes wrong in one directory fails that symbol only.
      Refusal r = one_line_refusal(e.what());
      registry.refused_.push_back({symbol, dir,
                                   fmt::format("{}: cannot load: {}", dir.string(), r.message),
                                   std::move(r.details)});
    }
  }
  std::stable_sort(
      registry.refused_.begin(), registry.refused_.end(),
      [](const RefusedModel& a, const RefusedModel& b) { return a.symbol < b.symbol; });
  registry.build_index();
  return registry;
}

namespace {

// FNV-1a, 64-bit: a few nanoseconds for a ticker, and equal symbols always
// collide (the string compare after it settles the rest).
std::uint64_t symbol_hash(std::string_view symbol) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : symbol) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

void ModelRegistry::build_index() {
  index_.clear();
  index_.reserve(models_.size());
  for (std::size_t i = 0; i < models_.size(); ++i) {
    index_.push_back({symbol_hash(models_[i].info.symbol), static_cast<std::uint32_t>(i)});
  }
  std::sort(index_.begin(), index_.end(), [](const IndexEntry& a, const IndexEntry& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.model < b.model;
  });
}

const LoadedModel* ModelRegistry::find(std::string_view symbol) const noexcept {
  const std::uint64_t h = symbol_hash(symbol);
  auto it = std::lower_bound(index_.begin(), index_.end(), h,
                             [](const IndexEntry& e, std::uint64_t v) { return e.hash < v; });
  for (; it != index_.end() && it->hash == h; ++it) {
    const LoadedModel& model = models_[it->model];
    if (model.info.symbol == symbol) return &model;
  }
  return nullptr;
}

std::size_t ModelRegistry::degraded_count() const noexcept {
  return static_cast<std::size_t>(std::count_if(
      models_.begin(), models_.end(), [](const auto& m) { return m.info.legacy || m.info.stale; }));
}

ModelRegistryOptions registry_options_from(const Config& config) {
  ModelRegistryOptions options;
  options.models_dir = config.paths.models_dir;
  options.backend = config.backend;
  options.allow_legacy_models = config.governance.allow_legacy_models;
  options.max_model_age_days = config.governance.max_model_age_days;
  options.max_model_file_bytes = static_cast<std::size_t>(config.limits.max_model_file_bytes);
  options.max_model_trees = static_cast<std::size_t>(config.limits.max_trees);
  options.max_model_tree_depth = config.limits.max_tree_depth;
  options.max_model_json_depth = static_cast<std::size_t>(config.limits.max_json_depth);
  return options;
}

}  // namespace mlgov
