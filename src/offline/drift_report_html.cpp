// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// render_drift_html: the drift report as one self-contained page. Every
// chart is inline SVG drawn here (no charting library, no font, no image
// file), the style sheet is inline, and a Content-Security-Policy meta tag
// forbids loading anything else, so the page reads the same offline, from an
// e-mail attachment or a CI artifact.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "mlgov/offline/drift_report.h"

namespace mlgov::offline {
namespace {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string percent(double share) {
  if (!std::isfinite(share)) return "n/a";
  return fmt::format("{:.1f}%", 100.0 * share);
}

std::string number(double v, int digits = 3) {
  if (!std::isfinite(v)) return "n/a";
  return fmt::format("{:.{}f}", v, digits);
}

std::string edge_text(double v) {
  if (!std::isfinite(v)) return "n/a";
  return fmt::format("{:.4g}", v);
}

const char* level_class(DriftLevel level) {
  switch (level) {
    case DriftLevel::kAlert:
      return "alert";
    case DriftLevel::kWarning:
      return "warning";
    case DriftLevel::kOk:
      return "ok";
  }
  return "ok";
}

// Geometry of a chart: 12 slots (below, 10 deciles, above), the two
// out-of-range slots set apart by a gap.
constexpr int kChartWidth = 372;
constexpr int kChartHeight = 168;
constexpr int kPlotLeft = 40;
constexpr int kPlotTop = 12;
constexpr int kPlotHeight = 118;
constexpr int kSlot = 24;
constexpr int kGap = 10;

int slot_x(std::size_t slot) {
  // slot 0: below; 1..10: deciles; 11: above.
  int x = kPlotLeft + static_cast<int>(slot) * kSlot;
  if (slot >= 1) x += kGap;
  if (slot >= 11) x += kGap;
  return x;
}

double bar_height(double share, double y_max) {
  if (!std::isfinite(share) || share <= 0) return 0.0;
  return std::min(share, y_max) / y_max * kPlotHeight;
}

// One chart: per decile bin the training share (grey, wide) and the live
// share (blue, narrow, in front); the below- and above-range fractions of
// the non-NaN rows (red). The y axis runs to the largest value shown,
// rounded up to a tenth, at least 20%.
std::string render_chart(const DriftReportFeature& rf) {
  const FeatureDrift& f = rf.figures;
  double top = 0.2;
  for (std::size_t i = 0; i < kDecileBins; ++i) {
    if (std::isfinite(f.shares[i])) top = std::max(top, f.shares[i]);
    if (std::isfinite(f.expected_shares[i])) top = std::max(top, f.expected_shares[i]);
  }
  if (std::isfinite(f.below_range_fraction)) top = std::max(top, f.below_range_fraction);
  if (std::isfinite(f.above_range_fraction)) top = std::max(top, f.above_range_fraction);
  const double y_max = std::min(1.0, std::ceil(top * 10.0 - 1e-9) / 10.0);
  const int base = kPlotTop + kPlotHeight;

  std::string svg = fmt::format(
      "<svg class=\"drift-chart\" width=\"{0}\" "
      "height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}: training decile "
      "shares against live shares, and out-of-range fractions\">\n"
      "<title>{2}: training decile shares (grey) against live shares (blue); below and above "
      "the training range (red)</title>\n",
      kChartWidth, kChartHeight, escape(f.feature));
  // Axis, the 10% line every decile of the training holds, the top label.
  const int right = slot_x(11) + kSlot;
  svg += fmt::format(
      "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n"
      "<text class=\"tick\" x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n"
      "<text class=\"tick\" x=\"{3}\" y=\"{1}\" text-anchor=\"end\">0%</text>\n",
      kPlotLeft - 4, base, right, kPlotLeft - 6, kPlotTop + 4, percent(y_max));
  const double ten = base - bar_height(0.1, y_max);
  svg += fmt::format(
      "<line class=\"tenth\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\"/>\n"
      "<text class=\"tick\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">10%</text>\n",
      slot_x(1), ten, slot_x(10) + kSlot, kPlotLeft - 6, ten + 4);
  for (std::size_t i = 0; i < kDecileBins; ++i) {
    const int x = slot_x(i + 1);
    const double he = bar_height(f.expected_shares[i], y_max);
    const double hl = bar_height(f.shares[i], y_max);
    svg += fmt::format(
        "<rect class=\"train\" x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\">"
        "<title>decile {}: training {}</title></rect>\n",
        x + 1, base - he, kSlot - 2, he, i + 1, percent(f.expected_shares[i]));
    svg += fmt::format(
        "<rect class=\"live\" x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\">"
        "<title>decile {}: live {}</title></rect>\n",
        x + 6, base - hl, kSlot - 12, hl, i + 1, percent(f.shares[i]));
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       x + kSlot / 2, base + 13, i + 1);
  }
  const std::array<std::pair<std::size_t, double>, 2> outside = {
      std::pair<std::size_t, double>{0, f.below_range_fraction},
      std::pair<std::size_t, double>{11, f.above_range_fraction}};
  for (const auto& [slot, share] : outside) {
    const int x = slot_x(slot);
    const double h = bar_height(share, y_max);
    const char* side = slot == 0 ? "below min" : "above max";
    svg += fmt::format(
        "<rect class=\"out\" x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\">"
        "<title>{}: {}</title></rect>\n",
        x + 3, base - h, kSlot - 6, h, side, percent(share));
    svg += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                       x + kSlot / 2, base + 13, slot == 0 ? "&lt;min" : "&gt;max");
  }
  svg += fmt::format(
      "<text class=\"caption\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">training deciles "
      "(min {} &#8230; max {})</text>\n",
      (slot_x(1) + slot_x(10) + kSlot) / 2, base + 30, edge_text(rf.training_edges[0]),
      edge_text(rf.training_edges[kDecileBins]));
  svg += "</svg>\n";
  return svg;
}

std::string render_card(const DriftReportFeature& rf) {
  const FeatureDrift& f = rf.figures;
  const ResolvedThresholds& t = rf.thresholds;
  std::string card = fmt::format(
      "<section class=\"card {0}\" id=\"feature-{1}\">\n<h2>{1} <span class=\"badge "
      "{0}\">{2}</span></h2>\n",
      level_class(f.level), escape(f.feature), escape(to_string(f.level)));
  card += fmt::format(
      "<p class=\"figures\"><b>PSI {}</b> <span class=\"muted\">(warn {}, alert {})</span><br>"
      "<b>out of range {}</b> <span class=\"muted\">below {}, above {} (warn {}, alert "
      "{})</span><br>stale {} <span class=\"muted\">({})</span> &middot; {} rows, {} NaN"
      "</p>\n",
      number(f.psi), number(t.warn_psi, 2), number(t.alert_psi, 2),
      percent(f.out_of_range_fraction), percent(f.below_range_fraction),
      percent(f.above_range_fraction), percent(t.out_of_range_warn), percent(t.out_of_range_alert),
      percent(f.stale_share),
      f.stale_judged ? "warn " + percent(t.stale_warn)
                     : std::string("not judged: tied training deciles, repeats by nature"),
      f.rows, f.nan_rows);
  card += render_chart(rf);
  if (!f.top_symbols.empty()) {
    card += "<p class=\"top\">top symbols: ";
    for (std::size_t i = 0; i < f.top_symbols.size(); ++i) {
      const SymbolContribution& c = f.top_symbols[i];
      card += fmt::format(
          "{}{} <span class=\"muted\">(PSI {}, {} out of range, {} stale of {} "
          "rows)</span>",
          i ? ", " : "", escape(c.symbol), number(c.psi_contribution), c.out_of_range_rows,
          c.stale_rows, c.rows);
    }
    card += "</p>\n";
  }
  card += "</section>\n";
  return card;
}

constexpr std::string_view kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:1.5em;color:#1d2430;background:#f7f8fa;line-height:1.35}
h1{font-size:1.4em;margin:0 0 .3em}
h2{font-size:1.05em;margin:0 0 .4em;font-family:ui-monospace,Menlo,Consolas,monospace}
.summary{background:#fff;border:1px solid #d8dde6;border-radius:6px;padding:.8em 1em;
 margin-bottom:1em}
.grid{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d8dde6;border-left:6px solid #3c9d5d;
 border-radius:6px;padding:.7em .9em;width:390px}
.card.warning{border-left-color:#d99a00}.card.alert{border-left-color:#c62828}
.badge{font-size:.75em;padding:.1em .5em;border-radius:3px;color:#fff;background:#3c9d5d;
 font-family:system-ui,sans-serif;vertical-align:middle}
.badge.warning{background:#d99a00}.badge.alert{background:#c62828}
.figures{margin:.2em 0 .4em;font-size:.9em}.top{font-size:.8em;margin:.3em 0 0}
.muted{color:#667085}
svg.drift-chart{display:block}
svg .axis{stroke:#667085;stroke-width:1}
svg .tenth{stroke:#667085;stroke-dasharray:3 3;stroke-width:1}
svg .train{fill:#cfd6e0}svg .live{fill:#2f6fd0}svg .out{fill:#c62828}
svg .tick{font-size:10px;fill:#4a5565}svg .caption{font-size:10px;fill:#667085}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #d8dde6;padding:.2em .5em;
 text-align:left}
)";

// Counts the charts the browser laid out with a non-zero size into
// body[data-charts-rendered]: what a headless test can read from the DOM.
constexpr std::string_view kScript = R"(
(function(){var n=0,c=document.querySelectorAll('svg.drift-chart');
for(var i=0;i<c.length;i++){var r=c[i].getBoundingClientRect();if(r.width>0&&r.height>0)n++;}
document.body.setAttribute('data-charts-rendered',String(n));})();
)";

}  // namespace

std::string render_drift_html(const DriftReport& report) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += fmt::format("<title>mlgov drift: {} alert, {} warning</title>\n",
                      report.features_in_alert, report.features_in_warning);
  html += "<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n";
  html += "<h1>mlgov drift report</h1>\n<div class=\"summary\">\n";
  html += fmt::format("<p><b>{} feature(s) in alert, {} in warning</b> of {}. Worst first.</p>\n",
                      report.features_in_alert, report.features_in_warning, report.features.size());
  if (!report.judged) {
    html += fmt::format(
        "<p class=\"badge warning\">not judged: {} rows in the window, the monitor judges from "
        "{} (figures shown, levels not set)</p>\n",
        report.rows_judged, report.min_rows);
  }
  html += fmt::format(
      "<p>features: {}<br>models: {}<br>contract {} <span class=\"muted\">{}</span><br>"
      "{} rows read, {} fed to the monitor, window {} rows, {} judged<br>generated {}</p>\n",
      escape(report.source.features_file), escape(report.source.models_dir),
      escape(report.source.contract_name), escape(report.source.contract_fingerprint),
      report.rows_read, report.rows_fed, report.window_rows, report.rows_judged,
      escape(report.source.generated_at));
  html +=
      "<p class=\"muted\">Each chart: per decile bin of the training distribution (each "
      "model's own deciles, pooled over the symbols) the training share (grey, 10% each for a "
      "continuous feature) and the live share of the in-range rows (blue); the red bars are the "
      "fractions of rows below the training min and above the max. PSI compares the blue bars "
      "with the grey ones.</p>\n";
  if (!report.stale_symbols.empty()) {
    html += "<p><b>Frozen feeds</b> (a symbol repeating its previous values): ";
    for (std::size_t i = 0; i < report.stale_symbols.size(); ++i) {
      const StaleSymbol& s = report.stale_symbols[i];
      html += fmt::format("{}{} {} ({} stale)", i ? ", " : "", escape(s.symbol), escape(s.feature),
                          percent(s.stale_share));
    }
    html += "</p>\n";
  }
  html += "</div>\n<div class=\"grid\">\n";
  for (const DriftReportFeature& rf : report.features) html += render_card(rf);
  html += "</div>\n";
  if (!report.skipped_models.empty() || !report.symbols_without_model.empty()) {
    html += "<h2>Not judged</h2>\n<table>\n<tr><th>symbol</th><th>why</th></tr>\n";
    for (const SkippedModel& s : report.skipped_models) {
      html += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", escape(s.symbol), escape(s.reason));
    }
    for (const std::string& s : report.symbols_without_model) {
      html +=
          fmt::format("<tr><td>{}</td><td>no model in the models directory</td></tr>\n", escape(s));
    }
    html += "</table>\n";
  }
  html += "<script>";
  html += kScript;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace mlgov::offline
