// The exact Dataverse requests (dataverse.md §1, §3.2, §4, §6, §7) for the acme mapping.

#include <algorithm>

#include "actors/common/ids.hpp"
#include "adapters/dataverse/dataverse_requests.hpp"
#include "tests/unit/dataverse_test_data.hpp"

using namespace opencloser;
using namespace opencloser::dataverse;
using namespace opencloser::testing;

namespace {

const std::string sel =
    "_acme_accountid_value,_acme_campaignid_value,acme_attempts,acme_callqueueid,acme_dnc,"
    "acme_lastdisposition,acme_lastsession,acme_nextattemptat,acme_notes,acme_owneroverride,"
    "acme_phone,acme_status,acme_tz";

std::string header(const dataverse_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "<absent>";
}

}  // namespace

// ---- encoding -------------------------------------------------------------------------------

TEST_CASE("percent_encode keeps the OData-safe set and encodes every other byte upper-case") {
  CHECK(percent_encode("AZaz09-._~$'(),:@/") == "AZaz09-._~$'(),:@/");
  CHECK(percent_encode("a b") == "a%20b");
  CHECK(percent_encode("+1 555") == "%2B1%20555");
  CHECK(percent_encode("x=y&z#?%") == "x%3Dy%26z%23%3F%25");
  CHECK(percent_encode("caf\xC3\xA9") == "caf%C3%A9");   // é as its two UTF-8 bytes
  CHECK(percent_encode("\xE2\x80\x94") == "%E2%80%94");  // em dash
  CHECK(percent_encode(std::string("a\nb\0c", 5)) == "a%0Ab%00c");
}

TEST_CASE("string literals are single-quoted with quotes doubled") {
  CHECK(string_literal("plain") == "'plain'");
  CHECK(string_literal("O'Brien's") == "'O''Brien''s'");
  CHECK(string_literal("") == "''");
  // Doubled quotes stay literal in the encoded URL; the space is encoded.
  const auto url = make_url("x", {.filter = "name eq " + string_literal("O'Neil Care")});
  CHECK(url.encoded == "x?$filter=name%20eq%20'O''Neil%20Care'");
  CHECK(url.plain == "x?$filter=name eq 'O''Neil Care'");
}

TEST_CASE("query options are assembled in the fixed order whatever is set") {
  const auto url = make_url("t", {.filter = "a eq 1",
                                  .select = "a,b",
                                  .expand = "X($select=y)",
                                  .orderby = "a asc",
                                  .top = 1});
  CHECK(url.plain == "t?$filter=a eq 1&$select=a,b&$expand=X($select=y)&$orderby=a asc&$top=1");
  CHECK(url.encoded ==
        "t?$filter=a%20eq%201&$select=a,b&$expand=X($select%3Dy)&$orderby=a%20asc&$top=1");
  CHECK(make_url("t", {.top = 5}).encoded == "t?$top=5");
  CHECK(make_url("t").encoded == "t");
}

TEST_CASE("the GUID rule rejects anything but a bare GUID, with a message naming the value") {
  CHECK_NOTHROW(require_guid(queue_id, "queue item id"));
  CHECK_NOTHROW(require_guid("3F2504E0-4F89-11D3-9A0C-0305E82C3301", "queue item id"));
  CHECK_THROWS_AS(require_guid(queue_id + "\n", "queue item id"), guid_error);
  CHECK_THROWS_AS(require_guid(" " + queue_id, "x"), guid_error);
  CHECK_THROWS_AS(require_guid("", "x"), guid_error);
  CHECK_THROWS_WITH(require_guid("abc", "campaign"), "campaign 'abc' is not a GUID");
}

// ---- headers --------------------------------------------------------------------------------

TEST_CASE(
    "wire headers carry the token, the OData versions and the user agent, plan headers redact") {
  const auto m = acme_resolved();
  const auto r = pre_write_read_request(m, queue_id);
  const header_list expected_tail{{"If-None-Match", "null"}};
  const auto wire = wire_headers(r, "tok123", "0.1.0");
  const header_list expected{{"Authorization", "Bearer tok123"}, {"Accept", "application/json"},
                             {"OData-MaxVersion", "4.0"},        {"OData-Version", "4.0"},
                             {"User-Agent", "opencloser/0.1.0"}, {"If-None-Match", "null"}};
  CHECK(wire == expected);
  const auto plan = plan_headers(r, "0.1.0");
  CHECK(plan.front() == std::pair<std::string, std::string>{"Authorization", "Bearer <redacted>"});
  for (const auto& [n, v] : plan) CHECK(v.find("tok123") == std::string::npos);
}

// ---- §3.2 -----------------------------------------------------------------------------------

TEST_CASE("metadata requests address EntityDefinitions literally and encode only the query") {
  const auto def = entity_definition_request("acme_callqueue");
  CHECK(def.method == "GET");
  CHECK(def.relative_url ==
        "EntityDefinitions(LogicalName='acme_callqueue')"
        "?$select=LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute");
  CHECK(attributes_request("phonecall").relative_url ==
        "EntityDefinitions(LogicalName='phonecall')/Attributes?$select=LogicalName,AttributeType");

  const auto opt = option_set_request("acme_callqueue", "acme_status", "Picklist");
  REQUIRE(opt);
  CHECK(opt->plan_url ==
        "EntityDefinitions(LogicalName='acme_callqueue')/Attributes(LogicalName='acme_status')/"
        "Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand="
        "OptionSet($select=Options),GlobalOptionSet($select=Options)");
  CHECK(opt->relative_url ==
        "EntityDefinitions(LogicalName='acme_callqueue')/Attributes(LogicalName='acme_status')/"
        "Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand="
        "OptionSet($select%3DOptions),GlobalOptionSet($select%3DOptions)");
  CHECK(option_set_request("t", "statuscode", "Status")
            ->plan_url.find("Microsoft.Dynamics.CRM.StatusAttributeMetadata?") !=
        std::string::npos);
  CHECK(option_set_request("t", "statecode", "State")
            ->plan_url.find("Microsoft.Dynamics.CRM.StateAttributeMetadata?") != std::string::npos);
  CHECK_FALSE(option_set_request("t", "c", "String"));

  CHECK(regarding_relationship_request("phonecall", "acme_callqueue").relative_url ==
        "EntityDefinitions(LogicalName='phonecall')/ManyToOneRelationships?$filter="
        "ReferencedEntity%20eq%20'acme_callqueue'%20and%20ReferencingAttribute%20eq%20"
        "'regardingobjectid'&$select=ReferencingEntityNavigationPropertyName");
}

TEST_CASE("owner checks query enabled users and non-access teams, GUIDs only") {
  CHECK(owner_user_request(owner_id).plan_url ==
        "systemusers?$filter=systemuserid eq " + owner_id +
            " and isdisabled eq false&$select=systemuserid&$top=1");
  CHECK(owner_team_request(owner_id).plan_url ==
        "teams?$filter=teamid eq " + owner_id + " and teamtype ne 1&$select=teamid&$top=1");
  CHECK_THROWS_WITH(owner_user_request("bob"), "owner 'bob' is not a GUID");
  CHECK_THROWS_AS(owner_team_request(owner_id + "\n"), guid_error);
}

// ---- §4 -------------------------------------------------------------------------------------

TEST_CASE("the queue select is sorted distinct with lookups as _<c>_value") {
  const auto m = acme_resolved();
  const auto props = queue_select(m);
  CHECK(std::is_sorted(props.begin(), props.end()));
  std::string joined;
  for (const auto& p : props) joined += (joined.empty() ? "" : ",") + p;
  CHECK(joined == sel);

  // A preserve column equal to a mapped column appears once; a live lookup-typed override
  // column is selected as _<c>_value.
  auto m2 = m;
  m2.artifact.preserve_if_present.push_back("acme_phone");
  m2.queue_lookup_columns.insert("acme_owneroverride");
  const auto props2 = queue_select(m2);
  CHECK(std::count(props2.begin(), props2.end(), "acme_phone") == 1);
  CHECK(std::count(props2.begin(), props2.end(), "_acme_owneroverride_value") == 1);
  CHECK(std::count(props2.begin(), props2.end(), "acme_owneroverride") == 0);
}

TEST_CASE("explicit-id load reads only <sel> of one row") {
  const auto r = queue_load_by_id_request(acme_resolved(), queue_id);
  CHECK(r.method == "GET");
  CHECK(r.relative_url == "acme_callqueues?$filter=acme_callqueueid%20eq%20" + queue_id +
                              "&$select=" + sel + "&$top=1");
  CHECK(r.plan_url ==
        "acme_callqueues?$filter=acme_callqueueid eq " + queue_id + "&$select=" + sel + "&$top=1");
  CHECK_FALSE(r.json_body);
  CHECK_THROWS_WITH(queue_load_by_id_request(acme_resolved(), "ACME-1"),
                    "queue item id 'ACME-1' is not a GUID");
}

TEST_CASE("next-ready filters status and campaign and orders by next attempt, createdon, pk") {
  const auto m = acme_resolved();
  const std::string campaign = "c0000000-0000-4000-8000-000000000001";
  const auto r = queue_next_ready_request(m, campaign);
  CHECK(r.plan_url ==
        "acme_callqueues?$filter=acme_status eq 100000000 and "
        "_acme_campaignid_value eq " +
            campaign + "&$select=" + sel +
            "&$orderby=acme_nextattemptat asc,createdon asc,acme_callqueueid asc&$top=1");
  CHECK(r.relative_url.find("$orderby=acme_nextattemptat%20asc,createdon%20asc,"
                            "acme_callqueueid%20asc&$top=1") != std::string::npos);
  CHECK(header(r, "Prefer") == "<absent>");

  SECTION("paging drops $top and asks for a page size") {
    const auto paged = queue_next_ready_request(m, campaign, 500);
    CHECK(paged.plan_url.find("$top") == std::string::npos);
    CHECK(header(paged, "Prefer") == "odata.maxpagesize=500");
  }
  SECTION("a lookup campaign must be a GUID") {
    CHECK_THROWS_WITH(queue_next_ready_request(m, "spring"), "campaign 'spring' is not a GUID");
    CHECK_THROWS_AS(queue_next_ready_request(m, campaign + "\n"), guid_error);
  }
  SECTION("the campaign probe selects only the primary id") {
    CHECK(campaign_probe_request(m, campaign).plan_url ==
          "acme_callqueues?$filter=_acme_campaignid_value eq " + campaign +
              "&$select=acme_callqueueid&$top=1");
  }
}

TEST_CASE("campaign right-hand sides follow the mapped column type") {
  auto m = acme_resolved();
  auto* f = &field_of(m.artifact, "queue.campaign");
  m.queue_lookup_columns.erase(f->logical_name);
  f->type = "string";
  CHECK(campaign_rhs(m, "Spring '26") == "'Spring ''26'");
  CHECK(
      campaign_probe_request(m, "a+b c").relative_url ==
      "acme_callqueues?$filter=acme_campaignid%20eq%20'a%2Bb%20c'&$select=acme_callqueueid&$top=1");
  f->type = "integer";
  CHECK(campaign_rhs(m, "-42") == "-42");
  CHECK_THROWS_WITH(campaign_rhs(m, "4x"), "campaign '4x' is not an integer");
  f->type = "boolean";
  CHECK(campaign_rhs(m, "True") == "true");
  CHECK_THROWS_AS(campaign_rhs(m, "yes"), std::invalid_argument);
}

TEST_CASE("nextLink is followed verbatim only within the same origin and Web API path") {
  const std::string base = "https://acme.crm.dynamics.com/api/data/v9.2/";
  const auto r = next_page_request(
      base,
      "https://ACME.crm.dynamics.com:443/api/data/v9.2/acme_callqueues?$skiptoken=%3Ccookie%3E",
      250);
  CHECK(r.relative_url == "acme_callqueues?$skiptoken=%3Ccookie%3E");
  CHECK(header(r, "Prefer") == "odata.maxpagesize=250");
  CHECK_THROWS_AS(next_page_request(base, "https://evil.example/api/data/v9.2/x", 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(next_page_request(base, "http://acme.crm.dynamics.com/api/data/v9.2/x", 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(next_page_request(base, "https://acme.crm.dynamics.com:8443/api/data/v9.2/x", 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(next_page_request(base, "https://acme.crm.dynamics.com/api/data/v9.1/x", 1),
                  std::invalid_argument);
  CHECK_NOTHROW(next_page_request("http://127.0.0.1:8080/api/data/v9.2/",
                                  "http://127.0.0.1:8080/api/data/v9.2/x?$skiptoken=1", 1));
}

TEST_CASE("facility names come from the name table's primary name column") {
  auto m = acme_resolved();
  CHECK_THROWS_AS(facility_name_request(m, queue_id), resolution_error);  // primary name unknown
  m.name_table_primary_name = "name";
  const std::string account = "b0000000-0000-4000-8000-000000000007";
  CHECK(facility_name_request(m, account).plan_url ==
        "accounts?$filter=accountid eq " + account + "&$select=name&$top=1");
  CHECK_THROWS_AS(facility_name_request(m, "Acme Care"), guid_error);
}

// ---- §6 -------------------------------------------------------------------------------------

TEST_CASE("the claim is a conditional PATCH of status, session and attempts returning the row") {
  const auto m = acme_resolved();
  const auto r = claim_request(m, queue_id, session_id, std::string("W/\"17\""), 2);
  CHECK(r.method == "PATCH");
  CHECK(r.relative_url ==
        "acme_callqueues(" + queue_id + ")?$select=acme_callqueueid,acme_lastsession,acme_status");
  CHECK(r.body_text() == "{\"acme_status\":100000001,\"acme_lastsession\":\"" + session_id +
                             "\",\"acme_attempts\":3}");
  const header_list expected{{"Content-Type", "application/json; charset=utf-8"},
                             {"If-Match", "W/\"17\""},
                             {"Prefer", "return=representation"}};
  CHECK(r.headers == expected);
  CHECK(header(claim_request(m, queue_id, session_id, std::nullopt, 0), "If-Match") == "*");
  CHECK_THROWS_AS(claim_request(m, queue_id + "\n", session_id, std::nullopt, 0), guid_error);
}

TEST_CASE("queue-row write bodies keep only approved, non-preserved columns") {
  auto m = acme_resolved();
  field_of(m.artifact, "queue.attempt_count").approved_update_field = false;
  m.artifact.preserve_if_present.push_back("acme_lastsession");
  CHECK(claim_request(m, queue_id, session_id, std::nullopt, 4).body_text() ==
        "{\"acme_status\":100000001}");

  field_of(m.artifact, "queue.last_error").approved_update_field = false;
  const auto update = queue_status_update_request(m, sample_status_update(), std::nullopt, {});
  CHECK(update.body_text() ==
        "{\"acme_status\":100000000,\"acme_lastdisposition\":\"interested_callback_requested\"}");
}

TEST_CASE("the claim re-read adds the eligibility inputs to the pre-write select") {
  CHECK(claim_reread_request(acme_resolved(), queue_id).plan_url ==
        "acme_callqueues?$filter=acme_callqueueid eq " + queue_id +
            "&$select=acme_attempts,acme_callqueueid,acme_dnc,acme_lastdisposition,"
            "acme_lastsession,acme_notes,acme_phone,acme_status,acme_tz&$top=1");
}

// ---- §7 -------------------------------------------------------------------------------------

TEST_CASE("the pre-write read selects pk, status, session, disposition and preserve columns") {
  auto m = acme_resolved();
  const auto r = pre_write_read_request(m, queue_id);
  CHECK(r.plan_url == "acme_callqueues?$filter=acme_callqueueid eq " + queue_id +
                          "&$select=acme_callqueueid,acme_lastdisposition,acme_lastsession,"
                          "acme_notes,acme_status&$top=1");
  CHECK(r.headers == header_list{{"If-None-Match", "null"}});
  m.queue_lookup_columns.insert("acme_notes");  // a live lookup-typed preserve column
  CHECK(pre_write_read_request(m, queue_id).plan_url.find("_acme_notes_value") !=
        std::string::npos);
}

TEST_CASE("the Phone Call requests: pre-query, create with deterministic id, read-back, close") {
  const auto m = acme_resolved();
  const auto rid = deterministic_record_id(session_id, "phonecall");

  const auto pre = phone_call_prequery_request(m, session_id);
  CHECK(pre.relative_url == "phonecalls?$filter=acme_idemkey%20eq%20'" + session_id +
                                "'&$select=activityid,statecode&$top=1");

  const auto create = phone_call_create_request(m, sample_phone_call());
  CHECK(create.method == "POST");
  CHECK(create.relative_url == "phonecalls");
  CHECK(create.headers == header_list{{"Content-Type", "application/json; charset=utf-8"}});
  CHECK(
      create.body_text() ==
      "{\"activityid\":\"" + rid +
          "\",\"subject\":\"Callback requested\",\"description\":\"Callback requested\","
          "\"actualstart\":\"2026-06-01T17:00:00.000Z\",\"actualend\":\"2026-06-01T17:03:00.000Z\","
          "\"directioncode\":true,\"acme_idemkey\":\"" +
          session_id +
          "\",\"regardingobjectid_acme_callqueue_phonecall@odata.bind\":\"/acme_callqueues(" +
          queue_id + ")\"}");

  const auto readback = phone_call_readback_request(m, rid);
  CHECK(readback.plan_url == "phonecalls(" + rid + ")?$select=activityid,statecode,acme_idemkey");

  const auto close = phone_call_close_request(m, rid);
  CHECK(close.method == "PATCH");
  CHECK(close.relative_url == "phonecalls(" + rid + ")");
  CHECK(close.body_text() == "{\"statecode\":1,\"statuscode\":2}");
  CHECK(header(close, "If-Match") == "*");
  CHECK(phone_call_state_request(m, rid).plan_url == "phonecalls(" + rid + ")?$select=statecode");
  CHECK_THROWS_AS(phone_call_close_request(m, "1234"), guid_error);
}

TEST_CASE("Phone Call subject falls back and is cut to 200, no bind without link_regarding") {
  const auto m = acme_resolved(false);
  auto p = sample_phone_call();
  p.summary = "";
  p.final_disposition = disposition::no_answer;
  auto body = *phone_call_create_request(m, p).json_body;
  CHECK(body.find("subject")->as_string() == "Mock call — no_answer");
  CHECK(body.find("regardingobjectid_acme_callqueue_phonecall@odata.bind") == nullptr);
  p.summary = std::string(250, 'x');
  body = *phone_call_create_request(m, p).json_body;
  CHECK(body.find("subject")->as_string().size() == 200);
  CHECK(body.find("description")->as_string().size() == 250);
}

TEST_CASE("the queue status update writes status, disposition, session, last error and DNC") {
  const auto m = acme_resolved();
  const auto r = queue_status_update_request(m, sample_status_update(), std::string("W/\"9\""), {});
  CHECK(r.relative_url == "acme_callqueues(" + queue_id + ")");
  CHECK(r.body_text() ==
        "{\"acme_status\":100000000,\"acme_lastdisposition\":"
        "\"interested_callback_requested\",\"acme_lastsession\":\"" +
            session_id + "\",\"acme_lasterror\":null}");
  CHECK(header(r, "If-Match") == "W/\"9\"");
  CHECK(header(r, "Prefer") == "<absent>");

  auto dnc = sample_status_update();
  dnc.new_status = callable_status::dnc;
  dnc.transition_reason = "do_not_call";
  dnc.set_dnc_flag = true;
  const auto warning =
      data_quality_warning{"non_e164_phone", "queue.phone", "queue item 'x' phone is not E.164"};
  const auto d = queue_status_update_request(m, dnc, std::nullopt, warning);
  CHECK(header(d, "If-Match") == "*");
  CHECK(d.body_text() ==
        "{\"acme_status\":100000004,\"acme_lastdisposition\":\"do_not_call\","
        "\"acme_lastsession\":\"" +
            session_id +
            "\",\"acme_lasterror\":\"non_e164_phone:queue item 'x' phone is "
            "not E.164\",\"acme_dnc\":true}");
}

TEST_CASE("last_error: blocked reason with the warning in parentheses, the warning, or null") {
  auto u = sample_status_update();
  const data_quality_warning w{"non_e164_phone", "queue.phone",
                               "queue item 'q' phone is not E.164"};
  CHECK(queue_last_error(u, std::nullopt).is_null());
  CHECK(queue_last_error(u, w) == json::value("non_e164_phone:queue item 'q' phone is not E.164"));
  u.transition_reason = "blocked_by_eligibility: a,c";
  CHECK(queue_last_error(u, std::nullopt) == json::value("blocked_by_eligibility: a,c"));
  CHECK(queue_last_error(u, w) == json::value("blocked_by_eligibility: a,c (non_e164_phone:queue "
                                              "item 'q' phone is not E.164)"));
}

TEST_CASE("the claim release resets status and explains itself") {
  const auto r =
      claim_release_request(acme_resolved(), queue_id, session_id, std::string("W/\"3\""));
  CHECK(r.body_text() ==
        "{\"acme_status\":100000000,\"acme_lastdisposition\":\"failed\","
        "\"acme_lasterror\":\"session " +
            session_id + " interrupted before completion; claim released\"}");
  CHECK(header(r, "If-Match") == "W/\"3\"");
}

TEST_CASE("the Task requests: pre-query, create with owner bind and description, read-back") {
  const auto m = acme_resolved();
  const auto rid = deterministic_record_id(session_id, "task");
  CHECK(task_prequery_request(m, session_id).plan_url ==
        "tasks?$filter=acme_idemkey eq '" + session_id + "'&$select=activityid&$top=1");
  const auto create = task_create_request(m, sample_task(), owner_kind::systemuser);
  CHECK(create.relative_url == "tasks");
  CHECK(create.body_text() ==
        "{\"activityid\":\"" + rid +
            "\",\"subject\":\"Callback for Acme Care\",\"description\":\"Callback window: "
            "Tuesday after 2pm\",\"acme_idemkey\":\"" +
            session_id + "\",\"ownerid@odata.bind\":\"/systemusers(" + owner_id +
            ")\",\"regardingobjectid_acme_callqueue_task@odata.bind\":\"/acme_callqueues(" +
            queue_id + ")\"}");
  const auto team = task_create_request(m, sample_task(), owner_kind::team);
  CHECK(team.json_body->find("ownerid@odata.bind")->as_string() == "/teams(" + owner_id + ")");
  CHECK(task_readback_request(m, rid).plan_url ==
        "tasks(" + rid + ")?$select=activityid,acme_idemkey");

  auto bad = sample_task();
  bad.assigned_to = std::string("someone");
  CHECK_THROWS_WITH(task_create_request(m, bad, owner_kind::systemuser),
                    "task owner 'someone' is not a GUID");
  bad.assigned_to = std::nullopt;
  CHECK_THROWS_AS(task_create_request(m, bad, owner_kind::systemuser), guid_error);
}

TEST_CASE("Task descriptions: callback lines, review reason, else the subject") {
  auto t = sample_task();
  t.captured_email = std::string("ops@acme.example");
  CHECK(task_description(t) == "Callback window: Tuesday after 2pm\nEmail: ops@acme.example");
  t.preferred_callback_window = std::nullopt;
  CHECK(task_description(t) == "Email: ops@acme.example");
  t.captured_email = std::nullopt;
  CHECK(task_description(t) == "Callback for Acme Care");
  t.kind = task_kind::review;
  t.reason_code = review_reason::legal_request;
  CHECK(task_description(t) == "Review reason: legal_request");
  t.subject = "";
  t.reason_code = std::nullopt;
  CHECK(task_description(t) == "Follow-up");
}

// ---- §7.5 -----------------------------------------------------------------------------------

TEST_CASE("the $batch body is one change set with Content-IDs 1-4, CRLF, byte-exact") {
  const auto m = acme_resolved();
  const auto phone_rid = deterministic_record_id(session_id, "phonecall");
  const auto create = phone_call_create_request(m, sample_phone_call());
  const auto close = phone_call_close_request(m, phone_rid);
  const auto status =
      queue_status_update_request(m, sample_status_update(), std::string("W/\"5\""), {});
  const auto task = task_create_request(m, sample_task(), owner_kind::systemuser);
  const auto r = batch_request(session_id, {create, close, status, task});

  const std::string h = "0123456789abcdef0123456789abcdef";
  const std::string ct = "Content-Type: application/json; charset=utf-8\r\n";
  auto part = [&](int id, const std::string& line, const std::string& extra,
                  const dataverse_request& op) {
    return "--changeset_" + h +
           "\r\nContent-Type: application/http\r\n"
           "Content-Transfer-Encoding: binary\r\nContent-ID: " +
           std::to_string(id) + "\r\n\r\n" + line + " HTTP/1.1\r\n" + ct + extra + "\r\n" +
           op.body_text() + "\r\n";
  };
  const std::string expected =
      "--batch_" + h + "\r\nContent-Type: multipart/mixed; boundary=changeset_" + h + "\r\n\r\n" +
      part(1, "POST /api/data/v9.2/phonecalls", "", create) +
      part(2, "PATCH /api/data/v9.2/phonecalls(" + phone_rid + ")", "If-Match: *\r\n", close) +
      part(3, "PATCH /api/data/v9.2/acme_callqueues(" + queue_id + ")", "If-Match: W/\"5\"\r\n",
           status) +
      part(4, "POST /api/data/v9.2/tasks", "", task) + "--changeset_" + h + "--\r\n--batch_" + h +
      "--\r\n";
  CHECK(r.raw_body == expected);
  CHECK(r.method == "POST");
  CHECK(r.relative_url == "$batch");
  CHECK(r.headers ==
        header_list{{"Content-Type", "multipart/mixed; boundary=\"batch_" + h + "\""}});
  CHECK(r.body_text() == expected);
  // No bare LF anywhere: every line break is CRLF.
  std::size_t bare_lf = 0;
  for (std::size_t i = 0; i < r.raw_body.size(); ++i)
    if (r.raw_body[i] == '\n' && (i == 0 || r.raw_body[i - 1] != '\r')) ++bare_lf;
  CHECK(bare_lf == 0);
}

TEST_CASE("$batch refuses a bad session id and GET parts") {
  const auto m = acme_resolved();
  const auto close = phone_call_close_request(m, deterministic_record_id(session_id, "phonecall"));
  CHECK_THROWS_AS(batch_request("ses_0123", {close}), std::invalid_argument);
  CHECK_THROWS_AS(batch_request("ses_0123456789ABCDEF0123456789ABCDEF", {close}),
                  std::invalid_argument);
  CHECK_THROWS_AS(batch_request(session_id, {pre_write_read_request(m, queue_id)}),
                  std::invalid_argument);
}

TEST_CASE("resolution from the artifact names what needs live metadata") {
  auto mapping = acme_mapping();
  for (auto& e : mapping.entities)
    if (e.key == "task") e.entity_set_name = std::nullopt;
  CHECK_THROWS_AS(resolve_from_artifact(mapping, true), resolution_error);
  auto no_nav = acme_mapping();
  for (auto& f : no_nav.fields)
    if (f.key == "task.regarding") f.navigation_property = std::nullopt;
  CHECK_THROWS_WITH(resolve_from_artifact(no_nav, true),
                    Catch::Matchers::Contains("task.regarding"));
  CHECK_NOTHROW(resolve_from_artifact(no_nav, false));
}
