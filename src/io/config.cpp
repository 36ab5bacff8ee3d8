// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <new>
#include <set>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "io/text_excerpt.h"
#include "mlgov/errors.h"

namespace mlgov {
namespace {

using internal::excerpt;

constexpr double kSecondsPerWeek = 7 * 24 * 3600.0;

// Everything the parser needs to name a culprit: "file:line: key: rule".
struct Context {
  const std::string& source;
  // The line of the key being read: a null value ("key:" and nothing) has
  // no position of its own (yaml-cpp marks the next token instead).
  mutable int key_line = -1;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& rule) const {
    const int mark = node.IsNull() && key_line >= 0 ? key_line : node.Mark().line;
    const int line = mark >= 0 ? mark + 1 : 0;
    throw ConfigError(fmt::format("{}:{}: {}: {}", source, line, excerpt(key), rule));
  }
};

// What a node holds, for "expected ..., found <this>".
std::string describe(const YAML::Node& node) {
  if (node.IsNull()) return "null (no value)";
  if (node.IsSequence()) return "a sequence";
  if (node.IsMap()) return "a mapping";
  if (node.IsScalar()) return fmt::format("\"{}\"", excerpt(node.Scalar()));
  return "nothing";
}

// Only true/false: YAML 1.1's yes/no/on/off are a classic source of
// surprises, and "yes please" must never read as true.
bool read_bool(const Context& ctx, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  ctx.fail(node, key, "expected a boolean (true or false), found " + describe(node));
}

// A finite decimal number (from_chars: no hex, no locale, no "inf"/"nan").
double read_number(const Context& ctx, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) ctx.fail(node, key, "expected a number, found " + describe(node));
  const std::string& s = node.Scalar();
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;  // from_chars refuses a leading '+'
  double v = 0;
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec == std::errc::result_out_of_range && ptr == last) {
    ctx.fail(node, key, fmt::format("the number {} is out of range", describe(node)));
  }
  if (first == last || ec != std::errc() || ptr != last || !std::isfinite(v)) {
    ctx.fail(node, key, "expected a number, found " + describe(node));
  }
  return v;
}

// A number within [min, max]; `unit` follows the bounds in the message.
double read_bounded(const Context& ctx, const YAML::Node& node, const std::string& key, double min,
                    double max, std::string_view unit = "") {
  const double v = read_number(ctx, node, key);
  if (!(v >= min && v <= max)) {
    ctx.fail(node, key,
             fmt::format("must be between {} and {}{}, found {}", min, max, unit, describe(node)));
  }
  return v;
}

// A whole number within [min, max], checked before any conversion (a double
// outside the target type's range must never be converted to it).
std::int64_t read_integer(const Context& ctx, const YAML::Node& node, const std::string& key,
                          std::int64_t min, std::int64_t max, std::string_view unit = "") {
  const double v = read_number(ctx, node, key);
  if (v != std::floor(v)) ctx.fail(node, key, "expected an integer, found " + describe(node));
  if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max))) {
    ctx.fail(node, key,
             fmt::format("must be between {} and {}{}, found {}", min, max, unit, describe(node)));
  }
  return static_cast<std::int64_t>(v);
}

int read_int(const Context& ctx, const YAML::Node& node, const std::string& key, int min, int max,
             std::string_view unit = "") {
  return static_cast<int>(read_integer(ctx, node, key, min, max, unit));
}

std::string read_string(const Context& ctx, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    ctx.fail(node, key, "expected a non-empty string, found " + describe(node));
  }
  return node.Scalar();
}

// The text of a mapping key; a key that is itself a sequence or mapping
// (YAML allows "? [a, b]: c") is an error.
std::string key_text(const Context& ctx, const YAML::Node& key, const std::string& where) {
  if (!key.IsScalar()) ctx.fail(key, where, "expected a key name, found " + describe(key));
  return key.Scalar();
}

using Setter = std::function<void(const YAML::Node&, const std::string&)>;

// Walks one mapping section, dispatching each key to its setter; an unknown
// or repeated key is an error (a typo must not silently leave a default in
// force, and of two values neither may silently win).
void read_section(const Context& ctx, const YAML::Node& section_node, const std::string& section,
                  const std::map<std::string, Setter>& setters) {
  if (!section_node || section_node.IsNull()) return;
  if (!section_node.IsMap()) {
    ctx.fail(section_node, section, "expected a mapping of keys, found " + describe(section_node));
  }
  std::set<std::string> seen;
  for (const auto& kv : section_node) {
    const std::string key = key_text(ctx, kv.first, section + ".<key>");
    const std::string full = section + "." + key;
    const auto it = setters.find(key);
    if (it == setters.end()) {
      std::string known;
      for (const auto& [name, _] : setters) known += (known.empty() ? "" : ", ") + name;
      ctx.fail(kv.first, full, fmt::format("unknown key (known keys: {})", known));
    }
    if (!seen.insert(key).second) ctx.fail(kv.first, full, "duplicate key");
    ctx.key_line = kv.first.Mark().line;
    it->second(kv.second, full);
    ctx.key_line = -1;
  }
}

[[noreturn]] void fail_at_line(const std::string& source, std::size_t line,
                               const std::string& rule) {
  throw ConfigError(fmt::format("{}:{}: {}", source, line, rule));
}

// yaml-cpp's parser recurses once per nesting level, so a document nested
// 10^5 deep would overflow the stack. This linear scan bounds the nesting
// before the parser sees the text. It over-estimates, never under-estimates:
//   - block nesting: the number of open, strictly increasing indentations
//     (a stack) plus the compact "- ", "? ", ": " indicators starting the
//     line; full-line comments and blank lines do not count;
//   - flow nesting: every '[' or '{' outside a comment counts, whether or not
//     it closes again or sits in a quoted string (a quote can be faked, a
//     count cannot). A " #" starts a comment only on a line without quotes.
void check_nesting(std::string_view text, const std::string& source) {
  std::vector<std::size_t> indents;
  int flow_openers = 0;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // yaml-cpp breaks lines at "\n", "\r\n" and a lone "\r": so must this
    // scan, or "a:\r- - - ..." would hide its nesting on one "line".
    ++line_no;
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);

    std::size_t i = line.find_first_not_of(' ');
    if (i == std::string_view::npos) continue;
    const bool blank = line.find_first_not_of(" \t", i) == std::string_view::npos;
    if (blank || line[i] == '#') continue;

    while (!indents.empty() && indents.back() >= i) indents.pop_back();
    indents.push_back(i);
    int compact = 0;
    while (i < line.size() && (line[i] == '-' || line[i] == '?' || line[i] == ':') &&
           (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t')) {
      ++compact;
      i = line.find_first_not_of(" \t", i + 1);
      if (i == std::string_view::npos) i = line.size();
    }
    if (static_cast<int>(indents.size()) + compact > kMaxConfigNesting) {
      fail_at_line(source, line_no,
                   fmt::format("nested deeper than {} levels (a configuration is sections of "
                               "keys: 2 levels)",
                               kMaxConfigNesting));
    }

    bool quoted = false;
    for (std::size_t j = i; j < line.size(); ++j) {
      const char c = line[j];
      if (c == '\'' || c == '"') quoted = true;
      if (c == '#' && !quoted && j > 0 && (line[j - 1] == ' ' || line[j - 1] == '\t')) break;
      if ((c == '[' || c == '{') && ++flow_openers > kMaxConfigFlowCollections) {
        fail_at_line(source, line_no,
                     fmt::format("more than {} flow collections ('[' or '{{'): a configuration "
                                 "holds no lists or inline mappings",
                                 kMaxConfigFlowCollections));
      }
    }
  }
}

// "redis://host[:port][/db]" into r.host, r.port, r.db. No user or
// password (the password comes from password_env only), no TLS scheme.
void parse_redis_url(const Context& ctx, const YAML::Node& n, const std::string& key,
                     RedisStoreConfig& r) {
  const std::string url = read_string(ctx, n, key);
  constexpr std::string_view kScheme = "redis://";
  // Userinfo first, whatever the scheme: a url holding '@' is never quoted
  // (it may hold a password).
  if (url.find('@') != std::string::npos) {
    ctx.fail(n, key,
             "a user or password in the url is refused (the url is not repeated here): the "
             "password is never in a file; set governance.redis.password_env to the name of the "
             "environment variable holding it");
  }
  if (url.rfind(kScheme, 0) != 0) {
    ctx.fail(n, key,
             fmt::format("expected redis://host:port/db, found \"{}\" (rediss:// and other "
                         "schemes are not supported)",
                         excerpt(url)));
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  std::string_view hostport = rest.substr(0, rest.find('/'));
  std::string_view db_text = rest.find('/') == std::string_view::npos
                                 ? std::string_view()
                                 : rest.substr(rest.find('/') + 1);
  std::string_view port_text;
  bool port_given = false;
  std::string host;
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) ctx.fail(n, key, "unclosed '[' in the url's host");
    host = std::string(hostport.substr(1, close - 1));
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':') ctx.fail(n, key, "expected ':port' after ']'");
    port_given = !after.empty();
    if (port_given) port_text = after.substr(1);
    for (char c : host) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        ctx.fail(n, key, fmt::format("invalid IPv6 address \"{}\" in the url", excerpt(host)));
      }
    }
  } else {
    const auto colon = hostport.find(':');
    host = std::string(hostport.substr(0, colon));
    port_given = colon != std::string_view::npos;
    if (port_given) port_text = hostport.substr(colon + 1);
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
        ctx.fail(n, key,
                 fmt::format("invalid host \"{}\" in the url (letters, digits, '.', '-', '_')",
                             excerpt(host)));
      }
    }
  }
  if (host.empty()) ctx.fail(n, key, "the url names no host (expected redis://host:port/db)");
  auto number = [&](std::string_view text, long min, long max, const char* what) {
    long v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < min ||
        v > max) {
      ctx.fail(n, key,
               fmt::format("the url's {} must be an integer from {} to {}, found \"{}\"", what, min,
                           max, excerpt(text)));
    }
    return static_cast<int>(v);
  };
  r.host = host;
  r.port = port_given ? number(port_text, 1, 65535, "port") : 6379;
  r.db = db_text.empty() ? 0 : number(db_text, 0, 65535, "database");
  r.url = url;
}

// The governance.redis: section.
void read_redis_section(const Context& ctx, const YAML::Node& node, const std::string& section,
                        RedisStoreConfig& r) {
  auto millis = [&](int& target, int min, int max) {
    return [&target, min, max, &ctx](const YAML::Node& n, const std::string& k) {
      target = read_int(ctx, n, k, min, max, " ms");
    };
  };
  read_section(
      ctx, node, section,
      {{"url", [&](const YAML::Node& n, const std::string& k) { parse_redis_url(ctx, n, k, r); }},
       {"scope",
        [&](const YAML::Node& n, const std::string& k) {
          const std::string v = read_string(ctx, n, k);
          const bool ok = v.size() <= 64 && std::all_of(v.begin(), v.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                   c == '.' || c == '-';
                          });
          if (!ok) {
            ctx.fail(n, k,
                     fmt::format("expected 1 to 64 of A-Z a-z 0-9 _ . - (the scope names the "
                                 "Redis keys), found \"{}\"",
                                 excerpt(v)));
          }
          r.scope = v;
        }},
       {"connect_timeout_ms", millis(r.connect_timeout_ms, 1, 60000)},
       {"command_timeout_ms", millis(r.command_timeout_ms, 1, 60000)},
       {"sync_interval_ms", millis(r.sync_interval_ms, 10, 60000)},
       {"password_env",
        [&](const YAML::Node& n, const std::string& k) {
          const std::string v = read_string(ctx, n, k);
          const bool ok = (std::isalpha(static_cast<unsigned char>(v[0])) || v[0] == '_') &&
                          std::all_of(v.begin(), v.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                          });
          if (!ok) {
            // Never quoted: people paste the password itself here.
            ctx.fail(n, k,
                     "is not a variable name: expected the NAME of an environment variable "
                     "([A-Za-z_][A-Za-z0-9_]*; the password itself never goes in the config, "
                     "and the value is not repeated here)");
          }
          r.password_env = v;
        }},
       {"grace_seconds",
        [&](const YAML::Node& n, const std::string& k) {
          r.grace_seconds = read_bounded(ctx, n, k, 0, 86400, " seconds");
        }},
       {"on_unavailable", [&](const YAML::Node& n, const std::string& k) {
          const std::string v = read_string(ctx, n, k);
          if (v == "disable") {
            r.on_unavailable = RedisStoreConfig::OnUnavailable::kDisable;
          } else if (v == "local") {
            r.on_unavailable = RedisStoreConfig::OnUnavailable::kLocal;
          } else {
            ctx.fail(n, k, fmt::format("expected disable or local, found \"{}\"", excerpt(v)));
          }
        }}});
}

Config parse_config_impl(std::string_view yaml_text, const std::string& source);

// drift: a threshold that must hold against another (alert_psi >= warn_psi):
// fails at the key read later, naming both.
struct DriftKeyLines {
  std::map<std::string, YAML::Node> nodes;  // key -> its value node, as read
};

// The thresholds shared by the section and the per-feature overrides.
void add_threshold_setters(const Context& ctx, std::map<std::string, Setter>& setters,
                           DriftThresholds& t, DriftKeyLines& lines) {
  auto psi = [&](std::optional<double>& target, const char* name) {
    setters[name] = [&ctx, &target, &lines, name](const YAML::Node& n, const std::string& k) {
      target = read_bounded(ctx, n, k, 1e-6, 100);
      lines.nodes[name] = n;
    };
  };
  auto fraction = [&](std::optional<double>& target, const char* name) {
    setters[name] = [&ctx, &target, &lines, name](const YAML::Node& n, const std::string& k) {
      target = read_number(ctx, n, k);
      if (!(*target > 0 && *target <= 1)) ctx.fail(n, k, "must be in (0, 1]");
      lines.nodes[name] = n;
    };
  };
  psi(t.warn_psi, "warn_psi");
  psi(t.alert_psi, "alert_psi");
  psi(t.clear_psi, "clear_psi");
  fraction(t.out_of_range_warn, "out_of_range_warn");
  fraction(t.out_of_range_alert, "out_of_range_alert");
  fraction(t.stale_warn, "stale_warn");
}

// The orders every set of thresholds keeps: warn <= alert, clear <= alert,
// out_of_range_warn <= out_of_range_alert. `prefix` names the section.
void check_threshold_order(const Context& ctx, const DriftThresholds& t, const DriftConfig& section,
                           const DriftKeyLines& lines, const YAML::Node& where,
                           const std::string& prefix) {
  const double warn = t.warn_psi.value_or(section.warn_psi);
  const double alert = t.alert_psi.value_or(section.alert_psi);
  const double clear = t.clear_psi.value_or(section.clear_psi);
  const double oor_warn = t.out_of_range_warn.value_or(section.out_of_range_warn);
  const double oor_alert = t.out_of_range_alert.value_or(section.out_of_range_alert);
  auto node_of = [&](const char* a, const char* b) {
    const auto ib = lines.nodes.find(b);
    if (ib != lines.nodes.end()) return ib->second;
    const auto ia = lines.nodes.find(a);
    return ia != lines.nodes.end() ? ia->second : where;
  };
  if (!(warn <= alert)) {
    ctx.fail(node_of("warn_psi", "alert_psi"), prefix + "alert_psi",
             fmt::format("must be >= warn_psi ({} < {})", alert, warn));
  }
  if (!(clear <= alert)) {
    ctx.fail(node_of("alert_psi", "clear_psi"), prefix + "clear_psi",
             fmt::format("must be <= alert_psi ({} > {})", clear, alert));
  }
  if (!(oor_warn <= oor_alert)) {
    ctx.fail(node_of("out_of_range_warn", "out_of_range_alert"), prefix + "out_of_range_alert",
             fmt::format("must be >= out_of_range_warn ({} < {})", oor_alert, oor_warn));
  }
}

void read_drift_section(const Context& ctx, const YAML::Node& node, DriftConfig& drift) {
  DriftThresholds section;  // the section's own thresholds, as read
  DriftKeyLines lines;
  std::map<std::string, YAML::Node> features_nodes;
  YAML::Node features_node;
  std::map<std::string, Setter> setters = {
      {"enabled",
       [&](const YAML::Node& n, const std::string& k) { drift.enabled = read_bool(ctx, n, k); }},
      {"window_rows",
       [&](const YAML::Node& n, const std::string& k) {
         drift.window_rows =
             static_cast<std::size_t>(read_integer(ctx, n, k, 100, 1000000, " rows"));
         lines.nodes["window_rows"] = n;
       }},
      {"model_window_rows",
       [&](const YAML::Node& n, const std::string& k) {
         drift.model_window_rows =
             static_cast<std::size_t>(read_integer(ctx, n, k, 10, 100000, " rows"));
         lines.nodes["model_window_rows"] = n;
       }},
      {"min_rows",
       [&](const YAML::Node& n, const std::string& k) {
         drift.min_rows = static_cast<std::size_t>(read_integer(ctx, n, k, 1, 1000000, " rows"));
         lines.nodes["min_rows"] = n;
       }},
      {"clear_evaluations",
       [&](const YAML::Node& n, const std::string& k) {
         drift.clear_evaluations = read_int(ctx, n, k, 1, 1000, " evaluations");
       }},
      {"stale_window_rows",
       [&](const YAML::Node& n, const std::string& k) {
         drift.stale_window_rows =
             static_cast<std::size_t>(read_integer(ctx, n, k, 2, 100000, " rows"));
         lines.nodes["stale_window_rows"] = n;
       }},
      {"alert_counts_as_failure",
       [&](const YAML::Node& n, const std::string& k) {
         drift.alert_counts_as_failure = read_bool(ctx, n, k);
       }},
      {"relation_break",
       [&](const YAML::Node& n, const std::string& k) {
         drift.relation_break = read_number(ctx, n, k);
         if (!(drift.relation_break > 0 && drift.relation_break <= 1)) {
           ctx.fail(n, k, "must be in (0, 1]");
         }
       }},
      {"relation_min_rows",
       [&](const YAML::Node& n, const std::string& k) {
         drift.relation_min_rows =
             static_cast<std::size_t>(read_integer(ctx, n, k, 1, 1000000, " rows"));
       }},
      {"features", [&](const YAML::Node& n, const std::string& k) {
         if (!n.IsMap() && !n.IsNull()) {
           ctx.fail(n, k, "expected a mapping of feature names, found " + describe(n));
         }
         features_node = n;
       }}};
  add_threshold_setters(ctx, setters, section, lines);
  read_section(ctx, node, "drift", setters);
  drift.warn_psi = section.warn_psi.value_or(drift.warn_psi);
  drift.alert_psi = section.alert_psi.value_or(drift.alert_psi);
  drift.clear_psi = section.clear_psi.value_or(drift.clear_psi);
  drift.out_of_range_warn = section.out_of_range_warn.value_or(drift.out_of_range_warn);
  drift.out_of_range_alert = section.out_of_range_alert.value_or(drift.out_of_range_alert);
  drift.stale_warn = section.stale_warn.value_or(drift.stale_warn);
  check_threshold_order(ctx, DriftThresholds{}, drift, lines, node, "drift.");
  if (drift.min_rows > drift.window_rows) {
    ctx.fail(
        lines.nodes.count("min_rows") ? lines.nodes["min_rows"] : lines.nodes["window_rows"],
        "drift.min_rows",
        fmt::format("must be <= drift.window_rows ({} > {})", drift.min_rows, drift.window_rows));
  }
  if (drift.stale_window_rows > drift.model_window_rows) {
    ctx.fail(lines.nodes.count("stale_window_rows") ? lines.nodes["stale_window_rows"]
                                                    : lines.nodes["model_window_rows"],
             "drift.stale_window_rows",
             fmt::format("must be <= drift.model_window_rows ({} > {})", drift.stale_window_rows,
                         drift.model_window_rows));
  }
  if (!features_node || features_node.IsNull()) return;
  for (const auto& kv : features_node) {
    const std::string name = key_text(ctx, kv.first, "drift.features.<feature>");
    const std::string prefix = "drift.features." + name;
    if (drift.features.count(name)) ctx.fail(kv.first, prefix, "duplicate key");
    DriftThresholds t;
    t.where = fmt::format("{}:{}", ctx.source, kv.first.Mark().line + 1);
    DriftKeyLines feature_lines;
    std::map<std::string, Setter> feature_setters;
    add_threshold_setters(ctx, feature_setters, t, feature_lines);
    read_section(ctx, kv.second, prefix, feature_setters);
    check_threshold_order(ctx, t, drift, feature_lines, kv.first, prefix + ".");
    drift.features.emplace(name, std::move(t));
  }
}

}  // namespace

std::string_view to_string(PredictorBackend backend) noexcept {
  switch (backend) {
    case PredictorBackend::kNative:
      return "native";
    case PredictorBackend::kNativeSimd:
      return "native_simd";
    case PredictorBackend::kXgboost:
      return "xgboost";
    case PredictorBackend::kAuto:
      break;
  }
  return "auto";
}

namespace {

Config parse_config_impl(std::string_view yaml_text, const std::string& source) {
  const Context ctx{source};
  if (yaml_text.size() > kMaxConfigBytes) {
    throw ConfigError(
        fmt::format("{}: the configuration is larger than {} bytes", source, kMaxConfigBytes));
  }
  check_nesting(yaml_text, source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(
        fmt::format("{}:{}: YAML syntax error: {}", source, e.mark.line + 1, excerpt(e.msg)));
  }
  Config cfg;
  cfg.source = source;
  if (root.IsNull()) {
    cfg.warnings.push_back(source +
                           ": empty configuration: every default applies and ML is disabled");
    return cfg;
  }
  if (!root.IsMap()) ctx.fail(root, "<top level>", "expected a mapping of sections");

  // Each section's node, found in one pass over the top level.
  std::map<std::string, YAML::Node> sections = {
      {"features", {}}, {"predictor", {}}, {"governance", {}}, {"paths", {}},
      {"logging", {}},  {"data", {}},      {"training", {}},   {"limits", {}}};
  sections["drift"] = {};
  std::set<std::string> seen_sections;
  for (const auto& kv : root) {
    const std::string key = key_text(ctx, kv.first, "<section>");
    const auto it = sections.find(key);
    if (it == sections.end()) {
      ctx.fail(kv.first, key,
               "unknown section (known: data, drift, features, governance, limits, logging, "
               "paths, predictor, training)");
    }
    if (!seen_sections.insert(key).second) ctx.fail(kv.first, key, "duplicate section");
    it->second = kv.second;
  }

  bool ml_enabled_seen = false;
  read_section(ctx, sections["features"], "features",
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

  read_section(ctx, sections["predictor"], "predictor",
               {{"backend", [&](const YAML::Node& n, const std::string& k) {
                   const std::string v = read_string(ctx, n, k);
                   if (v == "auto") {
                     cfg.backend = PredictorBackend::kAuto;
                   } else if (v == "native") {
                     cfg.backend = PredictorBackend::kNative;
                   } else if (v == "native_simd") {
                     cfg.backend = PredictorBackend::kNativeSimd;
                   } else if (v == "xgboost") {
                     cfg.backend = PredictorBackend::kXgboost;
                   } else {
                     ctx.fail(
                         n, k,
                         fmt::format("expected auto, native, native_simd or xgboost, found \"{}\"",
                                     excerpt(v)));
                   }
                 }}});

  auto& gov = cfg.governance;
  YAML::Node store_node;  // governance.store and governance.redis, for the checks after
  YAML::Node redis_node;
  int store_line = -1;
  int redis_line = -1;
  bool redis_seen = false;
  read_section(
      ctx, sections["governance"], "governance",
      {{"max_failures",
        [&](const YAML::Node& n, const std::string& k) {
          gov.max_failures = read_int(ctx, n, k, 1, 1000);
        }},
       {"window_seconds",
        [&](const YAML::Node& n, const std::string& k) {
          // Converted to nanoseconds later: 7 days keeps that far inside int64.
          gov.window_seconds =
              read_bounded(ctx, n, k, 1, kSecondsPerWeek, " seconds (1 s to 7 days)");
        }},
       {"allow_legacy_models",
        [&](const YAML::Node& n, const std::string& k) {
          gov.allow_legacy_models = read_bool(ctx, n, k);
        }},
       {"max_model_age_days",
        [&](const YAML::Node& n, const std::string& k) {
          gov.max_model_age_days = read_int(ctx, n, k, 0, 36500, " days (0: never stale)");
        }},
       {"state_file", [&](const YAML::Node& n,
                          const std::string& k) { gov.state_file = read_string(ctx, n, k); }},
       {"store",
        [&](const YAML::Node& n, const std::string& k) {
          const std::string v = read_string(ctx, n, k);
          if (v == "file") {
            gov.store = GovernanceConfig::Store::kFile;
          } else if (v == "redis") {
            gov.store = GovernanceConfig::Store::kRedis;
          } else {
            ctx.fail(n, k, fmt::format("expected file or redis, found \"{}\"", excerpt(v)));
          }
          store_node = n;
          store_line = ctx.key_line;
        }},
       {"redis", [&](const YAML::Node& n, const std::string& k) {
          redis_node = n;
          redis_line = ctx.key_line;
          redis_seen = true;
          if (!n.IsMap()) {
            ctx.fail(n, k, "expected a mapping of keys (url, scope, ...), found " + describe(n));
          }
          read_redis_section(ctx, n, k, gov.redis);
        }}});
  if (gov.store == GovernanceConfig::Store::kRedis && !redis_seen) {
    ctx.key_line = store_line;
    ctx.fail(store_node, "governance.store",
             "redis needs a governance.redis: section (with at least url and scope)");
  }
  if (redis_seen) {
    std::string missing;
    if (gov.redis.url.empty()) missing = "url";
    if (gov.redis.scope.empty()) missing += missing.empty() ? "scope" : " and scope";
    if (!missing.empty()) {
      ctx.key_line = redis_line;
      ctx.fail(redis_node, "governance.redis",
               fmt::format("missing {} (required: url redis://host:port/db, scope NAME)", missing));
    }
    if (gov.store != GovernanceConfig::Store::kRedis) {
      cfg.warnings.push_back(source +
                             ": governance.redis is set but governance.store is not redis: the "
                             "state file is used");
    }
  }

  read_section(
      ctx, sections["paths"], "paths",
      {{"contracts_dir",
        [&](const YAML::Node& n, const std::string& k) {
          cfg.paths.contracts_dir = read_string(ctx, n, k);
        }},
       {"models_dir", [&](const YAML::Node& n,
                          const std::string& k) { cfg.paths.models_dir = read_string(ctx, n, k); }},
       {"logs_dir", [&](const YAML::Node& n, const std::string& k) {
          cfg.paths.logs_dir = read_string(ctx, n, k);
        }}});

  read_section(ctx, sections["logging"], "logging",
               {{"console_info_interval_seconds", [&](const YAML::Node& n, const std::string& k) {
                   cfg.logging.console_info_interval_seconds =
                       read_bounded(ctx, n, k, 0, 86400, " seconds (0: no throttling)");
                 }}});

  read_section(ctx, sections["data"], "data",
               {{"benchmark_symbol", [&](const YAML::Node& n, const std::string& k) {
                   cfg.data.benchmark_symbol = read_string(ctx, n, k);
                 }}});

  auto& tr = cfg.training;
  auto positive_int = [&](int& target, int max) {
    return [&target, max, &ctx](const YAML::Node& n, const std::string& k) {
      target = read_int(ctx, n, k, 1, max);
    };
  };
  auto unit_fraction = [&](double& target) {
    return [&target, &ctx](const YAML::Node& n, const std::string& k) {
      target = read_number(ctx, n, k);
      if (!(target > 0 && target <= 1)) ctx.fail(n, k, "must be in (0, 1]");
    };
  };
  read_section(
      ctx, sections["training"], "training",
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
       {"seed", [&](const YAML::Node& n, const std::string& k) {
          tr.seed = read_int(ctx, n, k, -1000000000, 1000000000);
        }}});

  auto& lim = cfg.limits;
  read_section(ctx, sections["limits"], "limits",
               {{"max_csv_line_bytes",
                 [&](const YAML::Node& n, const std::string& k) {
                   lim.max_csv_line_bytes =
                       static_cast<std::size_t>(read_integer(ctx, n, k, 64, 16 << 20, " bytes"));
                 }},
                {"max_model_file_bytes",
                 [&](const YAML::Node& n, const std::string& k) {
                   lim.max_model_file_bytes = static_cast<std::uint64_t>(
                       read_integer(ctx, n, k, 1024, 4LL << 30, " bytes"));
                 }},
                {"max_trees", positive_int(lim.max_trees, 10000000)},
                {"max_tree_depth", positive_int(lim.max_tree_depth, 255)},
                {"max_json_depth", [&](const YAML::Node& n, const std::string& k) {
                   lim.max_json_depth = read_int(ctx, n, k, 8, 1024, " levels");
                 }}});
  read_drift_section(ctx, sections["drift"], cfg.drift);
  return cfg;
}

}  // namespace

Config parse_config(std::string_view yaml_text, const std::string& source) {
  try {
    return parse_config_impl(yaml_text, source);
  } catch (const ConfigError&) {
    throw;
  } catch (const YAML::Exception& e) {
    // A safety net: every yaml-cpp call above is checked, but none of its
    // exceptions may ever leave the library as anything but a ConfigError.
    throw ConfigError(
        fmt::format("{}:{}: invalid configuration: {}", source, e.mark.line + 1, excerpt(e.msg)));
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(fmt::format("{}: invalid configuration: {}", source, excerpt(e.what())));
  }
}

Config load_config(const std::filesystem::path& file) {
  // Read at most one byte past the cap: a huge file (or an endless pipe) is
  // refused without reading it all.
  const std::string name = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("{}: cannot read the configuration: {}", name,
                                  std::generic_category().message(errno ? errno : ENOENT)));
  }
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad())
    throw ConfigError(fmt::format("{}: cannot read the configuration: read error", name));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    throw ConfigError(
        fmt::format("{}: the configuration is larger than {} bytes", name, kMaxConfigBytes));
  }
  return parse_config(text, name);
}

}  // namespace mlgov
