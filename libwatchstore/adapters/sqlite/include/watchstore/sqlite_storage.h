// The SQLite Storage adapter: the embedded, durable default. One database
// file in WAL mode; every invariant of Storage is also a constraint of the
// schema (CHECK (stock >= 0), unique SKU and email, foreign keys, unique
// (user_id, idempotency_key)), so no writer, this process or another, can
// break it.
//
//   watchstore::SqliteOptions options;
//   options.path = "/var/lib/watchstore/store.db";
//   auto storage = watchstore::NewSqliteStorage(options);
//
// Concurrency: writes go through one connection, serialized by a mutex, each
// in its own BEGIN IMMEDIATE transaction; reads run on a small pool of
// read-only connections, each read in its own read transaction (a consistent
// snapshot). Several processes may open the same file: SQLite's locks
// serialize their writers, and a writer that finds the file locked waits up
// to busy_timeout, then fails with Unavailable.
//
// Read after write: a write returns only after its transaction committed,
// and every read starts a new WAL snapshot, so any read that starts after a
// write returned (from any thread or process) sees that write.
//
// Files: `path` plus `path`-wal and `path`-shm while open. Back up a live
// store with `sqlite3 path ".backup copy.db"` or `VACUUM INTO`, never by
// copying `path` alone (recent commits may still be in the WAL).
#ifndef WATCHSTORE_SQLITE_STORAGE_H_
#define WATCHSTORE_SQLITE_STORAGE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/storage.h"

namespace watchstore {

struct SqliteOptions {
  // The database file, created if missing (its directory must exist). Not
  // empty, not ":memory:" and not a "file:" URI: use NewMemoryStorage() for a
  // store that need not survive the process.
  std::string path;

  // How hard a commit waits for the disk.
  //   kFull:   the WAL is fsynced at every commit; a committed order survives
  //            a power loss or an OS crash. The default.
  //   kNormal: the WAL is fsynced only at checkpoints; a committed order
  //            survives a crash of the process, but the last transactions
  //            before a power loss may be rolled back (the database stays
  //            consistent). Faster commits; opt in knowingly.
  enum class Synchronous { kFull, kNormal };
  Synchronous synchronous = Synchronous::kFull;

  // How long an operation waits for a lock held by another connection or
  // process before failing with Unavailable. >= 0.
  absl::Duration busy_timeout = absl::Seconds(5);

  // Read-only connections in the pool; reads beyond this many wait for a free
  // one. Writes use one more connection of their own. 1..64.
  int read_connections = 4;
};

// Opens (creating if needed) the database, applies pending migrations and
// returns a thread-safe Storage. InvalidArgument for a bad option;
// Unavailable if the file cannot be opened or stays locked past
// busy_timeout; FailedPrecondition if the file holds a schema newer than this
// library knows.
absl::StatusOr<std::unique_ptr<Storage>> NewSqliteStorage(const SqliteOptions& options);

// Applies the pending migrations of sql/sqlite/ to the database and returns;
// for `watchstore-server migrate`. Running it again is a no-op. Safe to run
// while servers have the file open (it takes the write lock).
absl::Status MigrateSqlite(const SqliteOptions& options);

}  // namespace watchstore

#endif  // WATCHSTORE_SQLITE_STORAGE_H_
