// Guest orders, payments, reservations and refunds of the PostgreSQL storage.
//
// Every write locks the order's row first (FOR NO KEY UPDATE), reads it,
// asks the rules (order_rules.h) what to write, and writes it; variants are
// locked after orders, in the global order (product id, variant id), as
// everywhere in this adapter.
//
// ApplyPaymentUpdate records the event id first (INSERT ... ON CONFLICT DO
// NOTHING): a second delivery of the same event waits for the first's
// transaction and then finds its id, so it is applied once; a refused update
// rolls the insert back, so the event can be applied once it is right.
//
// ExpireReservations claims due orders with FOR NO KEY UPDATE SKIP LOCKED:
// concurrent sweepers (threads, processes, server instances) take disjoint
// sets of orders and never wait on each other's; each order is expired and
// its stock returned in the claiming transaction.
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_errors.h"
#include "postgres/pg_listing.h"
#include "postgres/postgres_storage_impl.h"
#include "watchstore/errors.h"
#include "watchstore/order_rules.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal::pg {
namespace {

constexpr Statement kGetOrderByToken = {
    "ws_get_order_by_token", "SELECT " WS_PG_ORDER_COLUMNS
                             " FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id"
                             " WHERE o.access_token_hash = $1 AND $1 <> '' ORDER BY l.line_no"};
constexpr Statement kGetOrderByPayment = {
    "ws_get_order_by_payment",
    "SELECT " WS_PG_ORDER_COLUMNS
    " FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id"
    " WHERE o.payment_provider = $1 AND o.payment_reference = $2 AND $2 <> ''"
    " ORDER BY l.line_no"};
constexpr Statement kFindPaymentReference = {
    "ws_find_payment_reference",
    "SELECT id FROM orders WHERE payment_provider = $1 AND payment_reference = $2 AND $2 <> ''"};
// Columns: the user exists, guest orders given.
constexpr Statement kClaimGuestOrders = {
    "ws_claim_guest_orders",
    "WITH buyer AS (SELECT id FROM users WHERE id = $1),"
    " claimed AS (UPDATE orders SET user_id = $1 WHERE user_id IS NULL AND guest_email = $2"
    "   AND $2 <> '' AND EXISTS (SELECT 1 FROM buyer) RETURNING 1)"
    " SELECT EXISTS (SELECT 1 FROM buyer), (SELECT count(*) FROM claimed)"};
// What the payment and refund plans change of an order: $1 id, $2 status,
// $3 updated, $4 refund due, $5..$8 payment reference, state, refunded,
// client secret, $9/$10 the lines' variant ids and refunded quantities.
constexpr Statement kStoreOrder = {
    "ws_store_order",
    "WITH o AS ("
    "  UPDATE orders SET status = $2, updated_at_ns = $3, refund_due_minor = $4,"
    "    payment_reference = $5, payment_state = $6, payment_refunded_minor = $7,"
    "    payment_client_secret = $8 WHERE id = $1 RETURNING id)"
    " UPDATE order_lines l SET refunded_quantity = w.refunded"
    " FROM o, unnest($9::bigint[], $10::bigint[]) AS w(variant_id, refunded)"
    " WHERE l.order_id = o.id AND l.variant_id = w.variant_id"
    "   AND l.refunded_quantity IS DISTINCT FROM w.refunded"};
// Stock as a plan computed it from rows locked since: $1 variant ids, $2
// stock before, $3 after, $4 now. Returns the variants changed; the
// products' in_stock as in checkout.
constexpr Statement kWriteStock = {
    "ws_write_stock",
    "WITH changed AS ("
    "  UPDATE variants v SET stock = w.after"
    "  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS w(id, before, after)"
    "  WHERE v.id = w.id AND v.stock = w.before"
    "  RETURNING v.id, v.product_id, v.stock),"
    " bumped AS ("
    "  UPDATE products p SET version = p.version + t.n, updated_at_ns = $4,"
    "    in_stock = t.any_left OR EXISTS (SELECT 1 FROM variants s"
    "        WHERE s.product_id = p.id AND s.stock > 0 AND s.id <> ALL ($1::bigint[]))"
    "  FROM (SELECT product_id, count(*) AS n, bool_or(stock > 0) AS any_left"
    "        FROM changed GROUP BY product_id) t"
    "  WHERE p.id = t.product_id)"
    " SELECT count(*) FROM changed"};
// The event id first: no row back means it was applied before (or the
// order does not exist, which the lock that follows tells apart).
constexpr Statement kRecordEvent = {
    "ws_record_payment_event",
    "INSERT INTO payment_events (provider, event_id, order_id, received_at_ns)"
    " SELECT payment_provider, $2, id, $3 FROM orders WHERE id = $1"
    " ON CONFLICT (provider, event_id) DO NOTHING RETURNING 1"};
constexpr Statement kClaimDueReservations = {
    "ws_claim_due_reservations",
    "SELECT id FROM orders WHERE status = 0 AND reserved_until_ns IS NOT NULL"
    " AND reserved_until_ns <= $1 ORDER BY reserved_until_ns, id LIMIT $2"
    " FOR NO KEY UPDATE SKIP LOCKED"};

absl::Status PaymentReferenceTaken() {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch,
                   "the payment reference belongs to another order");
}

// The one order of `r` (rows laid out as WS_PG_ORDER_COLUMNS); NotFound.
absl::StatusOr<Order> OneOrder(const Result& r) {
  std::vector<Order> orders;
  WS_RETURN_IF_ERROR(ReadOrders(r, &orders));
  if (orders.empty()) return absl::NotFoundError("no such order");
  return std::move(orders.front());
}

absl::Status StoreOrder(Connection& c, const Order& o) {
  std::vector<int64_t> variants, refunded;
  for (const OrderLine& l : o.lines) {
    variants.push_back(l.variant_id);
    refunded.push_back(l.refunded_quantity);
  }
  Params p;
  p.Add(o.id).Add(static_cast<int>(o.status)).AddTime(o.updated_at).Add(o.refund_due.minor_units);
  p.Add(o.payment.reference)
      .Add(static_cast<int>(o.payment.state))
      .Add(o.payment.refunded.minor_units)
      .Add(o.payment.client_secret);
  p.AddInt64Array(variants).AddInt64Array(refunded);
  return c.Execute(kStoreOrder, p).status();
}

// Writes a plan's stock changes (read under the locks the plan took). A
// variant changed twice by one plan is written once, first before to last
// after.
absl::Status WriteStock(Connection& c, const std::vector<StockChange>& changes, absl::Time now) {
  if (changes.empty()) return absl::OkStatus();
  std::map<VariantId, std::pair<int64_t, int64_t>> net;  // id -> (before, after)
  for (const StockChange& change : changes) {
    auto [it, fresh] = net.try_emplace(change.variant_id, change.stock_before, change.stock_after);
    if (!fresh) it->second.second = change.stock_after;
  }
  std::vector<int64_t> ids, before, after;
  for (const auto& [id, ba] : net) {
    ids.push_back(id);
    before.push_back(ba.first);
    after.push_back(ba.second);
  }
  Params p;
  p.AddInt64Array(ids).AddInt64Array(before).AddInt64Array(after).AddTime(now);
  WS_ASSIGN_OR_RETURN(Result r, c.Execute(kWriteStock, p));
  WS_ASSIGN_OR_RETURN(int64_t written, r.Int(0, 0));
  if (written != static_cast<int64_t>(ids.size())) {
    // Cannot happen while the rows are locked; never commit a partial write.
    return absl::InternalError("stock changed under a row lock");
  }
  return absl::OkStatus();
}

// FailedPrecondition (payment_mismatch) if `after` records a payment
// reference that another order of its provider holds. (Two orders taking
// one reference at once: the unique index refuses the second, and
// RefusedReference maps that to the same error.)
absl::Status CheckReferenceFree(Connection& c, const Order& before, const Order& after) {
  if (after.payment.reference == before.payment.reference) return absl::OkStatus();
  Params find;
  find.Add(after.payment.provider).Add(after.payment.reference);
  WS_ASSIGN_OR_RETURN(Result taken, c.Execute(kFindPaymentReference, find));
  for (int row = 0; row < taken.rows(); ++row) {
    WS_ASSIGN_OR_RETURN(OrderId id, taken.Int(row, 0));
    if (id != after.id) return PaymentReferenceTaken();
  }
  return absl::OkStatus();
}

// `result`, or payment_mismatch if it failed on the unique payment reference.
template <typename T>
absl::StatusOr<T> RefusedReference(const Connection& c, absl::StatusOr<T> result) {
  if (!result.ok() && c.last_error().sqlstate == kUniqueViolation &&
      c.last_error().constraint == "orders_payment_reference_key") {
    return PaymentReferenceTaken();
  }
  return result;
}

absl::Status InsertOrderOutbox(Connection& c, OrderId id, const std::vector<OutboxDraft>& drafts) {
  for (OutboxDraft d : drafts) {
    d.order_id = id;
    WS_RETURN_IF_ERROR(InsertOutbox(c, d));
  }
  return absl::OkStatus();
}

auto VariantLocker(Connection& c) {
  return [&c](absl::Span<const VariantId> ids, std::vector<LockedVariant>* out) {
    return LockVariantsIn(c, ids, out);
  };
}

}  // namespace

// --- Guest orders -------------------------------------------------------------------

absl::StatusOr<Order> PostgresStorage::GetOrderByAccessToken(absl::string_view token_hash) {
  if (token_hash.empty()) return absl::NotFoundError("no such order");
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(token_hash);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kGetOrderByToken, p));
  return OneOrder(r);
}

absl::StatusOr<Order> PostgresStorage::GetOrderByPaymentReference(absl::string_view provider,
                                                                  absl::string_view reference) {
  if (reference.empty()) return absl::NotFoundError("no such order");
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(provider).Add(reference);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kGetOrderByPayment, p));
  return OneOrder(r);
}

absl::StatusOr<int64_t> PostgresStorage::ClaimGuestOrders(absl::string_view email, UserId user_id) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  Params p;
  p.Add(user_id).Add(email);
  WS_ASSIGN_OR_RETURN(Result r, conn->Execute(kClaimGuestOrders, p));
  WS_ASSIGN_OR_RETURN(bool user_exists, r.Bool(0, 0));
  if (!user_exists) return absl::NotFoundError("no such user");
  return r.Int(0, 1);
}

// --- Payments -----------------------------------------------------------------------

absl::StatusOr<Order> PostgresStorage::AttachPayment(OrderId id, const ProviderPayment& payment) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return RefusedReference(
      *conn, Transact<Order>(*conn, [&](Connection& c) -> absl::StatusOr<Order> {
        WS_ASSIGN_OR_RETURN(Order current, LockOrder(c, id));
        WS_ASSIGN_OR_RETURN(Order attached, PlanAttachPayment(current, payment));
        if (attached.payment.reference == current.payment.reference) return attached;
        WS_RETURN_IF_ERROR(CheckReferenceFree(c, current, attached));
        WS_RETURN_IF_ERROR(StoreOrder(c, attached));
        return attached;
      }));
}

absl::StatusOr<PaymentUpdateResult> PostgresStorage::ApplyPaymentUpdate(const PaymentUpdate& u) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return RefusedReference(
      *conn, Transact<PaymentUpdateResult>(
                 *conn, [&](Connection& c) -> absl::StatusOr<PaymentUpdateResult> {
                   PaymentUpdateResult result;
                   bool recorded = false;
                   if (!u.event_id.empty()) {
                     Params event;
                     event.Add(u.order_id).Add(u.event_id).AddTime(u.now);
                     WS_ASSIGN_OR_RETURN(Result r, c.Execute(kRecordEvent, event));
                     recorded = r.rows() == 1;
                   }
                   WS_ASSIGN_OR_RETURN(result.order, LockOrder(c, u.order_id));
                   if (!u.event_id.empty() && !recorded) {
                     result.duplicate = true;  // nothing written: the COMMIT ends a read
                     return result;
                   }
                   // A refusal (payment_mismatch) rolls back the event id with the rest.
                   WS_ASSIGN_OR_RETURN(PaymentPlan plan,
                                       PlanPaymentUpdate(result.order, u, VariantLocker(c)));
                   WS_RETURN_IF_ERROR(CheckReferenceFree(c, result.order, plan.order));
                   WS_RETURN_IF_ERROR(WriteStock(c, plan.stock_changes, u.now));
                   if (plan.changed) WS_RETURN_IF_ERROR(StoreOrder(c, plan.order));
                   if (plan.became_paid) {
                     WS_RETURN_IF_ERROR(InsertOrderOutbox(c, u.order_id, u.outbox_if_paid));
                   }
                   WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, u.order_id));
                   result.changed = plan.changed;
                   result.stock_changes = std::move(plan.stock_changes);
                   return result;
                 }));
}

absl::StatusOr<std::vector<TransitionResult>> PostgresStorage::ExpireReservations(absl::Time now,
                                                                                  int limit) {
  if (limit <= 0) return std::vector<TransitionResult>{};
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<std::vector<TransitionResult>>(
      *conn, [&](Connection& c) -> absl::StatusOr<std::vector<TransitionResult>> {
        Params claim;
        claim.AddTime(now).Add(int64_t{limit});
        WS_ASSIGN_OR_RETURN(Result due, c.Execute(kClaimDueReservations, claim));
        std::vector<OrderId> ids;
        for (int row = 0; row < due.rows(); ++row) {
          WS_ASSIGN_OR_RETURN(OrderId id, due.Int(row, 0));
          ids.push_back(id);
        }
        std::vector<TransitionResult> expired;
        if (ids.empty()) return expired;
        WS_ASSIGN_OR_RETURN(std::vector<StockChange> back, RestockOrders(c, ids, now));
        for (OrderId id : ids) {
          TransitionResult r;
          WS_ASSIGN_OR_RETURN(r.order, LoadOrder(c, id));
          // Claimed as pending under the row lock: the rules agree.
          WS_RETURN_IF_ERROR(
              CheckTransition(r.order, OrderStatus::kPending, OrderStatus::kExpired));
          WS_RETURN_IF_ERROR(SetOrderStatus(c, id, OrderStatus::kExpired, now));
          r.order.status = OrderStatus::kExpired;
          r.order.updated_at = now;
          // This order's share of the restock, in line order.
          for (const OrderLine& l : r.order.lines) {
            auto it = std::find_if(back.begin(), back.end(), [&](const StockChange& s) {
              return s.variant_id == l.variant_id;
            });
            if (it == back.end()) continue;
            r.stock_changes.push_back(*it);
            back.erase(it);
          }
          expired.push_back(std::move(r));
        }
        return expired;
      });
}

absl::StatusOr<TransitionResult> PostgresStorage::RefundOrder(const RefundRequest& request) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<TransitionResult>(*conn, [&](Connection& c) -> absl::StatusOr<TransitionResult> {
    WS_ASSIGN_OR_RETURN(Order current, LockOrder(c, request.order_id));
    WS_ASSIGN_OR_RETURN(RefundPlan plan, PlanRefund(current, request, VariantLocker(c)));
    WS_RETURN_IF_ERROR(WriteStock(c, plan.stock_changes, request.now));
    WS_RETURN_IF_ERROR(StoreOrder(c, plan.order));
    WS_RETURN_IF_ERROR(InsertOrderOutbox(c, request.order_id, request.outbox));
    TransitionResult result;
    WS_ASSIGN_OR_RETURN(result.order, LoadOrder(c, request.order_id));
    result.stock_changes = std::move(plan.stock_changes);
    return result;
  });
}

absl::StatusOr<Order> PostgresStorage::SettleRefund(OrderId id, const Money& amount,
                                                    absl::Time now) {
  WS_ASSIGN_OR_RETURN(Lease conn, pool_.Acquire());
  return Transact<Order>(*conn, [&](Connection& c) -> absl::StatusOr<Order> {
    WS_ASSIGN_OR_RETURN(Order current, LockOrder(c, id));
    WS_ASSIGN_OR_RETURN(Order settled, PlanSettleRefund(current, amount, now));
    WS_RETURN_IF_ERROR(StoreOrder(c, settled));
    return LoadOrder(c, id);
  });
}

}  // namespace watchstore::internal::pg
