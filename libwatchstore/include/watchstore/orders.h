// Orders: checkout, history, cancellation, admin status transitions.
#ifndef WATCHSTORE_ORDERS_H_
#define WATCHSTORE_ORDERS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "watchstore/order.h"
#include "watchstore/payments.h"
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
  // Guest checkout (a buyer with user_id 0): the guest cart's token and the
  // buyer's e-mail address. Ignored for a logged-in buyer.
  std::string guest_cart_token;
  std::string guest_email;
  // The client address key the request came from, for the cap on unpaid
  // orders per address. Empty: not counted.
  std::string client_address;
};

struct CheckoutResult {
  Order order;
  bool replayed = false;
  // A guest order's link token (the same again on a replay): the buyer's
  // only way back to the order until they claim it with an account. Only
  // its hash is stored. Empty for a user's order.
  std::string access_token;
};

// How orders are paid and how long they hold stock unpaid.
struct PaymentOptions {
  // null: NewManualPaymentProvider().
  std::shared_ptr<PaymentProvider> provider;
  // An unpaid order holds its stock this long, then the sweeper expires it:
  // card payments (a provider that NotifiesPayment) and manual ones.
  absl::Duration card_reservation = absl::Minutes(30);
  absl::Duration manual_reservation = absl::Hours(72);
  // Pending orders allowed per buyer (user, or guest e-mail) and per client
  // address; 0: no cap.
  int max_unpaid_per_buyer = 3;
  int max_unpaid_per_address = 10;
};

// What RunPaymentMaintenance did.
struct PaymentMaintenanceReport {
  int64_t expired = 0;          // orders whose reservation ran out
  int64_t refunds_settled = 0;  // refunds the provider confirmed
  int64_t errors = 0;           // provider calls that failed (retried next run)
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

  // --- Payments and guest orders -------------------------------------------
  // A guest order by its link token (it keeps working after the order is
  // claimed by an account). NotFound for an unknown or malformed token.
  virtual absl::StatusOr<Order> GetOrderByLink(absl::string_view access_token) = 0;
  // The buyer (through the order link for a guest) cancels a pending order.
  virtual absl::StatusOr<Order> CancelOrderByLink(absl::string_view access_token) = 0;
  // Verifies a notification from the payment provider (its raw body and
  // signature header) and applies it: each event once, in any order.
  // Unauthenticated if it does not verify; NotFound (ignored_event) for an
  // event we do not act on; NotFound for a payment of no order here;
  // FailedPrecondition (payment_mismatch) when it contradicts its order.
  virtual absl::StatusOr<PaymentUpdateResult> HandlePaymentNotification(
      absl::string_view body, absl::string_view signature_header) = 0;
  // Reads the order's payment at the provider and applies what it says, so a
  // buyer back from the payment page need not wait for the notification.
  // The viewer's own order (or any, for an admin), or a guest's by its link
  // token (then `viewer` is ignored).
  virtual absl::StatusOr<Order> RefreshPayment(const Principal& viewer, OrderId id,
                                               absl::string_view access_token) = 0;
  // Admin: the buyer paid by bank transfer or at collection (manual
  // provider): the order becomes paid. FailedPrecondition
  // (illegal_transition) for an order another provider pays.
  virtual absl::StatusOr<Order> RecordPayment(const Principal& admin, OrderId id) = 0;
  // Admin: refunds lines (all that is left when request.lines is empty),
  // optionally restocking them, and gives the money back through the
  // provider (or records it for a manual payment).
  virtual absl::StatusOr<Order> RefundOrder(const Principal& admin,
                                            const RefundRequest& request) = 0;
  // Expires unpaid orders past their reservation (stock returns; their
  // provider payment is cancelled) and pays back every refund_due through
  // the provider. Safe to run on every instance at once; the server runs it
  // every minute.
  virtual absl::StatusOr<PaymentMaintenanceReport> RunPaymentMaintenance() = 0;
  // The configured provider (its name, whether it notifies).
  virtual const PaymentProvider& payment_provider() const = 0;
};

}  // namespace watchstore

#endif  // WATCHSTORE_ORDERS_H_
