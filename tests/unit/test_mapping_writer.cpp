// The artifact `discover-crm` writes (dataverse.md §3.3): contents, defaults, regarding
// entries, dropped unknown keys, the artifact encoding and the reload (reverse) check.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/dataverse/resolved_mapping.hpp"
#include "adapters/mapping/mapping_artifact.hpp"
#include "adapters/mapping/mapping_writer.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using namespace opencloser;
using Catch::Matchers::Contains;
using opencloser::testing::fixture;
using opencloser::testing::read_file;
using opencloser::testing::temp_dir;

constexpr const char* now = "2026-07-02T09:30:00.123Z";
constexpr const char* live_phone_nav = "regardingobjectid_acme_callqueue_phonecall_live";
constexpr const char* live_task_nav = "regardingobjectid_acme_callqueue_task_live";

/// What a successful verification of `scaffold` resolves, written by hand: live names for the
/// three required tables and live regarding properties that differ from any mapped ones, so a
/// test can tell which one was written.
dataverse::resolved_mapping live_for(const mapping_artifact& scaffold) {
  dataverse::resolved_mapping live;
  live.artifact = scaffold;
  live.queue = {"acme_callqueue", "acme_callqueues", "acme_callqueueid"};
  live.phone_call = {"phonecall", "phonecalls", "activityid"};
  live.task = {"task", "tasks", "activityid"};
  live.name_table = dataverse::resolved_table{"account", "accounts", "accountid"};
  live.name_table_primary_name = "name";
  live.queue_lookup_columns = {"acme_accountid", "acme_campaignid"};
  live.phone_call_regarding = live_phone_nav;
  live.task_regarding = live_task_nav;
  return live;
}

std::vector<std::string> keys_of(const json::value& object) {
  std::vector<std::string> out;
  for (const auto& [key, value] : object.as_object()) out.push_back(key);
  return out;
}

template <class Entries>
std::vector<std::string> keys_of(const Entries& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.key);
  return out;
}

void require_same_entity(const mapping_entity& a, const mapping_entity& b) {
  INFO("entity " << a.key);
  CHECK(a.key == b.key);
  CHECK(a.logical_name == b.logical_name);
  CHECK(a.entity_set_name == b.entity_set_name);
  CHECK(a.primary_id == b.primary_id);
}

void require_same_field(const mapping_field& a, const mapping_field& b) {
  INFO("field " << a.key);
  CHECK(a.key == b.key);
  CHECK(a.entity == b.entity);
  CHECK(a.logical_name == b.logical_name);
  CHECK(a.type == b.type);
  CHECK(a.lookup_target == b.lookup_target);
  CHECK(a.approved_update_field == b.approved_update_field);
  CHECK(a.navigation_property == b.navigation_property);
}

/// A sorted copy of entries by key: the file's order (the artifact encoding sorts keys).
template <class Entries>
Entries by_key(Entries entries) {
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.key < b.key; });
  return entries;
}

const json::value& at(const json::value& object, std::string_view key) {
  const json::value* v = object.find(key);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("discovered mapping: meta is reset to unapproved with discovered_at = now",
          "[mapping_writer]") {
  const auto scaffold = load_mapping_artifact(fixture("emulator/acme_mapping.json"));
  REQUIRE(scaffold.meta.approved);
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), true, now);
  const json::value& meta = at(doc, "_meta");
  CHECK(at(meta, "approved") == json::value(false));
  CHECK(at(meta, "discovered_at") == json::value(now));
  CHECK(at(meta, "schema_version") == json::value("slice2-mapping-v1"));
  CHECK(at(meta, "dataverse_env_url") == json::value("https://acme.crm.dynamics.com"));
  // The scaffold's `_meta._comment` is an unknown key: dropped.
  CHECK(keys_of(meta) == std::vector<std::string>{"schema_version", "discovered_at",
                                                  "dataverse_env_url", "approved"});
}

TEST_CASE("discovered mapping: regarding entries are replaced in place with the live property",
          "[mapping_writer]") {
  const auto scaffold = load_mapping_artifact(fixture("emulator/acme_mapping.json"));
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), true, now);
  const json::value& fields = at(doc, "fields");
  // Same keys, same order: both regarding entries existed and kept their position.
  CHECK(keys_of(fields) == keys_of(scaffold.fields));
  const json::object expected_phone{{"entity", "phone_call_activity"},
                                    {"logical_name", "regardingobjectid"},
                                    {"type", "lookup"},
                                    {"lookup_target", "acme_callqueue"},
                                    {"approved_update_field", false},
                                    {"navigation_property", live_phone_nav}};
  CHECK(at(fields, "phone_call.regarding") == json::value(expected_phone));
  CHECK(at(at(fields, "task.regarding"), "navigation_property") == json::value(live_task_nav));
  CHECK(at(at(fields, "task.regarding"), "entity") == json::value("task"));
}

TEST_CASE("discovered mapping: lookup_target of a regarding entry is the live queue table",
          "[mapping_writer]") {
  auto scaffold = load_mapping_artifact(fixture("mapping/spec_example.json"));
  auto live = live_for(scaffold);
  live.queue.logical_name = "contoso_queue";  // what the verifier resolved, not what was mapped
  const auto doc = discovered_mapping_json(scaffold, live, true, now);
  CHECK(at(at(at(doc, "fields"), "phone_call.regarding"), "lookup_target") ==
        json::value("contoso_queue"));
  CHECK(at(at(at(doc, "fields"), "task.regarding"), "lookup_target") ==
        json::value("contoso_queue"));
}

TEST_CASE("discovered mapping: missing regarding entries are appended after the scaffold's",
          "[mapping_writer]") {
  const auto scaffold = load_mapping_artifact(fixture("mapping/acme_callqueue.json"));
  REQUIRE_FALSE(scaffold.field("phone_call.regarding"));
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), true, now);
  auto expected = keys_of(scaffold.fields);
  expected.push_back("phone_call.regarding");
  expected.push_back("task.regarding");
  CHECK(keys_of(at(doc, "fields")) == expected);
  CHECK(at(at(at(doc, "fields"), "task.regarding"), "type") == json::value("lookup"));
}

TEST_CASE("discovered mapping: without link_regarding the fields are the scaffold's as is",
          "[mapping_writer]") {
  const auto callqueue = load_mapping_artifact(fixture("mapping/acme_callqueue.json"));
  auto live = live_for(callqueue);
  live.phone_call_regarding.reset();
  live.task_regarding.reset();
  const auto doc = discovered_mapping_json(callqueue, live, false, now);
  CHECK(keys_of(at(doc, "fields")) == keys_of(callqueue.fields));

  // A mapped regarding entry is kept with its mapped navigation property.
  const auto acme = load_mapping_artifact(fixture("emulator/acme_mapping.json"));
  const auto acme_doc = discovered_mapping_json(acme, live_for(acme), false, now);
  CHECK(at(at(at(acme_doc, "fields"), "phone_call.regarding"), "navigation_property") ==
        json::value("regardingobjectid_acme_callqueue_phonecall"));
}

TEST_CASE("discovered mapping: defaults are materialised, null names stay null",
          "[mapping_writer]") {
  const auto scaffold = mapping_from_json(json::parse(R"({
    "_meta": {"schema_version": "slice2-mapping-v1", "discovered_at": "2026-06-01T12:00:00.000Z",
              "dataverse_env_url": "https://acme.crm.dynamics.com", "approved": true},
    "entities": {"queue_item": {"logical_name": "acme_callqueue", "entity_set_name": null},
                 "phone_call_activity": {"logical_name": "phonecall"},
                 "task": {"logical_name": "task"}},
    "fields": {"queue.phone": {"entity": "queue_item", "logical_name": "acme_phone", "type": "string"},
               "queue.owner": {"entity": "queue_item", "logical_name": "ownerid", "type": "lookup"}}
  })"));
  // The verifier resolved live names, but discovery does not write them (§3.3 "never invents").
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), false, now);
  const json::object null_names{
      {"logical_name", "acme_callqueue"}, {"entity_set_name", nullptr}, {"primary_id", nullptr}};
  CHECK(at(at(doc, "entities"), "queue_item") == json::value(null_names));
  const json::object phone{{"entity", "queue_item"},
                           {"logical_name", "acme_phone"},
                           {"type", "string"},
                           {"lookup_target", nullptr},
                           {"approved_update_field", false}};
  CHECK(at(at(doc, "fields"), "queue.phone") == json::value(phone));
  CHECK_FALSE(at(at(doc, "fields"), "queue.owner").contains("navigation_property"));
  CHECK(at(doc, "option_sets") == json::value(json::object{}));
  CHECK(at(doc, "task_owner_override_field") == json::value(nullptr));
  CHECK(at(doc, "preserve_if_present") == json::value(json::array{}));

  const auto bytes = json::write_artifact(doc);
  CHECK_THAT(bytes, Contains("\"option_sets\": {},\n"));
  CHECK_THAT(bytes, Contains("\"preserve_if_present\": [],\n"));
}

TEST_CASE("discovered mapping: unknown keys are dropped at every level", "[mapping_writer]") {
  const auto scaffold = mapping_from_json(json::parse(R"({
    "_meta": {"schema_version": "v", "discovered_at": "2026-06-01T12:00:00.000Z",
              "dataverse_env_url": "https://x", "_comment": "unknown_meta"},
    "entities": {"queue_item": {"logical_name": "q", "unknown_entity": 1}},
    "fields": {"queue.status": {"entity": "queue_item", "logical_name": "s", "type": "optionset",
                                "unknown_field": true}},
    "option_sets": {"queue_status.ready": {"field": "queue.status", "value": 1, "unknown_option": 2}},
    "unknown_root": {"a": 1}
  })"));
  const auto bytes =
      json::write_artifact(discovered_mapping_json(scaffold, live_for(scaffold), false, now));
  for (const char* unknown : {"_comment", "unknown_meta", "unknown_entity", "unknown_field",
                              "unknown_option", "unknown_root"}) {
    INFO(unknown);
    CHECK(bytes.find(unknown) == std::string::npos);
  }
}

TEST_CASE("discovered mapping: the written file loads again with every entry", "[mapping_writer]") {
  const auto scaffold = load_mapping_artifact(fixture("emulator/acme_mapping.json"));
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), true, now);
  temp_dir dir;
  const auto out = dir.path / "discovered" / "dataverse_mapping.json";
  const auto reloaded = write_discovered_mapping(out, doc);

  CHECK(read_file(out) == json::write_artifact(doc));
  CHECK_FALSE(reloaded.meta.approved);
  CHECK(reloaded.meta.discovered_at == now);
  CHECK(reloaded.meta.schema_version == scaffold.meta.schema_version);
  CHECK(reloaded.task_owner_override_field == scaffold.task_owner_override_field);
  CHECK(reloaded.preserve_if_present == scaffold.preserve_if_present);

  // The artifact encoding sorts keys, so the file's order is code-point order of the keys.
  const auto entities = by_key(scaffold.entities);
  REQUIRE(keys_of(reloaded.entities) == keys_of(entities));
  for (std::size_t i = 0; i < entities.size(); ++i)
    require_same_entity(reloaded.entities[i], entities[i]);

  auto expected_fields = scaffold.fields;
  for (auto& f : expected_fields) {
    if (f.key == "phone_call.regarding") f.navigation_property = live_phone_nav;
    if (f.key == "task.regarding") f.navigation_property = live_task_nav;
  }
  expected_fields = by_key(expected_fields);
  REQUIRE(keys_of(reloaded.fields) == keys_of(expected_fields));
  for (std::size_t i = 0; i < expected_fields.size(); ++i)
    require_same_field(reloaded.fields[i], expected_fields[i]);

  const auto options = by_key(scaffold.option_sets);
  REQUIRE(keys_of(reloaded.option_sets) == keys_of(options));
  for (std::size_t i = 0; i < options.size(); ++i) {
    CHECK(reloaded.option_sets[i].field == options[i].field);
    CHECK(reloaded.option_sets[i].value == options[i].value);
  }
  CHECK_FALSE(mapping_readiness_error(reloaded, true).has_value());
}

TEST_CASE("discovered mapping: the file is in the artifact encoding and deterministic",
          "[mapping_writer]") {
  const auto scaffold = load_mapping_artifact(fixture("mapping/spec_example.json"));
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), true, now);
  temp_dir dir;
  write_discovered_mapping(dir.path / "a.json", doc);
  write_discovered_mapping(dir.path / "b.json", doc);
  const auto bytes = read_file(dir.path / "a.json");
  CHECK(bytes == read_file(dir.path / "b.json"));
  CHECK(bytes.starts_with("{\n  \"_meta\": {\n    \"approved\": false,\n"));
  CHECK(bytes.ends_with("\n}\n"));
  CHECK_THAT(bytes, Contains("\"queue_item\": {\n      \"entity_set_name\": \"acme_callqueues\",\n"
                             "      \"logical_name\": \"acme_callqueue\",\n"
                             "      \"primary_id\": \"acme_callqueueid\"\n    }"));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                      std::filesystem::directory_iterator()) == 2);  // no temporaries left
}

TEST_CASE("discovered mapping: writing over the scaffold replaces it", "[mapping_writer]") {
  temp_dir dir;
  const auto path =
      dir.write("dataverse_mapping.json", read_file(fixture("emulator/acme_mapping.json")));
  const auto scaffold = load_mapping_artifact(path);
  const auto reloaded = write_discovered_mapping(
      path, discovered_mapping_json(scaffold, live_for(scaffold), true, now));
  CHECK_FALSE(reloaded.meta.approved);
  CHECK_FALSE(load_mapping_artifact(path).meta.approved);
  CHECK(read_file(path).find("_comment") == std::string::npos);
}

TEST_CASE("discovered mapping: bad inputs are refused with a clear error", "[mapping_writer]") {
  const auto scaffold = load_mapping_artifact(fixture("mapping/spec_example.json"));
  auto live = live_for(scaffold);

  SECTION("discovered_at not a UTC millisecond timestamp") {
    CHECK_THROWS_WITH(discovered_mapping_json(scaffold, live, true, "2026-07-02 09:30"),
                      Contains("discovered_at '2026-07-02 09:30' is not a UTC timestamp"));
  }
  SECTION("link_regarding without a live task regarding property") {
    live.task_regarding.reset();
    CHECK_THROWS_WITH(discovered_mapping_json(scaffold, live, true, now),
                      Contains("task.regarding navigation property is not resolved"));
    // Off, the live property is not needed.
    CHECK_NOTHROW(discovered_mapping_json(scaffold, live, false, now));
  }
}

TEST_CASE("discovered mapping: an invalid document never replaces the existing file",
          "[mapping_writer]") {
  temp_dir dir;
  const std::string original = read_file(fixture("mapping/spec_example.json"));
  const auto path = dir.write("dataverse_mapping.json", original);
  auto doc = discovered_mapping_json(load_mapping_artifact(path),
                                     live_for(load_mapping_artifact(path)), false, now);
  doc.set("entities", json::object{});
  CHECK_THROWS_AS(write_discovered_mapping(path, doc), mapping_error);
  CHECK_THROWS_WITH(write_discovered_mapping(path, doc),
                    Contains("mapping artifact error: entities must not be empty"));
  CHECK(read_file(path) == original);
}

TEST_CASE("discovered mapping: an unwritable path throws naming it", "[mapping_writer]") {
  temp_dir dir;
  const auto blocker = dir.write("not_a_dir", "x");
  const auto scaffold = load_mapping_artifact(fixture("mapping/spec_example.json"));
  const auto doc = discovered_mapping_json(scaffold, live_for(scaffold), false, now);
  CHECK_THROWS_WITH(write_discovered_mapping(std::filesystem::path(blocker) / "m.json", doc),
                    Contains("not_a_dir"));
  CHECK(read_file(blocker) == "x");
}
