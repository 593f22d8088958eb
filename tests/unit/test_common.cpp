// Identifiers, UtcMs timestamps and the JSON writer (domain.md §1, §12; conformance.md §16).
#include <catch2/catch.hpp>

#include <regex>

#include "actors/common/ids.hpp"
#include "actors/common/utc_ms.hpp"
#include "adapters/json/json.hpp"

using namespace opencloser;

TEST_CASE("minted ids carry the prefix and 32 lowercase hex digits") {
  const auto id = mint_id("ses");
  CHECK(std::regex_match(id, std::regex("ses_[0-9a-f]{32}")));
  CHECK(mint_id("ses") != id);
  CHECK(id[4 + 12] == '4');  // UUIDv4 version nibble
}

TEST_CASE("GUIDs are validated exactly") {
  CHECK(is_guid("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11"));
  CHECK(is_guid("0B6F2C1E-9D1A-4C55-A3F2-6E7D8C9B0A11"));
  CHECK_FALSE(is_guid("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11\n"));
  CHECK_FALSE(is_guid("0b6f2c1e9d1a4c55a3f26e7d8c9b0a11"));
  CHECK_FALSE(is_guid("{0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11}"));
  CHECK_FALSE(is_guid("0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a1g"));
  CHECK_FALSE(is_guid(""));
  CHECK(canonical_guid("0B6F2C1E-9D1A-4C55-A3F2-6E7D8C9B0A11") ==
        "0b6f2c1e-9d1a-4c55-a3f2-6e7d8c9b0a11");
}

TEST_CASE("UUIDv5 matches RFC 4122 reference values") {
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "opencloser:queue_item:alf-prospect-001")
  CHECK(uuid_v5(opencloser_uuid_namespace, "opencloser:queue_item:alf-prospect-001") ==
        "3761d97f-7b0c-54b5-8640-e5d7c9cf22ec");
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  CHECK(uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org") ==
        "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  const auto rid = deterministic_record_id("ses_0123456789abcdef0123456789abcdef", "phonecall");
  CHECK(is_guid(rid));
  CHECK(rid == deterministic_record_id("ses_0123456789abcdef0123456789abcdef", "phonecall"));
  CHECK(rid != deterministic_record_id("ses_0123456789abcdef0123456789abcdef", "task"));
}

TEST_CASE("UtcMs shape, parsing and formatting") {
  CHECK(is_utc_ms("2026-06-01T16:00:00.000Z"));
  CHECK_FALSE(is_utc_ms("2026-06-01T16:00:00Z"));
  CHECK_FALSE(is_utc_ms("2026-06-01 16:00:00.000Z"));
  CHECK_FALSE(is_utc_ms("2026-06-01T16:00:00.000+00:00"));
  CHECK_FALSE(is_utc_ms(""));
  const auto ms = parse_utc_ms("2026-05-22T19:00:00.123Z");
  REQUIRE(ms);
  CHECK(*ms == 1779476400123LL);
  CHECK(format_utc_ms(*ms) == "2026-05-22T19:00:00.123Z");
  CHECK(format_utc_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK_FALSE(parse_utc_ms("2026-02-30T00:00:00.000Z"));
  CHECK(product_clock{*ms}.now_utc_ms() == "2026-05-22T19:00:00.123Z");
  CHECK(product_clock{*ms}.frozen());
}

TEST_CASE("artifact JSON encoding is byte exact") {
  json::value v;
  v.set("zeta", 1);
  v.set("alpha", json::value{});
  v.set("list", json::array{});
  v.set("obj", json::object{});
  v.set("text", "quote \" backslash \\ nl \n tab \t ctl \x01 caf\xC3\xA9 \xE2\x80\xAF");
  v.set("nested", json::array{json::value{true}, json::value{2.5}, json::value{std::int64_t{-7}}});
  CHECK(json::write_artifact(v) ==
        "{\n"
        "  \"alpha\": null,\n"
        "  \"list\": [],\n"
        "  \"nested\": [\n"
        "    true,\n"
        "    2.500,\n"
        "    -7\n"
        "  ],\n"
        "  \"obj\": {},\n"
        "  \"text\": \"quote \\\" backslash \\\\ nl \\n tab \\t ctl \\u0001 caf\xC3\xA9 "
        "\xE2\x80\xAF\",\n"
        "  \"zeta\": 1\n"
        "}\n");
  CHECK(json::write_compact(v).substr(0, 9) == "{\"zeta\":1");
}

TEST_CASE("keys sort by code point, not by locale") {
  json::value v;
  v.set("\xC3\xA9", 1);  // é U+00E9
  v.set("z", 2);
  v.set("Z", 3);
  CHECK(json::write_artifact(v) == "{\n  \"Z\": 3,\n  \"z\": 2,\n  \"\xC3\xA9\": 1\n}\n");
}

TEST_CASE("parsing keeps document order, integers and reports errors") {
  const auto v = json::parse(R"({"b": 1, "a": [1.0, "x", null, false], "b": 2})");
  REQUIRE(v.is_object());
  CHECK(v.as_object().front().first == "b");
  CHECK(v.find("b")->as_int() == 2);  // last duplicate wins
  CHECK(v.find("a")->as_array()[0].is_double());
  CHECK(v.find("missing") == nullptr);
  CHECK_THROWS_AS(json::parse("{\"a\": }"), json::parse_error);
  CHECK_THROWS_AS(json::parse("\xEF\xBB\xBF{}"), json::parse_error);
  CHECK_THROWS_AS(json::parse("{\"a\": \"\xFF\"}"), json::parse_error);
  CHECK_THROWS_AS(v.find("b")->as_string(), json::type_error);
}
