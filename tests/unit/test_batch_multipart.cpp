// The shared `$batch` wire format (adapters/dataverse/batch_multipart.hpp, dataverse.md §7.5):
// the client's change-set writer and response reader, the multipart framing both ends use,
// and the product's request/answer helpers built on it. The emulator's parser and runner
// over the same framing: tests/emulator/test_batch.cpp.

#include "adapters/dataverse/batch_multipart.hpp"

#include <boost/algorithm/string/replace.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapters/dataverse/dataverse_requests.hpp"
#include "adapters/dataverse/dataverse_responses.hpp"
#include "tests/unit/test_support.hpp"

using namespace opencloser::dataverse;

namespace {

/// Test texts are written with LF; the wire uses CRLF.
std::string crlf(std::string_view lf_text) {
  return boost::algorithm::replace_all_copy(std::string(lf_text), "\n", "\r\n");
}

/// A JSON operation as the product writes it.
batch_operation op(std::string method, std::string url, std::string body,
                   std::optional<std::string> content_id = std::nullopt) {
  return {std::move(method),
          std::move(url),
          {{"Content-Type", "application/json; charset=utf-8"}},
          std::move(body),
          std::move(content_id)};
}

std::string format_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const batch_format_error& e) {
    return e.what();
  }
  FAIL("no batch_format_error");
  return {};
}

}  // namespace

// ---- the client's writer and reader ---------------------------------------------------------

TEST_CASE("build_changeset_batch writes the dataverse.md 7.5 request byte for byte") {
  batch_operation patch =
      op("PATCH", "/api/data/v9.2/phonecalls(11111111-1111-1111-1111-111111111111)",
         R"({"statecode":1,"statuscode":2})", "2");
  patch.headers.emplace_back("If-Match", "*");
  const auto text = build_changeset_batch(
      "batch_0123456789abcdef0123456789abcdef", "changeset_0123456789abcdef0123456789abcdef",
      {op("POST", "/api/data/v9.2/phonecalls", R"({"subject":"Call"})", "1"), patch});
  CHECK(text == crlf(R"(--batch_0123456789abcdef0123456789abcdef
Content-Type: multipart/mixed; boundary=changeset_0123456789abcdef0123456789abcdef

--changeset_0123456789abcdef0123456789abcdef
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

POST /api/data/v9.2/phonecalls HTTP/1.1
Content-Type: application/json; charset=utf-8

{"subject":"Call"}
--changeset_0123456789abcdef0123456789abcdef
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

PATCH /api/data/v9.2/phonecalls(11111111-1111-1111-1111-111111111111) HTTP/1.1
Content-Type: application/json; charset=utf-8
If-Match: *

{"statecode":1,"statuscode":2}
--changeset_0123456789abcdef0123456789abcdef--
--batch_0123456789abcdef0123456789abcdef--
)"));
}

TEST_CASE("build_changeset_batch refuses what it cannot frame") {
  const std::vector<batch_operation> ops{op("POST", "tasks", "{}", "1")};
  CHECK_THROWS_AS(build_changeset_batch("b", "cs", {}), batch_format_error);
  CHECK_THROWS_AS(build_changeset_batch("", "cs", ops), batch_format_error);
  CHECK_THROWS_AS(build_changeset_batch("b", "b", ops), batch_format_error);
  CHECK_THROWS_AS(build_changeset_batch("b", "c{s}", ops), batch_format_error);
  CHECK_THROWS_AS(build_changeset_batch("b", "cs", {op("POST", "tasks", "x\r\n--cs\r\ny")}),
                  batch_format_error);
  CHECK_THROWS_AS(build_changeset_batch("b", "cs", {op("POST", "tasks\r\nX: y", "{}")}),
                  batch_format_error);
  batch_operation bad_header = op("POST", "tasks", "{}");
  bad_header.headers.emplace_back("If-Match", "*\r\nInjected: 1");
  CHECK_THROWS_AS(build_changeset_batch("b", "cs", {bad_header}), batch_format_error);
}

TEST_CASE("parse_batch_response reads a Dataverse-style response, LF-only too") {
  const std::string text = R"(--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f
Content-Type: multipart/mixed; boundary=changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc

--changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: https://org.example/api/data/v9.2/tasks(a59c24a2-3d48-e711-80e4-00155db84c17)
OData-EntityId: https://org.example/api/data/v9.2/tasks(a59c24a2-3d48-e711-80e4-00155db84c17)


--changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc--
--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"value":[{"subject":"x"}]}

--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f--
)";
  const auto ct = "multipart/mixed; boundary=batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f";
  for (const auto& body : {text, crlf(text)}) {
    const auto parsed = parse_batch_response(ct, body);
    REQUIRE(parsed.size() == 2);
    CHECK(parsed[0].status == 204);
    CHECK(parsed[0].content_id == std::optional<std::string>("1"));
    CHECK(find_header(parsed[0].headers, "OData-EntityId") ==
          std::optional<std::string_view>(
              "https://org.example/api/data/v9.2/tasks(a59c24a2-3d48-e711-80e4-00155db84c17)"));
    CHECK(parsed[0].body.empty());
    CHECK(parsed[1].status == 200);
    CHECK_FALSE(parsed[1].content_id);
    CHECK(parsed[1].body == R"({"value":[{"subject":"x"}]})");
  }
}

TEST_CASE("parse_batch_response rejects what is not a batch response") {
  const auto ok_part =
      crlf("--b\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\n\n\n--b--\n");
  CHECK(parse_batch_response("multipart/mixed; boundary=b", ok_part).at(0).status == 204);
  CHECK_THROWS_AS(
      parse_batch_response("application/json; odata.metadata=minimal", R"({"error":{}})"),
      batch_format_error);
  CHECK_THROWS_AS(
      parse_batch_response("multipart/mixed; boundary=b", ok_part.substr(0, ok_part.size() - 8)),
      batch_format_error);
  CHECK_THROWS_AS(parse_batch_response(
                      "multipart/mixed; boundary=b",
                      crlf("--b\nContent-Type: application/http\n\nHTTP/1.1 20 OK\n\n--b--\n")),
                  batch_format_error);
  CHECK_THROWS_AS(parse_batch_response(
                      "multipart/mixed; boundary=b",
                      crlf("--b\nContent-Type: application/http\n\nGET tasks HTTP/1.1\n\n--b--\n")),
                  batch_format_error);
  CHECK_THROWS_AS(parse_batch_response("multipart/mixed; boundary=b",
                                       crlf("--b\nContent-Type: text/plain\n\nhi\n--b--\n")),
                  batch_format_error);
}

TEST_CASE("reason_phrase names the statuses the emulator answers") {
  CHECK(reason_phrase(200) == "OK");
  CHECK(reason_phrase(201) == "Created");
  CHECK(reason_phrase(204) == "No Content");
  CHECK(reason_phrase(400) == "Bad Request");
  CHECK(reason_phrase(401) == "Unauthorized");
  CHECK(reason_phrase(404) == "Not Found");
  CHECK(reason_phrase(412) == "Precondition Failed");
  CHECK(reason_phrase(429) == "Too Many Requests");
  CHECK(reason_phrase(500) == "Internal Server Error");
  CHECK(reason_phrase(503) == "Service Unavailable");
  CHECK(reason_phrase(299) == "Unknown");
}

// ---- framing ---------------------------------------------------------------------------------

TEST_CASE("multipart_boundary reads quoted, unquoted and any-case Content-Types") {
  CHECK(multipart_boundary("multipart/mixed; boundary=batch_1") == "batch_1");
  CHECK(multipart_boundary("Multipart/Mixed;charset=x; BOUNDARY=\"batch 2\"") == "batch 2");
  CHECK(is_multipart_mixed("MULTIPART/mixed; boundary=b"));
  CHECK_FALSE(is_multipart_mixed("application/json; odata.metadata=minimal"));
  CHECK_FALSE(is_multipart_mixed(""));
  CHECK(format_error_of([] { multipart_boundary("multipart/mixed"); }) ==
        "Content-Type 'multipart/mixed' has no boundary");
  CHECK(format_error_of([] { multipart_boundary("text/plain; boundary=b"); }) ==
        "Content-Type must be multipart/mixed, got 'text/plain; boundary=b'");
  CHECK(format_error_of([] {
          multipart_boundary("multipart/mixed; boundary=\"b");
        }).starts_with("unterminated quoted parameter"));
  CHECK(format_error_of([] { multipart_boundary("multipart/mixed; boundary=a{b}"); }) ==
        "invalid multipart boundary 'a{b}'");
  CHECK_FALSE(is_valid_boundary(std::string(71, 'a')));
  CHECK(is_valid_boundary(std::string(70, 'a')));
}

TEST_CASE("split_multipart splits CRLF and LF bodies alike, ignoring preamble and epilogue") {
  const std::string lf = "preamble\n--b\nA: 1\n\none\n--b \ntwo\n\n--b--\nepilogue\n";
  for (const auto& body : {lf, crlf(lf)}) {
    const auto parts = split_multipart(body, "b");
    REQUIRE(parts.size() == 2);
    CHECK(std::string(parts[0]).starts_with("A: 1"));
    CHECK(parts[0].ends_with("one"));
    CHECK(parts[1].substr(0, 3) == "two");
    CHECK_FALSE(parts[1].ends_with("\n\n"));  // the delimiter's own line break is not content
  }
  CHECK(format_error_of([] { split_multipart("no delimiter here\n", "b"); }) ==
        "no '--b' delimiter found");
  CHECK(format_error_of([] { split_multipart("--b\nx\n", "b"); }) ==
        "missing the closing delimiter '--b--'");
}

TEST_CASE("part headers, transfer encoding and media type of one part") {
  const auto part = split_part_headers(
      crlf("content-type: application/http\nContent-Transfer-Encoding: BINARY\n\nGET x HTTP/1.1"),
      "part 1");
  CHECK(find_header(part.headers, "Content-Type") ==
        std::optional<std::string_view>("application/http"));
  CHECK(part.content == "GET x HTTP/1.1");
  CHECK(part_media_type(part, "part 1").type == "application/http");
  CHECK_NOTHROW(check_transfer_encoding(part, "part 1"));

  CHECK(format_error_of([] { split_part_headers("Content-Type: application/http\n", "part 2"); }) ==
        "part 2: no blank line after the part headers");
  CHECK(format_error_of([] { split_part_headers("not a header\n\n", "part 3"); }) ==
        "part 3: malformed header line 'not a header'");
  const auto base64 = split_part_headers("Content-Transfer-Encoding: base64\n\n", "part 4");
  CHECK(format_error_of([&] { check_transfer_encoding(base64, "part 4"); }) ==
        "part 4: unsupported Content-Transfer-Encoding 'base64'");
  CHECK(format_error_of([&] { part_media_type(base64, "part 4"); }) ==
        "part 4: no Content-Type header");
}

TEST_CASE("request and status messages of an application/http part") {
  const auto request = read_request_message(
      crlf("\nPATCH tasks(1) HTTP/1.1\nIf-Match:  *\n\n{\"a\":1}\n\n"), "part 1");
  CHECK(request.method == "PATCH");
  CHECK(request.url == "tasks(1)");
  CHECK(request.headers == header_list{{"If-Match", "*"}});
  CHECK(request.body == R"({"a":1})");
  CHECK_FALSE(request.content_id);
  // A request without body may end right after its headers.
  CHECK(read_request_message("GET tasks HTTP/1.1\nAccept: x", "p").headers.size() == 1);

  const auto status = read_status_message(crlf("HTTP/1.1 412 Precondition Failed\n"
                                               "OData-Version: 4.0\n\n{\"error\":{}}\n"),
                                          "part 2");
  CHECK(status.status == 412);
  CHECK(status.headers == header_list{{"OData-Version", "4.0"}});
  CHECK(status.body == R"({"error":{}})");
  CHECK(read_status_message("HTTP/1.1 204\n", "p").status == 204);  // reason is optional

  CHECK(format_error_of([] {
          read_request_message("get tasks HTTP/1.1\n", "p");
        }).starts_with("p: malformed request line 'get tasks HTTP/1.1'"));
  CHECK(format_error_of([] {
          read_request_message("POST tasks\n", "p");
        }).starts_with("p: malformed request line"));
  CHECK(format_error_of([] { read_request_message("\n\n", "p"); }) == "p: no request line");
  CHECK(format_error_of([] { read_status_message("HTTP/1.1 2040 OK\n", "p"); }) ==
        "p: malformed status line 'HTTP/1.1 2040 OK'");
  CHECK(format_error_of([] { read_status_message("204 No Content\n", "p"); }) ==
        "p: no HTTP status line");
}

TEST_CASE("append_http_part and friends write what the reader reads back") {
  // The exact bytes are pinned by the builder test above and the emulator's runner tests.
  std::string out;
  append_changeset_open(out, "b", "cs");
  append_http_part(out, "cs", std::string("7"), "HTTP/1.1 204 No Content",
                   {{"OData-Version", "4.0"}}, "");
  append_close_delimiter(out, "cs");
  append_http_part(out, "b", std::nullopt, "HTTP/1.1 200 OK", {}, "{}");
  append_close_delimiter(out, "b");
  CHECK(out.ends_with("\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}\r\n--b--\r\n"));
  const auto parsed = parse_batch_response("multipart/mixed; boundary=b", out);
  REQUIRE(parsed.size() == 2);
  CHECK(parsed[0].status == 204);
  CHECK(parsed[0].content_id == std::optional<std::string>("7"));
  CHECK(parsed[0].headers == header_list{{"OData-Version", "4.0"}});
  CHECK(parsed[1].status == 200);
  CHECK_FALSE(parsed[1].content_id);
  CHECK(parsed[1].body == "{}");
}

TEST_CASE("ascii_iequals and trim_blanks") {
  CHECK(ascii_iequals("Content-ID", "content-id"));
  CHECK_FALSE(ascii_iequals("Content-ID", "Content-IDs"));
  CHECK(trim_blanks(" \t a b \t") == "a b");
  CHECK(trim_blanks("   ").empty());
}

// ---- the product's $batch request and answer (dataverse.md §7.5) ----------------------------

namespace {

dataverse_request json_patch(std::string if_match) {
  dataverse_request r;
  r.step = "queue_status_update";
  r.method = "PATCH";
  r.relative_url = "acme_callqueues(1)";
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}, {"If-Match", if_match}};
  r.json_body = opencloser::json::value(opencloser::json::object{});
  return r;
}

constexpr std::string_view session = "ses_0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("batch_request's body reads back through the shared framing") {
  const auto r = batch_request(session, {json_patch("W/\"5\""), json_patch("*")});
  const auto boundary = multipart_boundary(r.headers.at(0).second);
  CHECK(boundary == "batch_0123456789abcdef0123456789abcdef");
  const auto top = split_multipart(r.raw_body, boundary);
  REQUIRE(top.size() == 1);
  const auto changeset = split_part_headers(top[0], "change set");
  const auto inner = split_multipart(changeset.content,
                                     *part_media_type(changeset, "change set").param("boundary"));
  REQUIRE(inner.size() == 2);
  const auto second = split_part_headers(inner[1], "part 2");
  CHECK(find_header(second.headers, "Content-ID") == std::optional<std::string_view>("2"));
  const auto request = read_request_message(second.content, "part 2");
  CHECK(request.url == "/api/data/v9.2/acme_callqueues(1)");
  CHECK(find_header(request.headers, "If-Match") == std::optional<std::string_view>("*"));
  CHECK(request.body == "{}");
}

TEST_CASE("batch_request refuses what the change set cannot frame with invalid_argument") {
  CHECK_THROWS_AS(batch_request(session, {}), std::invalid_argument);
  CHECK_THROWS_WITH(batch_request(session, {json_patch("*\r\nInjected: 1")}),
                    Catch::Contains("line break"));
}

TEST_CASE("batch_answer_outcome reads a multipart answer whatever its status") {
  const std::string ct = "multipart/mixed; boundary=batchresponse_1";
  const auto answer = [](std::string_view second_status, std::string_view second_body) {
    return crlf(std::string(R"(--batchresponse_1
Content-Type: multipart/mixed; boundary=changesetresponse_1

--changesetresponse_1
Content-Type: application/http
Content-ID: 1

HTTP/1.1 204 No Content


--changesetresponse_1
Content-Type: application/http
Content-ID: 2

HTTP/1.1 )") + std::string(second_status) +
                "\n\n" + std::string(second_body) +
                "\n--changesetresponse_1--\n--batchresponse_1--\n");
  };
  const auto ok = batch_answer_outcome(200, ct, answer("204 No Content", ""), 2);
  CHECK(ok.success);
  CHECK(ok.status == 200);
  CHECK_FALSE(batch_answer_outcome(200, ct, answer("204 No Content", ""), 3).success);

  const auto failed =
      batch_answer_outcome(412, ct, answer("412 Precondition Failed", R"({"error":{}})"), 2);
  CHECK_FALSE(failed.success);
  CHECK(failed.status == 412);
  CHECK(failed.body == R"({"error":{}})");

  const auto plain = batch_answer_outcome(400, "application/json; odata.metadata=minimal",
                                          R"({"error":{"code":"0x0"}})", 2);
  CHECK_FALSE(plain.success);
  CHECK(plain.status == 400);
  CHECK(plain.body == R"({"error":{"code":"0x0"}})");

  CHECK_THROWS_WITH(batch_answer_outcome(200, ct, "--batchresponse_1\r\n", 2),
                    Catch::StartsWith("unreadable $batch answer: "));
}
