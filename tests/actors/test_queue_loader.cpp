// The queue loader actor against the emulator (conformance.md §8): explicit and next-ready
// loads, SQL Server GUID order, empty vs unknown campaigns, unmapped status, facility names,
// the non-E.164 warning and eligibility — every load request carrying `$select`.

#include <catch2/catch.hpp>

#include "actors/queue_loader/queue_loader_actor.hpp"
#include "adapters/timezone/os_zone_database.hpp"
#include "tests/actors/emulated_dataverse.hpp"

using namespace opencloser;

namespace {

const std::string campaign = "c0000000-0000-4000-8000-00000000ca01";
const std::string other_campaign = "c0000000-0000-4000-8000-00000000ca02";
const std::string queue_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
// 2026-05-22 19:00 UTC is 14:00 in Chicago: inside the 09:00–20:00 window.
constexpr unix_ms frozen_now = 1'779'476'400'000;

struct loader_fixture : testing::emulated_dataverse {
  os_zone_database zones;
  queue_loader_actor loader;

  /// `drop_option`: a `queue_status.*` key removed from the mapping (an unmapped status).
  explicit loader_fixture(const std::string& drop_option = {}) {
    loader = sys->spawn(queue_loader, queue_loader_config{gateway,
                                                          testing::acme_mapping(drop_option),
                                                          {},
                                                          {},
                                                          &zones,
                                                          product_clock(frozen_now),
                                                          {}});
  }
  ~loader_fixture() { stop(loader); }  // before `zones` goes

  load_result load(std::string id, std::string campaign_value = {}) {
    return ask<load_result>(loader, load_order{"ses_00000000000000000000000000000001",
                                               "dec_1",
                                               std::move(id),
                                               std::move(campaign_value),
                                               {}});
  }

  void add_row(const std::string& id, std::string_view extra) {
    auto row = json::parse(R"({"acme_phone": "+15555550100", "acme_tz": "America/Chicago",
        "acme_attempts": 0, "acme_dnc": false, "acme_status": 100000000,
        "_acme_campaignid_value": ")" +
                           campaign + "\"" + std::string(extra) + "}");
    row.set("acme_callqueueid", id);
    emu.insert_row("acme_callqueue", row);
  }
};

}  // namespace

TEST_CASE("an explicit row loads with its facility name, baseline row and decision",
          "[queue_loader]") {
  loader_fixture fx;
  const auto r = fx.load(queue_row);
  REQUIRE(r.status == load_status::loaded);
  CHECK(r.item.queue_item_id == queue_row);
  CHECK(r.item.facility_name == "Maple Court ALF");
  CHECK(r.item.attempt_count == 1);
  CHECK(r.item.status == callable_status::ready);
  CHECK(r.decision.outcome == eligibility_outcome::allow);
  CHECK(r.decision.session_id == "ses_00000000000000000000000000000001");
  CHECK(json::parse(r.row_json).find("@odata.etag") != nullptr);
  CHECK(r.warnings.empty());
  CHECK(r.counters.requests == 2);  // the row, then the account's name
  const auto log = fx.emu.requests();
  for (const auto& entry : log.as_array())
    if (entry.find("path")->as_string() == "acme_callqueues")
      CHECK(entry.find("query")->as_string().find("$select=") != std::string::npos);
  CHECK(fx.writes() == 0);
}

TEST_CASE("an unknown explicit GUID is no-callable-item, a non-GUID fails before any request",
          "[queue_loader]") {
  loader_fixture fx;
  CHECK(fx.load("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff").status == load_status::no_callable_item);
  const auto before = fx.emu.requests().as_array().size();
  const auto bad = fx.load(queue_row + "\n");
  CHECK(bad.status == load_status::failed);
  CHECK(bad.message.starts_with("queue loader error: "));
  CHECK(fx.emu.requests().as_array().size() == before);
}

TEST_CASE("next ready: null next-attempt first, then older createdon, then SQL Server GUID order",
          "[queue_loader]") {
  loader_fixture fx;
  // Equal keys: ids that differ only in their last group, where text and SQL order agree.
  fx.add_row("00000000-0000-4000-8000-000000000003",
             R"(, "createdon": "2026-01-01T00:00:00.000Z")");
  fx.add_row("00000000-0000-4000-8000-000000000002",
             R"(, "createdon": "2026-01-01T00:00:00.000Z")");
  fx.add_row(
      "00000000-0000-4000-8000-000000000009",
      R"(, "createdon": "2025-01-01T00:00:00.000Z", "acme_nextattemptat": "2026-01-01T00:00:00Z")");
  CHECK(fx.load("", campaign).item.queue_item_id == "00000000-0000-4000-8000-000000000002");
  fx.emu.delete_row("acme_callqueue", "00000000-0000-4000-8000-000000000002");
  fx.emu.delete_row("acme_callqueue", "00000000-0000-4000-8000-000000000003");
  CHECK(fx.load("", campaign).item.queue_item_id == "00000000-0000-4000-8000-000000000009");
}

TEST_CASE("an unknown campaign fails, a campaign with nothing ready is no-callable-item",
          "[queue_loader]") {
  loader_fixture fx;
  const auto unknown = fx.load("", other_campaign);
  CHECK(unknown.status == load_status::failed);
  CHECK(unknown.message == "configured_campaign_not_found: campaign '" + other_campaign +
                               "' has zero queue items in Dataverse");
  fx.add_row("00000000-0000-4000-8000-000000000005", R"(, "acme_status": 100000002)");
  CHECK(fx.load("", campaign).status == load_status::no_callable_item);
  const auto not_guid = fx.load("", "spring-push");
  CHECK(not_guid.status == load_status::failed);
  CHECK(not_guid.message == "queue loader error: campaign 'spring-push' is not a GUID");
}

TEST_CASE("a missing account gives the raw id, a non-E.164 phone warns but is callable",
          "[queue_loader]") {
  loader_fixture fx;
  fx.emu.insert_row("acme_callqueue", json::parse(R"({"acme_callqueueid":
      "00000000-0000-4000-8000-000000000007", "acme_phone": "555-1234", "acme_status": 100000000,
      "acme_tz": "America/Chicago", "_acme_accountid_value": "5a1e0c6d-1111-4a2b-9c3d-0000000000ff"})"));
  const auto row = fx.load("00000000-0000-4000-8000-000000000007");
  REQUIRE(row.status == load_status::loaded);
  CHECK(row.item.facility_name == "5a1e0c6d-1111-4a2b-9c3d-0000000000ff");
  REQUIRE(row.warnings.size() == 1);
  CHECK(row.warnings[0].code == "non_e164_phone");
  CHECK(row.decision.outcome == eligibility_outcome::allow);
}

TEST_CASE("a row whose status the mapping does not map fails as a loader error", "[queue_loader]") {
  loader_fixture fx("queue_status.blocked");
  fx.emu.edit_row("acme_callqueue", queue_row, json::parse(R"({"acme_status": 100000003})"));
  const auto r = fx.load(queue_row);
  CHECK(r.status == load_status::failed);
  CHECK(r.message.starts_with("queue loader error: "));
  CHECK(fx.writes() == 1);  // only the test's own edit
}
