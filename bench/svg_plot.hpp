#pragma once
// Hand-written SVG line charts for the bench results (cli.md §10): no plotting dependency,
// one self-contained file per chart.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace opencloser::bench {

struct plot_axis {
  std::string label;
  bool logarithmic = false;
  double min = 0;  ///< > 0 on a logarithmic axis
  double max = 1;
  std::vector<double> ticks;
};

struct plot_series {
  std::string name;
  std::string color;  ///< any SVG colour
  bool dashed = false;
  bool label_points = true;  ///< print each point's value beside it
  std::vector<std::pair<double, double>> points;
};

/// A horizontal line across the plot (a target).
struct plot_rule {
  double y = 0;
  std::string label;
  std::string color;
};

struct plot {
  std::string title;
  std::string subtitle;
  plot_axis x;
  plot_axis y;
  std::vector<plot_series> series;
  std::vector<plot_rule> rules;
};

std::string render_svg(const plot& p);

/// A compact number for labels: 12345 → "12.3k", 0.5 → "0.5".
std::string short_number(double v);

/// Ticks 1, 10, 100… (and 2, 5 between them) covering [min, max]; for logarithmic axes.
std::vector<double> decade_ticks(double min, double max);

}  // namespace opencloser::bench
