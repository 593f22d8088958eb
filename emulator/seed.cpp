#include "emulator/seed.hpp"

// Reading seed documents and the order the loader works in: each document's top-level keys
// are parsed and merged (auth, throttling and dop_hint here, explicit rows here, the other
// sections by their own files), then the schema is built and the rows are placed — explicit
// rows, `generate`, imports. seed_internal.hpp describes the steps.

#include <fstream>
#include <sstream>

#include "emulator/seed_internal.hpp"

namespace opencloser::emulator {

namespace {

using namespace seed_detail;

constexpr std::string_view seed_schema_version = "opencloser-emulator-seed-v1";

class seed_builder {
 public:
  void add(const seed_document& document) {
    const auto& file = document.name;
    const auto& root = expect_object(document.doc, file, "the seed");
    if (const auto* version = document.doc.find("schema_version")) {
      if (!version->is_string() || version->as_string() != seed_schema_version)
        fail(file, "unsupported schema_version " +
                       (version->is_string() ? in_quotes(version->as_string())
                                             : std::string(version->kind_name())) +
                       " (expected " + in_quotes(seed_schema_version) + ")");
      add_full(document, root);
    } else {
      add_bare_rows(file, root);
    }
  }

  seed_data finish() && {
    out_.tables = build_schema(tables_);
    row_placer placer(out_);
    place_rows(placer);
    place_generated(placer, generate_);
    place_imports(placer, imports_);
    if (out_.clients.empty())
      out_.clients.push_back({std::string(default_client_id), std::string(default_client_secret)});
    return std::move(out_);
  }

 private:
  void add_full(const seed_document& document, const json::object& root) {
    const auto& file = document.name;
    check_keys(root,
               {"schema_version", "auth", "dop_hint", "tables", "rows", "generate",
                "queue_item_imports", "throttling"},
               file, "the seed");
    for (const auto& [key, value] : root) {
      if (key == "auth")
        add_auth(file, value);
      else if (key == "dop_hint")
        out_.dop_hint = expect_int(value, 1, file, "dop_hint");
      else if (key == "throttling")
        add_throttling(file, value);
      else if (key == "tables")
        add_table_declarations(tables_, file, value);
      else if (key == "rows") {
        for (const auto& [table, rows] : expect_object(value, file, "rows"))
          if (!is_comment_key(table)) add_rows(file, table, rows, "rows." + table);
      } else if (key == "generate")
        add_generate(generate_, file, value);
      else if (key == "queue_item_imports")
        add_imports(imports_, document, value);
    }
  }

  /// Predecessor style: `{"account": [...], "medx_callqueueitem": [...], "_comment": "..."}`.
  void add_bare_rows(const std::string& file, const json::object& root) {
    for (const auto& [key, value] : root) {
      if (is_comment_key(key)) continue;
      if (!value.is_array())
        fail(file,
             "has no schema_version, so it is read as bare rows (table -> array of "
             "rows), but " +
                 in_quotes(key) + " is " + std::string(value.kind_name()) +
                 "; a full seed needs \"schema_version\": \"" + std::string(seed_schema_version) +
                 "\"");
      add_rows(file, key, value, key);
    }
  }

  void add_auth(const std::string& file, const json::value& value) {
    const auto& auth = expect_object(value, file, "auth");
    check_keys(auth, {"tenant_id", "token_lifetime_s", "required", "clients"}, file, "auth");
    for (const auto& [key, v] : auth) {
      if (key == "tenant_id")
        out_.tenant_id = expect_string(v, file, "auth.tenant_id");
      else if (key == "token_lifetime_s")
        out_.token_lifetime_s = expect_int(v, 1, file, "auth.token_lifetime_s");
      else if (key == "required")
        out_.auth_required = expect_bool(v, file, "auth.required");
      else if (key == "clients")
        for_each_entry(
            v, file, "auth.clients", {"client_id", "client_secret"}, {"client_id", "client_secret"},
            [&](std::size_t, const std::string& where, const json::value& client) {
              out_.clients.push_back(
                  {expect_string(*client.find("client_id"), file, where + ".client_id"),
                   expect_string(*client.find("client_secret"), file, where + ".client_secret")});
            });
    }
  }

  void add_throttling(const std::string& file, const json::value& value) {
    const auto& limits = expect_object(value, file, "throttling");
    check_keys(limits, {"requests", "window_s", "concurrency", "exec_ms"}, file, "throttling");
    for (const auto& [key, v] : limits) {
      if (is_comment_key(key)) continue;
      const auto n = expect_int(v, 0, file, "throttling." + key);
      if (key == "requests")
        out_.throttling.requests = n;
      else if (key == "window_s")
        out_.throttling.window_s = n;
      else if (key == "concurrency")
        out_.throttling.concurrency = n;
      else
        out_.throttling.exec_ms = n;
    }
  }

  void add_rows(const std::string& file, const std::string& table, const json::value& value,
                const std::string& where) {
    const auto& rows = expect_array(value, file, where);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = expect_object(rows[i], file, where + "[" + std::to_string(i) + "]");
      rows_[table].push_back({file, i, &r});
    }
  }

  void place_rows(row_placer& placer) const {
    for (const auto& [table, rows] : rows_) {
      for (const auto& decl : rows) {
        const auto label = "table " + in_quotes(table);
        auto& p = placer.placed(decl.file, table, "rows");
        const auto source = placer.add_source(decl.file, label);
        placer.store(p,
                     checked_row(*p.def, *decl.values, decl.file,
                                 label + " row " + std::to_string(decl.index)),
                     source, decl.index);
      }
    }
  }

  seed_data out_;
  table_decls tables_;
  row_decls rows_;
  std::vector<generate_decl> generate_;
  std::vector<import_decl> imports_;
};

std::string read_text(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    fail(file.string(), "not found or not a regular file");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) fail(file.string(), "cannot be read");
  return text.str();
}

}  // namespace

seed_data seeds_from_documents(const std::vector<seed_document>& documents) {
  seed_builder builder;
  for (const auto& document : documents) builder.add(document);
  return std::move(builder).finish();
}

seed_data load_seeds(const std::vector<std::filesystem::path>& files) {
  std::vector<seed_document> documents;
  documents.reserve(files.size());
  for (const auto& file : files) {
    seed_document document{file.string(), file.parent_path(), {}};
    try {
      document.doc = json::parse(read_text(file));
    } catch (const json::parse_error& e) {
      fail(document.name, std::string("not valid JSON (") + e.what() + ")");
    }
    documents.push_back(std::move(document));
  }
  return seeds_from_documents(documents);
}

}  // namespace opencloser::emulator
