// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// Drift proof on data (issue #14 item 5).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "drift_proof_fixture.h"

namespace mlgov {
namespace {

using testing::ProofUniverse;
using testing::RealUniverse;
using testing::ReferenceWindow;

constexpr std::size_t kWindowRows = 2000;

bool report_wanted() { return std::getenv("MLGOV_DRIFT_PROOF_REPORT") != nullptr; }

using RowOf = std::function<std::span<const float>(std::size_t cycle, int symbol)>;
using EdgesOf = std::function<const std::vector<testing::ReferenceEdges>&(int symbol)>;
using Transform = std::function<void(int symbol, std::vector<float>& values)>;

struct Thresholds {
  double warn_psi = 0.1, alert_psi = 0.25, oor_warn = 0.05, oor_alert = 0.5, stale_warn = 0.5;
  std::size_t min_rows = 1000;
};

// 0 ok, 1 warning, 2 alert (no hysteresis: the level of this evaluation).
int level(const Thresholds& t, std::size_t rows, double psi, double oor, double stale) {
  if (rows < t.min_rows) return 0;
  if (psi >= t.alert_psi || oor >= t.oor_alert) return 2;
  if (psi >= t.warn_psi || oor >= t.oor_warn || stale >= t.stale_warn) return 1;
  return 0;
}

struct Trace {
  std::vector<std::size_t> rows;
  std::vector<std::vector<double>> psi, oor, stale;  // [cycle][feature]
};

Trace run(std::size_t nf, int n_symbols, std::size_t cycles, const RowOf& row_of,
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

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

void print_baseline(const char* title, const FeatureContract& contract, const Trace& base,
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
const std::vector<Candidate>& candidates() {
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

void print_false_alarms(const char* data, const FeatureContract& contract, const Trace& t,
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

void print_detection(const char* fault, const Trace& t, const Trace& base, std::size_t f,
                     std::size_t start, const FeatureContract& contract, std::size_t min_rows) {
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

class DriftProof : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    universe_ = new ProofUniverse();
    clean_ = new ProofUniverse::LiveRows(universe_->live_rows(universe_->market().symbols));
  }
  static void TearDownTestSuite() {
    delete clean_;
    delete universe_;
  }
  static std::size_t feature(const std::string& name) {
    const auto& n = universe_->contract().names();
    return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
  }
  static Trace run_synthetic(const ProofUniverse& u, const ProofUniverse::LiveRows& live,
                             std::size_t fault_start = 0, const Transform& fault = nullptr,
                             std::size_t window_rows = kWindowRows) {
    return run(
        u.contract().size(), testing::kProofSymbols, live.cycles,
        [&live](std::size_t c, int s) { return live.row(c, s); },
        [&u](int s) -> const std::vector<testing::ReferenceEdges>& { return u.edges(s); },
        window_rows, fault_start, fault);
  }
  static inline ProofUniverse* universe_ = nullptr;
  static inline ProofUniverse::LiveRows* clean_ = nullptr;
};

TEST_F(DriftProof, Figures) {
  if (!report_wanted()) GTEST_SKIP() << "set MLGOV_DRIFT_PROOF_REPORT=1 for the figures";
  const auto& contract = universe_->contract();
  const std::size_t nf = contract.size();
  const std::size_t full = kWindowRows / testing::kProofSymbols;
  const Trace base = run_synthetic(*universe_, *clean_);
  std::printf("live cycles %zu\n", clean_->cycles);
  print_baseline("seed 7, nothing wrong", contract, base, full - 1);
  print_false_alarms("seed 7", contract, base, full - 1, 1000);
  {
    ProofUniverse crisis(2026);
    const auto live = crisis.live_rows(crisis.market().symbols);
    print_baseline("seed 2026 (a GARCH burst: market vol x3 in year 9), nothing wrong", contract,
                   run_synthetic(crisis, live), full - 1);
    print_false_alarms("seed 2026", contract, run_synthetic(crisis, live), full - 1, 1000);
  }
  struct Case {
    const char* name;
    std::string target;
    Transform fault;
  };
  const std::size_t r1 = feature("ret_1d"), atr = feature("atr_14_norm"), r5 = feature("ret_5d");
  const std::vector<Case> cases = {
      {"ret_1d x 100", "ret_1d", [r1](int, std::vector<float>& v) { v[r1] *= 100; }},
      {"atr_14_norm = 0", "atr_14_norm", [atr](int, std::vector<float>& v) { v[atr] = 0; }},
      {"ret_5d sign", "ret_5d", [r5](int, std::vector<float>& v) { v[r5] = -v[r5]; }},
  };
  const Thresholds th;
  for (std::size_t start : {100u, 300u, 500u}) {
    for (const auto& k : cases) {
      const Trace t = run_synthetic(*universe_, *clean_, start, k.fault);
      const std::size_t f = feature(k.target);
      int warn = -1, alert = -1;
      int other_level = 0, base_other_level = 0;
      std::string other;
      for (std::size_t c = start; c < std::min(t.psi.size(), start + 100); ++c) {
        const int l = level(th, t.rows[c], t.psi[c][f], t.oor[c][f], t.stale[c][f]);
        if (warn < 0 && l >= 1) warn = static_cast<int>(c - start + 1);
        if (alert < 0 && l >= 2) alert = static_cast<int>(c - start + 1);
        for (std::size_t g = 0; g < nf; ++g) {
          if (g == f) continue;
          const int lg = level(th, t.rows[c], t.psi[c][g], t.oor[c][g], t.stale[c][g]);
          const int lb = level(th, base.rows[c], base.psi[c][g], base.oor[c][g], base.stale[c][g]);
          if (lg > other_level) other = contract.names()[g];
          other_level = std::max(other_level, lg);
          base_other_level = std::max(base_other_level, lb);
        }
      }
      std::printf(
          "start %zu %-16s warn after %d cycles, alert after %d; +1: psi %.4f oor %.4f; +5: psi "
          "%.4f oor %.4f; +50: psi %.4f oor %.4f; other max level %d (%s), clean %d\n",
          start, k.name, warn, alert, t.psi[start][f], t.oor[start][f], t.psi[start + 4][f],
          t.oor[start + 4][f], t.psi[start + 49][f], t.oor[start + 49][f], other_level,
          other.c_str(), base_other_level);
      print_detection(k.name, t, base, f, start, contract, 1000);
    }
  }
}

TEST(DriftProofReal, Figures) {
  if (!report_wanted()) GTEST_SKIP() << "set MLGOV_DRIFT_PROOF_REPORT=1 for the figures";
  testing::RealUniverse real;
  const auto live = real.live_rows();
  const auto& contract = real.contract();
  std::printf("real live cycles %zu (%s .. %s)\n", live.cycles,
              format_bar_time(live.dates.front()).c_str(),
              format_bar_time(live.dates.back()).c_str());
  const auto row_of = [&live](std::size_t c, int s) { return live.row(c, s); };
  const auto edges_of = [&real](int s) -> const std::vector<testing::ReferenceEdges>& {
    return real.edges(s);
  };
  {
    const Trace base = run(contract.size(), 2, live.cycles, row_of, edges_of, 2000);
    print_false_alarms("real GOOG+GSPC 2008, window 2000, min_rows 100", contract, base, 0, 100);
    const Trace rolling = run(contract.size(), 2, live.cycles, row_of, edges_of, 100);
    print_false_alarms("real GOOG+GSPC 2008, window 100 (50 cycles), min_rows 100", contract,
                       rolling, 0, 100);
    for (std::size_t f = 0; f < contract.size(); ++f) {
      double mo = 0, mp = 0;
      for (std::size_t c = 49; c < live.cycles; ++c) {
        mo = std::max(mo, rolling.oor[c][f]);
        mp = std::max(mp, rolling.psi[c][f]);
      }
      std::printf("  rolling 100: %-22s max psi %.3f max oor %.3f\n", contract.names()[f].c_str(),
                  mp, mo);
    }
    const auto& n0 = contract.names();
    const std::size_t r1x =
        static_cast<std::size_t>(std::find(n0.begin(), n0.end(), "ret_1d") - n0.begin());
    const std::size_t atrx =
        static_cast<std::size_t>(std::find(n0.begin(), n0.end(), "atr_14_norm") - n0.begin());
    print_detection("R ret_1d x 100",
                    run(contract.size(), 2, live.cycles, row_of, edges_of, 100, 100,
                        [r1x](int, std::vector<float>& v) { v[r1x] *= 100; }),
                    rolling, r1x, 100, contract, 100);
    print_detection("R atr_14_norm = 0",
                    run(contract.size(), 2, live.cycles, row_of, edges_of, 100, 100,
                        [atrx](int, std::vector<float>& v) { v[atrx] = 0; }),
                    rolling, atrx, 100, contract, 100);
    const auto& n = contract.names();
    const auto idx = [&n](const char* name) {
      return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
    };
    const std::size_t r1 = idx("ret_1d"), atr = idx("atr_14_norm"), r5 = idx("ret_5d");
    for (std::size_t start : {60u, 120u}) {
      std::printf("real faults from cycle %zu (%s)\n", start,
                  format_bar_time(live.dates[start]).c_str());
      print_detection("ret_1d x 100",
                      run(contract.size(), 2, live.cycles, row_of, edges_of, 2000, start,
                          [r1](int, std::vector<float>& v) { v[r1] *= 100; }),
                      base, r1, start, contract, 100);
      print_detection("atr_14_norm = 0",
                      run(contract.size(), 2, live.cycles, row_of, edges_of, 2000, start,
                          [atr](int, std::vector<float>& v) { v[atr] = 0; }),
                      base, atr, start, contract, 100);
      print_detection("ret_5d sign",
                      run(contract.size(), 2, live.cycles, row_of, edges_of, 2000, start,
                          [r5](int, std::vector<float>& v) { v[r5] = -v[r5]; }),
                      base, r5, start, contract, 100);
    }
  }
  for (int n_sym : {1, 2}) {
    for (std::size_t window : {2000u, 100u, 40u}) {
      const Trace t = run(contract.size(), n_sym, live.cycles, row_of, edges_of, window);
      std::printf("== real, %s, window %zu rows: PSI / OOR at month ends\n",
                  n_sym == 1 ? "GOOG" : "GOOG+GSPC", window);
      std::printf("%-22s", "feature");
      std::vector<std::size_t> ends;
      for (std::size_t c = 0; c < live.cycles; ++c) {
        if (c + 1 == live.cycles || format_bar_time(live.dates[c]).substr(5, 2) !=
                                        format_bar_time(live.dates[c + 1]).substr(5, 2)) {
          ends.push_back(c);
          std::printf(" %11s", format_bar_time(live.dates[c]).substr(0, 7).c_str());
        }
      }
      std::printf(" %8s\n", "max");
      for (std::size_t f = 0; f < contract.size(); ++f) {
        std::printf("%-22s", contract.names()[f].c_str());
        double mx = 0;
        for (std::size_t c = 19; c < live.cycles; ++c) mx = std::max(mx, t.psi[c][f]);
        for (std::size_t c : ends) std::printf(" %5.2f/%5.2f", t.psi[c][f], t.oor[c][f]);
        std::printf(" %8.3f\n", mx);
      }
    }
  }
}

}  // namespace
}  // namespace mlgov
