#pragma once
// A thin RAII layer over the SQLite3 C API for the state journal: one connection, prepared
// statements cached by their SQL text, typed binding of the message vocabulary (strings,
// nullables, integers, booleans, enums by wire name) and a transaction guard that rolls back
// unless committed. Synchronous and not thread-safe: one owner uses a connection at a time.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "adapters/state/state_error.hpp"
#include "messages/enums.hpp"
#include "messages/nullable.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace opencloser::sqlite {

/// Every SQLite failure; `what()` names the database file. `code` is the extended result code.
struct error : state_error {
  error(int extended_code, const std::string& message)
      : state_error(message), code(extended_code) {}
  int code;
  /// A primary-key or unique violation: for idempotency keys this means "already applied".
  bool is_duplicate_key() const;
};

class connection;

/// A cached statement in use: bound by `connection::query`, reset and unbound on destruction so
/// the cache can hand it out again. Columns are read by index, in SELECT order.
class cursor {
 public:
  cursor(connection& owner, sqlite3_stmt* stmt) : owner_(&owner), stmt_(stmt) {}
  cursor(cursor&& other) noexcept
      : owner_(other.owner_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  cursor& operator=(cursor&&) = delete;
  ~cursor();

  /// Steps to the next row; false when done.
  bool next();

  bool is_null(int column) const;
  std::string text(int column) const;  ///< "" for NULL
  nullable<std::string> nullable_text(int column) const;
  std::int64_t integer(int column) const;
  bool boolean(int column) const { return integer(column) != 0; }

 private:
  friend class connection;
  void bind(int index, std::nullptr_t);
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, bool value) { bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
  template <class E>
  requires std::is_enum_v<E>
  void bind(int index, E value) { bind(index, to_string(value)); }
  template <class T>
  void bind(int index, const std::optional<T>& value) {
    if (value)
      bind(index, *value);
    else
      bind(index, nullptr);
  }
  template <class T>
  void bind(int index, const nullable<T>& value) {
    bind(index, static_cast<const std::optional<T>&>(value));
  }

  connection* owner_;
  sqlite3_stmt* stmt_;
};

class connection {
 public:
  /// `snapshot`: read-only and `immutable` — SQLite creates no -wal/-shm files next to the
  /// database, so looking at a file that is not ours leaves its directory as it was. Only
  /// correct while no other connection writes the file (no -wal file present).
  enum class access { snapshot, read_only, read_write };

  /// Opens an existing file (never creates one: the journal creates files itself, with their
  /// mode). Its path is shown in messages.
  connection(const std::filesystem::path& file, access mode);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  const std::string& label() const { return label_; }

  /// Runs one or more statements without parameters (DDL, PRAGMAs, BEGIN/COMMIT).
  void exec(std::string_view sql);

  /// Prepares (or takes from the cache) `sql` and binds `args` to ?1, ?2, …
  template <class... Args>
  cursor query(std::string_view sql, const Args&... args) {
    cursor c(*this, prepared(sql));
    int index = 0;
    (c.bind(++index, args), ...);
    return c;
  }

  /// Runs a statement to completion; returns the number of rows it changed.
  template <class... Args>
  int execute(std::string_view sql, const Args&... args) {
    auto c = query(sql, args...);
    while (c.next()) {
    }
    return changes();
  }

  /// As execute, but a primary-key/unique violation returns false instead of throwing (only
  /// those mean "duplicate"; every other error propagates, domain.md §10).
  template <class... Args>
  bool insert_unless_duplicate(std::string_view sql, const Args&... args) {
    try {
      execute(sql, args...);
      return true;
    } catch (const error& e) {
      if (e.is_duplicate_key()) return false;
      throw;
    }
  }

  int changes() const;

  /// Throws sqlite::error for `rc` unless it is SQLITE_OK/ROW/DONE.
  void check(int rc, std::string_view doing) const;

 private:
  sqlite3_stmt* prepared(std::string_view sql);

  struct statement_deleter {
    void operator()(sqlite3_stmt* stmt) const;
  };
  sqlite3* db_ = nullptr;
  std::string label_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, statement_deleter>> cache_;
};

/// `BEGIN IMMEDIATE` … `COMMIT`; rolls back in the destructor unless commit() ran (so an
/// exception anywhere inside leaves nothing behind). IMMEDIATE takes the write lock up front:
/// a deferred transaction that later upgrades can fail with SQLITE_BUSY without waiting.
class transaction {
 public:
  explicit transaction(connection& db);
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();
  void commit();

 private:
  connection& db_;
  bool open_ = true;
};

}  // namespace opencloser::sqlite
