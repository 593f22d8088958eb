#pragma once
// What every actor that talks to the gateway needs: a built request as a gateway call, and
// the running total of the HTTP counters its replies carry (run-report `http`).

#include "adapters/dataverse/dataverse_requests.hpp"
#include "messages/dataverse.hpp"

namespace opencloser {

/// `request` as a gateway call; GET and conditional PATCH may be resent on transient failures.
inline dataverse_call call_of(const dataverse::dataverse_request& request) {
  return {request.step,    request.method,      request.relative_url,
          request.headers, request.body_text(), true};
}

/// Adds one reply's counters to a running total.
inline void add_counters(http_counters& total, const http_counters& c) {
  total.requests += c.requests;
  total.retries += c.retries;
  total.throttled += c.throttled;
  total.token_requests += c.token_requests;
  total.writes += c.writes;
}

}  // namespace opencloser
