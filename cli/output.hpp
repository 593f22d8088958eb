#pragma once
// Console conventions of cli.md §1: labelled result lines on stdout (value in column 24),
// `error:` + 7 spaces and `warning:` + 5 spaces on stderr.

#include <iostream>
#include <string>
#include <string_view>

namespace opencloser::cli {

inline void labelled(std::string_view label, std::string_view value) {
  if (value.empty()) return;  // lines with no value are omitted
  std::string line(label);
  line += ':';
  if (line.size() < 23) line.append(23 - line.size(), ' ');
  std::cout << line << value << '\n';
}

inline void error_line(std::string_view message) {
  std::cerr << "error:       " << message << '\n';
}

inline void warning_line(std::string_view message) {
  std::cerr << "warning:     " << message << '\n';
}

}  // namespace opencloser::cli
