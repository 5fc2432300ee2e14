// The SQLite Storage adapter. See watchstore/sqlite_storage.h for the
// contract and sql/sqlite/ for the schema. Products live in
// sqlite_products.cc, carts and orders in sqlite_orders.cc; this file holds
// the connections, users and sessions, and the factories.
//
// Writes: one connection, serialized by writer_mu_, each call one BEGIN
// IMMEDIATE transaction (the write lock is taken up front, so the reads a
// write makes before changing anything cannot go stale: check-then-act is
// safe across threads and processes). Reads: a pool of read-only
// connections; a read of several statements runs in one read transaction,
// so it sees one snapshot.
#include "watchstore/sqlite_storage.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "sqlite/sqlite_db.h"
#include "sqlite/sqlite_orders.h"
#include "sqlite/sqlite_outbox.h"
#include "sqlite/sqlite_products.h"
#include "sqlite/sqlite_rows.h"
#include "storage/migration.h"
#include "sync.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore {
namespace sqlite_sql {
// sql/sqlite/*.sql, embedded by watchstore_embed_sql (cmake/EmbedSql.cmake).
extern const internal::Migration kMigrations[];
extern const int kMigrationCount;
}  // namespace sqlite_sql

namespace {

using sqlite::At;
using sqlite::Connection;
using sqlite::ConnectionPool;
using sqlite::ExpectRow;
using sqlite::Nanos;
using sqlite::NoSuch;
using sqlite::Statement;
using sqlite::Stored;

constexpr char kInsertUser[] =
    "INSERT INTO users (email, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (email) DO NOTHING";
constexpr char kSelectUserById[] = "SELECT " WS_USER_COLUMNS " FROM users WHERE id = ?1";
constexpr char kSelectUserByEmail[] = "SELECT " WS_USER_COLUMNS " FROM users WHERE email = ?1";
constexpr char kUserExists[] = "SELECT 1 FROM users WHERE id = ?1";
constexpr char kUpdatePasswordHash[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";
constexpr char kUpdateRole[] = "UPDATE users SET role = ?2 WHERE id = ?1";

constexpr char kInsertSession[] =
    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (token_hash) DO NOTHING";
constexpr char kSelectSession[] =
    "SELECT token_hash, user_id, created_at, last_seen_at FROM sessions WHERE token_hash = ?1";
constexpr char kTouchSession[] = "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1";
constexpr char kDeleteSession[] = "DELETE FROM sessions WHERE token_hash = ?1";
// Guest carts (owner "g:<hash>") whose newest line is older than ?1.
#define WS_EXPIRED_GUEST_CARTS                                                        \
  "SELECT owner FROM cart_items WHERE owner >= 'g:' AND owner < 'g;' GROUP BY owner " \
  "HAVING max(added_at) < ?1"
constexpr char kCountExpiredGuestCarts[] = "SELECT count(*) FROM (" WS_EXPIRED_GUEST_CARTS ")";
constexpr char kDeleteExpiredGuestCarts[] =
    "DELETE FROM cart_items WHERE owner IN (" WS_EXPIRED_GUEST_CARTS ")";
#undef WS_EXPIRED_GUEST_CARTS
constexpr char kDeleteExpiredSessions[] =
    "DELETE FROM sessions WHERE created_at < ?1 OR last_seen_at < ?2";

using sqlite::ReadUser;

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::unique_ptr<Connection> writer, std::unique_ptr<ConnectionPool> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}

  // --- Users ---
  absl::StatusOr<User> CreateUser(const NewUser& u) override {
    return Write<User>([&](Connection& c) -> absl::StatusOr<User> {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertUser));
      s.Bind(1, u.email)
          .Bind(2, u.password_hash)
          .Bind(3, static_cast<int64_t>(u.role))
          .Bind(4, Nanos(u.created_at));
      WS_RETURN_IF_ERROR(s.Run());
      if (c.changes() == 0) {
        return MakeError(absl::StatusCode::kAlreadyExists, reason::kEmailTaken,
                         "email already registered", "email");
      }
      User user{c.last_insert_rowid(), u.email,     u.password_hash, u.role,
                Stored(u.created_at),  std::nullopt};
      for (AccountToken t : u.tokens) {
        t.user_id = user.id;
        WS_RETURN_IF_ERROR(sqlite::InsertTokenIn(c, t));
      }
      for (const OutboxDraft& d : u.outbox) WS_RETURN_IF_ERROR(sqlite::InsertOutboxIn(c, d));
      return user;
    });
  }

  absl::StatusOr<User> GetUserById(UserId id) override {
    return ReadOne<User>([&](Connection& c) -> absl::StatusOr<User> {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserById));
      s.Bind(1, id);
      WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
      return ReadUser(s);
    });
  }

  absl::StatusOr<User> GetUserByEmail(absl::string_view email) override {
    return ReadOne<User>([&](Connection& c) -> absl::StatusOr<User> {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectUserByEmail));
      s.Bind(1, email);
      WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
      return ReadUser(s);
    });
  }

  absl::Status UpdatePasswordHash(UserId id, absl::string_view hash) override {
    return UpdateOne(kUpdatePasswordHash, id, hash, "user");
  }

  absl::Status SetUserRole(UserId id, Role role) override {
    return WriteStatus([&](Connection& c) -> absl::Status {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateRole));
      s.Bind(1, id).Bind(2, static_cast<int64_t>(role));
      WS_RETURN_IF_ERROR(s.Run());
      return c.changes() == 0 ? NoSuch("user") : absl::OkStatus();
    });
  }

  // --- Sessions ---
  absl::Status CreateSession(const SessionRecord& r) override {
    return WriteStatus([&](Connection& c) -> absl::Status {
      {
        WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUserExists));
        s.Bind(1, r.user_id);
        WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
      }
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertSession));
      s.Bind(1, r.token_hash)
          .Bind(2, r.user_id)
          .Bind(3, Nanos(r.created_at))
          .Bind(4, Nanos(r.last_seen_at));
      WS_RETURN_IF_ERROR(s.Run());
      if (c.changes() == 0) return absl::AlreadyExistsError("session exists");
      return absl::OkStatus();
    });
  }

  absl::StatusOr<SessionRecord> GetSession(absl::string_view token_hash) override {
    return ReadOne<SessionRecord>([&](Connection& c) -> absl::StatusOr<SessionRecord> {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectSession));
      s.Bind(1, token_hash);
      WS_RETURN_IF_ERROR(ExpectRow(s, "session"));
      return SessionRecord{std::string(s.Text(0)), s.Int(1), At(s.Int(2)), At(s.Int(3))};
    });
  }

  absl::Status TouchSession(absl::string_view token_hash, absl::Time last_seen_at) override {
    return WriteStatus([&](Connection& c) -> absl::Status {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kTouchSession));
      s.Bind(1, token_hash).Bind(2, Nanos(last_seen_at));
      WS_RETURN_IF_ERROR(s.Run());
      return c.changes() == 0 ? NoSuch("session") : absl::OkStatus();
    });
  }

  absl::Status DeleteSession(absl::string_view token_hash) override {
    return WriteStatus([&](Connection& c) -> absl::Status {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteSession));
      s.Bind(1, token_hash);
      return s.Run();
    });
  }

  absl::StatusOr<std::vector<std::string>> DeleteUserSessions(UserId user_id,
                                                              absl::string_view keep) override {
    return Write<std::vector<std::string>>(
        [&](Connection& c) { return sqlite::DeleteUserSessionsIn(c, user_id, keep); });
  }

  // --- Account tokens ---
  absl::Status IssueAccountToken(const AccountToken& token,
                                 const std::vector<OutboxDraft>& mail) override {
    return WriteStatus([&](Connection& c) -> absl::Status {
      {
        WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUserExists));
        s.Bind(1, token.user_id);
        WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
      }
      WS_RETURN_IF_ERROR(sqlite::InsertTokenIn(c, token));
      for (const OutboxDraft& d : mail) WS_RETURN_IF_ERROR(sqlite::InsertOutboxIn(c, d));
      return absl::OkStatus();
    });
  }
  absl::StatusOr<AccountToken> GetAccountToken(absl::string_view token_hash) override {
    return ReadOne<AccountToken>([&](Connection& c) { return sqlite::GetTokenIn(c, token_hash); });
  }
  absl::StatusOr<RedeemResult> RedeemAccountToken(const TokenRedemption& r) override {
    return Write<RedeemResult>([&](Connection& c) { return sqlite::RedeemTokenIn(c, r); });
  }

  // --- Outbox ---
  absl::StatusOr<std::vector<OutboxMessage>> ClaimOutbox(absl::Time now, int limit,
                                                         absl::Duration lease) override {
    return Write<std::vector<OutboxMessage>>(
        [&](Connection& c) { return sqlite::ClaimOutboxIn(c, now, limit, lease); });
  }
  absl::Status MarkOutboxSent(OutboxId id, absl::Time now) override {
    return WriteStatus(
        [&](Connection& c) { return sqlite::MarkOutboxIn(c, id, OutboxState::kSent, now, ""); });
  }
  absl::Status MarkOutboxFailed(OutboxId id, absl::Time retry_at, absl::string_view error,
                                bool dead) override {
    return WriteStatus([&](Connection& c) {
      return sqlite::MarkOutboxIn(c, id, dead ? OutboxState::kDead : OutboxState::kPending,
                                  retry_at, error);
    });
  }
  absl::StatusOr<std::vector<OutboxMessage>> ListOutbox(OutboxState state, int limit) override {
    return ReadOne<std::vector<OutboxMessage>>(
        [&](Connection& c) { return sqlite::ListOutboxIn(c, state, limit); });
  }
  absl::Status RequeueOutbox(OutboxId id, absl::Time now) override {
    return WriteStatus([&](Connection& c) { return sqlite::RequeueOutboxIn(c, id, now); });
  }
  absl::StatusOr<OutboxStats> GetOutboxStats() override {
    return ReadOne<OutboxStats>([&](Connection& c) { return sqlite::OutboxStatsIn(c); });
  }

  absl::StatusOr<int64_t> DeleteExpiredSessions(absl::Time created_before,
                                                absl::Time idle_before) override {
    return Write<int64_t>([&](Connection& c) -> absl::StatusOr<int64_t> {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteExpiredSessions));
      s.Bind(1, Nanos(created_before)).Bind(2, Nanos(idle_before));
      WS_RETURN_IF_ERROR(s.Run());
      return c.changes();
    });
  }

  // --- Products ---
  absl::StatusOr<Product> CreateProduct(const ProductDraft& d, absl::Time now) override {
    return Write<Product>([&](Connection& c) { return sqlite::CreateProductIn(c, d, now); });
  }

  absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t expected_version,
                                        const ProductDraft& d, absl::Time now) override {
    return Write<Product>(
        [&](Connection& c) { return sqlite::UpdateProductIn(c, id, expected_version, d, now); });
  }

  absl::StatusOr<Product> AdjustStock(VariantId variant_id, int64_t delta,
                                      absl::Time now) override {
    return Write<Product>(
        [&](Connection& c) { return sqlite::AdjustStockIn(c, variant_id, delta, now); });
  }

  absl::StatusOr<Product> GetProduct(ProductId id) override {
    return Read<Product>([&](Connection& c) { return sqlite::LoadProduct(c, id); });
  }

  absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) override {
    return ReadOne<ProductId>([&](Connection& c) { return sqlite::ProductOfSku(c, sku); });
  }

  absl::StatusOr<ProductId> FindProductIdByVariant(VariantId variant_id) override {
    return ReadOne<ProductId>(
        [&](Connection& c) { return sqlite::ProductOfVariant(c, variant_id); });
  }

  absl::StatusOr<SlugTarget> ResolveSlug(absl::string_view slug) override {
    return ReadOne<SlugTarget>([&](Connection& c) { return sqlite::ResolveSlugIn(c, slug); });
  }

  absl::Status PutCollection(const CollectionInfo& info) override {
    return WriteStatus([&](Connection& c) { return sqlite::PutCollectionIn(c, info); });
  }

  absl::StatusOr<std::vector<CollectionInfo>> ListCollections() override {
    return ReadOne<std::vector<CollectionInfo>>(
        [&](Connection& c) { return sqlite::ListCollectionsIn(c); });
  }

  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    return Read<ProductPage>([&](Connection& c) { return sqlite::ListProductsIn(c, q); });
  }
  absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& q) override {
    return Read<FacetCounts>([&](Connection& c) { return sqlite::CountFacetsIn(c, q); });
  }

  // --- Carts ---
  absl::StatusOr<std::vector<CartItem>> GetCart(const CartOwner& owner) override {
    return ReadOne<std::vector<CartItem>>(
        [&](Connection& c) { return sqlite::GetCartIn(c, owner); });
  }

  absl::Status SetCartItem(const CartOwner& owner, VariantId variant_id, int64_t quantity,
                           absl::Time now) override {
    return WriteStatus(
        [&](Connection& c) { return sqlite::SetCartItemIn(c, owner, variant_id, quantity, now); });
  }

  absl::Status ReplaceCart(const CartOwner& owner, const std::vector<CartItem>& items) override {
    return WriteStatus([&](Connection& c) { return sqlite::ReplaceCartIn(c, owner, items); });
  }

  absl::Status DeleteCart(const CartOwner& owner) override {
    return WriteStatus([&](Connection& c) { return sqlite::DeleteCartIn(c, owner); });
  }

  absl::StatusOr<int64_t> DeleteExpiredGuestCarts(absl::Time added_before) override {
    return Write<int64_t>([&](Connection& c) -> absl::StatusOr<int64_t> {
      WS_ASSIGN_OR_RETURN(Statement count, c.Prepare(kCountExpiredGuestCarts));
      count.Bind(1, Nanos(added_before));
      WS_ASSIGN_OR_RETURN(bool row, count.Step());
      const int64_t carts = row ? count.Int(0) : 0;
      WS_ASSIGN_OR_RETURN(Statement remove, c.Prepare(kDeleteExpiredGuestCarts));
      remove.Bind(1, Nanos(added_before));
      WS_RETURN_IF_ERROR(remove.Run());
      return carts;
    });
  }

  // --- Orders ---
  absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& o) override {
    return Write<PlaceOrderResult>([&](Connection& c) { return sqlite::PlaceOrderIn(c, o); });
  }

  absl::StatusOr<Order> GetOrder(OrderId id) override {
    return Read<Order>([&](Connection& c) { return sqlite::LoadOrder(c, id); });
  }

  absl::StatusOr<OrderPage> ListOrders(const OrderQuery& q) override {
    return Read<OrderPage>([&](Connection& c) { return sqlite::ListOrdersIn(c, q); });
  }

  absl::StatusOr<TransitionResult> TransitionOrder(
      OrderId id, OrderStatus from, OrderStatus to, absl::Time now,
      const std::vector<OutboxDraft>& outbox) override {
    return Write<TransitionResult>([&](Connection& c) -> absl::StatusOr<TransitionResult> {
      WS_ASSIGN_OR_RETURN(TransitionResult r, sqlite::TransitionOrderIn(c, id, from, to, now));
      for (const OutboxDraft& d : outbox) WS_RETURN_IF_ERROR(sqlite::InsertOutboxIn(c, d));
      return r;
    });
  }

  absl::StatusOr<Order> GetOrderByAccessToken(absl::string_view token_hash) override {
    return Read<Order>(
        [&](Connection& c) { return sqlite::LoadOrderByAccessToken(c, token_hash); });
  }
  absl::StatusOr<Order> GetOrderByPaymentReference(absl::string_view provider,
                                                   absl::string_view reference) override {
    return Read<Order>(
        [&](Connection& c) { return sqlite::LoadOrderByPaymentReference(c, provider, reference); });
  }
  absl::StatusOr<int64_t> ClaimGuestOrders(absl::string_view email, UserId user_id) override {
    return Write<int64_t>(
        [&](Connection& c) { return sqlite::ClaimGuestOrdersIn(c, email, user_id); });
  }

  // --- Payments ---
  absl::StatusOr<Order> AttachPayment(OrderId id, const ProviderPayment& payment) override {
    return Write<Order>([&](Connection& c) { return sqlite::AttachPaymentIn(c, id, payment); });
  }
  absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdate(const PaymentUpdate& update) override {
    return Write<PaymentUpdateResult>(
        [&](Connection& c) { return sqlite::ApplyPaymentUpdateIn(c, update); });
  }
  // One writer at a time: concurrent sweepers are serialized by the write
  // lock, and the second finds the first's orders no longer pending.
  absl::StatusOr<std::vector<TransitionResult>> ExpireReservations(absl::Time now,
                                                                   int limit) override {
    return Write<std::vector<TransitionResult>>(
        [&](Connection& c) { return sqlite::ExpireReservationsIn(c, now, limit); });
  }
  absl::StatusOr<TransitionResult> RefundOrder(const RefundRequest& request) override {
    return Write<TransitionResult>(
        [&](Connection& c) { return sqlite::RefundOrderIn(c, request); });
  }
  absl::StatusOr<Order> SettleRefund(OrderId id, const Money& amount, absl::Time now) override {
    return Write<Order>([&](Connection& c) { return sqlite::SettleRefundIn(c, id, amount, now); });
  }

  // --- Health ---
  absl::Status Ping() override {
    return ReadOne<bool>([&](Connection& c) -> absl::StatusOr<bool> {
             WS_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1"));
             return s.Step();
           })
        .status();
  }

  absl::string_view Kind() const override { return "sqlite"; }

 private:
  // Runs `body` in a write transaction on the writer connection.
  template <typename T, typename Body>
  absl::StatusOr<T> Write(Body&& body) ABSL_LOCKS_EXCLUDED(writer_mu_) {
    internal::MutexLock lock(&writer_mu_);
    Connection& conn = *writer_;
    std::optional<T> out;
    absl::Status st = sqlite::WriteTransaction(conn, [&]() -> absl::Status {
      out.reset();
      absl::StatusOr<T> r = body(conn);
      if (!r.ok()) return r.status();
      out.emplace(*std::move(r));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return *std::move(out);
  }

  template <typename Body>
  absl::Status WriteStatus(Body&& body) ABSL_LOCKS_EXCLUDED(writer_mu_) {
    internal::MutexLock lock(&writer_mu_);
    Connection& conn = *writer_;
    return sqlite::WriteTransaction(conn, [&]() -> absl::Status { return body(conn); });
  }

  // Runs `body` in a read transaction on a pooled connection.
  template <typename T, typename Body>
  absl::StatusOr<T> Read(Body&& body) {
    return ReadWith<T>(&sqlite::ReadTransaction, std::forward<Body>(body));
  }
  // The same for a body of one statement: no BEGIN/COMMIT needed.
  template <typename T, typename Body>
  absl::StatusOr<T> ReadOne(Body&& body) {
    return ReadWith<T>(&sqlite::ReadAutocommit, std::forward<Body>(body));
  }
  template <typename T, typename Body>
  absl::StatusOr<T> ReadWith(absl::Status (*run)(Connection&, const std::function<absl::Status()>&),
                             Body&& body) {
    ConnectionPool::Lease conn = readers_->Acquire();
    std::optional<T> out;
    absl::Status st = run(*conn, [&]() -> absl::Status {
      out.reset();
      absl::StatusOr<T> r = body(*conn);
      if (!r.ok()) return r.status();
      out.emplace(*std::move(r));
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return *std::move(out);
  }

  absl::Status UpdateOne(const char* sql, int64_t id, absl::string_view text,
                         absl::string_view what) {
    return WriteStatus([&](Connection& c) -> absl::Status {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
      s.Bind(1, id).Bind(2, text);
      WS_RETURN_IF_ERROR(s.Run());
      return c.changes() == 0 ? NoSuch(what) : absl::OkStatus();
    });
  }

  internal::Mutex writer_mu_;
  const std::unique_ptr<Connection> writer_ ABSL_PT_GUARDED_BY(writer_mu_);
  const std::unique_ptr<ConnectionPool> readers_;
};

// Opens the writer connection and brings the schema up to date.
absl::StatusOr<std::unique_ptr<Connection>> OpenMigrated(const SqliteOptions& options) {
  WS_RETURN_IF_ERROR(sqlite::ValidateOptions(options));
  WS_ASSIGN_OR_RETURN(auto writer, Connection::Open(options, Connection::Mode::kReadWrite));
  WS_RETURN_IF_ERROR(
      sqlite::Migrate(*writer, sqlite_sql::kMigrations, sqlite_sql::kMigrationCount));
  // Products from before the search index (migration 0004) and slugs
  // (0007) get theirs now.
  Connection& conn = *writer;
  WS_RETURN_IF_ERROR(sqlite::WriteTransaction(conn, [&]() -> absl::Status {
    WS_RETURN_IF_ERROR(sqlite::IndexUnindexedProducts(conn));
    return sqlite::SlugUnsluggedProducts(conn);
  }));
  return writer;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> NewSqliteStorage(const SqliteOptions& options) {
  WS_ASSIGN_OR_RETURN(auto writer, OpenMigrated(options));
  WS_ASSIGN_OR_RETURN(auto readers, ConnectionPool::Open(options));
  return std::unique_ptr<Storage>(new SqliteStorage(std::move(writer), std::move(readers)));
}

absl::Status MigrateSqlite(const SqliteOptions& options) { return OpenMigrated(options).status(); }

}  // namespace watchstore
