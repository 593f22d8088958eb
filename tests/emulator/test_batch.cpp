// The emulator's `$batch` (emulator.md §4): request parsing, the runner's change-set /
// Content-ID / continue-on-error semantics against a scripted fake executor, the exact
// response text, and a round trip through the product's writer and reader.

#include "emulator/batch.hpp"

#include <random>
#include <string>
#include <vector>

#include "tests/unit/test_support.hpp"

using namespace opencloser::emulator;

namespace {

/// Test texts are written with LF; the wire uses CRLF.
std::string crlf(std::string_view lf_text) {
  std::string out;
  for (const char c : lf_text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

constexpr std::string_view base = "https://emu.example/api/data/v9.2/";

/// The shape of Microsoft's documented example: a change set with two creates, then a GET.
const std::string microsoft_example = crlf(R"j(--batch_AAA123
Content-Type: multipart/mixed; boundary=changeset_BBB456

--changeset_BBB456
Content-Type: application/http
Content-Transfer-Encoding:binary
Content-ID: 1

POST https://emu.example/api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{"subject":"Task 1 in batch","regardingobjectid_account_task@odata.bind":"accounts(00000000-0000-0000-0000-000000000001)"}
--changeset_BBB456
Content-Type: application/http
Content-Transfer-Encoding:binary
Content-ID: 2

POST https://emu.example/api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{"subject":"Task 2 in batch"}
--changeset_BBB456--

--batch_AAA123
Content-Type: application/http
Content-Transfer-Encoding:binary

GET https://emu.example/api/data/v9.2/tasks?$select=subject HTTP/1.1
Accept: application/json

--batch_AAA123--
)j");

int status_of_parse(std::string_view content_type, std::string_view body) {
  try {
    parse_batch(content_type, body);
    return 0;
  } catch (const web_error& e) {
    return e.status;
  }
}

std::string parse_error_message(std::string_view content_type, std::string_view body) {
  try {
    parse_batch(content_type, body);
  } catch (const web_error& e) {
    CHECK(e.status == 400);
    CHECK(e.code == "0x80060888");
    return e.what();
  }
  FAIL("parse_batch accepted the body");
  return {};
}

/// A scripted store: POST → 204 with a new entity URL; PATCH/DELETE → 204 (no
/// OData-EntityId unless the URL says `withid`); GET → 200 JSON; a URL containing `fail412`
/// → 412; `throwweb` → throws web_error 404; `throwother` → throws std::logic_error;
/// `created201` → 201 with a body and no entity headers.
struct fake_store {
  struct call {
    std::string method, url, body;
    std::size_t index;
  };
  std::vector<call> calls;
  int begins = 0, commits = 0, rollbacks = 0, boundaries = 0, created = 0;

  batch_executor executor() {
    batch_executor exec;
    exec.execute = [this](const batch_operation& op, std::size_t index) {
      return execute(op, index);
    };
    exec.begin_changeset = [this] { ++begins; };
    exec.commit_changeset = [this] { ++commits; };
    exec.rollback_changeset = [this] { ++rollbacks; };
    exec.new_boundary_id = [this] {
      ++boundaries;
      return "00000000-0000-0000-0000-00000000000" + std::to_string(boundaries);
    };
    return exec;
  }

  operation_result execute(const batch_operation& op, std::size_t index) {
    calls.push_back({op.method, op.url, op.body, index});
    if (op.url.find("fail412") != std::string::npos)
      return error_result(
          web_error(412, "0x80060882", "The version of the existing record doesn't match."));
    if (op.url.find("throwweb") != std::string::npos)
      throw web_error(404, "0x80040217", "task With Id = x Does Not Exist");
    if (op.url.find("throwother") != std::string::npos) throw std::logic_error("store broke");
    if (op.url.find("created201") != std::string::npos)
      return {201,
              {{"Content-Type", "application/json; odata.metadata=minimal"}},
              R"({"subject":"x"})"};
    if (op.method == "POST") {
      ++created;
      return {204,
              {{"OData-Version", "4.0"},
               {"OData-EntityId", std::string(base) + "tasks(00000000-0000-0000-0000-0000000000a" +
                                      std::to_string(created) + ")"}},
              ""};
    }
    if (op.method == "GET")
      return {
          200,
          {{"Content-Type", "application/json; odata.metadata=minimal"}, {"OData-Version", "4.0"}},
          R"({"value":[]})"};
    if (op.url.find("withid") != std::string::npos)
      return {204, {{"OData-EntityId", std::string(base) + "phonecalls(withid)"}}, ""};
    return {204, {{"OData-Version", "4.0"}}, ""};
  }
};

batch_operation op(std::string method, std::string url, std::string body = {},
                   std::optional<std::string> content_id = std::nullopt) {
  batch_operation o;
  o.method = std::move(method);
  o.url = std::move(url);
  o.body = std::move(body);
  o.content_id = std::move(content_id);
  if (!o.body.empty()) o.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  return o;
}

batch_part single(batch_operation o) {
  return batch_part{false, {std::move(o)}};
}
batch_part changeset(std::vector<batch_operation> ops) {
  return batch_part{true, std::move(ops)};
}

const std::string undeclared_body_1 =
    R"({"error":{"code":"0x80060888","message":"Content-ID Reference: '$1' does not exist in the batch context."}})";

}  // namespace

// ---------------------------------------------------------------- parsing

TEST_CASE("parse_batch reads a Dataverse batch shaped like Microsoft's example") {
  const auto parts = parse_batch("multipart/mixed; boundary=batch_AAA123", microsoft_example);
  REQUIRE(parts.size() == 2);

  REQUIRE(parts[0].is_changeset);
  REQUIRE(parts[0].operations.size() == 2);
  const auto& first = parts[0].operations[0];
  CHECK(first.method == "POST");
  CHECK(first.url == "https://emu.example/api/data/v9.2/tasks");
  CHECK(first.content_id == std::optional<std::string>("1"));
  CHECK(find_header(first.headers, "content-type") ==
        std::optional<std::string_view>("application/json; type=entry"));
  CHECK(
      first.body ==
      R"j({"subject":"Task 1 in batch","regardingobjectid_account_task@odata.bind":"accounts(00000000-0000-0000-0000-000000000001)"})j");
  CHECK(parts[0].operations[1].content_id == std::optional<std::string>("2"));
  CHECK(parts[0].operations[1].body == R"({"subject":"Task 2 in batch"})");

  REQUIRE_FALSE(parts[1].is_changeset);
  REQUIRE(parts[1].operations.size() == 1);
  const auto& get = parts[1].operations[0];
  CHECK(get.method == "GET");
  CHECK(get.url == "https://emu.example/api/data/v9.2/tasks?$select=subject");
  CHECK(get.headers == header_list{{"Accept", "application/json"}});
  CHECK(get.body.empty());
  CHECK_FALSE(get.content_id);
}

TEST_CASE("parse_batch accepts the boundary quoted, unquoted, with other parameters and any case") {
  const auto expected = parse_batch("multipart/mixed; boundary=batch_AAA123", microsoft_example);
  for (const auto* ct :
       {"multipart/mixed; boundary=\"batch_AAA123\"", "multipart/mixed;boundary=batch_AAA123",
        "Multipart/Mixed; Boundary=batch_AAA123; charset=utf-8",
        "multipart/mixed; type=x; boundary=\"batch_AAA123\" "}) {
    INFO(ct);
    const auto parts = parse_batch(ct, microsoft_example);
    REQUIRE(parts.size() == expected.size());
    CHECK(parts[0].operations[1].body == expected[0].operations[1].body);
  }
}

TEST_CASE("parse_batch reads LF-only bodies like CRLF ones") {
  std::string lf = microsoft_example;
  std::erase(lf, '\r');
  const auto a = parse_batch("multipart/mixed; boundary=batch_AAA123", lf);
  const auto b = parse_batch("multipart/mixed; boundary=batch_AAA123", microsoft_example);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].operations.size() == b[i].operations.size());
    for (std::size_t j = 0; j < a[i].operations.size(); ++j) {
      CHECK(a[i].operations[j].method == b[i].operations[j].method);
      CHECK(a[i].operations[j].url == b[i].operations[j].url);
      CHECK(a[i].operations[j].headers == b[i].operations[j].headers);
      CHECK(a[i].operations[j].body == b[i].operations[j].body);
      CHECK(a[i].operations[j].content_id == b[i].operations[j].content_id);
    }
  }
}

TEST_CASE(
    "parse_batch keeps relative and $n URLs as written and reads Content-ID among request "
    "headers") {
  const auto body = crlf(R"(preamble text is ignored
--b
Content-Type: multipart/mixed; boundary=cs

--cs
Content-Type: application/http

POST /api/data/v9.2/phonecalls HTTP/1.1
Content-ID: 7
Content-Type: application/json

{"subject":"a"}

--cs
Content-Type: application/http
Content-ID: 8

PATCH $7 HTTP/1.1
If-Match: *

{"statecode":1}
--cs--
--b
Content-Type: application/http

DELETE tasks(1) HTTP/1.1
--b--
epilogue is ignored too
)");
  const auto parts = parse_batch("multipart/mixed; boundary=b", body);
  REQUIRE(parts.size() == 2);
  REQUIRE(parts[0].operations.size() == 2);
  CHECK(parts[0].operations[0].url == "/api/data/v9.2/phonecalls");
  CHECK(parts[0].operations[0].content_id == std::optional<std::string>("7"));
  CHECK(parts[0].operations[0].body == R"({"subject":"a"})");  // trailing blank line is framing
  CHECK(parts[0].operations[1].url == "$7");
  CHECK(find_header(parts[0].operations[1].headers, "IF-MATCH") ==
        std::optional<std::string_view>("*"));
  CHECK(parts[1].operations[0].method == "DELETE");
  CHECK(parts[1].operations[0].url == "tasks(1)");
  CHECK(parts[1].operations[0].headers.empty());
}

TEST_CASE("parse_batch accepts an empty batch") {
  CHECK(parse_batch("multipart/mixed; boundary=b", "--b--\r\n").empty());
}

TEST_CASE("parse_batch rejects a missing or invalid boundary with 400") {
  const std::string body =
      "--b\r\nContent-Type: application/http\r\n\r\nGET tasks HTTP/1.1\r\n--b--\r\n";
  CHECK(parse_error_message("multipart/mixed", body).find("no boundary") != std::string::npos);
  CHECK(parse_error_message("application/json", body).find("must be multipart/mixed") !=
        std::string::npos);
  CHECK(status_of_parse("", body) == 400);
  CHECK(status_of_parse("multipart/mixed; boundary=", body) == 400);
  CHECK(status_of_parse("multipart/mixed; boundary=\"\"", body) == 400);
  CHECK(status_of_parse("multipart/mixed; boundary=\"b", body) == 400);
  CHECK(status_of_parse("multipart/mixed; boundary=" + std::string(71, 'x'), body) == 400);
  CHECK(status_of_parse("multipart/mixed; boundary=\"a{b}\"", body) == 400);
  CHECK(status_of_parse("multipart/mixed; boundary", body) == 400);
  // The boundary must be the one the body uses.
  CHECK(
      parse_error_message("multipart/mixed; boundary=other", body).find("no '--other' delimiter") !=
      std::string::npos);
}

TEST_CASE("parse_batch rejects GET inside a change set") {
  const auto body = crlf(R"(--b
Content-Type: multipart/mixed; boundary=cs

--cs
Content-Type: application/http

GET tasks HTTP/1.1

--cs--
--b--
)");
  const auto message = parse_error_message("multipart/mixed; boundary=b", body);
  CHECK(message ==
        "$batch part 1, change set part 1: GET requests are not allowed inside a change set");
}

TEST_CASE("parse_batch allows 1000 operations and rejects 1001 with 400") {
  const auto build = [](std::size_t singles, std::size_t in_changeset) {
    std::string body;
    for (std::size_t i = 0; i < singles; ++i)
      body += "--b\r\nContent-Type: application/http\r\n\r\nGET tasks HTTP/1.1\r\n";
    body += "--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n";
    for (std::size_t i = 0; i < in_changeset; ++i)
      body += "--cs\r\nContent-Type: application/http\r\n\r\nPOST tasks HTTP/1.1\r\n\r\n{}\r\n";
    body += "--cs--\r\n--b--\r\n";
    return body;
  };
  const auto ok = parse_batch("multipart/mixed; boundary=b", build(600, 400));
  REQUIRE(ok.size() == 601);
  CHECK(ok.back().operations.size() == 400);
  CHECK(parse_error_message("multipart/mixed; boundary=b", build(600, 401)) ==
        "The $batch request contains more than 1000 operations.");
  CHECK(status_of_parse("multipart/mixed; boundary=b", build(1001, 1)) == 400);
}

TEST_CASE("parse_batch rejects malformed parts with a message naming the part") {
  const auto ct = "multipart/mixed; boundary=b";
  const auto msg = [&](std::string_view lf_body) { return parse_error_message(ct, crlf(lf_body)); };

  CHECK(msg("--b\nContent-Type: application/http\nGET tasks HTTP/1.1\n--b--\n") ==
        "$batch part 1: malformed header line 'GET tasks HTTP/1.1'");
  CHECK(msg("--b\nContent-Type: application/http\n--b--\n") ==
        "$batch part 1: no blank line after the part headers");
  CHECK(msg("--b\nContent-Type: application/http\n\n\n--b--\n") ==
        "$batch part 1: no request line");
  CHECK(msg("--b\nContent-Type: application/http\n\nGET tasks\n--b--\n")
            .starts_with("$batch part 1: malformed request line 'GET tasks'"));
  CHECK(msg("--b\nContent-Type: application/http\n\nget tasks HTTP/1.1\n--b--\n")
            .starts_with("$batch part 1: malformed request line"));
  CHECK(msg("--b\nContent-Type: application/http\n\nGET tasks HTTP/1.1 extra\n--b--\n")
            .starts_with("$batch part 1: malformed request line"));
  CHECK(msg("--b\n\nGET tasks HTTP/1.1\n--b--\n") == "$batch part 1: no Content-Type header");
  CHECK(msg("--b\nContent-Type: text/plain\n\nhello\n--b--\n") ==
        "$batch part 1: unsupported part Content-Type 'text/plain'");
  CHECK(msg("--b\nContent-Type: application/http\nContent-Transfer-Encoding: "
            "base64\n\nR0VU\n--b--\n") ==
        "$batch part 1: unsupported Content-Transfer-Encoding 'base64'");
  CHECK(msg("--b\nContent-Type: application/http\n\nGET tasks HTTP/1.1\n--b\n") ==
        "Malformed $batch body: missing the closing delimiter '--b--'");
  CHECK(msg("no delimiter at all\n") == "Malformed $batch body: no '--b' delimiter found");
  // A JSON body without the blank line before it reads as a bad header.
  CHECK(msg("--b\nContent-Type: application/http\n\nPOST tasks "
            "HTTP/1.1\n{\"subject\":\"x\"}\n--b--\n")
            .starts_with("$batch part 1: malformed header line"));
  CHECK(msg("--b\nContent-Type: application/http\nContent-ID:\n\nGET tasks HTTP/1.1\n--b--\n") ==
        "$batch part 1: empty Content-ID");
}

TEST_CASE("parse_batch rejects malformed change sets") {
  const auto ct = "multipart/mixed; boundary=b";
  const auto msg = [&](std::string_view lf_body) { return parse_error_message(ct, crlf(lf_body)); };
  const std::string post = "Content-Type: application/http\n\nPOST tasks HTTP/1.1\n\n{}\n";

  CHECK(msg("--b\nContent-Type: multipart/mixed\n\n--cs\n" + post + "--cs--\n--b--\n") ==
        "$batch part 1: change set without a valid boundary");
  CHECK(msg("--b\nContent-Type: multipart/mixed; boundary=cs\n\n--cs\n" + post + "--b--\n") ==
        "$batch part 1: malformed change set: missing the closing delimiter '--cs--'");
  CHECK(msg("--b\nContent-Type: multipart/mixed; boundary=cs\n\n--cs--\n--b--\n") ==
        "$batch part 1: the change set has no operations");
  CHECK(
      msg("--b\nContent-Type: multipart/mixed; boundary=cs\n\n--cs\nContent-Type: multipart/mixed; "
          "boundary=cs2\n\n--cs2\n" +
          post + "--cs2--\n--cs--\n--b--\n") ==
      "$batch part 1, change set part 1: change sets cannot be nested");
  CHECK(msg("--b\nContent-Type: multipart/mixed; boundary=cs\n\n--cs\nContent-ID: 1\n" + post +
            "--cs\nContent-ID: 1\n" + post + "--cs--\n--b--\n") ==
        "$batch part 1, change set part 2: Content-ID '1' is repeated in the change set");
}

TEST_CASE("parse_batch answers every truncation of a valid body with 400, never a crash") {
  const auto ct = "multipart/mixed; boundary=batch_AAA123";
  const auto close_end =
      microsoft_example.rfind("--batch_AAA123--") + std::string_view("--batch_AAA123--").size();
  for (std::size_t len = 0; len < close_end; ++len) {
    INFO("length " << len);
    CHECK(status_of_parse(ct, std::string_view(microsoft_example).substr(0, len)) == 400);
  }
  CHECK(status_of_parse(ct, std::string_view(microsoft_example).substr(0, close_end)) == 0);
}

TEST_CASE("parse_batch survives random corruption: it parses or answers 400") {
  const auto ct = "multipart/mixed; boundary=batch_AAA123";
  std::mt19937 rng(20240611);
  constexpr std::string_view alphabet = "-\r\n:; $\"{}abc0123456789";
  int rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string body = microsoft_example;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const auto at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body.erase(at, 1 + rng() % 8);
          break;
        case 1:
          body.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          body[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    try {
      const auto parts = parse_batch(ct, body);
      for (const auto& part : parts) CHECK_FALSE(part.operations.empty());
    } catch (const web_error& e) {
      REQUIRE(e.status == 400);
      ++rejected;
    }
  }
  CHECK(rejected > 0);
}

// ---------------------------------------------------------------- running

TEST_CASE("run_batch renders a successful batch exactly, change sets nested") {
  fake_store store;
  const auto response = run_batch({changeset({op("POST", "tasks", R"({"subject":"a"})", "1"),
                                              op("PATCH", "$1", R"({"subject":"b"})", "2")}),
                                   single(op("GET", "tasks?$select=subject"))},
                                  false, store.executor());
  CHECK(response.status == 200);
  CHECK(response.content_type ==
        "multipart/mixed; boundary=batchresponse_00000000-0000-0000-0000-000000000001");
  CHECK(response.body == crlf(R"(--batchresponse_00000000-0000-0000-0000-000000000001
Content-Type: multipart/mixed; boundary=changesetresponse_00000000-0000-0000-0000-000000000002

--changesetresponse_00000000-0000-0000-0000-000000000002
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

HTTP/1.1 204 No Content
OData-Version: 4.0
OData-EntityId: https://emu.example/api/data/v9.2/tasks(00000000-0000-0000-0000-0000000000a1)


--changesetresponse_00000000-0000-0000-0000-000000000002
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

HTTP/1.1 204 No Content
OData-Version: 4.0


--changesetresponse_00000000-0000-0000-0000-000000000002--
--batchresponse_00000000-0000-0000-0000-000000000001
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"value":[]}
--batchresponse_00000000-0000-0000-0000-000000000001--
)"));
  CHECK(store.begins == 1);
  CHECK(store.commits == 1);
  CHECK(store.rollbacks == 0);
  REQUIRE(store.calls.size() == 3);
  CHECK(store.calls[1].url ==
        "https://emu.example/api/data/v9.2/tasks(00000000-0000-0000-0000-0000000000a1)");
  CHECK(store.calls[2].index == 2);
}

TEST_CASE("run_batch resolves $n at the start of a URL, keeping what follows") {
  fake_store store;
  const auto response = run_batch(
      {changeset({op("POST", "tasks", "{}", "1"), op("PATCH", "$1?x=1", "{}"),
                  op("DELETE", "$1/regardingobjectid/$ref"), op("PATCH", "$metadata", "{}")})},
      false, store.executor());
  CHECK(response.status == 200);
  REQUIRE(store.calls.size() == 4);
  const std::string entity = std::string(base) + "tasks(00000000-0000-0000-0000-0000000000a1)";
  CHECK(store.calls[1].url == entity + "?x=1");
  CHECK(store.calls[2].url == entity + "/regardingobjectid/$ref");
  CHECK(store.calls[3].url == "$metadata");  // not a Content-ID reference
}

TEST_CASE("run_batch resolves $n @odata.bind values and leaves other bodies byte for byte") {
  fake_store store;
  const std::string untouched = R"j({ "subject" : "$1",   "x@odata.bind": "/accounts(1)" })j";
  run_batch({changeset(
                {op("POST", "phonecalls", "{}", "1"),
                 op("POST", "tasks",
                    R"({"subject":"$1","regardingobjectid_phonecall_task@odata.bind":"$1","n":2})"),
                 op("POST", "tasks", untouched),
                 op("POST", "tasks", R"j({"members@odata.bind":["$1","/accounts(2)"]})j")})},
            false, store.executor());
  REQUIRE(store.calls.size() == 4);
  const std::string entity = std::string(base) + "tasks(00000000-0000-0000-0000-0000000000a1)";
  CHECK(store.calls[1].body ==
        R"({"subject":"$1","regardingobjectid_phonecall_task@odata.bind":")" + entity +
            R"(","n":2})");
  CHECK(store.calls[2].body == untouched);
  CHECK(store.calls[3].body == R"({"members@odata.bind":[")" + entity + R"j(","/accounts(2)"]})j");
}

TEST_CASE(
    "run_batch answers an undeclared Content-ID reference with the Dataverse 400 and rolls back") {
  fake_store store;
  const auto response =
      run_batch({changeset({op("POST", "tasks", "{}", "1"), op("PATCH", "$2", "{}", "2")}),
                 single(op("GET", "tasks"))},
                false, store.executor());
  CHECK(response.status == 400);
  CHECK(store.calls.size() == 1);  // the bad reference never reaches the store; the GET never runs
  CHECK(store.begins == 1);
  CHECK(store.rollbacks == 1);
  CHECK(store.commits == 0);
  const auto parsed = parse_batch_response(response.content_type, response.body);
  REQUIRE(parsed.size() == 1);
  CHECK(parsed[0].status == 400);
  CHECK(parsed[0].content_id == std::optional<std::string>("2"));
  CHECK(
      parsed[0].body ==
      R"({"error":{"code":"0x80060888","message":"Content-ID Reference: '$2' does not exist in the batch context."}})");
}

TEST_CASE("run_batch treats forward, top-level and bind references to unknown ids as undeclared") {
  SECTION("a reference to a later operation") {
    fake_store store;
    const auto r =
        run_batch({changeset({op("PATCH", "$1", "{}", "2"), op("POST", "tasks", "{}", "1")})},
                  false, store.executor());
    CHECK(r.status == 400);
    CHECK(parse_batch_response(r.content_type, r.body).at(0).body == undeclared_body_1);
  }
  SECTION("a reference outside any change set") {
    fake_store store;
    const auto r =
        run_batch({single(op("POST", "tasks", "{}", "1")), single(op("PATCH", "$1", "{}"))}, false,
                  store.executor());
    CHECK(r.status == 400);
    CHECK(store.calls.size() == 1);
    CHECK(parse_batch_response(r.content_type, r.body).at(0).body == undeclared_body_1);
  }
  SECTION("a bind reference") {
    fake_store store;
    const auto r = run_batch({changeset({op("POST", "tasks", R"({"ownerid@odata.bind":"$1"})")})},
                             false, store.executor());
    CHECK(r.status == 400);
    CHECK(store.calls.empty());
    CHECK(store.rollbacks == 1);
    CHECK(parse_batch_response(r.content_type, r.body).at(0).body == undeclared_body_1);
  }
  SECTION("an id whose result named no entity (201 with representation, no OData-EntityId)") {
    fake_store store;
    const auto r =
        run_batch({changeset({op("POST", "created201", "{}", "1"), op("PATCH", "$1", "{}")})},
                  false, store.executor());
    CHECK(r.status == 400);
    CHECK(parse_batch_response(r.content_type, r.body).at(0).body == undeclared_body_1);
  }
}

TEST_CASE("run_batch falls back to Location, then to the operation's own entity URL") {
  fake_store store;
  batch_executor exec = store.executor();
  exec.execute = [&](const batch_operation& o, std::size_t index) {
    store.calls.push_back({o.method, o.url, o.body, index});
    if (o.url == "accounts")
      return operation_result{201, {{"Location", "https://emu.example/loc(9)"}}, "{}"};
    return operation_result{204, {}, ""};
  };
  run_batch(
      {changeset({op("POST", "accounts", "{}", "1"), op("PATCH", "$1", "{}"),
                  op("PATCH", "phonecalls(42)?$select=x", "{}", "2"), op("PATCH", "$2", "{}")})},
      false, exec);
  REQUIRE(store.calls.size() == 4);
  CHECK(store.calls[1].url == "https://emu.example/loc(9)");
  CHECK(store.calls[3].url == "phonecalls(42)");
}

TEST_CASE("run_batch commits a successful change set and rolls back a failing one") {
  fake_store store;
  const auto response = run_batch(
      {changeset({op("POST", "tasks", "{}", "1")}),
       changeset({op("POST", "tasks", "{}", "1"), op("PATCH", "tasks(fail412)", "{}", "2"),
                  op("PATCH", "tasks(3)", "{}", "3")})},
      true, store.executor());
  CHECK(response.status == 200);
  CHECK(store.begins == 2);
  CHECK(store.commits == 1);
  CHECK(store.rollbacks == 1);
  CHECK(store.calls.size() == 3);  // the op after the failure is skipped
}

TEST_CASE("run_batch turns a thrown web_error into that operation's failure") {
  fake_store store;
  const auto response =
      run_batch({changeset({op("PATCH", "tasks(throwweb)", "{}", "5")})}, false, store.executor());
  CHECK(response.status == 404);
  CHECK(store.rollbacks == 1);
  const auto parsed = parse_batch_response(response.content_type, response.body);
  REQUIRE(parsed.size() == 1);
  CHECK(parsed[0].status == 404);
  CHECK(parsed[0].content_id == std::optional<std::string>("5"));
  CHECK(parsed[0].body ==
        R"({"error":{"code":"0x80040217","message":"task With Id = x Does Not Exist"}})");
}

TEST_CASE("run_batch rolls back an open change set before other exceptions propagate") {
  fake_store store;
  CHECK_THROWS_AS(
      run_batch({changeset({op("POST", "tasks", "{}"), op("PATCH", "tasks(throwother)", "{}")})},
                true, store.executor()),
      std::logic_error);
  CHECK(store.rollbacks == 1);
  CHECK(store.commits == 0);
}

TEST_CASE(
    "run_batch without continue-on-error stops at the first failure and answers with it alone") {
  SECTION("a failing top-level operation") {
    fake_store store;
    const auto response =
        run_batch({single(op("POST", "tasks", "{}")),
                   single(op("PATCH", "tasks(fail412)", "{}", "9")), single(op("GET", "tasks"))},
                  false, store.executor());
    CHECK(store.calls.size() == 2);
    CHECK(response.status == 412);
    CHECK(response.content_type ==
          "multipart/mixed; boundary=batchresponse_00000000-0000-0000-0000-000000000001");
    CHECK(response.body == crlf(R"(--batchresponse_00000000-0000-0000-0000-000000000001
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 9

HTTP/1.1 412 Precondition Failed
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{"error":{"code":"0x80060882","message":"The version of the existing record doesn't match."}}
--batchresponse_00000000-0000-0000-0000-000000000001--
)"));
  }
  SECTION("a failure inside a change set") {
    fake_store store;
    const auto response = run_batch(
        {changeset({op("POST", "tasks", "{}", "1"), op("PATCH", "tasks(fail412)", "{}", "2")}),
         single(op("GET", "tasks"))},
        false, store.executor());
    CHECK(response.status == 412);
    CHECK(store.calls.size() == 2);
    CHECK(store.rollbacks == 1);
    const auto parsed = parse_batch_response(response.content_type, response.body);
    REQUIRE(parsed.size() == 1);
    CHECK(parsed[0].status == 412);
    CHECK(parsed[0].content_id == std::optional<std::string>("2"));
  }
}

TEST_CASE("run_batch with continue-on-error answers 200 with a failure part and keeps going") {
  fake_store store;
  const auto response = run_batch(
      {single(op("GET", "tasks")), single(op("PATCH", "tasks(fail412)", "{}")),
       changeset({op("POST", "tasks", "{}", "1"), op("PATCH", "tasks(fail412)", "{}", "2"),
                  op("PATCH", "tasks(3)", "{}", "3")}),
       changeset({op("POST", "tasks", "{}", "1")}), single(op("GET", "accounts"))},
      true, store.executor());
  CHECK(response.status == 200);
  const auto parsed = parse_batch_response(response.content_type, response.body);
  REQUIRE(parsed.size() == 5);
  CHECK(parsed[0].status == 200);
  CHECK(parsed[1].status == 412);
  CHECK_FALSE(parsed[1].content_id);
  CHECK(parsed[2].status == 412);  // the failed change set: one part
  CHECK(parsed[2].content_id == std::optional<std::string>("2"));
  CHECK(parsed[3].status == 204);
  CHECK(parsed[3].content_id == std::optional<std::string>("1"));
  CHECK(parsed[4].status == 200);
  // inner_index is the position in the batch: the skipped third change-set op keeps index 4.
  REQUIRE(store.calls.size() == 6);
  CHECK(store.calls[4].index == 5);
  CHECK(store.calls[5].index == 6);
  CHECK(store.begins == 2);
  CHECK(store.commits == 1);
  CHECK(store.rollbacks == 1);
  // The failed change set is a plain application/http part at the batch level.
  CHECK(response.body.find("Content-ID: 2\r\n\r\nHTTP/1.1 412 Precondition Failed\r\n") !=
        std::string::npos);
  CHECK(response.body.find("changesetresponse_00000000-0000-0000-0000-000000000002") !=
        std::string::npos);
}

TEST_CASE("run_batch answers an empty batch with an empty multipart body") {
  fake_store store;
  const auto response = run_batch({}, false, store.executor());
  CHECK(response.status == 200);
  CHECK(response.body == "--batchresponse_00000000-0000-0000-0000-000000000001--\r\n");
  CHECK(parse_batch_response(response.content_type, response.body).empty());
}

// ---------------------------------------------------------------- with the product's side
// (the client-side writer and reader alone: tests/unit/test_batch_multipart.cpp)

TEST_CASE("builder, parser, runner and response parser round-trip") {
  std::vector<batch_operation> ops{
      op("POST", "/api/data/v9.2/phonecalls", R"({"subject":"Call","phonenumber":"+1 555"})", "1"),
      op("PATCH", "$1", R"({"statecode":1,"statuscode":2})", "2"),
      op("PATCH", "/api/data/v9.2/queueitems(22222222-2222-2222-2222-222222222222)",
         R"({"x":"a\nb"})", "3"),
      op("POST", "/api/data/v9.2/tasks", R"({"regardingobjectid_phonecall_task@odata.bind":"$1"})",
         "4")};
  ops[1].headers.emplace_back("If-Match", "*");
  const auto text = opencloser::dataverse::build_changeset_batch("batch_h", "changeset_h", ops);

  const auto parts = parse_batch("multipart/mixed; boundary=\"batch_h\"", text);
  REQUIRE(parts.size() == 1);
  REQUIRE(parts[0].is_changeset);
  REQUIRE(parts[0].operations.size() == ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    CHECK(parts[0].operations[i].method == ops[i].method);
    CHECK(parts[0].operations[i].url == ops[i].url);
    CHECK(parts[0].operations[i].headers == ops[i].headers);
    CHECK(parts[0].operations[i].body == ops[i].body);
    CHECK(parts[0].operations[i].content_id == ops[i].content_id);
  }

  fake_store store;
  const auto response = run_batch(parts, false, store.executor());
  REQUIRE(response.status == 200);
  const std::string entity = std::string(base) + "tasks(00000000-0000-0000-0000-0000000000a1)";
  CHECK(store.calls[1].url == entity);
  CHECK(store.calls[3].body ==
        R"({"regardingobjectid_phonecall_task@odata.bind":")" + entity + R"("})");

  const auto parsed = parse_batch_response(response.content_type, response.body);
  REQUIRE(parsed.size() == 4);
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    CHECK(parsed[i].status == 204);
    CHECK(parsed[i].content_id == std::optional<std::string>(std::to_string(i + 1)));
    CHECK(parsed[i].body.empty());
  }
  CHECK(find_header(parsed[0].headers, "odata-entityid") ==
        std::optional<std::string_view>(entity));
}

// ---------------------------------------------------------------- small helpers

TEST_CASE("prefers_continue_on_error reads the Prefer header") {
  CHECK(prefers_continue_on_error("odata.continue-on-error"));
  CHECK(prefers_continue_on_error("return=representation, odata.continue-on-error"));
  CHECK(prefers_continue_on_error("odata.maxpagesize=10,ODATA.Continue-On-Error=true"));
  CHECK(prefers_continue_on_error("continue-on-error"));
  CHECK_FALSE(prefers_continue_on_error("odata.continue-on-error=false"));
  CHECK_FALSE(prefers_continue_on_error(""));
  CHECK_FALSE(prefers_continue_on_error("return=representation"));
  CHECK_FALSE(prefers_continue_on_error("odata.continue-on-errors"));
}

TEST_CASE("service_relative_url strips host and service root") {
  using opt = std::optional<std::string>;
  CHECK(service_relative_url("https://emu.example:8443/api/data/v9.2/tasks(1)?$select=a") ==
        opt("tasks(1)?$select=a"));
  CHECK(service_relative_url("/api/data/v9.2/phonecalls") == opt("phonecalls"));
  CHECK(service_relative_url("tasks") == opt("tasks"));
  CHECK(service_relative_url("/api/data/v9.2") == opt(""));
  CHECK(service_relative_url("tasks?$filter=x eq 'http://a/b'") ==
        opt("tasks?$filter=x eq 'http://a/b'"));
  CHECK(service_relative_url("/other/tasks") == std::nullopt);
  CHECK(service_relative_url("https://emu.example/api/data/v9.1/tasks") == std::nullopt);
}

TEST_CASE("error_result is the Dataverse error answer") {
  const auto r = error_result(bad_request("bad \"thing\""));
  CHECK(r.status == 400);
  CHECK(r.headers == header_list{{"Content-Type", "application/json; odata.metadata=minimal"},
                                 {"OData-Version", "4.0"}});
  CHECK(r.body == R"({"error":{"code":"0x80060888","message":"bad \"thing\""}})");
}
