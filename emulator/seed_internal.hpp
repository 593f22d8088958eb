#pragma once
// Internal to the seed loader (emulator/seed*.cpp); nothing else includes this. The public
// interface is seed.hpp.
//
// Seeds are read in three steps: each document is parsed and merged into declarations (shape
// errors and merge conflicts surface here, naming the document at fault); the merged table
// declarations are then turned into the schema; finally explicit rows, `generate` templates
// and queue-item imports are type-checked against that schema and placed, in that order.
// Every declaration remembers the document it came from, so a validation error on the merged
// seed still names the right file. This header holds what those steps share.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "adapters/json/json.hpp"
#include "emulator/schema.hpp"
#include "emulator/seed.hpp"

namespace opencloser::emulator::seed_detail {

// ---------------------------------------------------------------------------------------
// Errors and JSON shape checks (seed_shape.cpp). `where` is the path inside the document
// (`tables.lead.attributes.x`); every failure throws seed_error naming `file`.

/// Throws `emulator seed '<file>': <detail>`.
[[noreturn]] void fail(std::string_view file, std::string_view detail);
/// Throws `<where> must be <expected>, not <got>`.
[[noreturn]] void fail_not(std::string_view file, const std::string& where,
                           std::string_view expected, std::string_view got);
std::string in_quotes(std::string_view s);

/// Keys starting with `_` are comments (`_comment`, `_meta`) in every object of a seed except
/// rows and templates, where `_<c>_value` is a lookup column.
bool is_comment_key(std::string_view key);

const json::object& expect_object(const json::value& v, std::string_view file,
                                  const std::string& where);
const json::array& expect_array(const json::value& v, std::string_view file,
                                const std::string& where);
const std::string& expect_string(const json::value& v, std::string_view file,
                                 const std::string& where);
bool expect_bool(const json::value& v, std::string_view file, const std::string& where);
std::int64_t expect_int(const json::value& v, std::int64_t minimum, std::string_view file,
                        const std::string& where);

/// Rejects keys outside `known` (a typo must not be silently ignored); `_` keys are comments.
void check_keys(const json::object& obj, std::initializer_list<std::string_view> known,
                std::string_view file, const std::string& where);

/// For an array of objects (`auth.clients`, `generate`, `queue_item_imports`): checks that
/// `array` is an array and each entry an object with only `known` keys and every `required`
/// one, then calls `use(index, where, entry)` with `where` = `<name>[<index>]`.
void for_each_entry(
    const json::value& array, std::string_view file, const std::string& name,
    std::initializer_list<std::string_view> known, std::initializer_list<std::string_view> required,
    const std::function<void(std::size_t, const std::string&, const json::value&)>& use);

/// Dataverse logical and entity-set names are lower-case identifiers; insisting on that
/// catches `Account` or `acme-phone` before a query silently misses. Fails with
/// `<what> '<name>' is not a logical name (…)`.
void check_logical_name(const std::string& name, std::string_view file, const std::string& what);
/// A non-empty string that is a logical name.
const std::string& expect_logical_name(const json::value& v, std::string_view file,
                                       const std::string& where);

// ---------------------------------------------------------------------------------------
// What the documents declared, merged in command-line order, before validation

template <class T>
struct sourced {
  T value;
  std::string file;
};

struct table_decl {
  std::string file;  ///< the first document declaring the table
  std::optional<sourced<std::string>> entity_set_name, primary_id, primary_name;
  std::optional<sourced<bool>> activity_enabled;
  std::vector<sourced<attribute_def>> attributes;  ///< declaration order, unique names
};
using table_decls = std::map<std::string, table_decl, std::less<>>;

struct row_decl {
  std::string file;
  std::size_t index;  ///< position in its document's array
  const json::object* values;
};
/// Explicit rows by table, in seed order.
using row_decls = std::map<std::string, std::vector<row_decl>, std::less<>>;

struct generate_decl {
  std::string file;
  std::size_t index;  ///< position in the merged `generate` list
  std::string table;
  std::int64_t count;
  const json::object* templ;
};

struct import_decl {
  std::string file;
  std::size_t index;
  std::filesystem::path queue_file;
  std::filesystem::path mapping_file;
  std::optional<json::value> campaign;
  std::optional<json::value> next_attempt_at;
};

// ---------------------------------------------------------------------------------------
// Tables (seed_schema.cpp)

/// `Picklist [0, 1]`, `Lookup -> account`, `String`: for conflict and value messages.
std::string describe(const attribute_def& a);

/// Merges one document's `tables` object into `into`; a conflicting redeclaration fails,
/// naming both documents.
void add_table_declarations(table_decls& into, const std::string& file, const json::value& tables);

/// The built-in tables plus the declared ones, with metadata ids and regarding targets.
schema build_schema(const table_decls& declared);

// ---------------------------------------------------------------------------------------
// Row values (seed_values.cpp)

/// Checks `v` against the column and normalises it in place (canonical GUIDs, DateTime as
/// UtcMs); the error detail when it does not fit. Null fits every column.
std::optional<std::string> check_value(const attribute_def& a, json::value& v);

/// Throws `<where>: column '<property>': <problem>`, the one shape of a bad row value.
[[noreturn]] void fail_column(std::string_view file, const std::string& where,
                              std::string_view property, std::string_view problem);

/// Type-checks an explicit row (an object of the seed or an import) into a stored row.
row checked_row(const table_def& t, const json::object& values, const std::string& file,
                const std::string& where);

// ---------------------------------------------------------------------------------------
// Placing rows in their tables (seed_placement.cpp)

/// Where a placed row came from, for duplicate-id messages (compact: 100,000 generated rows
/// share one source).
struct row_origin {
  std::size_t source;
  std::size_t index;
};

struct placed_table {
  const table_def* def = nullptr;
  std::vector<row>* rows = nullptr;
  /// Keys view the primary-id strings inside the stored rows, sparing 100,000 copies: a
  /// row's map nodes never move (moving a std::map moves its tree, not its nodes).
  std::unordered_map<std::string_view, row_origin> ids;
};
// …and a growing vector moves its rows rather than copying them only if the move cannot throw.
static_assert(std::is_nothrow_move_constructible_v<row>);

/// Appends rows to `seed.rows`, giving each its defaults and refusing duplicate primary ids
/// across everything placed through it. `seed.tables` must be final and outlive the placer.
class row_placer {
 public:
  explicit row_placer(seed_data& seed) : seed_(seed) {}

  const schema& tables() const { return seed_.tables; }

  /// The table rows go to; an unknown table fails, citing `where` in `file`.
  placed_table& placed(const std::string& file, const std::string& table, const std::string& where);

  /// Registers where the next rows come from (`label` like `table 'account'`); the id is
  /// what store() takes.
  std::size_t add_source(std::string file, std::string label);

  /// Gives the row its defaults (deterministic primary id, `createdon`) and stores it; a
  /// primary id already in the table is an error naming both rows.
  void store(placed_table& p, row r, std::size_t source, std::size_t index);

 private:
  struct row_source {
    std::string file;
    std::string label;  ///< e.g. `table 'account'`, `generate[0] (table 'x')`
  };

  std::string origin_text(const row_origin& o) const;

  seed_data& seed_;
  std::map<std::string, placed_table, std::less<>> placed_;
  std::vector<row_source> sources_;
};

// ---------------------------------------------------------------------------------------
// `generate` (seed_generate.cpp)

/// Appends one document's `generate` entries (shape-checked; templates are checked later).
void add_generate(std::vector<generate_decl>& into, const std::string& file,
                  const json::value& entries);
/// Expands every template into rows.
void place_generated(row_placer& placer, const std::vector<generate_decl>& generate);

// ---------------------------------------------------------------------------------------
// `queue_item_imports` (seed_imports.cpp)

/// Appends one document's imports, with paths resolved against the document's directory.
void add_imports(std::vector<import_decl>& into, const seed_document& document,
                 const json::value& entries);
/// Loads each predecessor queue item and its mapping, placing the queue row (and the
/// facility's account the first time it is named).
void place_imports(row_placer& placer, const std::vector<import_decl>& imports);

}  // namespace opencloser::emulator::seed_detail
