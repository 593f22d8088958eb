// The emulator over HTTP: collection GETs with $filter/$select/$orderby/$top, maxpagesize
// paging followed to the end, and reads by id (emulator.md §3.1–§3.2).

#include <set>

#include "tests/emulator/http_test_client.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;
using namespace opencloser::emulator::http_testing;
namespace json = opencloser::json;

namespace {

const std::string first_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11";
const std::string dnc_row = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a12";  // seeded in upper case
constexpr std::size_t demo_queue_rows = 23;                          // 3 written + 20 generated

json::array rows_of(const http_reply& r) {
  REQUIRE(r.status == 200);
  return r.json().find("value")->as_array();
}

std::vector<std::string> ids_of(const json::array& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    REQUIRE(r.contains("acme_callqueueid"));
    out.push_back(r.find("acme_callqueueid")->as_string());
  }
  return out;
}

}  // namespace

TEST_CASE("a collection GET filters, selects, orders and limits", "[http][query]") {
  running_emulator e;
  auto client = e.client();

  SECTION("everything, with the OData envelope and an ETag on each row") {
    const auto r = client.get("acme_callqueues");
    const auto body = r.json();
    CHECK(body.find("@odata.context")->as_string() ==
          e.origin + "/api/data/v9.2/$metadata#acme_callqueues");
    CHECK_FALSE(body.contains("@odata.nextLink"));
    const auto rows = rows_of(r);
    CHECK(rows.size() == demo_queue_rows);
    for (const auto& row : rows)
      CHECK(row.find("@odata.etag")->as_string() ==
            "W/\"" + std::to_string(row.find("versionnumber")->as_int()) + "\"");
  }
  SECTION("$filter on a boolean, case-insensitive strings, lookups and null") {
    CHECK(ids_of(rows_of(client.get("acme_callqueues?$filter=acme_dnc eq true"))) ==
          std::vector<std::string>{dnc_row});
    CHECK(ids_of(rows_of(client.get("acme_callqueues?$filter=acme_phone eq '+15555550142'"))) ==
          std::vector<std::string>{first_row});
    CHECK(rows_of(client.get("acme_callqueues?$filter=acme_tz eq 'AMERICA/CHICAGO'")).size() ==
          demo_queue_rows - 1);
    CHECK(rows_of(client.get("acme_callqueues?$filter=acme_tz eq null")).size() == 1);
    CHECK(rows_of(client.get("acme_callqueues?$filter=_acme_accountid_value eq "
                             "5A1E0C6D-1111-4A2B-9C3D-000000000001 and acme_dnc eq false"))
              .size() == 21);
    CHECK(ids_of(rows_of(client.get("acme_callqueues?$filter=acme_callqueueid eq " + dnc_row))) ==
          std::vector<std::string>{dnc_row});
  }
  SECTION("$select returns exactly the selected columns, unset ones as null") {
    const auto rows = rows_of(
        client.get("acme_callqueues?$filter=acme_dnc eq true&$select=acme_phone,acme_notes"));
    REQUIRE(rows.size() == 1);
    std::vector<std::string> keys;
    for (const auto& [k, v] : rows[0].as_object()) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"@odata.etag", "acme_notes", "acme_phone"});
    CHECK(rows[0].find("acme_notes")->is_null());
    CHECK(rows[0].find("acme_phone")->as_string() == "+15555550143");
  }
  SECTION("$orderby desc with $top") {
    const auto rows =
        rows_of(client.get("acme_callqueues?$select=acme_phone&$orderby=acme_phone desc&$top=3"));
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].find("acme_phone")->as_string() == "+15555550144");
    CHECK(rows[1].find("acme_phone")->as_string() == "+15555550143");
    CHECK(rows[2].find("acme_phone")->as_string() == "+15555550142");
    CHECK(rows_of(client.get("acme_callqueues?$top=0")).empty());
  }
  SECTION("unsupported options and unknown properties → 400 with a Dataverse error") {
    for (const char* bad :
         {"acme_callqueues?$skip=1", "acme_callqueues?$count=true",
          "acme_callqueues?$select=acme_nosuch", "acme_callqueues?$orderby=acme_nosuch",
          "acme_callqueues?$filter=acme_phone eq 'a' or acme_dnc eq true",
          "acme_callqueues?$top=-1", "acme_callqueues?$filter=contains(acme_phone,'5')"}) {
      INFO(bad);
      const auto r = client.get(bad);
      CHECK(r.status == 400);
      CHECK(r.error_code().starts_with("0x"));
      CHECK(!r.error_message().empty());
    }
    CHECK(client.get("acme_nosuchsets").status == 404);
  }
}

TEST_CASE("odata.maxpagesize pages follow @odata.nextLink to the end", "[http][query]") {
  running_emulator e;
  auto client = e.client();
  const std::string query =
      "acme_callqueues?$select=acme_callqueueid,acme_phone&$orderby=acme_phone asc";
  const auto all = ids_of(rows_of(client.get(query)));
  REQUIRE(all.size() == demo_queue_rows);

  std::vector<std::string> paged;
  std::string next = query;
  int pages = 0;
  while (!next.empty()) {
    const auto r = client.get(next, {{"Prefer", "odata.maxpagesize=5"}});
    REQUIRE(r.status == 200);
    CHECK(r.header("Preference-Applied") == "odata.maxpagesize=5");
    const auto rows = rows_of(r);
    CHECK(rows.size() <= 5);
    for (const auto& id : ids_of(rows)) paged.push_back(id);
    const auto body = r.json();
    const auto* link = body.find("@odata.nextLink");
    next.clear();
    if (link) {
      CHECK(link->as_string().starts_with(e.origin + "/api/data/v9.2/acme_callqueues?"));
      CHECK(link->as_string().find("$skiptoken=") != std::string::npos);
      next = target_of_url(link->as_string());
    }
    REQUIRE(++pages < 20);
  }
  CHECK(pages == 5);
  CHECK(paged == all);  // same rows, same order, nothing twice

  SECTION("$top is ignored when maxpagesize is present") {
    const auto r = client.get("acme_callqueues?$top=2", {{"Prefer", "odata.maxpagesize=4"}});
    CHECK(rows_of(r).size() == 4);
    CHECK(r.json().contains("@odata.nextLink"));
  }
  SECTION("rows removed or changed behind the cursor never shift later pages") {
    const auto page1 = client.get(query, {{"Prefer", "odata.maxpagesize=5"}});
    const auto body = page1.json();
    const auto first_ids = ids_of(rows_of(page1));
    // Delete one row of the first page and move another to the very end of the order.
    REQUIRE(client.del("acme_callqueues(" + first_ids[1] + ")").status == 204);
    REQUIRE(client
                .patch("acme_callqueues(" + first_ids[2] + ")",
                       json::object{{"acme_phone", "+19999999999"}}, {{"If-Match", "*"}})
                .status == 204);
    const auto page2 = client.get(target_of_url(body.find("@odata.nextLink")->as_string()),
                                  {{"Prefer", "odata.maxpagesize=5"}});
    CHECK(ids_of(rows_of(page2)) == std::vector<std::string>(all.begin() + 5, all.begin() + 10));
  }
  SECTION("a forged skiptoken → 400") {
    CHECK(client.get("acme_callqueues?$skiptoken=garbage").status == 400);
  }
}

TEST_CASE("GET by id finds rows case-insensitively and answers 404 in Dataverse's shape",
          "[http][query]") {
  running_emulator e;
  auto client = e.client();
  const auto r = client.get("acme_callqueues(0B6F2C1E-9D1A-4C55-A3F2-6E7D8C9B0A11)");
  REQUIRE(r.status == 200);
  const auto row = r.json();
  CHECK(row.find("acme_callqueueid")->as_string() == first_row);
  CHECK(row.find("_acme_accountid_value")->as_string() == "5a1e0c6d-1111-4a2b-9c3d-000000000001");
  CHECK(r.header("ETag") == row.find("@odata.etag")->as_string());

  const auto selected = client.get("acme_callqueues(" + first_row + ")?$select=acme_attempts");
  REQUIRE(selected.status == 200);
  CHECK(selected.json().find("acme_attempts")->as_int() == 1);
  CHECK_FALSE(selected.json().contains("acme_phone"));

  const std::string missing = "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0aff";
  const auto gone = client.get("acme_callqueues(" + missing + ")");
  CHECK(gone.status == 404);
  CHECK(gone.error_code() == "0x80040217");
  CHECK(gone.error_message() == "acme_callqueue With Id = " + missing + " Does Not Exist");
}
