// The emulator over HTTP: `$batch` (emulator.md §4) — change-set atomicity, Content-ID
// references, continue-on-error and the multipart response, written by hand here so the
// tests do not depend on the product's batch writer.

#include <regex>

#include "emulator/batch.hpp"
#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

struct op {
  std::string method;
  std::string url;
  std::string body;
  std::string content_id;
  header_list headers;
};

std::string operation_text(const op& o) {
  std::string out = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n";
  if (!o.content_id.empty()) out += "Content-ID: " + o.content_id + "\r\n";
  out += "\r\n" + o.method + " " + o.url + " HTTP/1.1\r\n";
  if (!o.body.empty()) out += "Content-Type: application/json; type=entry\r\n";
  for (const auto& [k, v] : o.headers) out += k + ": " + v + "\r\n";
  out += "\r\n" + o.body + "\r\n";
  return out;
}

/// A batch body: each element is either one top-level operation (a vector of one, not a
/// change set) or a change set.
struct part {
  bool changeset = false;
  std::vector<op> ops;
};

const std::string batch_boundary = "batch_7a1c";

std::string batch_body(const std::vector<part>& parts) {
  std::string out;
  int n = 0;
  for (const auto& p : parts) {
    out += "--" + batch_boundary + "\r\n";
    if (!p.changeset) {
      out += operation_text(p.ops.at(0));
      continue;
    }
    const std::string cs = "changeset_" + std::to_string(++n);
    out += "Content-Type: multipart/mixed; boundary=" + cs + "\r\n\r\n";
    for (const auto& o : p.ops) out += "--" + cs + "\r\n" + operation_text(o);
    out += "--" + cs + "--\r\n";
  }
  out += "--" + batch_boundary + "--\r\n";
  return out;
}

http_reply send_batch(dataverse_client& client, const std::vector<part>& parts,
                      const header_list& extra = {}) {
  header_list headers{{"Content-Type", "multipart/mixed; boundary=\"" + batch_boundary + "\""}};
  for (const auto& h : extra) headers.push_back(h);
  return client.send("POST", "$batch", batch_body(parts), headers);
}

std::vector<parsed_batch_response_part> parts_of(const http_reply& r) {
  return parse_batch_response(r.header("Content-Type").value_or(""), r.body);
}

std::string base(const running_emulator& e) {
  return e.origin + "/api/data/v9.2/";
}

}  // namespace

TEST_CASE("$batch change set commits everything, and Content-ID $1 references resolve",
          "[http][batch]") {
  running_emulator e;
  auto client = e.client();
  const std::string queue_id = "dddddddd-0000-4000-8000-000000000001";
  const auto r = send_batch(
      client,
      {
          part{
              true,
              {
                  op{"POST",
                     base(e) + "acme_callqueues",
                     R"({"acme_callqueueid":")" + queue_id + R"(","acme_phone":"+15550001"})",
                     "1",
                     {}},
                  op{"POST",
                     "/api/data/v9.2/tasks",
                     R"({"subject":"Batch task","regardingobjectid_acme_callqueue_task@odata.bind":"$1"})",
                     "2",
                     {}},
                  op{"PATCH", "$1", R"({"acme_attempts":7})", "3", {{"If-Match", "*"}}},
              }},
          part{false,
               {op{"GET", "acme_callqueues(" + queue_id + ")?$select=acme_attempts", "", "", {}}}},
      });
  REQUIRE(r.status == 200);
  const auto content_type = r.header("Content-Type").value_or("");
  CHECK(std::regex_match(content_type,
                         std::regex(R"(multipart/mixed; boundary=batchresponse_[0-9a-f-]{36})")));
  CHECK(r.body.find("--changesetresponse_") != std::string::npos);
  CHECK(r.body.find("Content-Type: application/http") != std::string::npos);
  CHECK(r.body.find("Content-Transfer-Encoding: binary") != std::string::npos);

  const auto parts = parts_of(r);
  REQUIRE(parts.size() == 4);
  CHECK(parts[0].status == 204);
  CHECK(parts[0].content_id == "1");
  CHECK(find_header(parts[0].headers, "OData-EntityId") ==
        base(e) + "acme_callqueues(" + queue_id + ")");
  CHECK(parts[1].status == 204);
  CHECK(parts[1].content_id == "2");
  CHECK(parts[2].status == 204);
  CHECK(parts[3].status == 200);
  CHECK(json::parse(parts[3].body).find("acme_attempts")->as_int() == 7);

  // The task regards the queue row created in the same change set.
  const auto task_url = std::string(find_header(parts[1].headers, "OData-EntityId").value_or(""));
  const auto task = client.get(target_of_url(task_url));
  REQUIRE(task.status == 200);
  CHECK(task.json().find("_regardingobjectid_value")->as_string() == queue_id);

  // The batch counts once; its operations are logged with batch_seq and inner_index.
  const auto log = e.log();
  std::size_t inner = 0;
  for (const auto& entry : log)
    if (!entry.find("batch_seq")->is_null()) {
      CHECK(entry.find("inner_index")->as_int() == static_cast<std::int64_t>(inner));
      ++inner;
    }
  CHECK(inner == 4);
  CHECK(e.admin("GET", "state").json().find("counters")->find("requests")->as_int() ==
        2);  // batch + task GET
}

TEST_CASE("a failing operation rolls its whole change set back", "[http][batch]") {
  running_emulator e;
  auto client = e.client();
  const std::string queue_id = "dddddddd-0000-4000-8000-000000000002";
  const auto r = send_batch(
      client,
      {part{
          true,
          {
              op{"POST",
                 "acme_callqueues",
                 R"({"acme_callqueueid":")" + queue_id + R"(","acme_phone":"+15550002"})",
                 "1",
                 {}},
              op{"PATCH", "acme_callqueues(" + queue_row + ")", R"({"acme_attempts":9})", "2", {}},
              op{"PATCH",
                 "acme_callqueues(" + missing_row + ")",
                 R"({"acme_attempts":1})",
                 "3",
                 {{"If-Match", "*"}}},
          }}});
  CHECK(r.status == 404);  // the failing operation's status
  const auto parts = parts_of(r);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].status == 404);
  CHECK(parts[0].content_id == "3");
  CHECK(json::parse(parts[0].body).find("error")->find("code")->as_string() == "0x80040217");
  CHECK(r.body.find("HTTP/1.1 404 Not Found") != std::string::npos);

  CHECK(e.dumped_row("acme_callqueue", queue_id).is_null());
  CHECK(e.dumped_row("acme_callqueue", queue_row).find("acme_attempts")->as_int() == 1);
  // Rolled-back work is not reported as committed.
  for (const auto& entry : e.log()) CHECK(entry.find("committed")->as_bool() == false);
}

TEST_CASE("without continue-on-error the batch stops at the first failure, with it, it goes on",
          "[http][batch]") {
  running_emulator e;
  auto client = e.client();
  const std::string a1 = "eeeeeeee-0000-4000-8000-000000000001",
                    a2 = "eeeeeeee-0000-4000-8000-000000000002";
  const auto parts_for = [&](const std::string& id) {
    return std::vector<part>{
        part{false, {op{"GET", "accounts(" + missing_row + ")", "", "", {}}}},
        part{false,
             {op{"POST",
                 "accounts",
                 R"({"accountid":")" + id + R"(","name":"after the failure"})",
                 "",
                 {}}}},
    };
  };

  SECTION("stop") {
    const auto r = send_batch(client, parts_for(a1));
    CHECK(r.status == 404);
    REQUIRE(parts_of(r).size() == 1);
    CHECK(e.dumped_row("account", a1).is_null());
  }
  SECTION("continue past a rolled-back change set: the log says nothing was committed") {
    const auto r = send_batch(client,
                              {part{true,
                                    {
                                        op{"POST",
                                           "accounts",
                                           R"({"accountid":")" + a1 + R"(","name":"rolled back"})",
                                           "1",
                                           {}},
                                        op{"PATCH",
                                           "accounts(" + missing_row + ")",
                                           R"({"name":"x"})",
                                           "2",
                                           {{"If-Match", "*"}}},
                                    }}},
                              {{"Prefer", "odata.continue-on-error"}});
    CHECK(r.status == 200);
    REQUIRE(parts_of(r).size() == 1);
    CHECK(parts_of(r)[0].status == 404);
    CHECK(e.dumped_row("account", a1).is_null());
    for (const auto& entry : e.log()) {
      INFO(json::write_compact(entry));
      CHECK(entry.find("committed")->as_bool() == false);
    }
  }
  SECTION("continue") {
    const auto r = send_batch(client, parts_for(a2), {{"Prefer", "odata.continue-on-error"}});
    CHECK(r.status == 200);
    const auto parts = parts_of(r);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].status == 404);
    CHECK(parts[1].status == 204);
    CHECK(e.dumped_row("account", a2).find("name")->as_string() == "after the failure");
  }
}

TEST_CASE("malformed batches are refused with 400 and change nothing", "[http][batch]") {
  running_emulator e;
  auto client = e.client();
  const auto writes = [&] {
    return e.admin("GET", "state").json().find("counters")->find("writes")->as_int();
  };
  const auto before = writes();

  SECTION("GET inside a change set") {
    CHECK(send_batch(client, {part{true, {op{"GET", "accounts", "", "1", {}}}}}).status == 400);
  }
  SECTION("an undeclared Content-ID reference") {
    const auto r = send_batch(
        client, {part{true, {op{"PATCH", "$4", R"({"name":"x"})", "1", {{"If-Match", "*"}}}}}});
    CHECK(r.status == 400);
    CHECK(r.body.find("Content-ID Reference: '$4' does not exist in the batch context.") !=
          std::string::npos);
  }
  SECTION("more than 1000 operations") {
    std::vector<part> parts;
    for (int i = 0; i < 1001; ++i)
      parts.push_back(
          part{false, {op{"PATCH", "accounts(" + missing_row + ")", R"({"name":"x"})", "", {}}}});
    const auto r = send_batch(client, parts);
    CHECK(r.status == 400);
    CHECK(e.dumped_row("account", missing_row).is_null());
  }
  SECTION("no boundary") {
    CHECK(client.send("POST", "$batch", "--x\r\n", {{"Content-Type", "multipart/mixed"}}).status ==
          400);
  }
  SECTION("garbage body") {
    const auto r = client.send("POST", "$batch", "this is not multipart",
                               {{"Content-Type", "multipart/mixed; boundary=b"}});
    CHECK(r.status == 400);
    CHECK(!r.error_message().empty());
  }
  SECTION("GET $batch") {
    CHECK(client.get("$batch").status >= 400);
  }
  CHECK(writes() == before);
  CHECK(client.get("WhoAmI").status == 200);  // and the connection still serves
}

TEST_CASE("a $filter on a text column sees every insert, update, delete and rollback",
          "[http][batch][query]") {
  // Such a filter reads the column's equality index (an idempotency-key lookup): the index has
  // to follow every change of the rows, including the undo of a change set.
  running_emulator e;
  auto client = e.client();
  const auto count = [&](std::string_view notes) {
    const auto r = client.get("acme_callqueues?$filter=acme_notes eq '" + std::string(notes) +
                              "'&$select=acme_callqueueid");
    REQUIRE(r.status == 200);
    return r.json().find("value")->as_array().size();
  };
  const std::string queue_id = "dddddddd-0000-4000-8000-000000000007";
  const std::string second_id = "dddddddd-0000-4000-8000-000000000008";
  CHECK(count("Grüße Ärztin") == 0);  // builds the index

  REQUIRE(client
              .post("acme_callqueues",
                    json::parse(R"({"acme_callqueueid":")" + queue_id +
                                R"(","acme_phone":"+15550007","acme_notes":"Grüße Ärztin"})"))
              .status == 204);
  CHECK(count("Grüße Ärztin") == 1);
  CHECK(count("GRÜSSE ÄRZTIN") == 0);  // case folding, not full Unicode folding
  CHECK(count("grüße ärztin") == 1);
  CHECK(count("GRÜßE ÄRZTIN") == 1);

  REQUIRE(client.patch("acme_callqueues(" + queue_id + ")", json::parse(R"({"acme_notes":"b"})"))
              .status == 204);
  CHECK(count("grüße ärztin") == 0);
  CHECK(count("B") == 1);

  // Change sets that fail undo a PATCH and a POST: the index undoes them too.
  const auto failing = [&](op first) {
    const auto r = send_batch(client, {part{true,
                                            {first, op{"PATCH",
                                                       "acme_callqueues(" + missing_row + ")",
                                                       R"({"acme_attempts":1})",
                                                       "2",
                                                       {{"If-Match", "*"}}}}}});
    CHECK(r.status == 404);
  };
  failing(op{"PATCH", "acme_callqueues(" + queue_id + ")", R"({"acme_notes":"c"})", "1", {}});
  failing(
      op{"POST",
         "acme_callqueues",
         R"({"acme_callqueueid":")" + second_id + R"(","acme_phone":"+15550008","acme_notes":"b"})",
         "1",
         {}});
  CHECK(count("c") == 0);
  CHECK(count("b") == 1);
  CHECK(e.dumped_row("acme_callqueue", second_id).is_null());

  // A null unsets the value; a delete removes the row from its bucket.
  REQUIRE(client.patch("acme_callqueues(" + queue_id + ")", json::parse(R"({"acme_notes":null})"))
              .status == 204);
  CHECK(count("b") == 0);
  REQUIRE(client.patch("acme_callqueues(" + queue_id + ")", json::parse(R"({"acme_notes":"b"})"))
              .status == 204);
  CHECK(count("b") == 1);
  REQUIRE(client.del("acme_callqueues(" + queue_id + ")").status == 204);
  CHECK(count("b") == 0);
}
