// Choosing, creating and opening the state database (domain.md §11). A file is only ever
// opened for writing after a read-only look has shown it is empty or ours, so a predecessor
// database, a foreign database or a damaged file is never modified.

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "adapters/state/sqlite_connection.hpp"
#include "adapters/state/state_journal.hpp"
#include "adapters/state/state_schema.hpp"

namespace opencloser {

namespace fs = std::filesystem;

namespace {

/// What a read-only look at an existing file found.
struct probe_result {
  bool has_tables = false;
  std::optional<std::string> version;  ///< schema_meta's version, when that table exists
};

std::string quoted_path(const fs::path& file) {
  return file.string();
}

bool exists(const fs::path& file) {
  std::error_code ec;
  return fs::exists(file, ec);
}

probe_result probe(const fs::path& file) {
  probe_result found;
  // With no -wal or -journal file beside it, the database file is complete and nobody is
  // writing it, so an immutable read is exact and creates no sidecar files (the predecessor's
  // directory stays as it was). Otherwise a plain read-only open sees the live WAL.
  const bool quiet = !exists(file.string() + "-wal") && !exists(file.string() + "-journal");
  try {
    sqlite::connection db(
        file, quiet ? sqlite::connection::access::snapshot : sqlite::connection::access::read_only);
    {
      auto tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table'");
      while (tables.next()) {
        found.has_tables = true;
        if (tables.text(0) == "schema_meta") found.version = std::string();
      }
    }
    if (found.version) {
      try {
        auto meta = db.query("SELECT version FROM schema_meta ORDER BY rowid LIMIT 1");
        if (meta.next()) found.version = meta.text(0);
      } catch (const sqlite::error&) {
        found.version = "unknown";  // a schema_meta of some other shape
      }
    }
  } catch (const sqlite::error& e) {
    throw state_error("state database " + quoted_path(file) +
                      " is not a readable SQLite database (" + sqlite3_errstr(e.code & 0xff) + ")");
  }
  return found;
}

bool non_empty_file(const fs::path& file) {
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) return false;
  if (!fs::is_regular_file(status))
    throw state_error("state database " + quoted_path(file) + " is not a regular file");
  const auto size = fs::file_size(file, ec);
  if (ec)
    throw state_error("state database " + quoted_path(file) + " cannot be read: " + ec.message());
  return size > 0;
}

[[noreturn]] void throw_foreign_version(const fs::path& file, const std::string& version) {
  if (version == predecessor_state_schema_version)
    throw state_version_error(version, "state database " + quoted_path(file) +
                                           " belongs to the predecessor openCloser and is never "
                                           "modified; pass a new file to --state-db");
  throw state_version_error(
      version, "state database " + quoted_path(file) + " was created by another version (" +
                   (version.empty() ? "none" : version) + "); set [state].db to a new file");
}

/// Creates missing parent directories (mode 0700) and the empty file (mode 0600, exclusive, so
/// the file never exists with wider permissions). An empty file is a valid empty database.
void create_database_file(const fs::path& file) {
  const auto fail = [&](const std::string& detail) {
    throw state_error("state database " + quoted_path(file) + " cannot be created: " + detail);
  };
  std::vector<fs::path> missing;
  for (auto dir = file.parent_path(); !dir.empty() && dir != dir.root_path();
       dir = dir.parent_path()) {
    std::error_code ec;
    if (fs::exists(dir, ec)) break;
    missing.push_back(dir);
  }
  std::error_code ec;
  if (!missing.empty()) {
    fs::create_directories(file.parent_path(), ec);
    if (ec) fail(ec.message());
    for (const auto& dir : missing) {
      fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
      if (ec) fail(ec.message());
    }
  }
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return;  // another process won the race; its file is checked below
    fail(std::strerror(errno));
  }
  ::close(fd);
}

void configure(sqlite::connection& db) {
  // The busy timeout first: the journal-mode switch itself may need to wait for a lock.
  db.exec("PRAGMA busy_timeout = 5000");
  std::string mode;
  {
    auto journal = db.query("PRAGMA journal_mode = WAL");
    if (journal.next()) mode = journal.text(0);
  }
  if (mode != "wal")
    throw state_error("state database " + db.label() + " cannot use write-ahead logging (mode '" +
                      mode + "')");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA synchronous = NORMAL");
}

/// Applies the schema in one transaction; returns true when it created it. The version is
/// checked again under the write lock, so a racing process cannot slip another schema in.
bool apply_schema(sqlite::connection& db, unix_ms now) {
  sqlite::transaction tx(db);
  bool has_meta = false;
  {
    auto meta = db.query(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_meta'");
    has_meta = meta.next() && meta.integer(0) > 0;
  }
  if (has_meta) {
    std::string version;
    {
      auto meta = db.query("SELECT version FROM schema_meta ORDER BY rowid LIMIT 1");
      if (meta.next()) version = meta.text(0);
    }
    if (version != state_schema_version) throw_foreign_version(db.label(), version);
  }
  db.exec(state_schema_ddl);
  for (const auto table : state_tables)
    db.exec("CREATE TRIGGER IF NOT EXISTS " + std::string(table) +
            "_never_deleted BEFORE DELETE ON " + std::string(table) +
            " BEGIN SELECT RAISE(ABORT, 'rows are never deleted'); END;");
  if (!has_meta)
    db.execute("INSERT INTO schema_meta (version, applied_at) VALUES (?1, ?2)",
               state_schema_version, format_utc_ms(now));
  tx.commit();
  return !has_meta;
}

}  // namespace

std::optional<std::string> read_state_schema_version(const fs::path& file) {
  if (!non_empty_file(file)) return std::nullopt;
  return probe(file).version;
}

state_db_choice choose_state_database(const fs::path& named, state_db_source source) {
  const auto version = read_state_schema_version(named);
  if (!version || *version == state_schema_version) return {named, std::nullopt};
  if (*version != predecessor_state_schema_version || source == state_db_source::flag)
    throw_foreign_version(named, *version);
  const auto replacement = named.parent_path() / "opencloser.db";
  if (replacement.lexically_normal() == named.lexically_normal())
    throw state_version_error(*version, "state database " + quoted_path(named) +
                                            " belongs to the predecessor openCloser and is never "
                                            "modified; set [state].db to a new file");
  return {replacement, "state database " + quoted_path(named) +
                           " belongs to the predecessor; using " + quoted_path(replacement)};
}

state_journal state_journal::open(const fs::path& file, unix_ms now) {
  if (non_empty_file(file)) {
    const auto found = probe(file);
    if (found.version && *found.version != state_schema_version)
      throw_foreign_version(file, *found.version);
    if (!found.version && found.has_tables)
      throw state_error("state database " + quoted_path(file) +
                        " is not an opencloser state database (no schema_meta); set [state].db "
                        "to a new file");
  } else {
    std::error_code ec;
    if (!fs::exists(file, ec)) create_database_file(file);
  }
  auto db = std::make_unique<sqlite::connection>(file, sqlite::connection::access::read_write);
  configure(*db);
  const bool created = apply_schema(*db, now);
  state_journal journal(file, std::move(db));
  journal.created_schema_ = created;
  return journal;
}

state_journal::state_journal(fs::path file, std::unique_ptr<sqlite::connection> db)
    : file_(std::move(file)), db_(std::move(db)) {}

state_journal::state_journal(state_journal&&) noexcept = default;
state_journal& state_journal::operator=(state_journal&&) noexcept = default;
state_journal::~state_journal() = default;

}  // namespace opencloser
