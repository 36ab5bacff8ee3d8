// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/config.h"

#include <cmath>
#include <functional>
#include <map>
#include <system_error>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"

namespace mlgov {
namespace {

// Everything the parser needs to name a culprit: "file:line: key: rule".
struct Context {
  const std::string& source;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& rule) const {
    const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    throw ConfigError(fmt::format("{}:{}: {}: {}", source, line, key, rule));
  }
};

std::string scalar_text(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar()
                         : std::string("<") + (node.IsMap() ? "a mapping" : "a sequence") + ">";
}

// Only true/false: YAML 1.1's yes/no/on/off are a classic source of
// surprises, and "yes please" must never read as true.
bool read_bool(const Context& ctx, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  ctx.fail(node, key,
           fmt::format("expected a boolean (true or false), found \"{}\"", scalar_text(node)));
}

double read_number(const Context& ctx, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    std::size_t used = 0;
    try {
      const double v = std::stod(s, &used);
      if (used == s.size() && std::isfinite(v)) return v;
    } catch (const std::exception&) {
    }
  }
  ctx.fail(node, key, fmt::format("expected a number, found \"{}\"", scalar_text(node)));
}

int read_int(const Context& ctx, const YAML::Node& node, const std::string& key) {
  const double v = read_number(ctx, node, key);
  if (v != std::floor(v) || std::fabs(v) > 1e9) {
    ctx.fail(node, key, fmt::format("expected an integer, found \"{}\"", node.Scalar()));
  }
  return static_cast<int>(v);
}

std::string read_string(const Context& ctx, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    ctx.fail(node, key,
             fmt::format("expected a non-empty string, found \"{}\"",
                         node.IsNull() ? "null" : scalar_text(node)));
  }
  return node.Scalar();
}

using Setter = std::function<void(const YAML::Node&, const std::string&)>;

// Walks one mapping section, dispatching each key to its setter; an unknown
// key is an error (a typo must not silently leave a default in force).
void read_section(const Context& ctx, const YAML::Node& root, const std::string& section,
                  const std::map<std::string, Setter>& setters) {
  const YAML::Node node = root[section];
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) ctx.fail(node, section, "expected a mapping of keys");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const std::string full = section + "." + key;
    const auto it = setters.find(key);
    if (it == setters.end()) {
      std::string known;
      for (const auto& [name, _] : setters) known += (known.empty() ? "" : ", ") + name;
      ctx.fail(kv.first, full, fmt::format("unknown key (known keys: {})", known));
    }
    it->second(kv.second, full);
  }
}

}  // namespace

std::string_view to_string(PredictorBackend backend) noexcept {
  switch (backend) {
    case PredictorBackend::kNative:
      return "native";
    case PredictorBackend::kXgboost:
      return "xgboost";
    case PredictorBackend::kAuto:
      break;
  }
  return "auto";
}

Config parse_config(std::string_view yaml_text, const std::string& source) {
  const Context ctx{source};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}: YAML syntax error: {}", source, e.mark.line + 1, e.msg));
  }
  Config cfg;
  cfg.source = source;
  if (root.IsNull()) {
    cfg.warnings.push_back(source +
                           ": empty configuration: every default applies and ML is disabled");
    return cfg;
  }
  if (!root.IsMap()) ctx.fail(root, "<top level>", "expected a mapping of sections");

  static const std::map<std::string, int> kSections = {
      {"features", 0}, {"predictor", 0}, {"governance", 0}, {"paths", 0},
      {"logging", 0},  {"data", 0},      {"training", 0}};
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (!kSections.contains(key)) {
      ctx.fail(kv.first, key,
               "unknown section (known: data, features, governance, logging, paths, predictor, "
               "training)");
    }
  }

  bool ml_enabled_seen = false;
  read_section(ctx, root, "features",
               {{"ml_enabled",
                 [&](const YAML::Node& n, const std::string& k) {
                   cfg.ml_enabled = read_bool(ctx, n, k);
                   ml_enabled_seen = true;
                 }},
                {"contract", [&](const YAML::Node& n, const std::string& k) {
                   cfg.contract = read_string(ctx, n, k);
                 }}});
  if (!ml_enabled_seen) {
    cfg.warnings.push_back(source + ": features.ml_enabled is absent: ML stays disabled");
  }

  read_section(ctx, root, "predictor",
               {{"backend", [&](const YAML::Node& n, const std::string& k) {
                   const std::string v = read_string(ctx, n, k);
                   if (v == "auto") {
                     cfg.backend = PredictorBackend::kAuto;
                   } else if (v == "native") {
                     cfg.backend = PredictorBackend::kNative;
                   } else if (v == "xgboost") {
                     cfg.backend = PredictorBackend::kXgboost;
                   } else {
                     ctx.fail(n, k,
                              fmt::format("expected auto, native or xgboost, found \"{}\"", v));
                   }
                 }}});

  auto& gov = cfg.governance;
  read_section(ctx, root, "governance",
               {{"max_failures",
                 [&](const YAML::Node& n, const std::string& k) {
                   gov.max_failures = read_int(ctx, n, k);
                   if (gov.max_failures < 1 || gov.max_failures > 1000) {
                     ctx.fail(n, k, "must be between 1 and 1000");
                   }
                 }},
                {"window_seconds",
                 [&](const YAML::Node& n, const std::string& k) {
                   gov.window_seconds = read_number(ctx, n, k);
                   if (gov.window_seconds <= 0) ctx.fail(n, k, "must be greater than zero");
                 }},
                {"allow_legacy_models",
                 [&](const YAML::Node& n, const std::string& k) {
                   gov.allow_legacy_models = read_bool(ctx, n, k);
                 }},
                {"max_model_age_days",
                 [&](const YAML::Node& n, const std::string& k) {
                   gov.max_model_age_days = read_int(ctx, n, k);
                   if (gov.max_model_age_days < 0)
                     ctx.fail(n, k, "must be zero (never stale) or positive");
                 }},
                {"state_file", [&](const YAML::Node& n, const std::string& k) {
                   gov.state_file = read_string(ctx, n, k);
                 }}});

  read_section(
      ctx, root, "paths",
      {{"contracts_dir",
        [&](const YAML::Node& n, const std::string& k) {
          cfg.paths.contracts_dir = read_string(ctx, n, k);
        }},
       {"models_dir", [&](const YAML::Node& n,
                          const std::string& k) { cfg.paths.models_dir = read_string(ctx, n, k); }},
       {"logs_dir", [&](const YAML::Node& n, const std::string& k) {
          cfg.paths.logs_dir = read_string(ctx, n, k);
        }}});

  read_section(ctx, root, "logging",
               {{"console_info_interval_seconds", [&](const YAML::Node& n, const std::string& k) {
                   cfg.logging.console_info_interval_seconds = read_number(ctx, n, k);
                   if (cfg.logging.console_info_interval_seconds < 0) {
                     ctx.fail(n, k, "must be zero (no throttling) or positive");
                   }
                 }}});

  read_section(ctx, root, "data",
               {{"benchmark_symbol", [&](const YAML::Node& n, const std::string& k) {
                   cfg.data.benchmark_symbol = read_string(ctx, n, k);
                 }}});

  auto& tr = cfg.training;
  auto positive_int = [&](int& target, int max) {
    return [&target, max, &ctx](const YAML::Node& n, const std::string& k) {
      target = read_int(ctx, n, k);
      if (target < 1 || target > max) ctx.fail(n, k, fmt::format("must be between 1 and {}", max));
    };
  };
  auto unit_fraction = [&](double& target) {
    return [&target, &ctx](const YAML::Node& n, const std::string& k) {
      target = read_number(ctx, n, k);
      if (!(target > 0 && target <= 1)) ctx.fail(n, k, "must be in (0, 1]");
    };
  };
  read_section(
      ctx, root, "training",
      {{"n_estimators", positive_int(tr.n_estimators, 100000)},
       {"max_depth", positive_int(tr.max_depth, 64)},
       {"eta", unit_fraction(tr.eta)},
       {"subsample", unit_fraction(tr.subsample)},
       {"colsample_bytree", unit_fraction(tr.colsample_bytree)},
       {"tree_method",
        [&](const YAML::Node& n, const std::string& k) {
          tr.tree_method = read_string(ctx, n, k);
          if (tr.tree_method != "hist" && tr.tree_method != "exact" && tr.tree_method != "approx") {
            ctx.fail(n, k, "expected hist, exact or approx");
          }
        }},
       {"seed",
        [&](const YAML::Node& n, const std::string& k) { tr.seed = read_int(ctx, n, k); }}});
  return cfg;
}

Config load_config(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::system_error& e) {
    throw ConfigError(
        fmt::format("{}: cannot read the configuration: {}", file.string(), e.code().message()));
  }
  return parse_config(text, file.string());
}

}  // namespace mlgov
