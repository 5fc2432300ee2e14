#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto.h"
#include "mail_payload.h"
#include "services.h"
#include "watchstore/errors.h"
#include "watchstore/mail.h"
#include "watchstore/order_rules.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal {
namespace {

absl::Status NoSuchOrder() {
  return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such order", "id");
}

absl::Status ValidateShipping(const ShippingAddress& s) {
  auto check = [](absl::string_view field, const std::string& v, size_t min, size_t max) {
    if (v.size() < min || v.size() > max) {
      return InvalidField(field, min > 0 ? absl::StrCat("must be ", min, " to ", max, " bytes")
                                         : absl::StrCat("must be at most ", max, " bytes"));
    }
    for (char c : v) {
      if (static_cast<unsigned char>(c) < 0x20)
        return InvalidField(field, "has control characters");
    }
    return absl::OkStatus();
  };
  WS_RETURN_IF_ERROR(check("shipping.name", s.name, 1, 100));
  WS_RETURN_IF_ERROR(check("shipping.line1", s.line1, 1, 200));
  WS_RETURN_IF_ERROR(check("shipping.line2", s.line2, 0, 200));
  WS_RETURN_IF_ERROR(check("shipping.city", s.city, 1, 100));
  WS_RETURN_IF_ERROR(check("shipping.postal_code", s.postal_code, 1, 20));
  if (s.country.size() != 2 || !std::all_of(s.country.begin(), s.country.end(),
                                            [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return InvalidField("shipping.country", "must be an ISO 3166-1 alpha-2 code such as US");
  }
  return absl::OkStatus();
}

absl::Status ValidateLimit(int limit) {
  if (limit < 1 || limit > 100) return InvalidField("limit", "must be between 1 and 100");
  return absl::OkStatus();
}

}  // namespace

OrdersImpl::OrdersImpl(const Context& ctx, CatalogImpl* catalog) : ctx_(ctx), catalog_(catalog) {}

absl::StatusOr<CheckoutResult> OrdersImpl::Checkout(const Principal& buyer,
                                                    const CheckoutRequest& request) {
  if (buyer.user_id == 0) {
    return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated, "log in first");
  }
  const std::string& key = request.idempotency_key;
  if (key.empty() || key.size() > 255 ||
      !std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; })) {
    return InvalidField("Idempotency-Key", "must be 1 to 255 printable ASCII characters");
  }
  WS_RETURN_IF_ERROR(ValidateShipping(request.shipping));
  if (request.fingerprint.size() > 128) return InvalidField("fingerprint", "too long");

  NewOrder order;
  order.user_id = buyer.user_id;
  order.idempotency_key = key;
  order.request_fingerprint =
      request.fingerprint.empty() ? CheckoutFingerprint(request.shipping) : request.fingerprint;
  // The cart from Storage, never from a cache (the order rules sum lines).
  WS_ASSIGN_OR_RETURN(auto items, ctx_.storage->GetCart(CartOwner::ForUser(buyer.user_id)));
  for (const CartItem& item : items) order.lines.push_back({item.variant_id, item.quantity});
  order.currency = ctx_.options->currency;
  order.shipping = request.shipping;
  order.clear_user_cart = true;
  order.now = ctx_.clock->Now();
  // The stored address, not the session's copy (it may predate an e-mail change).
  WS_ASSIGN_OR_RETURN(User user, ctx_.storage->GetUserById(buyer.user_id));
  if (ctx_.options->mail.require_verified_email_for_checkout &&
      !user.email_verified_at.has_value()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kEmailUnverified,
                     "confirm your email address before checking out");
  }
  order.outbox.push_back(NewDraft(mail_kind::kOrderPlaced, user.email, {}, order.now));

  {
    MutexLock lock(&in_flight_mu_);
    if (!in_flight_.emplace(buyer.user_id, key).second) {
      return MakeError(absl::StatusCode::kAborted, reason::kIdempotencyInFlight,
                       "a checkout with this Idempotency-Key is still being processed",
                       "Idempotency-Key");
    }
  }
  auto placed_or = ctx_.storage->PlaceOrder(order);
  {
    MutexLock lock(&in_flight_mu_);
    in_flight_.erase(std::make_pair(buyer.user_id, key));
  }
  WS_ASSIGN_OR_RETURN(PlaceOrderResult placed, std::move(placed_or));
  catalog_->AfterStockChanges(placed.stock_changes);
  return CheckoutResult{std::move(placed.order), placed.replayed};
}

int64_t OrdersImpl::CheckoutsInFlight() const {
  MutexLock lock(&in_flight_mu_);
  return static_cast<int64_t>(in_flight_.size());
}

absl::StatusOr<Order> OrdersImpl::GetOrder(const Principal& viewer, OrderId id) {
  if (viewer.user_id == 0) {
    return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated, "log in first");
  }
  auto order = id > 0 ? ctx_.storage->GetOrder(id) : absl::StatusOr<Order>(NoSuchOrder());
  if (!order.ok()) return absl::IsNotFound(order.status()) ? NoSuchOrder() : order.status();
  // Another user's order does not exist as far as this viewer can tell.
  if (order->user_id != viewer.user_id && !viewer.is_admin()) return NoSuchOrder();
  return order;
}

absl::StatusOr<OrderPage> OrdersImpl::ListMyOrders(const Principal& viewer, int limit,
                                                   std::optional<OrderId> before_id) {
  if (viewer.user_id == 0) {
    return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated, "log in first");
  }
  WS_RETURN_IF_ERROR(ValidateLimit(limit));
  OrderQuery q;
  q.user_id = viewer.user_id;
  q.limit = limit;
  q.before_id = before_id;
  return ctx_.storage->ListOrders(q);
}

absl::StatusOr<OrderPage> OrdersImpl::ListAllOrders(const Principal& admin,
                                                    const OrderQuery& query) {
  WS_RETURN_IF_ERROR(RequireAdmin(admin));
  WS_RETURN_IF_ERROR(ValidateLimit(query.limit));
  return ctx_.storage->ListOrders(query);
}

absl::StatusOr<Order> OrdersImpl::Move(OrderId id, OrderStatus to, const PayloadFields& notice) {
  WS_ASSIGN_OR_RETURN(Order current, ctx_.storage->GetOrder(id));
  WS_RETURN_IF_ERROR(CheckTransition(current.status, current.status, to));
  const absl::Time now = ctx_.clock->Now();
  std::vector<OutboxDraft> outbox;
  absl::string_view kind = to == OrderStatus::kPaid        ? mail_kind::kOrderPaid
                           : to == OrderStatus::kShipped   ? mail_kind::kOrderShipped
                           : to == OrderStatus::kCancelled ? mail_kind::kOrderCancelled
                                                           : absl::string_view();
  if (!kind.empty()) {
    WS_ASSIGN_OR_RETURN(User buyer, ctx_.storage->GetUserById(current.user_id));
    OutboxDraft d = NewDraft(kind, buyer.email, notice, now);
    d.order_id = id;
    outbox.push_back(std::move(d));
  }
  WS_ASSIGN_OR_RETURN(TransitionResult moved,
                      ctx_.storage->TransitionOrder(id, current.status, to, now, outbox));
  catalog_->AfterStockChanges(moved.stock_changes);
  return std::move(moved.order);
}

absl::StatusOr<Order> OrdersImpl::CancelOrder(const Principal& actor, OrderId id) {
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(actor, id));
  if (order.status == OrderStatus::kPaid && !actor.is_admin()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOrderPaid,
                     "this order is paid: ask the store to cancel it");
  }
  return Move(order.id, OrderStatus::kCancelled, {});
}

absl::StatusOr<Order> OrdersImpl::TransitionOrder(const Principal& admin, OrderId id,
                                                  OrderStatus to) {
  WS_RETURN_IF_ERROR(RequireAdmin(admin));
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(admin, id));
  return Move(order.id, to, {});
}

absl::StatusOr<Order> OrdersImpl::ShipOrder(const Principal& admin, OrderId id,
                                            absl::string_view carrier,
                                            absl::string_view tracking_number) {
  WS_RETURN_IF_ERROR(RequireAdmin(admin));
  auto printable = [](absl::string_view v) {
    return v.size() <= 100 &&
           std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c != 0x7f; });
  };
  if (!printable(carrier)) return InvalidField("carrier", "must be at most 100 printable bytes");
  if (!printable(tracking_number)) {
    return InvalidField("tracking_number", "must be at most 100 printable bytes");
  }
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(admin, id));
  return Move(
      order.id, OrderStatus::kShipped,
      {{"carrier", std::string(carrier)}, {"tracking_number", std::string(tracking_number)}});
}

}  // namespace watchstore::internal
