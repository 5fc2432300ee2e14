// Orders and their status machine.
#ifndef WATCHSTORE_ORDER_H_
#define WATCHSTORE_ORDER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/money.h"
#include "watchstore/outbox.h"
#include "watchstore/payments.h"
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore {

using OrderId = int64_t;

// pending -> paid -> shipped -> delivered; pending|paid -> cancelled;
// pending -> expired (its reservation ran out: stock returned); expired ->
// paid (a late payment revives it when the stock is still there);
// paid|shipped|delivered -> refunded (every line refunded).
// Moves to paid from pending or expired happen only through a payment
// (Storage::ApplyPaymentUpdate); expired is set only by the sweeper and
// refunded only by Storage::RefundOrder.
enum class OrderStatus : uint8_t {
  kPending = 0,
  kPaid = 1,
  kShipped = 2,
  kDelivered = 3,
  kCancelled = 4,
  kExpired = 5,
  kRefunded = 6,
};
absl::string_view OrderStatusName(OrderStatus s);  // "pending", ...
absl::StatusOr<OrderStatus> ParseOrderStatus(absl::string_view name);
// True for the transitions of the machine above.
bool IsLegalTransition(OrderStatus from, OrderStatus to);

// A line, with the price captured at checkout.
struct OrderLine {
  VariantId variant_id = 0;
  ProductId product_id = 0;
  std::string sku;
  std::string title;  // "Brand Model (dial, strap)" at checkout time
  int64_t quantity = 0;
  Money unit_price;
  Money line_total;
  int64_t refunded_quantity = 0;  // 0..quantity
};

struct ShippingAddress {
  std::string name;
  std::string line1;
  std::string line2;
  std::string city;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2
};

struct Order {
  OrderId id = 0;
  std::string number;  // human-readable, "WS-000042"
  UserId user_id = 0;  // 0: a guest order (until claimed by an account)
  // A guest order's buyer; empty for an order placed by a user.
  std::string guest_email;
  // Hex SHA-256 of the order link's token (guest orders; empty otherwise).
  std::string access_token_hash;
  OrderStatus status = OrderStatus::kPending;
  std::vector<OrderLine> lines;
  Money total;
  // Owed to the buyer and not yet given back through the payment provider:
  // grows when staff refund lines or cancel a paid order, or a payment
  // arrives for an order that can no longer be filled; shrinks as the
  // provider confirms refunds (Storage::SettleRefund).
  Money refund_due;
  // The payment; provider empty for orders placed before payments existed.
  Payment payment;
  // A pending order holds its stock until then; the sweeper expires it
  // after. absl::InfiniteFuture() when it never expires.
  absl::Time reserved_until = absl::InfiniteFuture();
  ShippingAddress shipping;
  std::string idempotency_key;
  std::string request_fingerprint;  // hash of the request that created it
  absl::Time created_at;
  absl::Time updated_at;
};

// What Storage::PlaceOrder needs. Prices and stock are read by the storage
// inside the transaction, never taken from the caller or a cache.
struct NewOrder {
  UserId user_id = 0;  // 0 for a guest order: then guest_cart and guest_email are set
  // A guest order's cart (its token hash): the scope of its idempotency key,
  // and the cart emptied with clear_user_cart.
  std::string guest_cart_hash;
  std::string guest_email;
  std::string access_token_hash;    // guest orders: the order link's token hash
  std::string idempotency_key;      // unique per user (or guest cart); non-empty
  std::string request_fingerprint;  // compared on replay
  struct Line {
    VariantId variant_id = 0;
    int64_t quantity = 0;  // > 0; lines are unique per variant
  };
  std::vector<Line> lines;  // sorted by variant_id, non-empty
  Currency currency;        // every price must be in it
  ShippingAddress shipping;
  bool clear_user_cart = true;  // empty the buyer's cart in the same transaction
  absl::Time now;
  std::string payment_provider;  // "manual", "stripe": the payment record starts requires_action
  absl::Time reserved_until = absl::InfiniteFuture();
  // The client address key the order came from (not shown to anyone); with
  // the caps below, counted over pending orders.
  std::string placed_from;
  // ResourceExhausted (reason too_many_unpaid_orders) when the buyer (the
  // user, or the guest e-mail) or the address already has this many pending
  // orders; 0: no cap.
  int max_unpaid_per_buyer = 0;
  int max_unpaid_per_address = 0;
  // Written with a new order (not on replay), with order_id set to its id.
  std::vector<OutboxDraft> outbox;
};

// A variant's stock after a write, so callers can invalidate what changed.
struct StockChange {
  ProductId product_id = 0;
  VariantId variant_id = 0;
  int64_t stock_after = 0;
  int64_t stock_before = 0;
};

struct PlaceOrderResult {
  Order order;
  bool replayed = false;                   // the idempotency key had been used: the first order
  std::vector<StockChange> stock_changes;  // empty when replayed
};

struct OrderQuery {
  std::optional<UserId> user_id;  // unset: all users (admin)
  std::optional<OrderStatus> status;
  bool refund_due_only = false;      // only orders with refund_due > 0
  int limit = 20;                    // 1..100
  std::optional<OrderId> before_id;  // keyset: orders with id < before_id
};

struct TransitionResult {
  Order order;
  std::vector<StockChange> stock_changes;  // set when a cancel restocked
};

// A change of an order's payment: from a verified provider event, a verified
// read of the payment at the provider, or staff recording a manual payment.
struct PaymentUpdate {
  OrderId order_id = 0;
  // Non-empty for a provider event: each (provider, event_id) is applied at
  // most once; a second delivery changes nothing and says `duplicate`.
  std::string event_id;
  ProviderPayment payment;  // reference, state, amount, refunded as the provider says
  absl::Time now;
  // Written in the same transaction if the order becomes paid.
  std::vector<OutboxDraft> outbox_if_paid;
};

struct PaymentUpdateResult {
  Order order;                             // after the update
  bool duplicate = false;                  // the event had been applied before
  bool changed = false;                    // anything was written
  std::vector<StockChange> stock_changes;  // a revived order took stock again
};

// Staff refund lines of a paid (shipped, delivered) order.
struct RefundRequest {
  OrderId order_id = 0;
  struct Line {
    VariantId variant_id = 0;
    int64_t quantity = 0;  // 1..what is left unrefunded on the line
  };
  std::vector<Line> lines;  // empty: everything not yet refunded
  bool restock = true;      // return the refunded units to stock
  absl::Time now;
  std::vector<OutboxDraft> outbox;
};

// "WS-000042" from an id.
std::string OrderNumberFor(OrderId id);

}  // namespace watchstore

#endif  // WATCHSTORE_ORDER_H_
