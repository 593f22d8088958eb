#include "actors/dataverse_gateway/dataverse_gateway_actor.hpp"

#include <caf/actor_cast.hpp>

#include <algorithm>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <string>

#include "actors/common/version.hpp"
#include "adapters/http/http_client.hpp"
#include "adapters/logging/log.hpp"
#include "adapters/oauth/token_provider.hpp"

namespace opencloser {

namespace {

using self_pointer = dataverse_gateway_actor::stateful_pointer<dataverse_gateway_state>;
using pending_call = dataverse_gateway_state::pending_call;

constexpr std::string_view service_root = "/api/data/v9.2/";

/// `<env><path>` without the query: the only form of a URL that appears in messages.
/// `<env>/api/data/v9.2/<path>`: DATAVERSE_ENV_URL is a secret (dataverse.md §8), so messages
/// and logs name the host `<env>` and drop the query string.
std::string url_for_messages(const dataverse_gateway_config&, const dataverse_call& call) {
  return "<env>" + std::string(service_root) +
         call.relative_url.substr(0, call.relative_url.find('?'));
}

http_call to_http(const dataverse_gateway_config& c, const pending_call& p) {
  http_call h;
  h.method = p.call.method;
  h.url = c.env_url + std::string(service_root) + p.call.relative_url;
  h.timeout = c.timeout;
  h.headers = {{"Authorization", "Bearer " + p.token},
               {"Accept", "application/json"},
               {"OData-MaxVersion", "4.0"},
               {"OData-Version", "4.0"},
               {"User-Agent", "opencloser/" + std::string(product_version)}};
  if (p.call.method == "GET") h.headers.emplace_back("If-None-Match", "null");
  if (!p.call.body.empty() && !find_header(p.call.headers, "Content-Type"))
    h.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  for (const auto& header : p.call.headers) h.headers.push_back(header);
  h.body = p.call.body;
  return h;
}

void settle(self_pointer self, std::uint64_t id, dataverse_outcome outcome, http_result result,
            std::string message, double wait_seconds = 0) {
  auto node = self->state.pending.extract(id);
  if (node.empty()) return;
  auto& p = node.mapped();
  p.counters.retries = p.retry.retries();
  p.counters.throttled = p.retry.throttled();
  dataverse_reply reply{outcome,
                        result.status,
                        std::move(result.headers),
                        std::move(result.body),
                        std::move(message),
                        wait_seconds,
                        p.counters};
  p.promise.deliver(std::move(reply));
}

void acquire_token_then_send(self_pointer self, std::uint64_t id) {
  auto handle = caf::actor_cast<dataverse_gateway_actor>(self);
  const auto before = self->state.config.tokens->token_requests();
  // The callback may run at once (cached token) or on the HTTP io thread: either way it only
  // hands the result on as a message.
  self->state.config.tokens->get_token([handle, id](token_result r) {
    if (r.ok()) {
      caf::anon_send(handle, token_atom::value, id, std::move(r.access_token), std::int32_t{0},
                     -1.0, std::string());
    } else {
      caf::anon_send(handle, token_atom::value, id, std::string(),
                     static_cast<std::int32_t>(r.error->kind),
                     r.error->retry_after_seconds.value_or(-1.0), r.error->message);
    }
  });
  if (auto it = self->state.pending.find(id); it != self->state.pending.end())
    it->second.counters.token_requests +=
        static_cast<std::int64_t>(self->state.config.tokens->token_requests() - before);
}

void send_http(self_pointer self, std::uint64_t id) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  // A 429 anywhere pauses every request until its Retry-After has passed (cli.md §5.2).
  const auto now = std::chrono::steady_clock::now();
  if (now < self->state.paused_until) {
    self->delayed_send(
        self,
        std::chrono::duration_cast<std::chrono::milliseconds>(self->state.paused_until - now) +
            std::chrono::milliseconds(1),
        resend_atom::value, id);
    return;
  }
  auto& p = it->second;
  if (auto& pacer = self->state.pacer; pacer && !p.paced) {
    // The request takes its slot now and goes out when the slot comes (cli.md §5.2).
    p.paced = true;
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    if (const auto wait = pacer->delay_for_next(now_ms); wait > 0) {
      self->delayed_send(self, std::chrono::milliseconds(wait), resend_atom::value, id);
      return;
    }
  }
  p.paced = false;  // a resend after a failure queues for a slot again
  p.sent_at = now;
  self->state.max_in_flight = std::max(self->state.max_in_flight, ++self->state.in_flight);
  ++p.counters.requests;
  if (p.call.method != "GET") ++p.counters.writes;
  auto handle = caf::actor_cast<dataverse_gateway_actor>(self);
  self->state.config.http->submit(to_http(self->state.config, p), [handle, id](http_result r) {
    caf::anon_send(handle, http_done_atom::value, id, static_cast<std::int32_t>(r.status),
                   std::move(r.headers), std::move(r.body), static_cast<std::int32_t>(r.failure));
  });
}

/// The service-protection signals of an answer: a 429 sets the global pause and is reported,
/// a new `x-ms-dop-hint` is reported (dataverse.md §5, cli.md §5.2).
void observe(self_pointer self, const http_result& result) {
  auto& st = self->state;
  if (result.status == 429) {
    double seconds = 5;
    if (auto header = result.header("Retry-After"))
      if (auto parsed = parse_retry_after(*header)) seconds = *parsed;
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
    st.paused_until = std::max(st.paused_until, until);
    if (st.observer) caf::anon_send(st.observer, throttled_atom::value, seconds);
  }
  if (auto header = result.header("x-ms-dop-hint")) {
    std::int64_t hint = 0;
    try {
      hint = std::stoll(std::string(*header));
    } catch (const std::exception&) {
      return;
    }
    if (hint > 0 && hint != st.last_dop_hint) {
      st.last_dop_hint = hint;
      if (st.observer) caf::anon_send(st.observer, dop_hint_atom::value, hint);
    }
  }
}

/// Carries out a retry decision for pending call `id` after `result`.
void follow(self_pointer self, std::uint64_t id, const retry_decision& d, http_result result,
            std::string failure_message) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  auto& p = it->second;
  switch (d.action) {
    case retry_action::succeeded:
      return settle(self, id, dataverse_outcome::success, std::move(result), {});
    case retry_action::give_up:
      return settle(self, id,
                    d.reason == give_up_reason::permanent ? dataverse_outcome::permanent
                                                          : dataverse_outcome::transient_exhausted,
                    std::move(result), std::move(failure_message));
    case retry_action::refresh_token_then_resend:
      self->state.config.tokens->invalidate(p.token);
      return acquire_token_then_send(self, id);
    case retry_action::wait_then_resend:
      // POST and $batch are never resent blindly, not even after a 429: the caller re-queries
      // by key first (dataverse.md §7.2), then sends again.
      if (!p.call.resend_on_transient)
        return settle(self, id, dataverse_outcome::transient, std::move(result),
                      std::move(failure_message), d.wait_seconds);
      [[fallthrough]];
    case retry_action::send_now:
      if (d.wait_seconds <= 0) return acquire_token_then_send(self, id);
      self->delayed_send(
          self, std::chrono::milliseconds(static_cast<std::int64_t>(d.wait_seconds * 1000)),
          resend_atom::value, id);
      return;
  }
}

}  // namespace

dataverse_gateway_actor::behavior_type dataverse_gateway(self_pointer self,
                                                         dataverse_gateway_config config) {
  self->state.config = std::move(config);
  if (self->state.config.max_requests_per_second > 0)
    self->state.pacer =
        std::make_unique<request_pacer>(self->state.config.max_requests_per_second,
                                        std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now().time_since_epoch())
                                            .count());
  return {
      [self](dataverse_call& call) -> caf::result<dataverse_reply> {
        const auto id = ++self->state.next_id;
        auto promise = self->make_response_promise<dataverse_reply>();
        self->state.pending.emplace(
            id,
            pending_call{std::move(call), retry_state(self->state.config.retry), promise, {}, {}});
        acquire_token_then_send(self, id);
        return promise;
      },
      [self](token_atom, std::uint64_t id, std::string& token, std::int32_t kind,
             double retry_after, std::string& message) {
        auto it = self->state.pending.find(id);
        if (it == self->state.pending.end()) return;
        if (!token.empty()) {
          it->second.token = std::move(token);
          return send_http(self, id);
        }
        const auto d = it->second.retry.on_outcome(
            static_cast<outcome_class>(kind),
            retry_after >= 0 ? std::optional<double>(retry_after) : std::nullopt);
        follow(self, id, d, http_result{}, std::move(message));
      },
      [self](http_done_atom, std::uint64_t id, std::int32_t status, header_pairs& headers,
             std::string& body, std::int32_t failure) {
        auto it = self->state.pending.find(id);
        if (it == self->state.pending.end()) return;
        http_result result;
        result.status = status;
        result.failure = static_cast<transport_failure>(failure);
        result.headers = std::move(headers);
        result.body = std::move(body);
        --self->state.in_flight;
        self->state.request_ms.record(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - it->second.sent_at)
                                          .count());
        observe(self, result);
        const auto d = it->second.retry.on_result(result);
        if (log_enabled(log_level::debug))
          log_line(log_level::debug, it->second.call.step + " " + it->second.call.method + " " +
                                         url_for_messages(self->state.config, it->second.call) +
                                         " -> " +
                                         (result.failure != transport_failure::none
                                              ? std::string(transport_failure_name(result.failure))
                                              : std::to_string(result.status)));
        std::string message;
        if (result.failure != transport_failure::none)
          message =
              "Dataverse transport failure: " + std::string(transport_failure_name(result.failure));
        else if (!result.ok())
          message = "Dataverse returned HTTP " + std::to_string(result.status) + " for " +
                    it->second.call.method + " " +
                    url_for_messages(self->state.config, it->second.call);
        follow(self, id, d, std::move(result), std::move(message));
      },
      [self](resend_atom, std::uint64_t id) { acquire_token_then_send(self, id); },
      [self](status_atom) {
        const auto& st = self->state;
        // Requests on the wire, as the HTTP client counts them (it queues above the cap).
        return gateway_stats{st.request_ms.percentile(50), st.request_ms.percentile(99),
                             static_cast<std::int64_t>(st.config.http->max_in_flight_seen()),
                             st.last_dop_hint};
      },
      [self](observe_atom, caf::actor& observer) {
        self->state.observer = std::move(observer);
        if (self->state.last_dop_hint > 0)
          caf::anon_send(self->state.observer, dop_hint_atom::value, self->state.last_dop_hint);
      },
  };
}

}  // namespace opencloser
