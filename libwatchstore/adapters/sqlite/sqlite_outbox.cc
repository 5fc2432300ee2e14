#include "sqlite/sqlite_outbox.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sqlite/sqlite_rows.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::sqlite {
namespace {

#define WS_OUTBOX_COLUMNS                                                             \
  "id, message_id, kind, recipient, payload, order_id, created_at, state, attempts, " \
  "next_attempt_at, last_error"

constexpr char kInsertOutbox[] =
    "INSERT INTO outbox (message_id, kind, recipient, payload, order_id, created_at, "
    "next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
constexpr char kInsertToken[] =
    "INSERT INTO account_tokens (token_hash, purpose, user_id, email, created_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (token_hash) DO NOTHING";
constexpr char kSelectToken[] =
    "SELECT token_hash, purpose, user_id, email, created_at, expires_at, used_at "
    "FROM account_tokens WHERE token_hash = ?1";
constexpr char kUseToken[] =
    "UPDATE account_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL";
constexpr char kSelectUserById[] = "SELECT " WS_USER_COLUMNS " FROM users WHERE id = ?1";
constexpr char kSelectUserSessions[] =
    "SELECT token_hash FROM sessions WHERE user_id = ?1 AND token_hash != ?2";
constexpr char kDeleteUserSessions[] =
    "DELETE FROM sessions WHERE user_id = ?1 AND token_hash != ?2";
constexpr char kVerifyEmail[] = "UPDATE users SET email_verified_at = ?2 WHERE id = ?1";
constexpr char kSetPassword[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";
constexpr char kChangeEmail[] =
    "UPDATE users SET email = ?2, email_verified_at = ?3 WHERE id = ?1 AND NOT EXISTS "
    "(SELECT 1 FROM users WHERE email = ?2)";
constexpr char kSelectDue[] = "SELECT " WS_OUTBOX_COLUMNS
                              " FROM outbox WHERE state = 0 AND next_attempt_at <= ?1 "
                              "ORDER BY next_attempt_at, id LIMIT ?2";
constexpr char kClaim[] =
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1";
constexpr char kMarkSent[] =
    "UPDATE outbox SET state = 1, sent_at = ?2, last_error = '' WHERE id = ?1";
constexpr char kMarkFailed[] =
    "UPDATE outbox SET state = ?2, next_attempt_at = ?3, last_error = ?4 "
    "WHERE id = ?1 AND state != 1";
constexpr char kOutboxExists[] = "SELECT 1 FROM outbox WHERE id = ?1";
constexpr char kListOutbox[] =
    "SELECT " WS_OUTBOX_COLUMNS " FROM outbox WHERE state = ?1 ORDER BY id LIMIT ?2";
constexpr char kRequeue[] =
    "UPDATE outbox SET state = 0, attempts = 0, next_attempt_at = ?2 WHERE id = ?1 AND state = 2";
constexpr char kStats[] =
    "SELECT (SELECT count(*) FROM outbox WHERE state = 0), "
    "(SELECT count(*) FROM outbox WHERE state = 2), "
    "(SELECT min(created_at) FROM outbox WHERE state = 0)";

OutboxMessage ReadMessage(const Statement& s) {
  OutboxMessage m;
  m.id = s.Int(0);
  m.draft.message_id = std::string(s.Text(1));
  m.draft.kind = std::string(s.Text(2));
  m.draft.recipient = std::string(s.Text(3));
  m.draft.payload = std::string(s.Text(4));
  m.draft.order_id = s.Int(5);
  m.draft.created_at = At(s.Int(6));
  m.state = static_cast<OutboxState>(s.Int(7));
  m.attempts = static_cast<int>(s.Int(8));
  m.next_attempt_at = At(s.Int(9));
  m.last_error = std::string(s.Text(10));
  return m;
}

absl::StatusOr<std::vector<OutboxMessage>> ReadMessages(Statement& s) {
  std::vector<OutboxMessage> out;
  while (true) {
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadMessage(s));
  }
  return out;
}

absl::Status RunChanged(Connection& c, Statement& s, absl::string_view what) {
  WS_RETURN_IF_ERROR(s.Run());
  return c.changes() == 0 ? NoSuch(what) : absl::OkStatus();
}

}  // namespace

User ReadUser(const Statement& s) {
  User u;
  u.id = s.Int(0);
  u.email = std::string(s.Text(1));
  u.password_hash = std::string(s.Text(2));
  u.role = static_cast<Role>(s.Int(3));
  u.created_at = At(s.Int(4));
  if (!s.IsNull(5)) u.email_verified_at = At(s.Int(5));
  return u;
}

absl::Status InsertOutboxIn(Connection& c, const OutboxDraft& d) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertOutbox));
  s.Bind(1, d.message_id)
      .Bind(2, d.kind)
      .Bind(3, d.recipient)
      .Bind(4, d.payload)
      .Bind(5, d.order_id)
      .Bind(6, Nanos(d.created_at));
  return s.Run();
}

absl::Status InsertTokenIn(Connection& c, const AccountToken& t) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertToken));
  s.Bind(1, t.token_hash)
      .Bind(2, static_cast<int64_t>(t.purpose))
      .Bind(3, t.user_id)
      .Bind(4, t.email)
      .Bind(5, Nanos(t.created_at))
      .Bind(6, Nanos(t.expires_at));
  WS_RETURN_IF_ERROR(s.Run());
  if (c.changes() == 0) return absl::AlreadyExistsError("token exists");
  return absl::OkStatus();
}

absl::StatusOr<AccountToken> GetTokenIn(Connection& c, absl::string_view token_hash) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectToken));
  s.Bind(1, token_hash);
  WS_RETURN_IF_ERROR(ExpectRow(s, "token"));
  AccountToken t;
  t.token_hash = std::string(s.Text(0));
  t.purpose = static_cast<TokenPurpose>(s.Int(1));
  t.user_id = s.Int(2);
  t.email = std::string(s.Text(3));
  t.created_at = At(s.Int(4));
  t.expires_at = At(s.Int(5));
  if (!s.IsNull(6)) t.used_at = At(s.Int(6));
  return t;
}

absl::StatusOr<std::vector<std::string>> DeleteUserSessionsIn(Connection& c, int64_t user_id,
                                                              absl::string_view keep) {
  std::vector<std::string> hashes;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserSessions));
    s.Bind(1, user_id).Bind(2, keep);
    while (true) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      hashes.emplace_back(s.Text(0));
    }
  }
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteUserSessions));
  s.Bind(1, user_id).Bind(2, keep);
  WS_RETURN_IF_ERROR(s.Run());
  return hashes;
}

absl::StatusOr<RedeemResult> RedeemTokenIn(Connection& c, const TokenRedemption& r) {
  WS_ASSIGN_OR_RETURN(AccountToken token, GetTokenIn(c, r.token_hash));
  WS_RETURN_IF_ERROR(CheckRedeemable(token, r.purpose, r.now));
  User user;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserById));
    s.Bind(1, token.user_id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
    user = ReadUser(s);
  }
  RedeemResult result;
  switch (r.purpose) {
    case TokenPurpose::kVerifyEmail: {
      if (user.email != token.email) {
        return MakeError(absl::StatusCode::kFailedPrecondition, reason::kTokenInvalid,
                         "the account's email address has changed since");
      }
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kVerifyEmail));
      s.Bind(1, user.id).Bind(2, Nanos(r.now));
      WS_RETURN_IF_ERROR(RunChanged(c, s, "user"));
      user.email_verified_at = Stored(r.now);
      break;
    }
    case TokenPurpose::kResetPassword: {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSetPassword));
      s.Bind(1, user.id).Bind(2, r.new_password_hash);
      WS_RETURN_IF_ERROR(RunChanged(c, s, "user"));
      user.password_hash = r.new_password_hash;
      WS_ASSIGN_OR_RETURN(result.revoked_session_hashes, DeleteUserSessionsIn(c, user.id, ""));
      break;
    }
    case TokenPurpose::kChangeEmail: {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kChangeEmail));
      s.Bind(1, user.id).Bind(2, token.email).Bind(3, Nanos(r.now));
      WS_RETURN_IF_ERROR(s.Run());
      if (c.changes() == 0) {
        return MakeError(absl::StatusCode::kAlreadyExists, reason::kEmailTaken,
                         "email already registered", "email");
      }
      user.email = token.email;
      user.email_verified_at = Stored(r.now);
      break;
    }
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUseToken));
    s.Bind(1, r.token_hash).Bind(2, Nanos(r.now));
    WS_RETURN_IF_ERROR(RunChanged(c, s, "token"));
  }
  for (const OutboxDraft& d : r.outbox) WS_RETURN_IF_ERROR(InsertOutboxIn(c, d));
  result.user = std::move(user);
  return result;
}

absl::StatusOr<std::vector<OutboxMessage>> ClaimOutboxIn(Connection& c, absl::Time now, int limit,
                                                         absl::Duration lease) {
  std::vector<OutboxMessage> due;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectDue));
    s.Bind(1, Nanos(now)).Bind(2, int64_t{limit});
    WS_ASSIGN_OR_RETURN(due, ReadMessages(s));
  }
  for (OutboxMessage& m : due) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kClaim));
    m.attempts += 1;
    m.next_attempt_at = Stored(now + lease);
    s.Bind(1, m.id).Bind(2, Nanos(m.next_attempt_at));
    WS_RETURN_IF_ERROR(s.Run());
  }
  return due;
}

absl::Status MarkOutboxIn(Connection& c, OutboxId id, OutboxState state, absl::Time at,
                          absl::string_view error) {
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kOutboxExists));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "message"));
  }
  if (state == OutboxState::kSent) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kMarkSent));
    s.Bind(1, id).Bind(2, Nanos(at));
    return s.Run();
  }
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kMarkFailed));
  s.Bind(1, id).Bind(2, static_cast<int64_t>(state)).Bind(3, Nanos(at)).Bind(4, error);
  return s.Run();
}

absl::StatusOr<std::vector<OutboxMessage>> ListOutboxIn(Connection& c, OutboxState state,
                                                        int limit) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kListOutbox));
  s.Bind(1, static_cast<int64_t>(state)).Bind(2, int64_t{limit});
  return ReadMessages(s);
}

absl::Status RequeueOutboxIn(Connection& c, OutboxId id, absl::Time now) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kRequeue));
  s.Bind(1, id).Bind(2, Nanos(now));
  return RunChanged(c, s, "dead message");
}

absl::StatusOr<OutboxStats> OutboxStatsIn(Connection& c) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kStats));
  WS_RETURN_IF_ERROR(ExpectRow(s, "stats"));
  OutboxStats stats;
  stats.pending = s.Int(0);
  stats.dead = s.Int(1);
  if (!s.IsNull(2)) stats.oldest_pending_created_at = At(s.Int(2));
  return stats;
}

}  // namespace watchstore::sqlite
