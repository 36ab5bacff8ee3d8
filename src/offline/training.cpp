// Copyright 2026 The mlgov Authors. Apache-2.0.
#include "mlgov/offline/training.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "mlgov/atomic_file.h"
#include "mlgov/drift.h"
#include "mlgov/errors.h"
#include "model/model_files.h"

namespace mlgov::offline {
namespace {

std::tm utc_tm(std::chrono::system_clock::time_point when) {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

// Linear interpolation between order statistics at position q * (n - 1).
double quantile_sorted(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

std::string shortest(double v) { return fmt::format("{}", v); }

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::size_t validation_rows(std::size_t n_rows) noexcept { return n_rows / 5; }

SymbolDataset build_symbol_dataset(const FeatureFrame& frame, const BarSeries& bars) {
  SymbolDataset out;
  out.symbol = bars.symbol;
  out.n_features = frame.cols();
  const auto& b = bars.bars;
  for (std::size_t r = 0; r < frame.rows(); ++r) {
    if (frame.symbols[r] != bars.symbol) continue;
    const BarTime t = frame.times[r];
    const auto it = std::lower_bound(b.begin(), b.end(), t,
                                     [](const Bar& bar, BarTime x) { return bar.time < x; });
    if (it == b.end() || it->time != t) {
      throw DataError(fmt::format("{}: feature row dated {} has no bar of that date in {}",
                                  bars.symbol, format_bar_time(t),
                                  bars.source.empty() ? "the bar series" : bars.source));
    }
    const auto i = static_cast<std::size_t>(it - b.begin());
    if (i + kLabelHorizonBars >= b.size()) continue;  // no close 5 bars ahead
    const double fwd = b[i + kLabelHorizonBars].close / b[i].close - 1.0;
    const auto values = frame.row_values(r);
    out.features.insert(out.features.end(), values.begin(), values.end());
    out.labels.push_back(fwd > 0.0 ? 1.0f : 0.0f);
    out.times.push_back(t);
  }
  const std::size_t n = out.n_rows();
  const std::size_t n_valid = validation_rows(n);
  if (n_valid == 0 || n_valid == n) {
    throw DataError(fmt::format(
        "{}: {} labelled rows (a row needs a full feature row and {} bars after it); at least 5 "
        "are needed to hold out the last 20% for validation",
        bars.symbol, n, kLabelHorizonBars));
  }
  out.n_train = n - n_valid;
  const auto train = out.train_labels();
  const auto positives = std::count(train.begin(), train.end(), 1.0f);
  if (positives == 0 || static_cast<std::size_t>(positives) == train.size()) {
    throw DataError(
        fmt::format("{}: the {} training rows ({} .. {}) all have label {}: nothing to learn",
                    bars.symbol, train.size(), format_bar_time(out.times.front()),
                    format_bar_time(out.times[out.n_train - 1]), positives == 0 ? 0 : 1));
  }
  return out;
}

namespace {

// Each feature's kRelationPartners strongest relations (see
// feature_statistics), added to its stats as "relations".
void add_relations(nlohmann::json& stats, std::span<const float> rows, std::size_t n_rows,
                   const std::vector<std::string>& names) {
  const std::size_t cols = names.size();
  // side[j][i]: row i's value of feature j is at or above its median; a
  // feature with fewer than 30% of its rows on either side (a point mass at
  // the median) has no meaningful side and takes no part.
  std::vector<std::vector<std::uint8_t>> side(cols, std::vector<std::uint8_t>(n_rows));
  std::vector<bool> usable(cols, false);
  for (std::size_t j = 0; j < cols; ++j) {
    const double median = stats[names[j]]["deciles"][4].get<double>();
    std::size_t above = 0;
    for (std::size_t i = 0; i < n_rows; ++i) {
      side[j][i] = static_cast<double>(rows[i * cols + j]) >= median;
      above += side[j][i];
    }
    const double share = static_cast<double>(above) / static_cast<double>(n_rows);
    usable[j] = share >= 0.3 && share <= 0.7;
  }
  for (std::size_t j = 0; j < cols; ++j) {
    if (!usable[j]) continue;
    std::vector<std::pair<std::size_t, double>> partners;
    for (std::size_t k = 0; k < cols; ++k) {
      if (k == j || !usable[k]) continue;
      std::size_t same = 0;
      for (std::size_t i = 0; i < n_rows; ++i) same += side[j][i] == side[k][i];
      partners.emplace_back(k, static_cast<double>(same) / static_cast<double>(n_rows));
    }
    // The strongest first (farthest from 0.5), ties by contract order.
    std::stable_sort(partners.begin(), partners.end(), [](const auto& a, const auto& b) {
      return std::abs(a.second - 0.5) > std::abs(b.second - 0.5);
    });
    partners.resize(std::min(partners.size(), kRelationPartners));
    nlohmann::json relations = nlohmann::json::array();
    for (const auto& [k, agreement] : partners) {
      relations.push_back({{"feature", names[k]}, {"agreement", agreement}});
    }
    stats[names[j]]["relations"] = std::move(relations);
  }
}

}  // namespace

nlohmann::json feature_statistics(std::span<const float> rows, std::size_t n_rows,
                                  const std::vector<std::string>& names) {
  const std::size_t cols = names.size();
  if (n_rows == 0 || cols == 0 || rows.size() != n_rows * cols) {
    throw std::invalid_argument(fmt::format(
        "feature_statistics: {} values for {} rows x {} columns", rows.size(), n_rows, cols));
  }
  nlohmann::json stats = nlohmann::json::object();
  std::vector<double> column(n_rows);
  for (std::size_t j = 0; j < cols; ++j) {
    double sum = 0;
    for (std::size_t i = 0; i < n_rows; ++i) {
      column[i] = static_cast<double>(rows[i * cols + j]);
      sum += column[i];
    }
    const double mean = sum / static_cast<double>(n_rows);
    double ss = 0;
    for (double v : column) ss += (v - mean) * (v - mean);
    const double sd = n_rows > 1 ? std::sqrt(ss / static_cast<double>(n_rows - 1)) : 0.0;
    std::vector<double> sorted = column;
    std::sort(sorted.begin(), sorted.end());
    nlohmann::json deciles = nlohmann::json::array();
    for (int k = 1; k <= 9; ++k) deciles.push_back(quantile_sorted(sorted, k / 10.0));
    stats[names[j]] = {{"mean", mean},
                       {"std", sd},
                       {"min", sorted.front()},
                       {"max", sorted.back()},
                       {"deciles", deciles}};
  }
  add_relations(stats, rows, n_rows, names);
  return stats;
}

std::vector<std::pair<std::string, std::string>> xgboost_params(const TrainingConfig& training) {
  return {{"objective", "binary:logistic"},
          {"max_depth", std::to_string(training.max_depth)},
          {"eta", shortest(training.eta)},
          {"subsample", shortest(training.subsample)},
          {"colsample_bytree", shortest(training.colsample_bytree)},
          {"tree_method", training.tree_method},
          {"seed", std::to_string(training.seed)},
          {"nthread", "1"}};
}

nlohmann::json params_json(const TrainingConfig& training) {
  return {{"objective", "binary:logistic"},
          {"n_estimators", training.n_estimators},
          {"max_depth", training.max_depth},
          {"eta", training.eta},
          {"subsample", training.subsample},
          {"colsample_bytree", training.colsample_bytree},
          {"tree_method", training.tree_method},
          {"seed", training.seed},
          {"nthread", 1},
          {"eval_metric", {"logloss", "auc"}}};
}

std::string model_directory_name(std::string_view symbol, int version,
                                 std::chrono::system_clock::time_point when) {
  const std::tm tm = utc_tm(when);
  return fmt::format("{}_v{}_{:04}{:02}{:02}_{:02}{:02}{:02}", symbol, version, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string iso8601_utc_seconds(std::chrono::system_clock::time_point when) {
  const std::tm tm = utc_tm(when);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void fsync_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno(file.string() + ": open for fsync");
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    throw_errno(file.string() + ": fsync");
  }
  ::close(fd);
}

std::filesystem::path publish_model_directory(
    const std::filesystem::path& staging, const std::filesystem::path& parent,
    std::string_view symbol, int version,
    const std::function<std::chrono::system_clock::time_point()>& now,
    const std::function<void(const std::filesystem::path&, std::chrono::system_clock::time_point)>&
        finalize) {
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const auto when = std::chrono::floor<std::chrono::seconds>(now());
    std::filesystem::path target = parent / model_directory_name(symbol, version, when);
    finalize(staging, when);
    fsync_directory(staging);
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      fsync_directory(parent);
      return target;
    }
    if (errno != EEXIST) {
      throw_errno(fmt::format("rename {} -> {}", staging.string(), target.string()));
    }
    // The name is taken (same second): wait for the next whole second.
    while (std::chrono::floor<std::chrono::seconds>(now()) <= when) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  throw std::system_error(std::make_error_code(std::errc::file_exists),
                          fmt::format("{}: no free model directory name for {} after {} attempts",
                                      parent.string(), symbol, kAttempts));
}

std::vector<std::string> remove_stale_staging_directories(const std::filesystem::path& models_dir,
                                                          const Clock& clock,
                                                          std::chrono::seconds max_age) {
  std::vector<std::string> lines;
  for (internal::StagingCleanup& cleanup :
       internal::remove_stale_staging(models_dir, clock, max_age)) {
    lines.push_back(std::move(cleanup.message));
  }
  return lines;
}

}  // namespace mlgov::offline
