// dataverse.md §5 as a state machine; see retry_policy.hpp.

#include "actors/dataverse_emitter/retry_policy.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <utility>

namespace opencloser {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Sums of decimal waits (0.1 + 0.2 …) must not end a request early by a rounding hair.
constexpr double budget_slack = 1e-9;

}  // namespace

outcome_class classify_failure(transport_failure failure) {
  switch (failure) {
    case transport_failure::none:
      return outcome_class::success;
    case transport_failure::tls_certificate:
    case transport_failure::malformed:
    case transport_failure::invalid_url:
      return outcome_class::permanent;
    case transport_failure::dns:
    case transport_failure::connect:
    case transport_failure::timeout:
    case transport_failure::reset:
    case transport_failure::eof:
    case transport_failure::tls:
    case transport_failure::cancelled:
      return outcome_class::transient;
  }
  return outcome_class::permanent;
}

outcome_class classify_status(int status) {
  if (status >= 200 && status < 300) return outcome_class::success;
  if (status == 429) return outcome_class::throttled;
  if (status == 408) return outcome_class::transient;
  if (status >= 500 && status <= 599 && status != 501 && status != 505)
    return outcome_class::transient;
  return outcome_class::permanent;
}

outcome_class classify(const http_result& result) {
  if (result.failure != transport_failure::none) return classify_failure(result.failure);
  return classify_status(result.status);
}

std::optional<double> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  // delta-seconds: digits, optionally a decimal part (from_chars alone would also take
  // exponents, "inf" and a sign).
  std::size_t i = 0;
  while (i < value.size() && is_digit(value[i])) ++i;
  if (i == 0) return std::nullopt;
  if (i < value.size()) {
    if (value[i] != '.') return std::nullopt;
    const std::size_t fraction = ++i;
    while (i < value.size() && is_digit(value[i])) ++i;
    if (i == fraction || i != value.size()) return std::nullopt;
  }
  double seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
  return seconds;
}

std::optional<double> retry_after_of(const http_result& result) {
  if (const auto value = find_header(result.headers, "Retry-After"))
    return parse_retry_after(*value);
  return std::nullopt;
}

retry_state::retry_state(retry_settings settings) : settings_(std::move(settings)) {}

retry_decision retry_state::decide(retry_decision d) {
  decision_ = d;
  return d;
}

retry_decision retry_state::on_result(const http_result& result) {
  if (result.failure == transport_failure::none && result.status == 401) {
    if (finished()) throw std::logic_error("retry_state: result fed after the request finished");
    ++attempts_;
    // The token may have expired or been revoked: one refresh and an immediate resend that
    // does not count as a retry; a second 401 means the credentials are not accepted.
    if (++unauthorized_ == 1)
      return decide({retry_action::refresh_token_then_resend, 0, give_up_reason::none});
    return decide({retry_action::give_up, 0, give_up_reason::permanent});
  }
  return on_outcome(classify(result), retry_after_of(result));
}

retry_decision retry_state::on_outcome(outcome_class outcome,
                                       std::optional<double> retry_after_seconds) {
  if (finished()) throw std::logic_error("retry_state: result fed after the request finished");
  ++attempts_;
  switch (outcome) {
    case outcome_class::success:
      return decide({retry_action::succeeded, 0, give_up_reason::none});
    case outcome_class::permanent:
      return decide({retry_action::give_up, 0, give_up_reason::permanent});
    case outcome_class::transient:
      return decide(transient(retry_after_seconds));
    case outcome_class::throttled:
      return decide(throttle(retry_after_seconds));
  }
  return decide({retry_action::give_up, 0, give_up_reason::permanent});
}

retry_decision retry_state::transient(std::optional<double> retry_after_seconds) {
  if (retries_ >= std::max<std::int64_t>(0, settings_.max_retries))
    return {retry_action::give_up, 0, give_up_reason::transient_exhausted};
  double wait = 0;
  if (retry_after_seconds) {
    wait = std::min(*retry_after_seconds, settings_.retry_after_cap_seconds);
  } else if (!settings_.backoff_seconds.empty()) {
    const auto last = settings_.backoff_seconds.size() - 1;
    wait = settings_.backoff_seconds[std::min(static_cast<std::size_t>(retries_), last)];
  }
  ++retries_;
  return {retry_action::wait_then_resend, std::max(0.0, wait), give_up_reason::none};
}

retry_decision retry_state::throttle(std::optional<double> retry_after_seconds) {
  ++throttled_;
  const double wait = retry_after_seconds.value_or(default_throttle_wait_seconds);
  const double remaining = settings_.max_throttle_wait_seconds - throttle_wait_;
  // Waiting less than the server asked is pointless, so a wait beyond the budget ends the
  // request now instead of sleeping first.
  if (wait > remaining + budget_slack)
    return {retry_action::give_up, 0, give_up_reason::transient_exhausted};
  throttle_wait_ += wait;
  return {retry_action::wait_then_resend, wait, give_up_reason::none};
}

}  // namespace opencloser
