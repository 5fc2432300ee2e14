// Account tokens and the outbox on SQLite. Each function runs on the
// connection it is given, inside a transaction the caller opened. Internal.
#ifndef WATCHSTORE_ADAPTERS_SQLITE_SQLITE_OUTBOX_H_
#define WATCHSTORE_ADAPTERS_SQLITE_SQLITE_OUTBOX_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sqlite/sqlite_db.h"
#include "watchstore/outbox.h"
#include "watchstore/storage.h"

namespace watchstore::sqlite {

// Semantics of the Storage methods of the same names.
absl::Status InsertOutboxIn(Connection& c, const OutboxDraft& draft);
absl::Status InsertTokenIn(Connection& c, const AccountToken& token);
absl::StatusOr<AccountToken> GetTokenIn(Connection& c, absl::string_view token_hash);
absl::StatusOr<std::vector<std::string>> DeleteUserSessionsIn(Connection& c, int64_t user_id,
                                                              absl::string_view keep);
absl::StatusOr<RedeemResult> RedeemTokenIn(Connection& c, const TokenRedemption& r);
absl::StatusOr<std::vector<OutboxMessage>> ClaimOutboxIn(Connection& c, absl::Time now, int limit,
                                                         absl::Duration lease);
absl::Status MarkOutboxIn(Connection& c, OutboxId id, OutboxState state, absl::Time at,
                          absl::string_view error);
absl::StatusOr<std::vector<OutboxMessage>> ListOutboxIn(Connection& c, OutboxState state,
                                                        int limit);
absl::Status RequeueOutboxIn(Connection& c, OutboxId id, absl::Time now);
absl::StatusOr<OutboxStats> OutboxStatsIn(Connection& c);

// users columns "id, email, password_hash, role, created_at, email_verified_at".
#define WS_USER_COLUMNS "id, email, password_hash, role, created_at, email_verified_at"
User ReadUser(const Statement& s);

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_OUTBOX_H_
