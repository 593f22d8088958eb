// The emulator's OData query subset (emulator.md §3.1–§3.2): decoding, $filter, $select,
// $orderby, $top, keyset paging, projection and Prefer.

#include "emulator/odata_query.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "tests/unit/test_support.hpp"

namespace opencloser::emulator {
namespace {

using params = std::vector<std::pair<std::string, std::string>>;

/// The web_error `f` throws; the test fails when it throws nothing.
template <class F>
web_error error_of(F&& f) {
  try {
    f();
  } catch (const web_error& e) {
    return e;
  }
  FAIL("expected a web_error");
  throw std::logic_error("unreachable");
}

void require_bad_request(const web_error& e, std::string_view fragment) {
  CHECK(e.status == 400);
  CHECK(e.code == "0x80060888");
  INFO("message: " << e.what());
  CHECK(std::string_view(e.what()).find(fragment) != std::string_view::npos);
}

attribute_def column(std::string name, attribute_kind kind) {
  attribute_def a;
  a.logical_name = std::move(name);
  a.kind = kind;
  return a;
}

/// A queue table like the product's, with every kind the queries touch.
table_def queue_table() {
  table_def t;
  t.logical_name = "acme_callqueue";
  t.entity_set_name = "acme_callqueues";
  t.primary_id = "acme_callqueueid";
  for (auto a :
       {column("acme_callqueueid", attribute_kind::uniqueidentifier),
        column("acme_name", attribute_kind::string_),
        column("acme_accountid", attribute_kind::lookup),
        column("acme_status", attribute_kind::picklist),
        column("acme_attempts", attribute_kind::integer),
        column("acme_score", attribute_kind::decimal), column("acme_dnc", attribute_kind::boolean),
        column("acme_nextattemptat", attribute_kind::datetime),
        column("createdon", attribute_kind::datetime),
        column("modifiedon", attribute_kind::datetime),
        column("versionnumber", attribute_kind::bigint),
        column("ownerid", attribute_kind::owner)}) {
    if (a.logical_name == "acme_accountid") a.targets = {"account"};
    if (a.logical_name == "acme_status") a.options = {100000000, 100000001};
    t.attributes.emplace(a.logical_name, a);
  }
  return t;
}

/// `00000000-0000-0000-0000-<n as 12 digits>`: ids whose SQL order is their numeric order.
std::string id(int n) {
  std::string digits = std::to_string(n);
  return "00000000-0000-0000-0000-" + std::string(12 - digits.size(), '0') + digits;
}

row make_row(const std::string& pk, std::int64_t version = 1) {
  row r;
  r["acme_callqueueid"] = json::value(pk);
  r["createdon"] = json::value("2026-01-01T00:00:00.000Z");
  r["modifiedon"] = json::value("2026-01-01T00:00:00.000Z");
  r["versionnumber"] = json::value(version);
  return r;
}

std::vector<const row*> pointers(const std::vector<row>& rows) {
  std::vector<const row*> out;
  for (const auto& r : rows) out.push_back(&r);
  return out;
}

std::vector<std::string> ids_of(const std::vector<const row*>& rows) {
  std::vector<std::string> out;
  for (const auto* r : rows) out.push_back(r->at("acme_callqueueid").as_string());
  return out;
}

/// Runs a whole query string against `rows`.
page_result run(const std::vector<row>& rows, std::string_view query,
                std::optional<std::int64_t> max_page_size = std::nullopt) {
  const auto table = queue_table();
  return select_page(table, pointers(rows), parse_collection_query(table, decode_query(query)),
                     max_page_size);
}

// ---- query strings ---------------------------------------------------------------------------

TEST_CASE("percent_decode turns %XX of either case into bytes and keeps '+'") {
  CHECK(percent_decode("a%20b%2Bc+d") == "a b+c+d");
  CHECK(percent_decode("%2b%2B%c3%A9") == "++\xC3\xA9");
  CHECK(percent_decode("plain") == "plain");
  CHECK(percent_decode("") == "");
}

TEST_CASE("percent_decode rejects truncated and non-hex escapes") {
  for (const std::string_view bad : {"%", "abc%2", "%G1", "%zz", "x%%20"})
    require_bad_request(error_of([&] { percent_decode(bad); }), "percent-encoding");
}

TEST_CASE("decode_query splits before decoding and keeps parameter order") {
  const auto p = decode_query("$filter=name%20eq%20'a%26b%3Dc'&&$top=1&flag&$select=x%2By");
  REQUIRE(p.size() == 4);
  CHECK(p[0] == std::pair<std::string, std::string>{"$filter", "name eq 'a&b=c'"});
  CHECK(p[1] == std::pair<std::string, std::string>{"$top", "1"});
  CHECK(p[2] == std::pair<std::string, std::string>{"flag", ""});
  CHECK(p[3] == std::pair<std::string, std::string>{"$select", "x+y"});
  require_bad_request(error_of([] { decode_query("$top=%2"); }), "percent-encoding");
}

TEST_CASE("percent_encode leaves the dataverse.md §1 set alone and upper-cases the rest") {
  CHECK(percent_encode("AZaz09-._~$'(),:@/") == "AZaz09-._~$'(),:@/");
  CHECK(percent_encode("a b+c&d=e\"[]\xC3\xA9") == "a%20b%2Bc%26d%3De%22%5B%5D%C3%A9");
}

TEST_CASE("build_next_link_query re-encodes the query, drops the old token and round-trips") {
  const params original{{"$filter", "acme_name eq 'a b+c&d'"},
                        {"$select", "acme_name,acme_callqueueid"},
                        {"$skiptoken", "old"}};
  const std::string token = "[\"2026-01-01T00:00:00.000Z\",\"x y+z&w\"]";
  const auto query = build_next_link_query(original, token);
  CHECK(query ==
        "$filter=acme_name%20eq%20'a%20b%2Bc%26d'&$select=acme_name,acme_callqueueid&"
        "$skiptoken=%5B%222026-01-01T00:00:00.000Z%22,%22x%20y%2Bz%26w%22%5D");
  const auto back = decode_query(query);
  REQUIRE(back.size() == 3);
  CHECK(back[0] == original[0]);
  CHECK(back[1] == original[1]);
  CHECK(back[2] == std::pair<std::string, std::string>{"$skiptoken", token});
}

// ---- $filter ---------------------------------------------------------------------------------

TEST_CASE("parse_filter reads every literal kind") {
  const auto terms = parse_filter(
      "a eq 'it''s' and b ne true and c eq false and d eq null and e eq 42 and f eq -7 and "
      "g eq 3.25 and h eq -0.5 and i eq 0000000A-BCDE-4000-8000-00000000FFFF and j eq ''");
  REQUIRE(terms.size() == 10);
  CHECK(terms[0].property == "a");
  CHECK(terms[0].op == filter_op::eq);
  CHECK(terms[0].literal == json::value("it's"));
  CHECK(terms[1].op == filter_op::ne);
  CHECK(terms[1].literal == json::value(true));
  CHECK(terms[2].literal == json::value(false));
  CHECK(terms[3].literal.is_null());
  CHECK(terms[4].literal == json::value(std::int64_t{42}));
  CHECK(terms[5].literal == json::value(std::int64_t{-7}));
  CHECK(terms[6].literal == json::value(3.25));
  CHECK(terms[7].literal == json::value(-0.5));
  CHECK(terms[8].literal == json::value("0000000a-bcde-4000-8000-00000000ffff"));
  CHECK(terms[8].literal_is_guid);
  CHECK_FALSE(terms[0].literal_is_guid);
  CHECK(terms[9].literal == json::value(""));
}

TEST_CASE("parse_filter accepts the product's queries and extra spaces") {
  const auto terms = parse_filter(
      "  acme_status eq 100000000 and   _acme_accountid_value eq "
      "00000000-0000-0000-0000-000000000001 ");
  REQUIRE(terms.size() == 2);
  CHECK(terms[1].property == "_acme_accountid_value");
  CHECK(terms[1].literal_is_guid);
}

TEST_CASE("parse_filter rejects everything outside the subset with a positioned syntax error") {
  const std::vector<std::pair<std::string_view, std::string_view>> cases{
      {"a eq 1 or b eq 2", "'or' is not supported"},
      {"(a eq 1)", "parentheses"},
      {"a eq 1 and (b eq 2)", "parentheses"},
      {"contains(a,'x')", "function 'contains'"},
      {"a gt 1", "operator 'gt'"},
      {"a le 1", "operator 'le'"},
      {"a eq 'open", "unterminated string"},
      {"a eq 'x' b", "expected 'and'"},
      {"a eq 1)", "unexpected ')'"},
      {"a eq 1 and", "expected a property name"},
      {"", "expected a property name"},
      {"a eq", "expected a literal"},
      {"a", "expected an operator"},
      {"a eq'x'", "expected a space after the operator"},
      {"not a eq 1", "'not' is not supported"},
      {"a eq guid'00000000-0000-0000-0000-000000000001'", "typed literals"},
      {"a eq abc", "unrecognized literal 'abc'"},
      {"a eq 1.", "unrecognized literal '1.'"},
      {"a eq 99999999999999999999", "out of range"},
      {"a/b eq 1", "navigation paths"},
      {"a eq 1 AND b eq 2", "expected 'and'"},
  };
  for (const auto& [filter, fragment] : cases) {
    INFO("filter: " << filter);
    const auto e = error_of([&] { parse_filter(filter); });
    require_bad_request(e, "Syntax error at position");
    require_bad_request(e, fragment);
  }
}

TEST_CASE("matches compares strings and GUIDs case-insensitively and numbers numerically") {
  row r = make_row("0000000A-0000-0000-0000-00000000000B");
  r["acme_name"] = json::value("Alpha Clinic");
  r["acme_attempts"] = json::value(std::int64_t{3});
  r["acme_score"] = json::value(2.5);
  r["acme_dnc"] = json::value(false);
  r["acme_nextattemptat"] = json::value(nullptr);
  const auto field = [&r](std::string_view p) -> const json::value* {
    const auto it = r.find(p);
    return it == r.end() ? nullptr : &it->second;
  };
  const auto holds = [&](std::string_view filter) { return matches(parse_filter(filter), field); };

  CHECK(holds("acme_name eq 'ALPHA clinic'"));
  CHECK_FALSE(holds("acme_name eq 'Alpha'"));
  CHECK(holds("acme_callqueueid eq 0000000a-0000-0000-0000-00000000000b"));
  CHECK(holds("acme_attempts eq 3.0"));
  CHECK(holds("acme_score eq 2.50"));
  CHECK_FALSE(holds("acme_score eq 2"));
  CHECK(holds("acme_dnc eq false"));
  CHECK_FALSE(holds("acme_dnc eq true"));
  CHECK(holds("acme_nextattemptat eq null"));     // stored null
  CHECK(holds("_acme_accountid_value eq null"));  // absent
  CHECK_FALSE(holds("_acme_accountid_value ne null"));
  CHECK(holds("acme_name ne null"));
  CHECK(holds("acme_name ne 'beta'"));
  CHECK(holds("_acme_accountid_value ne 00000000-0000-0000-0000-000000000001"));  // null ≠ value
  CHECK_FALSE(holds("_acme_accountid_value eq 00000000-0000-0000-0000-000000000001"));
  CHECK_FALSE(holds("acme_attempts eq '3'"));  // kinds differ: never equal
  CHECK(holds("acme_name eq 'alpha clinic' and acme_attempts eq 3"));
  CHECK_FALSE(holds("acme_name eq 'alpha clinic' and acme_attempts eq 4"));
  CHECK(holds("acme_name eq 'alpha clinic' and acme_attempts ne 4"));
}

TEST_CASE("matches lower-cases non-ASCII text too") {
  const json::value stored("ÉCOLE Ünïon");
  const auto field = [&](std::string_view) { return &stored; };
  CHECK(matches(parse_filter("x eq 'école ünïon'"), field));
  CHECK_FALSE(matches(parse_filter("x eq 'ecole union'"), field));
}

// ---- parse_collection_query --------------------------------------------------------------------

TEST_CASE("parse_collection_query reads the product's next-ready query") {
  const auto q = parse_collection_query(
      queue_table(),
      decode_query(
          "$filter=acme_status%20eq%20100000000%20and%20_acme_accountid_value%20eq%20"
          "00000000-0000-0000-0000-000000000001&$select=acme_callqueueid,acme_status&"
          "$orderby=acme_nextattemptat%20asc,createdon%20asc,acme_callqueueid%20asc&$top=1"));
  CHECK(q.filter.size() == 2);
  REQUIRE(q.select);
  CHECK(*q.select == std::vector<std::string>{"acme_callqueueid", "acme_status"});
  REQUIRE(q.orderby.size() == 3);
  CHECK(q.orderby[2].property == "acme_callqueueid");
  CHECK_FALSE(q.orderby[0].descending);
  CHECK(q.top == 1);
  CHECK_FALSE(q.skiptoken);
}

TEST_CASE("parse_collection_query names unknown properties as Dataverse does") {
  const auto table = queue_table();
  const auto expected =
      "Could not find a property named 'acme_nope' on type "
      "'Microsoft.Dynamics.CRM.acme_callqueue'.";
  for (const auto& [key, value] : params{{"$filter", "acme_nope eq 1"},
                                         {"$select", "acme_name,acme_nope"},
                                         {"$orderby", "acme_nope desc"}}) {
    INFO(key);
    const auto e = error_of([&, k = key, v = value] { parse_collection_query(table, {{k, v}}); });
    CHECK(std::string(e.what()) == expected);
    CHECK(e.status == 400);
  }
  // A lookup is addressed as _<c>_value; its bare logical name is no property.
  require_bad_request(
      error_of([&] {
        parse_collection_query(
            table, {{"$filter", "acme_accountid eq 00000000-0000-0000-0000-000000000001"}});
      }),
      "Could not find a property named 'acme_accountid'");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$select", "acme_accountid"}});
                      }),
                      "'acme_accountid'");
}

TEST_CASE("parse_collection_query rejects literals that cannot compare with the column") {
  const auto table = queue_table();
  require_bad_request(
      error_of([&] {
        parse_collection_query(
            table,
            {{"$filter", "_acme_accountid_value eq '00000000-0000-0000-0000-000000000001'"}});
      }),
      "Found operand types 'Edm.Guid' and 'Edm.String' for operator kind 'Equal'");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$filter", "acme_status ne '1'"}});
                      }),
                      "'Edm.Int32' and 'Edm.String' for operator kind 'NotEqual'");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$filter", "acme_dnc eq 1"}});
                      }),
                      "'Edm.Boolean'");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$filter", "acme_name eq 5"}});
                      }),
                      "'Edm.String'");
  // null fits every column; numbers fit integers and decimals alike.
  CHECK(parse_collection_query(table, {{"$filter",
                                        "_acme_accountid_value eq null and acme_score eq 1 and "
                                        "acme_attempts eq 2.0 and acme_dnc eq true"}})
            .filter.size() == 4);
}

TEST_CASE("parse_collection_query rejects unsupported, repeated and malformed options") {
  const auto table = queue_table();
  for (const std::string option : {"$skip", "$count", "$apply", "$expand", "$search", "$foo"}) {
    INFO(option);
    require_bad_request(error_of([&] {
                          parse_collection_query(table, {{option, "1"}});
                        }),
                        "The query parameter " + option + " is not supported.");
  }
  for (const std::string top : {"-1", "abc", "1.5", "", "+1", "99999999999999999999"}) {
    INFO("$top=" << top);
    require_bad_request(error_of([&] {
                          parse_collection_query(table, {{"$top", top}});
                        }),
                        "requires a non-negative integer value");
  }
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$top", "1"}, {"$top", "2"}});
                      }),
                      "Query option '$top' was specified more than once");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$select", "acme_name,,x"}});
                      }),
                      "empty item");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$orderby", "acme_name sideways"}});
                      }),
                      "expected '<property> [asc|desc]'");
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$filter", "acme_name eq 'x' or 1"}});
                      }),
                      "'or' is not supported");
}

TEST_CASE("parse_collection_query accepts $top=0, $select=*, and ignores custom parameters") {
  const auto q =
      parse_collection_query(queue_table(), {{"$top", "0"}, {"$select", "*"}, {"debug", "1"}});
  CHECK(q.top == 0);
  CHECK_FALSE(q.select);
  CHECK(q.filter.empty());
}

// ---- projection --------------------------------------------------------------------------------

TEST_CASE("project_row puts the etag first, sorts properties and nulls unset selections") {
  const auto table = queue_table();
  row r = make_row(id(1), 42);
  r["acme_name"] = json::value("A");
  r["acme_status"] = json::value(std::int64_t{100000000});

  const auto selected =
      project_row(table, r, std::vector<std::string>{"acme_status", "acme_name", "acme_score"});
  CHECK(json::write_compact(selected) ==
        R"({"@odata.etag":"W/\"42\"","acme_name":"A","acme_score":null,"acme_status":100000000})");

  const auto all = project_row(table, r, std::nullopt);
  const auto& members = all.as_object();
  REQUIRE(members.size() == r.size() + 1);
  CHECK(members[0].first == "@odata.etag");
  CHECK(std::is_sorted(members.begin() + 1, members.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; }));
  CHECK(all.find("acme_score") == nullptr);  // unset and unselected: omitted
}

// ---- ordering --------------------------------------------------------------------------------

TEST_CASE("compare_guid_sql follows SQL Server uniqueidentifier order") {
  // The conformance case: the last group decides first.
  CHECK(compare_guid_sql("00000002-0000-0000-0000-000000000001",
                         "00000001-0000-0000-0000-000000000002") < 0);
  CHECK(compare_guid_sql("00000001-0000-0000-0000-000000000002",
                         "00000002-0000-0000-0000-000000000001") > 0);
  CHECK(compare_guid_sql("ABCDEF00-0000-0000-0000-0000000000AA",
                         "abcdef00-0000-0000-0000-0000000000aa") == 0);
  // Bytes 10–15 left to right, then 8, 9, then 7 down to 0.
  CHECK(compare_guid_sql("ff000000-0000-0000-0000-010000000000",
                         "00000000-0000-0000-0000-00ffffffffff") > 0);
  CHECK(compare_guid_sql("ffffffff-ffff-ffff-ff00-000000000000",
                         "00000000-0000-0000-00ff-000000000000") > 0);  // 8 before 9
  CHECK(compare_guid_sql("ffffffff-ffff-ffff-0001-000000000000",
                         "00000000-0000-0000-0100-000000000000") < 0);
  CHECK(compare_guid_sql("ffffffff-ffff-00ff-0000-000000000000",
                         "00000000-0000-0100-0000-000000000000") > 0);  // 7 before 6
  CHECK(compare_guid_sql("00000000-0000-0001-0000-000000000000",
                         "ff000000-0000-0000-0000-000000000000") > 0);
  CHECK(compare_guid_sql("01000000-0000-0000-0000-000000000000",
                         "00ffffff-0000-0000-0000-000000000000") < 0);  // 0 last
  CHECK(compare_guid_sql("00ffffff-0000-0000-0000-000000000000",
                         "01000000-0000-0000-0000-000000000000") > 0);
  // Not GUIDs: case-insensitive text order.
  CHECK(compare_guid_sql("abc", "ABD") < 0);
}

TEST_CASE("compare_values orders nulls first, numbers numerically, strings case-insensitively") {
  const json::value null_v, one(std::int64_t{1}), one_half(1.5), two(std::int64_t{2}), t(true),
      f(false);
  const json::value apple("apple"), banana("BANANA");
  CHECK(compare_values(attribute_kind::integer, nullptr, &one) < 0);
  CHECK(compare_values(attribute_kind::integer, &null_v, nullptr) == 0);
  CHECK(compare_values(attribute_kind::decimal, &one_half, &two) < 0);
  CHECK(compare_values(attribute_kind::decimal, &one_half, &one) > 0);
  CHECK(compare_values(attribute_kind::boolean, &f, &t) < 0);
  CHECK(compare_values(attribute_kind::string_, &apple, &banana) < 0);
  const json::value upper("APPLE");
  CHECK(compare_values(attribute_kind::string_, &apple, &upper) == 0);
  const json::value g1("00000002-0000-0000-0000-000000000001"),
      g2("00000001-0000-0000-0000-000000000002");
  CHECK(compare_values(attribute_kind::lookup, &g1, &g2) < 0);
  CHECK(compare_values(attribute_kind::string_, &g1, &g2) > 0);  // a String column is plain text
}

TEST_CASE("$orderby sorts by several keys, nulls first ascending and last descending") {
  std::vector<row> rows;
  const auto add = [&](int n, const json::value& next, const json::value& name) {
    row r = make_row(id(n));
    r["acme_nextattemptat"] = next;
    r["acme_name"] = name;
    rows.push_back(std::move(r));
  };
  add(1, json::value("2026-01-02T00:00:00.000Z"), json::value("b"));
  add(2, json::value(nullptr), json::value("A"));
  add(3, json::value("2026-01-01T00:00:00.000Z"), json::value("c"));
  add(4, json::value("2026-01-02T00:00:00.000Z"), json::value("a"));
  add(5, json::value(nullptr), json::value("B"));
  rows.push_back(make_row(id(6)));  // both absent

  CHECK(ids_of(run(rows, "$orderby=acme_nextattemptat asc,acme_name desc").rows) ==
        std::vector<std::string>{id(5), id(2), id(6), id(3), id(1), id(4)});
  CHECK(ids_of(run(rows, "$orderby=acme_nextattemptat desc,acme_name").rows) ==
        std::vector<std::string>{id(4), id(1), id(3), id(6), id(2), id(5)});
  // Case-insensitive: 'A' and 'a' tie, then the primary id decides.
  CHECK(ids_of(run(rows, "$orderby=acme_name").rows) ==
        std::vector<std::string>{id(6), id(2), id(4), id(1), id(5), id(3)});
}

TEST_CASE("the primary id in SQL Server order is the final tie-break") {
  std::vector<row> rows;
  for (const auto* pk :
       {"00000001-0000-0000-0000-000000000002", "00000002-0000-0000-0000-000000000001",
        "00000003-0000-0000-0000-000000000001"}) {
    row r = make_row(pk);
    r["acme_status"] = json::value(std::int64_t{100000000});
    rows.push_back(std::move(r));
  }
  CHECK(ids_of(run(rows, "$orderby=acme_status").rows) ==
        std::vector<std::string>{"00000002-0000-0000-0000-000000000001",
                                 "00000003-0000-0000-0000-000000000001",
                                 "00000001-0000-0000-0000-000000000002"});
  CHECK(ids_of(run(rows, "").rows) == ids_of(run(rows, "$orderby=acme_callqueueid").rows));
  CHECK(ids_of(run(rows, "$orderby=acme_callqueueid desc").rows) ==
        std::vector<std::string>{"00000001-0000-0000-0000-000000000002",
                                 "00000003-0000-0000-0000-000000000001",
                                 "00000002-0000-0000-0000-000000000001"});
}

TEST_CASE("pinned_primary_id finds '<pk> eq <guid>' so the store can skip the scan") {
  const auto table = queue_table();
  const auto pinned = [&](std::string_view filter) {
    return pinned_primary_id(table,
                             parse_collection_query(table, {{"$filter", std::string(filter)}}));
  };
  CHECK(pinned("acme_status eq 1 and acme_callqueueid eq 0000000A-0000-0000-0000-000000000001") ==
        "0000000a-0000-0000-0000-000000000001");
  CHECK_FALSE(pinned("acme_callqueueid ne 00000000-0000-0000-0000-000000000001"));
  CHECK_FALSE(pinned("acme_callqueueid eq null"));
  CHECK_FALSE(pinned("_acme_accountid_value eq 00000000-0000-0000-0000-000000000001"));
  CHECK_FALSE(pinned_primary_id(table, collection_query{}));
}

// ---- $top and paging ----------------------------------------------------------------------------

std::vector<row> numbered_rows(int count) {
  std::vector<row> rows;
  for (int n = 1; n <= count; ++n) {
    row r = make_row(id(n));
    r["acme_attempts"] = json::value(std::int64_t{n % 7});
    r["acme_status"] = json::value(std::int64_t{n % 3 == 0 ? 100000001 : 100000000});
    rows.push_back(std::move(r));
  }
  return rows;
}

TEST_CASE("$top cuts the page without a nextLink, maxpagesize overrides it") {
  const auto rows = numbered_rows(20);
  const auto top = run(rows, "$filter=acme_status eq 100000000&$orderby=acme_attempts desc&$top=3");
  CHECK(ids_of(top.rows) ==
        std::vector<std::string>{id(13), id(20), id(5)});  // 6 attempts by id, then 5
  CHECK_FALSE(top.next_skiptoken);
  CHECK(run(rows, "$top=0").rows.empty());
  CHECK(run(rows, "$top=100").rows.size() == 20);

  const auto paged = run(rows, "$top=3", 5);
  CHECK(paged.rows.size() == 5);
  CHECK(paged.next_skiptoken);
}

TEST_CASE("without $top or maxpagesize a page holds 5000 rows and announces the rest") {
  const auto rows = numbered_rows(5001);
  const auto first = run(rows, "");
  CHECK(first.rows.size() == 5000);
  REQUIRE(first.next_skiptoken);
  const auto second = run(rows, "$skiptoken=" + percent_encode(*first.next_skiptoken));
  CHECK(ids_of(second.rows) == std::vector<std::string>{id(5001)});
  CHECK_FALSE(second.next_skiptoken);
  CHECK_FALSE(run(numbered_rows(5000), "").next_skiptoken);
}

TEST_CASE("maxpagesize paging visits every row once, in the full order") {
  const auto rows = numbered_rows(53);
  const std::string query =
      "$filter=acme_status eq 100000000&$orderby=acme_attempts desc,createdon asc";
  const auto everything = ids_of(run(rows, query).rows);
  REQUIRE(everything.size() == 36);

  std::vector<std::string> seen;
  auto params = decode_query(query);
  int pages = 0;
  for (;;) {
    const auto table = queue_table();
    const auto page = select_page(table, pointers(rows), parse_collection_query(table, params), 10);
    ++pages;
    for (const auto& s : ids_of(page.rows)) seen.push_back(s);
    if (!page.next_skiptoken) break;
    CHECK(page.rows.size() == 10);
    params = decode_query(build_next_link_query(params, *page.next_skiptoken));
  }
  CHECK(pages == 4);
  CHECK(seen == everything);
}

TEST_CASE("rows deleted or changed behind the cursor never shift the next page") {
  auto rows = numbered_rows(30);
  const std::string query = "$orderby=acme_attempts asc";
  const auto first = run(rows, query, 10);
  REQUIRE(first.next_skiptoken);
  const auto token_query = query + "&$skiptoken=" + percent_encode(*first.next_skiptoken);
  const auto expected = ids_of(run(rows, token_query, 10).rows);
  REQUIRE(expected.size() == 10);

  // Delete two rows of the first page and move a third one to the end of the order.
  const auto on_first = ids_of(first.rows);
  std::erase_if(rows, [&](const row& r) {
    const auto& pk = r.at("acme_callqueueid").as_string();
    return pk == on_first[0] || pk == on_first[4];
  });
  for (auto& r : rows)
    if (r.at("acme_callqueueid").as_string() == on_first[1])
      r["acme_attempts"] = json::value(std::int64_t{99});
  // A row added behind the cursor does not shift it either.
  row early = make_row(id(900));
  early["acme_attempts"] = json::value(std::int64_t{-1});
  rows.push_back(early);

  CHECK(ids_of(run(rows, token_query, 10).rows) == expected);
}

TEST_CASE("a forged or foreign skiptoken is a 400") {
  const auto rows = numbered_rows(5);
  const auto table = queue_table();
  for (const std::string token : {"garbage", "{}", "[]", "[1,2,3]", "[\"not-a-guid\"]", "[[1]]",
                                  "[{\"a\":1}]", "[1]", "[null]"}) {
    INFO("token: " << token);
    require_bad_request(error_of([&] {
                          parse_collection_query(table, {{"$skiptoken", token}});
                        }),
                        "The $skiptoken value is not valid for this query.");
    collection_query q;
    q.skiptoken = token;
    require_bad_request(error_of([&] { select_page(table, pointers(rows), q, 2); }), "$skiptoken");
  }
  // A token from an ordered query does not fit the unordered one (different key count).
  const auto ordered = run(rows, "$orderby=acme_attempts", 2);
  REQUIRE(ordered.next_skiptoken);
  require_bad_request(error_of([&] {
                        parse_collection_query(table, {{"$skiptoken", *ordered.next_skiptoken}});
                      }),
                      "$skiptoken");
  // The token itself works with its own query.
  CHECK(run(rows, "$orderby=acme_attempts&$skiptoken=" + percent_encode(*ordered.next_skiptoken), 2)
            .rows.size() == 2);
}

TEST_CASE("a skiptoken keeps decimal values exact") {
  std::vector<row> rows;
  for (int n = 1; n <= 4; ++n) {
    row r = make_row(id(n));
    r["acme_score"] = json::value(n <= 2 ? 0.0001 : 0.0002);  // would collide at 3 decimals
    rows.push_back(std::move(r));
  }
  const auto first = run(rows, "$orderby=acme_score desc", 2);
  CHECK(ids_of(first.rows) == std::vector<std::string>{id(3), id(4)});
  REQUIRE(first.next_skiptoken);
  const auto second =
      run(rows, "$orderby=acme_score desc&$skiptoken=" + percent_encode(*first.next_skiptoken), 2);
  CHECK(ids_of(second.rows) == std::vector<std::string>{id(1), id(2)});
}

// ---- Prefer ---------------------------------------------------------------------------------

TEST_CASE("parse_prefer reads several preferences and ignores what it does not apply") {
  const auto p =
      parse_prefer("return=representation, odata.maxpagesize=50,odata.continue-on-error");
  CHECK(p.max_page_size == 50);
  CHECK(p.return_representation);
  CHECK(p.continue_on_error);

  const auto q = parse_prefer(
      "Odata.MaxPageSize=\"5000\"; x=1, odata.include-annotations=\"*,a\", continue-on-error");
  CHECK(q.max_page_size == 5000);
  CHECK_FALSE(q.return_representation);
  CHECK(q.continue_on_error);

  for (const std::string_view out_of_range :
       {"odata.maxpagesize=0", "odata.maxpagesize=5001", "odata.maxpagesize=-3",
        "odata.maxpagesize=abc", "odata.maxpagesize"}) {
    INFO(out_of_range);
    CHECK_FALSE(parse_prefer(out_of_range).max_page_size);
  }
  const auto none = parse_prefer("");
  CHECK_FALSE(none.max_page_size);
  CHECK_FALSE(none.return_representation);
  CHECK_FALSE(none.continue_on_error);
  CHECK_FALSE(parse_prefer("return=minimal").return_representation);
  CHECK_FALSE(parse_prefer("odata.continue-on-error=false").continue_on_error);
}

}  // namespace
}  // namespace opencloser::emulator
