#include "watchstore/order_rules.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore {

absl::StatusOr<OrderPlan> PlanOrder(const NewOrder& request, LockVariants lock) {
  if (request.lines.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kCartEmpty,
                     "the order has no lines");
  }
  std::map<VariantId, int64_t> wanted;
  for (const NewOrder::Line& l : request.lines) {
    if (l.quantity <= 0) return InvalidField("quantity", "must be positive");
    int64_t& q = wanted[l.variant_id];
    if (__builtin_add_overflow(q, l.quantity, &q)) return InvalidField("quantity", "too large");
  }
  std::vector<VariantId> ids;
  ids.reserve(wanted.size());
  for (const auto& [id, qty] : wanted) ids.push_back(id);
  std::vector<LockedVariant> locked;
  WS_RETURN_IF_ERROR(lock(ids, &locked));
  std::sort(locked.begin(), locked.end(), [](const LockedVariant& a, const LockedVariant& b) {
    return a.variant.id < b.variant.id;
  });

  OrderPlan plan;
  Order& order = plan.order;
  order.total = Money{0, request.currency};
  order.refund_due = Money{0, request.currency};
  for (const auto& [variant_id, qty] : wanted) {
    auto it =
        std::lower_bound(locked.begin(), locked.end(), variant_id,
                         [](const LockedVariant& v, VariantId id) { return v.variant.id < id; });
    if (it == locked.end() || it->variant.id != variant_id) {
      return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such variant",
                       "variant_id");
    }
    const Variant& v = it->variant;
    if (!it->product_active) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kNotPurchasable,
                       absl::StrCat(v.sku, " is no longer sold"));
    }
    if (v.price.currency != request.currency) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kNotPurchasable,
                       absl::StrCat(v.sku, " is priced in another currency"));
    }
    if (v.stock < qty) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                       absl::StrCat("not enough stock for ", v.sku, ": ", v.stock, " left"));
    }
    OrderLine line;
    line.variant_id = variant_id;
    line.product_id = v.product_id;
    line.sku = v.sku;
    line.title = LineTitle(*it);
    line.quantity = qty;
    line.unit_price = v.price;
    WS_ASSIGN_OR_RETURN(line.line_total, Multiply(v.price, qty));
    WS_ASSIGN_OR_RETURN(order.total, Add(order.total, line.line_total));
    order.lines.push_back(std::move(line));
    plan.stock_changes.push_back(StockChange{v.product_id, variant_id, v.stock - qty, v.stock});
  }
  order.user_id = request.user_id;
  order.guest_email = request.guest_email;
  order.access_token_hash = request.access_token_hash;
  order.status = OrderStatus::kPending;
  order.payment.provider = request.payment_provider;
  order.payment.state = PaymentState::kRequiresAction;
  order.payment.amount = order.total;
  order.payment.refunded = Money{0, request.currency};
  order.reserved_until = request.reserved_until;
  order.shipping = request.shipping;
  order.idempotency_key = request.idempotency_key;
  order.request_fingerprint = request.request_fingerprint;
  order.created_at = order.updated_at = request.now;
  return plan;
}

absl::StatusOr<PlaceOrderResult> ReplayOrder(const Order& first, const NewOrder& request) {
  if (first.request_fingerprint != request.request_fingerprint) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIdempotencyMismatch,
                     "idempotency key already used for another request", "Idempotency-Key");
  }
  PlaceOrderResult r;
  r.order = first;
  r.replayed = true;
  return r;
}

absl::Status CheckTransition(OrderStatus current, OrderStatus from, OrderStatus to) {
  if (current != from || !IsLegalTransition(current, to)) {
    return MakeError(
        absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition,
        absl::StrCat("a ", OrderStatusName(current), " order cannot become ", OrderStatusName(to)),
        "status");
  }
  return absl::OkStatus();
}

absl::Status CheckTransition(const Order& current, OrderStatus from, OrderStatus to) {
  WS_RETURN_IF_ERROR(CheckTransition(current.status, from, to));
  if (to == OrderStatus::kCancelled) {
    for (const OrderLine& l : current.lines) {
      if (l.refunded_quantity > 0) {
        return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition,
                         "an order with refunded lines cannot be cancelled: refund the rest",
                         "status");
      }
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status PaymentMismatch(absl::string_view what) {
  return MakeError(absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch,
                   absl::StrCat("the payment does not match the order: ", what));
}

// Payment states in the only order they may take. Cancelled and refunded
// are final; a captured payment is refunded, never cancelled.
bool PaymentMayMove(PaymentState from, PaymentState to) {
  auto rank = [](PaymentState s) {
    switch (s) {
      case PaymentState::kRequiresAction:
        return 0;
      case PaymentState::kFailed:
        return 1;
      case PaymentState::kAuthorized:
        return 2;
      case PaymentState::kCaptured:
        return 3;
      case PaymentState::kRefunded:
      case PaymentState::kCancelled:
        return 4;
    }
    return 0;
  };
  if (from == PaymentState::kRefunded || from == PaymentState::kCancelled) return false;
  if (to == PaymentState::kCancelled && from == PaymentState::kCaptured) return false;
  return rank(to) > rank(from);
}

bool MoneyTaken(PaymentState s) {
  return s == PaymentState::kAuthorized || s == PaymentState::kCaptured;
}

}  // namespace

bool PaymentMayMakePaid(const Order& order, const ProviderPayment& told) {
  return MoneyTaken(told.state) && !MoneyTaken(order.payment.state) &&
         PaymentMayMove(order.payment.state, told.state) &&
         (order.status == OrderStatus::kPending || order.status == OrderStatus::kExpired);
}

namespace {

// Takes every line's stock again (a revived order), all or nothing: the
// changes, or FailedPrecondition when a line is short or no longer sold.
absl::StatusOr<std::vector<StockChange>> RetakeStock(const Order& order, LockVariants lock) {
  std::vector<VariantId> ids;
  for (const OrderLine& l : order.lines) ids.push_back(l.variant_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<LockedVariant> locked;
  WS_RETURN_IF_ERROR(lock(ids, &locked));
  std::vector<StockChange> changes;
  for (const OrderLine& l : order.lines) {
    auto it = std::find_if(locked.begin(), locked.end(),
                           [&](const LockedVariant& v) { return v.variant.id == l.variant_id; });
    if (it == locked.end() || !it->product_active || it->variant.stock < l.quantity) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                       absl::StrCat("not enough stock for ", l.sku));
    }
    changes.push_back(
        StockChange{l.product_id, l.variant_id, it->variant.stock - l.quantity, it->variant.stock});
    it->variant.stock -= l.quantity;
  }
  return changes;
}

}  // namespace

absl::StatusOr<PaymentPlan> PlanPaymentUpdate(const Order& order, const PaymentUpdate& update,
                                              LockVariants lock) {
  const Payment& current = order.payment;
  const ProviderPayment& told = update.payment;
  if (!current.reference.empty() && !told.reference.empty() &&
      current.reference != told.reference) {
    return PaymentMismatch("another payment reference");
  }
  if (!(told.amount == current.amount)) return PaymentMismatch("amount or currency");
  if (told.refunded.minor_units != 0 &&
      (told.refunded.currency != current.amount.currency || told.refunded.minor_units < 0 ||
       told.refunded.minor_units > current.amount.minor_units)) {
    return PaymentMismatch("refunded amount");
  }
  PaymentPlan plan;
  plan.order = order;
  Payment& next = plan.order.payment;
  if (next.reference.empty() && !told.reference.empty()) {
    next.reference = told.reference;
    plan.changed = true;
  }
  if (told.refunded.minor_units > next.refunded.minor_units) {
    next.refunded = told.refunded;
    plan.changed = true;
  }
  if (PaymentMayMove(current.state, told.state)) {
    next.state = told.state;
    plan.changed = true;
    if (PaymentMayMakePaid(order, told)) {  // a pending or expired order
      if (order.status == OrderStatus::kPending) {
        plan.order.status = OrderStatus::kPaid;
        plan.became_paid = true;
      } else {
        auto retaken = RetakeStock(order, lock);
        if (retaken.ok()) {
          plan.stock_changes = *std::move(retaken);
          plan.order.status = OrderStatus::kPaid;
          plan.became_paid = true;
        } else if (absl::IsFailedPrecondition(retaken.status())) {
          WS_ASSIGN_OR_RETURN(plan.order.refund_due, Add(plan.order.refund_due, told.amount));
        } else {
          return retaken.status();
        }
      }
    } else if (MoneyTaken(told.state) && !MoneyTaken(current.state) &&
               order.status == OrderStatus::kCancelled) {
      WS_ASSIGN_OR_RETURN(plan.order.refund_due, Add(plan.order.refund_due, told.amount));
    }
    // Otherwise already paid (recorded by staff, then told by the provider).
  }
  if (plan.changed) plan.order.updated_at = update.now;
  return plan;
}

absl::StatusOr<RefundPlan> PlanRefund(const Order& order, const RefundRequest& request,
                                      LockVariants lock) {
  if (order.status != OrderStatus::kPaid && order.status != OrderStatus::kShipped &&
      order.status != OrderStatus::kDelivered) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition,
                     absl::StrCat("a ", OrderStatusName(order.status), " order cannot be refunded"),
                     "status");
  }
  RefundPlan plan;
  plan.order = order;
  plan.amount = Money{0, order.total.currency};
  std::vector<RefundRequest::Line> lines = request.lines;
  int64_t units_left = 0;
  for (const OrderLine& l : order.lines) units_left += l.quantity - l.refunded_quantity;
  if (static_cast<int64_t>(lines.size()) > units_left) {
    // Each line refunds at least one unit: more lines than units cannot be met.
    return InvalidField("lines",
                        absl::StrCat("more lines than the ", units_left, " units left to refund"));
  }
  if (lines.empty()) {
    for (const OrderLine& l : order.lines) {
      if (l.quantity > l.refunded_quantity) {
        lines.push_back({l.variant_id, l.quantity - l.refunded_quantity});
      }
    }
  }
  std::vector<VariantId> ids;
  for (const RefundRequest::Line& want : lines) {
    auto it = std::find_if(plan.order.lines.begin(), plan.order.lines.end(),
                           [&](const OrderLine& l) { return l.variant_id == want.variant_id; });
    if (it == plan.order.lines.end()) {
      return InvalidField("lines.variant_id", "the order has no such line");
    }
    if (want.quantity < 1 || want.quantity > it->quantity - it->refunded_quantity) {
      return InvalidField("lines.quantity",
                          absl::StrCat("must be 1 to ", it->quantity - it->refunded_quantity,
                                       " (what is left to refund of ", it->sku, ")"));
    }
    it->refunded_quantity += want.quantity;
    WS_ASSIGN_OR_RETURN(Money value, Multiply(it->unit_price, want.quantity));
    WS_ASSIGN_OR_RETURN(plan.amount, Add(plan.amount, value));
    ids.push_back(want.variant_id);
  }
  if (plan.amount.minor_units == 0) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition,
                     "nothing is left to refund", "lines");
  }
  if (request.restock) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<LockedVariant> locked;
    WS_RETURN_IF_ERROR(lock(ids, &locked));
    for (const RefundRequest::Line& want : lines) {
      auto it = std::find_if(locked.begin(), locked.end(), [&](const LockedVariant& v) {
        return v.variant.id == want.variant_id;
      });
      if (it == locked.end()) continue;  // the variant is gone: nothing to restock
      int64_t after;
      if (__builtin_add_overflow(it->variant.stock, want.quantity, &after)) {
        return InvalidField("lines.quantity", "stock would overflow");
      }
      plan.stock_changes.push_back(
          StockChange{it->variant.product_id, it->variant.id, after, it->variant.stock});
      it->variant.stock = after;
    }
  }
  const bool all =
      std::all_of(plan.order.lines.begin(), plan.order.lines.end(),
                  [](const OrderLine& l) { return l.refunded_quantity == l.quantity; });
  if (all) plan.order.status = OrderStatus::kRefunded;
  WS_ASSIGN_OR_RETURN(plan.order.refund_due, Add(plan.order.refund_due, plan.amount));
  plan.order.updated_at = request.now;
  return plan;
}

absl::StatusOr<Order> PlanSettleRefund(const Order& order, const Money& amount, absl::Time now) {
  if (amount.currency != order.refund_due.currency || amount.minor_units <= 0 ||
      amount.minor_units > order.refund_due.minor_units) {
    return PaymentMismatch("the refund exceeds what is due");
  }
  Order settled = order;
  settled.refund_due.minor_units -= amount.minor_units;
  settled.payment.refunded =
      Money{order.payment.refunded.minor_units + amount.minor_units, order.payment.amount.currency};
  if (settled.payment.refunded.minor_units >= settled.payment.amount.minor_units) {
    settled.payment.state = PaymentState::kRefunded;
  }
  settled.updated_at = now;
  return settled;
}

absl::Status CheckUnpaidOrderCaps(const NewOrder& request, int64_t pending_of_buyer,
                                  int64_t pending_from_address) {
  if ((request.max_unpaid_per_buyer > 0 && pending_of_buyer >= request.max_unpaid_per_buyer) ||
      (request.max_unpaid_per_address > 0 && !request.placed_from.empty() &&
       pending_from_address >= request.max_unpaid_per_address)) {
    return MakeError(absl::StatusCode::kResourceExhausted, reason::kTooManyUnpaidOrders,
                     "too many unpaid orders: pay or cancel one first");
  }
  return absl::OkStatus();
}

absl::StatusOr<Order> PlanAttachPayment(const Order& order, const ProviderPayment& payment) {
  const Payment& p = order.payment;
  if (payment.reference.empty() || (!p.reference.empty() && p.reference != payment.reference) ||
      !(payment.amount == p.amount)) {
    return PaymentMismatch("another reference or amount");
  }
  Order attached = order;
  if (p.reference.empty()) {
    attached.payment.reference = payment.reference;
    attached.payment.client_secret = payment.client_secret;
  }
  return attached;
}

std::string LineTitle(const LockedVariant& v) {
  std::string t = absl::StrCat(v.brand, " ", v.model);
  std::vector<absl::string_view> opts;
  for (const std::string* s : {&v.variant.dial_color, &v.variant.strap, &v.variant.size}) {
    if (!s->empty()) opts.push_back(*s);
  }
  if (!opts.empty()) absl::StrAppend(&t, " (", absl::StrJoin(opts, ", "), ")");
  return t;
}

std::string CheckoutFingerprint(const ShippingAddress& s) {
  std::string canonical = "checkout/v1";
  for (const std::string* f : {&s.name, &s.line1, &s.line2, &s.city, &s.postal_code, &s.country}) {
    absl::StrAppend(&canonical, "|", f->size(), ":", *f);
  }
  return internal::Sha256Hex(canonical);
}

}  // namespace watchstore
