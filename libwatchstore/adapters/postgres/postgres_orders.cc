// Checkout and orders of the PostgreSQL storage.
//
// PlaceOrder, in one READ COMMITTED transaction (run again on 40001/40P01)
// of 3 round trips (libpq pipelines):
//   1. BEGIN; when NewOrder has caps, a transaction-scoped advisory lock
//      per buyer and per client address (so concurrent checkouts of one
//      buyer count each other's orders); idempotency check (and that the
//      user exists) with the buyer's and the address's pending orders
//      counted; lock the products and variants of the lines, ordered by
//      (product id, variant id). The rules (order_rules.cc) then check the
//      caps and each line: exists, sold, currency, stock
//   2. one statement: take the stock with conditional updates
//      (stock >= quantity), bump the products, insert the order and its
//      lines (prices captured from step 1), clear the cart
//   3. the outbox rows (with the new order's id); COMMIT
// A replay is 3 too: step 1, load the first order, COMMIT.
// A concurrent request with the same idempotency key loses on the unique
// index (user_id, idempotency_key), or (guest_cart_hash, idempotency_key)
// for a guest order: it rolls back and replays the winner's order.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_errors.h"
#include "postgres/pg_listing.h"
#include "postgres/postgres_storage_impl.h"
#include "watchstore/errors.h"
#include "watchstore/order_rules.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal::pg {
namespace {

// --- Statements ---------------------------------------------------------------

constexpr Statement kGetOrder = {
    "ws_get_order", "SELECT " WS_PG_ORDER_COLUMNS
                    " FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id WHERE o.id = $1"
                    " ORDER BY l.line_no"};

// $1 user, $2 key, $3 guest order, $4 guest cart, $5 guest e-mail, $6 client
// address. Columns: the buyer exists, the order under the key (NULL if
// none), the buyer's pending orders, the address's pending orders.
constexpr Statement kOrderPrecheck = {
    "ws_order_precheck",
    "SELECT CASE WHEN $3::boolean THEN $4::text <> '' AND $5::text <> ''"
    "   ELSE EXISTS (SELECT 1 FROM users WHERE id = $1::bigint) END,"
    " CASE WHEN $3 THEN (SELECT id FROM orders WHERE guest_cart_hash = $4 AND $4 <> ''"
    "     AND idempotency_key = $2::text)"
    "   ELSE (SELECT id FROM orders WHERE user_id = $1 AND guest_cart_hash = ''"
    "     AND idempotency_key = $2) END,"
    " CASE WHEN $3 THEN (SELECT count(*) FROM orders WHERE user_id IS NULL AND guest_email = $5"
    "     AND status = 0)"
    "   ELSE (SELECT count(*) FROM orders WHERE user_id = $1 AND status = 0) END,"
    " CASE WHEN $6::text = '' THEN 0"
    "   ELSE (SELECT count(*) FROM orders WHERE placed_from = $6 AND status = 0) END"};
// The caps' locks: one per buyer and per address (a separate statement, so
// the counts above, in the next one, see what the lock waited for).
constexpr Statement kLockUnpaidCaps = {
    "ws_lock_unpaid_caps",
    "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT DISTINCT"
    " hashtextextended('watchstore.unpaid:' || x, 0) AS k FROM unnest($1::text[]) x"
    " ORDER BY 1) s"};
constexpr Statement kFindOrderByUserKey = {
    "ws_find_order_by_user_key",
    "SELECT id FROM orders WHERE user_id = $1 AND guest_cart_hash = '' AND idempotency_key = $2"};
constexpr Statement kFindOrderByGuestKey = {
    "ws_find_order_by_guest_key",
    "SELECT id FROM orders WHERE guest_cart_hash = $1 AND idempotency_key = $2"};

// Locks in the global order: product row, then variant rows.
constexpr Statement kLockLineVariants = {
    "ws_lock_line_variants",
    "SELECT v.id, p.id, v.sku, v.dial_color, v.strap, v.size, v.price_minor, v.currency,"
    " v.stock, p.brand, p.model, p.active"
    " FROM products p JOIN variants v ON v.product_id = p.id"
    " WHERE v.id = ANY ($1::bigint[])"
    " ORDER BY p.id, v.id FOR NO KEY UPDATE OF p, v"};

// $1 variant ids (ascending), $2 quantities, $3 now, $4 user (NULL for a
// guest), $5 total, $6 currency, $7..$12 shipping, $13 idempotency key,
// $14 fingerprint, $15 product ids, $16 SKUs, $17 titles, $18 unit prices,
// $19 line totals, $20 clear the buyer's cart, $21 guest e-mail, $22 link
// token hash, $23 guest cart, $24 client address, $25 reserved until (NULL:
// never), $26 payment provider, $27 payment state.
// Data-modifying CTEs all run, once, whatever the final SELECT reads. The
// products' in_stock is computed from the new stock of the taken variants
// and the (locked, so stable) stock of their siblings.
constexpr Statement kPlaceOrder = {
    "ws_place_order",
    "WITH taken AS ("
    "  UPDATE variants v SET stock = v.stock - w.quantity"
    "  FROM unnest($1::bigint[], $2::bigint[]) AS w(id, quantity)"
    "  WHERE v.id = w.id AND v.stock >= w.quantity"
    "  RETURNING v.id, v.product_id, v.stock),"
    " bumped AS ("
    "  UPDATE products p SET version = p.version + t.n, updated_at_ns = $3,"
    "    in_stock = t.any_left OR EXISTS (SELECT 1 FROM variants s"
    "        WHERE s.product_id = p.id AND s.stock > 0 AND s.id <> ALL ($1::bigint[]))"
    "  FROM (SELECT product_id, count(*) AS n, bool_or(stock > 0) AS any_left"
    "        FROM taken GROUP BY product_id) t"
    "  WHERE p.id = t.product_id),"
    " new_order AS ("
    "  INSERT INTO orders (user_id, status, total_minor, currency, ship_name, ship_line1,"
    "      ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key,"
    "      request_fingerprint, created_at_ns, updated_at_ns, guest_email, access_token_hash,"
    "      guest_cart_hash, placed_from, reserved_until_ns, payment_provider, payment_state,"
    "      payment_amount_minor)"
    "  VALUES ($4, 0, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $3, $3, $21, $22, $23, $24,"
    "      $25, $26, $27, $5)"
    "  RETURNING id),"
    " new_lines AS ("
    "  INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, title, quantity,"
    "      unit_price_minor, line_total_minor, currency)"
    "  SELECT o.id, l.line_no, l.variant_id, l.product_id, l.sku, l.title, l.quantity,"
    "      l.unit_price_minor, l.line_total_minor, $6"
    "  FROM new_order o, unnest($1::bigint[], $15::bigint[], $16::text[], $17::text[],"
    "      $2::bigint[], $18::bigint[], $19::bigint[])"
    "    WITH ORDINALITY AS l(variant_id, product_id, sku, title, quantity, unit_price_minor,"
    "      line_total_minor, line_no)),"
    " cleared AS ("
    "  DELETE FROM cart_items WHERE $20::boolean"
    "    AND (user_id = $4::bigint OR guest_token_hash = NULLIF($23::text, '')))"
    " SELECT (SELECT id FROM new_order), t.id, t.stock FROM taken t ORDER BY t.id"};

constexpr Statement kLockOrder = {"ws_lock_order",
                                  "SELECT status FROM orders WHERE id = $1 FOR NO KEY UPDATE"};
constexpr Statement kRestock = {
    "ws_restock",
    "WITH back AS ("
    "  UPDATE variants v SET stock = v.stock + l.quantity FROM order_lines l"
    "  WHERE l.order_id = $1 AND v.id = l.variant_id"
    "  RETURNING v.id, v.product_id, v.stock, l.quantity, l.line_no),"
    " bumped AS ("
    "  UPDATE products p SET version = p.version + b.n, updated_at_ns = $2, in_stock = TRUE"
    "  FROM (SELECT product_id, count(*) AS n FROM back GROUP BY product_id) b"
    "  WHERE p.id = b.product_id)"
    " SELECT product_id, id, stock, quantity FROM back ORDER BY line_no"};
constexpr Statement kSetOrderStatus = {
    "ws_set_order_status",
    "UPDATE orders SET status = $2, updated_at_ns = $3, refund_due_minor = CASE "
    "WHEN status = 1 AND $2::smallint = 4 THEN total_minor ELSE refund_due_minor END "
    "WHERE id = $1"};
// The products and variants of several orders, locked in the global order.
constexpr Statement kLockOrdersVariants = {
    "ws_lock_orders_variants",
    "SELECT v.id FROM products p JOIN variants v ON v.product_id = p.id"
    " WHERE v.id IN (SELECT variant_id FROM order_lines WHERE order_id = ANY ($1::bigint[]))"
    " ORDER BY p.id, v.id FOR NO KEY UPDATE OF p, v"};

// --- Helpers ------------------------------------------------------------------

absl::StatusOr<Currency> ReadCurrency(const Result& r, int row, int col) {
  absl::StatusOr<Currency> c = Currency::FromCode(r.Text(row, col));
  if (!c.ok()) return absl::InternalError("stored currency is malformed");
  return c;
}

absl::Status ReadOrderColumns(const Result& r, int row, Order* o) {
  WS_ASSIGN_OR_RETURN(o->id, r.Int(row, 0));
  o->number = OrderNumberFor(o->id);
  if (r.IsNull(row, 1)) {
    o->user_id = 0;  // a guest order
  } else {
    WS_ASSIGN_OR_RETURN(o->user_id, r.Int(row, 1));
  }
  WS_ASSIGN_OR_RETURN(int64_t status, r.Int(row, 2));
  if (status < 0 || status > static_cast<int64_t>(OrderStatus::kRefunded)) {
    return absl::InternalError("stored order status is unknown");
  }
  o->status = static_cast<OrderStatus>(status);
  WS_ASSIGN_OR_RETURN(o->total.minor_units, r.Int(row, 3));
  WS_ASSIGN_OR_RETURN(o->total.currency, ReadCurrency(r, row, 4));
  o->shipping.name = r.String(row, 5);
  o->shipping.line1 = r.String(row, 6);
  o->shipping.line2 = r.String(row, 7);
  o->shipping.city = r.String(row, 8);
  o->shipping.postal_code = r.String(row, 9);
  o->shipping.country = r.String(row, 10);
  o->idempotency_key = r.String(row, 11);
  o->request_fingerprint = r.String(row, 12);
  WS_ASSIGN_OR_RETURN(o->created_at, r.Time(row, 13));
  WS_ASSIGN_OR_RETURN(o->updated_at, r.Time(row, 14));
  WS_ASSIGN_OR_RETURN(o->refund_due.minor_units, r.Int(row, 15));
  o->refund_due.currency = o->total.currency;
  o->guest_email = r.String(row, 16);
  o->access_token_hash = r.String(row, 17);
  if (r.IsNull(row, 18)) {
    o->reserved_until = absl::InfiniteFuture();
  } else {
    WS_ASSIGN_OR_RETURN(o->reserved_until, r.Time(row, 18));
  }
  o->payment.provider = r.String(row, 19);
  o->payment.reference = r.String(row, 20);
  WS_ASSIGN_OR_RETURN(int64_t state, r.Int(row, 21));
  if (state < 0 || state > static_cast<int64_t>(PaymentState::kCancelled)) {
    return absl::InternalError("stored payment state is unknown");
  }
  o->payment.state = static_cast<PaymentState>(state);
  WS_ASSIGN_OR_RETURN(o->payment.amount.minor_units, r.Int(row, 22));
  WS_ASSIGN_OR_RETURN(o->payment.refunded.minor_units, r.Int(row, 23));
  o->payment.amount.currency = o->payment.refunded.currency = o->total.currency;
  o->payment.client_secret = r.String(row, 24);
  return absl::OkStatus();
}

absl::Status ReadOrderLine(const Result& r, int row, OrderLine* l) {
  constexpr int k = kOrderColumnCount;
  WS_ASSIGN_OR_RETURN(l->variant_id, r.Int(row, k + 0));
  WS_ASSIGN_OR_RETURN(l->product_id, r.Int(row, k + 1));
  l->sku = r.String(row, k + 2);
  l->title = r.String(row, k + 3);
  WS_ASSIGN_OR_RETURN(l->quantity, r.Int(row, k + 4));
  WS_ASSIGN_OR_RETURN(l->unit_price.minor_units, r.Int(row, k + 5));
  WS_ASSIGN_OR_RETURN(l->line_total.minor_units, r.Int(row, k + 6));
  WS_ASSIGN_OR_RETURN(Currency c, ReadCurrency(r, row, k + 7));
  l->unit_price.currency = l->line_total.currency = c;
  WS_ASSIGN_OR_RETURN(l->refunded_quantity, r.Int(row, k + 8));
  return absl::OkStatus();
}

}  // namespace

// --- Shared helpers ---------------------------------------------------------------

absl::Status ReadLockedVariants(const Result& r, std::vector<LockedVariant>* out) {
  for (int row = 0; row < r.rows(); ++row) {
    LockedVariant v;
    WS_ASSIGN_OR_RETURN(v.variant.id, r.Int(row, 0));
    WS_ASSIGN_OR_RETURN(v.variant.product_id, r.Int(row, 1));
    v.variant.sku = r.String(row, 2);
    v.variant.dial_color = r.String(row, 3);
    v.variant.strap = r.String(row, 4);
    v.variant.size = r.String(row, 5);
    WS_ASSIGN_OR_RETURN(v.variant.price.minor_units, r.Int(row, 6));
    WS_ASSIGN_OR_RETURN(v.variant.price.currency, ReadCurrency(r, row, 7));
    WS_ASSIGN_OR_RETURN(v.variant.stock, r.Int(row, 8));
    v.brand = r.String(row, 9);
    v.model = r.String(row, 10);
    WS_ASSIGN_OR_RETURN(v.product_active, r.Bool(row, 11));
    out->push_back(std::move(v));
  }
  return absl::OkStatus();
}

absl::Status LockVariantsIn(Connection& c, absl::Span<const VariantId> ids,
                            std::vector<LockedVariant>* out) {
  Params p;
  p.AddInt64Array(std::vector<int64_t>(ids.begin(), ids.end()));
  WS_ASSIGN_OR_RETURN(Result r, c.Execute(kLockLineVariants, p));
  return ReadLockedVariants(r, out);
}

absl::StatusOr<std::vector<StockChange>> RestockOrders(Connection& c,
                                                       const std::vector<OrderId>& ids,
                                                       absl::Time now) {
  std::vector<StockChange> changes;
  if (ids.empty()) return changes;
  {
    Params lock;
    lock.AddInt64Array(std::vector<int64_t>(ids.begin(), ids.end()));
    WS_RETURN_IF_ERROR(c.Execute(kLockOrdersVariants, lock).status());
  }
  for (OrderId id : ids) {
    Params restock;
    restock.Add(id).AddTime(now);
    WS_ASSIGN_OR_RETURN(Result back, c.Execute(kRestock, restock));
    for (int row = 0; row < back.rows(); ++row) {
      StockChange change;
      WS_ASSIGN_OR_RETURN(change.product_id, back.Int(row, 0));
      WS_ASSIGN_OR_RETURN(change.variant_id, back.Int(row, 1));
      WS_ASSIGN_OR_RETURN(change.stock_after, back.Int(row, 2));
      WS_ASSIGN_OR_RETURN(int64_t quantity, back.Int(row, 3));
      change.stock_before = change.stock_after - quantity;
      changes.push_back(change);
    }
  }
  return changes;
}

absl::Status SetOrderStatus(Connection& c, OrderId id, OrderStatus to, absl::Time now) {
  Params set;
  set.Add(id).Add(static_cast<int>(to)).AddTime(now);
  return c.Execute(kSetOrderStatus, set).status();
}

absl::StatusOr<Order> LockOrder(Connection& c, OrderId id) {
  Params lock;
  lock.Add(id);
  WS_ASSIGN_OR_RETURN(Result r, c.Execute(kLockOrder, lock));
  if (r.rows() == 0) return absl::NotFoundError("no such order");
  return LoadOrder(c, id);
}

absl::Status ReadOrders(const Result& r, std::vector<Order>* out) {
  const size_t first = out->size();
  for (int row = 0; row < r.rows(); ++row) {
    WS_ASSIGN_OR_RETURN(OrderId id, r.Int(row, 0));
    if (out->size() == first || out->back().id != id) {
      out->emplace_back();
      WS_RETURN_IF_ERROR(ReadOrderColumns(r, row, &out->back()));
    }
    if (!r.IsNull(row, kOrderColumnCount)) {
      out->back().lines.emplace_back();
      WS_RETURN_IF_ERROR(ReadOrderLine(r, row, &out->back().lines.back()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Order> LoadOrder(Connection& conn, OrderId id) {
  Params p;
  p.Add(id);
  WS_ASSIGN_OR_RETURN(Result r, conn.Execute(kGetOrder, p));
  std::vector<Order> orders;
  WS_RETURN_IF_ERROR(ReadOrders(r, &orders));
  if (orders.empty()) return absl::NotFoundError("no such order");
  return std::move(orders.front());
}

// --- Checkout ---------------------------------------------------------------------

absl::StatusOr<PlaceOrderResult> PostgresStorage::PlaceOrder(const NewOrder& o) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  absl::StatusOr<PlaceOrderResult> result = Transact<PlaceOrderResult>(
      *conn, [&](Connection& c) { return PlaceOrderOnce(c, o); }, Begins::kInBody);
  const bool guest = o.user_id == 0;
  if (result.ok() || conn->last_error().sqlstate != kUniqueViolation ||
      conn->last_error().constraint !=
          (guest ? "orders_guest_idempotency_key" : "orders_idempotency_key")) {
    return result;
  }
  // A concurrent request with this key committed first (the insert waited
  // for it, then hit the unique index): replay its order.
  Params p;
  if (guest) {
    p.Add(o.guest_cart_hash);
  } else {
    p.Add(o.user_id);
  }
  p.Add(o.idempotency_key);
  WS_ASSIGN_OR_RETURN(Result r,
                      conn->Execute(guest ? kFindOrderByGuestKey : kFindOrderByUserKey, p));
  if (r.rows() == 0) return absl::InternalError("idempotency key conflict without an order");
  WS_ASSIGN_OR_RETURN(OrderId id, r.Int(0, 0));
  WS_ASSIGN_OR_RETURN(Order first, LoadOrder(*conn, id));
  return ReplayOrder(first, o);
}

absl::StatusOr<PlaceOrderResult> PostgresStorage::PlaceOrderOnce(Connection& c, const NewOrder& o) {
  // Round trip 1: BEGIN, the idempotency check, and the locks on the lines'
  // variants (product rows first, in the global order). The locks do not
  // depend on the check, so they are taken even for a replay or a missing
  // user, and released by that transaction's end.
  std::vector<int64_t> wanted_ids;
  for (const NewOrder::Line& l : o.lines) wanted_ids.push_back(l.variant_id);
  std::sort(wanted_ids.begin(), wanted_ids.end());
  wanted_ids.erase(std::unique(wanted_ids.begin(), wanted_ids.end()), wanted_ids.end());
  const bool guest = o.user_id == 0;
  Params precheck;
  precheck.Add(o.user_id)
      .Add(o.idempotency_key)
      .AddBool(guest)
      .Add(o.guest_cart_hash)
      .Add(o.guest_email)
      .Add(o.placed_from);
  Params caps;
  std::vector<std::string> cap_keys;
  if (o.max_unpaid_per_buyer > 0 || o.max_unpaid_per_address > 0) {
    cap_keys.push_back(guest ? absl::StrCat("g:", o.guest_email) : absl::StrCat("u:", o.user_id));
    if (!o.placed_from.empty()) cap_keys.push_back(absl::StrCat("a:", o.placed_from));
  }
  caps.AddTextArray(cap_keys);
  Params lock_params;
  lock_params.AddInt64Array(wanted_ids);
  std::vector<PipelineStep> first = {{.sql = "BEGIN"}};
  if (!cap_keys.empty()) first.push_back({.statement = &kLockUnpaidCaps, .params = &caps});
  const size_t checked = first.size();
  first.push_back({.statement = &kOrderPrecheck, .params = &precheck});
  first.push_back({.statement = &kLockLineVariants, .params = &lock_params});
  WS_ASSIGN_OR_RETURN(std::vector<Result> opened, c.Pipeline(first));
  // 1. Idempotency first, whatever the lines; then the buyer and the caps.
  {
    const Result& r = opened[checked];
    if (!r.IsNull(0, 1)) {
      WS_ASSIGN_OR_RETURN(OrderId id, r.Int(0, 1));
      WS_ASSIGN_OR_RETURN(Order first_order, LoadOrder(c, id));  // round trip 2
      return ReplayOrder(first_order, o);                        // Transact commits: round trip 3
    }
    WS_ASSIGN_OR_RETURN(bool buyer_exists, r.Bool(0, 0));
    if (!buyer_exists) return absl::NotFoundError("no such user");
    WS_ASSIGN_OR_RETURN(int64_t of_buyer, r.Int(0, 2));
    WS_ASSIGN_OR_RETURN(int64_t from_address, r.Int(0, 3));
    WS_RETURN_IF_ERROR(CheckUnpaidOrderCaps(o, of_buyer, from_address));
  }
  // 2. Apply the rules to what the locks hold. PlanOrder asks for the
  // distinct line variants in id order: the rows locked above.
  auto lock = [&c, &opened, &wanted_ids](absl::Span<const VariantId> ids,
                                         std::vector<LockedVariant>* out) -> absl::Status {
    if (!std::equal(ids.begin(), ids.end(), wanted_ids.begin(), wanted_ids.end())) {
      return LockVariantsIn(c, ids, out);  // never expected: lock what the rules ask for
    }
    return ReadLockedVariants(opened.back(), out);
  };
  WS_ASSIGN_OR_RETURN(OrderPlan plan, PlanOrder(o, lock));
  Order& order = plan.order;

  // 3. Round trip 2: take the stock and write the order, in one statement.
  std::vector<int64_t> variant_ids, quantities, product_ids, unit_prices, line_totals;
  for (const OrderLine& l : order.lines) {
    variant_ids.push_back(l.variant_id);
    quantities.push_back(l.quantity);
    product_ids.push_back(l.product_id);
    unit_prices.push_back(l.unit_price.minor_units);
    line_totals.push_back(l.line_total.minor_units);
  }
  Params p;
  p.AddInt64Array(variant_ids).AddInt64Array(quantities).AddTime(o.now);  // $1..$3
  if (guest) {                                                            // $4
    p.AddNull();
  } else {
    p.Add(o.user_id);
  }
  p.Add(order.total.minor_units).Add(o.currency.code());  // $5, $6
  p.Add(o.shipping.name)
      .Add(o.shipping.line1)
      .Add(o.shipping.line2)
      .Add(o.shipping.city)
      .Add(o.shipping.postal_code)
      .Add(o.shipping.country);                         // $7..$12
  p.Add(o.idempotency_key).Add(o.request_fingerprint);  // $13, $14
  p.AddInt64Array(product_ids);                         // $15
  p.AddTextArrayOf(order.lines.begin(), order.lines.end(),
                   [](const OrderLine& l) { return absl::string_view(l.sku); });  // $16
  p.AddTextArrayOf(order.lines.begin(), order.lines.end(),
                   [](const OrderLine& l) { return absl::string_view(l.title); });  // $17
  p.AddInt64Array(unit_prices).AddInt64Array(line_totals);                          // $18, $19
  p.AddBool(o.clear_user_cart);                                                     // $20
  p.Add(o.guest_email).Add(o.access_token_hash);                                    // $21, $22
  p.Add(guest ? absl::string_view(o.guest_cart_hash) : absl::string_view());        // $23
  p.Add(o.placed_from);                                                             // $24
  if (o.reserved_until == absl::InfiniteFuture()) {                                 // $25
    p.AddNull();
  } else {
    p.AddTime(o.reserved_until);
  }
  p.Add(order.payment.provider).Add(static_cast<int>(order.payment.state));  // $26, $27
  WS_ASSIGN_OR_RETURN(Result r, c.Execute(kPlaceOrder, p));
  if (r.rows() != static_cast<int>(plan.stock_changes.size())) {
    // Cannot happen while the rows are locked; never commit a partial take.
    return absl::InternalError("stock changed under a row lock");
  }
  WS_ASSIGN_OR_RETURN(order.id, r.Int(0, 0));
  for (int row = 0; row < r.rows(); ++row) {
    WS_ASSIGN_OR_RETURN(int64_t stock_after, r.Int(row, 2));
    if (stock_after != plan.stock_changes[static_cast<size_t>(row)].stock_after) {
      return absl::InternalError("stock changed under a row lock");
    }
  }
  // 4. Round trip 3: the outbox rows (they need the order's id) and COMMIT.
  std::vector<Params> outbox_params(o.outbox.size());
  std::vector<PipelineStep> last;
  for (size_t i = 0; i < o.outbox.size(); ++i) {
    OutboxDraft d = o.outbox[i];
    d.order_id = order.id;
    last.push_back(OutboxInsertStep(d, &outbox_params[i]));
  }
  last.push_back({.sql = "COMMIT"});
  WS_RETURN_IF_ERROR(c.Pipeline(last).status());
  order.number = OrderNumberFor(order.id);
  return PlaceOrderResult{std::move(order), false, std::move(plan.stock_changes)};
}

// --- Orders -------------------------------------------------------------------------

absl::StatusOr<Order> PostgresStorage::GetOrder(OrderId id) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return LoadOrder(*conn, id);
}

absl::StatusOr<OrderPage> PostgresStorage::ListOrders(const OrderQuery& q) {
  const uint32_t shape = OrderListingShape(q);
  Params p;
  BindOrderListing(q, &p);
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  WS_ASSIGN_OR_RETURN(Result r,
                      conn->ExecuteNamed(
                          OrderListingName(shape), [shape] { return OrderListingSql(shape); }, p));
  OrderPage page;
  WS_RETURN_IF_ERROR(ReadOrders(r, &page.items));
  const size_t limit = static_cast<size_t>(std::max(q.limit, 1));
  if (page.items.size() > limit) {
    page.has_more = true;
    page.items.resize(limit);
  }
  return page;
}

absl::StatusOr<TransitionResult> PostgresStorage::TransitionOrder(
    OrderId id, OrderStatus from, OrderStatus to, absl::Time now,
    const std::vector<OutboxDraft>& outbox) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<TransitionResult>(*conn, [&](Connection& c) -> absl::StatusOr<TransitionResult> {
    WS_ASSIGN_OR_RETURN(Order current, LockOrder(c, id));
    WS_RETURN_IF_ERROR(CheckTransition(current, from, to));
    TransitionResult result;
    if (to == OrderStatus::kCancelled || to == OrderStatus::kExpired) {
      WS_ASSIGN_OR_RETURN(result.stock_changes, RestockOrders(c, {id}, now));
    }
    WS_RETURN_IF_ERROR(SetOrderStatus(c, id, to, now));
    for (const OutboxDraft& d : outbox) WS_RETURN_IF_ERROR(InsertOutbox(c, d));
    WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, id));
    return result;
  });
}

}  // namespace watchstore::internal::pg
