// cli.md §5.3 totals and exit; see drain_totals.hpp.

#include "actors/drain/drain_totals.hpp"

#include <utility>

namespace opencloser {

drain_item_status item_status_of(exit_status status) {
  switch (status) {
    case exit_status::completed:
    case exit_status::no_resume_needed:
      return drain_item_status::completed;
    case exit_status::no_callable_item:
      return drain_item_status::no_callable_item;
    case exit_status::blocked:
      return drain_item_status::blocked;
    case exit_status::resume_needed:
    case exit_status::cancelled:
      return drain_item_status::resume_needed;
    case exit_status::failed:
      return drain_item_status::failed;
    case exit_status::deferred:
      return drain_item_status::deferred;
  }
  return drain_item_status::failed;
}

std::int64_t drain_totals::processed_sum() const {
  return completed + blocked() + resume_needed + failed + no_callable_item;
}

void drain_tally::on_item(drain_item_status status, const nullable<std::string>& block_reason,
                          const nullable<disposition>& final_disposition) {
  switch (status) {
    case drain_item_status::deferred:
      ++totals_.deferred;
      return;  // no session: nothing else to count
    case drain_item_status::not_started:
      ++totals_.not_started;
      return;
    case drain_item_status::completed:
      ++totals_.completed;
      break;
    case drain_item_status::blocked:
      if (block_reason && *block_reason == "eligibility")
        ++totals_.blocked_eligibility;
      else if (block_reason && *block_reason == "conflict_detected")
        ++totals_.blocked_conflict;
      else
        ++totals_.blocked_other;
      break;
    case drain_item_status::resume_needed:
      ++totals_.resume_needed;
      break;
    case drain_item_status::failed:
      ++totals_.failed;
      break;
    case drain_item_status::no_callable_item:
      ++totals_.no_callable_item;
      break;
  }
  ++totals_.processed;
  if (final_disposition) ++dispositions_[static_cast<std::size_t>(*final_disposition)];
}

std::string totals_invariant_violation(const drain_totals& t) {
  if (t.processed != t.processed_sum())
    return "processed " + std::to_string(t.processed) +
           " != completed + blocked + resume_needed"
           " + failed + no_callable_item = " +
           std::to_string(t.processed_sum());
  if (t.seen != t.done())
    return "seen " + std::to_string(t.seen) +
           " != processed + deferred + not_started = " + std::to_string(t.done());
  return {};
}

drain_exit decide_drain_exit(const drain_totals& t, bool cancelled) {
  const auto end = [](exit_status status, nullable<std::string> reason = {}) {
    return drain_exit{status, std::move(reason), exit_code_of(status)};
  };
  if (cancelled) return end(exit_status::cancelled);
  if (t.failed > 0) return end(exit_status::failed);
  if (t.resume_needed > 0) return end(exit_status::resume_needed);
  if (t.blocked_conflict > 0)
    return end(exit_status::blocked, nullable<std::string>("conflict_detected"));
  if (t.blocked_other > 0)
    return end(exit_status::blocked, nullable<std::string>("permanent_other"));
  if (t.processed > 0) return end(exit_status::completed);
  return end(exit_status::no_callable_item);
}

}  // namespace opencloser
