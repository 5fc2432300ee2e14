// Account tokens and the transactional outbox on PostgreSQL. Claims use
// FOR UPDATE SKIP LOCKED, so any number of server instances share the
// outbox and each message is handed to one of them per lease.
#include <string>
#include <utility>
#include <vector>

#include "postgres/pg_connection.h"
#include "postgres/postgres_storage_impl.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal::pg {
namespace {

#define WS_PG_OUTBOX_COLUMNS                                                             \
  "id, message_id, kind, recipient, payload, order_id, created_at_ns, state, attempts, " \
  "next_attempt_at_ns, last_error"

constexpr Statement kInsertOutbox = {
    "ws_outbox_insert",
    "INSERT INTO outbox (message_id, kind, recipient, payload, order_id, created_at_ns, "
    "next_attempt_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $6)"};
constexpr Statement kInsertToken = {
    "ws_token_insert",
    "INSERT INTO account_tokens (token_hash, purpose, user_id, email, created_at_ns, "
    "expires_at_ns) VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Statement kGetToken = {
    "ws_token_get",
    "SELECT token_hash, purpose, user_id, email, created_at_ns, expires_at_ns, used_at_ns "
    "FROM account_tokens WHERE token_hash = $1"};
constexpr Statement kLockToken = {
    "ws_token_lock",
    "SELECT token_hash, purpose, user_id, email, created_at_ns, expires_at_ns, used_at_ns "
    "FROM account_tokens WHERE token_hash = $1 FOR UPDATE"};
constexpr Statement kUseToken = {"ws_token_use",
                                 "UPDATE account_tokens SET used_at_ns = $2 WHERE token_hash = $1"};
constexpr Statement kLockUser = {
    "ws_user_lock",
    "SELECT id, email, password_hash, role, created_at_ns, email_verified_at_ns FROM users "
    "WHERE id = $1 FOR UPDATE"};
constexpr Statement kVerifyEmail = {"ws_user_verify",
                                    "UPDATE users SET email_verified_at_ns = $2 WHERE id = $1"};
constexpr Statement kSetPassword = {"ws_user_set_password",
                                    "UPDATE users SET password_hash = $2 WHERE id = $1"};
constexpr Statement kChangeEmail = {
    "ws_user_change_email", "UPDATE users SET email = $2, email_verified_at_ns = $3 WHERE id = $1"};
constexpr Statement kDeleteUserSessions = {
    "ws_sessions_delete_user",
    "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2 RETURNING token_hash"};
constexpr Statement kClaim = {
    "ws_outbox_claim",
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at_ns = $2 WHERE id IN ("
    "SELECT id FROM outbox WHERE state = 0 AND next_attempt_at_ns <= $1 "
    "ORDER BY next_attempt_at_ns, id LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "RETURNING " WS_PG_OUTBOX_COLUMNS};
constexpr Statement kMarkSent = {
    "ws_outbox_sent",
    "UPDATE outbox SET state = 1, sent_at_ns = $2, last_error = '' WHERE id = $1"};
constexpr Statement kMarkFailed = {
    "ws_outbox_failed",
    "UPDATE outbox SET state = CASE WHEN state = 1 THEN 1 ELSE $2::smallint END, "
    "next_attempt_at_ns = $3, last_error = $4 WHERE id = $1"};
constexpr Statement kList = {"ws_outbox_list",
                             "SELECT " WS_PG_OUTBOX_COLUMNS
                             " FROM outbox WHERE state = $1 ORDER BY id LIMIT $2"};
constexpr Statement kRequeue = {
    "ws_outbox_requeue",
    "UPDATE outbox SET state = 0, attempts = 0, next_attempt_at_ns = $2 "
    "WHERE id = $1 AND state = 2"};
constexpr Statement kStats = {
    "ws_outbox_stats",
    "SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 2), "
    "min(created_at_ns) FILTER (WHERE state = 0) FROM outbox"};

absl::StatusOr<AccountToken> ReadToken(const Result& r) {
  if (r.rows() == 0) return absl::NotFoundError("no such token");
  AccountToken t;
  t.token_hash = r.String(0, 0);
  WS_ASSIGN_OR_RETURN(int64_t purpose, r.Int(0, 1));
  if (purpose < 0 || purpose > 2) return absl::InternalError("stored token purpose is unknown");
  t.purpose = static_cast<TokenPurpose>(purpose);
  WS_ASSIGN_OR_RETURN(t.user_id, r.Int(0, 2));
  t.email = r.String(0, 3);
  WS_ASSIGN_OR_RETURN(t.created_at, r.Time(0, 4));
  WS_ASSIGN_OR_RETURN(t.expires_at, r.Time(0, 5));
  if (!r.IsNull(0, 6)) {
    WS_ASSIGN_OR_RETURN(absl::Time used, r.Time(0, 6));
    t.used_at = used;
  }
  return t;
}

absl::StatusOr<std::vector<OutboxMessage>> ReadMessages(const Result& r) {
  std::vector<OutboxMessage> out;
  for (int row = 0; row < r.rows(); ++row) {
    OutboxMessage m;
    WS_ASSIGN_OR_RETURN(m.id, r.Int(row, 0));
    m.draft.message_id = r.String(row, 1);
    m.draft.kind = r.String(row, 2);
    m.draft.recipient = r.String(row, 3);
    m.draft.payload = r.String(row, 4);
    WS_ASSIGN_OR_RETURN(m.draft.order_id, r.Int(row, 5));
    WS_ASSIGN_OR_RETURN(m.draft.created_at, r.Time(row, 6));
    WS_ASSIGN_OR_RETURN(int64_t state, r.Int(row, 7));
    m.state = static_cast<OutboxState>(state);
    WS_ASSIGN_OR_RETURN(int64_t attempts, r.Int(row, 8));
    m.attempts = static_cast<int>(attempts);
    WS_ASSIGN_OR_RETURN(m.next_attempt_at, r.Time(row, 9));
    m.last_error = r.String(row, 10);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const OutboxMessage& a, const OutboxMessage& b) {
    return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at
                                                  : a.id < b.id;
  });
  return out;
}

absl::StatusOr<std::vector<std::string>> DeleteSessionsOf(Connection& c, UserId user_id,
                                                          absl::string_view keep) {
  Params p;
  p.Add(user_id).Add(keep);
  WS_ASSIGN_OR_RETURN(Result r, c.Execute(kDeleteUserSessions, p));
  std::vector<std::string> hashes;
  for (int row = 0; row < r.rows(); ++row) hashes.push_back(r.String(row, 0));
  return hashes;
}

}  // namespace

PipelineStep OutboxInsertStep(const OutboxDraft& d, Params* p) {
  p->Add(d.message_id)
      .Add(d.kind)
      .Add(d.recipient)
      .Add(d.payload)
      .Add(d.order_id)
      .AddTime(d.created_at);
  return {.statement = &kInsertOutbox, .params = p};
}

absl::Status InsertOutbox(Connection& c, const OutboxDraft& d) {
  Params p;
  return c.Execute(kInsertOutbox, *OutboxInsertStep(d, &p).params).status();
}

absl::Status InsertToken(Connection& c, const AccountToken& t) {
  Params p;
  p.Add(t.token_hash)
      .Add(static_cast<int>(t.purpose))
      .Add(t.user_id)
      .Add(t.email)
      .AddTime(t.created_at)
      .AddTime(t.expires_at);
  return c.Execute(kInsertToken, p).status();
}

absl::StatusOr<std::vector<std::string>> PostgresStorage::DeleteUserSessions(
    UserId user_id, absl::string_view keep_token_hash) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return DeleteSessionsOf(*conn, user_id, keep_token_hash);
}

absl::Status PostgresStorage::IssueAccountToken(const AccountToken& token,
                                                const std::vector<OutboxDraft>& mail) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<bool>(*conn,
                        [&](Connection& c) -> absl::StatusOr<bool> {
                          WS_RETURN_IF_ERROR(InsertToken(c, token));
                          for (const OutboxDraft& d : mail) {
                            WS_RETURN_IF_ERROR(InsertOutbox(c, d));
                          }
                          return true;
                        })
      .status();
}

absl::StatusOr<AccountToken> PostgresStorage::GetAccountToken(absl::string_view token_hash) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(token_hash);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kGetToken, p));
  return ReadToken(r);
}

absl::StatusOr<RedeemResult> PostgresStorage::RedeemAccountToken(const TokenRedemption& rd) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<RedeemResult>(*conn, [&](Connection& c) -> absl::StatusOr<RedeemResult> {
    Params key;
    key.Add(rd.token_hash);
    WS_ASSIGN_OR_RETURN(Result tr, c.Execute(kLockToken, key));
    WS_ASSIGN_OR_RETURN(AccountToken token, ReadToken(tr));
    WS_RETURN_IF_ERROR(CheckRedeemable(token, rd.purpose, rd.now));
    Params uid;
    uid.Add(token.user_id);
    WS_ASSIGN_OR_RETURN(Result ur, c.Execute(kLockUser, uid));
    WS_ASSIGN_OR_RETURN(User user, ReadUserRow(ur));
    RedeemResult result;
    switch (rd.purpose) {
      case TokenPurpose::kVerifyEmail: {
        if (user.email != token.email) {
          return MakeError(absl::StatusCode::kFailedPrecondition, reason::kTokenInvalid,
                           "the account's email address has changed since");
        }
        Params p;
        p.Add(user.id).AddTime(rd.now);
        WS_RETURN_IF_ERROR(c.Execute(kVerifyEmail, p).status());
        user.email_verified_at = rd.now;
        break;
      }
      case TokenPurpose::kResetPassword: {
        Params p;
        p.Add(user.id).Add(rd.new_password_hash);
        WS_RETURN_IF_ERROR(c.Execute(kSetPassword, p).status());
        user.password_hash = rd.new_password_hash;
        WS_ASSIGN_OR_RETURN(result.revoked_session_hashes, DeleteSessionsOf(c, user.id, ""));
        break;
      }
      case TokenPurpose::kChangeEmail: {
        Params p;
        p.Add(user.id).Add(token.email).AddTime(rd.now);
        WS_RETURN_IF_ERROR(c.Execute(kChangeEmail, p).status());  // users_email_key: taken
        user.email = token.email;
        user.email_verified_at = rd.now;
        break;
      }
    }
    Params use;
    use.Add(rd.token_hash).AddTime(rd.now);
    WS_RETURN_IF_ERROR(c.Execute(kUseToken, use).status());
    for (const OutboxDraft& d : rd.outbox) WS_RETURN_IF_ERROR(InsertOutbox(c, d));
    result.user = std::move(user);
    return result;
  });
}

absl::StatusOr<std::vector<OutboxMessage>> PostgresStorage::ClaimOutbox(absl::Time now, int limit,
                                                                        absl::Duration lease) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.AddTime(now).AddTime(now + lease).Add(int64_t{limit});
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kClaim, p));
  return ReadMessages(r);
}

absl::Status PostgresStorage::MarkOutboxSent(OutboxId id, absl::Time now) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(id).AddTime(now);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kMarkSent, p));
  return r.AffectedRows() == 0 ? absl::NotFoundError("no such message") : absl::OkStatus();
}

absl::Status PostgresStorage::MarkOutboxFailed(OutboxId id, absl::Time retry_at,
                                               absl::string_view error, bool dead) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(id)
      .Add(static_cast<int>(dead ? OutboxState::kDead : OutboxState::kPending))
      .AddTime(retry_at)
      .Add(error);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kMarkFailed, p));
  return r.AffectedRows() == 0 ? absl::NotFoundError("no such message") : absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxMessage>> PostgresStorage::ListOutbox(OutboxState state,
                                                                       int limit) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(static_cast<int>(state)).Add(int64_t{limit});
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kList, p));
  WS_ASSIGN_OR_RETURN(auto messages, ReadMessages(r));
  std::sort(messages.begin(), messages.end(),
            [](const OutboxMessage& a, const OutboxMessage& b) { return a.id < b.id; });
  return messages;
}

absl::Status PostgresStorage::RequeueOutbox(OutboxId id, absl::Time now) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(id).AddTime(now);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kRequeue, p));
  return r.AffectedRows() == 0 ? absl::NotFoundError("no such dead message") : absl::OkStatus();
}

absl::StatusOr<OutboxStats> PostgresStorage::GetOutboxStats() {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kStats, Params()));
  OutboxStats stats;
  WS_ASSIGN_OR_RETURN(stats.pending, r.Int(0, 0));
  WS_ASSIGN_OR_RETURN(stats.dead, r.Int(0, 1));
  if (!r.IsNull(0, 2)) {
    WS_ASSIGN_OR_RETURN(absl::Time oldest, r.Time(0, 2));
    stats.oldest_pending_created_at = oldest;
  }
  return stats;
}

}  // namespace watchstore::internal::pg
