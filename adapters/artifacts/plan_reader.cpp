#include "adapters/artifacts/plan_reader.hpp"

#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>

#include "adapters/artifacts/artifact_json.hpp"
#include "adapters/json/json.hpp"

namespace opencloser {

namespace {

[[noreturn]] void fail(std::string detail) {
  throw plan_file_error(std::move(detail));
}

std::string in_quotes(std::string_view s) {
  return "'" + std::string(s) + "'";
}

/// "callback, review": the accepted spellings, for the error message.
template <class E>
std::string names_of() {
  std::string out;
  for (const auto name : enum_names<E>::values) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

/// What a wrong value was, for the error message: strings verbatim, other kinds by kind.
std::string got(const json::value& v) {
  return v.is_string() ? in_quotes(v.as_string()) : std::string(v.kind_name());
}

/// One JSON object of the plan file together with its dotted path from the document root, so
/// that every error names the field it is about (the root's path is empty).
class object_reader {
 public:
  object_reader(const json::value& v, std::string path) : v_(v), path_(std::move(path)) {
    if (!v_.is_object())
      fail((path_.empty() ? std::string("the document") : in_quotes(path_)) +
           " is not an object (got " + got(v_) + ")");
  }

  std::string string(std::string_view key) const {
    const json::value& v = required(key);
    if (!v.is_string()) fail(in_quotes(at(key)) + " is not a string (got " + got(v) + ")");
    return v.as_string();
  }

  nullable<std::string> nullable_string(std::string_view key) const {
    const json::value& v = required(key);
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) fail(in_quotes(at(key)) + " is not a string or null (got " + got(v) + ")");
    return v.as_string();
  }

  template <class E>
  E enumerated(std::string_view key) const {
    const json::value& v = required(key);
    return enum_value<E>(key, v, "");
  }

  template <class E>
  nullable<E> nullable_enumerated(std::string_view key) const {
    const json::value& v = required(key);
    if (v.is_null()) return std::nullopt;
    return enum_value<E>(key, v, " or null");
  }

  /// nullptr for null; an object_reader can then be made of the member.
  const json::value* nullable_member(std::string_view key) const {
    const json::value& v = required(key);
    return v.is_null() ? nullptr : &v;
  }

  const json::value& required(std::string_view key) const {
    const json::value* v = v_.find(key);
    if (!v) fail("missing key " + in_quotes(at(key)));
    return *v;
  }

  /// Every object to_json writes carries the session schema version; another version is a
  /// file this reader does not know the shape of.
  void expect_schema_version() const {
    const std::string version = string("schema_version");
    if (version != session_schema_version)
      fail(in_quotes(at("schema_version")) + " is not " + in_quotes(session_schema_version) +
           " (got " + in_quotes(version) + ")");
  }

  std::string at(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

 private:
  template <class E>
  E enum_value(std::string_view key, const json::value& v, std::string_view or_null) const {
    if (v.is_string())
      if (const auto e = enum_from<E>(v.as_string())) return *e;
    fail(in_quotes(at(key)) + " is not one of " + names_of<E>() + std::string(or_null) + " (got " +
         got(v) + ")");
  }

  const json::value& v_;
  std::string path_;
};

phone_call_payload read_phone_call(const object_reader& o) {
  o.expect_schema_version();
  phone_call_payload p;
  p.session_id = o.string("session_id");
  p.queue_item_id = o.string("queue_item_id");
  p.mock_provider_call_id = o.nullable_string("mock_provider_call_id");
  p.persona_version = o.string("persona_version");
  p.final_disposition = o.enumerated<disposition>("final_disposition");
  p.summary = o.string("summary");
  p.started_at = o.string("started_at");
  p.ended_at = o.string("ended_at");
  return p;
}

queue_status_update read_queue_status(const object_reader& o) {
  o.expect_schema_version();
  queue_status_update u;
  u.session_id = o.string("session_id");
  u.queue_item_id = o.string("queue_item_id");
  u.previous_status = o.enumerated<callable_status>("previous_status");
  u.new_status = o.enumerated<callable_status>("new_status");
  u.transition_reason = o.string("transition_reason");
  u.transition_at = o.string("transition_at");
  // Not in the file: the planner sets the DNC column exactly when the new status is dnc
  // (emission table, domain.md §9), so the flag follows from the status.
  u.set_dnc_flag = u.new_status == callable_status::dnc;
  return u;
}

task_payload read_task(const object_reader& o) {
  o.expect_schema_version();
  task_payload t;
  t.task_id = o.string("task_id");
  t.session_id = o.string("session_id");
  t.queue_item_id = o.string("queue_item_id");
  t.kind = o.enumerated<task_kind>("task_kind");
  t.subject = o.string("subject");
  t.reason_code = o.nullable_enumerated<review_reason>("reason_code");
  t.preferred_callback_window = o.nullable_string("preferred_callback_window");
  t.captured_email = o.nullable_string("captured_email");
  t.assigned_to = o.nullable_string("assigned_to");
  t.persona_version = o.string("persona_version");
  t.created_at = o.string("created_at");
  return t;
}

writeback_plan read_plan(const json::value& doc) {
  const object_reader root(doc, "");
  root.expect_schema_version();
  writeback_plan plan;
  plan.session_id = root.string("session_id");
  if (const json::value* call = root.nullable_member("phone_call_activity"))
    plan.phone_call_activity =
        read_phone_call(object_reader(*call, root.at("phone_call_activity")));
  plan.queue_status = read_queue_status(
      object_reader(root.required("queue_status_update"), root.at("queue_status_update")));
  if (const json::value* task = root.nullable_member("task"))
    plan.task = read_task(object_reader(*task, root.at("task")));
  return plan;
}

}  // namespace

writeback_plan writeback_plan_from_json_text(std::string_view text) {
  json::value doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    fail(std::string("not JSON: ") + e.what());
  }
  return read_plan(doc);
}

writeback_plan read_writeback_plan(const std::filesystem::path& file) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(status)) fail("file not found");
  if (!std::filesystem::is_regular_file(status)) fail("not a regular file");
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot be opened");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail("cannot be read");
  return writeback_plan_from_json_text(text);
}

std::optional<writeback_plan> read_session_plan(const std::filesystem::path& dir) {
  for (const char* name : {"planned-writeback.json", "writeback.json"}) {
    const auto file = dir / name;
    if (!std::filesystem::exists(file)) continue;
    try {
      return read_writeback_plan(file);
    } catch (const std::exception& e) {
      throw plan_file_error(file.string() + " is malformed or unreadable: " + e.what());
    }
  }
  return std::nullopt;
}

}  // namespace opencloser
