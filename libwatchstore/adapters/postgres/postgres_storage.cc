// Opening the PostgreSQL storage; users, sessions, carts and health.
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_errors.h"
#include "postgres/pg_migrate.h"
#include "postgres/pg_replica_router.h"
#include "postgres/postgres_storage_impl.h"
#include "watchstore/errors.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/status_macros.h"

namespace watchstore {
namespace internal::pg {
namespace {

// --- Statements ---------------------------------------------------------------

constexpr Statement kCreateUser = {
    "ws_create_user",
    "INSERT INTO users (email, password_hash, role, created_at_ns) VALUES ($1, $2, $3, $4) "
    "RETURNING id"};
constexpr Statement kGetUserById = {
    "ws_get_user_by_id",
    "SELECT id, email, password_hash, role, created_at_ns, email_verified_at_ns FROM users "
    "WHERE id = $1"};
constexpr Statement kGetUserByEmail = {
    "ws_get_user_by_email",
    "SELECT id, email, password_hash, role, created_at_ns, email_verified_at_ns FROM users "
    "WHERE email = $1"};
constexpr Statement kUpdatePasswordHash = {"ws_update_password_hash",
                                           "UPDATE users SET password_hash = $2 WHERE id = $1"};
constexpr Statement kSetUserRole = {"ws_set_user_role", "UPDATE users SET role = $2 WHERE id = $1"};

constexpr Statement kCreateSession = {
    "ws_create_session",
    "INSERT INTO sessions (token_hash, user_id, created_at_ns, last_seen_at_ns) "
    "VALUES ($1, $2, $3, $4)"};
constexpr Statement kGetSession = {
    "ws_get_session",
    "SELECT token_hash, user_id, created_at_ns, last_seen_at_ns FROM sessions "
    "WHERE token_hash = $1"};
constexpr Statement kTouchSession = {
    "ws_touch_session", "UPDATE sessions SET last_seen_at_ns = $2 WHERE token_hash = $1"};
constexpr Statement kDeleteSession = {"ws_delete_session",
                                      "DELETE FROM sessions WHERE token_hash = $1"};
constexpr Statement kDeleteExpiredSessions = {
    "ws_delete_expired_sessions",
    "DELETE FROM sessions WHERE created_at_ns < $1 OR last_seen_at_ns < $2"};

// Guest carts whose newest line is older than $1, deleted; returns how many.
constexpr Statement kDeleteExpiredGuestCarts = {
    "ws_delete_expired_guest_carts",
    "WITH expired AS (SELECT guest_token_hash FROM cart_items WHERE guest_token_hash IS NOT NULL "
    "GROUP BY guest_token_hash HAVING max(added_at_ns) < $1), "
    "gone AS (DELETE FROM cart_items c USING expired e "
    "WHERE c.guest_token_hash = e.guest_token_hash) "
    "SELECT count(*) FROM expired"};

// Carts: one statement per owner kind, so each uses its partial unique index.
struct CartStatements {
  Statement get;
  Statement upsert;
  Statement remove;  // returns whether the variant exists
  Statement clear;
  Statement insert_many;
};
constexpr CartStatements kUserCart = {
    {"ws_cart_get_user",
     "SELECT c.variant_id, v.product_id, c.quantity, c.added_at_ns FROM cart_items c "
     "JOIN variants v ON v.id = c.variant_id WHERE c.user_id = $1 "
     "ORDER BY c.added_at_ns, c.variant_id"},
    {"ws_cart_upsert_user",
     "INSERT INTO cart_items (user_id, variant_id, quantity, added_at_ns) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, variant_id) WHERE user_id IS NOT NULL "
     "DO UPDATE SET quantity = EXCLUDED.quantity"},
    {"ws_cart_remove_user",
     "WITH gone AS (DELETE FROM cart_items WHERE user_id = $1 AND variant_id = $2) "
     "SELECT EXISTS (SELECT 1 FROM variants WHERE id = $2)"},
    {"ws_cart_clear_user", "DELETE FROM cart_items WHERE user_id = $1"},
    {"ws_cart_insert_user",
     "INSERT INTO cart_items (user_id, variant_id, quantity, added_at_ns) "
     "SELECT $1, u.variant_id, u.quantity, u.added_at_ns "
     "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(variant_id, quantity, "
     "added_at_ns)"},
};
constexpr CartStatements kGuestCart = {
    {"ws_cart_get_guest",
     "SELECT c.variant_id, v.product_id, c.quantity, c.added_at_ns FROM cart_items c "
     "JOIN variants v ON v.id = c.variant_id WHERE c.guest_token_hash = $1 "
     "ORDER BY c.added_at_ns, c.variant_id"},
    {"ws_cart_upsert_guest",
     "INSERT INTO cart_items (guest_token_hash, variant_id, quantity, added_at_ns) "
     "VALUES ($1, $2, $3, $4) ON CONFLICT (guest_token_hash, variant_id) "
     "WHERE guest_token_hash IS NOT NULL DO UPDATE SET quantity = EXCLUDED.quantity"},
    {"ws_cart_remove_guest",
     "WITH gone AS (DELETE FROM cart_items WHERE guest_token_hash = $1 AND variant_id = $2) "
     "SELECT EXISTS (SELECT 1 FROM variants WHERE id = $2)"},
    {"ws_cart_clear_guest", "DELETE FROM cart_items WHERE guest_token_hash = $1"},
    {"ws_cart_insert_guest",
     "INSERT INTO cart_items (guest_token_hash, variant_id, quantity, added_at_ns) "
     "SELECT $1, u.variant_id, u.quantity, u.added_at_ns "
     "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(variant_id, quantity, "
     "added_at_ns)"},
};

constexpr Statement kPing = {"ws_ping", "SELECT 1"};

// --- Helpers ------------------------------------------------------------------

const CartStatements& CartFor(const CartOwner& owner) {
  return owner.is_user() ? kUserCart : kGuestCart;
}

void AddOwner(const CartOwner& owner, Params* p) {
  if (owner.is_user()) {
    p->Add(owner.user_id);
  } else {
    p->Add(owner.guest_token_hash);
  }
}

}  // namespace

absl::StatusOr<User> ReadUserRow(const Result& r) {
  if (r.rows() == 0) return absl::NotFoundError("no such user");
  User u;
  WS_ASSIGN_OR_RETURN(u.id, r.Int(0, 0));
  u.email = r.String(0, 1);
  u.password_hash = r.String(0, 2);
  WS_ASSIGN_OR_RETURN(int64_t role, r.Int(0, 3));
  if (role != 0 && role != 1) return absl::InternalError("stored role is unknown");
  u.role = static_cast<Role>(role);
  WS_ASSIGN_OR_RETURN(u.created_at, r.Time(0, 4));
  if (!r.IsNull(0, 5)) {
    WS_ASSIGN_OR_RETURN(absl::Time verified, r.Time(0, 5));
    u.email_verified_at = verified;
  }
  return u;
}

namespace {

int64_t CeilDiv(absl::Duration d, absl::Duration unit) {
  return static_cast<int64_t>(std::ceil(absl::FDivDuration(d, unit)));
}

absl::Status ValidateOptions(const PostgresOptions& o) {
  if (o.url.empty()) return InvalidField("url", "a PostgreSQL connection URL is required");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(o.url.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    return InvalidField("url", absl::StrCat("malformed PostgreSQL connection URL: ", why));
  }
  PQconninfoFree(parsed);
  if (o.pool_size < 1) return InvalidField("pool_size", "pool_size must be at least 1");
  const auto bad = [](absl::Duration d) {
    return d <= absl::ZeroDuration() || d > absl::Hours(24);
  };
  if (bad(o.connect_timeout)) {
    return InvalidField("connect_timeout", "connect_timeout must be in (0, 24h]");
  }
  if (bad(o.statement_timeout)) {
    return InvalidField("statement_timeout", "statement_timeout must be in (0, 24h]");
  }
  if (bad(o.pool_wait_timeout)) {
    return InvalidField("pool_wait_timeout", "pool_wait_timeout must be in (0, 24h]");
  }
  if (o.max_transaction_retries < 0) {
    return InvalidField("max_transaction_retries", "max_transaction_retries must be >= 0");
  }
  if (o.facet_exact_limit < 0) {
    return InvalidField("facet_exact_limit", "facet_exact_limit must be >= 0");
  }
  return absl::OkStatus();
}

ConnectSettings SettingsFor(const PostgresOptions& o) {
  ConnectSettings s;
  s.url = o.url;
  s.connect_timeout_seconds = static_cast<int>(CeilDiv(o.connect_timeout, absl::Seconds(1)));
  s.statement_timeout_ms = CeilDiv(o.statement_timeout, absl::Milliseconds(1));
  return s;
}

absl::Status Migrate(const PostgresOptions& o) {
  ConnectSettings s = SettingsFor(o);
  s.statement_timeout_ms = 0;  // a migration may rewrite a big table
  WS_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(s));
  WS_RETURN_IF_ERROR(ApplyMigrations(*conn, PostgresMigrations()));
  WS_RETURN_IF_ERROR(IndexUnindexedProducts(*conn));
  return SlugUnsluggedProducts(*conn);
}

// Read-only: no DDL, so the app role needs no CREATE on the schema.
absl::Status CheckMigrated(const PostgresOptions& o) {
  WS_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(SettingsFor(o)));
  return CheckMigrations(*conn, PostgresMigrations());
}

}  // namespace

// --- Users ----------------------------------------------------------------------

absl::StatusOr<User> PostgresStorage::CreateUser(const NewUser& user) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(user.email)
      .Add(user.password_hash)
      .Add(static_cast<int>(user.role))
      .AddTime(user.created_at);
  auto create = [&](Connection& c) -> absl::StatusOr<User> {
    WS_ASSIGN_OR_RETURN(Result r, c.Execute(kCreateUser, p));
    User u{0, user.email, user.password_hash, user.role, user.created_at, std::nullopt};
    WS_ASSIGN_OR_RETURN(u.id, r.Int(0, 0));
    for (AccountToken t : user.tokens) {
      t.user_id = u.id;
      WS_RETURN_IF_ERROR(InsertToken(c, t));
    }
    for (const OutboxDraft& d : user.outbox) WS_RETURN_IF_ERROR(InsertOutbox(c, d));
    return u;
  };
  if (user.tokens.empty() && user.outbox.empty()) return create(*conn);
  return Transact<User>(*conn, create);
}

absl::StatusOr<User> PostgresStorage::GetUserById(UserId id) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(id);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kGetUserById, p));
  return ReadUserRow(r);
}

absl::StatusOr<User> PostgresStorage::GetUserByEmail(absl::string_view email) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(email);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kGetUserByEmail, p));
  return ReadUserRow(r);
}

absl::Status PostgresStorage::UpdatePasswordHash(UserId id, absl::string_view hash) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(id).Add(hash);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kUpdatePasswordHash, p));
  if (r.AffectedRows() == 0) return absl::NotFoundError("no such user");
  return absl::OkStatus();
}

absl::Status PostgresStorage::SetUserRole(UserId id, Role role) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(id).Add(static_cast<int>(role));
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kSetUserRole, p));
  if (r.AffectedRows() == 0) return absl::NotFoundError("no such user");
  return absl::OkStatus();
}

// --- Sessions -------------------------------------------------------------------

absl::Status PostgresStorage::CreateSession(const SessionRecord& s) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(s.token_hash).Add(s.user_id).AddTime(s.created_at).AddTime(s.last_seen_at);
  return conn->Execute(kCreateSession, p).status();
}

absl::StatusOr<SessionRecord> PostgresStorage::GetSession(absl::string_view token_hash) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(token_hash);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kGetSession, p));
  if (r.rows() == 0) return absl::NotFoundError("no such session");
  SessionRecord s;
  s.token_hash = r.String(0, 0);
  WS_ASSIGN_OR_RETURN(s.user_id, r.Int(0, 1));
  WS_ASSIGN_OR_RETURN(s.created_at, r.Time(0, 2));
  WS_ASSIGN_OR_RETURN(s.last_seen_at, r.Time(0, 3));
  return s;
}

absl::Status PostgresStorage::TouchSession(absl::string_view token_hash, absl::Time last_seen_at) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(token_hash).AddTime(last_seen_at);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kTouchSession, p));
  if (r.AffectedRows() == 0) return absl::NotFoundError("no such session");
  return absl::OkStatus();
}

absl::Status PostgresStorage::DeleteSession(absl::string_view token_hash) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(token_hash);
  return conn->Execute(kDeleteSession, p).status();
}

absl::StatusOr<int64_t> PostgresStorage::DeleteExpiredSessions(absl::Time created_before,
                                                               absl::Time idle_before) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.AddTime(created_before).AddTime(idle_before);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kDeleteExpiredSessions, p));
  return r.AffectedRows();
}

// --- Carts ----------------------------------------------------------------------

absl::StatusOr<std::vector<CartItem>> PostgresStorage::GetCart(const CartOwner& owner) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  AddOwner(owner, &p);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(CartFor(owner).get, p));
  std::vector<CartItem> items(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    CartItem& c = items[static_cast<size_t>(i)];
    WS_ASSIGN_OR_RETURN(c.variant_id, r.Int(i, 0));
    WS_ASSIGN_OR_RETURN(c.product_id, r.Int(i, 1));
    WS_ASSIGN_OR_RETURN(c.quantity, r.Int(i, 2));
    WS_ASSIGN_OR_RETURN(c.added_at, r.Time(i, 3));
  }
  return items;
}

absl::Status PostgresStorage::SetCartItem(const CartOwner& owner, VariantId variant_id,
                                          int64_t quantity, absl::Time now) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  AddOwner(owner, &p);
  p.Add(variant_id);
  if (quantity <= 0) {
    WS_ASSIGN_OR_RETURN(Result r, conn->Execute(CartFor(owner).remove, p));
    WS_ASSIGN_OR_RETURN(bool exists, r.Bool(0, 0));
    if (!exists) return absl::NotFoundError("no such variant");
    return absl::OkStatus();
  }
  p.Add(quantity).AddTime(now);
  return conn->Execute(CartFor(owner).upsert, p).status();
}

absl::Status PostgresStorage::ReplaceCart(const CartOwner& owner,
                                          const std::vector<CartItem>& items) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  const CartStatements& st = CartFor(owner);
  Params clear;
  AddOwner(owner, &clear);
  Params insert;
  AddOwner(owner, &insert);
  std::vector<int64_t> variants, quantities, added;
  for (const CartItem& c : items) {
    variants.push_back(c.variant_id);
    quantities.push_back(c.quantity);
    added.push_back(absl::ToUnixNanos(c.added_at));
  }
  insert.AddInt64Array(variants).AddInt64Array(quantities).AddInt64Array(added);
  return Transact<bool>(*conn,
                        [&](Connection& c) -> absl::StatusOr<bool> {
                          WS_RETURN_IF_ERROR(c.Execute(st.clear, clear).status());
                          if (!items.empty())
                            WS_RETURN_IF_ERROR(c.Execute(st.insert_many, insert).status());
                          return true;
                        })
      .status();
}

absl::Status PostgresStorage::DeleteCart(const CartOwner& owner) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  AddOwner(owner, &p);
  return conn->Execute(CartFor(owner).clear, p).status();
}

absl::StatusOr<int64_t> PostgresStorage::DeleteExpiredGuestCarts(absl::Time added_before) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.AddTime(added_before);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kDeleteExpiredGuestCarts, p));
  return r.Int(0, 0);
}

// --- Health ---------------------------------------------------------------------

absl::Status PostgresStorage::Ping() {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return conn->Execute(kPing, Params()).status();
}

}  // namespace internal::pg

// --- Public entry points -----------------------------------------------------------

absl::StatusOr<std::unique_ptr<Storage>> NewPostgresStorage(const PostgresOptions& options) {
  WS_RETURN_IF_ERROR(internal::pg::ValidateOptions(options));
  WS_RETURN_IF_ERROR(options.apply_migrations ? internal::pg::Migrate(options)
                                              : internal::pg::CheckMigrated(options));
  auto storage =
      std::make_unique<internal::pg::PostgresStorage>(options, internal::pg::SettingsFor(options));
  // Fail now, not at the first request, if the pool cannot connect.
  WS_RETURN_IF_ERROR(storage->Ping());
  return storage;
}

absl::Status MigratePostgres(const PostgresOptions& options) {
  WS_RETURN_IF_ERROR(internal::pg::ValidateOptions(options));
  return internal::pg::Migrate(options);
}

std::optional<PostgresPoolStats> PostgresPoolStatsOf(Storage& storage) {
  if (Storage* primary = internal::pg::PrimaryOfReplicaRouter(storage)) {
    return PostgresPoolStatsOf(*primary);
  }
  auto* pg = dynamic_cast<internal::pg::PostgresStorage*>(&storage);
  if (pg == nullptr) return std::nullopt;
  return pg->PoolStats();
}

}  // namespace watchstore
