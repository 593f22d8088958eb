#include "actors/drain/drain_front_actor.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>

#include "actors/common/ids.hpp"
#include "actors/common/version.hpp"
#include "adapters/json/json.hpp"
#include "adapters/logging/log.hpp"

namespace opencloser {

namespace {

/// Compares secrets in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

ctl_reply refused(std::string message) {
  return {1, std::move(message)};
}

json::value text_or_null(const nullable<std::string>& v) {
  return v ? json::value{*v} : json::value{};
}

}  // namespace

std::string status_body(const drain_snapshot& s) {
  json::value v;
  v.set("drain_id", s.drain_id);
  v.set("state", s.state);
  json::value concurrency;
  concurrency.set("in_flight", s.in_flight);
  concurrency.set("target", s.target);
  concurrency.set("ceiling", s.ceiling);
  v.set("concurrency", std::move(concurrency));
  const auto& c = s.counts;
  json::value counts;
  counts.set("seen", c.seen);
  counts.set("processed", c.processed);
  counts.set("deferred", c.deferred);
  counts.set("not_started", c.not_started);
  counts.set("completed", c.completed);
  counts.set("blocked_eligibility", c.blocked_eligibility);
  counts.set("blocked_conflict", c.blocked_conflict);
  counts.set("blocked_other", c.blocked_other);
  counts.set("resume_needed", c.resume_needed);
  counts.set("failed", c.failed);
  counts.set("no_callable_item", c.no_callable_item);
  counts.set("queued", c.queued);
  v.set("counts", std::move(counts));
  json::value throttle;
  throttle.set("paused_until", text_or_null(s.paused_until));
  throttle.set("last_429_at", text_or_null(s.last_429_at));
  v.set("throttle", std::move(throttle));
  v.set("pages_fetched", s.pages_fetched);
  json::value coordinator;
  coordinator.set("node", "coordinator");
  coordinator.set("slots", s.target);
  coordinator.set("in_flight", s.in_flight);
  v.set("workers", json::array{std::move(coordinator)});
  return json::write_compact(v);
}

drain_front_actor::behavior_type drain_front(drain_front_actor::pointer self,
                                             drain_front_config config) {
  return {
      [self, config](ctl_request& req) -> caf::result<ctl_reply> {
        if (req.version != product_version)
          return refused("version mismatch: drain " + std::string(product_version) + ", ctl " +
                         req.version);
        if (!config.token.empty() && !same_secret(req.token, config.token)) {
          log_line(log_level::warn, "ctl request refused: token mismatch");
          return refused("refused: the drain token does not match OPENCLOSER_DRAIN_TOKEN");
        }
        auto promise = self->make_response_promise<ctl_reply>();
        const auto& drain = config.drain;
        // Every command but status and cancel needs a drain that is still running.
        self->request(drain, std::chrono::seconds(5), status_atom::value)
            .then(
                [self, config, promise, req](drain_snapshot& s) mutable {
                  const auto& cmd = req.command;
                  const auto& drain = config.drain;
                  if (cmd == "status") return void(promise.deliver(ctl_reply{0, status_body(s)}));
                  const bool stopping = s.state == "cancelling" || s.state == "finished";
                  if (stopping && cmd != "cancel")
                    return void(promise.deliver(refused("the drain is " + s.state +
                                                        "; only status "
                                                        "and cancel are "
                                                        "accepted")));
                  const auto ok = [promise](bool) mutable { promise.deliver(ctl_reply{0, "ok"}); };
                  const auto lost = [promise](caf::error&) mutable {
                    promise.deliver(refused("the drain did not answer"));
                  };
                  if (cmd == "pause")
                    return self->request(drain, std::chrono::seconds(5), pause_atom::value)
                        .then(ok, lost);
                  if (cmd == "resume")
                    return self->request(drain, std::chrono::seconds(5), unpause_atom::value)
                        .then(ok, lost);
                  if (cmd == "cancel")
                    return self->request(drain, std::chrono::seconds(5), cancel_atom::value)
                        .then(ok, lost);
                  if (cmd == "set-concurrency") {
                    std::int64_t n = 0;
                    try {
                      n = req.args.size() == 1 ? std::stoll(req.args[0]) : 0;
                    } catch (const std::exception&) {
                      n = 0;
                    }
                    if (n < 1 || n > 1024)
                      return void(
                          promise.deliver(refused("set-concurrency needs one number 1-1024")));
                    return self->request(drain, std::chrono::seconds(5), concurrency_atom::value, n)
                        .then(ok, lost);
                  }
                  if (cmd == "enqueue") {
                    if (config.resume_pending)
                      return void(
                          promise.deliver(refused("enqueue is not accepted by a "
                                                  "--resume-pending drain")));
                    for (const auto& id : req.args)
                      if (!is_guid(id))
                        return void(
                            promise.deliver(refused("'" + id + "' is not a Dataverse GUID")));
                    return self
                        ->request(drain, std::chrono::seconds(5), enqueue_atom::value, req.args)
                        .then(
                            [promise,
                             n = req.args.size()](std::vector<std::string>& ignored) mutable {
                              std::string body = "accepted: " + std::to_string(n - ignored.size());
                              if (!ignored.empty()) {
                                body += "\nignored: ";
                                for (std::size_t i = 0; i < ignored.size(); ++i)
                                  body += (i ? " " : "") + ignored[i];
                              }
                              promise.deliver(ctl_reply{0, body});
                            },
                            lost);
                  }
                  promise.deliver(refused("unknown command '" + cmd + "'"));
                },
                [promise](caf::error&) mutable {
                  promise.deliver(refused("the drain did not answer"));
                });
        return promise;
      },
  };
}

}  // namespace opencloser
