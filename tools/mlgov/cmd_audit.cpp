// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov audit --symbols A,B,...|all --data DIR --benchmark SPX --sectors FILE
//  [--models DIR] --out reports/audit.json [--min-pass-rate 0.95]
//  [--config FILE] [--contracts-dir DIR] [--metrics-file F]`
//
// Per symbol, in this order (a check that cannot run after an earlier
// failure is not listed):
//   features_computed  the bars load and the FeatureComputer emits rows
//   history            at least contract.min_history() bars (253 for ml_v1)
//   columns            the frame's columns equal the contract (names, order,
//                      count) and carry its fingerprint
//   float32            every contract column is declared and stored float32
//   finite             no NaN or inf in any emitted row
//   deterministic      a second computation is bit-identical
//   streaming_parity   UniverseStream over the whole history gives, bit for
//                      bit, the batch rows of the last 300 bars
//   ranges             values inside their natural ranges (each feature's
//                      "range" in the contract, docs/features_ml_v1.md)
// and with --models, through a GovernedPredictor as the live engine builds it
// (ML forced on, private scratch state file, a window that cannot latch):
//   model_loads        the registry loaded the symbol's newest model (a
//                      refusal fails with the registry's reason: truncated
//                      model.json, meta for another contract, ...)
//   model_meta         model_meta.json is present (not a legacy model) and
//                      matches the contract (name, version, fingerprint)
//   model_fresh        training data not older than max_model_age_days
//   model_predicts     the model predicts (OK, a probability in [0, 1]) on
//                      the latest row
// A symbol without any model directory passes a single "model" check that
// says so. Features are computed over the rank universe of the data
// directory (see market_inputs.h), as `mlgov train` does.
//
// Report (written atomically, parent directories created):
//   {passed, failed, pass_rate, min_pass_rate, generated_at,
//    contract: {name, version, fingerprint}, data: {...}, models_dir,
//    warnings: [...], symbols: {SYM: {passed, checks: [{name, passed, detail}]}}}
// With --metrics-file, also the pass rate and counts in the Prometheus text
// format (format_audit_prometheus, written atomically; for the textfile
// collector, e.g. runtime/metrics/mlgov_audit.prom), whatever the verdict.
// Exit code 1 when pass_rate < --min-pass-rate, 2 for bad input.
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "market_inputs.h"
#include "mlgov/errors.h"
#include "mlgov/feature_computer.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/logging.h"
#include "mlgov/metrics.h"

namespace mlgov::cli {
namespace {

constexpr std::size_t kStreamingBars = 300;

struct AuditOptions {
  std::string symbols;
  std::string data;
  std::optional<std::string> benchmark;
  std::string sectors;
  std::optional<std::string> models;
  std::string out;
  double min_pass_rate = 0.95;
  std::optional<std::string> config;
  std::optional<std::string> contracts_dir;
  std::optional<std::string> metrics_file;
};

struct Check {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct SymbolAudit {
  std::vector<Check> checks;
  void add(std::string name, bool passed, std::string detail) {
    checks.push_back({std::move(name), passed, std::move(detail)});
  }
  bool passed() const {
    for (const auto& c : checks) {
      if (!c.passed) return false;
    }
    return !checks.empty();
  }
};

std::string date_of(BarTime t) { return format_bar_time(t); }

// A refusal message up to XGBoost's native stack trace (kept out of the report).
std::string without_stack_trace(const std::string& message) {
  auto end = message.find("Stack trace:");
  if (end == std::string::npos) return message;
  while (end > 0 && (message[end - 1] == '\n' || message[end - 1] == ' ')) --end;
  return message.substr(0, end);
}

std::string utc_now_iso() { return format_utc_millis(std::chrono::system_clock::now()); }

// Bit patterns, not values: -0.0f differs from 0.0f and a NaN equals itself.
bool same_float_bits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

// First column where two rows differ bitwise, or -1.
int first_diff(std::span<const float> a, std::span<const float> b) {
  for (std::size_t j = 0; j < std::min(a.size(), b.size()); ++j) {
    if (!same_float_bits(a[j], b[j])) return static_cast<int>(j);
  }
  return a.size() == b.size() ? -1 : static_cast<int>(std::min(a.size(), b.size()));
}

bool same_bits(std::span<const float> a, std::span<const float> b) { return first_diff(a, b) < 0; }

class Auditor {
 public:
  explicit Auditor(const AuditOptions& opt) : opt_(opt) {}

  int run();

 private:
  void load_inputs();
  void compute_frames();
  void stream_universe();
  void audit_features(std::size_t k, SymbolAudit& audit);
  void audit_model(std::size_t k, SymbolAudit& audit, GovernedPredictor& predictor);
  std::string write_report(const std::map<std::string, SymbolAudit>& audits, std::size_t passed);

  const AuditOptions& opt_;
  Config config_;
  std::optional<FeatureContract> contract_;
  std::optional<FeatureComputer> computer_;
  std::string benchmark_name_;
  std::filesystem::path data_dir_;
  std::vector<std::string> chosen_;
  SectorMap sectors_;
  BarSeries benchmark_;
  std::vector<std::string> warnings_;
  // Per chosen symbol: the reason it could not be computed ("" = fine).
  std::map<std::string, std::string> load_error_;
  std::map<std::string, std::size_t> bar_counts_;
  // The universe actually computed (chosen symbols that loaded come first).
  std::vector<BarSeries> universe_;
  FeatureFrame frame_;
  FeatureFrame frame_again_;
  // Per universe index: the frame's row indices of that symbol, in date order.
  std::vector<std::vector<std::size_t>> rows_of_;
  // Per universe index: "" when streaming matched the batch on the last 300
  // rows, else the first difference.
  std::vector<std::string> stream_result_;
  std::vector<std::size_t> stream_compared_;
};

void Auditor::load_inputs() {
  config_ = load_tool_config(opt_.config);
  contract_.emplace(load_tool_contract(config_, opt_.contracts_dir));
  computer_.emplace(*contract_);
  benchmark_name_ = opt_.benchmark.value_or(config_.data.benchmark_symbol);
  data_dir_ = opt_.data;
  chosen_ = resolve_symbols(opt_.symbols, data_dir_, benchmark_name_, opt_.sectors);
  const std::size_t max_line = config_.limits.max_csv_line_bytes;
  sectors_ = load_sector_map(opt_.sectors, max_line);
  benchmark_ = load_symbol_bars(data_dir_, benchmark_name_, true, max_line);

  std::vector<std::string> without_data;
  const auto names = rank_universe(chosen_, sectors_, data_dir_, benchmark_name_, &without_data);
  if (!without_data.empty()) {
    warnings_.push_back(fmt::format(
        "{} symbol(s) of {} have no data file in {} and are left out "
        "of the rank universe: {}",
        without_data.size(), opt_.sectors, data_dir_.string(), name_list(without_data)));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool is_chosen = i < chosen_.size();
    const auto& name = names[i];
    try {
      if (sectors_.sector_of.find(name) == sectors_.sector_of.end()) {
        throw DataError(fmt::format("{}: no sector for {}", sectors_.source, name));
      }
      BarSeries bars = load_symbol_bars(data_dir_, name, false, config_.limits.max_csv_line_bytes);
      if (is_chosen) bar_counts_[name] = bars.bars.size();
      universe_.push_back(std::move(bars));
    } catch (const Error& e) {
      if (is_chosen) {
        load_error_[name] = e.what();
      } else {
        warnings_.push_back(fmt::format("{} left out of the rank universe: {}", name, e.what()));
      }
    }
  }
}

void Auditor::compute_frames() {
  // A symbol whose bars break a rule against the benchmark (a date the
  // benchmark lacks) makes compute_universe throw: find such symbols one by
  // one, take them out, and compute the rest.
  while (true) {
    try {
      frame_ = computer_->compute_universe(universe_, benchmark_, sectors_);
      frame_again_ = computer_->compute_universe(universe_, benchmark_, sectors_);
      break;
    } catch (const DataError& whole) {
      std::vector<BarSeries> kept;
      for (auto& series : universe_) {
        try {
          (void)computer_->compute_symbol(series, benchmark_);
          kept.push_back(std::move(series));
        } catch (const Error& e) {
          if (bar_counts_.count(series.symbol) != 0) {
            load_error_[series.symbol] = e.what();
          } else {
            warnings_.push_back(
                fmt::format("{} left out of the rank universe: {}", series.symbol, e.what()));
          }
        }
      }
      if (kept.size() == universe_.size()) throw;  // not a single symbol's fault
      universe_ = std::move(kept);
    }
  }
  for (const auto& w : frame_.warnings) warnings_.push_back(w);
  rows_of_.assign(universe_.size(), {});
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < universe_.size(); ++i) index[universe_[i].symbol] = i;
  for (std::size_t r = 0; r < frame_.rows(); ++r) {
    const auto it = index.find(frame_.symbols[r]);
    if (it != index.end()) rows_of_[it->second].push_back(r);
  }
}

void Auditor::stream_universe() {
  const std::size_t n = universe_.size();
  stream_result_.assign(n, "");
  stream_compared_.assign(n, 0);
  std::vector<std::string> names;
  for (const auto& s : universe_) names.push_back(s.symbol);
  UniverseStream stream(*computer_, names, sectors_, benchmark_name_);
  std::vector<std::size_t> bar_pos(n, 0);
  std::vector<std::size_t> cursor(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    cursor[k] = rows_of_[k].size() > kStreamingBars ? rows_of_[k].size() - kStreamingBars : 0;
  }
  std::vector<const Bar*> bars(n, nullptr);
  for (const Bar& b : benchmark_.bars) {
    for (std::size_t k = 0; k < n; ++k) {
      const auto& sb = universe_[k].bars;
      while (bar_pos[k] < sb.size() && sb[bar_pos[k]].time < b.time) ++bar_pos[k];
      bars[k] = bar_pos[k] < sb.size() && sb[bar_pos[k]].time == b.time ? &sb[bar_pos[k]] : nullptr;
    }
    const FeatureStatus bs = stream.try_step(b, bars);
    for (std::size_t k = 0; k < n; ++k) {
      if (!stream_result_[k].empty() || cursor[k] >= rows_of_[k].size()) continue;
      const std::size_t r = rows_of_[k][cursor[k]];
      if (frame_.times[r] != b.time) continue;
      ++cursor[k];
      ++stream_compared_[k];
      if (bs != FeatureStatus::kReady && bs != FeatureStatus::kInsufficientHistory) {
        stream_result_[k] = fmt::format("{}: the benchmark bar was rejected by the stream: {}",
                                        date_of(b.time), to_string(bs));
      } else if (stream.status(k) != FeatureStatus::kReady) {
        stream_result_[k] = fmt::format("{}: the batch has a row, the stream says {}",
                                        date_of(b.time), to_string(stream.status(k)));
      } else if (const int j = first_diff(stream.row(k).values, frame_.row_values(r)); j >= 0) {
        const auto sv = stream.row(k).values;
        const auto bv = frame_.row_values(r);
        stream_result_[k] = fmt::format(
            "{}: column {} ({}) streaming {:.9g} != batch {:.9g}", date_of(b.time), j,
            j < static_cast<int>(frame_.cols()) ? frame_.columns()[static_cast<std::size_t>(j)]
                                                : "?",
            j < static_cast<int>(sv.size()) ? sv[static_cast<std::size_t>(j)] : NAN,
            j < static_cast<int>(bv.size()) ? bv[static_cast<std::size_t>(j)] : NAN);
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    if (stream_result_[k].empty() && cursor[k] != rows_of_[k].size()) {
      stream_result_[k] =
          fmt::format("the stream reached {} of the batch's last {} rows", stream_compared_[k],
                      std::min(rows_of_[k].size(), kStreamingBars));
    }
  }
}

void Auditor::audit_features(std::size_t k, SymbolAudit& audit) {
  const std::string& sym = universe_[k].symbol;
  const auto& rows = rows_of_[k];
  const std::size_t n_bars = universe_[k].bars.size();
  const std::size_t min_history = static_cast<std::size_t>(computer_->min_history());
  if (rows.empty()) {
    audit.add(
        "features_computed", false,
        fmt::format("no feature rows from {} bars (a row needs {} bars)", n_bars, min_history));
  } else {
    audit.add("features_computed", true,
              fmt::format("{} rows from {} to {}", rows.size(), date_of(frame_.times[rows.front()]),
                          date_of(frame_.times[rows.back()])));
  }
  audit.add("history", n_bars >= min_history,
            fmt::format("{} bars, {} {}", n_bars, n_bars >= min_history ? ">=" : "<", min_history));
  if (rows.empty()) return;

  const FeatureMismatch mismatch = contract_->compare(frame_.columns());
  const bool columns_ok = mismatch.matches() && frame_.fingerprint() == contract_->fingerprint();
  audit.add("columns", columns_ok,
            columns_ok            ? fmt::format("{} columns equal contract {} {} (fingerprint {})",
                                                frame_.cols(), contract_->name(), contract_->version(),
                                                contract_->fingerprint().substr(0, 12))
            : !mismatch.matches() ? mismatch.summary()
                                  : fmt::format("frame fingerprint {} != contract {}",
                                                frame_.fingerprint(), contract_->fingerprint()));

  std::string not_float;
  for (const auto& f : contract_->features()) {
    if (f.dtype != "float32") not_float += (not_float.empty() ? "" : ", ") + f.name + "=" + f.dtype;
  }
  static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);
  audit.add("float32", not_float.empty() && frame_.values.size() == frame_.rows() * frame_.cols(),
            not_float.empty()
                ? fmt::format("{} columns declared float32, stored as IEEE-754 binary32",
                              contract_->size())
                : "declared with another dtype: " + not_float);

  std::string non_finite;
  for (std::size_t r : rows) {
    const auto v = frame_.row_values(r);
    for (std::size_t j = 0; j < v.size() && non_finite.empty(); ++j) {
      if (!std::isfinite(v[j])) {
        non_finite =
            fmt::format("{}: {} = {}", date_of(frame_.times[r]), frame_.columns()[j], v[j]);
      }
    }
    if (!non_finite.empty()) break;
  }
  audit.add("finite", non_finite.empty(),
            non_finite.empty()
                ? fmt::format("{} rows x {} values, no NaN or inf", rows.size(), frame_.cols())
                : "non-finite value at " + non_finite);

  std::string differs;
  if (frame_again_.rows() != frame_.rows()) {
    differs = fmt::format("{} rows, then {}", frame_.rows(), frame_again_.rows());
  } else {
    for (std::size_t r : rows) {
      if (frame_again_.times[r] != frame_.times[r] || frame_again_.symbols[r] != sym ||
          !same_bits(frame_again_.row_values(r), frame_.row_values(r))) {
        differs = fmt::format("row dated {} differs", date_of(frame_.times[r]));
        break;
      }
    }
  }
  audit.add("deterministic", differs.empty(),
            differs.empty() ? "a second computation is bit-identical" : differs);

  audit.add("streaming_parity", stream_result_[k].empty(),
            stream_result_[k].empty()
                ? fmt::format("streaming equals batch bit for bit on the last {} rows",
                              stream_compared_[k])
                : stream_result_[k]);

  std::string out_of_range;
  std::size_t checked = 0;
  for (const FeatureSpec& feature : contract_->features()) {
    if (!feature.range) continue;
    const auto j = frame_.column_index(feature.name);
    if (!j) continue;
    ++checked;
    for (std::size_t r : rows) {
      const double v = frame_.row_values(r)[*j];
      if (!feature.range->contains(v)) {
        out_of_range = fmt::format("{}: {} = {:.9g} outside [{}, {}]", date_of(frame_.times[r]),
                                   feature.name, v, feature.range->lo, feature.range->hi);
        break;
      }
    }
    if (!out_of_range.empty()) break;
  }
  audit.add("ranges", out_of_range.empty(),
            out_of_range.empty()
                ? fmt::format("{} range-bounded features inside their natural ranges", checked)
                : out_of_range);
}

void Auditor::audit_model(std::size_t k, SymbolAudit& audit, GovernedPredictor& predictor) {
  const std::string& sym = universe_[k].symbol;
  const auto& registry = predictor.registry();
  for (const auto& refused : registry.refused()) {
    if (refused.symbol == sym) {
      audit.add("model_loads", false, without_stack_trace(refused.message));
      return;
    }
  }
  const LoadedModel* model = registry.find(sym);
  if (model == nullptr) {
    audit.add(
        "model", true,
        fmt::format("no model directory for {} in {}: model checks skipped", sym, *opt_.models));
    return;
  }
  const ModelInfo& info = model->info;
  audit.add("model_loads", true,
            fmt::format("{} ({} backend, {} features)", info.directory.string(), info.backend,
                        info.n_features));
  if (info.legacy || !info.meta) {
    audit.add("model_meta", false,
              fmt::format("{}: no model_meta.json (legacy model: the contract cannot be checked)",
                          info.directory.string()));
  } else {
    audit.add("model_meta", true,
              fmt::format("contract {} {} fingerprint {} matches; trained_at {}",
                          info.meta->contract.name, info.meta->contract.version,
                          info.meta->contract.fingerprint.substr(0, 12), info.meta->trained_at));
    audit.add("model_fresh", !info.stale,
              info.stale
                  ? info.degraded_reason
                  : fmt::format("training data ends {} (max_model_age_days {}{})",
                                info.meta->training_data_period.end,
                                config_.governance.max_model_age_days,
                                config_.governance.max_model_age_days == 0 ? ": never stale" : ""));
  }
  if (rows_of_[k].empty()) {
    audit.add("model_predicts", false, "no feature row to predict on");
    return;
  }
  const std::size_t r = rows_of_[k].back();
  const PredictResult result = predictor.try_predict(sym, frame_.row(r));
  const bool ok = result.ok() && result.value >= 0.0f && result.value <= 1.0f;
  audit.add("model_predicts", ok,
            result.ok() ? fmt::format("p = {:.6f} on the latest row ({})", result.value,
                                      date_of(frame_.times[r]))
                        : fmt::format("{} on the latest row ({})", to_string(result.status),
                                      date_of(frame_.times[r])));
}

std::string Auditor::write_report(const std::map<std::string, SymbolAudit>& audits,
                                  std::size_t passed) {
  const std::size_t total = audits.size();
  const double pass_rate = static_cast<double>(passed) / static_cast<double>(total);
  nlohmann::ordered_json doc;
  doc["passed"] = passed;
  doc["failed"] = total - passed;
  doc["pass_rate"] = pass_rate;
  doc["min_pass_rate"] = opt_.min_pass_rate;
  doc["generated_at"] = utc_now_iso();
  doc["contract"] = {{"name", contract_->name()},
                     {"version", contract_->version()},
                     {"fingerprint", contract_->fingerprint()}};
  doc["data"] = {{"dir", data_dir_.string()},
                 {"benchmark", benchmark_name_},
                 {"sectors", opt_.sectors},
                 {"rank_universe_size", universe_.size()}};
  doc["models_dir"] = opt_.models ? nlohmann::ordered_json(*opt_.models) : nullptr;
  doc["warnings"] = warnings_;
  nlohmann::ordered_json symbols = nlohmann::ordered_json::object();
  for (const auto& sym : chosen_) {
    const SymbolAudit& a = audits.at(sym);
    nlohmann::ordered_json checks = nlohmann::ordered_json::array();
    for (const auto& c : a.checks) {
      checks.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    }
    symbols[sym] = {{"passed", a.passed()}, {"checks", checks}};
  }
  doc["symbols"] = symbols;
  write_output_file(opt_.out,
                    doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  return fmt::format("{:.4f}", pass_rate);
}

int Auditor::run() {
  if (!(opt_.min_pass_rate >= 0.0 && opt_.min_pass_rate <= 1.0)) {
    throw CommandExit(2, fmt::format("--min-pass-rate {}: must be in [0, 1]", opt_.min_pass_rate));
  }
  load_inputs();
  compute_frames();
  stream_universe();

  std::unique_ptr<ScratchDir> scratch;
  std::unique_ptr<GovernedPredictor> predictor;
  if (opt_.models) {
    std::error_code ec;
    if (!std::filesystem::is_directory(*opt_.models, ec)) {
      throw CommandExit(2, fmt::format("--models {}: not a directory", *opt_.models));
    }
    std::size_t entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(*opt_.models)) {
      (void)e;
      ++entries;
    }
    scratch = std::make_unique<ScratchDir>("mlgov-audit");
    Config pc = config_;
    pc.ml_enabled = true;
    pc.governance.max_failures = static_cast<int>(entries + chosen_.size() + 2);
    pc.paths.models_dir = std::filesystem::path(*opt_.models);
    pc.governance.state_file = scratch->path() / "governance_state.json";
    PredictorOptions popts;
    popts.logger = make_null_logger();  // a scratch state: the tool reports on its own
    predictor = std::make_unique<GovernedPredictor>(pc, *contract_, popts);
  }

  std::map<std::string, SymbolAudit> audits;
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < universe_.size(); ++i) index[universe_[i].symbol] = i;
  std::size_t passed = 0;
  for (const auto& sym : chosen_) {
    SymbolAudit& audit = audits[sym];
    const auto err = load_error_.find(sym);
    const auto it = index.find(sym);
    if (err != load_error_.end() || it == index.end()) {
      audit.add("features_computed", false,
                err != load_error_.end() ? err->second : "not computed");
    } else {
      audit_features(it->second, audit);
      if (predictor) audit_model(it->second, audit, *predictor);
    }
    if (audit.passed()) ++passed;
  }
  const std::string rate = write_report(audits, passed);
  std::printf("audit: %zu/%zu symbols passed (pass_rate %s, minimum %.4g) -> %s\n", passed,
              chosen_.size(), rate.c_str(), opt_.min_pass_rate, opt_.out.c_str());
  for (const auto& sym : chosen_) {
    for (const auto& c : audits[sym].checks) {
      if (!c.passed)
        std::printf("  FAIL %s %s: %s\n", sym.c_str(), c.name.c_str(), c.detail.c_str());
    }
  }
  for (const auto& w : warnings_) std::printf("  warning: %s\n", w.c_str());
  const double pass_rate = static_cast<double>(passed) / static_cast<double>(chosen_.size());
  if (opt_.metrics_file) {
    AuditMetrics m;
    m.passed = passed;
    m.failed = chosen_.size() - passed;
    m.pass_rate = pass_rate;
    m.min_pass_rate = opt_.min_pass_rate;
    m.timestamp_seconds =
        static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()) /
        1000.0;
    try {
      write_prometheus_text(format_audit_prometheus(m), *opt_.metrics_file);
    } catch (const std::exception& e) {
      throw CommandExit(
          2, fmt::format("--metrics-file {}: cannot write it: {}", *opt_.metrics_file, e.what()));
    }
  }
  return pass_rate < opt_.min_pass_rate ? 1 : 0;
}

}  // namespace

void register_audit_command(CLI::App& app) {
  auto opt = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand(
      "audit", "Check features (contract, parity, ranges) and models per symbol; JSON report");
  cmd->add_option("--symbols", opt->symbols, "A,B,... or all (every bar file in --data)")
      ->required()
      ->type_name("A,B,...|all");
  cmd->add_option("--data", opt->data, "directory of <SYMBOL>.csv bar files")
      ->required()
      ->type_name("DIR");
  cmd->add_option("--benchmark", opt->benchmark,
                  "benchmark symbol (default: the config's data.benchmark_symbol, SPX)")
      ->type_name("SYMBOL");
  cmd->add_option("--sectors", opt->sectors, "symbol,sector CSV")->required()->type_name("FILE");
  cmd->add_option("--models", opt->models,
                  "models directory: also audit each symbol's model (only when given)")
      ->type_name("DIR");
  cmd->add_option("--out", opt->out, "report file, e.g. reports/audit.json")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--min-pass-rate", opt->min_pass_rate,
                  "exit code 1 when the share of passing symbols is below this")
      ->capture_default_str()
      ->type_name("RATE");
  add_config_option(cmd, opt->config,
                    "contract, paths.contracts_dir, data.benchmark_symbol, model rules; "
                    "defaults otherwise");
  cmd->add_option("--contracts-dir", opt->contracts_dir,
                  "where feature_contract_<name>.json lives (default: the config's "
                  "paths.contracts_dir, then the installed contracts)")
      ->type_name("DIR");
  cmd->add_option("--metrics-file", opt->metrics_file,
                  "also write the pass rate and counts as a Prometheus textfile, e.g. "
                  "runtime/metrics/mlgov_audit.prom")
      ->type_name("FILE");
  set_help_footer(cmd,
                  "mlgov audit --config config.yaml --symbols all --data /tmp/synth --sectors "
                  "/tmp/synth/sectors.csv --models models/ml_alpha --out reports/audit.json",
                  "the pass rate is below --min-pass-rate");
  cmd->callback([opt] {
    Auditor auditor(*opt);
    const int rc = auditor.run();
    if (rc != 0) throw CommandExit(rc, "");
  });
}

}  // namespace mlgov::cli
