#pragma once
// The emulator's rows: one map per table in primary-id text order, one emulator-wide version
// counter (ETags), and an undo journal so a `$batch` change set can roll back. Not
// thread-safe: the emulator serialises every row operation (emulator.md §7).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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

  schema schema_;
  std::map<std::string, table_rows, std::less<>> data_;
  std::int64_t version_ = 1000;
  std::uint64_t writes_ = 0;

  struct undo_entry {
    std::string table;
    std::string id;
    std::optional<row> before;  ///< nullopt: the row did not exist
  };
  bool in_transaction_ = false;
  std::vector<undo_entry> undo_;
};

}  // namespace opencloser::emulator
