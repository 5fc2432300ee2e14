// The rules of an order, written once. A Storage adapter's PlaceOrder and
// TransitionOrder call these under their own lock or transaction: the
// adapter only locks, reads and writes; every check and computation (sold,
// currency, stock, line titles, totals, idempotent replay, legal
// transitions) is here. Pure functions: no I/O, no clock, thread-safe.
#ifndef WATCHSTORE_ORDER_RULES_H_
#define WATCHSTORE_ORDER_RULES_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "watchstore/order.h"
#include "watchstore/product.h"

namespace watchstore {

// A variant as the adapter read it under its lock, with what the rules need
// of its product.
struct LockedVariant {
  Variant variant;  // id, product_id, sku, options, price, stock
  bool product_active = false;
  std::string brand;
  std::string model;
};

// Reads, under the caller's lock, the variants with these ids (ascending,
// unique: lock them in this order) into *out; an id with no variant is
// simply absent. An error aborts the order.
using LockVariants = absl::FunctionRef<absl::Status(absl::Span<const VariantId> ids,
                                                    std::vector<LockedVariant>* out)>;

// What PlaceOrder writes once the rules pass.
struct OrderPlan {
  // Everything but `id` and `number`: status pending, lines (in variant id
  // order, prices captured), total, buyer, shipping, idempotency key,
  // fingerprint, timestamps (request.now).
  Order order;
  // One per line, same order: stock_before as read, stock_after what the
  // adapter must write (>= 0).
  std::vector<StockChange> stock_changes;
};

// The checks and computations of a new order, after the adapter has found
// no order under its idempotency key. Sums quantities per variant (two
// lines cannot oversell one), calls `lock` once, then checks each line.
// FailedPrecondition: cart_empty (no lines), not_purchasable (archived, or
// priced in another currency), out_of_stock (naming the SKU).
// InvalidArgument: a quantity that is not positive or overflows.
// NotFound: a variant that does not exist. Errors of `lock` pass through.
absl::StatusOr<OrderPlan> PlanOrder(const NewOrder& request, LockVariants lock);

// The idempotency decision when `first` already holds the request's key:
// the first order replayed if the fingerprints match, else
// FailedPrecondition (idempotency_key_reused).
absl::StatusOr<PlaceOrderResult> ReplayOrder(const Order& first, const NewOrder& request);

// OK if an order whose status is `current` may move from `from` to `to`
// (current == from, and the move is in the status machine), else
// FailedPrecondition (illegal_transition).
absl::Status CheckTransition(OrderStatus current, OrderStatus from, OrderStatus to);

// "Brand Model (dial, strap, size)": an order line's title.
std::string LineTitle(const LockedVariant& v);

// The fingerprint of a checkout request for idempotency: a checkout retried
// with the same key must carry the same fingerprint to be replayed.
std::string CheckoutFingerprint(const ShippingAddress& shipping);

}  // namespace watchstore

#endif  // WATCHSTORE_ORDER_RULES_H_
