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
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore {

using OrderId = int64_t;

// pending -> paid -> shipped -> delivered; pending|paid -> cancelled.
enum class OrderStatus : uint8_t {
  kPending = 0,
  kPaid = 1,
  kShipped = 2,
  kDelivered = 3,
  kCancelled = 4,
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
  UserId user_id = 0;
  OrderStatus status = OrderStatus::kPending;
  std::vector<OrderLine> lines;
  Money total;
  // What the store owes the buyer back: the total once staff cancel a paid
  // order; zero otherwise.
  Money refund_due;
  ShippingAddress shipping;
  std::string idempotency_key;
  std::string request_fingerprint;  // hash of the request that created it
  absl::Time created_at;
  absl::Time updated_at;
};

// What Storage::PlaceOrder needs. Prices and stock are read by the storage
// inside the transaction, never taken from the caller or a cache.
struct NewOrder {
  UserId user_id = 0;
  std::string idempotency_key;      // unique per user; non-empty
  std::string request_fingerprint;  // compared on replay
  struct Line {
    VariantId variant_id = 0;
    int64_t quantity = 0;  // > 0; lines are unique per variant
  };
  std::vector<Line> lines;  // sorted by variant_id, non-empty
  Currency currency;        // every price must be in it
  ShippingAddress shipping;
  bool clear_user_cart = true;  // empty the user's cart in the same transaction
  absl::Time now;
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
  int limit = 20;                    // 1..100
  std::optional<OrderId> before_id;  // keyset: orders with id < before_id
};

struct TransitionResult {
  Order order;
  std::vector<StockChange> stock_changes;  // set when a cancel restocked
};

// "WS-000042" from an id.
std::string OrderNumberFor(OrderId id);

}  // namespace watchstore

#endif  // WATCHSTORE_ORDER_H_
