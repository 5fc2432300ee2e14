// Schema migrations for PostgreSQL: numbered, forward-only, each applied in
// its own transaction and recorded in schema_migrations, all under an
// advisory lock so concurrent migrators apply each migration exactly once;
// and the read-only check a server runs instead (no DDL, so it needs only
// row privileges). Internal.
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_PG_MIGRATE_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_PG_MIGRATE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "postgres/pg_connection.h"
#include "storage/migration.h"

namespace watchstore::internal::pg {

// The migrations compiled in from sql/postgres/.
absl::Span<const Migration> PostgresMigrations();

// Applies the `migrations` not yet recorded in the schema the connection's
// search_path selects. REQUIRES: versions strictly increasing; `conn` idle
// and without statement_timeout (a migration may take long).
// FailedPrecondition if the database records a version newer than any in
// `migrations` (a newer build migrated it).
absl::Status ApplyMigrations(Connection& conn, absl::Span<const Migration> migrations);

// Checks, read-only (SELECTs only: no DDL, no lock, no writes), that every
// one of `migrations` is recorded in the schema the connection's search_path
// selects. FailedPrecondition "database not migrated: run `watchstore-server
// migrate`" if schema_migrations is missing or lacks one of them; the same
// FailedPrecondition as ApplyMigrations if the database records a newer
// version than any in `migrations`.
absl::Status CheckMigrations(Connection& conn, absl::Span<const Migration> migrations);

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_PG_MIGRATE_H_
