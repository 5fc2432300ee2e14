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

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_ORDERS_H_
