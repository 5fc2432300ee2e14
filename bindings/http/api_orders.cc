// /api/v1/orders and /api/v1/admin/orders: checkout (idempotent), history,
// cancellation, and the staff's status changes.
#include "absl/strings/str_cat.h"
#include "api.h"
#include "api_internal.h"
#include "client_address.h"
#include "problem.h"
#include "render.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::http {
namespace {

constexpr size_t kMaxAddressField = 1000;
constexpr absl::string_view kStatusNames =
    "must be one of pending, paid, shipped, delivered, cancelled, expired, refunded";

// The checkout body: {"shipping": {...}, "email": "..."}; the e-mail only
// for a guest checkout.
absl::Status ReadCheckout(const JsonDocument& doc, CheckoutRequest* c) {
  ObjectReader body(doc, "");
  const JsonValue* shipping = body.Object("shipping", ObjectReader::kRequired);
  body.String("email", &c->guest_email, ObjectReader::kOptional, 320);
  WS_RETURN_IF_ERROR(body.Finish());
  ObjectReader r(*shipping, "shipping");
  ShippingAddress* s = &c->shipping;
  r.String("name", &s->name, ObjectReader::kRequired, kMaxAddressField);
  r.String("line1", &s->line1, ObjectReader::kRequired, kMaxAddressField);
  r.String("line2", &s->line2, ObjectReader::kOptional, kMaxAddressField);
  r.String("city", &s->city, ObjectReader::kRequired, kMaxAddressField);
  r.String("postal_code", &s->postal_code, ObjectReader::kRequired, kMaxAddressField);
  r.String("country", &s->country, ObjectReader::kRequired, kMaxAddressField);
  return r.Finish();
}

// The request's identity for idempotency: the SHA-256 of its canonical form
// (field by field, length-prefixed), so formatting and key order do not count.
void WriteOrderPage(JsonOut& out, const OrderPage& page) {
  out.StartObject();
  out.Key("items");
  out.StartArray();
  for (const Order& o : page.items) WriteOrder(out, o);
  out.EndArray();
  out.Key("next_before");
  if (page.has_more && !page.items.empty()) {
    out.Int64(page.items.back().id);
  } else {
    out.Null();
  }
  out.EndObject();
}

}  // namespace

absl::Status Api::Checkout(Call& call) {
  // A logged-in buyer checks out their cart; anyone else their guest cart,
  // with an e-mail address.
  std::optional<Principal> user = OptionalUser(call);
  if (call.req.header_count("Idempotency-Key") != 1) {
    return InvalidField("Idempotency-Key",
                        "send exactly one Idempotency-Key header (1 to 255 printable ASCII)");
  }
  const std::string key(*call.req.header("Idempotency-Key"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  CheckoutRequest request;
  WS_RETURN_IF_ERROR(ReadCheckout(*doc, &request));
  request.idempotency_key = key;
  request.client_address = ClientKey(call.req.client_address());
  if (!user) {
    std::optional<absl::string_view> cart = call.req.header("X-Cart-Token");
    if (!cart) cart = call.cart_cookie;
    if (cart) request.guest_cart_token = std::string(*cart);
    if (request.guest_cart_token.empty()) {
      return MakeError(absl::StatusCode::kUnauthenticated, watchstore::reason::kUnauthenticated,
                       "log in, or check out a guest cart with an email address");
    }
    if (request.guest_email.empty()) {
      return InvalidField("email", "a guest checkout needs an email address");
    }
  } else if (!request.guest_email.empty()) {
    return InvalidField("email", "only for a guest checkout: orders go to the account's address");
  }

  auto result = store_->orders().Checkout(user.value_or(Principal{}), request);
  if (!result.ok()) return result.status();

  JsonOut out;
  if (result->access_token.empty()) {
    WriteOrder(out, result->order, /*for_buyer=*/true);
  } else {
    // A guest's only way back to the order: the link token (also in the
    // confirmation e-mail).
    out.StartObject();
    out.Field("access_token", result->access_token);
    out.Key("order");
    WriteOrder(out, result->order, /*for_buyer=*/true);
    out.EndObject();
  }
  RenderJson(call, 201, out.Take());
  call.res->AddHeader("Location", result->access_token.empty()
                                      ? absl::StrCat("/api/v1/orders/", result->order.id)
                                      : std::string("/api/v1/guest-order"));
  if (result->replayed) call.res->AddHeader("Idempotent-Replayed", "true");
  return absl::OkStatus();
}

absl::Status Api::ListOrders(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal viewer, RequireUser(call));
  QueryReader q(call.req);
  std::optional<int64_t> limit, before;
  q.Int64("limit", &limit, 1, 100);
  q.Int64("before", &before, 1, std::numeric_limits<int64_t>::max());
  WS_RETURN_IF_ERROR(q.Finish());
  WS_ASSIGN_OR_RETURN(OrderPage page, store_->orders().ListMyOrders(
                                          viewer, static_cast<int>(limit.value_or(20)), before));
  JsonOut out;
  WriteOrderPage(out, page);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::GetOrder(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal viewer, RequireUser(call));
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().GetOrder(viewer, id));
  return RenderOrder(call, order, order.user_id == viewer.user_id);
}

absl::Status Api::CancelOrder(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_RETURN_IF_ERROR(NoBody(call));
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().CancelOrder(actor, id));
  return RenderOrder(call, order, false);
}

absl::Status Api::AdminListOrders(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal admin, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(admin));  // before the body is read
  QueryReader q(call.req);
  std::optional<std::string> status;
  std::optional<int64_t> limit, before;
  q.String("status", &status, 40);
  q.Int64("limit", &limit, 1, 100);
  q.Int64("before", &before, 1, std::numeric_limits<int64_t>::max());
  WS_RETURN_IF_ERROR(q.Finish());
  OrderQuery query;
  if (status) {
    auto s = ParseOrderStatus(*status);
    if (!s.ok()) {
      return InvalidField("status", kStatusNames);
    }
    query.status = *s;
  }
  query.limit = static_cast<int>(limit.value_or(20));
  query.before_id = before;
  WS_ASSIGN_OR_RETURN(OrderPage page, store_->orders().ListAllOrders(admin, query));
  JsonOut out;
  WriteOrderPage(out, page);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::AdminSetOrderStatus(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal admin, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(admin));  // before the body is read
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  std::string name, carrier, tracking;
  r.String("status", &name, ObjectReader::kRequired, 40);
  r.String("carrier", &carrier, ObjectReader::kOptional, 100);
  r.String("tracking_number", &tracking, ObjectReader::kOptional, 100);
  WS_RETURN_IF_ERROR(r.Finish());
  auto to = ParseOrderStatus(name);
  if (!to.ok()) {
    return InvalidField("status", kStatusNames);
  }
  if (*to != OrderStatus::kShipped && !(carrier.empty() && tracking.empty())) {
    return InvalidField("tracking_number", "only with status shipped");
  }
  WS_ASSIGN_OR_RETURN(Order order, *to == OrderStatus::kShipped
                                       ? store_->orders().ShipOrder(admin, id, carrier, tracking)
                                       : store_->orders().TransitionOrder(admin, id, *to));
  return RenderOrder(call, order, false);
}

absl::Status Api::AdminRefundOrder(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal admin, RequireUser(call));
  WS_RETURN_IF_ERROR(RequireAdmin(admin));  // before the body is read
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  RefundRequest request;
  request.order_id = id;
  r.Bool("restock", &request.restock, ObjectReader::kOptional);
  const JsonValue* lines = r.Array("lines", ObjectReader::kOptional, 100);
  WS_RETURN_IF_ERROR(r.Finish());
  if (lines != nullptr) {
    for (rapidjson::SizeType i = 0; i < lines->Size(); ++i) {
      const JsonValue& line = (*lines)[i];
      if (!line.IsObject()) return InvalidField(ElementPath("lines", i), "must be an object");
      ObjectReader lr(line, ElementPath("lines", i));
      RefundRequest::Line l;
      lr.Int64("variant_id", &l.variant_id, ObjectReader::kRequired, 1);
      lr.Int64("quantity", &l.quantity, ObjectReader::kRequired, 1);
      WS_RETURN_IF_ERROR(lr.Finish());
      request.lines.push_back(l);
    }
  }
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().RefundOrder(admin, request));
  return RenderOrder(call, order, false);
}

absl::Status Api::RefreshPayment(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal viewer, RequireUser(call));
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_RETURN_IF_ERROR(NoBody(call));
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().RefreshPayment(viewer, id, ""));
  return RenderOrder(call, order, order.user_id == viewer.user_id);
}

absl::StatusOr<std::string> Api::OrderToken(Call& call) {
  if (call.req.header_count("X-Order-Token") != 1) {
    return MakeError(absl::StatusCode::kNotFound, watchstore::reason::kNotFound,
                     "send the order's link token in one X-Order-Token header");
  }
  return std::string(*call.req.header("X-Order-Token"));
}

absl::Status Api::GuestOrder(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  WS_ASSIGN_OR_RETURN(std::string token, OrderToken(call));
  call.viewer_dependent = true;
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().GetOrderByLink(token));
  return RenderOrder(call, order, true);
}

absl::Status Api::GuestCancelOrder(Call& call) {
  WS_ASSIGN_OR_RETURN(std::string token, OrderToken(call));
  WS_RETURN_IF_ERROR(NoBody(call));
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().CancelOrderByLink(token));
  return RenderOrder(call, order, true);
}

absl::Status Api::GuestRefreshPayment(Call& call) {
  WS_ASSIGN_OR_RETURN(std::string token, OrderToken(call));
  WS_RETURN_IF_ERROR(NoBody(call));
  WS_ASSIGN_OR_RETURN(Order found, store_->orders().GetOrderByLink(token));
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().RefreshPayment(Principal{}, found.id, token));
  return RenderOrder(call, order, true);
}

absl::Status Api::PaymentConfig(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  const PaymentProvider& provider = store_->orders().payment_provider();
  JsonOut out;
  out.StartObject();
  out.Field("provider", provider.Name());
  out.Key("publishable_key");
  if (provider.Name() == "stripe" && !options_.stripe_publishable_key.empty()) {
    out.String(options_.stripe_publishable_key);
  } else {
    out.Null();
  }
  out.EndObject();
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::PaymentWebhook(Call& call) {
  // Only the configured provider has an endpoint; its signature is checked
  // over the raw body, before anything is parsed.
  const PaymentProvider& provider = store_->orders().payment_provider();
  if (call.match.params[0] != provider.Name() || !provider.NotifiesPayment()) {
    return MakeError(absl::StatusCode::kNotFound, watchstore::reason::kNotFound,
                     "no such resource");
  }
  const std::string header = std::string(call.req.header("Stripe-Signature").value_or(""));
  auto applied = store_->orders().HandlePaymentNotification(call.req.body(), header);
  JsonOut out;
  out.StartObject();
  if (!applied.ok()) {
    // Acknowledge what we do not act on, so the provider stops sending it.
    if (ReasonOf(applied.status()) != watchstore::reason::kIgnoredEvent) return applied.status();
    out.Field("ignored", true);
  } else {
    out.Field("order_id", applied->order.id);
    out.Field("status", OrderStatusName(applied->order.status));
    out.Field("duplicate", applied->duplicate);
  }
  out.EndObject();
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::RenderOrder(Call& call, const Order& order, bool for_buyer) {
  JsonOut out;
  WriteOrder(out, order, for_buyer);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

}  // namespace watchstore::http
