#include "adapters/state/sqlite_connection.hpp"

#include <sqlite3.h>

namespace opencloser::sqlite {

bool error::is_duplicate_key() const {
  return code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE;
}

// ---- cursor ---------------------------------------------------------------------------------

cursor::~cursor() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool cursor::next() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_step's own code is the primary one; the extended code comes from the handle.
  owner_->check(rc, "step");
  return false;
}

bool cursor::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string cursor::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_, column);
  if (bytes == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bytes),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

nullable<std::string> cursor::nullable_text(int column) const {
  if (is_null(column)) return {};
  return text(column);
}

std::int64_t cursor::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

void cursor::bind(int index, std::nullptr_t) {
  owner_->check(sqlite3_bind_null(stmt_, index), "bind");
}

void cursor::bind(int index, std::string_view value) {
  owner_->check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      "bind");
}

void cursor::bind(int index, std::int64_t value) {
  owner_->check(sqlite3_bind_int64(stmt_, index, value), "bind");
}

// ---- connection -----------------------------------------------------------------------------

void connection::statement_deleter::operator()(sqlite3_stmt* stmt) const {
  sqlite3_finalize(stmt);
}

namespace {

/// `file:` URI of a path: `%`, `?` and `#` are the characters a URI path must escape.
std::string file_uri(const std::string& path, std::string_view query) {
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char hex[] = "0123456789ABCDEF";
      uri += '%';
      uri += hex[static_cast<unsigned char>(c) >> 4];
      uri += hex[static_cast<unsigned char>(c) & 0xf];
    } else {
      uri += c;
    }
  }
  uri += '?';
  uri += query;
  return uri;
}

}  // namespace

connection::connection(const std::filesystem::path& file, access mode) : label_(file.string()) {
  int flags = SQLITE_OPEN_NOMUTEX;
  std::string name = label_;
  switch (mode) {
    case access::snapshot:
      flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
      name = file_uri(label_, "immutable=1");
      break;
    case access::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case access::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw error(rc, "state database " + label_ + " cannot be opened: " + detail);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Every connection, the read-only probe included, waits for another process's schema
  // creation or WAL switch instead of failing at once with SQLITE_BUSY.
  sqlite3_busy_timeout(db_, 5000);
}

connection::~connection() {
  cache_.clear();  // statements first: close_v2 would otherwise defer the close
  sqlite3_close_v2(db_);
}

void connection::check(int rc, std::string_view doing) const {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  const int extended = sqlite3_extended_errcode(db_);
  throw error(extended, "state database " + label_ + ": " + std::string(doing) +
                            " failed: " + sqlite3_errmsg(db_));
}

void connection::exec(std::string_view sql) {
  check(sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr), "statement");
}

sqlite3_stmt* connection::prepared(std::string_view sql) {
  auto key = std::string(sql);
  if (auto found = cache_.find(key); found != cache_.end()) return found->second.get();
  sqlite3_stmt* stmt = nullptr;
  check(sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr),
        "prepare");
  cache_.emplace(std::move(key), std::unique_ptr<sqlite3_stmt, statement_deleter>(stmt));
  return stmt;
}

int connection::changes() const {
  return sqlite3_changes(db_);
}

// ---- transaction ----------------------------------------------------------------------------

transaction::transaction(connection& db) : db_(db) {
  db_.execute("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (!open_) return;
  try {
    db_.execute("ROLLBACK");
  } catch (const error&) {
    // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL); nothing is left.
  }
}

void transaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

}  // namespace opencloser::sqlite
