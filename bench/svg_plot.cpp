#include "bench/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace opencloser::bench {

namespace {

constexpr double width = 860, height = 480;
constexpr double left = 80, right = 230, top = 64, bottom = 60;  // margins; legend on the right
constexpr double plot_w = width - left - right, plot_h = height - top - bottom;

double fraction(const plot_axis& a, double v) {
  if (a.logarithmic) {
    const double lo = std::log(a.min), hi = std::log(a.max);
    return hi > lo ? (std::log(std::max(v, a.min * 1e-3)) - lo) / (hi - lo) : 0.5;
  }
  return a.max > a.min ? (v - a.min) / (a.max - a.min) : 0.5;
}

double px(const plot& p, double x) {
  return left + fraction(p.x, x) * plot_w;
}
double py(const plot& p, double y) {
  return top + (1 - fraction(p.y, y)) * plot_h;
}

std::string escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
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
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string short_number(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  else if (a >= 1e4)
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  else if (a >= 100)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::vector<double> decade_ticks(double min, double max) {
  std::vector<double> ticks;
  for (double decade = std::pow(10.0, std::floor(std::log10(min))); decade <= max * 1.0001;
       decade *= 10)
    for (const double m : {1.0, 2.0, 5.0})
      if (decade * m >= min * 0.9999 && decade * m <= max * 1.0001) ticks.push_back(decade * m);
  return ticks;
}

std::string render_svg(const plot& p) {
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left << "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">"
    << escape(p.title) << "</text>\n"
    << "<text x=\"" << left << "\" y=\"42\" fill=\"#555\">" << escape(p.subtitle) << "</text>\n";

  // Grid and tick labels.
  for (const double t : p.y.ticks) {
    const auto y = fixed(py(p, t));
    s << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y << "\" y2=\"" << y
      << "\" stroke=\"#e3e3e3\"/>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << y << "\" text-anchor=\"end\" dy=\"4\">"
      << short_number(t) << "</text>\n";
  }
  for (const double t : p.x.ticks) {
    const auto x = fixed(px(p, t));
    s << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << top << "\" y2=\"" << top + plot_h
      << "\" stroke=\"#e3e3e3\"/>\n"
      << "<text x=\"" << x << "\" y=\"" << top + plot_h + 16 << "\" text-anchor=\"middle\">"
      << short_number(t) << "</text>\n";
  }
  s << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\""
    << plot_h << "\" fill=\"none\" stroke=\"#333\"/>\n"
    << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 16 << "\" text-anchor=\"middle\">"
    << escape(p.x.label) << "</text>\n"
    << "<text transform=\"translate(18," << top + plot_h / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << escape(p.y.label) << "</text>\n";

  for (const auto& rule : p.rules) {
    const auto y = fixed(py(p, rule.y));
    s << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y << "\" y2=\"" << y
      << "\" stroke=\"" << rule.color << "\" stroke-dasharray=\"2 4\"/>\n"
      << "<text x=\"" << left + plot_w - 4 << "\" y=\"" << y
      << "\" dy=\"-4\" text-anchor=\"end\" fill=\"" << rule.color << "\">" << escape(rule.label)
      << "</text>\n";
  }

  double legend_y = top + 8;
  for (const auto& series : p.series) {
    if (series.points.empty()) continue;
    s << "<polyline fill=\"none\" stroke=\"" << series.color << "\" stroke-width=\"2\""
      << (series.dashed ? " stroke-dasharray=\"7 4\"" : "") << " points=\"";
    for (const auto& [x, y] : series.points) s << fixed(px(p, x)) << ',' << fixed(py(p, y)) << ' ';
    s << "\"/>\n";
    for (const auto& [x, y] : series.points) {
      s << "<circle cx=\"" << fixed(px(p, x)) << "\" cy=\"" << fixed(py(p, y))
        << "\" r=\"3.5\" fill=\"" << series.color << "\"/>\n";
      // Dashed (reference) series are labelled below their points, the others above, so
      // that two series meeting at a point keep readable labels.
      if (series.label_points)
        s << "<text x=\"" << fixed(px(p, x) + 6) << "\" y=\""
          << fixed(py(p, y) + (series.dashed ? 16 : -6)) << "\" fill=\"" << series.color
          << "\" font-size=\"11\">" << short_number(y) << "</text>\n";
    }
    const double lx = left + plot_w + 16;
    s << "<line x1=\"" << lx << "\" x2=\"" << lx + 24 << "\" y1=\"" << legend_y << "\" y2=\""
      << legend_y << "\" stroke=\"" << series.color << "\" stroke-width=\"2\""
      << (series.dashed ? " stroke-dasharray=\"7 4\"" : "") << "/>\n"
      << "<text x=\"" << lx + 30 << "\" y=\"" << legend_y << "\" dy=\"4\">" << escape(series.name)
      << "</text>\n";
    legend_y += 20;
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace opencloser::bench
