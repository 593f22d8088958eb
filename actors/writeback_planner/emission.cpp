#include "actors/writeback_planner/emission.hpp"

namespace opencloser {

emission_rule emission_for(disposition d) {
  using cs = callable_status;
  switch (d) {
    case disposition::interested_callback_requested:
      return {true, cs::ready, false, task_kind::callback};
    case disposition::interested_email_captured:
      return {true, cs::completed, false, task_kind::callback};
    case disposition::call_back_later:
      return {true, cs::ready, false, task_kind::callback};
    case disposition::needs_human_review:
      return {true, cs::blocked, false, task_kind::review};
    case disposition::not_interested:
      return {true, cs::completed, false, std::nullopt};
    case disposition::wrong_number:
      return {true, cs::blocked, false, std::nullopt};
    case disposition::do_not_call:
      return {true, cs::dnc, true, std::nullopt};
    case disposition::no_answer:
    case disposition::voicemail:
    case disposition::failed:
      return {true, cs::ready, false, std::nullopt};
    case disposition::blocked:
      return {false, std::nullopt, false, std::nullopt};
  }
  return {};
}

bool task_excluded(disposition d) {
  return d == disposition::not_interested || d == disposition::wrong_number ||
         d == disposition::do_not_call || d == disposition::failed || d == disposition::blocked;
}

}  // namespace opencloser
