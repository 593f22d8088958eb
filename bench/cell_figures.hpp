#pragma once
// Reading figures out of JSON (drain reports, emulator counters) and putting them into the
// bench's cell objects (results schema opencloser-bench-v1).

#include <initializer_list>
#include <string>
#include <string_view>

#include "adapters/json/json.hpp"
#include "bench/child_process.hpp"
#include "bench/drain_process.hpp"

namespace opencloser::bench {

/// The member at `path`, or null when any step is missing.
json::value at(const json::value& v, std::initializer_list<std::string_view> path);

/// The number at `path`, NaN when missing or not a number.
double number(const json::value& v, std::initializer_list<std::string_view> path);

/// A double for the results file; NaN (a figure that could not be read) becomes null.
json::value figure(double v);

/// What wait4 said about a child process, with the CPU cores it kept busy on average.
json::value usage_json(const child_usage& u);

/// The parts of a drain report the bench keeps (the items are never read).
json::value report_figures(const json::value& report);

/// The figures every drain cell shares: exit, wall time, peak RSS, rates, latencies.
void add_drain_figures(json::value& cell, const drain_outcome& d);

/// One progress line on stdout for a finished drain cell.
void print_drain_line(const std::string& id, const json::value& cell);

}  // namespace opencloser::bench
