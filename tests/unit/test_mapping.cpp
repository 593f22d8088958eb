// The mapping artifact loader (fixtures.md §6) and the mapping readiness checks
// (dataverse.md §3.1 steps 5–7).
#include <string>
#include <vector>

#include "adapters/mapping/mapping_artifact.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using namespace opencloser;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using opencloser::testing::fixture;
using opencloser::testing::temp_dir;

// The smallest structurally valid artifact; each validation test breaks one thing in it.
constexpr const char* minimal_text = R"({
  "_meta": {"schema_version": "slice2-mapping-v1", "discovered_at": "2026-06-01T12:00:00.000Z",
            "dataverse_env_url": "https://acme.crm.dynamics.com"},
  "entities": {"queue_item": {"logical_name": "acme_callqueue"}},
  "fields": {"queue.status": {"entity": "queue_item", "logical_name": "acme_status", "type": "optionset"}},
  "option_sets": {"queue_status.ready": {"field": "queue.status", "value": 100000000}}
})";

json::value minimal() {
  return json::parse(minimal_text);
}

/// The member `key` of an object (it must exist), for editing a document in place.
json::value& at(json::value& object, std::string_view key) {
  for (auto& [k, v] : object.as_object())
    if (k == key) return v;
  FAIL("no member " << key);
  throw std::logic_error("unreachable");
}

json::value& meta(json::value& doc) {
  return at(doc, "_meta");
}
json::value& queue_entity(json::value& doc) {
  return at(at(doc, "entities"), "queue_item");
}
json::value& status_field(json::value& doc) {
  return at(at(doc, "fields"), "queue.status");
}
json::value& ready_option(json::value& doc) {
  return at(at(doc, "option_sets"), "queue_status.ready");
}

void erase(json::value& object, std::string_view key) {
  std::erase_if(object.as_object(), [&](const auto& m) { return m.first == key; });
}

std::vector<std::string> keys_of(const auto& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.key);
  return keys;
}

using strings = std::vector<std::string>;

}  // namespace

// ---- Valid artifacts -----------------------------------------------------------------------

TEST_CASE("the fixtures.md §6 example loads but lacks the task key field", "[mapping]") {
  const mapping_artifact m = load_mapping_artifact(fixture("mapping/spec_example.json"));
  CHECK(m.meta.approved);
  CHECK(keys_of(m.entities) == strings{"queue_item", "phone_call_activity", "task"});
  CHECK(keys_of(m.fields) == strings{"queue.phone", "queue.status", "queue.campaign",
                                     "phone_call.idempotency_key", "phone_call.regarding"});
  const mapping_field& regarding = *m.field("phone_call.regarding");
  CHECK(regarding.lookup_target == "acme_callqueue");
  CHECK(regarding.navigation_property == "regardingobjectid_acme_callqueue_phonecall");
  CHECK(m.option("queue_status.in_progress")->value == 100000001);
  CHECK(m.option("queue_status.dnc") == nullptr);
  CHECK(m.task_owner_override_field == "acme_owneroverride");
  CHECK(m.preserve_if_present == strings{"acme_notes"});
  CHECK(mapping_readiness_error(m, false) ==
        "idempotency-key field(s) not mapped: task.idempotency_key");
}

TEST_CASE("the acme_callqueue mapping is complete and ready for every run kind", "[mapping]") {
  const mapping_artifact m = load_mapping_artifact(fixture("mapping/acme_callqueue.json"));
  CHECK(m.meta.approved);
  CHECK(keys_of(m.entities) == strings{"queue_item", "phone_call_activity", "task", "account"});
  CHECK(m.entity("queue_item")->logical_name == "acme_callqueue");
  CHECK(m.entity("queue_item")->primary_id == "acme_callqueueid");
  CHECK(m.field("queue.status")->logical_name == "acme_status");
  CHECK(m.field("queue.facility_account")->lookup_target == "account");
  CHECK(m.field("phone_call.idempotency_key")->entity == "phone_call_activity");
  CHECK(m.field("task.idempotency_key")->logical_name == "acme_idemkey");
  CHECK(m.option("queue_status.ready")->value == 100000000);
  CHECK(m.option("queue_status.dnc")->value == 100000004);
  CHECK(m.task_owner_override_field == "acme_owneroverride");
  CHECK(m.preserve_if_present == strings{"acme_notes"});
  CHECK(unmapped_key_fields(m).empty());
  CHECK(misbound_key_fields(m).empty());
  CHECK(missing_required_entries(m, true).empty());
  CHECK(mapping_readiness_error(m, true) == std::nullopt);
}

TEST_CASE("mapping defaults: approved false, null names, no override, nothing preserved",
          "[mapping]") {
  const mapping_artifact m = mapping_from_json(minimal());
  CHECK_FALSE(m.meta.approved);
  CHECK_FALSE(m.entity("queue_item")->entity_set_name.has_value());
  CHECK_FALSE(m.entity("queue_item")->primary_id.has_value());
  CHECK_FALSE(m.field("queue.status")->approved_update_field);
  CHECK_FALSE(m.field("queue.status")->lookup_target.has_value());
  CHECK_FALSE(m.field("queue.status")->navigation_property.has_value());
  CHECK_FALSE(m.task_owner_override_field.has_value());
  CHECK(m.preserve_if_present.empty());

  auto doc = minimal();
  queue_entity(doc).set("entity_set_name", nullptr);
  queue_entity(doc).set("primary_id", nullptr);
  status_field(doc).set("lookup_target", nullptr);
  doc.set("task_owner_override_field", nullptr);
  const mapping_artifact nulls = mapping_from_json(doc);
  CHECK_FALSE(nulls.entity("queue_item")->entity_set_name.has_value());
  CHECK_FALSE(nulls.field("queue.status")->lookup_target.has_value());
  CHECK_FALSE(nulls.task_owner_override_field.has_value());
}

TEST_CASE("mapping: fields and option sets are optional sections", "[mapping]") {
  auto doc = minimal();
  erase(doc, "option_sets");
  erase(doc, "fields");
  const mapping_artifact m = mapping_from_json(doc);
  CHECK(m.fields.empty());
  CHECK(m.option_sets.empty());
  CHECK(m.entities.size() == 1);
}

TEST_CASE("mapping: unknown keys are ignored at every level", "[mapping]") {
  auto doc = minimal();
  doc.set("_comment", "top");
  meta(doc).set("_comment", "meta");
  meta(doc).set("extra", json::array{1, 2});
  queue_entity(doc).set("display_name", "Call queue");
  status_field(doc).set("description", json::object{});
  ready_option(doc).set("label", "Ready");
  const mapping_artifact m = mapping_from_json(doc);
  CHECK(m.entity("queue_item")->logical_name == "acme_callqueue");
  CHECK(m.option("queue_status.ready")->value == 100000000);
}

TEST_CASE("mapping: any schema_version string is accepted, as by the predecessor", "[mapping]") {
  auto doc = minimal();
  meta(doc).set("schema_version", "slice2-mapping-v0");
  CHECK(mapping_from_json(doc).meta.schema_version == "slice2-mapping-v0");
}

TEST_CASE(
    "mapping: entries keep document order, a repeated key keeps its first place and last "
    "value",
    "[mapping]") {
  const auto doc = json::parse(R"({
    "_meta": {"schema_version": "v", "discovered_at": "d", "dataverse_env_url": "u"},
    "entities": {"task": {"logical_name": "task"}, "queue_item": {"logical_name": "first"},
                 "account": {"logical_name": "account"}, "queue_item": {"logical_name": "last"}},
    "option_sets": {}
  })");
  const mapping_artifact m = mapping_from_json(doc);
  CHECK(keys_of(m.entities) == strings{"task", "queue_item", "account"});
  CHECK(m.entity("queue_item")->logical_name == "last");
}

// ---- Files ---------------------------------------------------------------------------------

TEST_CASE("mapping file: a missing file is a mapping error naming it", "[mapping]") {
  temp_dir dir;
  const auto path = (dir.path / "absent.json").string();
  REQUIRE_THROWS_MATCHES(load_mapping_artifact(path), mapping_error,
                         Catch::Message("mapping artifact error: file '" + path + "' not found"));
}

TEST_CASE("mapping file: a directory is not a regular file", "[mapping]") {
  temp_dir dir;
  REQUIRE_THROWS_MATCHES(
      load_mapping_artifact(dir.path), mapping_error,
      Catch::Message("mapping artifact error: '" + dir.path.string() + "' is not a regular file"));
}

TEST_CASE("mapping file: bytes that are not UTF-8 are rejected", "[mapping]") {
  temp_dir dir;
  const auto path = dir.write("latin1.json", "{\"_meta\": \"caf\xE9\"}");
  REQUIRE_THROWS_MATCHES(
      load_mapping_artifact(path), mapping_error,
      Catch::Message("mapping artifact error: '" + path + "' is not valid UTF-8"));
}

TEST_CASE("mapping file: text that is not JSON names the parser's reason", "[mapping]") {
  temp_dir dir;
  const auto path = dir.write("broken.json", "{\"_meta\": ");
  REQUIRE_THROWS_WITH(
      load_mapping_artifact(path),
      StartsWith("mapping artifact error: '" + path + "' is not valid JSON (") && EndsWith(")"));
  const auto empty = dir.write("empty.json", "");
  REQUIRE_THROWS_WITH(load_mapping_artifact(empty),
                      StartsWith("mapping artifact error: '" + empty + "' is not valid JSON ("));
}

TEST_CASE("mapping file: a UTF-8 byte order mark is rejected", "[mapping]") {
  temp_dir dir;
  const auto path = dir.write("bom.json", std::string("\xEF\xBB\xBF") + minimal_text);
  REQUIRE_THROWS_WITH(load_mapping_artifact(path),
                      "mapping artifact error: '" + path +
                          "' is not valid JSON (UTF-8 byte order mark is not allowed)");
}

TEST_CASE("mapping file: the root must be an object", "[mapping]") {
  temp_dir dir;
  const auto path = dir.write("array.json", "[]");
  REQUIRE_THROWS_WITH(load_mapping_artifact(path),
                      "mapping artifact error: the root must be an object (got an array)");
}

TEST_CASE("mapping file: a valid file loads through the same validation", "[mapping]") {
  temp_dir dir;
  const auto path = dir.write("ok.json", minimal_text);
  CHECK(load_mapping_artifact(path).field("queue.status")->type == "optionset");
}

// ---- _meta ---------------------------------------------------------------------------------

TEST_CASE("mapping _meta is required and must be an object", "[mapping]") {
  auto doc = minimal();
  erase(doc, "_meta");
  REQUIRE_THROWS_WITH(mapping_from_json(doc), "mapping artifact error: _meta is required");
  doc.set("_meta", "v1");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: _meta must be an object (got a string)");
}

TEST_CASE("mapping _meta strings are required and must be strings", "[mapping]") {
  for (const char* key : {"schema_version", "discovered_at", "dataverse_env_url"}) {
    auto doc = minimal();
    erase(meta(doc), key);
    REQUIRE_THROWS_WITH(mapping_from_json(doc),
                        std::string("mapping artifact error: _meta.") + key + " is required");
    meta(doc).set(key, 1);
    REQUIRE_THROWS_WITH(mapping_from_json(doc), std::string("mapping artifact error: _meta.") +
                                                    key + " must be a string (got an integer)");
  }
}

TEST_CASE("mapping _meta.approved must be a boolean", "[mapping]") {
  auto doc = minimal();
  meta(doc).set("approved", "true");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: _meta.approved must be a boolean (got a string)");
  meta(doc).set("approved", true);
  CHECK(mapping_from_json(doc).meta.approved);
}

// ---- entities ------------------------------------------------------------------------------

TEST_CASE("mapping entities are required, an object, and not empty", "[mapping]") {
  auto doc = minimal();
  erase(doc, "entities");
  REQUIRE_THROWS_WITH(mapping_from_json(doc), "mapping artifact error: entities is required");
  doc.set("entities", json::array{});
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: entities must be an object (got an array)");
  doc.set("entities", json::object{});
  REQUIRE_THROWS_WITH(mapping_from_json(doc), "mapping artifact error: entities must not be empty");
}

TEST_CASE("mapping entity entries are objects with a string logical_name", "[mapping]") {
  auto doc = minimal();
  at(doc, "entities").set("task", "task");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: entities.task must be an object (got a string)");

  doc = minimal();
  erase(queue_entity(doc), "logical_name");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: entities.queue_item.logical_name is required");
  queue_entity(doc).set("logical_name", nullptr);
  REQUIRE_THROWS_WITH(
      mapping_from_json(doc),
      "mapping artifact error: entities.queue_item.logical_name must be a string (got null)");
}

TEST_CASE("mapping entity entity_set_name and primary_id are strings or null", "[mapping]") {
  for (const char* key : {"entity_set_name", "primary_id"}) {
    auto doc = minimal();
    queue_entity(doc).set(key, false);
    REQUIRE_THROWS_WITH(mapping_from_json(doc),
                        std::string("mapping artifact error: entities.queue_item.") + key +
                            " must be a string or null (got a boolean)");
  }
}

// ---- fields --------------------------------------------------------------------------------

TEST_CASE("mapping fields must be an object of objects", "[mapping]") {
  auto doc = minimal();
  doc.set("fields", nullptr);
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields must be an object (got null)");
  doc = minimal();
  at(doc, "fields").set("queue.phone", json::array{});
  REQUIRE_THROWS_WITH(
      mapping_from_json(doc),
      "mapping artifact error: fields.queue.phone must be an object (got an array)");
}

TEST_CASE("mapping field entity is required and must name an entity key", "[mapping]") {
  auto doc = minimal();
  erase(status_field(doc), "entity");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.entity is required");
  status_field(doc).set("entity", "acme_callqueue");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.entity must be one of the "
                      "entity keys queue_item (got 'acme_callqueue')");
}

TEST_CASE("mapping field logical_name is a required string", "[mapping]") {
  auto doc = minimal();
  erase(status_field(doc), "logical_name");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.logical_name is required");
  status_field(doc).set("logical_name", json::array{"acme_status"});
  REQUIRE_THROWS_WITH(
      mapping_from_json(doc),
      "mapping artifact error: fields.queue.status.logical_name must be a string (got an array)");
}

TEST_CASE("mapping field type is one of the six column types", "[mapping]") {
  auto doc = minimal();
  status_field(doc).set("type", "picklist");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.type must be one of string, "
                      "integer, boolean, optionset, lookup, datetime (got 'picklist')");
  erase(status_field(doc), "type");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.type is required");
  for (const char* type : {"string", "integer", "boolean", "optionset", "lookup", "datetime"}) {
    status_field(doc).set("type", type);
    CHECK(mapping_from_json(doc).field("queue.status")->type == type);
  }
}

TEST_CASE("mapping field lookup_target is a string or null", "[mapping]") {
  auto doc = minimal();
  status_field(doc).set("lookup_target", json::array{"systemuser", "team"});
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.lookup_target must be a string "
                      "or null (got an array)");
}

TEST_CASE("mapping field approved_update_field is a boolean", "[mapping]") {
  auto doc = minimal();
  status_field(doc).set("approved_update_field", 1);
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.approved_update_field must be a "
                      "boolean (got an integer)");
  status_field(doc).set("approved_update_field", true);
  CHECK(mapping_from_json(doc).field("queue.status")->approved_update_field);
}

TEST_CASE("mapping field navigation_property is a string or null", "[mapping]") {
  auto doc = minimal();
  status_field(doc).set("navigation_property", json::object{});
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: fields.queue.status.navigation_property must be a "
                      "string or null (got an object)");
  status_field(doc).set("navigation_property", "regardingobjectid_acme_callqueue_phonecall");
  CHECK(mapping_from_json(doc).field("queue.status")->navigation_property ==
        "regardingobjectid_acme_callqueue_phonecall");
}

// ---- option_sets ---------------------------------------------------------------------------

TEST_CASE("mapping option_sets must be an object", "[mapping]") {
  auto doc = minimal();
  doc.set("option_sets", json::array{});
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: option_sets must be an object (got an array)");
}

TEST_CASE("mapping option keys are queue_status.<one of the five statuses>", "[mapping]") {
  for (const char* key :
       {"queue_status.paused", "status.ready", "queue_status.", "ready", "queue_status.READY"}) {
    auto doc = minimal();
    at(doc, "option_sets").set(key, json::object{{"field", "queue.status"}, {"value", 7}});
    REQUIRE_THROWS_WITH(mapping_from_json(doc),
                        std::string("mapping artifact error: option_sets key '") + key +
                            "' must be queue_status.<status> with <status> one of ready, "
                            "in_progress, completed, blocked, dnc");
  }
}

TEST_CASE("mapping option entries are objects", "[mapping]") {
  auto doc = minimal();
  at(doc, "option_sets").set("queue_status.dnc", 100000004);
  REQUIRE_THROWS_WITH(
      mapping_from_json(doc),
      "mapping artifact error: option_sets.queue_status.dnc must be an object (got an integer)");
}

TEST_CASE("mapping option field is required and must name a field key", "[mapping]") {
  auto doc = minimal();
  erase(ready_option(doc), "field");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: option_sets.queue_status.ready.field is required");
  ready_option(doc).set("field", "acme_status");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: option_sets.queue_status.ready.field must be a "
                      "field key (got 'acme_status')");
}

TEST_CASE("mapping option value is a required integer, booleans and decimals are not",
          "[mapping]") {
  auto doc = minimal();
  erase(ready_option(doc), "value");
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: option_sets.queue_status.ready.value is required");
  const std::string prefix =
      "mapping artifact error: option_sets.queue_status.ready.value must be an integer (got ";
  ready_option(doc).set("value", true);
  REQUIRE_THROWS_WITH(mapping_from_json(doc), prefix + "a boolean)");
  ready_option(doc).set("value", 1.5);
  REQUIRE_THROWS_WITH(mapping_from_json(doc), prefix + "a number)");
  ready_option(doc).set("value", "100000000");
  REQUIRE_THROWS_WITH(mapping_from_json(doc), prefix + "a string)");
  ready_option(doc).set("value", -1);
  CHECK(mapping_from_json(doc).option("queue_status.ready")->value == -1);
}

// ---- task_owner_override_field, preserve_if_present ------------------------------------------

TEST_CASE("mapping task_owner_override_field is a string or null", "[mapping]") {
  auto doc = minimal();
  doc.set("task_owner_override_field", 3);
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: task_owner_override_field must be a string or null "
                      "(got an integer)");
  doc.set("task_owner_override_field", "acme_owneroverride");
  CHECK(mapping_from_json(doc).task_owner_override_field == "acme_owneroverride");
}

TEST_CASE("mapping preserve_if_present is an array of strings", "[mapping]") {
  auto doc = minimal();
  doc.set("preserve_if_present", "acme_notes");
  REQUIRE_THROWS_WITH(
      mapping_from_json(doc),
      "mapping artifact error: preserve_if_present must be an array (got a string)");
  doc.set("preserve_if_present", nullptr);
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: preserve_if_present must be an array (got null)");
  doc.set("preserve_if_present", json::array{"acme_notes", 2});
  REQUIRE_THROWS_WITH(mapping_from_json(doc),
                      "mapping artifact error: preserve_if_present[1] must be a string (got an "
                      "integer)");
  doc.set("preserve_if_present", json::array{"acme_notes", "acme_priority"});
  CHECK(mapping_from_json(doc).preserve_if_present == strings{"acme_notes", "acme_priority"});
}

// ---- Readiness (dataverse.md §3.1 steps 5–7) -------------------------------------------------

namespace {
mapping_artifact acme() {
  return load_mapping_artifact(fixture("mapping/acme_callqueue.json"));
}

void drop_field(mapping_artifact& m, std::string_view key) {
  std::erase_if(m.fields, [&](const auto& f) { return f.key == key; });
}
void drop_option(mapping_artifact& m, std::string_view key) {
  std::erase_if(m.option_sets, [&](const auto& o) { return o.key == key; });
}
mapping_field& field_of(mapping_artifact& m, std::string_view key) {
  return const_cast<mapping_field&>(*m.field(key));
}
}  // namespace

TEST_CASE("readiness step 5 names every unmapped idempotency-key field", "[mapping]") {
  auto m = acme();
  drop_field(m, "task.idempotency_key");
  CHECK(unmapped_key_fields(m) == strings{"task.idempotency_key"});
  drop_field(m, "phone_call.idempotency_key");
  CHECK(unmapped_key_fields(m) == strings{"phone_call.idempotency_key", "task.idempotency_key"});
  CHECK(mapping_readiness_error(m, false) ==
        "idempotency-key field(s) not mapped: phone_call.idempotency_key, task.idempotency_key");
}

TEST_CASE("readiness step 6 names key fields bound to the wrong entity", "[mapping]") {
  auto m = acme();
  field_of(m, "phone_call.idempotency_key").entity = "task";
  CHECK(misbound_key_fields(m) ==
        strings{"phone_call.idempotency_key → entity 'task' (expected 'phone_call_activity')"});
  field_of(m, "task.idempotency_key").entity = "queue_item";
  CHECK(mapping_readiness_error(m, false) ==
        "idempotency-key field(s) bound to the wrong entity: phone_call.idempotency_key → "
        "entity 'task' (expected 'phone_call_activity'), task.idempotency_key → entity "
        "'queue_item' (expected 'task')");
}

TEST_CASE("readiness step 5 comes before step 6 and step 7", "[mapping]") {
  auto m = acme();
  drop_field(m, "task.idempotency_key");
  field_of(m, "phone_call.idempotency_key").entity = "task";
  drop_option(m, "queue_status.in_progress");
  CHECK(mapping_readiness_error(m, false) ==
        "idempotency-key field(s) not mapped: task.idempotency_key");
}

TEST_CASE("readiness step 7: a missing option or an unapproved attempt count", "[mapping]") {
  auto m = acme();
  drop_option(m, "queue_status.in_progress");
  field_of(m, "queue.attempt_count").approved_update_field = false;
  CHECK(missing_required_entries(m, false) == strings{"option_sets.queue_status.in_progress",
                                                      "fields.queue.attempt_count (not approved)"});
  CHECK(mapping_readiness_error(m, false) ==
        "mapping lacks required entries: option_sets.queue_status.in_progress, "
        "fields.queue.attempt_count (not approved)");
}

TEST_CASE("readiness step 7 lists every required entry in the order of dataverse.md §2",
          "[mapping]") {
  mapping_artifact m;
  m.fields.push_back(
      {"phone_call.idempotency_key", "phone_call_activity", "k", "string", {}, false, {}});
  m.fields.push_back({"task.idempotency_key", "task", "k", "string", {}, false, {}});
  const strings all_but_selection{"entities.queue_item",
                                  "entities.phone_call_activity",
                                  "entities.task",
                                  "fields.queue.status",
                                  "option_sets.queue_status.ready",
                                  "option_sets.queue_status.in_progress",
                                  "option_sets.queue_status.completed",
                                  "option_sets.queue_status.blocked",
                                  "option_sets.queue_status.dnc",
                                  "fields.queue.last_session_id",
                                  "fields.queue.attempt_count",
                                  "fields.queue.dnc",
                                  "fields.queue.phone",
                                  "fields.queue.timezone"};
  CHECK(missing_required_entries(m, false) == all_but_selection);
  strings with_selection = all_but_selection;
  with_selection.push_back("fields.queue.campaign");
  with_selection.push_back("fields.queue.next_attempt_at");
  CHECK(missing_required_entries(m, true) == with_selection);
}

TEST_CASE("readiness step 7: selection keys are required only for next-ready and drain",
          "[mapping]") {
  auto m = acme();
  drop_field(m, "queue.campaign");
  drop_field(m, "queue.next_attempt_at");
  CHECK(missing_required_entries(m, false).empty());
  CHECK(mapping_readiness_error(m, true) ==
        "mapping lacks required entries: fields.queue.campaign, fields.queue.next_attempt_at");
}

TEST_CASE(
    "readiness step 7: queue.status must be an approved option set, and the status "
    "options must be on it",
    "[mapping]") {
  auto m = acme();
  field_of(m, "queue.status").type = "integer";
  field_of(m, "queue.status").approved_update_field = false;
  field_of(m, "queue.dnc").approved_update_field = false;
  const_cast<mapping_option&>(*m.option("queue_status.blocked")).field = "queue.attempt_count";
  CHECK(missing_required_entries(m, false) ==
        strings{"fields.queue.status (not optionset, not approved)",
                "option_sets.queue_status.blocked (not on queue.status)",
                "fields.queue.dnc (not approved)"});
}

TEST_CASE("readiness step 7: optional entries may be absent", "[mapping]") {
  auto m = acme();
  for (std::string_view key : {"queue.facility_account", "queue.last_disposition",
                               "queue.last_error", "queue.campaign", "queue.next_attempt_at"})
    drop_field(m, key);
  std::erase_if(m.entities, [](const auto& e) { return e.key == "account"; });
  m.task_owner_override_field.reset();
  m.preserve_if_present.clear();
  CHECK(mapping_readiness_error(m, false) == std::nullopt);
}

TEST_CASE("lookup_property selects lookup columns as _<c>_value, others by name", "[mapping]") {
  const auto m = acme();
  CHECK(lookup_property(*m.field("queue.campaign")) == "_acme_campaignid_value");
  CHECK(lookup_property(*m.field("queue.facility_account")) == "_acme_accountid_value");
  CHECK(lookup_property(*m.field("queue.status")) == "acme_status");
  CHECK(lookup_property(*m.field("queue.next_attempt_at")) == "acme_nextattempt");
}
