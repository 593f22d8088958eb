#pragma once
// The emulator's rows: one map per table in primary-id text order, one emulator-wide version
// counter (ETags), an undo journal so a `$batch` change set can roll back, and equality indexes
// on the string columns `$filter` asks for (an idempotency-key lookup reads its bucket, not
// every row, as an alternate key does in Dataverse). Not thread-safe: the emulator serialises
// every row operation (emulator.md §7).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emulator/schema.hpp"
#include "emulator/seed.hpp"

namespace opencloser::emulator {

class store {
 public:
  explicit store(const seed_data& seed);

  const schema& tables() const { return schema_; }

  /// The row with this primary id (any case), or nullptr.
  const row* find(const table_def& table, std::string_view id) const;
  /// Every row of the table in primary-id text order.
  std::vector<const row*> rows_of(const table_def& table) const;
  std::size_t row_count(const table_def& table) const;
  /// The rows whose `column` holds a string equal to `value` case-insensitively (OData `eq` on
  /// text, GUIDs and lookups), in primary-id text order. The first call for a column builds its
  /// index; every mutation keeps it current.
  std::vector<const row*> rows_with(const table_def& table, const std::string& column,
                                    std::string_view value);
  /// How many rows `rows_with` would return, without building the list.
  std::size_t count_with(const table_def& table, const std::string& column, std::string_view value);

  /// Inserts a new row (its primary id is in `values`, canonical) and stamps `createdon`
  /// (unless present), `modifiedon` and a new `versionnumber`.
  const row& insert(const table_def& table, row values, std::string_view now_utc_ms);
  /// Merges `changes` into an existing row and bumps its version; a null value unsets.
  const row& update(const table_def& table, std::string_view id, const row& changes,
                    std::string_view now_utc_ms);
  /// A new ETag without a column change.
  const row& bump_version(const table_def& table, std::string_view id, std::string_view now_utc_ms);
  /// Removes a row; false when it did not exist.
  bool erase(const table_def& table, std::string_view id);

  /// Change sets: mutations between begin and rollback are undone. Not nested.
  void begin_transaction();
  void commit_transaction();
  void rollback_transaction();

  /// `{<table>: [rows in primary-id text order, each with "@odata.etag"]}` (emulator.md §7).
  json::value dump_tables() const;
  /// Mutations so far (rolled-back ones included: they were attempted writes).
  std::uint64_t writes() const { return writes_; }

 private:
  using table_rows = std::map<std::string, row, std::less<>>;
  table_rows& rows(const table_def& table);
  void remember(const table_def& table, const std::string& id);
  std::int64_t next_version() { return ++version_; }

  /// Lower-cased string value (the case rule of `$filter` `eq`) → primary ids, for one column.
  using column_index = std::unordered_map<std::string, std::set<std::string>>;
  using index_map = std::map<std::pair<std::string, std::string>, column_index, std::less<>>;
  column_index& index_of(const table_def& table, const std::string& column);
  /// The index key of each of `table`'s indexes for row `id` as it is now (nullopt: no string
  /// there), taken before a mutation and handed to `update_indexes` after it.
  using index_keys = std::vector<std::pair<index_map::iterator, std::optional<std::string>>>;
  index_keys keys_before(const std::string& table, const std::string& id);
  void update_indexes(const std::string& table, const std::string& id, const index_keys& before);

  schema schema_;
  std::map<std::string, table_rows, std::less<>> data_;
  std::int64_t version_ = 1000;
  std::uint64_t writes_ = 0;
  index_map indexes_;  ///< (table, column) → index

  struct undo_entry {
    std::string table;
    std::string id;
    std::optional<row> before;  ///< nullopt: the row did not exist
  };
  bool in_transaction_ = false;
  std::vector<undo_entry> undo_;
};

}  // namespace opencloser::emulator
