// run-crm end to end: redaction (conformance.md §14), secrets (§15) and the command line, state
// database choice and byte-stable artifacts (§16; cli.md §1–§4, dataverse.md §8, §11, §12,
// domain.md §11–§12). Config variants are edited copies of the shipped TOML files written under
// the run's temporary directory; the conversation with personal data is written there too.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/cli_harness.hpp"

using namespace opencloser;
using namespace opencloser::e2e;
using Catch::Contains;
using Catch::StartsWith;

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Files and flags

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test setup: no '" + from + "' to replace");
  return text.replace(at, from.size(), to);
}

/// Points one of the harness's common flags (`--config`, `--slice2-config`, …) at `value`.
void set_common_flag(cli_env& env, const std::string& flag, const std::string& value) {
  const auto it = std::find(env.common_flags.begin(), env.common_flags.end(), flag);
  if (it == env.common_flags.end() || std::next(it) == env.common_flags.end())
    throw std::runtime_error("test setup: no common flag " + flag);
  *std::next(it) = value;
}

/// Drops a flag and its value from the common flags (so the TOML value applies).
void drop_common_flag(cli_env& env, const std::string& flag) {
  const auto it = std::find(env.common_flags.begin(), env.common_flags.end(), flag);
  if (it == env.common_flags.end() || std::next(it) == env.common_flags.end())
    throw std::runtime_error("test setup: no common flag " + flag);
  env.common_flags.erase(it, it + 2);
}

/// Writes the shipped slice2.toml with line replacements into env.dir and uses it.
fs::path use_slice2_variant(cli_env& env,
                            const std::vector<std::pair<std::string, std::string>>& edits,
                            const std::string& name = "slice2-variant.toml") {
  auto text = slurp(shipped("slice2.toml"));
  for (const auto& [from, to] : edits) text = replace_once(text, from, to);
  const auto path = env.dir / name;
  spit(path, text);
  set_common_flag(env, "--slice2-config", path.string());
  return path;
}

fs::path use_slice1_variant(cli_env& env,
                            const std::vector<std::pair<std::string, std::string>>& edits,
                            const std::string& name = "slice1-variant.toml") {
  auto text = slurp(shipped("slice1.toml"));
  for (const auto& [from, to] : edits) text = replace_once(text, from, to);
  const auto path = env.dir / name;
  spit(path, text);
  set_common_flag(env, "--config", path.string());
  return path;
}

/// The conformance retry defaults (backoff [0.01], cap 0.05) instead of the shipped [1, 2, 4].
const std::vector<std::pair<std::string, std::string>> fast_retry = {
    {"backoff_seconds = [1, 2, 4]", "backoff_seconds = [0.01]"},
    {"retry_after_cap_seconds = 30", "retry_after_cap_seconds = 0.05"}};

/// A directory of the test's own (outside env.dir), removed at scope end.
struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::random_device rd;
    for (int i = 0; i < 100 && path.empty(); ++i) {
      auto candidate = fs::temp_directory_path() / ("oc-e2e-cli-" + std::to_string(rd()));
      if (fs::create_directory(candidate)) path = candidate;
    }
    if (path.empty()) throw std::runtime_error("cannot create a scratch directory");
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

bool has_session_dir(const cli_env& env) {
  if (!fs::exists(env.artifacts())) return false;
  for (const auto& entry : fs::directory_iterator(env.artifacts()))
    if (entry.path().filename().string().rfind("ses_", 0) == 0) return true;
  return false;
}

std::string read_artifact_text(const cli_env& env, const std::string& sid,
                               const std::string& name) {
  return slurp(env.session_dir(sid) / name);
}

// ---------------------------------------------------------------------------------------------
// What a run left behind, as text to search

/// Every row of every table of the state database, as text (NULL as "").
std::string sqlite_dump(const cli_env& env) {
  if (!fs::exists(env.state_db())) return {};
  std::string out;
  for (const auto& table : env.query("SELECT name FROM sqlite_master WHERE type = 'table'")) {
    out += "## table " + table[0] + "\n";
    for (const auto& row : env.query("SELECT * FROM \"" + table[0] + "\"")) {
      for (const auto& cell : row) out += cell + "\t";
      out += "\n";
    }
  }
  return out;
}

/// One searchable piece: where it came from and its bytes.
using source = std::pair<std::string, std::string>;

/// Every regular file under `root` (raw bytes), named by its path.
std::vector<source> files_under(const fs::path& root) {
  std::vector<source> out;
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file()) out.emplace_back(entry.path().string(), slurp(entry.path()));
  return out;
}

/// The artifacts, the SQLite tables (as text and as the raw files), the given run outputs and
/// extra files.
std::vector<source> run_leftovers(const cli_env& env, const std::vector<cli_result>& runs,
                                  const std::vector<fs::path>& extra_files = {}) {
  auto out = files_under(env.artifacts());
  out.emplace_back("sqlite tables", sqlite_dump(env));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path raw = env.state_db().string() + suffix;
    if (fs::exists(raw)) out.emplace_back(raw.string(), slurp(raw));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    out.emplace_back("stdout of run " + std::to_string(i + 1), runs[i].out);
    out.emplace_back("stderr of run " + std::to_string(i + 1), runs[i].err);
  }
  for (const auto& file : extra_files)
    if (fs::exists(file)) out.emplace_back(file.string(), slurp(file));
  return out;
}

/// The names of the sources that contain `needle`.
std::vector<std::string> where_found(const std::vector<source>& sources,
                                     const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& [name, text] : sources)
    if (text.find(needle) != std::string::npos) hits.push_back(name);
  return hits;
}

bool is_hex_lower(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool is_hex(char c) {
  return is_hex_lower(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
}
bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// Sources holding something shaped like an emulator access token (`emu_` + 32 hex).
std::vector<std::string> token_hits(const std::vector<source>& sources) {
  std::vector<std::string> hits;
  for (const auto& [name, text] : sources) {
    for (auto at = text.find("emu_"); at != std::string::npos; at = text.find("emu_", at + 1)) {
      if (at + 4 + 32 > text.size()) break;
      if (std::all_of(text.begin() + static_cast<long>(at) + 4,
                      text.begin() + static_cast<long>(at) + 36, is_hex_lower)) {
        hits.push_back(name);
        break;
      }
    }
  }
  return hits;
}

/// Sources where `Bearer ` is followed by anything but `<redacted>`.
std::vector<std::string> bearer_hits(const std::vector<source>& sources) {
  std::vector<std::string> hits;
  for (const auto& [name, text] : sources)
    for (auto at = text.find("Bearer "); at != std::string::npos; at = text.find("Bearer ", at + 1))
      if (text.compare(at + 7, 10, "<redacted>") != 0) {
        hits.push_back(name + ": " + text.substr(at, 40));
        break;
      }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Redaction fixture (conformance.md §14): a callback with a phone and two e-mail addresses in
// the contact turns, in the documented phone formats (no-break and narrow no-break separators
// included). Only the first e-mail is an extraction candidate (domain.md §8.2): the persona's
// summary and result keep it (only the transcript is redacted, dataverse.md §11); the phones and
// the second address reach no artifact, row or record at all.

const std::string disclosure =
    "Hi, this is an AI assistant calling on behalf of Medx, the senior-living placement "
    "service. Is this a good time to chat for two minutes?";
const std::string nbsp = "\xC2\xA0";
const std::string nnbsp = "\xE2\x80\xAF";
const std::string captured_email = "ops.desk@maplecourt.example.net";
const std::string private_email = "jo.private@homemail.example.com";

const std::string contact_1_original =
    "I'm the owner of Maple Court. Call me back Tuesday at 4 PM at 415-555-0199, or email " +
    captured_email + ".";
const std::string contact_1_redacted =
    "I'm the owner of Maple Court. Call me back Tuesday at 4 PM at [REDACTED], or email "
    "[REDACTED].";
const std::string persona_2 = "Tuesday at 4 PM it is. Thank you!";
const std::string contact_2_original =
    "Also my private line is (212) 555-0147, backup +1 646 555 0123, cell 917" + nbsp + "555" +
    nbsp + "0111 or 718" + nnbsp + "555" + nnbsp +
    "0100, fax 3125550188 or 312.555.0177, personal mail " + private_email + ".";
const std::string contact_2_redacted =
    "Also my private line is [REDACTED], backup [REDACTED], cell [REDACTED] or [REDACTED], fax "
    "[REDACTED] or [REDACTED], personal mail [REDACTED].";

/// Personal data that must not survive anywhere under redaction (never extracted by the persona).
const std::vector<std::string> never_kept = {
    "415-555-0199", "555-0199",     "(212) 555-0147",     "555-0147",
    "646 555 0123", "555 0123",     "917" + nbsp + "555", "718" + nnbsp + "555",
    "3125550188",   "312.555.0177", private_email,        "homemail"};

std::string json_string(const std::string& text) {
  std::string out;
  json::append_escaped(out, text);  // quotes included
  return out;
}

std::string conversation_json(const std::vector<std::pair<std::string, std::string>>& turns) {
  std::string out = "{\n  \"fixture_id\": \"pii_callback\",\n  \"turns\": [\n";
  for (std::size_t i = 0; i < turns.size(); ++i)
    out += "    {\"role\": " + json_string(turns[i].first) +
           ", \"text\": " + json_string(turns[i].second) + "}" +
           (i + 1 < turns.size() ? ",\n" : "\n");
  return out + "  ]\n}\n";
}

/// Writes the PII conversation under env.dir/fixtures and returns its path.
std::string write_pii_conversation(const cli_env& env) {
  const auto path = env.dir / "fixtures" / "pii_callback.json";
  spit(path, conversation_json({{"persona", disclosure},
                                {"contact", contact_1_original},
                                {"persona", persona_2},
                                {"contact", contact_2_original}}));
  return path.string();
}

std::string transcript_of(const std::vector<std::pair<std::string, std::string>>& turns) {
  std::string out;
  for (const auto& [role, text] : turns) out += "[" + role + "] " + text + "\n";
  return out;
}

const std::string redacted_transcript = transcript_of({{"persona", disclosure},
                                                       {"contact", contact_1_redacted},
                                                       {"persona", persona_2},
                                                       {"contact", contact_2_redacted}});
const std::string original_transcript = transcript_of({{"persona", disclosure},
                                                       {"contact", contact_1_original},
                                                       {"persona", persona_2},
                                                       {"contact", contact_2_original}});

cli_result run_with_conversation(const cli_env& env, const std::string& conversation,
                                 const std::vector<std::string>& extra = {"--write"}) {
  std::vector<std::string> args{"run-crm",
                                "--queue-item-id",
                                ready_row,
                                "--transport-fixture",
                                fixture("transport_events/standard.json").string(),
                                "--conversation-fixture",
                                conversation};
  args.insert(args.end(), extra.begin(), extra.end());
  return env.run(args);
}

std::vector<std::string> warning_codes(const json::value& report) {
  std::vector<std::string> codes;
  for (const auto& w : report.find("warnings")->as_array())
    codes.push_back(w.find("code")->as_string());
  return codes;
}

std::string transcript_pointer_in_db(const cli_env& env, const std::string& sid) {
  const auto rows = env.query(
      "SELECT coalesce(transcript_pointer, '<null>') FROM normalized_results WHERE session_id = '" +
      sid + "'");
  return rows.size() == 1 ? rows[0][0] : "<no row>";
}

// ---------------------------------------------------------------------------------------------
// Secrets (conformance.md §15): a seed whose tenant, client and secret are distinctive, so that
// any leak is found by a plain substring search.

const std::string secret_tenant = "5ec7e7a1-d00d-4bad-beef-7e4a4717e4a4";
const std::string secret_client = "c1d15e17-feed-4c0d-8e11-c11e47c11e47";
const std::string secret_value = "Zq8~sEcReT!vAl-ue_9x";
const std::string secret_value_form = "Zq8%7EsEcReT%21vAl-ue_9x";

/// The shipped seed with the distinctive credentials, written into `dir`.
fs::path write_secret_seed(const fs::path& dir) {
  auto seed = json::parse(slurp(shipped("emulator-seed.json")));
  json::value auth = *seed.find("auth");
  auth.set("tenant_id", secret_tenant);
  json::object client{{"client_id", secret_client}, {"client_secret", secret_value}};
  auth.set("clients", json::array{json::value(client)});
  seed.set("auth", auth);
  const auto path = dir / "secret-seed.json";
  spit(path, json::write_artifact(seed));
  return path;
}

emulator::emulator_options secret_options(const fs::path& seed) {
  emulator::emulator_options o;
  o.seeds.push_back(seed);
  return o;
}

/// The environment of a secret test: the token authority reached as `localhost` so that the
/// authority (printed in token errors, dataverse.md §8) is not the secret env URL text.
void use_distinct_authority(cli_env& env) {
  env.env["OPENCLOSER_DATAVERSE_AUTHORITY_HOST"] =
      "http://localhost:" + std::to_string(env.emu.port());
}

/// Asserts that none of the secret values, no token and no credential form appear anywhere.
void check_no_secret(const cli_env& env, const std::vector<source>& sources) {
  REQUIRE(env.env.at("DATAVERSE_TENANT_ID") == secret_tenant);
  REQUIRE(env.env.at("DATAVERSE_CLIENT_ID") == secret_client);
  REQUIRE(env.env.at("DATAVERSE_CLIENT_SECRET") == secret_value);
  const auto env_url = env.env.at("DATAVERSE_ENV_URL");
  const auto host_port = "127.0.0.1:" + std::to_string(env.emu.port());
  for (const auto& needle :
       {secret_tenant, secret_client, secret_value, secret_value_form, env_url, host_port,
        std::string("client_secret="), std::string("client_secret%3D")}) {
    INFO("secret text: " << needle);
    CHECK(where_found(sources, needle).empty());
  }
  CHECK(token_hits(sources).empty());
  CHECK(bearer_hits(sources).empty());
}

// ---------------------------------------------------------------------------------------------
// Frozen-clock determinism (domain.md §12): generated ids, the temp dir and the GUIDs derived
// from session ids are masked, each distinct value numbered by first appearance, so equal
// structure (the same id in the same places) is still required.

bool generated_id_at(const std::string& text, std::size_t at, std::size_t prefix_len) {
  if (at > 0 && is_word(text[at - 1])) return false;
  const auto end = at + prefix_len + 32;
  if (end > text.size()) return false;
  for (auto i = at + prefix_len; i < end; ++i)
    if (!is_hex_lower(text[i])) return false;
  return end == text.size() || !is_word(text[end]);
}

bool guid_at(const std::string& text, std::size_t at) {
  if (at + 36 > text.size() || (at > 0 && is_hex(text[at - 1]))) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const char c = text[at + i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !is_hex(c)) return false;
  }
  return at + 36 == text.size() || !is_hex(text[at + 36]);
}

std::string lowered(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// GUIDs that come from the seed or the config (stable across runs, kept verbatim).
std::set<std::string> stable_guids() {
  std::set<std::string> out;
  for (const auto& file :
       {shipped("emulator-seed.json"), shipped("slice2.toml"), shipped("dataverse_mapping.json")}) {
    const auto text = slurp(file);
    for (std::size_t i = 0; i + 36 <= text.size(); ++i)
      if (guid_at(text, i)) out.insert(lowered(text.substr(i, 36)));
  }
  return out;
}

std::string masked(const std::string& text, const fs::path& temp_dir) {
  static const std::vector<std::string> prefixes = {"ses_",  "dec_", "call_",
                                                    "task_", "run_", "audit_"};
  static const auto keep = stable_guids();
  std::map<std::string, std::string> names;
  const auto name_of = [&](const std::string& kind, const std::string& value) {
    auto it = names.find(value);
    if (it == names.end())
      it = names.emplace(value, "<" + kind + std::to_string(names.size() + 1) + ">").first;
    return it->second;
  };
  std::string in = text;
  for (auto at = in.find(temp_dir.string()); at != std::string::npos;
       at = in.find(temp_dir.string(), at))
    in.replace(at, temp_dir.string().size(), "<tmp>");
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    bool replaced = false;
    for (const auto& p : prefixes)
      if (in.compare(i, p.size(), p) == 0 && generated_id_at(in, i, p.size())) {
        out += name_of(p, in.substr(i, p.size() + 32));
        i += p.size() + 32;
        replaced = true;
        break;
      }
    if (!replaced && guid_at(in, i) && !keep.count(lowered(in.substr(i, 36)))) {
      out += name_of("guid", lowered(in.substr(i, 36)));
      i += 36;
      replaced = true;
    }
    if (!replaced) out += in[i++];
  }
  return out;
}

/// One write run of the PII callback in a fresh environment: the session's files by name.
std::map<std::string, std::string> session_files_of_fresh_run(std::string& transcript,
                                                              std::string& masked_stdout) {
  cli_env env;
  const auto conversation = write_pii_conversation(env);
  const auto r = run_with_conversation(env, conversation);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(env.session_dir(sid)))
    files[entry.path().filename().string()] = masked(slurp(entry.path()), env.dir);
  transcript = read_artifact_text(env, sid, "transcript.txt");
  masked_stdout = masked(r.out, env.dir);
  return files;
}

// ---------------------------------------------------------------------------------------------
// Predecessor / foreign state databases

/// A SQLite file whose schema_meta records `version` (as the predecessor's does), plus a table
/// of its own so the file is clearly not empty.
void foreign_state_db(const fs::path& file, const std::string& version) {
  fs::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  const std::string sql =
      "CREATE TABLE schema_meta (version TEXT NOT NULL, applied_at TEXT NOT NULL);"
      "INSERT INTO schema_meta VALUES ('" +
      version +
      "', '2026-01-01T00:00:00.000Z');"
      "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, state TEXT);"
      "INSERT INTO sessions VALUES ('ses_legacy', 'finalized');";
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

/// Labelled stdout lines: (label, value, raw line).
struct labelled_line {
  std::string label, value, raw;
};

std::vector<labelled_line> labelled_lines(const std::string& out) {
  std::vector<labelled_line> lines;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    const auto text = out.substr(pos, end - pos);
    pos = end + 1;
    if (text.empty() || text[0] == ' ') continue;  // warning entries are indented
    const auto colon = text.find(':');
    if (colon == std::string::npos) continue;
    lines.push_back({text.substr(0, colon), text.size() > 23 ? text.substr(23) : "", text});
  }
  return lines;
}

}  // namespace

// =============================================================================================
// §14 Redaction

TEST_CASE("regex and full retention redact every phone and e-mail in the transcript only",
          "[e2e][cli][redaction]") {
  cli_env env;
  const auto conversation = write_pii_conversation(env);
  const auto r = run_with_conversation(env, conversation);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.line("final_disposition") == "interested_callback_requested");
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);

  REQUIRE(env.has_artifact(sid, "transcript.txt"));
  CHECK(read_artifact_text(env, sid, "transcript.txt") == redacted_transcript);
  const auto result = env.artifact(sid, "session-result.json");
  CHECK(result.find("transcript_pointer")->as_string() == "transcript.txt");
  CHECK(transcript_pointer_in_db(env, sid) == "transcript.txt");
  // Only the transcript is redacted: the persona's extraction keeps the address it captured.
  CHECK(result.find("captured_email_unverified")->as_string() == captured_email);
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(*report.find("redaction") == json::parse(R"({"policy": "regex", "retention": "full"})"));

  auto sources = run_leftovers(env, {r});
  sources.emplace_back("emulator state", json::write_compact(env.emu.state()));
  for (const auto& needle : never_kept) {
    INFO("personal data: " << needle);
    CHECK(where_found(sources, needle).empty());
  }
}

TEST_CASE("summary-only retention writes no transcript and a null pointer in JSON and SQLite",
          "[e2e][cli][redaction]") {
  cli_env env;
  use_slice2_variant(env, {{"retention = \"full\"", "retention = \"summary-only\""}});
  const auto conversation = write_pii_conversation(env);
  const auto r = run_with_conversation(env, conversation);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(sid.rfind("ses_", 0) == 0);
  CHECK_FALSE(env.has_artifact(sid, "transcript.txt"));
  const auto result = env.artifact(sid, "session-result.json");
  REQUIRE(result.find("transcript_pointer") != nullptr);
  CHECK(result.find("transcript_pointer")->is_null());
  CHECK(transcript_pointer_in_db(env, sid) == "<null>");
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(*report.find("redaction") ==
        json::parse(R"({"policy": "regex", "retention": "summary-only"})"));
  const auto sources = run_leftovers(env, {r});
  for (const auto& needle : never_kept) {
    INFO("personal data: " << needle);
    CHECK(where_found(sources, needle).empty());
  }
}

TEST_CASE("noop policy keeps the original transcript text", "[e2e][cli][redaction]") {
  cli_env env;
  use_slice2_variant(env, {{"policy = \"regex\"", "policy = \"noop\""}});
  const auto conversation = write_pii_conversation(env);
  const auto r = run_with_conversation(env, conversation);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(env.has_artifact(sid, "transcript.txt"));
  CHECK(read_artifact_text(env, sid, "transcript.txt") == original_transcript);
  CHECK(env.artifact(sid, "session-result.json").find("transcript_pointer")->as_string() ==
        "transcript.txt");
  CHECK(env.artifact(sid, "run-report.json").find("redaction")->find("policy")->as_string() ==
        "noop");
}

TEST_CASE("an empty pattern list warns redaction_patterns_empty and redacts nothing",
          "[e2e][cli][redaction]") {
  cli_env env;
  use_slice2_variant(env, {{"retention = \"full\"", "retention = \"full\"\npatterns = []"}});
  const auto conversation = write_pii_conversation(env);
  const auto r = run_with_conversation(env, conversation);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(env.has_artifact(sid, "transcript.txt"));
  CHECK(read_artifact_text(env, sid, "transcript.txt") == original_transcript);
  const auto report = env.artifact(sid, "run-report.json");
  const auto codes = warning_codes(report);
  CHECK(std::count(codes.begin(), codes.end(), "redaction_patterns_empty") == 1);
  for (const auto& w : report.find("warnings")->as_array())
    if (w.find("code")->as_string() == "redaction_patterns_empty")
      CHECK(w.find("field")->as_string() == "redaction.patterns");
  CHECK_THAT(r.out, Contains("\n  redaction_patterns_empty: "));
}

TEST_CASE("user patterns in Python syntax compile and replace the built-ins",
          "[e2e][cli][redaction]") {
  cli_env env;
  use_slice2_variant(
      env,
      {{"retention = \"full\"",
        "retention = \"full\"\npatterns = ['(?P<area>[0-9]{3})-(?P=area)', '(?<=ref )[A-Z0-9]+', "
        "'(?i)tuesday']"}});
  const auto path = env.dir / "fixtures" / "python_patterns.json";
  const std::string contact =
      "I'm the owner. Call me back TUESDAY at 4 PM, ref AB12, code 415-415, mail a@b.example.com.";
  spit(path,
       conversation_json({{"persona", disclosure}, {"contact", contact}, {"persona", persona_2}}));
  const auto r = run_with_conversation(env, path.string());
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(env.has_artifact(sid, "transcript.txt"));
  // The list replaces the built-ins, so the e-mail stays; 415-416 would not match (?P=area).
  CHECK(read_artifact_text(env, sid, "transcript.txt") ==
        transcript_of({{"persona", disclosure},
                       {"contact",
                        "I'm the owner. Call me back [REDACTED] at 4 PM, ref [REDACTED], code "
                        "[REDACTED], mail a@b.example.com."},
                       {"persona", "[REDACTED] at 4 PM it is. Thank you!"}}));
}

TEST_CASE("a pattern that does not compile blocks readiness with redaction policy invalid",
          "[e2e][cli][redaction]") {
  cli_env env;
  use_slice2_variant(env, {{"retention = \"full\"", "retention = \"full\"\npatterns = ['([a-z']"}});
  const auto report_path = env.dir / "report.json";
  const auto conversation = write_pii_conversation(env);
  const auto r =
      run_with_conversation(env, conversation, {"--write", "--report", report_path.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "metadata");
  CHECK_THAT(r.line("message").value_or(""),
             StartsWith("redaction policy invalid: Invalid redaction regex '([a-z': "));
  CHECK_FALSE(r.line("session_id"));
  CHECK(env.write_count() == 0);
  CHECK_FALSE(has_session_dir(env));
  REQUIRE(fs::exists(report_path));
  const auto report = json::parse(slurp(report_path));
  CHECK(report.find("exit_status")->as_string() == "blocked");
  CHECK(report.find("block_reason")->as_string() == "metadata");
  CHECK_THAT(report.find("message")->as_string(), StartsWith("redaction policy invalid: "));
  CHECK(report.find("session_id")->is_null());
}

// =============================================================================================
// §15 Secrets

TEST_CASE("the leak scanners find a secret, a token and an unredacted bearer when present",
          "[e2e][cli][secrets]") {
  scratch_dir scratch;
  const auto seed = write_secret_seed(scratch.path);
  const std::vector<source> seeded = {{"seed", slurp(seed)}};
  CHECK(where_found(seeded, secret_value) == std::vector<std::string>{"seed"});
  CHECK(where_found(seeded, secret_tenant) == std::vector<std::string>{"seed"});
  const std::vector<source> leaky = {
      {"log", "Authorization: Bearer emu_0123456789abcdef0123456789abcdef\n"}};
  CHECK(token_hits(leaky) == std::vector<std::string>{"log"});
  CHECK(bearer_hits(leaky).size() == 1);
  const std::vector<source> clean = {{"plan", "\"Authorization\": \"Bearer <redacted>\""}};
  CHECK(token_hits(clean).empty());
  CHECK(bearer_hits(clean).empty());
}

TEST_CASE("no secret, token or credential form leaks on a successful write run",
          "[e2e][cli][secrets]") {
  scratch_dir scratch;
  cli_env env(secret_options(write_secret_seed(scratch.path)));
  use_distinct_authority(env);
  const auto report_path = env.dir / "report.json";
  const auto dry = env.run_crm(ready_row, "standard", "callback_weekday_pm");
  INFO(dry.out << dry.err);
  REQUIRE(dry.exit_code == 0);
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                             {"--write", "--log-level", "trace", "--report", report_path.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.line("exit_status") == "completed");
  CHECK_FALSE(r.err.empty());  // trace logging did say something
  const auto sid = r.line("session_id").value_or("");
  REQUIRE(env.has_artifact(sid, "http-plan.json"));
  CHECK_THAT(read_artifact_text(env, sid, "http-plan.json"), Contains("Bearer <redacted>"));
  // The distinctive credentials were really used: the emulator issued tokens for them.
  CHECK(env.emu.state().find("counters")->find("tokens_issued")->as_int() >= 2);
  check_no_secret(env, run_leftovers(env, {dry, r}, {report_path}));
}

TEST_CASE("no secret leaks when the token endpoint answers 401", "[e2e][cli][secrets]") {
  scratch_dir scratch;
  cli_env env(secret_options(write_secret_seed(scratch.path)));
  use_distinct_authority(env);
  env.emu.add_fault(json::parse(
      R"({"id": "token-401", "match": {"path": "token"},
          "times": -1, "action": "status", "status": 401})"));
  const auto report_path = env.dir / "report.json";
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                             {"--write", "--log-level", "trace", "--report", report_path.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  CHECK(r.line("block_reason") == "metadata");
  CHECK_THAT(r.line("message").value_or(""),
             StartsWith("metadata verification failed: Dataverse token request failed: HTTP 401"));
  CHECK_THAT(r.line("message").value_or(""), Contains("/<redacted-tenant>/oauth2/v2.0/token"));
  CHECK(env.write_count() == 0);
  CHECK(fs::exists(report_path));
  check_no_secret(env, run_leftovers(env, {r}, {report_path}));
}

TEST_CASE("no secret leaks when a Web API 401 forces a token refresh mid-run",
          "[e2e][cli][secrets]") {
  scratch_dir scratch;
  cli_env env(secret_options(write_secret_seed(scratch.path)));
  use_distinct_authority(env);
  // The claim PATCH is refused once as with an expired token: one refresh, one resend.
  env.emu.add_fault(json::parse(
      R"({"id": "claim-401", "match": {"method": "PATCH", "path": "^acme_callqueues\\("},
          "times": 1, "action": "status", "status": 401})"));
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                             {"--write", "--log-level", "trace"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto sid = r.line("session_id").value_or("");
  const auto report = env.artifact(sid, "run-report.json");
  CHECK(report.find("http")->find("token_requests")->as_int() == 2);
  std::size_t token_posts = 0;
  for (const auto& entry : env.requests())
    if (entry.find("path")->as_string() == "token") ++token_posts;
  CHECK(token_posts == 2);
  check_no_secret(env, run_leftovers(env, {r}));
}

TEST_CASE("no secret leaks when transient failures exhaust the retries mid-write",
          "[e2e][cli][secrets]") {
  scratch_dir scratch;
  cli_env env(secret_options(write_secret_seed(scratch.path)));
  use_distinct_authority(env);
  use_slice2_variant(env, fast_retry);
  env.emu.add_fault(json::parse(
      R"({"id": "tasks-down", "match": {"method": "POST", "path": "^tasks$"},
          "times": -1, "action": "status", "status": 503})"));
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                             {"--write", "--log-level", "trace"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "resume_needed");
  CHECK_THAT(r.line("message").value_or(""),
             Contains("HTTP 503 for POST <env>/api/data/v9.2/tasks"));
  check_no_secret(env, run_leftovers(env, {r}));
}

TEST_CASE("a Dataverse error message names <env> and drops the query string",
          "[e2e][cli][secrets]") {
  scratch_dir scratch;
  cli_env env(secret_options(write_secret_seed(scratch.path)));
  use_distinct_authority(env);
  use_slice2_variant(env, fast_retry);
  env.emu.add_fault(json::parse(
      R"({"id": "load-down", "match": {"method": "GET", "path": "^acme_callqueues$"},
          "times": -1, "action": "status", "status": 500})"));
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                             {"--write", "--log-level", "trace"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.line("exit_status") == "failed");
  const auto message = r.line("message").value_or("");
  const std::string expected =
      "Dataverse returned HTTP 500 for GET <env>/api/data/v9.2/acme_callqueues";
  CHECK_THAT(message, Contains(expected));
  const auto at = message.find(expected);
  if (at != std::string::npos) {
    const auto rest = message.substr(at + expected.size());
    CHECK((rest.empty() || rest[0] != '?'));
  }
  CHECK_THAT(message, !Contains("$filter"));
  CHECK(env.write_count() == 0);
  check_no_secret(env, run_leftovers(env, {r}));
}

// =============================================================================================
// §16 Command line

TEST_CASE("happy path prints the labelled lines in order with values in column 24", "[e2e][cli]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> order = {"exit_status",       "block_reason",  "session_id",
                                          "final_disposition", "queue_item_id", "artifact_dir",
                                          "warnings",          "message",       "run_report"};
  std::vector<std::string> labels;
  for (const auto& line : labelled_lines(r.out)) {
    labels.push_back(line.label);
    if (line.label == "warnings") {
      CHECK(line.raw == "warnings:");
      continue;
    }
    INFO("line: " << line.raw);
    REQUIRE(line.raw.size() > 23);
    CHECK(line.raw.find_first_not_of(' ', line.label.size() + 1) == 23);
  }
  CHECK(labels == std::vector<std::string>{"exit_status", "session_id", "final_disposition",
                                           "queue_item_id", "artifact_dir", "warnings", "message",
                                           "run_report"});
  CHECK(std::is_sorted(labels.begin(), labels.end(), [&](const auto& a, const auto& b) {
    return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
  }));
  const auto sid = r.line("session_id").value_or("");
  CHECK(r.line("exit_status") == "completed");
  CHECK(r.line("final_disposition") == "interested_callback_requested");
  CHECK(r.line("queue_item_id") == ready_row);
  CHECK(r.line("artifact_dir") == env.session_dir(sid).string());
  CHECK(r.line("run_report") == (env.session_dir(sid) / "run-report.json").string());
  CHECK_THAT(r.out, Contains("\nwarnings:\n  "));
  CHECK_THAT(r.out, Contains("\n  clock_overridden: "));
  CHECK(fs::exists(env.session_dir(sid) / "run-report.json"));
}

TEST_CASE("a DNC row exits 1 with blocked and block_reason eligibility right after it",
          "[e2e][cli]") {
  cli_env env;
  const auto r = env.run_crm(dnc_row, "standard", "", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const auto lines = labelled_lines(r.out);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0].raw == "exit_status:           blocked");
  CHECK(lines[1].raw == "block_reason:          eligibility");
  CHECK(env.rows("phonecall").empty());
}

TEST_CASE("every run-crm validation error exits 2 with its message before anything happens",
          "[e2e][cli]") {
  cli_env env;
  const auto transport = fixture("transport_events/standard.json").string();
  const std::string sid = "ses_0123456789abcdef0123456789abcdef";
  struct validation_case {
    std::string what;
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<validation_case> cases = {
      {"resume without write",
       {"run-crm", "--resume", sid},
       "--resume requires --write (resume is a write-back continuation)"},
      {"resume with queue item",
       {"run-crm", "--write", "--resume", sid, "--queue-item-id", ready_row},
       "--resume is incompatible with --queue-item-id / --next-ready / --transport-fixture"},
      {"resume with next-ready",
       {"run-crm", "--write", "--resume", sid, "--next-ready"},
       "--resume is incompatible with --queue-item-id / --next-ready / --transport-fixture"},
      {"resume with transport",
       {"run-crm", "--write", "--resume", sid, "--transport-fixture", transport},
       "--resume is incompatible with --queue-item-id / --next-ready / --transport-fixture"},
      {"resume id not a session id",
       {"run-crm", "--write", "--resume", "ses_XYZ"},
       "--resume 'ses_XYZ' is not a valid session id"},
      {"resume id in upper case",
       {"run-crm", "--write", "--resume", "ses_0123456789ABCDEF0123456789ABCDEF"},
       "--resume 'ses_0123456789ABCDEF0123456789ABCDEF' is not a valid session id"},
      {"no transport fixture",
       {"run-crm", "--queue-item-id", ready_row},
       "--transport-fixture is required when --resume is not set"},
      {"queue item id with trailing characters",
       {"run-crm", "--queue-item-id", ready_row + "x", "--transport-fixture", transport},
       "--queue-item-id '" + ready_row +
           "x' is not a valid Dataverse GUID (expected 8-4-4-4-12 hex digits)"},
      {"queue item id not a GUID",
       {"run-crm", "--queue-item-id", "row-7", "--transport-fixture", transport},
       "--queue-item-id 'row-7' is not a valid Dataverse GUID (expected 8-4-4-4-12 hex digits)"},
      {"no selector",
       {"run-crm", "--transport-fixture", transport},
       "provide exactly one of --queue-item-id or --next-ready"},
      {"both selectors",
       {"run-crm", "--queue-item-id", ready_row, "--next-ready", "--transport-fixture", transport},
       "provide exactly one of --queue-item-id or --next-ready"},
      {"next-ready without campaign",
       {"run-crm", "--next-ready", "--transport-fixture", transport},
       "--next-ready requires --campaign (or a non-empty [run].campaign in slice2.toml)"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.what);
    const auto r = env.run(c.args);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("error:       " + c.message + "\n"));
    CHECK(r.out.empty());
  }
  CHECK(env.requests().empty());
  CHECK_FALSE(fs::exists(env.state_db()));
  CHECK_FALSE(has_session_dir(env));
}

TEST_CASE("validation follows the documented order", "[e2e][cli]") {
  cli_env env;
  const auto transport = fixture("transport_events/standard.json").string();
  const auto missing_config = (env.dir / "no-such-slice1.toml").string();
  SECTION("flag conflicts come before the config") {
    set_common_flag(env, "--config", missing_config);
    const auto r = env.run({"run-crm", "--resume", "ses_0123456789abcdef0123456789abcdef"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--resume requires --write"));
    CHECK_THAT(r.err, !Contains("config load failed"));
  }
  SECTION("the config comes before the selection") {
    set_common_flag(env, "--config", missing_config);
    const auto r =
        env.run({"run-crm", "--queue-item-id", "row-7", "--transport-fixture", transport});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("error:       config load failed: " + missing_config));
    CHECK_THAT(r.err, !Contains("not a valid Dataverse GUID"));
  }
  SECTION("the selection comes before the fixtures and the secrets") {
    env.env.erase("DATAVERSE_CLIENT_SECRET");
    const auto r = env.run({"run-crm", "--queue-item-id", "row-7", "--transport-fixture",
                            (env.dir / "absent.json").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("not a valid Dataverse GUID"));
    CHECK_THAT(r.err + r.out, !Contains("DATAVERSE_CLIENT_SECRET"));
  }
  SECTION("fixtures come before the secrets: a failed run naming the file") {
    env.env.erase("DATAVERSE_CLIENT_SECRET");
    const auto absent = (env.dir / "absent.json").string();
    const auto r =
        env.run({"run-crm", "--queue-item-id", ready_row, "--transport-fixture", absent});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.line("exit_status") == "failed");
    CHECK_THAT(r.line("message").value_or(""), Contains(absent));
    CHECK_THAT(r.err + r.out, !Contains("DATAVERSE_CLIENT_SECRET"));
  }
  CHECK(env.requests().empty());
  CHECK_FALSE(has_session_dir(env));
}

TEST_CASE("missing secrets exit 2 naming the variables in order with zero requests", "[e2e][cli]") {
  cli_env env;
  SECTION("one missing") {
    env.env.erase("DATAVERSE_CLIENT_SECRET");
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("error:       missing required Dataverse secret environment "
                               "variable(s): DATAVERSE_CLIENT_SECRET\n"));
  }
  SECTION("all missing, one empty") {
    env.env.erase("DATAVERSE_TENANT_ID");
    env.env.erase("DATAVERSE_CLIENT_ID");
    env.env.erase("DATAVERSE_CLIENT_SECRET");
    env.env["DATAVERSE_ENV_URL"] = "";
    const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("error:       missing required Dataverse secret environment "
                               "variable(s): DATAVERSE_TENANT_ID, DATAVERSE_CLIENT_ID, "
                               "DATAVERSE_CLIENT_SECRET, DATAVERSE_ENV_URL\n"));
  }
  CHECK(env.requests().empty());
  CHECK_FALSE(has_session_dir(env));
}

TEST_CASE("ignored flags warn and the run goes on", "[e2e][cli]") {
  cli_env env;
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--campaign", "other"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("warning:     "));
  CHECK_THAT(r.err, Contains("--campaign"));
  CHECK_THAT(r.err, Contains("ignored"));
}

TEST_CASE("unknown flags and flags not on run-crm are usage errors", "[e2e][cli]") {
  cli_env env;
  SECTION("unknown flag") {
    const auto r = env.run_crm(ready_row, "standard", "", {"--frobnicate"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--frobnicate"));
  }
  SECTION("--slots belongs to worker") {
    const auto r = env.run_crm(ready_row, "standard", "", {"--slots", "2"});
    CHECK(r.exit_code == 2);
  }
  CHECK(env.requests().empty());
}

TEST_CASE("a config file that is missing or has an unknown key exits 2", "[e2e][cli]") {
  cli_env env;
  std::string file;
  SECTION("slice1 missing") {
    file = (env.dir / "missing-slice1.toml").string();
    set_common_flag(env, "--config", file);
  }
  SECTION("slice2 missing") {
    file = (env.dir / "missing-slice2.toml").string();
    set_common_flag(env, "--slice2-config", file);
  }
  SECTION("unknown key in slice1") {
    file = use_slice1_variant(env, {{"max_attempts = 5", "max_attempts = 5\nmax_attemps = 6"}})
               .string();
  }
  SECTION("unknown key in slice2") {
    file = use_slice2_variant(
               env, {{"link_regarding = true", "link_regarding = true\nlink_regardng = true"}})
               .string();
  }
  SECTION("unknown section in slice2") {
    file = use_slice2_variant(env, {{"[http]", "[telemetry]\nenabled = true\n\n[http]"}}).string();
  }
  SECTION("value of the wrong type") {
    file = use_slice1_variant(env, {{"max_attempts = 5", "max_attempts = \"five\""}}).string();
  }
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, StartsWith("error:       config load failed: " + file));
  CHECK(r.out.empty());
  CHECK(env.requests().empty());
  CHECK_FALSE(fs::exists(env.state_db()));
}

// ---------------------------------------------------------------------------------------------
// State database choice (domain.md §11)

TEST_CASE("a predecessor database named by --state-db exits 2 and is left unchanged",
          "[e2e][cli][state_db]") {
  cli_env env;
  const auto legacy = env.dir / "legacy" / "slice1.db";
  foreign_state_db(legacy, "slice1-v1");
  const auto before = slurp(legacy);
  set_common_flag(env, "--state-db", legacy.string());
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("error:       state database " + legacy.string() +
                             " belongs to the predecessor openCloser and is never modified; pass "
                             "a new file to --state-db\n"));
  CHECK(slurp(legacy) == before);
  CHECK_FALSE(fs::exists(legacy.string() + "-wal"));
  CHECK_FALSE(fs::exists(legacy.parent_path() / "opencloser.db"));
  CHECK(env.write_count() == 0);
  CHECK_FALSE(has_session_dir(env));
}

TEST_CASE(
    "a predecessor database named by the configured state db is replaced by opencloser.db beside "
    "it",
    "[e2e][cli][state_db]") {
  cli_env env;
  const auto legacy = env.dir / "legacy" / "slice1.db";
  foreign_state_db(legacy, "slice1-v1");
  const auto before = slurp(legacy);
  drop_common_flag(env, "--state-db");
  SECTION("from the TOML file") {
    use_slice1_variant(env,
                       {{"db = \"./state/opencloser.db\"", "db = \"" + legacy.string() + "\""}});
  }
  SECTION("from the environment override") {
    env.env["OPENCLOSER_STATE_DB"] = legacy.string();
  }
  const auto replacement = legacy.parent_path() / "opencloser.db";
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("warning:     state database " + legacy.string() +
                             " belongs to the predecessor; using " + replacement.string() + "\n"));
  CHECK(slurp(legacy) == before);
  CHECK_FALSE(fs::exists(legacy.string() + "-wal"));
  REQUIRE(fs::exists(replacement));
  const auto sid = r.line("session_id").value_or("");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(replacement.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT (SELECT version FROM schema_meta), run_status FROM "
                             "writeback_progress WHERE session_id = ?",
                             -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, sid.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) ==
        "opencloser-state-v1");
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1))) == "completed");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_CASE("a state database of another version exits 2 and is left unchanged",
          "[e2e][cli][state_db]") {
  cli_env env;
  const auto other = env.dir / "other.db";
  foreign_state_db(other, "opencloser-state-v9");
  const auto before = slurp(other);
  SECTION("named by --state-db") {
    set_common_flag(env, "--state-db", other.string());
  }
  SECTION("named by [state].db") {
    drop_common_flag(env, "--state-db");
    use_slice1_variant(env,
                       {{"db = \"./state/opencloser.db\"", "db = \"" + other.string() + "\""}});
  }
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm", {"--write"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("error:       state database " + other.string() +
                             " was created by another version (opencloser-state-v9); set "
                             "[state].db to a new file\n"));
  CHECK(slurp(other) == before);
  CHECK(env.write_count() == 0);
  CHECK_FALSE(has_session_dir(env));
}

// ---------------------------------------------------------------------------------------------
// Byte-stable artifacts, --json, --report

TEST_CASE("two frozen-clock runs write identical artifacts once generated ids are masked",
          "[e2e][cli][determinism]") {
  std::string transcript_1, transcript_2, stdout_1, stdout_2;
  const auto first = session_files_of_fresh_run(transcript_1, stdout_1);
  const auto second = session_files_of_fresh_run(transcript_2, stdout_2);
  std::vector<std::string> names_1, names_2;
  for (const auto& [name, text] : first) names_1.push_back(name);
  for (const auto& [name, text] : second) names_2.push_back(name);
  CHECK(names_1 == names_2);
  CHECK(first.count("run-report.json") == 1);
  CHECK(first.count("transcript.txt") == 1);
  for (const auto& [name, text] : first) {
    INFO("artifact: " << name);
    const auto other = second.find(name);
    REQUIRE(other != second.end());
    CHECK(text == other->second);
  }
  CHECK(transcript_1 == redacted_transcript);
  CHECK(transcript_1 == transcript_2);
  CHECK(stdout_1 == stdout_2);
}

TEST_CASE("run report printed by --json instead of labelled lines and written by --report",
          "[e2e][cli]") {
  cli_env env;
  const auto report_path = env.dir / "reports" / "run.json";
  fs::create_directories(report_path.parent_path());
  const auto r = env.run_crm(ready_row, "standard", "callback_weekday_pm",
                             {"--write", "--json", "--report", report_path.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(r.line("exit_status"));
  const auto printed = json::parse(r.out);
  CHECK(printed.find("schema_version")->as_string() == "slice2-run-report-v1");
  CHECK(printed.find("exit_status")->as_string() == "completed");
  const auto sid = printed.find("session_id")->as_string();
  REQUIRE(env.has_artifact(sid, "run-report.json"));
  const auto in_session = read_artifact_text(env, sid, "run-report.json");
  CHECK(r.out == in_session);
  REQUIRE(fs::exists(report_path));
  CHECK(slurp(report_path) == in_session);
  CHECK(json::write_artifact(printed) == r.out);  // the artifact encoding, trailing LF included
}

TEST_CASE("a report path without --json keeps the labelled lines and copies the session report",
          "[e2e][cli]") {
  cli_env env;
  const auto report_path = env.dir / "run.json";
  const auto r = env.run_crm(dnc_row, "standard", "", {"--report", report_path.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.line("exit_status") == "blocked");
  REQUIRE(fs::exists(report_path));
  const auto report = json::parse(slurp(report_path));
  CHECK(report.find("block_reason")->as_string() == "eligibility");
  const auto sid = r.line("session_id").value_or("");
  CHECK(report.find("session_id")->as_string() == sid);
  CHECK(slurp(report_path) == read_artifact_text(env, sid, "run-report.json"));
}
