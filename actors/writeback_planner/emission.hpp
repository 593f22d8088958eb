#pragma once
// The emission table of domain.md §9: what each disposition writes back.

#include <optional>

#include "messages/enums.hpp"

namespace opencloser {

struct emission_rule {
  bool phone_call = false;
  std::optional<callable_status> new_status;  ///< nullopt: unchanged (= previous)
  bool set_dnc_flag = false;
  std::optional<task_kind> task;
};

emission_rule emission_for(disposition d);

/// Tasks are never emitted for these, whatever else says so; the emitter applies this guard
/// again before sending (domain.md §9).
bool task_excluded(disposition d);

}  // namespace opencloser
