// Orders: checkout, history, cancellation, admin status transitions.
#ifndef WATCHSTORE_ORDERS_H_
#define WATCHSTORE_ORDERS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "watchstore/order.h"
#include "watchstore/storage.h"
#include "watchstore/user.h"

namespace watchstore {

struct CheckoutRequest {
  // Unique per user, 1..255 printable ASCII. The same key returns the order
  // it first created.
  std::string idempotency_key;
  // Identifies the request's content. A replay with another fingerprint is
  // FailedPrecondition (reason idempotency_key_reused). Empty (the usual
  // case): CheckoutFingerprint(shipping) (order_rules.h).
  std::string fingerprint;
  ShippingAddress shipping;
};

struct CheckoutResult {
  Order order;
  bool replayed = false;
};

// Thread-safe. Checkout reads the cart, prices and stock from Storage only,
// never from a cache, and is all-or-nothing.
class Orders {
 public:
  virtual ~Orders() = default;

  // Places an order from the user's cart and empties it, and writes the
  // confirmation e-mail in the same transaction. FailedPrecondition:
  // cart_empty, out_of_stock (naming the SKU), not_purchasable,
  // email_unverified (only with MailOptions::require_verified_email_for_checkout).
  // Moves to paid, shipped and cancelled write a notice to the buyer. Aborted
  // (idempotency_in_flight) while a checkout with the same user and key is
  // still running in this process, so a client retrying too early waits
  // instead of racing itself (across processes the storage's unique key
  // makes the later request replay the first order).
  virtual absl::StatusOr<CheckoutResult> Checkout(const Principal& buyer,
                                                  const CheckoutRequest& request) = 0;
  // Checkouts running now in this process (a gauge for monitoring).
  virtual int64_t CheckoutsInFlight() const = 0;
  // The buyer's own order, or any order for an admin; NotFound otherwise.
  virtual absl::StatusOr<Order> GetOrder(const Principal& viewer, OrderId id) = 0;
  // The viewer's orders, newest first; limit 1..100.
  virtual absl::StatusOr<OrderPage> ListMyOrders(const Principal& viewer, int limit,
                                                 std::optional<OrderId> before_id) = 0;
  // Every order (admin only), optionally by status.
  virtual absl::StatusOr<OrderPage> ListAllOrders(const Principal& admin,
                                                  const OrderQuery& query) = 0;
  // The buyer cancels a pending order, an admin a pending or paid one (a
  // paid order's total becomes its refund_due); stock returns. A buyer's
  // paid order: FailedPrecondition (reason order_paid).
  virtual absl::StatusOr<Order> CancelOrder(const Principal& actor, OrderId id) = 0;
  // Admin only: moves an order along the status machine. FailedPrecondition
  // (reason illegal_transition) for a move the machine does not have.
  virtual absl::StatusOr<Order> TransitionOrder(const Principal& admin, OrderId id,
                                                OrderStatus to) = 0;
  // Admin only: paid -> shipped, with an optional carrier and tracking
  // number (each <= 100 printable characters) for the buyer's notice.
  virtual absl::StatusOr<Order> ShipOrder(const Principal& admin, OrderId id,
                                          absl::string_view carrier,
                                          absl::string_view tracking_number) = 0;
};

}  // namespace watchstore

#endif  // WATCHSTORE_ORDERS_H_
