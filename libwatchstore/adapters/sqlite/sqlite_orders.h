// Carts and orders on SQLite: reads and the bodies of checkout, status
// transitions and cart writes. Each function runs on the connection it is
// given, inside a transaction the caller opened (sqlite_db.h). Internal.
#ifndef WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ORDERS_H_
#define WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ORDERS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sqlite/sqlite_db.h"
#include "watchstore/cart.h"
#include "watchstore/order.h"
#include "watchstore/storage.h"

namespace watchstore::sqlite {

// --- Carts (semantics of the Storage methods of the same names) ---
absl::StatusOr<std::vector<CartItem>> GetCartIn(Connection& c, const CartOwner& owner);
absl::Status SetCartItemIn(Connection& c, const CartOwner& owner, VariantId variant_id,
                           int64_t quantity, absl::Time now);
absl::Status ReplaceCartIn(Connection& c, const CartOwner& owner,
                           const std::vector<CartItem>& items);
absl::Status DeleteCartIn(Connection& c, const CartOwner& owner);

// --- Orders ---
absl::StatusOr<Order> LoadOrder(Connection& c, OrderId id);
absl::StatusOr<OrderPage> ListOrdersIn(Connection& c, const OrderQuery& q);
// REQUIRES: a write transaction that took the write lock first (BEGIN
// IMMEDIATE): the stock it checks cannot change before it takes it.
absl::StatusOr<PlaceOrderResult> PlaceOrderIn(Connection& c, const NewOrder& o);
absl::StatusOr<TransitionResult> TransitionOrderIn(Connection& c, OrderId id, OrderStatus from,
                                                   OrderStatus to, absl::Time now);
absl::StatusOr<Order> LoadOrderByAccessToken(Connection& c, absl::string_view token_hash);
absl::StatusOr<Order> LoadOrderByPaymentReference(Connection& c, absl::string_view provider,
                                                  absl::string_view reference);
// Write bodies, as the Storage methods of the same names (REQUIRES: a write
// transaction, like PlaceOrderIn: what they read stays as read).
absl::StatusOr<int64_t> ClaimGuestOrdersIn(Connection& c, absl::string_view email, UserId user_id);
absl::StatusOr<Order> AttachPaymentIn(Connection& c, OrderId id, const ProviderPayment& payment);
absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdateIn(Connection& c, const PaymentUpdate& u);
absl::StatusOr<std::vector<TransitionResult>> ExpireReservationsIn(Connection& c, absl::Time now,
                                                                   int limit);
absl::StatusOr<TransitionResult> RefundOrderIn(Connection& c, const RefundRequest& request);
absl::StatusOr<Order> SettleRefundIn(Connection& c, OrderId id, const Money& amount,
                                     absl::Time now);

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ORDERS_H_
