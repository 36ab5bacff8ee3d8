// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The figures of docs/drift_proof.md, printed by drift_proof_test when
// MLGOV_DRIFT_PROOF_REPORT is set: the reference window (drift_proof_fixture.h)
// run over the live rows, with and without a fault, judged under candidate
// thresholds (levels of each evaluation, no hysteresis).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "drift_proof_fixture.h"
#include "mlgov/feature_contract.h"

namespace mlgov::testing {

inline bool report_wanted() { return std::getenv("MLGOV_DRIFT_PROOF_REPORT") != nullptr; }

using RowOf = std::function<std::span<const float>(std::size_t cycle, int symbol)>;
using EdgesOf = std::function<const std::vector<ReferenceEdges>&(int symbol)>;
using Transform = std::function<void(int symbol, std::vector<float>& values)>;

struct Thresholds {
  double warn_psi = 0.1, alert_psi = 0.25, oor_warn = 0.05, oor_alert = 0.5, stale_warn = 0.5;
  std::size_t min_rows = 1000;
};

// 0 ok, 1 warning, 2 alert (no hysteresis: the level of this evaluation).
inline int level(const Thresholds& t, std::size_t rows, double psi, double oor, double stale) {
  if (rows < t.min_rows) return 0;
  if (psi >= t.alert_psi || oor >= t.oor_alert) return 2;
  if (psi >= t.warn_psi || oor >= t.oor_warn || stale >= t.stale_warn) return 1;
  return 0;
}

struct Trace {
  std::vector<std::size_t> rows;
  std::vector<std::vector<double>> psi, oor, stale;  // [cycle][feature]
};

inline Trace run(std::size_t nf, int n_symbols, std::size_t cycles, const RowOf& row_of,
                 const EdgesOf& edges_of, std::size_t window_rows, std::size_t fault_start = 0,
                 const Transform& fault = nullptr) {
  ReferenceWindow window(nf, window_rows);
  Trace t;
  std::vector<float> values(nf);
  for (std::size_t c = 0; c < cycles; ++c) {
    for (int s = 0; s < n_symbols; ++s) {
      const auto row = row_of(c, s);
      values.assign(row.begin(), row.end());
      if (fault && c >= fault_start) fault(s, values);
      window.add(s, edges_of(s), values);
    }
    std::vector<double> p(nf), o(nf), st(nf);
    for (std::size_t f = 0; f < nf; ++f) {
      p[f] = window.psi(f);
      o[f] = window.out_of_range(f);
      st[f] = window.stale_share(f);
    }
    t.rows.push_back(window.rows());
    t.psi.push_back(p);
    t.oor.push_back(o);
    t.stale.push_back(st);
  }
  return t;
}

inline double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

inline void print_baseline(const char* title, const FeatureContract& contract, const Trace& base,
                           std::size_t from) {
  std::printf("== %s (evaluations %zu..%zu)\n", title, from, base.psi.size() - 1);
  std::printf("%-22s %8s %8s %8s %8s %8s %6s %6s\n", "feature", "psi_p50", "psi_p99", "psi_max",
              "oor_max", "stale_mx", "warn%", "alert%");
  const Thresholds th;
  for (std::size_t f = 0; f < contract.size(); ++f) {
    std::vector<double> p, o, s;
    int warn = 0, alert = 0;
    for (std::size_t c = from; c < base.psi.size(); ++c) {
      p.push_back(base.psi[c][f]);
      o.push_back(base.oor[c][f]);
      s.push_back(base.stale[c][f]);
      const int l = level(th, base.rows[c], base.psi[c][f], base.oor[c][f], base.stale[c][f]);
      warn += l == 1;
      alert += l == 2;
    }
    std::printf("%-22s %8.4f %8.4f %8.4f %8.4f %8.4f %6.1f %6.1f\n", contract.names()[f].c_str(),
                quantile(p, 0.5), quantile(p, 0.99), quantile(p, 1.0), quantile(o, 1.0),
                quantile(s, 1.0), 100.0 * warn / static_cast<double>(p.size()),
                100.0 * alert / static_cast<double>(p.size()));
  }
}

// For each candidate set of thresholds: how many features reach WARNING /
// ALERT at least once with nothing wrong, and the cycles each fault takes.
struct Candidate {
  const char* name;
  Thresholds th;
};
inline const std::vector<Candidate>& candidates() {
  static const std::vector<Candidate> c = {
      {"issue (0.1/0.25, oor 0.05/0.5, stale 0.5)", {}},
      {"B psi warn 0.25 only, oor 0.25/0.9, stale 0.9",
       {.warn_psi = 0.25, .alert_psi = 100, .oor_warn = 0.25, .oor_alert = 0.9, .stale_warn = 0.9}},
      {"C psi 0.5/100, oor 0.25/0.9, stale 0.9",
       {.warn_psi = 0.5, .alert_psi = 100, .oor_warn = 0.25, .oor_alert = 0.9, .stale_warn = 0.9}},
      {"D psi 0.25/5, oor 0.25/0.9, stale 0.9",
       {.warn_psi = 0.25, .alert_psi = 5, .oor_warn = 0.25, .oor_alert = 0.9, .stale_warn = 0.9}},
  };
  return c;
}

inline void print_false_alarms(const char* data, const FeatureContract& contract, const Trace& t,
                               std::size_t from, std::size_t min_rows) {
  for (const auto& cand : candidates()) {
    Thresholds th = cand.th;
    th.min_rows = min_rows;
    std::string warned, alerted;
    int nw = 0, na = 0;
    for (std::size_t f = 0; f < contract.size(); ++f) {
      int mx = 0;
      for (std::size_t c = from; c < t.psi.size(); ++c)
        mx = std::max(mx, level(th, t.rows[c], t.psi[c][f], t.oor[c][f], t.stale[c][f]));
      if (mx == 2) {
        ++na;
        alerted += contract.names()[f] + " ";
      } else if (mx == 1) {
        ++nw;
        warned += contract.names()[f] + " ";
      }
    }
    std::printf("[%s] %s: %d features ever ALERT (%s), %d more ever WARN\n", data, cand.name, na,
                alerted.c_str(), nw);
  }
}

inline void print_detection(const char* fault, const Trace& t, const Trace& base, std::size_t f,
                            std::size_t start, const FeatureContract& contract,
                            std::size_t min_rows) {
  for (const auto& cand : candidates()) {
    Thresholds th = cand.th;
    th.min_rows = min_rows;
    int warn = -1, alert = -1;
    std::string new_alerts;
    for (std::size_t c = start; c < t.psi.size(); ++c) {
      const int l = level(th, t.rows[c], t.psi[c][f], t.oor[c][f], t.stale[c][f]);
      if (warn < 0 && l >= 1) warn = static_cast<int>(c - start + 1);
      if (alert < 0 && l >= 2) alert = static_cast<int>(c - start + 1);
      for (std::size_t g = 0; g < contract.size(); ++g) {
        if (g == f) continue;
        const int lg = level(th, t.rows[c], t.psi[c][g], t.oor[c][g], t.stale[c][g]);
        const int lb = level(th, base.rows[c], base.psi[c][g], base.oor[c][g], base.stale[c][g]);
        if (lg == 2 && lb < 2 && new_alerts.find(contract.names()[g]) == std::string::npos)
          new_alerts += contract.names()[g] + " ";
      }
    }
    std::printf(
        "  %-16s [%s] warn after %d cycles, alert after %d; other features alerting "
        "where clean does not: %s\n",
        fault, cand.name, warn, alert, new_alerts.c_str());
  }
}

}  // namespace mlgov::testing
