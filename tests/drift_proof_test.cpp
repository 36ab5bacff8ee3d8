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
using testing::ReferenceWindow;

constexpr std::size_t kWindowRows = 2000;

bool report_wanted() { return std::getenv("MLGOV_DRIFT_PROOF_REPORT") != nullptr; }

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
  static inline ProofUniverse* universe_ = nullptr;
  static inline ProofUniverse::LiveRows* clean_ = nullptr;
};

using Transform = std::function<void(int symbol, std::vector<float>& values)>;

struct Trace {
  // psi[cycle][feature] after the cycle's rows, floor 1e-4.
  std::vector<std::vector<double>> psi, oor, stale;
};

Trace run(const ProofUniverse& u, const ProofUniverse::LiveRows& live, std::size_t fault_start,
          const Transform& fault, std::size_t cycles) {
  const std::size_t nf = u.contract().size();
  ReferenceWindow window(nf, kWindowRows);
  Trace t;
  std::vector<float> values(nf);
  for (std::size_t c = 0; c < std::min(cycles, live.cycles); ++c) {
    for (int s = 0; s < testing::kProofSymbols; ++s) {
      const auto row = live.row(c, s);
      values.assign(row.begin(), row.end());
      if (fault && c >= fault_start) fault(s, values);
      window.add(s, u.edges(s), values);
    }
    std::vector<double> p(nf), o(nf), st(nf);
    for (std::size_t f = 0; f < nf; ++f) {
      p[f] = window.psi(f, 1e-4);
      o[f] = window.out_of_range(f);
      st[f] = window.stale_share(f);
    }
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

TEST_F(DriftProof, Figures) {
  const std::size_t nf = universe_->contract().size();
  const std::size_t full = kWindowRows / testing::kProofSymbols;
  const Trace base = run(*universe_, *clean_, 0, nullptr, clean_->cycles);
  if (report_wanted()) {
    std::printf("live cycles %zu\n", clean_->cycles);
    std::printf("%-22s %8s %8s %8s %8s %8s\n", "feature", "p50", "p99", "max", "oor_max",
                "stale_max");
    for (std::size_t f = 0; f < nf; ++f) {
      std::vector<double> p, o, s;
      for (std::size_t c = full - 1; c < base.psi.size(); ++c) {
        p.push_back(base.psi[c][f]);
        o.push_back(base.oor[c][f]);
        s.push_back(base.stale[c][f]);
      }
      std::printf("%-22s %8.4f %8.4f %8.4f %8.4f %8.4f\n",
                  universe_->contract().names()[f].c_str(), quantile(p, 0.5), quantile(p, 0.99),
                  quantile(p, 1.0), quantile(o, 1.0), quantile(s, 1.0));
    }
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
  const std::size_t start = 100;
  for (const auto& k : cases) {
    const Trace t = run(*universe_, *clean_, start, k.fault, start + 120);
    const std::size_t f = feature(k.target);
    int warn = -1, alert = -1;
    double other_max = 0;
    std::string other;
    for (std::size_t c = start; c < t.psi.size(); ++c) {
      if (warn < 0 && t.psi[c][f] >= 0.1) warn = static_cast<int>(c - start + 1);
      if (alert < 0 && t.psi[c][f] >= 0.25) alert = static_cast<int>(c - start + 1);
      for (std::size_t g = 0; g < nf; ++g) {
        if (g != f && t.psi[c][g] > other_max) {
          other_max = t.psi[c][g];
          other = universe_->contract().names()[g];
        }
      }
    }
    if (report_wanted()) {
      std::printf("%-16s warn after %d cycles, alert after %d, psi at +1 %.4f +5 %.4f +50 %.4f; "
                  "other max %.4f (%s)\n",
                  k.name, warn, alert, t.psi[start][f], t.psi[start + 4][f], t.psi[start + 49][f],
                  other_max, other.c_str());
    }
  }
}

}  // namespace
}  // namespace mlgov
