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

OrdersImpl::OrdersImpl(const Context& ctx, CatalogImpl* catalog)
    : ctx_(ctx),
      catalog_(catalog),
      provider_(ctx.options->payments.provider
                    ? ctx.options->payments.provider
                    : std::shared_ptr<PaymentProvider>(NewManualPaymentProvider())) {}

absl::StatusOr<CheckoutResult> OrdersImpl::Checkout(const Principal& buyer,
                                                    const CheckoutRequest& request) {
  const std::string& key = request.idempotency_key;
  if (key.empty() || key.size() > 255 ||
      !std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; })) {
    return InvalidField("Idempotency-Key", "must be 1 to 255 printable ASCII characters");
  }
  WS_RETURN_IF_ERROR(ValidateShipping(request.shipping));
  if (request.fingerprint.size() > 128) return InvalidField("fingerprint", "too long");

  const bool guest = buyer.user_id == 0;
  const PaymentOptions& pay = ctx_.options->payments;
  NewOrder order;
  order.user_id = buyer.user_id;
  order.idempotency_key = key;
  order.request_fingerprint =
      request.fingerprint.empty() ? CheckoutFingerprint(request.shipping) : request.fingerprint;
  order.now = ctx_.clock->Now();
  CartOwner cart;
  std::string recipient;
  std::string access_token;
  if (guest) {
    if (request.guest_cart_token.empty()) {
      return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated,
                       "log in, or check out the guest cart with an email address");
    }
    if (!IsWellFormedToken(request.guest_cart_token)) {
      return InvalidField("cart_token", "is not a cart token");
    }
    WS_ASSIGN_OR_RETURN(recipient, NormalizeEmail(request.guest_email));
    cart = CartOwner::ForGuest(Sha256Hex(request.guest_cart_token));
    // The link is derived from the cart's secret token, so a replay gives
    // the same link back while only its hash is stored.
    access_token = DeriveToken(request.guest_cart_token, absl::StrCat("order-link/v1|", key));
    order.guest_cart_hash = cart.guest_token_hash;
    order.guest_email = recipient;
    order.access_token_hash = Sha256Hex(access_token);
    order.request_fingerprint = Sha256Hex(absl::StrCat(order.request_fingerprint, "|", recipient));
  } else {
    cart = CartOwner::ForUser(buyer.user_id);
    // The stored address, not the session's copy (it may predate an e-mail change).
    WS_ASSIGN_OR_RETURN(User user, ctx_.storage->GetUserById(buyer.user_id));
    if (ctx_.options->mail.require_verified_email_for_checkout &&
        !user.email_verified_at.has_value()) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kEmailUnverified,
                       "confirm your email address before checking out");
    }
    recipient = user.email;
  }
  // The cart from Storage, never from a cache (the order rules sum lines).
  WS_ASSIGN_OR_RETURN(auto items, ctx_.storage->GetCart(cart));
  for (const CartItem& item : items) order.lines.push_back({item.variant_id, item.quantity});
  order.currency = ctx_.options->currency;
  order.shipping = request.shipping;
  order.clear_user_cart = true;
  order.payment_provider = std::string(provider_->Name());
  order.reserved_until =
      order.now + (provider_->NotifiesPayment() ? pay.card_reservation : pay.manual_reservation);
  order.placed_from = request.client_address;
  order.max_unpaid_per_buyer = pay.max_unpaid_per_buyer;
  order.max_unpaid_per_address = pay.max_unpaid_per_address;
  PayloadFields placed_fields;
  if (guest) placed_fields.push_back({"token", access_token});
  order.outbox.push_back(NewDraft(mail_kind::kOrderPlaced, recipient, placed_fields, order.now));

  // One checkout per buyer and key at a time in this process, payment
  // creation included.
  const auto in_flight_key =
      std::make_pair(buyer.user_id, guest ? absl::StrCat(cart.guest_token_hash, "|", key) : key);
  {
    MutexLock lock(&in_flight_mu_);
    if (!in_flight_.insert(in_flight_key).second) {
      return MakeError(absl::StatusCode::kAborted, reason::kIdempotencyInFlight,
                       "a checkout with this Idempotency-Key is still being processed",
                       "Idempotency-Key");
    }
  }
  auto placed_or = PlaceAndCreatePayment(order, recipient);
  {
    MutexLock lock(&in_flight_mu_);
    in_flight_.erase(in_flight_key);
  }
  WS_ASSIGN_OR_RETURN(CheckoutResult result, std::move(placed_or));
  if (guest) result.access_token = std::move(access_token);
  return result;
}

absl::StatusOr<CheckoutResult> OrdersImpl::PlaceAndCreatePayment(const NewOrder& order,
                                                                 absl::string_view recipient) {
  WS_ASSIGN_OR_RETURN(PlaceOrderResult placed, ctx_.storage->PlaceOrder(order));
  catalog_->AfterStockChanges(placed.stock_changes);
  // The payment is made once per order: also on a replay whose first attempt
  // did not get this far (the provider's idempotency key is the order's).
  Order& o = placed.order;
  if (o.payment.reference.empty() && !o.payment.provider.empty() &&
      o.status == OrderStatus::kPending) {
    CreatePaymentRequest r;
    r.order_id = o.id;
    r.order_number = o.number;
    r.amount = o.payment.amount;
    r.buyer_email = std::string(recipient);
    r.idempotency_key =
        absl::StrCat("watchstore-order-", o.id, "-", absl::ToUnixNanos(o.created_at));
    auto created = provider_->CreatePayment(r);
    if (!created.ok()) {
      return MakeError(
          absl::StatusCode::kUnavailable, reason::kPaymentUnavailable,
          absl::StrCat("the order is placed but the payment provider did not answer (",
                       created.status().message(), "): retry with the same Idempotency-Key"));
    }
    WS_ASSIGN_OR_RETURN(o, ctx_.storage->AttachPayment(o.id, *created));
  }
  return CheckoutResult{std::move(o), placed.replayed, {}};
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

absl::StatusOr<Order> OrdersImpl::GetOrderByLink(absl::string_view access_token) {
  if (!IsWellFormedToken(access_token)) return NoSuchOrder();
  auto order = ctx_.storage->GetOrderByAccessToken(Sha256Hex(access_token));
  if (!order.ok()) return absl::IsNotFound(order.status()) ? NoSuchOrder() : order.status();
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

absl::StatusOr<std::string> OrdersImpl::RecipientOf(const Order& order) {
  if (order.user_id == 0) return order.guest_email;
  WS_ASSIGN_OR_RETURN(User buyer, ctx_.storage->GetUserById(order.user_id));
  return buyer.email;
}

absl::StatusOr<Order> OrdersImpl::Move(const Order& current, OrderStatus to,
                                       const PayloadFields& notice) {
  WS_RETURN_IF_ERROR(CheckTransition(current, current.status, to));
  const absl::Time now = ctx_.clock->Now();
  std::vector<OutboxDraft> outbox;
  absl::string_view kind = to == OrderStatus::kShipped     ? mail_kind::kOrderShipped
                           : to == OrderStatus::kCancelled ? mail_kind::kOrderCancelled
                                                           : absl::string_view();
  if (!kind.empty()) {
    WS_ASSIGN_OR_RETURN(std::string recipient, RecipientOf(current));
    OutboxDraft d = NewDraft(kind, recipient, notice, now);
    d.order_id = current.id;
    outbox.push_back(std::move(d));
  }
  WS_ASSIGN_OR_RETURN(TransitionResult moved,
                      ctx_.storage->TransitionOrder(current.id, current.status, to, now, outbox));
  catalog_->AfterStockChanges(moved.stock_changes);
  Order& o = moved.order;
  if (to == OrderStatus::kCancelled) {
    if (current.status == OrderStatus::kPending) {
      CancelAtProvider(o);
    } else if (o.refund_due.minor_units > 0) {
      // Staff cancelled a paid order: give the money back now if the
      // provider answers, else the next maintenance run does.
      auto settled = SettleRefunds(o);
      if (settled.ok()) o = *std::move(settled);
    }
  }
  return std::move(o);
}

void OrdersImpl::CancelAtProvider(const Order& order) {
  // A payment already made is not lost: its notification finds the order
  // cancelled (or expired) and the amount becomes refund_due.
  if (provider_->NotifiesPayment() && !order.payment.reference.empty() &&
      order.payment.provider == provider_->Name()) {
    provider_->CancelPayment(order.payment.reference).IgnoreError();
  }
}

absl::StatusOr<Order> OrdersImpl::CancelOrder(const Principal& actor, OrderId id) {
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(actor, id));
  if (order.status == OrderStatus::kPaid && !actor.is_admin()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOrderPaid,
                     "this order is paid: ask the store to cancel it");
  }
  return Move(order, OrderStatus::kCancelled, {});
}

absl::StatusOr<Order> OrdersImpl::CancelOrderByLink(absl::string_view access_token) {
  WS_ASSIGN_OR_RETURN(Order order, GetOrderByLink(access_token));
  if (order.status == OrderStatus::kPaid) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOrderPaid,
                     "this order is paid: ask the store to cancel it");
  }
  return Move(order, OrderStatus::kCancelled, {});
}

absl::StatusOr<Order> OrdersImpl::TransitionOrder(const Principal& admin, OrderId id,
                                                  OrderStatus to) {
  WS_RETURN_IF_ERROR(RequireAdmin(admin));
  if (to == OrderStatus::kPaid) return RecordPayment(admin, id);
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(admin, id));
  if (to == OrderStatus::kExpired || to == OrderStatus::kRefunded) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition,
                     to == OrderStatus::kExpired ? "orders expire by themselves"
                                                 : "refund an order through its refunds",
                     "status");
  }
  return Move(order, to, {});
}

absl::StatusOr<OutboxDraft> OrdersImpl::PaidNotice(const Order& order) {
  WS_ASSIGN_OR_RETURN(std::string recipient, RecipientOf(order));
  OutboxDraft d = NewDraft(mail_kind::kOrderPaid, recipient, {}, ctx_.clock->Now());
  d.order_id = order.id;
  return d;
}

absl::StatusOr<PaymentUpdateResult> OrdersImpl::ApplyPayment(const Order& order,
                                                             std::string event_id,
                                                             const ProviderPayment& told) {
  PaymentUpdate u;
  u.order_id = order.id;
  u.event_id = std::move(event_id);
  u.payment = told;
  u.now = ctx_.clock->Now();
  if (PaymentMayMakePaid(order, told)) {  // not for a duplicate or a late event
    WS_ASSIGN_OR_RETURN(OutboxDraft paid, PaidNotice(order));
    u.outbox_if_paid.push_back(std::move(paid));
  }
  WS_ASSIGN_OR_RETURN(PaymentUpdateResult r, ctx_.storage->ApplyPaymentUpdate(u));
  catalog_->AfterStockChanges(r.stock_changes);
  if (r.order.refund_due.minor_units > 0) {
    // A payment for an order that can no longer be filled: give it back now
    // if the provider answers, else the next maintenance run does.
    auto settled = SettleRefunds(r.order);
    if (settled.ok()) r.order = *std::move(settled);
  }
  return r;
}

absl::StatusOr<Order> OrdersImpl::RecordPayment(const Principal& admin, OrderId id) {
  WS_RETURN_IF_ERROR(RequireAdmin(admin));
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(admin, id));
  if (!order.payment.provider.empty() && order.payment.provider != "manual") {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition,
                     absl::StrCat("a ", order.payment.provider,
                                  " payment is confirmed by the provider, not by hand"),
                     "status");
  }
  if (order.status != OrderStatus::kPending && order.status != OrderStatus::kExpired) {
    WS_RETURN_IF_ERROR(CheckTransition(order.status, order.status, OrderStatus::kPaid));
  }
  ProviderPayment told;
  told.reference = order.payment.reference.empty() ? order.number : order.payment.reference;
  told.order_id = order.id;
  told.state = PaymentState::kCaptured;
  told.amount = order.payment.amount;
  told.refunded = order.payment.refunded;
  WS_ASSIGN_OR_RETURN(PaymentUpdateResult r, ApplyPayment(order, "", told));
  return std::move(r.order);
}

absl::StatusOr<PaymentUpdateResult> OrdersImpl::HandlePaymentNotification(
    absl::string_view body, absl::string_view signature_header) {
  WS_ASSIGN_OR_RETURN(PaymentEvent event,
                      provider_->VerifyNotification(body, signature_header, ctx_.clock->Now()));
  auto order = ctx_.storage->GetOrderByPaymentReference(provider_->Name(), event.payment.reference);
  if (absl::IsNotFound(order.status()) && event.payment.order_id > 0) {
    // The notification may overtake the checkout that records the
    // reference: the provider's copy of the order id finds the order, if
    // that order's payment is with this provider and not another payment.
    order = ctx_.storage->GetOrder(event.payment.order_id);
    if (order.ok() && (order->payment.provider != provider_->Name() ||
                       (!order->payment.reference.empty() &&
                        order->payment.reference != event.payment.reference))) {
      order = NoSuchOrder();
    }
  }
  if (!order.ok()) return absl::IsNotFound(order.status()) ? NoSuchOrder() : order.status();
  return ApplyPayment(*order, std::move(event.event_id), event.payment);
}

absl::StatusOr<Order> OrdersImpl::RefreshPayment(const Principal& viewer, OrderId id,
                                                 absl::string_view access_token) {
  WS_ASSIGN_OR_RETURN(Order order,
                      access_token.empty() ? GetOrder(viewer, id) : GetOrderByLink(access_token));
  if (!access_token.empty() && order.id != id) return NoSuchOrder();
  if (!provider_->NotifiesPayment() || order.payment.provider != provider_->Name() ||
      order.payment.reference.empty()) {
    return order;  // nothing the provider could tell
  }
  auto told = provider_->GetPayment(order.payment.reference);
  if (!told.ok()) {
    return MakeError(
        absl::StatusCode::kUnavailable, reason::kPaymentUnavailable,
        absl::StrCat("the payment provider did not answer: ", told.status().message()));
  }
  WS_ASSIGN_OR_RETURN(PaymentUpdateResult r, ApplyPayment(order, "", *told));
  return std::move(r.order);
}

absl::StatusOr<Order> OrdersImpl::RefundOrder(const Principal& admin,
                                              const RefundRequest& request) {
  WS_RETURN_IF_ERROR(RequireAdmin(admin));
  WS_ASSIGN_OR_RETURN(Order order, GetOrder(admin, request.order_id));
  RefundRequest r = request;
  r.now = ctx_.clock->Now();
  r.outbox.clear();
  WS_ASSIGN_OR_RETURN(TransitionResult refunded, ctx_.storage->RefundOrder(r));
  catalog_->AfterStockChanges(refunded.stock_changes);
  auto settled = SettleRefunds(refunded.order);
  // The refund is recorded either way; a provider that did not answer is
  // asked again by the next maintenance run (refund_due shows it).
  return settled.ok() ? *std::move(settled) : std::move(refunded.order);
}

absl::StatusOr<Order> OrdersImpl::SettleRefunds(const Order& order) {
  if (order.refund_due.minor_units <= 0) return order;
  const Money due = order.refund_due;
  if (order.payment.provider == provider_->Name() && !order.payment.reference.empty()) {
    // The same refund, retried, carries the same key: never paid out twice.
    const std::string key = absl::StrCat("watchstore-refund-", order.id, "-",
                                         order.payment.refunded.minor_units, "-", due.minor_units);
    auto given = provider_->Refund(order.payment.reference, due, key);
    if (!given.ok()) {
      return MakeError(absl::StatusCode::kUnavailable, reason::kPaymentUnavailable,
                       absl::StrCat("the refund is recorded but the payment provider did not "
                                    "answer: ",
                                    given.status().message()));
    }
  }
  // Orders from before payments, or paid by hand: staff pay back by hand.
  return ctx_.storage->SettleRefund(order.id, due, ctx_.clock->Now());
}

absl::StatusOr<PaymentMaintenanceReport> OrdersImpl::RunPaymentMaintenance() {
  constexpr int kBatch = 100;
  PaymentMaintenanceReport report;
  for (int round = 0; round < 20; ++round) {
    WS_ASSIGN_OR_RETURN(auto expired, ctx_.storage->ExpireReservations(ctx_.clock->Now(), kBatch));
    for (const TransitionResult& t : expired) {
      catalog_->AfterStockChanges(t.stock_changes);
      CancelAtProvider(t.order);
    }
    report.expired += static_cast<int64_t>(expired.size());
    if (expired.size() < kBatch) break;
  }
  OrderQuery due;
  due.refund_due_only = true;
  due.limit = kBatch;
  WS_ASSIGN_OR_RETURN(OrderPage page, ctx_.storage->ListOrders(due));
  for (const Order& o : page.items) {
    if (SettleRefunds(o).ok()) {
      ++report.refunds_settled;
    } else {
      ++report.errors;
    }
  }
  return report;
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
      order, OrderStatus::kShipped,
      {{"carrier", std::string(carrier)}, {"tracking_number", std::string(tracking_number)}});
}

}  // namespace watchstore::internal
