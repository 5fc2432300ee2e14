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
  order.status = OrderStatus::kPending;
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
