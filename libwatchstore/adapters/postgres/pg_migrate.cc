#include "postgres/pg_migrate.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::postgres_sql {
extern const watchstore::internal::Migration kMigrations[];
extern const int kMigrationCount;
}  // namespace watchstore::postgres_sql

namespace watchstore::internal::pg {
namespace {

// One lock per schema: tests (and tenants) in other schemas do not wait.
constexpr Statement kLock = {
    "ws_migrate_lock",
    "SELECT pg_advisory_lock(hashtextextended("
    "'watchstore.schema_migrations:' || coalesce(current_schema(), ''), 0))"};
constexpr Statement kUnlock = {
    "ws_migrate_unlock",
    "SELECT pg_advisory_unlock(hashtextextended("
    "'watchstore.schema_migrations:' || coalesce(current_schema(), ''), 0))"};
constexpr char kCreateTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  version    integer     PRIMARY KEY,"
    "  name       text        NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";
constexpr Statement kApplied = {"ws_migrate_applied",
                                "SELECT version FROM schema_migrations ORDER BY version"};
// Resolved through search_path like the unqualified names above; NULL if
// there is no such table (needs no privilege on it).
constexpr Statement kTableExists = {"ws_migrate_table_exists",
                                    "SELECT to_regclass('schema_migrations') IS NOT NULL"};
constexpr Statement kRecord = {"ws_migrate_record",
                               "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};

int64_t KnownVersion(absl::Span<const Migration> migrations) {
  return migrations.empty() ? 0 : migrations.back().version;
}

// The versions recorded in schema_migrations (which must exist).
// FailedPrecondition if one is newer than any in `migrations`.
absl::StatusOr<absl::flat_hash_set<int64_t>> AppliedVersions(
    Connection& conn, absl::Span<const Migration> migrations) {
  WS_ASSIGN_OR_RETURN(Result applied_rows, conn.Execute(kApplied, Params()));
  absl::flat_hash_set<int64_t> applied;
  int64_t newest = 0;
  for (int i = 0; i < applied_rows.rows(); ++i) {
    WS_ASSIGN_OR_RETURN(int64_t v, applied_rows.Int(i, 0));
    applied.insert(v);
    newest = std::max(newest, v);
  }
  const int64_t known = KnownVersion(migrations);
  if (newest > known) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kInternal,
                     absl::StrCat("the database schema is at version ", newest,
                                  ", newer than this build knows (", known, ")"));
  }
  return applied;
}

absl::Status NotMigrated(absl::string_view why) {
  return MakeError(
      absl::StatusCode::kFailedPrecondition, reason::kInternal,
      absl::StrCat("database not migrated: run `watchstore-server migrate` (", why, ")"));
}

absl::Status ApplyLocked(Connection& conn, absl::Span<const Migration> migrations) {
  WS_RETURN_IF_ERROR(conn.ExecuteScript(kCreateTable).status());
  WS_ASSIGN_OR_RETURN(const absl::flat_hash_set<int64_t> applied,
                      AppliedVersions(conn, migrations));
  for (const Migration& m : migrations) {
    if (applied.contains(m.version)) continue;
    WS_RETURN_IF_ERROR(conn.Begin());
    absl::Status s = conn.ExecuteScript(m.sql).status();
    if (s.ok()) {
      Params p;
      p.Add(m.version).Add(absl::string_view(m.name));
      s = conn.Execute(kRecord, p).status();
    }
    if (s.ok()) s = conn.Commit();
    if (!s.ok()) {
      conn.Rollback();
      return absl::Status(s.code(), absl::StrCat("migration ", m.name, " failed: ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOrder(absl::Span<const Migration> migrations) {
  for (size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return absl::InternalError(
          absl::StrCat("migration ", migrations[i].name, " is out of order"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Span<const Migration> PostgresMigrations() {
  return absl::Span<const Migration>(postgres_sql::kMigrations,
                                     static_cast<size_t>(postgres_sql::kMigrationCount));
}

absl::Status ApplyMigrations(Connection& conn, absl::Span<const Migration> migrations) {
  WS_RETURN_IF_ERROR(CheckOrder(migrations));
  WS_RETURN_IF_ERROR(conn.Execute(kLock, Params()).status());
  absl::Status s = ApplyLocked(conn, migrations);
  // A session lock: if unlocking fails the connection is dropped by the
  // caller, which releases it as well.
  absl::Status unlocked = conn.Execute(kUnlock, Params()).status();
  return s.ok() ? unlocked : s;
}

absl::Status CheckMigrations(Connection& conn, absl::Span<const Migration> migrations) {
  WS_RETURN_IF_ERROR(CheckOrder(migrations));
  WS_ASSIGN_OR_RETURN(Result exists, conn.Execute(kTableExists, Params()));
  WS_ASSIGN_OR_RETURN(bool has_table, exists.Bool(0, 0));
  if (!has_table) return NotMigrated("no schema_migrations table");
  WS_ASSIGN_OR_RETURN(const absl::flat_hash_set<int64_t> applied,
                      AppliedVersions(conn, migrations));
  for (const Migration& m : migrations) {
    if (!applied.contains(m.version)) {
      return NotMigrated(absl::StrCat("migration ", m.name, " is not applied; this build needs ",
                                      "version ", KnownVersion(migrations)));
    }
  }
  return absl::OkStatus();
}

}  // namespace watchstore::internal::pg
