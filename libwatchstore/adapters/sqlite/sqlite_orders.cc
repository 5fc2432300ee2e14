#include "sqlite/sqlite_orders.h"
#include "sqlite/sqlite_outbox.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sqlite/sqlite_products.h"
#include "sqlite/sqlite_rows.h"
#include "watchstore/errors.h"
#include "watchstore/order_rules.h"
#include "watchstore/status_macros.h"

namespace watchstore::sqlite {
namespace {

#define WS_ORDER_COLUMNS                                                              \
  "id, user_id, status, total_minor, currency, ship_name, ship_line1, ship_line2, "   \
  "ship_city, ship_postal_code, ship_country, idempotency_key, request_fingerprint, " \
  "created_at, updated_at, refund_due_minor, guest_email, access_token_hash, "        \
  "reserved_until, payment_provider, payment_reference, payment_state, "              \
  "payment_amount_minor, payment_refunded_minor, payment_client_secret"

constexpr char kSelectCart[] =
    "SELECT c.variant_id, v.product_id, c.quantity, c.added_at FROM cart_items c "
    "JOIN variants v ON v.id = c.variant_id WHERE c.owner = ?1 "
    "ORDER BY c.added_at, c.variant_id";
constexpr char kVariantExists[] = "SELECT 1 FROM variants WHERE id = ?1";
constexpr char kUpsertCartItem[] =
    "INSERT INTO cart_items (owner, variant_id, quantity, added_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (owner, variant_id) DO UPDATE SET quantity = excluded.quantity";
constexpr char kDeleteCartItem[] = "DELETE FROM cart_items WHERE owner = ?1 AND variant_id = ?2";
constexpr char kDeleteCart[] = "DELETE FROM cart_items WHERE owner = ?1";

constexpr char kUserExists[] = "SELECT 1 FROM users WHERE id = ?1";
// The scopes of an idempotency key (orders_user_key, orders_guest_key).
constexpr char kSelectOrderByUserKey[] =
    "SELECT id FROM orders WHERE user_id = ?1 AND guest_cart_hash = '' AND idempotency_key = ?2";
constexpr char kSelectOrderByGuestKey[] =
    "SELECT id FROM orders WHERE guest_cart_hash = ?1 AND guest_cart_hash <> '' "
    "AND idempotency_key = ?2";
constexpr char kCountPendingOfUser[] =
    "SELECT count(*) FROM orders WHERE user_id = ?1 AND status = 0";
constexpr char kCountPendingOfGuest[] =
    "SELECT count(*) FROM orders WHERE user_id IS NULL AND guest_email = ?1 AND status = 0";
constexpr char kCountPendingFrom[] =
    "SELECT count(*) FROM orders WHERE placed_from = ?1 AND placed_from <> '' AND status = 0";
constexpr char kSelectOrder[] = "SELECT " WS_ORDER_COLUMNS " FROM orders WHERE id = ?1";
constexpr char kSelectOrderLines[] =
    "SELECT variant_id, product_id, sku, title, quantity, unit_price_minor, currency, "
    "line_total_minor, refunded_quantity FROM order_lines WHERE order_id = ?1 ORDER BY line_no";
constexpr char kInsertOrder[] =
    "INSERT INTO orders (user_id, status, total_minor, currency, ship_name, ship_line1, "
    "ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key, "
    "request_fingerprint, created_at, updated_at, guest_email, access_token_hash, "
    "guest_cart_hash, placed_from, reserved_until, payment_provider, payment_state, "
    "payment_amount_minor, payment_refunded_minor) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, "
    "?18, ?19, ?20, ?21, ?22)";
constexpr char kInsertOrderLine[] =
    "INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, title, quantity, "
    "unit_price_minor, currency, line_total_minor) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr char kUpdateOrderStatus[] =
    "UPDATE orders SET status = ?2, updated_at = ?3, refund_due_minor = CASE "
    "WHEN status = 1 AND ?2 = 4 THEN total_minor ELSE refund_due_minor END WHERE id = ?1";
// What the payment and refund plans change (StoreOrder).
constexpr char kStoreOrder[] =
    "UPDATE orders SET status = ?2, updated_at = ?3, refund_due_minor = ?4, "
    "payment_reference = ?5, payment_state = ?6, payment_refunded_minor = ?7, "
    "payment_client_secret = ?8 WHERE id = ?1";
constexpr char kStoreLineRefunded[] =
    "UPDATE order_lines SET refunded_quantity = ?3 WHERE order_id = ?1 AND line_no = ?2";
constexpr char kSelectOrderLineQuantities[] =
    "SELECT variant_id, quantity FROM order_lines WHERE order_id = ?1 ORDER BY line_no";
constexpr char kSelectOrderByAccessToken[] =
    "SELECT id FROM orders WHERE access_token_hash = ?1 AND access_token_hash <> ''";
constexpr char kSelectOrderByPayment[] =
    "SELECT id FROM orders WHERE payment_provider = ?1 AND payment_reference = ?2 "
    "AND payment_reference <> ''";
constexpr char kClaimGuestOrders[] =
    "UPDATE orders SET user_id = ?1 WHERE user_id IS NULL AND guest_email = ?2 "
    "AND guest_email <> ''";
constexpr char kSelectDueReservations[] =
    "SELECT id FROM orders WHERE status = 0 AND reserved_until IS NOT NULL "
    "AND reserved_until <= ?1 ORDER BY reserved_until, id LIMIT ?2";
constexpr char kEventSeen[] = "SELECT 1 FROM payment_events WHERE provider = ?1 AND event_id = ?2";
constexpr char kInsertEvent[] =
    "INSERT INTO payment_events (provider, event_id, order_id, received_at) "
    "VALUES (?1, ?2, ?3, ?4)";

constexpr char kSelectVariantForOrder[] =
    "SELECT v.product_id, v.id, v.sku, v.dial_color, v.strap, v.size, v.price_minor, "
    "v.currency, v.stock, p.brand, p.model, p.active FROM variants v "
    "JOIN products p ON p.id = v.product_id WHERE v.id = ?1";
constexpr char kSelectVariantStock[] = "SELECT product_id, sku, stock FROM variants WHERE id = ?1";
constexpr char kSetStock[] = "UPDATE variants SET stock = ?2 WHERE id = ?1";
constexpr char kTakeStock[] =
    "UPDATE variants SET stock = stock - ?2 WHERE id = ?1 AND stock >= ?2";
constexpr char kChangeStock[] = "UPDATE variants SET stock = ?3 WHERE id = ?1 AND stock = ?2";

absl::Status CheckVariantExists(Connection& c, VariantId variant_id) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kVariantExists));
  s.Bind(1, variant_id);
  return ExpectRow(s, "variant", "variant_id");
}

absl::Status DeleteCartByKey(Connection& c, const std::string& key) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteCart));
  s.Bind(1, key);
  return s.Run();
}

// The value of a one-column, one-row query with text/integer parameters.
absl::StatusOr<int64_t> Count(Connection& c, const char* sql, absl::string_view text) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, text);
  WS_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}
absl::StatusOr<int64_t> Count(Connection& c, const char* sql, int64_t value) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(1, value);
  WS_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

// reserved_until: NULL for never.
void BindReservedUntil(Statement& s, int index, absl::Time t) {
  if (t == absl::InfiniteFuture()) {
    s.BindNull(index);
  } else {
    s.Bind(index, Nanos(t));
  }
}

// Columns WS_ORDER_COLUMNS, from 0. Lines are loaded separately.
absl::StatusOr<Order> ReadOrderRow(const Statement& s) {
  Order o;
  o.id = s.Int(0);
  o.number = OrderNumberFor(o.id);
  o.user_id = s.Int(1);  // NULL (a guest order) reads as 0
  const int64_t status = s.Int(2);
  if (status < 0 || status > static_cast<int64_t>(OrderStatus::kRefunded)) {
    return Corrupt("order status");
  }
  o.status = static_cast<OrderStatus>(status);
  o.total.minor_units = s.Int(3);
  WS_ASSIGN_OR_RETURN(o.total.currency, CurrencyOf(s.Text(4)));
  o.shipping.name = std::string(s.Text(5));
  o.shipping.line1 = std::string(s.Text(6));
  o.shipping.line2 = std::string(s.Text(7));
  o.shipping.city = std::string(s.Text(8));
  o.shipping.postal_code = std::string(s.Text(9));
  o.shipping.country = std::string(s.Text(10));
  o.idempotency_key = std::string(s.Text(11));
  o.request_fingerprint = std::string(s.Text(12));
  o.created_at = At(s.Int(13));
  o.updated_at = At(s.Int(14));
  o.refund_due = Money{s.Int(15), o.total.currency};
  o.guest_email = std::string(s.Text(16));
  o.access_token_hash = std::string(s.Text(17));
  o.reserved_until = s.IsNull(18) ? absl::InfiniteFuture() : At(s.Int(18));
  o.payment.provider = std::string(s.Text(19));
  o.payment.reference = std::string(s.Text(20));
  const int64_t state = s.Int(21);
  if (state < 0 || state > static_cast<int64_t>(PaymentState::kCancelled)) {
    return Corrupt("payment state");
  }
  o.payment.state = static_cast<PaymentState>(state);
  o.payment.amount = Money{s.Int(22), o.total.currency};
  o.payment.refunded = Money{s.Int(23), o.total.currency};
  o.payment.client_secret = std::string(s.Text(24));
  return o;
}

absl::Status LoadOrderLines(Connection& c, Order* o) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderLines));
  s.Bind(1, o->id);
  for (;;) {
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    OrderLine l;
    l.variant_id = s.Int(0);
    l.product_id = s.Int(1);
    l.sku = std::string(s.Text(2));
    l.title = std::string(s.Text(3));
    l.quantity = s.Int(4);
    WS_ASSIGN_OR_RETURN(Currency currency, CurrencyOf(s.Text(6)));
    l.unit_price = Money{s.Int(5), currency};
    l.line_total = Money{s.Int(7), currency};
    l.refunded_quantity = s.Int(8);
    o->lines.push_back(std::move(l));
  }
  return absl::OkStatus();
}

// The order whose id the one-row query `s` (parameters bound) selects;
// NotFound if none.
absl::StatusOr<Order> LoadOrderFound(Connection& c, Statement s) {
  WS_RETURN_IF_ERROR(ExpectRow(s, "order"));
  const OrderId id = s.Int(0);
  { Statement done = std::move(s); }  // reset before the next statements
  return LoadOrder(c, id);
}

// The order rules' view of variants: under the write lock (BEGIN
// IMMEDIATE) a read is as good as a lock.
auto ReadVariants(Connection& c) {
  return [&c](absl::Span<const VariantId> ids, std::vector<LockedVariant>* out) -> absl::Status {
    for (VariantId id : ids) {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectVariantForOrder));
      s.Bind(1, id);
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) continue;
      LockedVariant v;
      WS_ASSIGN_OR_RETURN(v.variant, ReadVariant(s, 1, s.Int(0)));
      v.brand = std::string(s.Text(9));
      v.model = std::string(s.Text(10));
      v.product_active = s.Int(11) != 0;
      out->push_back(std::move(v));
    }
    return absl::OkStatus();
  };
}

// Writes the stock a plan computed from what ReadVariants read (the write
// lock held since, so each variant still has stock_before).
absl::Status WriteStock(Connection& c, const std::vector<StockChange>& changes, absl::Time now) {
  for (const StockChange& change : changes) {
    {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kChangeStock));
      s.Bind(1, change.variant_id).Bind(2, change.stock_before).Bind(3, change.stock_after);
      WS_RETURN_IF_ERROR(s.Run());
      if (c.changes() != 1) return absl::AbortedError("sqlite: stock changed under the write lock");
    }
    WS_RETURN_IF_ERROR(BumpProduct(c, change.product_id, now));
  }
  return absl::OkStatus();
}

// Writes what a payment or refund plan changes of an order: status,
// refund_due, the payment, the lines' refunded quantities, updated_at.
absl::Status StoreOrder(Connection& c, const Order& o) {
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kStoreOrder));
    s.Bind(1, o.id)
        .Bind(2, static_cast<int64_t>(o.status))
        .Bind(3, Nanos(o.updated_at))
        .Bind(4, o.refund_due.minor_units)
        .Bind(5, o.payment.reference)
        .Bind(6, static_cast<int64_t>(o.payment.state))
        .Bind(7, o.payment.refunded.minor_units)
        .Bind(8, o.payment.client_secret);
    WS_RETURN_IF_ERROR(s.Run());
  }
  for (size_t i = 0; i < o.lines.size(); ++i) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kStoreLineRefunded));
    s.Bind(1, o.id).Bind(2, static_cast<int64_t>(i)).Bind(3, o.lines[i].refunded_quantity);
    WS_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

// FailedPrecondition (payment_mismatch) if `after` records a payment
// reference that another order of its provider holds.
absl::Status CheckReferenceFree(Connection& c, const Order& before, const Order& after) {
  if (after.payment.reference == before.payment.reference) return absl::OkStatus();
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderByPayment));
  s.Bind(1, after.payment.provider).Bind(2, after.payment.reference);
  WS_ASSIGN_OR_RETURN(bool taken, s.Step());
  if (taken && s.Int(0) != after.id) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch,
                     "the payment reference belongs to another order");
  }
  return absl::OkStatus();
}

absl::Status InsertOrderOutbox(Connection& c, OrderId id, const std::vector<OutboxDraft>& drafts) {
  for (OutboxDraft d : drafts) {
    d.order_id = id;
    WS_RETURN_IF_ERROR(InsertOutboxIn(c, d));
  }
  return absl::OkStatus();
}

// Returns every line's quantity of order `id` to stock (a cancel or expiry).
absl::StatusOr<std::vector<StockChange>> Restock(Connection& c, OrderId id, absl::Time now) {
  std::vector<std::pair<VariantId, int64_t>> lines;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderLineQuantities));
    s.Bind(1, id);
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      lines.emplace_back(s.Int(0), s.Int(1));
    }
  }
  std::vector<StockChange> changes;
  for (const auto& [variant_id, qty] : lines) {
    StockChange change;
    {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectVariantStock));
      s.Bind(1, variant_id);
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) continue;  // cannot happen: the foreign key keeps ordered variants
      change = StockChange{s.Int(0), variant_id, 0, s.Int(2)};
    }
    if (__builtin_add_overflow(change.stock_before, qty, &change.stock_after)) {
      return absl::OutOfRangeError("stock would overflow");
    }
    {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSetStock));
      s.Bind(1, variant_id).Bind(2, change.stock_after);
      WS_RETURN_IF_ERROR(s.Run());
    }
    WS_RETURN_IF_ERROR(BumpProduct(c, change.product_id, now));
    changes.push_back(change);
  }
  return changes;
}

// Moves order `id` from `from` to `to` (CheckTransition), restocking a
// cancelled or expired order.
absl::StatusOr<TransitionResult> MoveOrder(Connection& c, OrderId id, OrderStatus from,
                                           OrderStatus to, absl::Time now) {
  {
    WS_ASSIGN_OR_RETURN(Order current, LoadOrder(c, id));
    WS_RETURN_IF_ERROR(CheckTransition(current, from, to));
  }
  TransitionResult result;
  if (to == OrderStatus::kCancelled || to == OrderStatus::kExpired) {
    WS_ASSIGN_OR_RETURN(result.stock_changes, Restock(c, id, now));
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpdateOrderStatus));
    s.Bind(1, id).Bind(2, static_cast<int64_t>(to)).Bind(3, Nanos(now));
    WS_RETURN_IF_ERROR(s.Run());
  }
  WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, id));
  return result;
}

}  // namespace

// --- Carts ------------------------------------------------------------------------

absl::StatusOr<std::vector<CartItem>> GetCartIn(Connection& c, const CartOwner& owner) {
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectCart));
  s.Bind(1, CartOwnerKey(owner));
  std::vector<CartItem> items;
  for (;;) {
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    items.push_back(CartItem{s.Int(0), s.Int(1), s.Int(2), At(s.Int(3))});
  }
  return items;
}

absl::Status SetCartItemIn(Connection& c, const CartOwner& owner, VariantId variant_id,
                           int64_t quantity, absl::Time now) {
  WS_RETURN_IF_ERROR(CheckVariantExists(c, variant_id));
  if (quantity <= 0) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kDeleteCartItem));
    s.Bind(1, CartOwnerKey(owner)).Bind(2, variant_id);
    return s.Run();
  }
  // A new line takes `now` as added_at; an existing one keeps its own.
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpsertCartItem));
  s.Bind(1, CartOwnerKey(owner)).Bind(2, variant_id).Bind(3, quantity).Bind(4, Nanos(now));
  return s.Run();
}

absl::Status ReplaceCartIn(Connection& c, const CartOwner& owner,
                           const std::vector<CartItem>& items) {
  const std::string key = CartOwnerKey(owner);
  for (const CartItem& item : items) WS_RETURN_IF_ERROR(CheckVariantExists(c, item.variant_id));
  WS_RETURN_IF_ERROR(DeleteCartByKey(c, key));
  for (const CartItem& item : items) {
    if (item.quantity <= 0) continue;  // a line of 0 is no line
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUpsertCartItem));
    s.Bind(1, key).Bind(2, item.variant_id).Bind(3, item.quantity).Bind(4, Nanos(item.added_at));
    WS_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::Status DeleteCartIn(Connection& c, const CartOwner& owner) {
  return DeleteCartByKey(c, CartOwnerKey(owner));
}

// --- Orders -----------------------------------------------------------------------

absl::StatusOr<Order> LoadOrder(Connection& c, OrderId id) {
  std::optional<Order> o;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrder));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "order", "id"));
    WS_ASSIGN_OR_RETURN(o, ReadOrderRow(s));
  }
  WS_RETURN_IF_ERROR(LoadOrderLines(c, &*o));
  return *std::move(o);
}

absl::StatusOr<OrderPage> ListOrdersIn(Connection& c, const OrderQuery& q) {
  // A fixed text per combination of filters (orders_user / orders_status /
  // orders_refund_due serve them in id order); every value bound.
  std::string sql = "SELECT " WS_ORDER_COLUMNS " FROM orders";
  std::vector<int64_t> params;
  bool first = true;
  auto where = [&](absl::string_view fragment) {
    absl::StrAppend(&sql, first ? " WHERE " : " AND ", fragment);
    first = false;
  };
  if (q.user_id) {
    where("user_id = ?");
    params.push_back(*q.user_id);
  }
  if (q.status) {
    where("status = ?");
    params.push_back(static_cast<int64_t>(*q.status));
  }
  if (q.refund_due_only) where("refund_due_minor > 0");
  if (q.before_id) {
    where("id < ?");
    params.push_back(*q.before_id);
  }
  const size_t limit = static_cast<size_t>(std::max(q.limit, 1));
  absl::StrAppend(&sql, " ORDER BY id DESC LIMIT ?");
  params.push_back(static_cast<int64_t>(limit) + 1);

  OrderPage page;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
    for (size_t i = 0; i < params.size(); ++i) s.Bind(static_cast<int>(i) + 1, params[i]);
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (page.items.size() == limit) {
        page.has_more = true;
        break;
      }
      WS_ASSIGN_OR_RETURN(Order order, ReadOrderRow(s));
      page.items.push_back(std::move(order));
    }
  }
  for (Order& order : page.items) WS_RETURN_IF_ERROR(LoadOrderLines(c, &order));
  return page;
}

absl::StatusOr<Order> LoadOrderByAccessToken(Connection& c, absl::string_view token_hash) {
  if (token_hash.empty()) return NoSuch("order");
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderByAccessToken));
  s.Bind(1, token_hash);
  return LoadOrderFound(c, std::move(s));
}

absl::StatusOr<Order> LoadOrderByPaymentReference(Connection& c, absl::string_view provider,
                                                  absl::string_view reference) {
  if (reference.empty()) return NoSuch("order");
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderByPayment));
  s.Bind(1, provider).Bind(2, reference);
  return LoadOrderFound(c, std::move(s));
}

absl::StatusOr<PlaceOrderResult> PlaceOrderIn(Connection& c, const NewOrder& o) {
  const bool guest = o.user_id == 0;
  // 1. Idempotency first: the same key (per user, or per guest cart)
  // replays the first order, whatever the lines.
  {
    WS_ASSIGN_OR_RETURN(Statement s,
                        c.Prepare(guest ? kSelectOrderByGuestKey : kSelectOrderByUserKey));
    if (guest) {
      s.Bind(1, o.guest_cart_hash);
    } else {
      s.Bind(1, o.user_id);
    }
    s.Bind(2, o.idempotency_key);
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      const OrderId id = s.Int(0);
      WS_ASSIGN_OR_RETURN(Order first, LoadOrder(c, id));
      return ReplayOrder(first, o);
    }
  }
  if (guest) {
    if (o.guest_cart_hash.empty() || o.guest_email.empty()) return NoSuch("user");
  } else {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUserExists));
    s.Bind(1, o.user_id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
  }
  // 2. The caps on unpaid orders, counted under the write lock.
  if (o.max_unpaid_per_buyer > 0 || o.max_unpaid_per_address > 0) {
    int64_t of_buyer = 0, from_address = 0;
    if (guest) {
      WS_ASSIGN_OR_RETURN(of_buyer, Count(c, kCountPendingOfGuest, o.guest_email));
    } else {
      WS_ASSIGN_OR_RETURN(of_buyer, Count(c, kCountPendingOfUser, o.user_id));
    }
    if (!o.placed_from.empty()) {
      WS_ASSIGN_OR_RETURN(from_address, Count(c, kCountPendingFrom, o.placed_from));
    }
    WS_RETURN_IF_ERROR(CheckUnpaidOrderCaps(o, of_buyer, from_address));
  }
  // 3. The rules, over the variants as the write lock holds them.
  WS_ASSIGN_OR_RETURN(OrderPlan plan, PlanOrder(o, ReadVariants(c)));
  // 4. Take the stock. The guarded UPDATE and CHECK (stock >= 0) back the
  // rules; under the write lock nothing can have changed since.
  for (const StockChange& change : plan.stock_changes) {
    {
      WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kTakeStock));
      s.Bind(1, change.variant_id).Bind(2, change.stock_before - change.stock_after);
      WS_RETURN_IF_ERROR(s.Run());
      if (c.changes() != 1) return absl::AbortedError("sqlite: stock changed under the write lock");
    }
    WS_RETURN_IF_ERROR(BumpProduct(c, change.product_id, o.now));
  }
  // 5. The order with its captured prices and its payment; the cart emptied.
  Order& order = plan.order;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertOrder));
    if (guest) {
      s.BindNull(1);
    } else {
      s.Bind(1, order.user_id);
    }
    s.Bind(2, static_cast<int64_t>(order.status))
        .Bind(3, order.total.minor_units)
        .Bind(4, order.total.currency.code())
        .Bind(5, order.shipping.name)
        .Bind(6, order.shipping.line1)
        .Bind(7, order.shipping.line2)
        .Bind(8, order.shipping.city)
        .Bind(9, order.shipping.postal_code)
        .Bind(10, order.shipping.country)
        .Bind(11, order.idempotency_key)
        .Bind(12, order.request_fingerprint)
        .Bind(13, Nanos(order.created_at))
        .Bind(14, order.guest_email)
        .Bind(15, order.access_token_hash)
        .Bind(16, guest ? absl::string_view(o.guest_cart_hash) : absl::string_view())
        .Bind(17, o.placed_from);
    BindReservedUntil(s, 18, order.reserved_until);
    s.Bind(19, order.payment.provider)
        .Bind(20, static_cast<int64_t>(order.payment.state))
        .Bind(21, order.payment.amount.minor_units)
        .Bind(22, order.payment.refunded.minor_units);
    WS_RETURN_IF_ERROR(s.Run());
  }
  order.id = c.last_insert_rowid();
  for (size_t i = 0; i < order.lines.size(); ++i) {
    const OrderLine& l = order.lines[i];
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertOrderLine));
    s.Bind(1, order.id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, l.variant_id)
        .Bind(4, l.product_id)
        .Bind(5, l.sku)
        .Bind(6, l.title)
        .Bind(7, l.quantity)
        .Bind(8, l.unit_price.minor_units)
        .Bind(9, l.unit_price.currency.code())
        .Bind(10, l.line_total.minor_units);
    WS_RETURN_IF_ERROR(s.Run());
  }
  if (o.clear_user_cart) {
    WS_RETURN_IF_ERROR(
        DeleteCartByKey(c, CartOwnerKey(guest ? CartOwner::ForGuest(o.guest_cart_hash)
                                              : CartOwner::ForUser(o.user_id))));
  }
  WS_RETURN_IF_ERROR(InsertOrderOutbox(c, order.id, o.outbox));
  order.number = OrderNumberFor(order.id);
  order.created_at = order.updated_at = Stored(o.now);
  if (order.reserved_until != absl::InfiniteFuture()) {
    order.reserved_until = Stored(order.reserved_until);
  }
  return PlaceOrderResult{std::move(order), false, std::move(plan.stock_changes)};
}

absl::StatusOr<TransitionResult> TransitionOrderIn(Connection& c, OrderId id, OrderStatus from,
                                                   OrderStatus to, absl::Time now) {
  return MoveOrder(c, id, from, to, now);
}

absl::StatusOr<int64_t> ClaimGuestOrdersIn(Connection& c, absl::string_view email, UserId user_id) {
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUserExists));
    s.Bind(1, user_id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
  }
  if (email.empty()) return 0;
  WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kClaimGuestOrders));
  s.Bind(1, user_id).Bind(2, email);
  WS_RETURN_IF_ERROR(s.Run());
  return c.changes();
}

absl::StatusOr<Order> AttachPaymentIn(Connection& c, OrderId id, const ProviderPayment& payment) {
  WS_ASSIGN_OR_RETURN(Order current, LoadOrder(c, id));
  WS_ASSIGN_OR_RETURN(Order attached, PlanAttachPayment(current, payment));
  if (attached.payment.reference == current.payment.reference) return attached;
  WS_RETURN_IF_ERROR(CheckReferenceFree(c, current, attached));
  WS_RETURN_IF_ERROR(StoreOrder(c, attached));
  return attached;
}

absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdateIn(Connection& c, const PaymentUpdate& u) {
  PaymentUpdateResult result;
  WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, u.order_id));
  const std::string& provider = result.order.payment.provider;
  if (!u.event_id.empty()) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kEventSeen));
    s.Bind(1, provider).Bind(2, u.event_id);
    WS_ASSIGN_OR_RETURN(bool seen, s.Step());
    if (seen) {
      result.duplicate = true;
      return result;
    }
  }
  WS_ASSIGN_OR_RETURN(PaymentPlan plan, PlanPaymentUpdate(result.order, u, ReadVariants(c)));
  WS_RETURN_IF_ERROR(CheckReferenceFree(c, result.order, plan.order));
  WS_RETURN_IF_ERROR(WriteStock(c, plan.stock_changes, u.now));
  if (!u.event_id.empty()) {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertEvent));
    s.Bind(1, provider).Bind(2, u.event_id).Bind(3, u.order_id).Bind(4, Nanos(u.now));
    WS_RETURN_IF_ERROR(s.Run());
  }
  if (plan.changed) WS_RETURN_IF_ERROR(StoreOrder(c, plan.order));
  if (plan.became_paid) WS_RETURN_IF_ERROR(InsertOrderOutbox(c, u.order_id, u.outbox_if_paid));
  WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, u.order_id));
  result.changed = plan.changed;
  result.stock_changes = std::move(plan.stock_changes);
  return result;
}

absl::StatusOr<std::vector<TransitionResult>> ExpireReservationsIn(Connection& c, absl::Time now,
                                                                   int limit) {
  std::vector<TransitionResult> expired;
  if (limit <= 0) return expired;
  std::vector<OrderId> due;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectDueReservations));
    s.Bind(1, Nanos(now)).Bind(2, int64_t{limit});
    for (;;) {
      WS_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      due.push_back(s.Int(0));
    }
  }
  for (OrderId id : due) {
    WS_ASSIGN_OR_RETURN(TransitionResult r,
                        MoveOrder(c, id, OrderStatus::kPending, OrderStatus::kExpired, now));
    expired.push_back(std::move(r));
  }
  return expired;
}

absl::StatusOr<TransitionResult> RefundOrderIn(Connection& c, const RefundRequest& request) {
  WS_ASSIGN_OR_RETURN(Order current, LoadOrder(c, request.order_id));
  WS_ASSIGN_OR_RETURN(RefundPlan plan, PlanRefund(current, request, ReadVariants(c)));
  WS_RETURN_IF_ERROR(WriteStock(c, plan.stock_changes, request.now));
  WS_RETURN_IF_ERROR(StoreOrder(c, plan.order));
  WS_RETURN_IF_ERROR(InsertOrderOutbox(c, request.order_id, request.outbox));
  TransitionResult result;
  WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, request.order_id));
  result.stock_changes = std::move(plan.stock_changes);
  return result;
}

absl::StatusOr<Order> SettleRefundIn(Connection& c, OrderId id, const Money& amount,
                                     absl::Time now) {
  WS_ASSIGN_OR_RETURN(Order current, LoadOrder(c, id));
  WS_ASSIGN_OR_RETURN(Order settled, PlanSettleRefund(current, amount, now));
  WS_RETURN_IF_ERROR(StoreOrder(c, settled));
  return LoadOrder(c, id);
}

}  // namespace watchstore::sqlite
