// From a PostgreSQL error to the Storage error contract (storage.h). The
// schema's constraint names (sql/postgres/) are part of this mapping.
// Internal.
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_PG_ERRORS_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_PG_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "postgres/pg_connection.h"

namespace watchstore::internal::pg {

inline constexpr absl::string_view kUniqueViolation = "23505";
inline constexpr absl::string_view kForeignKeyViolation = "23503";
inline constexpr absl::string_view kCheckViolation = "23514";

// Connection trouble, timeouts and exhausted retries: Unavailable. Known
// constraints: their contract error (unique email: AlreadyExists
// email_taken; unique SKU: AlreadyExists sku_taken; a missing user or
// variant: NotFound; a CHECK: InvalidArgument naming the field). Other data
// errors: InvalidArgument; the rest: Internal.
absl::Status StatusFromError(const ServerError& error, bool broken);

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_PG_ERRORS_H_
