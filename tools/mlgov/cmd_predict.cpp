// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// `mlgov predict [--models DIR] --features features.csv --out predictions.csv
//  [--config FILE] [--contracts-dir DIR]`
//
// Scores every row of a features CSV (as `mlgov features` writes it: header
// date,symbol,<feature names>) through a GovernedPredictor, so a backtest
// sees what the live engine sees: the CSV header IS the rows' schema (a
// FeatureSchema under the contract's name and version), so a reordered,
// renamed or missing column is a FEATURE_MISMATCH exactly as in live, never
// a silently permuted prediction.
//
// The tool is an offline scorer, so its own predictor instance:
//   * has ML enabled whatever the config says (the config's other settings:
//     contract, backend, legacy models, model age, still apply);
//   * keeps its governance state in a private scratch file, deleted at exit,
//     so it can never latch (or read a latch of) the live state file;
//   * never latches: the failure window is as large as the input, because
//     wall-clock windows mean nothing when years of rows are scored in a
//     second. Every row gets its own status instead.
// Output: date,symbol,prediction,status for every input row, in input order;
// prediction is %.9g of the float32 probability when status is OK, empty
// otherwise. Exit code 0; 1 when a model was refused or a row failed
// (FEATURE_MISMATCH, WRONG_FEATURE_COUNT, NON_FINITE_FEATURE, MODEL_ERROR),
// after writing the whole output; 2 for bad input.
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "market_inputs.h"
#include "mlgov/atomic_file.h"
#include "mlgov/errors.h"
#include "mlgov/feature_schema.h"
#include "mlgov/governed_predictor.h"
#include "mlgov/logging.h"

namespace mlgov::cli {
namespace {

struct PredictOptions {
  std::optional<std::string> models;
  std::string features;
  std::string out;
  std::optional<std::string> config;
  std::optional<std::string> contracts_dir;
};

// A features CSV in memory.
struct FeaturesCsv {
  std::vector<std::string> names;  // feature columns, in file order
  std::vector<std::string> dates;  // per row, as written
  std::vector<std::string> symbols;
  std::vector<std::size_t> lines;  // per row, its line in the file (1 = the header)
  std::vector<float> values;       // row-major
};

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    out.push_back(
        line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

FeaturesCsv read_features_csv(const std::filesystem::path& file) {
  errno = 0;  // what the failed open leaves names the cause
  std::ifstream in(file, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    const int err = errno != 0 ? errno : EIO;
    throw DataError(fmt::format("{}: cannot read the features file: {}", file.string(),
                                std::generic_category().message(err)));
  }
  FeaturesCsv csv;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  bool header = true;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = split_fields(line);
    const std::string where = fmt::format("{}:{}", file.string(), line_no);
    if (header) {
      if (fields.size() < 3 || fields[0] != "date" || fields[1] != "symbol") {
        throw DataError(fmt::format(
            "{}: header must be date,symbol,<feature names> (as `mlgov features` writes it)",
            where));
      }
      csv.names.assign(fields.begin() + 2, fields.end());
      for (std::size_t j = 0; j < csv.names.size(); ++j) {
        if (csv.names[j].empty()) {
          throw DataError(fmt::format("{}: column {} has an empty feature name", where, j + 3));
        }
      }
      header = false;
      continue;
    }
    if (fields.size() != csv.names.size() + 2) {
      throw DataError(fmt::format("{}: {} fields, the header has {}", where, fields.size(),
                                  csv.names.size() + 2));
    }
    BarTime t = 0;
    if (!parse_bar_time(fields[0], t)) {
      throw DataError(
          fmt::format("{}: date \"{}\" is not YYYY-MM-DD[THH:MM:SS]", where, fields[0]));
    }
    if (fields[1].empty()) throw DataError(fmt::format("{}: empty symbol", where));
    csv.dates.push_back(fields[0]);
    csv.symbols.push_back(fields[1]);
    csv.lines.push_back(line_no);
    for (std::size_t j = 0; j < csv.names.size(); ++j) {
      const std::string& f = fields[j + 2];
      char* stop = nullptr;
      errno = 0;
      const float v = std::strtof(f.c_str(), &stop);
      // ERANGE on a subnormal still yields the right float; only junk is an error.
      if (f.empty() || stop != f.c_str() + f.size()) {
        throw DataError(fmt::format("{}: column {} ({}): \"{}\" is not a number", where, j + 3,
                                    csv.names[j], f));
      }
      csv.values.push_back(v);
    }
  }
  if (header) throw DataError(fmt::format("{}: empty file (no header)", file.string()));
  return csv;
}

// The predictor's FAILURE_RECORDED records, one entry per distinct failure
// (reason and details: one per distinct feature mismatch, one per non-finite
// feature), with the first row that raised it and how many rows did. The
// rows' failures are the predictor's own log records, so what is printed is
// what a live engine would log. Single-threaded (the scoring loop).
class FailureDigest final : public EventSink {
 public:
  struct Entry {
    std::string reason;
    std::string message;  // the first record's message
    std::string key;      // reason + details
    std::string first_row;
    std::size_t rows = 0;
  };
  // Where the row being scored comes from; set before each try_predict.
  std::string current_row;
  const std::vector<Entry>& entries() const noexcept { return entries_; }

  void on_event(const GovernanceEvent& event) noexcept override {
    if (event.status != "FAILURE_RECORDED") return;
    if (event.reason == "MODEL_REFUSED") return;  // printed from the registry, once per model
    try {
      const std::string key =
          event.reason +
          event.details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      for (Entry& e : entries_) {
        if (e.key == key) {
          ++e.rows;
          return;
        }
      }
      entries_.push_back({event.reason, event.message, key, current_row, 1});
    } catch (...) {
      // Out of memory: the row's status in the output still tells.
    }
  }
  void on_heartbeat(const HeartbeatRecord&) noexcept override {}

 private:
  std::vector<Entry> entries_;
};

bool is_failure(PredictStatus s) {
  return s == PredictStatus::kFeatureMismatch || s == PredictStatus::kWrongFeatureCount ||
         s == PredictStatus::kNonFiniteFeature || s == PredictStatus::kModelError;
}

void run_predict(const PredictOptions& opt) {
  Config config = load_tool_config(opt.config);
  const FeatureContract contract = load_tool_contract(config, opt.contracts_dir);
  const FeaturesCsv csv = read_features_csv(opt.features);
  const auto schema = FeatureSchema::create(contract.name(), contract.version(), csv.names);
  const std::size_t n_rows = csv.symbols.size();
  const std::size_t n_cols = csv.names.size();

  const std::string models_dir = opt.models ? *opt.models : config.paths.models_dir.string();
  std::error_code ec;
  if (!std::filesystem::is_directory(models_dir, ec)) {
    throw CommandExit(2, fmt::format("{} {}: not a directory",
                                     opt.models ? "--models" : "paths.models_dir", models_dir));
  }
  std::size_t model_dirs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(models_dir)) {
    (void)entry;
    ++model_dirs;
  }

  ScratchDir scratch("mlgov-predict");
  config.ml_enabled = true;
  config.governance.max_failures = static_cast<int>(n_rows + model_dirs + 1);
  auto digest = std::make_shared<FailureDigest>();
  config.paths.models_dir = std::filesystem::path(models_dir);
  config.governance.state_file = scratch.path() / "governance_state.json";
  PredictorOptions popts;
  // Every row is scored and reported: no failure is written to a state file
  // (each would cost a locked, fsynced write of the whole window).
  popts.in_memory_governance = true;
  popts.logger = digest;
  GovernedPredictor predictor(config, contract, popts);
  for (const auto& refused : predictor.registry().refused()) {
    std::fprintf(stderr, "mlgov: model refused: %s\n", refused.message.c_str());
  }

  std::string out = "date,symbol,prediction,status\n";
  std::map<std::string, std::size_t> counts;
  bool failed = !predictor.registry().refused().empty();
  for (std::size_t i = 0; i < n_rows; ++i) {
    const FeatureRow row{schema.get(), {csv.values.data() + i * n_cols, n_cols}};
    digest->current_row =
        fmt::format("{}:{} ({} {})", opt.features, csv.lines[i], csv.dates[i], csv.symbols[i]);
    const PredictResult r = predictor.try_predict(csv.symbols[i], row);
    out += csv.dates[i];
    out += ',';
    out += csv.symbols[i];
    out += ',';
    if (r.ok()) {
      std::array<char, 32> buf{};
      std::snprintf(buf.data(), buf.size(), "%.9g", static_cast<double>(r.value));
      out += buf.data();
    }
    out += ',';
    out += to_string(r.status);
    out += '\n';
    ++counts[std::string(to_string(r.status))];
    failed = failed || is_failure(r.status);
  }
  write_output_file(opt.out, out);

  std::string summary;
  for (const auto& [status, n] : counts) {
    summary += fmt::format("{}{}={}", summary.empty() ? "" : ", ", status, n);
  }
  std::printf("scored %zu rows with %zu models (%s) -> %s\n", n_rows,
              predictor.registry().models().size(), summary.empty() ? "no rows" : summary.c_str(),
              opt.out.c_str());
  for (const FailureDigest::Entry& e : digest->entries()) {
    std::fprintf(stderr, "mlgov: %s in %zu row%s, first at %s: %s\n", e.reason.c_str(), e.rows,
                 e.rows == 1 ? "" : "s", e.first_row.c_str(), e.message.c_str());
  }
  if (failed) {
    std::size_t failed_rows = 0;
    for (const FailureDigest::Entry& e : digest->entries()) failed_rows += e.rows;
    const std::size_t refused = predictor.registry().refused().size();
    throw CommandExit(
        1, fmt::format("{} row{} refused and {} model{} refused: the \"mlgov: model refused\" "
                       "and per-failure lines above say why, the status column of {} says "
                       "which rows",
                       failed_rows, failed_rows == 1 ? "" : "s", refused, refused == 1 ? "" : "s",
                       opt.out));
  }
}

}  // namespace

void register_predict_command(CLI::App& app) {
  auto opt = std::make_shared<PredictOptions>();
  auto* cmd = app.add_subcommand(
      "predict", "Score a features CSV through the GovernedPredictor (offline backtest scorer)");
  cmd->add_option("--models", opt->models,
                  "models directory (default: the config's paths.models_dir, models/ml_alpha)")
      ->type_name("DIR");
  cmd->add_option("--features", opt->features, "features CSV as `mlgov features` writes it")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--out", opt->out, "predictions CSV: date,symbol,prediction,status")
      ->required()
      ->type_name("FILE");
  add_config_option(cmd, opt->config,
                    "contract, backend, model rules, paths.models_dir, paths.contracts_dir; ML "
                    "is enabled for this tool whatever it says");
  cmd->add_option("--contracts-dir", opt->contracts_dir,
                  "where feature_contract_<name>.json lives (default: the config's "
                  "paths.contracts_dir, then the installed contracts)")
      ->type_name("DIR");
  set_help_footer(cmd,
                  "mlgov predict --config config.yaml --features features.csv --out "
                  "predictions.csv",
                  "a row or a model was refused (the whole file is still written)");
  cmd->callback([opt] { run_predict(*opt); });
}

}  // namespace mlgov::cli
