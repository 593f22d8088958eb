// The predecessor's Dataverse files (../shared/predecessor/dataverse/), read in place: its
// mapping artifact and its bare-rows seed must load unchanged (conformance.md §17).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/mapping/mapping_artifact.hpp"
#include "emulator/seed.hpp"

using namespace opencloser;
using namespace opencloser::emulator;
using Catch::Contains;

namespace {

std::filesystem::path predecessor_dir() {
  if (const char* env = std::getenv("OPENCLOSER_PREDECESSOR_DIR")) return env;
  return OPENCLOSER_PREDECESSOR_DIR;
}

std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(OPENCLOSER_TEST_FIXTURES) / relative;
}

std::vector<std::string> keys_of(const auto& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.key);
  return keys;
}

using strings = std::vector<std::string>;

const json::value& at(const row& r, std::string_view property) {
  const auto it = r.find(property);
  REQUIRE(it != r.end());
  return it->second;
}

}  // namespace

TEST_CASE("the predecessor's mapping artifact loads unchanged, in document order", "[mapping]") {
  const auto path = (predecessor_dir() / "dataverse" / "dataverse_mapping.json").string();
  INFO("predecessor mapping at " << path << " (set OPENCLOSER_PREDECESSOR_DIR)");
  REQUIRE(std::filesystem::is_regular_file(path));
  const mapping_artifact m = load_mapping_artifact(path);

  CHECK(m.meta.schema_version == "slice2-mapping-v1");
  CHECK(m.meta.discovered_at == "2026-05-22T00:00:00.000Z");
  CHECK(m.meta.dataverse_env_url == "https://fake.crm.dynamics.com");
  CHECK(m.meta.approved);
  CHECK(keys_of(m.entities) == strings{"queue_item", "phone_call_activity", "task", "account"});
  CHECK(m.entity("queue_item")->logical_name == "medx_callqueueitem");
  CHECK(m.entity("queue_item")->entity_set_name == "medx_callqueueitems");
  CHECK(m.entity("account")->primary_id == "accountid");
  CHECK(keys_of(m.fields) ==
        strings{"queue.facility_account", "queue.phone", "queue.timezone", "queue.attempt_count",
                "queue.max_attempts", "queue.dnc", "queue.status", "queue.last_disposition",
                "queue.last_session_id", "queue.last_error", "queue.next_attempt_at",
                "queue.campaign", "phone_call.idempotency_key", "task.idempotency_key",
                "task.owner"});
  const mapping_field& owner = *m.field("task.owner");
  CHECK(owner.entity == "task");
  CHECK(owner.type == "lookup");
  CHECK(owner.lookup_target == "systemuser,team");
  CHECK_FALSE(owner.approved_update_field);
  CHECK_FALSE(owner.navigation_property.has_value());
  CHECK(m.field("queue.dnc")->approved_update_field);
  CHECK_FALSE(m.field("queue.phone")->lookup_target.has_value());
  CHECK(keys_of(m.option_sets) == strings{"queue_status.ready", "queue_status.in_progress",
                                          "queue_status.completed", "queue_status.blocked",
                                          "queue_status.dnc"});
  CHECK(m.option("queue_status.dnc")->field == "queue.status");
  CHECK(m.option("queue_status.dnc")->value == 4);
  CHECK(m.task_owner_override_field == "medx_assignedownerid");
  CHECK(m.preserve_if_present == strings{"medx_notes", "medx_priority", "medx_ownernotes"});
  CHECK(mapping_readiness_error(m, true) == std::nullopt);
}

TEST_CASE("the predecessor's bare-rows seed loads after the medx tables seed", "[seed]") {
  const auto predecessor_seed = (predecessor_dir() / "dataverse" / "seed.json").string();
  INFO("predecessor seed at " << predecessor_seed << " (set OPENCLOSER_PREDECESSOR_DIR)");
  REQUIRE(std::filesystem::is_regular_file(predecessor_seed));
  const auto seed = load_seeds({fixture("emulator/medx_tables.json"), predecessor_seed});
  const auto* table = seed.tables.by_entity_set("medx_callqueueitems");
  REQUIRE(table);
  CHECK(table->primary_id == "medx_callqueueitemid");
  CHECK(table->activity_enabled);
  CHECK(seed.tables.by_logical_name("task")->attribute("medx_idempotencykey"));
  CHECK(seed.tables.by_logical_name("phonecall")->attribute("regardingobjectid")->targets ==
        std::vector<std::string>{"medx_callqueueitem"});
  REQUIRE(seed.rows.at("account").size() == 1);
  const auto& items = seed.rows.at("medx_callqueueitem");
  REQUIRE(items.size() == 1);
  CHECK(at(items[0], "medx_callqueueitemid") ==
        json::value("22222222-2222-2222-2222-222222222222"));
  CHECK(at(items[0], "_medx_campaignid_value") == json::value("alf-q2-davis"));
  CHECK(at(items[0], "medx_callstatus") == json::value(0));
  CHECK(at(items[0], "medx_assignedownerid").is_null());
  CHECK(at(items[0], "createdon") == json::value("2026-01-01T00:00:00.000Z"));
  // Without the table declarations the bare rows have nowhere to go.
  try {
    load_seeds({predecessor_seed});
    FAIL("accepted");
  } catch (const seed_error& e) {
    CHECK_THAT(e.what(), Contains("emulator seed '" + predecessor_seed + "'") &&
                             Contains("unknown table 'medx_callqueueitem'"));
  }
}
