// /api/v1/orders and /api/v1/admin/orders: checkout (idempotent), history,
// cancellation, and the staff's status changes.
#include "absl/strings/str_cat.h"
#include "api.h"
#include "api_internal.h"
#include "problem.h"
#include "render.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::http {
namespace {

constexpr size_t kMaxAddressField = 1000;

absl::Status ReadShipping(const JsonDocument& doc, ShippingAddress* s) {
  ObjectReader body(doc, "");
  const JsonValue* shipping = body.Object("shipping", ObjectReader::kRequired);
  WS_RETURN_IF_ERROR(body.Finish());
  ObjectReader r(*shipping, "shipping");
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
  WS_ASSIGN_OR_RETURN(Principal buyer, RequireUser(call));
  if (call.req.header_count("Idempotency-Key") != 1) {
    return InvalidField("Idempotency-Key",
                        "send exactly one Idempotency-Key header (1 to 255 printable ASCII)");
  }
  const std::string key(*call.req.header("Idempotency-Key"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  CheckoutRequest request;
  WS_RETURN_IF_ERROR(ReadShipping(*doc, &request.shipping));
  request.idempotency_key = key;

  auto result = store_->orders().Checkout(buyer, request);
  if (!result.ok()) return result.status();

  JsonOut out;
  WriteOrder(out, result->order);
  RenderJson(call, 201, out.Take());
  call.res->AddHeader("Location", absl::StrCat("/api/v1/orders/", result->order.id));
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
  JsonOut out;
  WriteOrder(out, order);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::CancelOrder(Call& call) {
  WS_ASSIGN_OR_RETURN(Principal actor, RequireUser(call));
  WS_ASSIGN_OR_RETURN(int64_t id, PathId(call.match.params[0], "id"));
  WS_RETURN_IF_ERROR(NoBody(call));
  WS_ASSIGN_OR_RETURN(Order order, store_->orders().CancelOrder(actor, id));
  JsonOut out;
  WriteOrder(out, order);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
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
      return InvalidField("status", "must be one of pending, paid, shipped, delivered, cancelled");
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
    return InvalidField("status", "must be one of pending, paid, shipped, delivered, cancelled");
  }
  if (*to != OrderStatus::kShipped && !(carrier.empty() && tracking.empty())) {
    return InvalidField("tracking_number", "only with status shipped");
  }
  WS_ASSIGN_OR_RETURN(Order order, *to == OrderStatus::kShipped
                                       ? store_->orders().ShipOrder(admin, id, carrier, tracking)
                                       : store_->orders().TransitionOrder(admin, id, *to));
  JsonOut out;
  WriteOrder(out, order);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

}  // namespace watchstore::http
