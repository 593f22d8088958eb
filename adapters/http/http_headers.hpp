#pragma once
// Header lists and their case-insensitive lookup (header names are case-insensitive,
// RFC 9110 §5.1), shared by the HTTP client, the `$batch` wire format and the emulator.

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opencloser {

/// Header fields in wire order.
using http_headers = std::vector<std::pair<std::string, std::string>>;

/// ASCII case-insensitive equality (header names, media types, tokens).
inline bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// The first header named `name` (any case), or nullopt.
inline std::optional<std::string_view> find_header(const http_headers& headers,
                                                   std::string_view name) {
  for (const auto& [key, value] : headers)
    if (ascii_iequals(key, name)) return std::string_view(value);
  return std::nullopt;
}

}  // namespace opencloser
