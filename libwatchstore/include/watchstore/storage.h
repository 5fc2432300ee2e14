// Storage: the durable state of a store. One interface, many adapters
// (memory, SQLite, PostgreSQL), all held to one conformance suite
// (tests/storage_conformance.h).
#ifndef WATCHSTORE_STORAGE_H_
#define WATCHSTORE_STORAGE_H_

#include <memory>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/cart.h"
#include "watchstore/facets.h"
#include "watchstore/order.h"
#include "watchstore/outbox.h"
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore {

struct ProductPage {
  std::vector<Product> items;
  bool has_more = false;  // another page follows the last item
};

// Where a slug leads: its product, and that product's current slug (the
// same slug, or the one an old slug redirects to).
struct SlugTarget {
  ProductId product_id = 0;
  std::string current_slug;
};

struct RedeemResult {
  User user;                                        // after the change
  std::vector<std::string> revoked_session_hashes;  // kResetPassword
};

struct OrderPage {
  std::vector<Order> items;
  bool has_more = false;
};

// Every method is thread-safe. Inputs have been validated by the services
// (lengths, ranges, normalization); adapters still enforce the invariants
// below with constraints, whatever the caller passes.
//
// Error codes, shared by every adapter:
//   NotFound            the id, email, SKU, token or order does not exist
//   AlreadyExists       unique email or SKU taken
//   Aborted             expected_version is stale (optimistic concurrency)
//   FailedPrecondition  not enough stock; illegal status transition;
//                       idempotency key reused with another fingerprint
//   InvalidArgument     a reference that cannot hold (variant of another product)
//   Unavailable         the backend cannot be reached (retry later)
//
// Outbox rows given with a write (NewUser::outbox, NewOrder::outbox,
// TransitionOrder's `outbox`, IssueAccountToken, TokenRedemption::outbox) are
// written in the same transaction as the write: both happen or neither.
class Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;

  // --- Users --------------------------------------------------------------
  // Assigns the id; writes user.tokens and user.outbox (tokens get the new
  // user_id) in the same transaction. AlreadyExists if the email is taken.
  virtual absl::StatusOr<User> CreateUser(const NewUser& user) = 0;
  virtual absl::StatusOr<User> GetUserById(UserId id) = 0;
  virtual absl::StatusOr<User> GetUserByEmail(absl::string_view email) = 0;
  virtual absl::Status UpdatePasswordHash(UserId id, absl::string_view hash) = 0;
  virtual absl::Status SetUserRole(UserId id, Role role) = 0;

  // --- Sessions -----------------------------------------------------------
  // AlreadyExists if the token hash is taken.
  virtual absl::Status CreateSession(const SessionRecord& session) = 0;
  virtual absl::StatusOr<SessionRecord> GetSession(absl::string_view token_hash) = 0;
  // Sets last_seen_at. NotFound if the session is gone.
  virtual absl::Status TouchSession(absl::string_view token_hash, absl::Time last_seen_at) = 0;
  // Idempotent: OK if it did not exist.
  virtual absl::Status DeleteSession(absl::string_view token_hash) = 0;
  // Deletes every session of the user except `keep_token_hash` (may be
  // empty); returns the hashes deleted, so callers can drop cached copies.
  virtual absl::StatusOr<std::vector<std::string>> DeleteUserSessions(
      UserId user_id, absl::string_view keep_token_hash) = 0;
  // Deletes sessions created before `created_before` or idle since before
  // `idle_before`. Returns how many were deleted.
  virtual absl::StatusOr<int64_t> DeleteExpiredSessions(absl::Time created_before,
                                                        absl::Time idle_before) = 0;

  // --- Account tokens (e-mail verification, password reset, e-mail change) --
  // Stores `token` and writes `mail` in one transaction. NotFound if the user
  // does not exist; AlreadyExists if the hash is taken.
  virtual absl::Status IssueAccountToken(const AccountToken& token,
                                         const std::vector<OutboxDraft>& mail) = 0;
  // NotFound if no token has this hash.
  virtual absl::StatusOr<AccountToken> GetAccountToken(absl::string_view token_hash) = 0;
  // See TokenRedemption. NotFound if no token has this hash or it has another
  // purpose; FailedPrecondition reason token_used if used, token_expired if
  // now >= expires_at. Nothing changes on error.
  virtual absl::StatusOr<RedeemResult> RedeemAccountToken(const TokenRedemption& redemption) = 0;

  // --- Outbox ---------------------------------------------------------------
  // Claims up to `limit` pending messages with next_attempt_at <= now, oldest
  // first: each gets attempts + 1 and next_attempt_at = now + lease, so no
  // other claimer takes it until the lease ends (a worker that dies mid-send
  // leaves its messages to be claimed again). Concurrent claimers, in this
  // process or others, never receive the same message within a lease.
  virtual absl::StatusOr<std::vector<OutboxMessage>> ClaimOutbox(absl::Time now, int limit,
                                                                 absl::Duration lease) = 0;
  // Records the outcome of a claimed message: sent; or back to pending at
  // `retry_at` with `error`; or dead (when `dead`). NotFound if no such id.
  virtual absl::Status MarkOutboxSent(OutboxId id, absl::Time now) = 0;
  virtual absl::Status MarkOutboxFailed(OutboxId id, absl::Time retry_at, absl::string_view error,
                                        bool dead) = 0;
  // Messages in `state`, oldest first; limit 1..1000.
  virtual absl::StatusOr<std::vector<OutboxMessage>> ListOutbox(OutboxState state, int limit) = 0;
  // Moves a dead message back to pending (attempts 0, due at `now`).
  // NotFound if there is no dead message with this id.
  virtual absl::Status RequeueOutbox(OutboxId id, absl::Time now) = 0;
  virtual absl::StatusOr<OutboxStats> GetOutboxStats() = 0;

  // --- Products -----------------------------------------------------------
  // Assigns product and variant ids, version 1, created_at = updated_at = now.
  // AlreadyExists if a SKU is taken. Variant drafts must have id 0.
  // Slugs (ProductDraft::slug): an empty draft slug gets
  // FirstFreeSlug(DeriveSlug(brand, model, reference)); a given one is taken
  // as is, AlreadyExists (reason slug_taken) if any product holds or held it.
  // Every slug a product is given is recorded with the product write, in its
  // transaction, and resolves to the product for ever (ResolveSlug).
  virtual absl::StatusOr<Product> CreateProduct(const ProductDraft& draft, absl::Time now) = 0;
  // Replaces the product's fields. Variants with id != 0 are updated (sku,
  // options, price; never stock), those with id == 0 are added with their
  // stock, variants not named are kept. Bumps version.
  // Aborted if version != expected_version; InvalidArgument if a variant id
  // belongs to another product; AlreadyExists if a SKU is taken.
  virtual absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t expected_version,
                                                const ProductDraft& draft, absl::Time now) = 0;
  // Adds `delta` to a variant's stock and bumps the product version.
  // FailedPrecondition if the stock would go negative.
  virtual absl::StatusOr<Product> AdjustStock(VariantId variant_id, int64_t delta,
                                              absl::Time now) = 0;
  virtual absl::StatusOr<Product> GetProduct(ProductId id) = 0;
  // NotFound if no variant has this SKU.
  virtual absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) = 0;
  // NotFound if no such variant.
  virtual absl::StatusOr<ProductId> FindProductIdByVariant(VariantId variant_id) = 0;
  // The product a slug (current or old) leads to, with its current slug.
  // NotFound if no product ever had it. Answered from the slug index.
  virtual absl::StatusOr<SlugTarget> ResolveSlug(absl::string_view slug) = 0;
  // REQUIRES: 1 <= query.limit <= 100. Archived products only if
  // query.include_archived. Keyset order as documented on ProductSort.
  // query.text searches by the rule of watchstore/search.h, over an index
  // written in the same transaction as every product write (a product is
  // findable once its write returns, and gone once its archive returns);
  // InvalidArgument if ParseSearchQuery refuses it.
  virtual absl::StatusOr<ProductPage> ListProducts(const ProductQuery& query) = 0;
  // The facet counts of `query` (watchstore/facets.h; its cursor, sort and
  // limit are ignored), from one snapshot. InvalidArgument as ListProducts.
  virtual absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& query) = 0;

  // --- Collections ----------------------------------------------------------
  // Creates or replaces the description of collection `c.slug`.
  virtual absl::Status PutCollection(const CollectionInfo& c) = 0;
  // Every described collection, by slug.
  virtual absl::StatusOr<std::vector<CollectionInfo>> ListCollections() = 0;

  // --- Carts --------------------------------------------------------------
  // Lines ordered by added_at then variant id, with product_id filled in. An
  // unknown owner has an empty cart.
  virtual absl::StatusOr<std::vector<CartItem>> GetCart(const CartOwner& owner) = 0;
  // Sets a line's quantity; 0 removes it. NotFound if the variant does not exist.
  virtual absl::Status SetCartItem(const CartOwner& owner, VariantId variant_id, int64_t quantity,
                                   absl::Time now) = 0;
  // Replaces the whole cart atomically.
  virtual absl::Status ReplaceCart(const CartOwner& owner, const std::vector<CartItem>& items) = 0;
  virtual absl::Status DeleteCart(const CartOwner& owner) = 0;
  // Deletes every guest cart whose newest line was added before
  // `added_before` (user carts are never touched); returns how many carts.
  virtual absl::StatusOr<int64_t> DeleteExpiredGuestCarts(absl::Time added_before) = 0;

  // --- Orders -------------------------------------------------------------
  // The idempotency check comes first: if the user already has an order with
  // this key, returns it with replayed = true when the fingerprint matches,
  // FailedPrecondition (reason idempotency_key_reused) when not, whatever the
  // lines. Otherwise FailedPrecondition (reason cart_empty) if there are no
  // lines. Then all-or-nothing: takes stock for every line (FailedPrecondition naming the
  // SKU if any line lacks stock, changing nothing), captures current prices,
  // creates the order (pending, its payment requires_action for
  // payment_provider with amount = total, reserved_until), optionally empties
  // the buyer's cart. A guest order's key is scoped by its guest cart.
  // NotFound if a variant does not exist; FailedPrecondition if its product
  // is archived or priced in another currency. ResourceExhausted (reason
  // too_many_unpaid_orders) past NewOrder's caps, checked before stock.
  virtual absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& order) = 0;
  virtual absl::StatusOr<Order> GetOrder(OrderId id) = 0;
  // Newest first.
  virtual absl::StatusOr<OrderPage> ListOrders(const OrderQuery& query) = 0;
  // Moves an order from `from` to `to` atomically and writes `outbox`;
  // FailedPrecondition if its status is not `from` or the transition is
  // illegal. A move to kCancelled returns every line's quantity to stock in
  // the same transaction.
  virtual absl::StatusOr<TransitionResult> TransitionOrder(
      OrderId id, OrderStatus from, OrderStatus to, absl::Time now,
      const std::vector<OutboxDraft>& outbox) = 0;
  // The same with no outbox rows.
  absl::StatusOr<TransitionResult> TransitionOrder(OrderId id, OrderStatus from, OrderStatus to,
                                                   absl::Time now) {
    return TransitionOrder(id, from, to, now, {});
  }
  // NotFound unless a guest order has this link token hash.
  virtual absl::StatusOr<Order> GetOrderByAccessToken(absl::string_view token_hash) = 0;
  // NotFound unless an order's payment has this provider and reference.
  virtual absl::StatusOr<Order> GetOrderByPaymentReference(absl::string_view provider,
                                                           absl::string_view reference) = 0;
  // Gives guest orders placed with `email` (exact, normalized) to the user:
  // they appear in the user's history. Returns how many.
  virtual absl::StatusOr<int64_t> ClaimGuestOrders(absl::string_view email, UserId user_id) = 0;

  // --- Payments -----------------------------------------------------------
  // Records the provider's reference and client secret on the order's
  // payment, once: OK and unchanged if the same reference is already there.
  // FailedPrecondition (reason payment_mismatch) if another reference is,
  // another order of the same provider has this reference, or the amount
  // differs from the order's payment amount. NotFound.
  virtual absl::StatusOr<Order> AttachPayment(OrderId id, const ProviderPayment& payment) = 0;
  // Applies a payment change in one transaction, by PlanPaymentUpdate
  // (order_rules.h): the payment record, the order's status (pending or
  // expired -> paid; an expired order takes its stock again, all or
  // nothing, or if short stays expired and the amount becomes refund_due),
  // refund_due, stock, outbox_if_paid, and the event id (each applied once).
  // FailedPrecondition (payment_mismatch) and nothing written when the
  // reference, amount or currency contradict the order, or the reference
  // belongs to another order of the provider. NotFound.
  virtual absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdate(const PaymentUpdate& update) = 0;
  // Expires up to `limit` pending orders whose reserved_until <= now, oldest
  // reservation first: each moves to kExpired and returns its stock in one
  // transaction. Concurrent sweepers (in this process or others) never expire
  // the same order twice and do not wait on each other's orders.
  virtual absl::StatusOr<std::vector<TransitionResult>> ExpireReservations(absl::Time now,
                                                                           int limit) = 0;
  // Refunds lines by PlanRefund (order_rules.h) in one transaction: each
  // line's refunded_quantity, stock (if restock), refund_due += the lines'
  // value, status kRefunded once every line is refunded, outbox.
  // FailedPrecondition (illegal_transition) unless the order is paid,
  // shipped or delivered; InvalidArgument for a line it does not have or
  // more than is left to refund. NotFound.
  virtual absl::StatusOr<TransitionResult> RefundOrder(const RefundRequest& request) = 0;
  // The provider gave `amount` back: refund_due -= amount, payment.refunded
  // += amount, payment state kRefunded once refunded == amount.
  // FailedPrecondition if amount exceeds refund_due. NotFound.
  virtual absl::StatusOr<Order> SettleRefund(OrderId id, const Money& amount, absl::Time now) = 0;

  // --- Health -------------------------------------------------------------
  // OK when the backend answers.
  virtual absl::Status Ping() = 0;
  // "memory", "sqlite", "postgres".
  virtual absl::string_view Kind() const = 0;
};

// The in-memory reference implementation: thread-safe, nothing durable.
std::unique_ptr<Storage> NewMemoryStorage();

// A Storage that forwards every call to another, for tests and decorators
// that change one behaviour (fault injection, counting, delays), as
// LevelDB's EnvWrapper does for Env. Does not own `target`; it must outlive
// this.
class StorageWrapper : public Storage {
 public:
  explicit StorageWrapper(Storage* target) : target_(target) {}
  Storage* target() const { return target_; }

  absl::StatusOr<User> CreateUser(const NewUser& u) override { return target_->CreateUser(u); }
  absl::StatusOr<User> GetUserById(UserId id) override { return target_->GetUserById(id); }
  absl::StatusOr<User> GetUserByEmail(absl::string_view e) override {
    return target_->GetUserByEmail(e);
  }
  absl::Status UpdatePasswordHash(UserId id, absl::string_view h) override {
    return target_->UpdatePasswordHash(id, h);
  }
  absl::Status SetUserRole(UserId id, Role r) override { return target_->SetUserRole(id, r); }
  absl::Status CreateSession(const SessionRecord& s) override { return target_->CreateSession(s); }
  absl::StatusOr<SessionRecord> GetSession(absl::string_view h) override {
    return target_->GetSession(h);
  }
  absl::Status TouchSession(absl::string_view h, absl::Time t) override {
    return target_->TouchSession(h, t);
  }
  absl::Status DeleteSession(absl::string_view h) override { return target_->DeleteSession(h); }
  absl::StatusOr<std::vector<std::string>> DeleteUserSessions(UserId id,
                                                              absl::string_view keep) override {
    return target_->DeleteUserSessions(id, keep);
  }
  absl::Status IssueAccountToken(const AccountToken& t,
                                 const std::vector<OutboxDraft>& m) override {
    return target_->IssueAccountToken(t, m);
  }
  absl::StatusOr<AccountToken> GetAccountToken(absl::string_view h) override {
    return target_->GetAccountToken(h);
  }
  absl::StatusOr<RedeemResult> RedeemAccountToken(const TokenRedemption& r) override {
    return target_->RedeemAccountToken(r);
  }
  absl::StatusOr<std::vector<OutboxMessage>> ClaimOutbox(absl::Time now, int limit,
                                                         absl::Duration lease) override {
    return target_->ClaimOutbox(now, limit, lease);
  }
  absl::Status MarkOutboxSent(OutboxId id, absl::Time now) override {
    return target_->MarkOutboxSent(id, now);
  }
  absl::Status MarkOutboxFailed(OutboxId id, absl::Time retry_at, absl::string_view error,
                                bool dead) override {
    return target_->MarkOutboxFailed(id, retry_at, error, dead);
  }
  absl::StatusOr<std::vector<OutboxMessage>> ListOutbox(OutboxState s, int limit) override {
    return target_->ListOutbox(s, limit);
  }
  absl::Status RequeueOutbox(OutboxId id, absl::Time now) override {
    return target_->RequeueOutbox(id, now);
  }
  absl::StatusOr<OutboxStats> GetOutboxStats() override { return target_->GetOutboxStats(); }
  absl::StatusOr<int64_t> DeleteExpiredSessions(absl::Time a, absl::Time b) override {
    return target_->DeleteExpiredSessions(a, b);
  }
  absl::StatusOr<Product> CreateProduct(const ProductDraft& d, absl::Time now) override {
    return target_->CreateProduct(d, now);
  }
  absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t v, const ProductDraft& d,
                                        absl::Time now) override {
    return target_->UpdateProduct(id, v, d, now);
  }
  absl::StatusOr<Product> AdjustStock(VariantId id, int64_t delta, absl::Time now) override {
    return target_->AdjustStock(id, delta, now);
  }
  absl::StatusOr<Product> GetProduct(ProductId id) override { return target_->GetProduct(id); }
  absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) override {
    return target_->FindProductIdBySku(sku);
  }
  absl::StatusOr<ProductId> FindProductIdByVariant(VariantId id) override {
    return target_->FindProductIdByVariant(id);
  }
  absl::StatusOr<SlugTarget> ResolveSlug(absl::string_view slug) override {
    return target_->ResolveSlug(slug);
  }
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    return target_->ListProducts(q);
  }
  absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& q) override {
    return target_->CountFacets(q);
  }
  absl::Status PutCollection(const CollectionInfo& c) override { return target_->PutCollection(c); }
  absl::StatusOr<std::vector<CollectionInfo>> ListCollections() override {
    return target_->ListCollections();
  }
  absl::StatusOr<std::vector<CartItem>> GetCart(const CartOwner& o) override {
    return target_->GetCart(o);
  }
  absl::Status SetCartItem(const CartOwner& o, VariantId v, int64_t q, absl::Time now) override {
    return target_->SetCartItem(o, v, q, now);
  }
  absl::Status ReplaceCart(const CartOwner& o, const std::vector<CartItem>& items) override {
    return target_->ReplaceCart(o, items);
  }
  absl::Status DeleteCart(const CartOwner& o) override { return target_->DeleteCart(o); }
  absl::StatusOr<int64_t> DeleteExpiredGuestCarts(absl::Time added_before) override {
    return target_->DeleteExpiredGuestCarts(added_before);
  }
  absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& o) override {
    return target_->PlaceOrder(o);
  }
  absl::StatusOr<Order> GetOrder(OrderId id) override { return target_->GetOrder(id); }
  absl::StatusOr<OrderPage> ListOrders(const OrderQuery& q) override {
    return target_->ListOrders(q);
  }
  using Storage::TransitionOrder;
  absl::StatusOr<TransitionResult> TransitionOrder(
      OrderId id, OrderStatus from, OrderStatus to, absl::Time now,
      const std::vector<OutboxDraft>& outbox) override {
    return target_->TransitionOrder(id, from, to, now, outbox);
  }
  absl::StatusOr<Order> GetOrderByAccessToken(absl::string_view h) override {
    return target_->GetOrderByAccessToken(h);
  }
  absl::StatusOr<Order> GetOrderByPaymentReference(absl::string_view p,
                                                   absl::string_view r) override {
    return target_->GetOrderByPaymentReference(p, r);
  }
  absl::StatusOr<int64_t> ClaimGuestOrders(absl::string_view e, UserId id) override {
    return target_->ClaimGuestOrders(e, id);
  }
  absl::StatusOr<Order> AttachPayment(OrderId id, const ProviderPayment& p) override {
    return target_->AttachPayment(id, p);
  }
  absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdate(const PaymentUpdate& u) override {
    return target_->ApplyPaymentUpdate(u);
  }
  absl::StatusOr<std::vector<TransitionResult>> ExpireReservations(absl::Time now,
                                                                   int limit) override {
    return target_->ExpireReservations(now, limit);
  }
  absl::StatusOr<TransitionResult> RefundOrder(const RefundRequest& r) override {
    return target_->RefundOrder(r);
  }
  absl::StatusOr<Order> SettleRefund(OrderId id, const Money& m, absl::Time now) override {
    return target_->SettleRefund(id, m, now);
  }
  absl::Status Ping() override { return target_->Ping(); }
  absl::string_view Kind() const override { return target_->Kind(); }

 private:
  Storage* const target_;
};

}  // namespace watchstore

#endif  // WATCHSTORE_STORAGE_H_
