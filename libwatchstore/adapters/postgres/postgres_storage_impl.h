// The PostgreSQL Storage. Internal: users construct it through
// NewPostgresStorage (watchstore/postgres_storage.h).
//
// Concurrency model: READ COMMITTED transactions with explicit row locks.
// Every change to a variant's stock or price first locks its product row,
// then the variant rows, in (product id, variant id) order; so the
// denormalized listing columns of a product (min_price, in_stock) are
// recomputed from a stable set of variants, and two checkouts can never
// deadlock each other. Stock is taken with conditional updates
// (stock >= quantity) under CHECK (stock >= 0), so even a bug above cannot
// oversell.
//
// Methods are split by area: postgres_storage.cc (open, users, sessions,
// carts, health), postgres_products.cc (catalog), postgres_orders.cc
// (checkout, orders).
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_POSTGRES_STORAGE_IMPL_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_POSTGRES_STORAGE_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_pool.h"
#include "watchstore/order_rules.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/storage.h"

namespace watchstore::internal::pg {

class PostgresStorage final : public Storage {
 public:
  // REQUIRES: options validated.
  explicit PostgresStorage(const PostgresOptions& options, ConnectSettings settings)
      : pool_(std::move(settings), options.pool_size, options.pool_wait_timeout),
        max_retries_(options.max_transaction_retries),
        facet_exact_limit_(options.facet_exact_limit) {}

  // --- Users ---
  absl::StatusOr<User> CreateUser(const NewUser& user) override;
  absl::StatusOr<User> GetUserById(UserId id) override;
  absl::StatusOr<User> GetUserByEmail(absl::string_view email) override;
  absl::Status UpdatePasswordHash(UserId id, absl::string_view hash) override;
  absl::Status SetUserRole(UserId id, Role role) override;

  // --- Sessions ---
  absl::Status CreateSession(const SessionRecord& session) override;
  absl::StatusOr<SessionRecord> GetSession(absl::string_view token_hash) override;
  absl::Status TouchSession(absl::string_view token_hash, absl::Time last_seen_at) override;
  absl::Status DeleteSession(absl::string_view token_hash) override;
  absl::StatusOr<int64_t> DeleteExpiredSessions(absl::Time created_before,
                                                absl::Time idle_before) override;
  absl::StatusOr<std::vector<std::string>> DeleteUserSessions(
      UserId user_id, absl::string_view keep_token_hash) override;

  // --- Account tokens and outbox (postgres_outbox.cc) ---
  absl::Status IssueAccountToken(const AccountToken& token,
                                 const std::vector<OutboxDraft>& mail) override;
  absl::StatusOr<AccountToken> GetAccountToken(absl::string_view token_hash) override;
  absl::StatusOr<RedeemResult> RedeemAccountToken(const TokenRedemption& redemption) override;
  absl::StatusOr<std::vector<OutboxMessage>> ClaimOutbox(absl::Time now, int limit,
                                                         absl::Duration lease) override;
  absl::Status MarkOutboxSent(OutboxId id, absl::Time now) override;
  absl::Status MarkOutboxFailed(OutboxId id, absl::Time retry_at, absl::string_view error,
                                bool dead) override;
  absl::StatusOr<std::vector<OutboxMessage>> ListOutbox(OutboxState state, int limit) override;
  absl::Status RequeueOutbox(OutboxId id, absl::Time now) override;
  absl::StatusOr<OutboxStats> GetOutboxStats() override;

  // --- Products (postgres_products.cc) ---
  absl::StatusOr<Product> CreateProduct(const ProductDraft& draft, absl::Time now) override;
  absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t expected_version,
                                        const ProductDraft& draft, absl::Time now) override;
  absl::StatusOr<Product> AdjustStock(VariantId variant_id, int64_t delta, absl::Time now) override;
  absl::StatusOr<Product> GetProduct(ProductId id) override;
  absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) override;
  absl::StatusOr<ProductId> FindProductIdByVariant(VariantId variant_id) override;
  absl::StatusOr<SlugTarget> ResolveSlug(absl::string_view slug) override;
  absl::Status PutCollection(const CollectionInfo& c) override;
  absl::StatusOr<std::vector<CollectionInfo>> ListCollections() override;
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& query) override;
  absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& query) override;

  // --- Carts ---
  absl::StatusOr<std::vector<CartItem>> GetCart(const CartOwner& owner) override;
  absl::Status SetCartItem(const CartOwner& owner, VariantId variant_id, int64_t quantity,
                           absl::Time now) override;
  absl::Status ReplaceCart(const CartOwner& owner, const std::vector<CartItem>& items) override;
  absl::Status DeleteCart(const CartOwner& owner) override;
  absl::StatusOr<int64_t> DeleteExpiredGuestCarts(absl::Time added_before) override;

  // --- Orders (postgres_orders.cc) ---
  absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& order) override;
  absl::StatusOr<Order> GetOrder(OrderId id) override;
  absl::StatusOr<OrderPage> ListOrders(const OrderQuery& query) override;
  using Storage::TransitionOrder;
  absl::StatusOr<TransitionResult> TransitionOrder(OrderId id, OrderStatus from, OrderStatus to,
                                                   absl::Time now,
                                                   const std::vector<OutboxDraft>& outbox) override;
  absl::StatusOr<Order> GetOrderByAccessToken(absl::string_view token_hash) override;
  absl::StatusOr<Order> GetOrderByPaymentReference(absl::string_view provider,
                                                   absl::string_view reference) override;
  absl::StatusOr<int64_t> ClaimGuestOrders(absl::string_view email, UserId user_id) override;

  // --- Payments (postgres_payments.cc) ---
  absl::StatusOr<Order> AttachPayment(OrderId id, const ProviderPayment& payment) override;
  absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdate(const PaymentUpdate& update) override;
  absl::StatusOr<std::vector<TransitionResult>> ExpireReservations(absl::Time now,
                                                                   int limit) override;
  absl::StatusOr<TransitionResult> RefundOrder(const RefundRequest& request) override;
  absl::StatusOr<Order> SettleRefund(OrderId id, const Money& amount, absl::Time now) override;

  // --- Health ---
  absl::Status Ping() override;
  absl::string_view Kind() const override { return "postgres"; }

  PostgresPoolStats PoolStats() const { return pool_.Stats(); }

 private:
  // Who sends BEGIN: Transact (its own round trip) or the body, with its
  // first statements in one pipeline.
  enum class Begins { kHere, kInBody };
  // Runs `body(conn)` between BEGIN and COMMIT; rolls back when it fails.
  // A body that succeeded having committed itself (with its last
  // statements, in one pipeline) needs no COMMIT.
  // A transaction that failed on a serialization failure or deadlock is run
  // again, up to max_transaction_retries times, after a short jittered pause.
  template <typename T, typename Body>
  absl::StatusOr<T> Transact(Connection& conn, Body&& body, Begins begins = Begins::kHere);

  absl::StatusOr<PlaceOrderResult> PlaceOrderOnce(Connection& conn, const NewOrder& order);

  mutable Pool pool_;
  const int max_retries_;
  const int64_t facet_exact_limit_;
};

// Helpers shared by the method files.

// Reads products from rows laid out as WS_PG_PRODUCT_COLUMNS (a product's
// rows adjacent, variants by id) and appends them to `out`.
absl::Status ReadProducts(const Result& r, std::vector<Product>* out);
// The one product of `r` (rows of kGetProductSql, gallery included);
// NotFound if there is none.
absl::StatusOr<Product> ReadOneProduct(const Result& r);
// Reads orders from rows laid out as WS_PG_ORDER_COLUMNS.
absl::Status ReadOrders(const Result& r, std::vector<Order>* out);
// The user of the first row laid out as "id, email, password_hash, role,
// created_at_ns, email_verified_at_ns"; NotFound if there is none.
absl::StatusOr<User> ReadUserRow(const Result& r);
// Writes an outbox row / an account token inside the caller's transaction.
absl::Status InsertOutbox(Connection& c, const OutboxDraft& draft);
// The same insert as a pipeline step, its parameters bound into `*params`.
PipelineStep OutboxInsertStep(const OutboxDraft& draft, Params* params);
absl::Status InsertToken(Connection& c, const AccountToken& token);
// The product as of now, inside the caller's transaction.
absl::StatusOr<Product> LoadProduct(Connection& conn, ProductId id);
// Writes the search index of every product that has none (written before
// PostgreSQL migration 0005); run by `migrate` after the migrations.
absl::Status IndexUnindexedProducts(Connection& conn);
// Gives every product without a slug (written before PostgreSQL migration
// 0007) its derived slug; run by `migrate` after the migrations.
absl::Status SlugUnsluggedProducts(Connection& conn);
// The order as of now, inside the caller's transaction.
absl::StatusOr<Order> LoadOrder(Connection& conn, OrderId id);
// Locks the order's row (FOR NO KEY UPDATE), then loads it; NotFound.
absl::StatusOr<Order> LockOrder(Connection& conn, OrderId id);
// The order rules' LockVariants: locks the variants and their products in
// the global order (product id, variant id) and reads them.
absl::Status LockVariantsIn(Connection& conn, absl::Span<const VariantId> ids,
                            std::vector<LockedVariant>* out);
// Reads rows of that lock statement.
absl::Status ReadLockedVariants(const Result& r, std::vector<LockedVariant>* out);
// Returns every line of these orders to stock (cancelled or expired), their
// variants locked first, all at once in the global order.
absl::StatusOr<std::vector<StockChange>> RestockOrders(Connection& conn,
                                                       const std::vector<OrderId>& ids,
                                                       absl::Time now);
// Sets an order's status (refund_due = total when a paid order is cancelled).
absl::Status SetOrderStatus(Connection& conn, OrderId id, OrderStatus to, absl::Time now);

template <typename T, typename Body>
absl::StatusOr<T> PostgresStorage::Transact(Connection& conn, Body&& body, Begins begins) {
  for (int attempt = 0;; ++attempt) {
    if (begins == Begins::kHere) {
      absl::Status begun = conn.Begin();
      if (!begun.ok()) return begun;
    }
    absl::StatusOr<T> result = body(conn);
    bool retry = false;
    if (result.ok()) {
      if (conn.Idle()) return result;  // the body committed
      absl::Status committed = conn.Commit();
      if (committed.ok()) return result;
      retry = conn.LastErrorRetryable() && attempt < max_retries_;
      if (!retry) return committed;
    } else {
      retry = conn.LastErrorRetryable() && attempt < max_retries_;
      conn.Rollback();
      if (!retry) return result;
    }
    // Back off 1..2^attempt ms (capped), spread so that the transactions
    // that collided do not collide again.
    const int64_t cap_us = int64_t{1000} << std::min(attempt, 5);
    const int64_t spread_us =
        cap_us / 2 + (absl::ToUnixNanos(absl::Now()) / 1000) % (cap_us / 2 + 1);
    absl::SleepFor(absl::Microseconds(spread_us));
  }
}

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_POSTGRES_STORAGE_IMPL_H_
