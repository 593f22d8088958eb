#include "adapters/process/crash_hook.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <stdexcept>

namespace opencloser {

namespace {

constexpr std::array<std::string_view, 5> points{"after_claim", "after_plan", "after_phone_call",
                                                 "after_queue_update", "before_task_post"};

}  // namespace

crash_hook crash_hook::parse(std::string_view value) {
  crash_hook hook;
  if (value.empty()) return hook;
  const auto colon = value.find(':');
  const auto point = value.substr(0, colon);
  bool known = false;
  for (auto p : points) known = known || p == point;
  std::int64_t nth = 1;
  if (colon != std::string_view::npos) {
    const auto digits = value.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), nth);
    if (ec != std::errc() || end != digits.data() + digits.size() || nth < 1) known = false;
  }
  if (!known)
    throw std::invalid_argument(
        "OPENCLOSER_TEST_CRASH_AT '" + std::string(value) +
        "' is not <point>[:<n>] with point after_claim, after_plan, after_phone_call, "
        "after_queue_update or before_task_post and n >= 1");
  hook.point_ = std::string(point);
  hook.nth_ = nth;
  return hook;
}

std::string crash_hook::notice() const {
  return "test hook OPENCLOSER_TEST_CRASH_AT is set: the process exits with 137 at " + point_ +
         " (pass " + std::to_string(nth_) + ")";
}

void crash_hook::reach(std::string_view point) {
  if (point != point_) return;
  if (++seen_ == nth_) ::_exit(137);
}

}  // namespace opencloser
