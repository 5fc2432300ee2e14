// Thin RAII layer over the SQLite C API for the SQLite adapter: connections
// with a cache of prepared statements, statements that reset themselves,
// transactions that retry while the database is busy, a pool of read-only
// connections, and the migration runner. Internal.
#ifndef WATCHSTORE_ADAPTERS_SQLITE_SQLITE_DB_H_
#define WATCHSTORE_ADAPTERS_SQLITE_SQLITE_DB_H_

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/migration.h"
#include "sync.h"
#include "watchstore/sqlite_storage.h"

namespace watchstore::sqlite {

class Connection;

// A prepared statement borrowed from a Connection. Binds, steps and reads
// columns; resets itself (and clears its bindings) when destroyed, so it can
// be reused at once. Move-only. Not thread-safe (like its connection).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based. A failed bind is reported by the next Step/Run.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, absl::string_view text);  // copied
  Statement& BindNull(int index);

  // Steps once: true when a row is ready, false when done.
  absl::StatusOr<bool> Step();
  // Steps to completion; for statements that return no row.
  absl::Status Run();

  // Columns of the current row, 0-based.
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  absl::string_view Text(int column) const;
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  friend class Connection;
  struct CacheEntry {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  // `entry` is null for a statement prepared outside the cache, finalized
  // when this object dies.
  Statement(Connection* conn, sqlite3_stmt* stmt, CacheEntry* entry)
      : conn_(conn), stmt_(stmt), entry_(entry) {}

  Connection* conn_;
  sqlite3_stmt* stmt_;
  CacheEntry* entry_;
  int bind_rc_ = SQLITE_OK;  // first failed bind
};

// One SQLite connection. Not thread-safe: the owner serializes its use.
class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens `options.path` and applies the per-connection settings
  // (busy_timeout, foreign_keys, synchronous). A read-write connection also
  // creates the file if missing and switches it to WAL.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const SqliteOptions& options, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A prepared statement for `sql`, from the cache when this text was
  // prepared before. `sql` must be one statement built from fixed texts: all
  // values are bound, never spliced in.
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs one or more statements without a result (schema, pragmas).
  absl::Status Execute(const char* sql);

  // A Status for the result code `rc` of the last call on this connection:
  // Unavailable for busy/locked/I/O/full disk, DataLoss for corruption,
  // FailedPrecondition for a constraint, Internal else. Remembers the code
  // and whether the database was busy (see busy()).
  absl::Status Error(int rc, absl::string_view what);
  // The extended result code of the last failure (SQLITE_CONSTRAINT_UNIQUE...).
  int last_error() const { return last_error_; }
  // True if a call since the last ClearBusy() failed because the database
  // was locked by another connection: the transaction may be retried.
  bool busy() const { return busy_; }
  void ClearBusy() { busy_ = false; }

  // Rows changed by the last INSERT/UPDATE/DELETE (triggers not counted).
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() const { return db_; }
  absl::Duration busy_timeout() const { return busy_timeout_; }

 private:
  Connection(sqlite3* db, absl::Duration busy_timeout) : db_(db), busy_timeout_(busy_timeout) {}
  void EvictIdleStatements();

  sqlite3* db_;
  absl::Duration busy_timeout_;
  // Keyed by SQL text. Entries are boxed so a borrowed Statement's pointer
  // survives a rehash; only idle entries are evicted.
  absl::flat_hash_map<std::string, std::unique_ptr<Statement::CacheEntry>> cache_;
  int last_error_ = SQLITE_OK;
  bool busy_ = false;
};

// Runs `body` in a BEGIN IMMEDIATE transaction on `conn` and commits it;
// rolls back if `body` or the commit fails. While the database is busy
// (locked by another process), retries the whole transaction with backoff
// until the connection's busy_timeout has passed, then returns Unavailable.
// `body` must be safe to run again after a rollback.
absl::Status WriteTransaction(Connection& conn, const std::function<absl::Status()>& body);
// The same for reads: BEGIN (deferred), so `body` sees one consistent
// snapshot, and never blocks writers (WAL).
absl::Status ReadTransaction(Connection& conn, const std::function<absl::Status()>& body);
// For a read of one statement, consistent by itself: no BEGIN/COMMIT, the
// same retries while busy.
absl::Status ReadAutocommit(Connection& conn, const std::function<absl::Status()>& body);

// Read-only connections shared by threads. Acquire() waits for a free one.
class ConnectionPool {
 public:
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Open(const SqliteOptions& options);

  // A connection held until destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, Connection* conn) : pool_(pool), conn_(conn) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), conn_(o.conn_) { o.conn_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (conn_ != nullptr) pool_->Return(conn_);
    }
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    ConnectionPool* pool_;
    Connection* conn_;
  };
  Lease Acquire();

 private:
  ConnectionPool() = default;
  void Return(Connection* conn);

  std::vector<std::unique_ptr<Connection>> all_;
  internal::Mutex mu_;
  std::condition_variable returned_;
  std::vector<Connection*> free_ ABSL_GUARDED_BY(mu_);
};

// Applies the migrations not yet recorded in schema_migrations, all in one
// write transaction with their rows in schema_migrations, with foreign keys
// off while they run (so a migration may rebuild a table) and checked by
// PRAGMA foreign_key_check before commit: a dangling reference rolls every
// one back (FailedPrecondition). FailedPrecondition
// if the database records a version this list does not have (a newer binary
// migrated it) or the list is not strictly increasing.
absl::Status Migrate(Connection& conn, const internal::Migration* migrations, int count);

// Checks the options of NewSqliteStorage / MigrateSqlite.
absl::Status ValidateOptions(const SqliteOptions& options);

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_DB_H_
