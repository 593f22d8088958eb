#pragma once
// The product version: `opencloser --version`, `User-Agent: opencloser/<version>`.

#include <string_view>

namespace opencloser {

inline constexpr std::string_view product_version = "0.1.0";

}  // namespace opencloser
