#include "sqlite/sqlite_db.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::sqlite {
namespace {

// Prepared statements kept per connection. The listing composes its SQL from
// a fixed set of fragments, so the set of texts is bounded, but large.
constexpr size_t kMaxCachedStatements = 256;

constexpr absl::string_view kNoRow = "statement returned a row where none was expected";

}  // namespace

// --- Statement ----------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_), stmt_(other.stmt_), entry_(other.entry_), bind_rc_(other.bind_rc_) {
  other.stmt_ = nullptr;
  other.entry_ = nullptr;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (entry_ != nullptr) {
    // The reset code repeats the last step's error, already reported.
    (void)sqlite3_reset(stmt_);
    (void)sqlite3_clear_bindings(stmt_);
    entry_->in_use = false;
  } else {
    (void)sqlite3_finalize(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, absl::string_view text) {
  // SQLite reads the length we pass, so embedded NULs and non-terminated
  // views are safe; SQLITE_TRANSIENT copies, so `text` need not outlive us.
  const int rc = sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return conn_->Error(bind_rc_, "bind");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->Error(rc, "step");
}

absl::Status Statement::Run() {
  WS_ASSIGN_OR_RETURN(bool row, Step());
  if (row) return absl::InternalError(absl::StrCat("sqlite: ", kNoRow));
  return absl::OkStatus();
}

absl::string_view Statement::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  if (p == nullptr || n <= 0) return absl::string_view();
  return absl::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

// --- Connection ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const SqliteOptions& options,
                                                             Mode mode) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= mode == Mode::kReadWrite ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                                    : SQLITE_OPEN_READONLY;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    (void)sqlite3_close_v2(db);
    return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable,
                     absl::StrCat("sqlite: cannot open ", options.path, ": ", message));
  }
  std::unique_ptr<Connection> conn(new Connection(db, options.busy_timeout));
  // Hardening: no writes to sqlite_schema or other ways to corrupt the file
  // through SQL; double-quoted strings are identifiers only.
  for (int op : {SQLITE_DBCONFIG_DEFENSIVE, SQLITE_DBCONFIG_DQS_DDL, SQLITE_DBCONFIG_DQS_DML,
                 SQLITE_DBCONFIG_TRUSTED_SCHEMA}) {
    const int value = op == SQLITE_DBCONFIG_DEFENSIVE ? 1 : 0;
    const int crc = sqlite3_db_config(db, op, value, nullptr);
    if (crc != SQLITE_OK) return conn->Error(crc, "configure connection");
  }
  const int64_t ms = absl::ToInt64Milliseconds(options.busy_timeout);
  const int brc = sqlite3_busy_timeout(db, static_cast<int>(std::min<int64_t>(ms, INT_MAX)));
  if (brc != SQLITE_OK) return conn->Error(brc, "set busy_timeout");
  WS_RETURN_IF_ERROR(conn->Execute("PRAGMA foreign_keys = ON"));
  if (mode == Mode::kReadWrite) {
    // WAL: readers never block the writer nor it them. Persistent in the
    // file; the pragma answers the mode now in force.
    WS_ASSIGN_OR_RETURN(Statement wal, conn->Prepare("PRAGMA journal_mode = WAL"));
    WS_ASSIGN_OR_RETURN(bool row, wal.Step());
    if (!row || !absl::EqualsIgnoreCase(wal.Text(0), "wal")) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kUnavailable,
                       absl::StrCat("sqlite: ", options.path, " cannot use WAL mode (journal_mode ",
                                    row ? wal.Text(0) : "?", ")"));
    }
  }
  if (mode == Mode::kReadWrite) {
    // After a burst of writes the WAL is checkpointed and cut back to this
    // size rather than keeping its peak size on disk.
    WS_RETURN_IF_ERROR(conn->Execute("PRAGMA journal_size_limit = 67108864"));
  }
  WS_RETURN_IF_ERROR(conn->Execute(options.synchronous == SqliteOptions::Synchronous::kFull
                                       ? "PRAGMA synchronous = FULL"
                                       : "PRAGMA synchronous = NORMAL"));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, entry] : cache_) (void)sqlite3_finalize(entry->stmt);
  cache_.clear();
  // Every statement is finalized: close cannot be refused for that reason.
  (void)sqlite3_close_v2(db_);
}

absl::StatusOr<Statement> Connection::Prepare(absl::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    return Statement(this, it->second->stmt, it->second.get());
  }
  sqlite3_stmt* stmt = nullptr;
  const bool cache = it == cache_.end();
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "prepare");
  if (stmt == nullptr) return absl::InternalError("sqlite: empty statement");
  if (!cache) return Statement(this, stmt, nullptr);  // same text already borrowed
  if (cache_.size() >= kMaxCachedStatements) EvictIdleStatements();
  auto entry = std::make_unique<Statement::CacheEntry>();
  entry->stmt = stmt;
  entry->in_use = true;
  Statement::CacheEntry* raw = entry.get();
  cache_.emplace(std::string(sql), std::move(entry));
  return Statement(this, stmt, raw);
}

void Connection::EvictIdleStatements() {
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (it->second->in_use) {
      ++it;
      continue;
    }
    (void)sqlite3_finalize(it->second->stmt);
    cache_.erase(it++);
  }
}

absl::Status Connection::Execute(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  if (rc != SQLITE_OK) return Error(rc, text.empty() ? absl::string_view("exec") : text);
  return absl::OkStatus();
}

absl::Status Connection::Error(int rc, absl::string_view what) {
  last_error_ = rc;
  const std::string message =
      absl::StrCat("sqlite: ", what, ": ", sqlite3_errstr(rc), " (", sqlite3_errmsg(db_), ")");
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      busy_ = true;
      return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable, message);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
    case SQLITE_NOLFS:
      return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable, message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return MakeError(absl::StatusCode::kDataLoss, reason::kInternal, message);
    case SQLITE_CONSTRAINT:
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kInternal, message);
    default:
      return MakeError(absl::StatusCode::kInternal, reason::kInternal, message);
  }
}

// --- Transactions -------------------------------------------------------------

namespace {

absl::Status RunCached(Connection& conn, absl::string_view sql) {
  WS_ASSIGN_OR_RETURN(Statement s, conn.Prepare(sql));
  return s.Run();
}

absl::Status RunTransaction(Connection& conn, absl::string_view begin,
                            const std::function<absl::Status()>& body) {
  const absl::Time deadline = absl::Now() + conn.busy_timeout();
  absl::Duration backoff = absl::Milliseconds(1);
  for (;;) {
    conn.ClearBusy();
    absl::Status status = begin.empty() ? absl::OkStatus() : RunCached(conn, begin);
    if (status.ok()) {
      status = body();
      if (status.ok() && !begin.empty()) status = RunCached(conn, "COMMIT");
      if (!status.ok() && sqlite3_get_autocommit(conn.handle()) == 0) {
        // Still inside the transaction (SQLite did not roll back by itself).
        const bool busy = conn.busy();
        absl::Status rollback = RunCached(conn, "ROLLBACK");
        if (!rollback.ok()) {
          // Last resort: a fresh statement, in case the cache is the problem.
          (void)conn.Execute("ROLLBACK");
        }
        if (!busy) conn.ClearBusy();
      }
    }
    if (status.ok() || !conn.busy()) return status;
    if (absl::Now() + backoff > deadline) {
      return MakeError(
          absl::StatusCode::kUnavailable, reason::kUnavailable,
          absl::StrCat("sqlite: database stayed locked past busy_timeout: ", status.message()));
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Milliseconds(50));
  }
}

}  // namespace

absl::Status WriteTransaction(Connection& conn, const std::function<absl::Status()>& body) {
  return RunTransaction(conn, "BEGIN IMMEDIATE", body);
}

absl::Status ReadTransaction(Connection& conn, const std::function<absl::Status()>& body) {
  return RunTransaction(conn, "BEGIN", body);
}

absl::Status ReadAutocommit(Connection& conn, const std::function<absl::Status()>& body) {
  return RunTransaction(conn, "", body);
}

// --- ConnectionPool -----------------------------------------------------------

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Open(const SqliteOptions& options) {
  std::unique_ptr<ConnectionPool> pool(new ConnectionPool());
  internal::MutexLock lock(&pool->mu_);
  for (int i = 0; i < options.read_connections; ++i) {
    WS_ASSIGN_OR_RETURN(auto conn, Connection::Open(options, Connection::Mode::kReadOnly));
    pool->free_.push_back(conn.get());
    pool->all_.push_back(std::move(conn));
  }
  return pool;
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  internal::MutexLock lock(&mu_);
  mu_.Await(returned_, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !free_.empty(); });
  Connection* conn = free_.back();
  free_.pop_back();
  return Lease(this, conn);
}

void ConnectionPool::Return(Connection* conn) {
  internal::MutexLock lock(&mu_);
  free_.push_back(conn);
  returned_.notify_one();
}

// --- Migrations ---------------------------------------------------------------

absl::Status Migrate(Connection& conn, const internal::Migration* migrations, int count) {
  for (int i = 0; i < count; ++i) {
    if (migrations[i].version <= 0 ||
        (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sqlite: migrations must be numbered 1, 2, ... in order; see ", migrations[i].name));
    }
  }
  const int latest = count > 0 ? migrations[count - 1].version : 0;
  // A migration may rebuild a table (SQLite's documented procedure for
  // schema changes ALTER TABLE cannot make): foreign keys are off while it
  // runs, so dropping the old table neither fails nor cascades, and the
  // whole result is checked before commit. The pragma is a no-op inside a
  // transaction, so it is set around it.
  WS_RETURN_IF_ERROR(conn.Execute("PRAGMA foreign_keys = OFF"));
  absl::Status migrated = WriteTransaction(conn, [&]() -> absl::Status {
    WS_RETURN_IF_ERROR(
        conn.Execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version INTEGER PRIMARY KEY,"
                     " name TEXT NOT NULL,"
                     " applied_at INTEGER NOT NULL"
                     ") STRICT"));
    std::vector<int64_t> applied;
    {
      WS_ASSIGN_OR_RETURN(Statement q,
                          conn.Prepare("SELECT version FROM schema_migrations ORDER BY version"));
      for (;;) {
        WS_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        applied.push_back(q.Int(0));
      }
    }
    for (int64_t v : applied) {
      const bool known = std::any_of(migrations, migrations + count,
                                     [v](const internal::Migration& m) { return m.version == v; });
      if (!known) {
        return MakeError(absl::StatusCode::kFailedPrecondition, reason::kInternal,
                         absl::StrCat("sqlite: the database has schema version ", v,
                                      ", which this build does not know (latest ", latest,
                                      "); upgrade watchstore"));
      }
    }
    bool migrated = false;
    for (int i = 0; i < count; ++i) {
      const internal::Migration& m = migrations[i];
      if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
      migrated = true;
      absl::Status st = conn.Execute(m.sql);
      if (!st.ok()) {
        return absl::Status(st.code(), absl::StrCat("migration ", m.name, ": ", st.message()));
      }
      WS_ASSIGN_OR_RETURN(Statement record,
                          conn.Prepare("INSERT INTO schema_migrations (version, name, applied_at) "
                                       "VALUES (?1, ?2, ?3)"));
      record.Bind(1, int64_t{m.version}).Bind(2, m.name).Bind(3, absl::ToUnixNanos(absl::Now()));
      WS_RETURN_IF_ERROR(record.Run());
    }
    // Every reference must still hold: a row that lost its parent rolls the
    // migrations back. (Checked only after migrating: it reads every row.)
    if (!migrated) return absl::OkStatus();
    WS_ASSIGN_OR_RETURN(Statement check, conn.Prepare("PRAGMA foreign_key_check"));
    WS_ASSIGN_OR_RETURN(bool orphan, check.Step());
    if (orphan) {
      return MakeError(
          absl::StatusCode::kFailedPrecondition, reason::kInternal,
          absl::StrCat("sqlite: migrating left a row of ", check.Text(0), " (rowid ", check.Int(1),
                       ") without its ", check.Text(2), " row; nothing was changed"));
    }
    return absl::OkStatus();
  });
  absl::Status restored = conn.Execute("PRAGMA foreign_keys = ON");
  return migrated.ok() ? restored : migrated;
}

absl::Status ValidateOptions(const SqliteOptions& options) {
  const std::string& path = options.path;
  if (path.empty()) return absl::InvalidArgumentError("sqlite: path must not be empty");
  if (path == ":memory:" || absl::StartsWith(path, "file:")) {
    return absl::InvalidArgumentError(
        "sqlite: path must name a file (no ':memory:' or URI); use NewMemoryStorage for a "
        "storage that need not persist");
  }
  if (path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("sqlite: path must not contain NUL");
  }
  if (options.busy_timeout < absl::ZeroDuration() ||
      options.busy_timeout > absl::Milliseconds(INT_MAX)) {
    return absl::InvalidArgumentError("sqlite: busy_timeout must be in [0, 2^31) ms");
  }
  if (options.synchronous != SqliteOptions::Synchronous::kFull &&
      options.synchronous != SqliteOptions::Synchronous::kNormal) {
    return absl::InvalidArgumentError("sqlite: unknown synchronous mode");
  }
  if (options.read_connections < 1 || options.read_connections > 64) {
    return absl::InvalidArgumentError("sqlite: read_connections must be in [1, 64]");
  }
  return absl::OkStatus();
}

}  // namespace watchstore::sqlite
