// The PostgreSQL Storage adapter (libpq): durable, shared by any number of
// server processes. Schema and migrations live in sql/postgres/.
//
//   watchstore::PostgresOptions o;
//   o.url = "postgres://watchstore:secret@db.internal:5432/watchstore?sslmode=require";
//   auto storage = watchstore::NewPostgresStorage(o);  // migrates, then serves
//
// A server that should not hold DDL rights sets o.apply_migrations = false:
// it then only checks (read-only) that `MigratePostgres` has been run.
#ifndef WATCHSTORE_POSTGRES_STORAGE_H_
#define WATCHSTORE_POSTGRES_STORAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/storage.h"

namespace watchstore {

struct PostgresOptions {
  // --- Where ---
  // A libpq connection URI or key=value string, e.g.
  // "postgres://user:pass@host:5432/db?sslmode=require". Parameters it sets
  // (sslmode, options=-csearch_path=..., application_name, keepalives_*)
  // are honoured. Required.
  std::string url;

  // --- Pool ---
  // Connections kept open at most (opened on first use). >= 1. Each serves
  // one request at a time; size it like the server's worker threads.
  int pool_size = 8;
  // Longest wait for a free connection before failing with Unavailable. > 0.
  absl::Duration pool_wait_timeout = absl::Seconds(5);

  // --- Timeouts ---
  // Bound on opening one connection. > 0; libpq counts whole seconds, so it
  // is rounded up (and libpq treats values below 2 s as 2 s).
  absl::Duration connect_timeout = absl::Seconds(5);
  // Server-side bound on every statement (statement_timeout, set on each
  // connection). > 0. A statement past it fails with Unavailable.
  absl::Duration statement_timeout = absl::Seconds(5);

  // --- Transactions ---
  // How often a transaction that hit a serialization failure or a deadlock
  // (SQLSTATE 40001 / 40P01) is run again before failing with Unavailable.
  // >= 0.
  int max_transaction_retries = 5;

  // --- Catalog ---
  // Facet counts (Storage::CountFacets) of a query that matches more than
  // this many products are counted over a sample of about this many (whole
  // table pages, TABLESAMPLE SYSTEM) and scaled, with
  // FacetCounts::approximate set: a broad query at a million products is
  // counted in tens of milliseconds instead of seconds. 0: always exact.
  // >= 0.
  int64_t facet_exact_limit = 10'000;

  // --- Schema ---
  // true: NewPostgresStorage applies pending migrations first (DDL, under an
  // advisory lock), like MigratePostgres; the role needs CREATE on the
  // schema. false: it only reads schema_migrations (no DDL, no writes: a
  // role with row privileges suffices) and fails with FailedPrecondition
  // "database not migrated: run `watchstore-server migrate`" if the table is
  // missing or lacks a migration this build has. Either way a schema newer
  // than this build is refused. `watchstore-server serve` sets false;
  // MigratePostgres ignores it.
  bool apply_migrations = true;
};

// Opens a pool against `options.url`, applies pending migrations (under an
// advisory lock: concurrent openers wait for each other) or, with
// `apply_migrations = false`, checks read-only that there are none, and
// returns the storage. InvalidArgument for a bad option; Unavailable if the
// server cannot be reached; FailedPrecondition if the database's schema is
// newer than this build knows, or (apply_migrations = false) not migrated
// yet. Thread-safe; the caller owns the result.
absl::StatusOr<std::unique_ptr<Storage>> NewPostgresStorage(const PostgresOptions& options);

// Applies pending migrations and returns; for `watchstore-server migrate`.
// Running it again (or concurrently) is a no-op. Ignores
// `options.apply_migrations`.
absl::Status MigratePostgres(const PostgresOptions& options);

// A snapshot of a PostgreSQL storage's connection pool, for /metrics.
struct PostgresPoolStats {
  int size = 0;            // PostgresOptions::pool_size
  int open = 0;            // connections currently open (idle or in use)
  int in_use = 0;          // checked out right now
  int64_t reconnects = 0;  // connections opened to replace a broken one
  // Client/server round trips of the connections given back so far (a
  // command waited for, or a pipeline of commands); a checkout makes at most
  // 3 once its statements are prepared.
  int64_t round_trips = 0;
};

// The pool statistics of `storage` if it is a PostgreSQL storage (as made by
// NewPostgresStorage), or of a replica router's primary; nullopt otherwise.
// Thread-safe.
std::optional<PostgresPoolStats> PostgresPoolStatsOf(Storage& storage);

// --- Read replicas -----------------------------------------------------------

struct PostgresReplicaOptions {
  // --- Where ---
  // libpq URLs of streaming replicas of the primary (as for
  // PostgresOptions::url). At least one.
  std::vector<std::string> urls;

  // --- Rotation ---
  // A replica further behind the primary than this leaves the rotation
  // until it catches up. > 0. Each check samples the primary's WAL position
  // (pg_current_wal_lsn); lag is 0 once the replica has replayed every
  // sample (pg_last_wal_replay_lsn), else the time since the primary was at
  // the newest sample it has replayed (coarse by one poll interval).
  absl::Duration max_lag = absl::Seconds(2);
  // How often each replica's lag is measured, by one background thread.
  // > 0. A replica whose last good check is older than twice this (its
  // check is late) takes no reads until its next one.
  absl::Duration poll_interval = absl::Milliseconds(500);

  // The oldest a replica read can be: max_lag + 2 * poll_interval. A
  // read-your-writes window (SessionWritesOptions::window) should be at
  // least this.
  absl::Duration MaxStaleness() const { return max_lag + 2 * poll_interval; }

  // --- Each replica's pool ---
  int pool_size = 8;  // >= 1
  // A read waits this long for a free replica connection, then goes to the
  // primary instead. > 0.
  absl::Duration pool_wait_timeout = absl::Milliseconds(100);
  absl::Duration connect_timeout = absl::Seconds(2);    // > 0; whole seconds, as libpq counts
  absl::Duration statement_timeout = absl::Seconds(5);  // > 0
  // As PostgresOptions::facet_exact_limit, for facet counts read there.
  int64_t facet_exact_limit = 10'000;  // >= 0
};

// A Storage that sends catalog reads (GetProduct, FindProductIdBySku,
// FindProductIdByVariant, ListProducts, CountFacets) to a healthy replica,
// in turn, and everything else to `primary`. A catalog read goes to the
// primary instead when:
//   - the calling thread is in a SessionWrites::Scope that requires it
//     (a writing request, or a session that wrote within its window:
//     read-your-writes, watchstore/read_consistency.h);
//   - a product write (CreateProduct, UpdateProduct, AdjustStock) went
//     through this router less than MaxStaleness() ago, so that a
//     cache refilled after the write's invalidation never takes a copy
//     older than the write;
//   - no replica is in rotation (lagging, unreachable, or not yet checked).
// A replica read that fails (or finds nothing: the row may be newer than
// the replica) is run again on the primary, and a replica that failed leaves
// the rotation until its next good check, so a stopped replica costs no
// failed read. Replicas are opened and checked by a background thread:
// starting with every replica down is not an error. `primary` must be a
// PostgreSQL storage (NewPostgresStorage) whose database the replicas
// follow; `primary_options` is what opened it (the lag check reads the
// primary's WAL position with a connection of its own). InvalidArgument for
// a bad option. The router owns `primary`; thread-safe.
absl::StatusOr<std::unique_ptr<Storage>> NewPostgresReplicaRouter(
    std::unique_ptr<Storage> primary, const PostgresOptions& primary_options,
    const PostgresReplicaOptions& options);

// A snapshot of a replica router, for /metrics.
struct PostgresReplicaStats {
  // Catalog reads served by a replica; sent to the primary by the rules
  // above; and run again on the primary after a replica read failed.
  int64_t replica_reads = 0;
  int64_t primary_reads = 0;
  int64_t fallbacks = 0;
  struct Replica {
    std::string name;  // host:port, never the password
    bool in_rotation = false;
    double lag_seconds = -1;  // at the last good check; -1: none yet, or unknown
    int64_t checks_failed = 0;
    int64_t removals = 0;  // times it left the rotation
  };
  std::vector<Replica> replicas;
};

// The replica statistics of `storage` if it is a replica router (as made by
// NewPostgresReplicaRouter), nullopt otherwise. Thread-safe.
std::optional<PostgresReplicaStats> PostgresReplicaStatsOf(Storage& storage);

}  // namespace watchstore

#endif  // WATCHSTORE_POSTGRES_STORAGE_H_
