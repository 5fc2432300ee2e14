// The service implementations and what they share. Internal.
#ifndef WATCHSTORE_SRC_SERVICES_H_
#define WATCHSTORE_SRC_SERVICES_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_set.h"
#include "codec.h"
#include "mail_payload.h"
#include "password_hasher.h"
#include "single_flight.h"
#include "thread_front.h"
#include "typed_cache.h"
#include "watchstore/accounts.h"
#include "watchstore/cache.h"
#include "watchstore/carts.h"
#include "watchstore/catalog.h"
#include "watchstore/login_limiter.h"
#include "watchstore/orders.h"
#include "watchstore/rate_limiter.h"
#include "watchstore/storage.h"
#include "watchstore/store.h"

namespace watchstore::internal {

// What every service uses. Not owned by the services.
struct Context {
  Storage* storage;
  Cache* cache;
  const Clock* clock;
  const StoreOptions* options;
};

class CatalogImpl final : public Catalog {
 public:
  explicit CatalogImpl(const Context& ctx);

  absl::StatusOr<std::shared_ptr<const Product>> GetProduct(ProductId id,
                                                            const Principal* viewer) override;
  absl::StatusOr<std::shared_ptr<const Product>> GetProductBySku(absl::string_view sku,
                                                                 const Principal* viewer) override;
  absl::StatusOr<std::shared_ptr<const Product>> GetProductBySlug(absl::string_view slug,
                                                                  const Principal* viewer) override;
  absl::StatusOr<ProductListing> ListProducts(const ProductQuery& query, absl::string_view cursor,
                                              const Principal* viewer) override;
  absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& query,
                                          const Principal* viewer) override;
  absl::StatusOr<std::vector<Collection>> ListCollections() override;
  absl::StatusOr<Collection> GetCollection(absl::string_view slug) override;
  absl::StatusOr<Collection> PutCollection(const Principal& actor, absl::string_view slug,
                                           absl::string_view name,
                                           absl::string_view description) override;
  absl::StatusOr<std::shared_ptr<const Product>> CreateProduct(const Principal& actor,
                                                               const ProductDraft& draft) override;
  absl::StatusOr<std::shared_ptr<const Product>> UpdateProduct(const Principal& actor, ProductId id,
                                                               int64_t expected_version,
                                                               const ProductDraft& draft) override;
  absl::StatusOr<std::shared_ptr<const Product>> ArchiveProduct(const Principal& actor,
                                                                ProductId id,
                                                                int64_t expected_version) override;
  absl::StatusOr<std::shared_ptr<const Product>> AdjustStock(const Principal& actor,
                                                             VariantId variant_id,
                                                             int64_t delta) override;

  // A product for internal use (carts): archived ones included, cached.
  absl::StatusOr<std::shared_ptr<const Product>> Load(ProductId id);
  // The product that has `variant_id`; NotFound if none. Reads Storage.
  absl::StatusOr<std::shared_ptr<const Product>> LoadByVariant(VariantId variant_id);
  // After a write outside the catalog changed stock (checkout, cancel).
  void AfterStockChanges(const std::vector<StockChange>& changes);

 private:
  using ProductPtr = std::shared_ptr<const Product>;
  using ListingPtr = std::shared_ptr<const ProductListing>;

  // Load after a cache miss (out of line: the hit path stays small).
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<std::shared_ptr<const Product>> LoadMissed(
      ProductId id, absl::string_view key, const FillTicket& ticket);
  std::shared_ptr<const Product> Publish(Product p);
  // After a write of product `id`: drops its cached copy, and later reads
  // do not join a load that may have read before the write.
  void ForgetProduct(ProductId id);
  void InvalidateListings();
  std::string ListingKey(const ProductQuery& q);
  // `query` checked (InvalidArgument naming the field, PermissionDenied for
  // archived without staff), with its search words normalized.
  absl::StatusOr<ProductQuery> CheckedQuery(const ProductQuery& query, const Principal* viewer);

  Context ctx_;
  TypedCache<Product, ProductCodec> products_;
  TypedCache<std::string, TextCodec> generations_;
  // "s:<slug>" -> the product id it leads to (immutable once written).
  TypedCache<std::string, TextCodec> slug_owners_;
  // This thread's recent product reads, served without the cache's lock
  // while the cache's lease on them holds.
  ThreadFront<Product> front_;
  SingleFlight<ProductPtr> product_flights_;
  SingleFlight<ListingPtr> listing_flights_;
  SingleFlight<std::shared_ptr<const FacetCounts>> facet_flights_;
};

class AccountsImpl final : public Accounts {
 public:
  explicit AccountsImpl(const Context& ctx);

  absl::StatusOr<RegistrationResult> Register(absl::string_view email,
                                              absl::string_view password) override;
  absl::StatusOr<User> CreateUser(absl::string_view email, absl::string_view password,
                                  Role role) override;
  absl::Status SetRole(absl::string_view email, Role role) override;
  absl::StatusOr<LoginResult> Login(absl::string_view email, absl::string_view password,
                                    absl::string_view client_address,
                                    absl::string_view previous_token) override;
  absl::Status Logout(absl::string_view token) override;
  absl::StatusOr<Principal> Authenticate(absl::string_view token) override;
  absl::StatusOr<int64_t> PurgeExpiredSessions() override;
  absl::Status RequestPasswordReset(absl::string_view email,
                                    absl::string_view client_address) override;
  absl::Status ResetPassword(absl::string_view token, absl::string_view new_password) override;
  absl::StatusOr<LoginResult> ChangePassword(absl::string_view session_token,
                                             absl::string_view current_password,
                                             absl::string_view new_password) override;
  absl::Status RequestEmailChange(const Principal& user, absl::string_view current_password,
                                  absl::string_view new_email) override;
  absl::StatusOr<User> ConfirmEmail(absl::string_view token) override;
  absl::Status ResendVerification(const Principal& user) override;
  absl::StatusOr<User> GetAccount(const Principal& user) override;

 private:
  absl::StatusOr<User> CreateValidated(absl::string_view email, absl::string_view password,
                                       Role role, bool welcome);
  // A new token for `purpose`; *token gets the value for the link.
  AccountToken NewToken(TokenPurpose purpose, UserId user_id, absl::string_view email,
                        std::string* token);
  // The stored token a link carries; token_invalid if it is malformed or unknown.
  absl::StatusOr<AccountToken> FindAccountToken(absl::string_view token);
  // Starts a session for `user` (Login's second half).
  absl::StatusOr<LoginResult> StartSession(const User& user);
  // Drops the cached copies of revoked sessions.
  void ForgetSessions(const std::vector<std::string>& token_hashes);
  // Drops the user's cached entry everywhere: their sessions re-read storage.
  void ForgetUser(UserId id);
  // Reserves a login attempt with the shared limiter, or the local one while
  // the shared one is unavailable; *used is the one that answered.
  std::optional<absl::Duration> ReserveAttempt(const LoginAttemptKeys& keys, absl::Time now,
                                               LoginLimiter** used);

  Context ctx_;
  PasswordHasher hasher_;
  const LoginThrottlePolicy throttle_policy_;
  std::unique_ptr<LoginLimiter> local_limiter_;
  // Password-reset requests, per account and per client address.
  RateLimiter reset_by_account_;
  RateLimiter reset_by_address_;
  // "s:<token hash>": the session; "u:<user id>": who the user is now. A
  // session is only served from the cache while its user's entry is too, so
  // erasing the user's entry (a role change, a revocation) makes every one
  // of their sessions read storage again, on every instance.
  TypedCache<SessionRecord, SealedCodec<SessionRecordCodec>> sessions_;
  TypedCache<Principal, SealedCodec<PrincipalCodec>> principals_;
};

class CartsImpl final : public Carts {
 public:
  CartsImpl(const Context& ctx, CatalogImpl* catalog);

  std::string NewGuestToken() override;
  absl::StatusOr<CartOwner> GuestOwner(absl::string_view token) override;
  CartOwner UserOwner(const Principal& user) override;
  absl::StatusOr<CartView> GetCart(const CartOwner& owner) override;
  absl::StatusOr<CartView> AddItem(const CartOwner& owner, VariantId variant_id,
                                   int64_t quantity) override;
  absl::StatusOr<CartView> SetQuantity(const CartOwner& owner, VariantId variant_id,
                                       int64_t quantity) override;
  absl::StatusOr<CartView> RemoveItem(const CartOwner& owner, VariantId variant_id) override;
  absl::StatusOr<CartMergeReport> MergeGuestCart(absl::string_view guest_token,
                                                 const Principal& user) override;
  absl::StatusOr<int64_t> PurgeExpiredGuestCarts() override;

 private:
  absl::StatusOr<CartView> View(const std::vector<CartItem>& items);
  // Sets a line to `quantity` after checking bounds, stock and cart size.
  absl::StatusOr<CartView> SetLine(const CartOwner& owner, VariantId variant_id, int64_t quantity,
                                   bool add);
  Context ctx_;
  CatalogImpl* catalog_;
};

class OrdersImpl final : public Orders {
 public:
  OrdersImpl(const Context& ctx, CatalogImpl* catalog);

  absl::StatusOr<CheckoutResult> Checkout(const Principal& buyer,
                                          const CheckoutRequest& request) override;
  absl::StatusOr<Order> GetOrder(const Principal& viewer, OrderId id) override;
  absl::StatusOr<OrderPage> ListMyOrders(const Principal& viewer, int limit,
                                         std::optional<OrderId> before_id) override;
  absl::StatusOr<OrderPage> ListAllOrders(const Principal& admin, const OrderQuery& query) override;
  absl::StatusOr<Order> CancelOrder(const Principal& actor, OrderId id) override;
  absl::StatusOr<Order> TransitionOrder(const Principal& admin, OrderId id,
                                        OrderStatus to) override;
  absl::StatusOr<Order> ShipOrder(const Principal& admin, OrderId id, absl::string_view carrier,
                                  absl::string_view tracking_number) override;
  int64_t CheckoutsInFlight() const override;
  absl::StatusOr<Order> GetOrderByLink(absl::string_view access_token) override;
  absl::StatusOr<Order> CancelOrderByLink(absl::string_view access_token) override;
  absl::StatusOr<PaymentUpdateResult> HandlePaymentNotification(
      absl::string_view body, absl::string_view signature_header) override;
  absl::StatusOr<Order> RefreshPayment(const Principal& viewer, OrderId id,
                                       absl::string_view access_token) override;
  absl::StatusOr<Order> RecordPayment(const Principal& admin, OrderId id) override;
  absl::StatusOr<Order> RefundOrder(const Principal& admin, const RefundRequest& request) override;
  absl::StatusOr<PaymentMaintenanceReport> RunPaymentMaintenance() override;
  const PaymentProvider& payment_provider() const override { return *provider_; }

 private:
  // Places the order (or replays it) and makes its payment at the provider
  // if it has none yet.
  absl::StatusOr<CheckoutResult> PlaceAndCreatePayment(const NewOrder& order,
                                                       absl::string_view recipient);
  // The buyer's address: the account's, or the guest's.
  absl::StatusOr<std::string> RecipientOf(const Order& order);
  absl::StatusOr<OutboxDraft> PaidNotice(const Order& order);
  // `notice` holds extra template fields for the buyer's notice.
  absl::StatusOr<Order> Move(const Order& current, OrderStatus to, const PayloadFields& notice);
  // Applies what the provider (or staff, for manual) says about a payment;
  // `event_id` empty unless it is a provider event.
  absl::StatusOr<PaymentUpdateResult> ApplyPayment(const Order& order, std::string event_id,
                                                   const ProviderPayment& told);
  // Cancels an unpaid order's payment at the provider, best effort.
  void CancelAtProvider(const Order& order);
  // Gives the order's refund_due back through the provider and records it.
  absl::StatusOr<Order> SettleRefunds(const Order& order);

  Context ctx_;
  CatalogImpl* catalog_;
  const std::shared_ptr<PaymentProvider> provider_;
  mutable Mutex in_flight_mu_;
  absl::flat_hash_set<std::pair<UserId, std::string>> in_flight_ ABSL_GUARDED_BY(in_flight_mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_SERVICES_H_
