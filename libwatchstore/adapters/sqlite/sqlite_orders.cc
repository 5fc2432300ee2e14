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
  "created_at, updated_at, refund_due_minor"

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
constexpr char kSelectOrderByKey[] =
    "SELECT id, request_fingerprint FROM orders WHERE user_id = ?1 AND idempotency_key = ?2";
constexpr char kSelectOrder[] = "SELECT " WS_ORDER_COLUMNS " FROM orders WHERE id = ?1";
constexpr char kSelectOrderLines[] =
    "SELECT variant_id, product_id, sku, title, quantity, unit_price_minor, currency, "
    "line_total_minor FROM order_lines WHERE order_id = ?1 ORDER BY line_no";
constexpr char kInsertOrder[] =
    "INSERT INTO orders (user_id, status, total_minor, currency, ship_name, ship_line1, "
    "ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key, "
    "request_fingerprint, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)";
constexpr char kInsertOrderLine[] =
    "INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, title, quantity, "
    "unit_price_minor, currency, line_total_minor) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr char kSelectOrderStatus[] = "SELECT status FROM orders WHERE id = ?1";
constexpr char kUpdateOrderStatus[] =
    "UPDATE orders SET status = ?2, updated_at = ?3, refund_due_minor = CASE "
    "WHEN status = 1 AND ?2 = 4 THEN total_minor ELSE refund_due_minor END WHERE id = ?1";
constexpr char kSelectOrderLineQuantities[] =
    "SELECT variant_id, quantity FROM order_lines WHERE order_id = ?1 ORDER BY line_no";

constexpr char kSelectVariantForOrder[] =
    "SELECT v.product_id, v.id, v.sku, v.dial_color, v.strap, v.size, v.price_minor, "
    "v.currency, v.stock, p.brand, p.model, p.active FROM variants v "
    "JOIN products p ON p.id = v.product_id WHERE v.id = ?1";
constexpr char kSelectVariantStock[] = "SELECT product_id, sku, stock FROM variants WHERE id = ?1";
constexpr char kSetStock[] = "UPDATE variants SET stock = ?2 WHERE id = ?1";
constexpr char kTakeStock[] =
    "UPDATE variants SET stock = stock - ?2 WHERE id = ?1 AND stock >= ?2";

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

// Columns WS_ORDER_COLUMNS, from 0. Lines are loaded separately.
absl::StatusOr<Order> ReadOrderRow(const Statement& s) {
  Order o;
  o.id = s.Int(0);
  o.number = OrderNumberFor(o.id);
  o.user_id = s.Int(1);
  o.status = static_cast<OrderStatus>(s.Int(2));
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
    o->lines.push_back(std::move(l));
  }
  return absl::OkStatus();
}

// Returns every line's quantity of order `id` to stock (a cancel).
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
  // A fixed text per combination of filters (orders_user / orders_status
  // serve them in id order); every value bound.
  std::string sql = "SELECT " WS_ORDER_COLUMNS " FROM orders";
  std::vector<int64_t> params;
  auto where = [&](absl::string_view fragment, int64_t value) {
    absl::StrAppend(&sql, params.empty() ? " WHERE " : " AND ", fragment);
    params.push_back(value);
  };
  if (q.user_id) where("user_id = ?", *q.user_id);
  if (q.status) where("status = ?", static_cast<int64_t>(*q.status));
  if (q.before_id) where("id < ?", *q.before_id);
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

absl::StatusOr<PlaceOrderResult> PlaceOrderIn(Connection& c, const NewOrder& o) {
  // 1. Idempotency first: the same key replays the first order, whatever
  // the lines.
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderByKey));
    s.Bind(1, o.user_id).Bind(2, o.idempotency_key);
    WS_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      WS_ASSIGN_OR_RETURN(Order first, LoadOrder(c, s.Int(0)));
      return ReplayOrder(first, o);
    }
  }
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kUserExists));
    s.Bind(1, o.user_id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "user"));
  }
  // 2. The rules, over the variants as the write lock holds them.
  auto read = [&c](absl::Span<const VariantId> ids,
                   std::vector<LockedVariant>* out) -> absl::Status {
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
  WS_ASSIGN_OR_RETURN(OrderPlan plan, PlanOrder(o, read));
  // 3. Take the stock. The guarded UPDATE and CHECK (stock >= 0) back the
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
  // 4. The order with its captured prices; the cart emptied.
  Order& order = plan.order;
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kInsertOrder));
    s.Bind(1, order.user_id)
        .Bind(2, static_cast<int64_t>(order.status))
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
        .Bind(13, Nanos(order.created_at));
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
    WS_RETURN_IF_ERROR(DeleteCartByKey(c, CartOwnerKey(CartOwner::ForUser(o.user_id))));
  }
  for (OutboxDraft d : o.outbox) {
    d.order_id = order.id;
    WS_RETURN_IF_ERROR(InsertOutboxIn(c, d));
  }
  order.number = OrderNumberFor(order.id);
  order.created_at = order.updated_at = Stored(o.now);
  return PlaceOrderResult{std::move(order), false, std::move(plan.stock_changes)};
}

absl::StatusOr<TransitionResult> TransitionOrderIn(Connection& c, OrderId id, OrderStatus from,
                                                   OrderStatus to, absl::Time now) {
  {
    WS_ASSIGN_OR_RETURN(Statement s, c.Prepare(kSelectOrderStatus));
    s.Bind(1, id);
    WS_RETURN_IF_ERROR(ExpectRow(s, "order", "id"));
    WS_RETURN_IF_ERROR(CheckTransition(static_cast<OrderStatus>(s.Int(0)), from, to));
  }
  TransitionResult result;
  if (to == OrderStatus::kCancelled) {
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

}  // namespace watchstore::sqlite
