// Readiness (dataverse.md §3.1 steps 1–9, §3.2 "Owners", §7.4 owner check) against a scripted
// Web API: every metadata and owner request is answered from canned JSON by its relative URL,
// so the order of the steps, their exact messages and the requests they send are observable.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "actors/dataverse_gateway/dataverse_calls.hpp"
#include "actors/supervisor/readiness.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "tests/unit/dataverse_test_data.hpp"

using namespace opencloser;
using namespace opencloser::testing;

namespace {

const std::string env_url = "https://acme.crm.dynamics.com";
const std::string checked_at = "2026-06-01T12:00:00.000Z";
const std::string callback_owner = owner_id;                              // an enabled user
const std::string review_owner = "b2c3d4e5-0000-4000-8000-000000000002";  // an owner team

dataverse_reply answer(const json::value& body) {
  dataverse_reply r;
  r.outcome = dataverse_outcome::success;
  r.status = 200;
  r.body = json::write_compact(body);
  r.counters.requests = 1;
  return r;
}

/// A settled failure as the gateway words it (secret-free, names the request).
dataverse_reply failure(int status, const std::string& relative_url,
                        dataverse_outcome outcome = dataverse_outcome::permanent) {
  dataverse_reply r;
  r.outcome = outcome;
  r.status = status;
  r.body = R"({"error":{"code":"0x80040216","message":"scripted failure"}})";
  r.message = "Dataverse returned HTTP " + std::to_string(status) + " for GET " + env_url +
              "/api/data/v9.2/" + relative_url;
  r.counters.requests = 1;
  return r;
}

json::value rows(json::array items) {
  return json::object{{"value", std::move(items)}};
}

/// The Web API as a table of canned answers; anything not scripted is a 404.
struct scripted_dataverse {
  std::map<std::string, dataverse_reply> answers;  ///< by relative_url
  std::vector<dataverse_call> calls;
  http_counters answered;  ///< the sum of every reply's counters

  void script(const dataverse::dataverse_request& request, dataverse_reply reply) {
    answers[request.relative_url] = std::move(reply);
  }
  dataverse_reply& scripted(const dataverse::dataverse_request& request) {
    REQUIRE(answers.count(request.relative_url));
    return answers.at(request.relative_url);
  }

  dataverse_send send() {
    return [this](const dataverse_call& call) {
      calls.push_back(call);
      const auto it = answers.find(call.relative_url);
      auto reply = it != answers.end() ? it->second : failure(404, call.relative_url);
      add_counters(answered, reply.counters);
      return reply;
    };
  }

  std::vector<std::string> steps_named(const std::string& step) const {
    std::vector<std::string> urls;
    for (const auto& c : calls)
      if (c.step == step) urls.push_back(c.relative_url);
    return urls;
  }
};

using columns = std::vector<std::pair<std::string, std::string>>;

struct live_table {
  std::string logical, set, pk, name;
  columns attributes;
};

/// The organisation the acme mapping (tests/fixtures/emulator/acme_mapping.json) was
/// discovered against, as its metadata endpoints answer.
std::vector<live_table> acme_tables() {
  return {{"acme_callqueue",
           "acme_callqueues",
           "acme_callqueueid",
           "acme_name",
           {{"acme_callqueueid", "Uniqueidentifier"},
            {"acme_accountid", "Lookup"},
            {"acme_phone", "String"},
            {"acme_tz", "String"},
            {"acme_attempts", "Integer"},
            {"acme_maxattempts", "Integer"},
            {"acme_dnc", "Boolean"},
            {"acme_status", "Picklist"},
            {"acme_lastdisposition", "String"},
            {"acme_lastsession", "String"},
            {"acme_lasterror", "Memo"},
            {"acme_nextattemptat", "DateTime"},
            {"acme_campaignid", "Lookup"},
            {"acme_owneroverride", "Lookup"},
            {"acme_notes", "Memo"}}},
          {"phonecall",
           "phonecalls",
           "activityid",
           "subject",
           {{"activityid", "Uniqueidentifier"},
            {"subject", "String"},
            {"description", "Memo"},
            {"actualstart", "DateTime"},
            {"actualend", "DateTime"},
            {"directioncode", "Boolean"},
            {"statecode", "State"},
            {"statuscode", "Status"},
            {"acme_idemkey", "String"},
            {"regardingobjectid", "Lookup"}}},
          {"task",
           "tasks",
           "activityid",
           "subject",
           {{"activityid", "Uniqueidentifier"},
            {"subject", "String"},
            {"description", "Memo"},
            {"ownerid", "Owner"},
            {"acme_idemkey", "String"},
            {"regardingobjectid", "Lookup"}}},
          {"account", "accounts", "accountid", "name", {{"accountid", "Uniqueidentifier"}}}};
}

void script_metadata(scripted_dataverse& dv, const std::vector<live_table>& tables) {
  for (const auto& t : tables) {
    dv.script(dataverse::entity_definition_request(t.logical),
              answer(json::object{{"LogicalName", t.logical},
                                  {"EntitySetName", t.set},
                                  {"PrimaryIdAttribute", t.pk},
                                  {"PrimaryNameAttribute", t.name}}));
    json::array attributes;
    for (const auto& [column, type] : t.attributes)
      attributes.push_back(json::object{{"LogicalName", column}, {"AttributeType", type}});
    dv.script(dataverse::attributes_request(t.logical), answer(rows(std::move(attributes))));
  }
  for (const std::string activity : {"phonecall", "task"})
    dv.script(dataverse::regarding_relationship_request(activity, "acme_callqueue"),
              answer(rows({json::object{{"ReferencingEntityNavigationPropertyName",
                                         "regardingobjectid_acme_callqueue_" + activity}}})));
  json::array options;
  for (std::int64_t v = 100000000; v <= 100000005; ++v)
    options.push_back(json::object{{"Value", v}});
  dv.script(*dataverse::option_set_request("acme_callqueue", "acme_status", "Picklist"),
            answer(json::object{{"OptionSet", json::object{{"Options", std::move(options)}}},
                                {"GlobalOptionSet", nullptr}}));
}

void script_user(scripted_dataverse& dv, const std::string& guid, bool enabled_user) {
  dv.script(dataverse::owner_user_request(guid),
            answer(rows(enabled_user ? json::array{json::object{{"systemuserid", guid}}}
                                     : json::array{})));
}

void script_team(scripted_dataverse& dv, const std::string& guid, bool owner_team) {
  dv.script(dataverse::owner_team_request(guid),
            answer(rows(owner_team ? json::array{json::object{{"teamid", guid}}} : json::array{})));
}

/// One run's readiness inputs over a fully verifiable organisation: the callback owner is an
/// enabled user, the review owner an owner team.
struct readiness_fixture {
  settings config;
  readiness_inputs in;
  scripted_dataverse dv;

  readiness_fixture() {
    config.task_owner_callback = callback_owner;
    config.task_owner_review = review_owner;
    in.config = &config;
    in.mapping_path = "config/acme_mapping.json";
    in.mapping = acme_mapping();
    in.mapping_sha256 = std::string(64, 'c');
    in.env_url = env_url;
    in.checked_at = checked_at;
    script_metadata(dv, acme_tables());
    script_user(dv, callback_owner, true);
    script_user(dv, review_owner, false);
    script_team(dv, review_owner, true);
  }
  readiness_fixture(const readiness_fixture&) = delete;
  readiness_fixture& operator=(const readiness_fixture&) = delete;

  mapping_artifact& mapping() { return *in.mapping; }
  readiness_result run() { return check_readiness(in, dv.send()); }
};

/// The failure of a run that must not start, with the report's counters matching what was sent.
const readiness_failure& failure_of(const readiness_result& r, const scripted_dataverse& dv) {
  CHECK_FALSE(r.context);
  CHECK(r.counters == dv.answered);
  REQUIRE(r.failure);
  return *r.failure;
}

void remove_field(mapping_artifact& m, const std::string& key) {
  const auto before = m.fields.size();
  std::erase_if(m.fields, [&](const mapping_field& f) { return f.key == key; });
  REQUIRE(m.fields.size() == before - 1);
}

std::vector<std::string> strings_at(const json::value& doc, const char* key) {
  std::vector<std::string> out;
  REQUIRE(doc.find(key));
  for (const auto& v : doc.find(key)->as_array()) out.push_back(v.as_string());
  return out;
}

bool has_warning(const run_context& ctx, const std::string& code) {
  return std::any_of(ctx.warnings.begin(), ctx.warnings.end(),
                     [&](const data_quality_warning& w) { return w.code == code; });
}

const std::string prefix = "metadata verification failed: ";

}  // namespace

TEST_CASE("a verifiable organisation is ready with the live names, the report and both owners",
          "[readiness]") {
  readiness_fixture f;
  const auto r = f.run();
  REQUIRE_FALSE(r.failure);
  REQUIRE(r.context);
  const auto& ctx = *r.context;
  CHECK(ctx.mapping_path == "config/acme_mapping.json");
  CHECK(ctx.mapping_sha256 == std::string(64, 'c'));
  CHECK(ctx.mapping.queue.entity_set == "acme_callqueues");
  CHECK(ctx.mapping.task_regarding ==
        std::optional<std::string>("regardingobjectid_acme_callqueue_task"));
  REQUIRE(ctx.metadata_report.find("ok"));
  CHECK(ctx.metadata_report.find("ok")->as_bool());
  CHECK(ctx.metadata_report.find("checked_at")->as_string() == checked_at);
  CHECK(strings_at(ctx.metadata_report, "missing").empty());
  CHECK(strings_at(ctx.metadata_report, "drift").size() == 1);  // option 100000005 is unmapped
  CHECK(ctx.owners == std::map<std::string, dataverse::owner_kind>{
                          {callback_owner, dataverse::owner_kind::systemuser},
                          {review_owner, dataverse::owner_kind::team}});
  CHECK(ctx.warnings.empty());
  // The owner checks come after the verification, callback before review, user before team.
  REQUIRE(f.dv.calls.size() >= 3);
  const auto n = f.dv.calls.size();
  CHECK(f.dv.calls[n - 3].relative_url ==
        dataverse::owner_user_request(callback_owner).relative_url);
  CHECK(f.dv.calls[n - 2].relative_url == dataverse::owner_user_request(review_owner).relative_url);
  CHECK(f.dv.calls[n - 1].relative_url == dataverse::owner_team_request(review_owner).relative_url);
  CHECK(std::all_of(f.dv.calls.begin(), f.dv.calls.end(),
                    [](const dataverse_call& c) { return c.method == "GET"; }));
}

TEST_CASE("readiness step 1: a persona version mismatch fails before anything else is looked at",
          "[readiness]") {
  readiness_fixture f;
  f.config.persona_version = "alf-appointment-setter@0.2.0";
  // Later steps would fail too: the persona is checked first.
  f.in.mapping.reset();
  f.in.mapping_error = "entities is required";
  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::failed);
  CHECK(exit_code_of(failure.status) == 2);
  CHECK(failure.message ==
        "persona version mismatch: slice1.toml requires 'alf-appointment-setter@0.2.0' but the "
        "running persona is 'alf-appointment-setter@0.1.0'");
  CHECK(failure.metadata_report.is_null());
  CHECK(f.dv.calls.empty());
  CHECK(r.counters == http_counters{});
}

TEST_CASE("readiness steps 2 to 7 block on metadata in order without sending a request",
          "[readiness]") {
  readiness_fixture f;
  std::string expected;
  SECTION("step 2: the mapping did not load") {
    f.in.mapping.reset();
    f.in.mapping_error = "entities is required";
    f.in.redaction_error = "redaction policy invalid: never reached";
    expected = "mapping artifact error: entities is required";
  }
  SECTION("step 3: the mapping is not approved") {
    f.mapping().meta.approved = false;
    f.in.redaction_error = "redaction policy invalid: never reached";
    expected =
        "mapping artifact 'config/acme_mapping.json' is not approved; re-run discover-crm and "
        "have a reviewer set _meta.approved to true";
  }
  SECTION("step 4: the redaction error is passed through whole") {
    f.in.redaction_error =
        "redaction policy invalid: Invalid redaction regex '(': missing closing parenthesis";
    remove_field(f.mapping(), "phone_call.idempotency_key");
    expected = *f.in.redaction_error;
  }
  SECTION("step 5: key fields not mapped, in key order") {
    remove_field(f.mapping(), "task.idempotency_key");
    remove_field(f.mapping(), "phone_call.idempotency_key");
    remove_field(f.mapping(), "queue.phone");
    expected =
        "idempotency-key field(s) not mapped: phone_call.idempotency_key, task.idempotency_key";
  }
  SECTION("step 6: a key field on the wrong entity") {
    field_of(f.mapping(), "task.idempotency_key").entity = "queue_item";
    remove_field(f.mapping(), "queue.phone");
    expected =
        "idempotency-key field(s) bound to the wrong entity: task.idempotency_key → entity "
        "'queue_item' (expected 'task')";
  }
  SECTION("step 7: a required entry unapproved") {
    field_of(f.mapping(), "queue.attempt_count").approved_update_field = false;
    expected = "mapping lacks required entries: fields.queue.attempt_count (not approved)";
  }
  SECTION("step 7: the selection entries when a row is selected") {
    remove_field(f.mapping(), "queue.campaign");
    f.in.needs_selection = true;
    expected = "mapping lacks required entries: fields.queue.campaign";
  }
  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::blocked);
  CHECK(failure.message == expected);
  CHECK(failure.metadata_report.is_null());
  CHECK(f.dv.calls.empty());
  CHECK(r.counters == http_counters{});
}

TEST_CASE("the selection entries are not required for an explicit queue item", "[readiness]") {
  readiness_fixture f;
  remove_field(f.mapping(), "queue.campaign");
  f.in.needs_selection = false;
  const auto r = f.run();
  CHECK_FALSE(r.failure);
  CHECK(r.context);
  CHECK_FALSE(f.dv.calls.empty());
}

TEST_CASE(
    "readiness step 8: a metadata request failing other than with 404 blocks with its message",
    "[readiness]") {
  readiness_fixture f;
  std::string failing_url;
  SECTION("a permanent 500 on an entity definition") {
    failing_url = dataverse::entity_definition_request("task").relative_url;
    f.dv.answers[failing_url] = failure(500, failing_url);
  }
  SECTION("exhausted retries on an attribute read") {
    failing_url = dataverse::attributes_request("phonecall").relative_url;
    f.dv.answers[failing_url] = failure(503, failing_url, dataverse_outcome::transient_exhausted);
  }
  SECTION("a 403 on the option set read") {
    failing_url =
        dataverse::option_set_request("acme_callqueue", "acme_status", "Picklist")->relative_url;
    f.dv.answers[failing_url] = failure(403, failing_url);
  }
  SECTION("no response at all") {
    failing_url = dataverse::regarding_relationship_request("task", "acme_callqueue").relative_url;
    f.dv.answers[failing_url] = failure(0, failing_url, dataverse_outcome::transient_exhausted);
    f.dv.answers[failing_url].message = "Dataverse transport failure: connection_refused";
  }
  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::blocked);
  CHECK(failure.message == prefix + f.dv.answers.at(failing_url).message);
  CHECK(failure.metadata_report.is_null());
  // The failing request is the last one sent: no owner check, nothing after the error.
  REQUIRE_FALSE(f.dv.calls.empty());
  CHECK(f.dv.calls.back().relative_url == failing_url);
  CHECK(f.dv.steps_named("owner_check_user").empty());
  CHECK(r.counters.requests == static_cast<std::int64_t>(f.dv.calls.size()));
}

TEST_CASE(
    "readiness step 9: a report that is not ok blocks with its missing items joined by semicolons",
    "[readiness]") {
  readiness_fixture f;
  // A 404 is an answer (missing), never a failure: the verification runs to its report.
  f.dv.answers.erase(dataverse::entity_definition_request("account").relative_url);
  f.dv.scripted(dataverse::entity_definition_request("task")) =
      answer(json::object{{"LogicalName", "task"},
                          {"EntitySetName", "tasksets"},
                          {"PrimaryIdAttribute", "activityid"},
                          {"PrimaryNameAttribute", "subject"}});
  auto tables = acme_tables();
  std::erase_if(tables[0].attributes, [](const auto& c) { return c.first == "acme_phone"; });
  json::array queue_columns;
  for (const auto& [column, type] : tables[0].attributes)
    queue_columns.push_back(json::object{{"LogicalName", column}, {"AttributeType", type}});
  f.dv.scripted(dataverse::attributes_request("acme_callqueue")) =
      answer(rows(std::move(queue_columns)));

  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::blocked);
  const auto& report = failure.metadata_report;
  REQUIRE(report.is_object());
  CHECK_FALSE(report.find("ok")->as_bool());
  CHECK(report.find("checked_at")->as_string() == checked_at);
  const auto missing = strings_at(report, "missing");
  INFO(json::write_compact(report));
  REQUIRE(missing.size() >= 3);
  const auto contains = [&](const std::string& item) {
    return std::find(missing.begin(), missing.end(), item) != missing.end();
  };
  CHECK(contains("entities.task: entity_set_name 'tasks' differs from live 'tasksets'"));
  CHECK(contains("fields.queue.phone: column 'acme_callqueue.acme_phone' not found"));
  std::string joined;
  for (const auto& item : missing) joined += (joined.empty() ? "" : "; ") + item;
  CHECK(failure.message == prefix + joined);
  CHECK(f.dv.steps_named("owner_check_user").empty());
}

TEST_CASE("readiness verifies the regarding relationships only when link_regarding is on",
          "[readiness]") {
  readiness_fixture f;
  f.config.writeback.link_regarding = false;
  const auto r = f.run();
  REQUIRE(r.context);
  CHECK_FALSE(r.context->mapping.task_regarding);
  CHECK(std::none_of(f.dv.calls.begin(), f.dv.calls.end(), [](const dataverse_call& c) {
    return c.relative_url.find("ManyToOneRelationships") != std::string::npos;
  }));
}

TEST_CASE("a default task owner that is not a GUID blocks without an owner request",
          "[readiness]") {
  readiness_fixture f;
  std::string expected;
  SECTION("callback owner") {
    f.config.task_owner_callback = "not-a-guid";
    expected = "task owner callback 'not-a-guid' is not a Dataverse GUID";
  }
  SECTION("an unset review owner") {
    f.config.task_owner_review = "";
    expected = "task owner review '' is not a Dataverse GUID";
  }
  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::blocked);
  CHECK(failure.message == prefix + expected);
  // The verification itself passed: its report travels with the failure.
  REQUIRE(failure.metadata_report.is_object());
  CHECK(failure.metadata_report.find("ok")->as_bool());
  CHECK(f.dv.steps_named("owner_check_team").empty());
  for (const auto& url : f.dv.steps_named("owner_check_user"))
    CHECK(url == dataverse::owner_user_request(callback_owner).relative_url);
}

TEST_CASE("a default task owner that is neither an enabled user nor an owner team blocks",
          "[readiness]") {
  readiness_fixture f;
  SECTION("user miss then team miss") {
    script_user(f.dv, review_owner, false);
    script_team(f.dv, review_owner, false);
  }
  SECTION("both tables answer 404") {
    f.dv.answers.erase(dataverse::owner_user_request(review_owner).relative_url);
    f.dv.answers.erase(dataverse::owner_team_request(review_owner).relative_url);
  }
  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::blocked);
  CHECK(failure.message == prefix + "task owner review '" + review_owner +
                               "' is neither an enabled user nor an owner team");
  CHECK(f.dv.steps_named("owner_check_user") ==
        std::vector<std::string>{dataverse::owner_user_request(callback_owner).relative_url,
                                 dataverse::owner_user_request(review_owner).relative_url});
  CHECK(f.dv.steps_named("owner_check_team") ==
        std::vector<std::string>{dataverse::owner_team_request(review_owner).relative_url});
}

TEST_CASE("owner kinds: an enabled user is not looked up as a team, a team miss falls through",
          "[readiness]") {
  readiness_fixture f;
  SECTION("the review owner is a user too") {
    script_user(f.dv, review_owner, true);
    const auto r = f.run();
    REQUIRE(r.context);
    CHECK(r.context->owners.at(review_owner) == dataverse::owner_kind::systemuser);
    CHECK(f.dv.steps_named("owner_check_team").empty());
  }
  SECTION("the callback owner is a team found after a 404 for the users table") {
    f.dv.answers.erase(dataverse::owner_user_request(callback_owner).relative_url);
    script_team(f.dv, callback_owner, true);
    const auto r = f.run();
    REQUIRE(r.context);
    CHECK(r.context->owners.at(callback_owner) == dataverse::owner_kind::team);
    CHECK(r.context->owners.at(review_owner) == dataverse::owner_kind::team);
  }
  SECTION("one id for both kinds is checked once per run") {
    f.config.task_owner_review = callback_owner;
    const auto r = f.run();
    REQUIRE(r.context);
    CHECK(r.context->owners == std::map<std::string, dataverse::owner_kind>{
                                   {callback_owner, dataverse::owner_kind::systemuser}});
    CHECK(f.dv.steps_named("owner_check_user").size() == 1);
  }
}

TEST_CASE("an owner check failing other than with 404 blocks with its message", "[readiness]") {
  readiness_fixture f;
  std::string failing_url;
  SECTION("the users table answers 500") {
    failing_url = dataverse::owner_user_request(callback_owner).relative_url;
    f.dv.answers[failing_url] = failure(500, failing_url);
  }
  SECTION("the teams table answers 500 after a user miss") {
    failing_url = dataverse::owner_team_request(review_owner).relative_url;
    f.dv.answers[failing_url] = failure(500, failing_url);
  }
  SECTION("the users table is throttled past the budget") {
    failing_url = dataverse::owner_user_request(review_owner).relative_url;
    f.dv.answers[failing_url] = failure(429, failing_url, dataverse_outcome::transient_exhausted);
  }
  const auto r = f.run();
  const auto& failure = failure_of(r, f.dv);
  CHECK(failure.status == exit_status::blocked);
  CHECK(failure.message == prefix + f.dv.answers.at(failing_url).message);
  REQUIRE(failure.metadata_report.is_object());
  CHECK(failure.metadata_report.find("ok")->as_bool());
  REQUIRE_FALSE(f.dv.calls.empty());
  CHECK(f.dv.calls.back().relative_url == failing_url);
}

TEST_CASE("run warnings: empty redaction patterns and an env URL of another organisation",
          "[readiness]") {
  readiness_fixture f;
  SECTION("no warning by default") {
    const auto r = f.run();
    REQUIRE(r.context);
    CHECK(r.context->warnings.empty());
  }
  SECTION("redaction_patterns_empty") {
    f.in.redaction_patterns_empty = true;
    const auto r = f.run();
    REQUIRE(r.context);
    REQUIRE(r.context->warnings.size() == 1);
    CHECK(r.context->warnings[0].code == "redaction_patterns_empty");
    CHECK(r.context->warnings[0].field == "redaction.patterns");
  }
  SECTION("mapping_env_url_mismatch for another host, port or scheme, naming neither URL") {
    for (const char* other :
         {"https://other.crm.dynamics.com", "https://acme.crm.dynamics.com:8443",
          "http://acme.crm.dynamics.com"}) {
      INFO(other);
      f.in.env_url = other;
      const auto r = f.run();
      REQUIRE(r.context);
      REQUIRE(r.context->warnings.size() == 1);
      const auto& w = r.context->warnings[0];
      CHECK(w.code == "mapping_env_url_mismatch");
      CHECK(w.field == "_meta.dataverse_env_url");
      CHECK(w.message.find("crm.dynamics.com") == std::string::npos);
      CHECK(w.message.find("http") == std::string::npos);
    }
  }
  SECTION("no mismatch for the same origin spelled differently") {
    for (const char* same :
         {"https://ACME.CRM.Dynamics.com", "https://acme.crm.dynamics.com:443",
          "https://acme.crm.dynamics.com/", "HTTPS://acme.crm.dynamics.com:443/"}) {
      INFO(same);
      f.in.env_url = same;
      const auto r = f.run();
      REQUIRE(r.context);
      CHECK_FALSE(has_warning(*r.context, "mapping_env_url_mismatch"));
    }
  }
  SECTION("no mismatch for an IPv6 loopback with the default port spelled out") {
    f.mapping().meta.dataverse_env_url = "http://[::1]";
    f.in.env_url = "http://[::1]:80";
    const auto r = f.run();
    REQUIRE(r.context);
    CHECK_FALSE(has_warning(*r.context, "mapping_env_url_mismatch"));
  }
  SECTION("no comparison under the emulator") {
    f.in.emulated = true;
    f.in.env_url = "http://127.0.0.1:39211";
    const auto r = f.run();
    REQUIRE(r.context);
    CHECK(r.context->warnings.empty());
  }
}

TEST_CASE("readiness counts every request it sent, retries and token requests included",
          "[readiness]") {
  readiness_fixture f;
  auto& definition = f.dv.scripted(dataverse::entity_definition_request("acme_callqueue"));
  definition.counters = {3, 2, 1, 1, 0};  // two retries after a 429, a token fetched first
  auto& user = f.dv.scripted(dataverse::owner_user_request(callback_owner));
  user.counters = {2, 1, 0, 1, 0};  // a retry after a 401 and its token refresh
  const auto r = f.run();
  REQUIRE(r.context);
  const auto calls = static_cast<std::int64_t>(f.dv.calls.size());
  const http_counters expected{calls + 2 + 1, 3, 1, 2, 0};
  CHECK(r.counters == expected);
  CHECK(r.context->readiness_http == expected);
}

TEST_CASE("check_owner sums the counters of both lookups and throws a permanent error",
          "[readiness]") {
  scripted_dataverse dv;
  script_user(dv, review_owner, false);
  script_team(dv, review_owner, true);
  http_counters counters{1, 0, 0, 0, 0};
  CHECK(check_owner(review_owner, dv.send(), counters) == dataverse::owner_kind::team);
  CHECK(counters.requests == 3);
  const auto url = dataverse::owner_team_request(review_owner).relative_url;
  dv.answers[url] = failure(500, url);
  CHECK_THROWS_WITH(check_owner(review_owner, dv.send(), counters), dv.answers.at(url).message);
  CHECK(counters.requests == 5);
}

TEST_CASE("decide_owner: the verdict of the owner check from its answers", "[readiness]") {
  const auto hit = answer(rows({json::object{{"systemuserid", owner_id}}}));
  const auto miss = answer(rows({}));
  const auto not_found = failure(404, "systemusers");
  const auto server_error = failure(500, "systemusers");
  const auto exhausted = failure(503, "teams", dataverse_outcome::transient_exhausted);

  SECTION("an enabled user is a systemuser, whatever the team answer") {
    for (const dataverse_reply* team : {static_cast<const dataverse_reply*>(nullptr), &miss}) {
      const auto v = decide_owner(hit, team);
      CHECK(v.kind == dataverse::owner_kind::systemuser);
      CHECK_FALSE(v.needs_team);
      CHECK_FALSE(v.error);
    }
  }
  SECTION("a user miss or a 404 asks the teams table") {
    for (const auto& user : {miss, not_found}) {
      const auto v = decide_owner(user, nullptr);
      CHECK(v.needs_team);
      CHECK_FALSE(v.kind);
      CHECK_FALSE(v.error);
    }
  }
  SECTION("a user lookup failing otherwise is an error, never a team lookup") {
    for (const auto& user : {server_error, exhausted}) {
      const auto v = decide_owner(user, nullptr);
      CHECK(v.error == std::optional<std::string>(user.message));
      CHECK_FALSE(v.needs_team);
      CHECK_FALSE(v.kind);
    }
  }
  SECTION("a team hit after a user miss or 404") {
    const auto team = answer(rows({json::object{{"teamid", owner_id}}}));
    for (const auto& user : {miss, not_found}) {
      const auto v = decide_owner(user, &team);
      CHECK(v.kind == dataverse::owner_kind::team);
      CHECK_FALSE(v.needs_team);
      CHECK_FALSE(v.error);
    }
  }
  SECTION("a team miss or a 404 is unverifiable, not an error") {
    for (const auto& team : {miss, failure(404, "teams")}) {
      const auto v = decide_owner(miss, &team);
      CHECK_FALSE(v.kind);
      CHECK_FALSE(v.needs_team);
      CHECK_FALSE(v.error);
    }
  }
  SECTION("a team lookup failing otherwise is an error") {
    for (const auto& team : {server_error, exhausted}) {
      const auto v = decide_owner(not_found, &team);
      CHECK(v.error == std::optional<std::string>(team.message));
      CHECK_FALSE(v.kind);
    }
  }
}
