// The Dataverse emitter's claim (dataverse.md §6) against the emulator, through the gateway:
// the happy claim, the conflicts of conformance.md §10 found at the claim (status, DNC, a
// deleted row, a second ETag change), the single re-claim after a non-compared edit, a lost
// response, transient exhaustion with and without a working verification read, a permanent
// answer and two concurrent claims of one loaded row. Backoff is 0.01 s; nothing asserts speed.

#include <catch2/catch.hpp>

#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <cctype>
#include <memory>

#include "actors/dataverse_emitter/dataverse_emitter_actor.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"
#include "tests/actors/emulated_dataverse.hpp"

using namespace opencloser;

namespace {

const std::string queue_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
const std::string session = "ses_00000000000000000000000000000001";
const std::string other_session = "ses_00000000000000000000000000000002";
constexpr std::int64_t ready = 100000000, in_progress = 100000001, blocked = 100000003;

/// A fault rule on the claim PATCH of the demo row (emulator.md §6).
json::value patch_fault(std::string_view action, std::int64_t times, std::string_view extra = {}) {
  return json::parse(
      R"([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": ")" +
      std::string(action) + R"(", "times": )" + std::to_string(times) +
      R"(, "when": "before", "target": {"table": "acme_callqueue", "id": ")" + queue_row + "\"}" +
      std::string(extra) + "}]");
}

struct claim_fixture : testing::emulated_dataverse {
  dataverse::resolved_mapping mapping = testing::acme_mapping();
  dataverse_emitter_actor emitter;

  claim_fixture() : emulated_dataverse(0.01) {
    emitter = sys->spawn(dataverse_emitter, dataverse_emitter_config{gateway, mapping});
  }
  ~claim_fixture() { stop(emitter); }

  /// The row as the queue loader loads it (its `$select`, its ETag): the claim's input.
  claim_order load(const std::string& sid = session) {
    const auto request = dataverse::queue_load_by_id_request(mapping, queue_row);
    caf::scoped_actor self{*sys};
    claim_order order{sid, queue_row, {}, 0};
    self->request(gateway, caf::infinite,
                  dataverse_call{request.step, request.method, request.relative_url,
                                 request.headers, request.body_text(), true})
        .receive(
            [&](dataverse_reply& r) {
              REQUIRE(r.outcome == dataverse_outcome::success);
              const auto row = dataverse::first_row(json::parse(r.body));
              REQUIRE(row);
              order.row_json = json::write_compact(*row);
              order.loaded_attempts = row->find("acme_attempts")->as_int();
            },
            [&](caf::error& e) { FAIL(sys->render(e)); });
    return order;
  }

  claim_outcome claim(claim_order order) { return ask<claim_outcome>(emitter, std::move(order)); }

  /// The demo row in the emulator's state dump.
  json::value row_in_dump() const {
    const auto state = emu.state();
    for (const auto& r : state.find("tables")->find("acme_callqueue")->as_array())
      if (r.find("acme_callqueueid")->as_string() == queue_row) return r;
    return {};
  }

  /// Logged requests with this method on the demo row's entity path.
  std::vector<json::value> logged(std::string_view method, std::string_view path_prefix) const {
    const auto log = emu.requests();
    std::vector<json::value> out;
    for (const auto& e : log.as_array())
      if (e.find("method")->as_string() == method &&
          e.find("path")->as_string().rfind(path_prefix, 0) == 0)
        out.push_back(e);
    return out;
  }
  std::vector<json::value> claim_patches() const {
    return logged("PATCH", "acme_callqueues(" + queue_row + ")");
  }
};

std::string header(const json::value& entry, std::string_view name) {
  for (const auto& [k, v] : entry.find("headers")->as_object())
    if (std::equal(
            k.begin(), k.end(), name.begin(), name.end(),
            [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); }))
      return v.as_string();
  return {};
}

std::string etag_of(const std::string& row_json) {
  return json::parse(row_json).find("@odata.etag")->as_string();
}

}  // namespace

TEST_CASE("the claim marks the row in progress for this session and counts the attempt",
          "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  const auto load_etag = etag_of(order.row_json);
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::claimed);
  CHECK(outcome.message.empty());
  CHECK(outcome.conflicting_fields.empty());

  // The claimed row: new ETag, in progress, this session; the rest as loaded.
  const auto row = json::parse(outcome.row_json);
  CHECK(row.find("@odata.etag")->as_string() != load_etag);
  CHECK(*row.find("acme_status") == json::value(in_progress));
  CHECK(*row.find("acme_lastsession") == json::value(session));
  CHECK(*row.find("acme_notes") == json::value("Ask for the administrator."));

  // The request: If-Match = load ETag, return=representation, sorted $select, approved body.
  const auto patches = fx.claim_patches();
  REQUIRE(patches.size() == 1);
  CHECK(header(patches[0], "If-Match") == load_etag);
  CHECK(header(patches[0], "Prefer") == "return=representation");
  CHECK(patches[0].find("query")->as_string().find(
            "$select=acme_callqueueid,acme_lastsession,acme_status") != std::string::npos);
  const auto& body = *patches[0].find("body");
  CHECK(*body.find("acme_status") == json::value(in_progress));
  CHECK(*body.find("acme_lastsession") == json::value(session));
  CHECK(*body.find("acme_attempts") == json::value(std::int64_t{2}));
  CHECK(body.as_object().size() == 3);
  CHECK(*patches[0].find("status") == json::value(200));

  // The emulator's state: what the claim wrote, with the ETag the outcome carries.
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_status") == json::value(in_progress));
  CHECK(*stored.find("acme_lastsession") == json::value(session));
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{2}));
  CHECK(*stored.find("@odata.etag") == *row.find("@odata.etag"));
  CHECK(outcome.counters.requests == 1);
  CHECK(outcome.counters.writes == 1);

  // The claimed row is the claim baseline.
  const auto baseline = dataverse::baseline_from_row(fx.mapping, row);
  CHECK(baseline.etag == stored.find("@odata.etag")->as_string());
  CHECK(baseline.preserve.front().second == json::value("Ask for the administrator."));
}

TEST_CASE("a status change between load and claim is a conflict naming the status column",
          "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.edit_row("acme_callqueue", queue_row, json::parse(R"({"acme_status": 100000003})"));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::conflict);
  CHECK(outcome.conflicting_fields == std::vector<std::string>{"acme_status"});
  CHECK(outcome.message == "conflict_detected: queue item '" + queue_row +
                               "' changed between load and claim; conflicting fields: acme_status");
  CHECK(outcome.row_json.empty());
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{1}));  // unchanged
  CHECK(*stored.find("acme_status") == json::value(blocked));
  CHECK(fx.claim_patches().size() == 1);  // no re-claim
  CHECK(*fx.claim_patches()[0].find("status") == json::value(412));
  CHECK(fx.logged("GET", "acme_callqueues").size() == 2);  // the load, the re-read
}

TEST_CASE("DNC set just before the claim is a conflict naming the DNC column", "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(patch_fault("human_edit", 1, R"(, "changes": {"acme_dnc": true})"));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::conflict);
  CHECK(outcome.conflicting_fields == std::vector<std::string>{"acme_dnc"});
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{1}));
  CHECK(*stored.find("acme_status") == json::value(ready));
}

TEST_CASE("only a non-compared change before the claim: one re-claim with the re-read ETag",
          "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(patch_fault("bump_version", 1));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::claimed);
  const auto patches = fx.claim_patches();
  REQUIRE(patches.size() == 2);
  CHECK(*patches[0].find("status") == json::value(412));
  CHECK(*patches[1].find("status") == json::value(200));
  CHECK(header(patches[0], "If-Match") == etag_of(order.row_json));
  CHECK(header(patches[1], "If-Match") != etag_of(order.row_json));
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{2}));
  CHECK(*stored.find("acme_lastsession") == json::value(session));
  CHECK(etag_of(outcome.row_json) == stored.find("@odata.etag")->as_string());
}

TEST_CASE("a second ETag change before the re-claim is a conflict @odata.etag", "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(patch_fault("bump_version", 2));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::conflict);
  CHECK(outcome.conflicting_fields == std::vector<std::string>{"@odata.etag"});
  CHECK(fx.claim_patches().size() == 2);
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{1}));
  CHECK(*stored.find("acme_status") == json::value(ready));
}

TEST_CASE("a row deleted before the claim is a conflict __row_deleted__", "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(patch_fault("delete_row", 1));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::conflict);
  CHECK(outcome.conflicting_fields == std::vector<std::string>{"__row_deleted__"});
  CHECK(outcome.message.ends_with("conflicting fields: __row_deleted__"));
  CHECK(fx.row_in_dump().is_null());
}

TEST_CASE("a lost claim response: the resend 412s, the re-read shows the claim, one attempt",
          "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(json::parse(
      R"([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": "lost_response", "times": 1}])"));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::claimed);
  const auto patches = fx.claim_patches();
  REQUIRE(patches.size() == 2);
  CHECK(*patches[1].find("status") == json::value(412));
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{2}));  // counted once
  CHECK(*stored.find("acme_status") == json::value(in_progress));
  CHECK(*stored.find("acme_lastsession") == json::value(session));
  CHECK(etag_of(outcome.row_json) == stored.find("@odata.etag")->as_string());
  CHECK(outcome.counters.retries == 1);
}

TEST_CASE("claim transient exhaustion with the row unchanged fails", "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(json::parse(
      R"([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": "status", "status": 503, "times": -1}])"));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::failed);
  CHECK(
      outcome.message.starts_with("dataverse claim failed: Dataverse returned HTTP 503 for PATCH"));
  CHECK(fx.claim_patches().size() == 4);  // 1 + max_retries
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{1}));
  CHECK(*stored.find("@odata.etag") == json::value(etag_of(order.row_json)));
}

TEST_CASE("claim transient exhaustion with the verification read failing too is resume_needed",
          "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(json::parse(
      R"([{"match": {"method": "PATCH|GET", "path": "^acme_callqueues"}, "action": "status", "status": 503, "times": -1}])"));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::resume_needed);
  CHECK(outcome.message.starts_with("dataverse claim state unknown: Dataverse returned HTTP 503"));
  CHECK(outcome.message.find("verification read failed: Dataverse returned HTTP 503 for GET") !=
        std::string::npos);
  CHECK(outcome.row_json.empty());
}

TEST_CASE("a permanent answer to the claim is permanent, with nothing written", "[claim]") {
  claim_fixture fx;
  const auto order = fx.load();
  fx.emu.add_fault(json::parse(
      R"([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": "status", "status": 400, "times": 1}])"));
  const auto outcome = fx.claim(order);
  REQUIRE(outcome.status == claim_status::permanent);
  CHECK(outcome.message.starts_with("dataverse claim failed: Dataverse returned HTTP 400"));
  CHECK(fx.claim_patches().size() == 1);  // never resent
  CHECK(*fx.row_in_dump().find("acme_attempts") == json::value(std::int64_t{1}));
}

TEST_CASE("a bad claim order fails before any request", "[claim]") {
  claim_fixture fx;
  auto order = fx.load();
  const auto before = fx.emu.requests().as_array().size();
  SECTION("unreadable row") {
    order.row_json = "{not json";
  }
  SECTION("row not an object") {
    order.row_json = "[]";
  }
  SECTION("queue id not a GUID") {
    order.queue_item_id = queue_row + "'";
  }
  const auto outcome = fx.claim(order);
  CHECK(outcome.status == claim_status::failed);
  CHECK(outcome.message.starts_with("dataverse claim failed: "));
  CHECK(fx.emu.requests().as_array().size() == before);
  CHECK(*fx.row_in_dump().find("acme_attempts") == json::value(std::int64_t{1}));
}

TEST_CASE("two concurrent claims of one loaded row: one claimed, one conflict", "[claim]") {
  claim_fixture fx;
  const auto first = fx.load(session);
  auto second = first;
  second.session_id = other_session;
  // Both PATCHes are held until both arrived, then run in arrival order (conformance §10).
  fx.emu.add_fault(json::parse(
      R"([{"match": {"method": "PATCH", "path": "^acme_callqueues\\("}, "action": "barrier", "count": 2, "times": 2, "latency_ms": 5000}])"));
  caf::scoped_actor self{*fx.sys};
  std::vector<claim_outcome> outcomes;
  auto a = self->request(fx.emitter, caf::infinite, first);
  auto b = self->request(fx.emitter, caf::infinite, second);
  for (auto* handle : {&a, &b})
    handle->receive([&](claim_outcome& o) { outcomes.push_back(std::move(o)); },
                    [&](caf::error& e) { FAIL(fx.sys->render(e)); });
  REQUIRE(outcomes.size() == 2);
  const auto claimed = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o.status == claim_status::claimed;
  });
  const auto conflicts = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
    return o.status == claim_status::conflict;
  });
  CHECK(claimed == 1);
  CHECK(conflicts == 1);
  // Both PATCHes were sent with the load ETag; the second to run met the new one.
  const auto patches = fx.claim_patches();
  REQUIRE(patches.size() == 2);
  std::vector<json::value> statuses{*patches[0].find("status"), *patches[1].find("status")};
  std::sort(statuses.begin(), statuses.end(),
            [](const auto& x, const auto& y) { return x.as_int() < y.as_int(); });
  CHECK(statuses == std::vector<json::value>{json::value(200), json::value(412)});
  const auto stored = fx.row_in_dump();
  CHECK(*stored.find("acme_attempts") == json::value(std::int64_t{2}));
  CHECK(*stored.find("acme_status") == json::value(in_progress));
  for (const auto& o : outcomes)
    if (o.status == claim_status::conflict) {
      CHECK(o.conflicting_fields.front() == "acme_status");
    } else {
      CHECK(*stored.find("acme_lastsession") ==
            json::value(std::string(&o == &outcomes[0] ? session : other_session)));
    }
}
