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

// The same, given the whole order as read under the lock: also refuses to
// cancel an order with refunded lines (refund the rest instead), so stock
// and money are never returned twice.
absl::Status CheckTransition(const Order& current, OrderStatus from, OrderStatus to);

// What ApplyPaymentUpdate writes.
struct PaymentPlan {
  bool changed = false;      // false: nothing to write (an older or repeated state)
  Order order;               // after: payment, status, refund_due, updated_at
  bool became_paid = false;  // write the update's outbox_if_paid
  // Set when an expired order was revived: the adapter writes stock_after.
  std::vector<StockChange> stock_changes;
};

// The rules of a payment change, for `order` as read under the adapter's
// lock. FailedPrecondition (payment_mismatch) if the update's reference, amount
// or currency contradict the order's payment. The payment state only moves
// forward (requires_action -> failed -> authorized -> captured -> refunded;
// cancelled is final): an older state arriving late changes nothing, so events
// may come in any order. A payment that is authorized or captured makes a
// pending order paid; an expired order is revived (calls `lock` for its
// variants and takes every line's stock again, all or nothing) or, if short of
// stock, stays expired with the amount added to refund_due; a cancelled
// order gets the amount added to refund_due.
absl::StatusOr<PaymentPlan> PlanPaymentUpdate(const Order& order, const PaymentUpdate& update,
                                              LockVariants lock);
// True if `told` could make `order` (as read, maybe before a concurrent
// change) paid under PlanPaymentUpdate: the money is taken now and was not,
// and the order is pending or expired. A caller builds the paid notice only
// then; PlanPaymentUpdate decides under the lock.
bool PaymentMayMakePaid(const Order& order, const ProviderPayment& told);

// What RefundOrder writes.
struct RefundPlan {
  Order order;   // after: lines' refunded_quantity, refund_due, status, updated_at
  Money amount;  // the value of the refunded units
  std::vector<StockChange> stock_changes;  // empty unless restock
};

// The rules of a refund, for `order` as read under the adapter's lock; `lock`
// reads the variants to restock. Errors as Storage::RefundOrder.
absl::StatusOr<RefundPlan> PlanRefund(const Order& order, const RefundRequest& request,
                                      LockVariants lock);

// The order after the provider gave `amount` of its refund_due back:
// refund_due -= amount, payment.refunded += amount (state kRefunded once
// all of it is). FailedPrecondition (payment_mismatch) unless 0 < amount <=
// refund_due in its currency.
absl::StatusOr<Order> PlanSettleRefund(const Order& order, const Money& amount, absl::Time now);

// NewOrder's caps on unpaid orders, given how many pending orders the buyer
// (the user, or the guest e-mail) and the client address already have:
// ResourceExhausted (too_many_unpaid_orders) past either cap.
absl::Status CheckUnpaidOrderCaps(const NewOrder& request, int64_t pending_of_buyer,
                                  int64_t pending_from_address);

// The order after Storage::AttachPayment records `payment` on it: the
// reference and client secret, once (unchanged if the same reference is
// already there). FailedPrecondition (payment_mismatch) if `payment` has no
// reference, another reference is there, or the amounts differ.
absl::StatusOr<Order> PlanAttachPayment(const Order& order, const ProviderPayment& payment);

// "Brand Model (dial, strap, size)": an order line's title.
std::string LineTitle(const LockedVariant& v);

// The fingerprint of a checkout request for idempotency: a checkout retried
// with the same key must carry the same fingerprint to be replayed.
std::string CheckoutFingerprint(const ShippingAddress& shipping);

}  // namespace watchstore

#endif  // WATCHSTORE_ORDER_RULES_H_
