#include "api.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api_internal.h"
#include "metrics.h"
#include "problem.h"
#include "render.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"
#include "watchstore/tokens.h"

namespace watchstore::http {
namespace {

constexpr absl::string_view kJsonType = "application/json";
constexpr int64_t kCsrfCookieMaxAge = 30 * 24 * 3600;

struct RouteRow {
  RouteId id;
  const char* method;
  const char* pattern;
};

constexpr RouteRow kRouteTable[] = {
    {kRegister, "POST", "/api/v1/auth/register"},
    {kLogin, "POST", "/api/v1/auth/login"},
    {kLogout, "POST", "/api/v1/auth/logout"},
    {kMe, "GET", "/api/v1/auth/me"},
    {kPasswordReset, "POST", "/api/v1/auth/password-reset"},
    {kPasswordResetConfirm, "POST", "/api/v1/auth/password-reset/confirm"},
    {kChangePassword, "POST", "/api/v1/auth/password"},
    {kChangeEmail, "POST", "/api/v1/auth/email"},
    {kVerifyEmail, "POST", "/api/v1/auth/verify-email"},
    {kResendVerification, "POST", "/api/v1/auth/verify-email/resend"},
    {kListProducts, "GET", "/api/v1/products"},
    {kProductFacets, "GET", "/api/v1/products/facets"},
    {kListCollections, "GET", "/api/v1/collections"},
    {kGetCollection, "GET", "/api/v1/collections/{slug}"},
    {kAdminPutCollection, "PUT", "/api/v1/admin/collections/{slug}"},
    {kGetProduct, "GET", "/api/v1/products/{id}"},
    {kGetProductBySku, "GET", "/api/v1/products/by-sku/{sku}"},
    {kGetProductBySlug, "GET", "/api/v1/products/by-slug/{slug}"},
    {kWatchPage, "GET", "/watches/{slug}"},
    {kCreateProduct, "POST", "/api/v1/products"},
    {kUpdateProduct, "PUT", "/api/v1/products/{id}"},
    {kArchiveProduct, "POST", "/api/v1/products/{id}/archive"},
    {kAdjustStock, "POST", "/api/v1/variants/{id}/stock"},
    {kGetCart, "GET", "/api/v1/cart"},
    {kAddCartItem, "POST", "/api/v1/cart/items"},
    {kSetCartItem, "PUT", "/api/v1/cart/items/{variant_id}"},
    {kRemoveCartItem, "DELETE", "/api/v1/cart/items/{variant_id}"},
    {kCheckout, "POST", "/api/v1/orders"},
    {kListOrders, "GET", "/api/v1/orders"},
    {kGetOrder, "GET", "/api/v1/orders/{id}"},
    {kCancelOrder, "POST", "/api/v1/orders/{id}/cancel"},
    {kAdminListOrders, "GET", "/api/v1/admin/orders"},
    {kAdminSetOrderStatus, "POST", "/api/v1/admin/orders/{id}/status"},
    {kAdminRefundOrder, "POST", "/api/v1/admin/orders/{id}/refunds"},
    {kRefreshPayment, "POST", "/api/v1/orders/{id}/payment/refresh"},
    {kGuestOrder, "GET", "/api/v1/guest-order"},
    {kGuestCancelOrder, "POST", "/api/v1/guest-order/cancel"},
    {kGuestRefreshPayment, "POST", "/api/v1/guest-order/payment/refresh"},
    {kPaymentConfig, "GET", "/api/v1/payments/config"},
    {kPaymentWebhook, "POST", "/api/v1/payments/{provider}/webhook"},
    {kHealthz, "GET", "/healthz"},
    {kReadyz, "GET", "/readyz"},
    {kMetrics, "GET", "/metrics"},
    {kBenchHello, "GET", "/bench/hello"},
};

bool IsUnsafe(absl::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// "application/json" or "application/json; charset=utf-8" (any case).
bool IsJsonContentType(absl::string_view value) {
  const size_t semi = value.find(';');
  if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(value.substr(0, semi)), kJsonType)) {
    return false;
  }
  if (semi == absl::string_view::npos) return true;
  absl::string_view params = absl::StripAsciiWhitespace(value.substr(semi + 1));
  if (params.empty()) return true;
  std::string p = absl::AsciiStrToLower(params);
  p.erase(std::remove(p.begin(), p.end(), ' '), p.end());
  return p == "charset=utf-8" || p == "charset=\"utf-8\"";
}

// Text that reaches the library (and from there SQL, cache keys and logs)
// is valid UTF-8 without control characters.
bool IsCleanText(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return IsValidUtf8(text);
}

// The decoded path and query, checked once for every route.
absl::Status CheckRequestText(const HttpRequest& req) {
  // No resource has such a name (ids are digits, SKUs and files clean text).
  if (!IsCleanText(req.path())) {
    return MakeError(absl::StatusCode::kNotFound, watchstore::reason::kNotFound,
                     "no such resource");
  }
  for (const auto& [name, value] : req.query()) {
    if (!IsCleanText(name)) {
      return MakeError(absl::StatusCode::kInvalidArgument, watchstore::reason::kValidation,
                       "query parameter names must be valid UTF-8 without control characters",
                       "query");
    }
    if (!IsCleanText(value)) {
      return InvalidField(name, "must be valid UTF-8 without control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<Route> ApiRoutes(bool include_bench_hello) {
  std::vector<Route> routes;
  for (const RouteRow& r : kRouteTable) {
    if (r.id == kBenchHello && !include_bench_hello) continue;
    routes.push_back(Route{r.id, r.method, r.pattern});
  }
  return routes;
}

std::vector<std::pair<std::string, std::string>> RouteLabels() {
  std::vector<std::pair<std::string, std::string>> labels(kLabelCount);
  for (const RouteRow& r : kRouteTable) labels[r.id] = {r.method, r.pattern};
  labels[kLabelStatic] = {"GET", "static"};
  labels[kLabelUnmatched] = {"", "unmatched"};
  labels[kLabelRejected] = {"", "rejected"};
  return labels;
}

// --- Shared helpers (api_internal.h) ----------------------------------------

absl::StatusOr<int64_t> PathId(absl::string_view segment, absl::string_view field) {
  int64_t id = 0;
  const bool digits =
      !segment.empty() && segment.size() <= 19 &&
      std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || !absl::SimpleAtoi(segment, &id) || id <= 0) {
    return MakeError(absl::StatusCode::kNotFound, watchstore::reason::kNotFound,
                     absl::StrCat("no such ", field == "id" ? "resource" : field), field);
  }
  return id;
}

QueryReader::QueryReader(const HttpRequest& req) : params_(req.query()) {
  read_.assign(params_.size(), false);
}

void QueryReader::Fail(const char* name, absl::string_view message) {
  if (status_.ok()) status_ = InvalidField(name, message);
}

const absl::string_view* QueryReader::Find(const char* name) {
  const absl::string_view* found = nullptr;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i].first != name) continue;
    read_[i] = true;
    if (found != nullptr) {
      Fail(name, "must be given at most once");
      return nullptr;
    }
    found = &params_[i].second;
  }
  return found;
}

bool QueryReader::String(const char* name, std::optional<std::string>* out, size_t max_bytes) {
  const absl::string_view* v = Find(name);
  if (!status_.ok()) return false;
  if (v == nullptr || v->empty()) return true;  // "?brand=" filters nothing
  if (v->size() > max_bytes) {
    Fail(name, absl::StrCat("must be at most ", max_bytes, " bytes"));
    return false;
  }
  *out = std::string(*v);
  return true;
}

bool QueryReader::Int64(const char* name, std::optional<int64_t>* out, int64_t min, int64_t max) {
  const absl::string_view* v = Find(name);
  if (!status_.ok()) return false;
  if (v == nullptr || v->empty()) return true;
  int64_t n = 0;
  const bool digits =
      std::all_of(v->begin(), v->end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (!digits || !absl::SimpleAtoi(*v, &n) || n < min || n > max) {
    Fail(name, absl::StrCat("must be an integer from ", min, " to ", max));
    return false;
  }
  *out = n;
  return true;
}

bool QueryReader::Bool(const char* name, bool* out) {
  const absl::string_view* v = Find(name);
  if (!status_.ok()) return false;
  if (v == nullptr || v->empty()) return true;
  if (*v == "true" || *v == "1") {
    *out = true;
  } else if (*v == "false" || *v == "0") {
    *out = false;
  } else {
    Fail(name, "must be true or false");
    return false;
  }
  return true;
}

absl::Status QueryReader::Finish() {
  if (!status_.ok()) return status_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!read_[i]) {
      return InvalidField(std::string(params_[i].first), "is not a known query parameter");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Money> ReadMoney(const JsonValue& value, const std::string& path) {
  ObjectReader r(value, path);
  int64_t amount = 0;
  std::string code;
  r.Int64("amount_minor", &amount, ObjectReader::kRequired);
  r.String("currency", &code, ObjectReader::kRequired, 3);
  WS_RETURN_IF_ERROR(r.Finish());
  auto currency = Currency::FromCode(code);
  if (!currency.ok()) {
    return InvalidField(r.PathOf("currency"), "must be an ISO 4217 code such as USD");
  }
  return Money{amount, *currency};
}

// --- Api ---------------------------------------------------------------------

Api::Api(Store* store, std::unique_ptr<StaticFiles> static_files, ApiOptions options)
    : store_(store),
      static_files_(std::move(static_files)),
      options_(std::move(options)),
      router_(ApiRoutes(options_.bench_hello)),
      registrations_(RateLimiterOptions{options_.register_per_address, options_.register_total,
                                        100000, store->options().clock}) {}

bool Api::HashesPasswords(absl::string_view method, absl::string_view target) {
  if (method != "POST") return false;
  target = target.substr(0, target.find('?'));
  return target == "/api/v1/auth/register" || target == "/api/v1/auth/login";
}

int64_t Api::checkouts_in_flight() const { return store_->orders().CheckoutsInFlight(); }

// The session a request belongs to, for read-your-writes: a hash of the
// credential that identifies it (never the credential itself); "" if none.
std::string Api::SessionKeyOf(const Call& call) {
  if (call.authorization.has_value()) return absl::StrCat("a:", Sha256Hex(*call.authorization));
  if (call.session_cookie.has_value()) return absl::StrCat("s:", Sha256Hex(*call.session_cookie));
  if (call.cart_cookie.has_value()) return absl::StrCat("c:", Sha256Hex(*call.cart_cookie));
  return "";
}

int Api::Handle(const HttpRequest& req, HttpResponse* res) {
  const absl::string_view path = req.path();
  const bool api_path = absl::StartsWith(path, "/api/");
  RouteMatch match = router_.Match(req.method(), path);
  // The operations listener serves operations only; /metrics is served
  // there and nowhere else.
  const bool operations = req.listener() == Listener::kOperations;
  if (operations) {
    const bool operational =
        match.route != nullptr &&
        (match.route->id == kHealthz || match.route->id == kReadyz || match.route->id == kMetrics);
    if (!operational) match = RouteMatch{};
  } else if (path == "/metrics") {
    match = RouteMatch{};
  }
  Call call(req, res, match);
  call.cookie_headers = req.header_values("Cookie");
  const CookiePolicy& cookies = options_.cookies;
  call.session_cookie = FindCookie(call.cookie_headers, cookies.session_name);
  call.cart_cookie = FindCookie(call.cookie_headers, cookies.cart_name);
  call.csrf_cookie = FindCookie(call.cookie_headers, cookies.csrf_name);
  call.authorization = req.header("Authorization");

  std::optional<SessionWrites::Scope> consistency;
  if (options_.session_writes != nullptr) {
    // An unsafe method may write: its session's reads go to the primary
    // during the request and for the read-your-writes window after it.
    consistency.emplace(*options_.session_writes, SessionKeyOf(call), IsUnsafe(req.method()));
  }

  int label = kLabelUnmatched;
  if (absl::Status text = CheckRequestText(req); !text.ok()) {
    RenderProblem(text, res);
  } else if (match.route != nullptr) {
    label = match.route->id;
    absl::Status status = Dispatch(match.route->id, call);
    if (!status.ok()) {
      // Nothing a failed handler set survives, but cookies it cleared.
      res->headers.erase(std::remove_if(res->headers.begin(), res->headers.end(),
                                        [](const auto& h) {
                                          return !absl::EqualsIgnoreCase(h.first, "Set-Cookie");
                                        }),
                         res->headers.end());
      res->body.clear();
      RenderProblem(status, res);
    }
  } else if (!match.allow.empty()) {
    if (req.method() == "OPTIONS") {
      res->status = 204;
      res->AddHeader("Allow", absl::StrCat(match.allow, ", OPTIONS"));
    } else {
      RenderProblem(405, reason::kMethodNotAllowed,
                    absl::StrCat(req.method(), " is not allowed here"), res);
      res->AddHeader("Allow", absl::StrCat(match.allow, ", OPTIONS"));
    }
  } else if (api_path || static_files_ == nullptr || operations) {
    RenderProblem(404, watchstore::reason::kNotFound, "no such resource", res);
  } else if (req.method() == "GET" || req.is_head()) {
    label = kLabelStatic;
    static_files_->Serve(req, res);
  } else if (req.method() == "OPTIONS") {
    res->status = 204;
    res->AddHeader("Allow", "GET, HEAD, OPTIONS");
  } else {
    RenderProblem(405, reason::kMethodNotAllowed,
                  absl::StrCat(req.method(), " is not allowed here"), res);
    res->AddHeader("Allow", "GET, HEAD, OPTIONS");
  }
  if (!res->HasHeader("Cache-Control")) res->AddHeader("Cache-Control", "no-store");
  if (absl::StartsWith(path, "/api/v1/")) MaybeIssueCsrfCookie(call);
  FinishCaching(call);
  return label;
}

void Api::FinishCaching(Call& call) {
  HttpResponse& res = *call.res;
  // A response that sets a cookie is stored by no one (a shared cache would
  // hand the cookie to the next client; a browser could replay it).
  bool sets_cookie = false;
  std::string* cache_control = nullptr;
  for (auto& [name, value] : res.headers) {
    if (absl::EqualsIgnoreCase(name, "Set-Cookie")) sets_cookie = true;
    if (absl::EqualsIgnoreCase(name, "Cache-Control")) cache_control = &value;
  }
  if (sets_cookie && cache_control != nullptr && !absl::StrContains(*cache_control, "no-store")) {
    *cache_control = "no-store";
  }
  // What a response says may depend on who asks (admins see archived
  // products): caches must key it on the credentials.
  if (call.viewer_dependent) res.AddHeader("Vary", "Authorization, Cookie");
}

absl::Status Api::Dispatch(int route, Call& call) {
  if (IsUnsafe(call.req.method())) WS_RETURN_IF_ERROR(CheckCsrf(call));
  switch (route) {
    case kRegister:
      return Register(call);
    case kLogin:
      return Login(call);
    case kLogout:
      return Logout(call);
    case kMe:
      return Me(call);
    case kPasswordReset:
      return PasswordReset(call);
    case kPasswordResetConfirm:
      return PasswordResetConfirm(call);
    case kChangePassword:
      return ChangePassword(call);
    case kChangeEmail:
      return ChangeEmail(call);
    case kVerifyEmail:
      return VerifyEmail(call);
    case kResendVerification:
      return ResendVerification(call);
    case kListProducts:
      return ListProducts(call);
    case kProductFacets:
      return ProductFacets(call);
    case kListCollections:
      return ListCollections(call);
    case kGetCollection:
      return GetCollection(call);
    case kAdminPutCollection:
      return AdminPutCollection(call);
    case kGetProduct:
      return GetProduct(call);
    case kGetProductBySku:
      return GetProductBySku(call);
    case kGetProductBySlug:
      return GetProductBySlug(call);
    case kWatchPage:
      return WatchPage(call);
    case kCreateProduct:
      return CreateProduct(call);
    case kUpdateProduct:
      return UpdateProduct(call);
    case kArchiveProduct:
      return ArchiveProduct(call);
    case kAdjustStock:
      return AdjustStock(call);
    case kGetCart:
      return GetCart(call);
    case kAddCartItem:
      return AddCartItem(call);
    case kSetCartItem:
      return SetCartItem(call);
    case kRemoveCartItem:
      return RemoveCartItem(call);
    case kCheckout:
      return Checkout(call);
    case kListOrders:
      return ListOrders(call);
    case kGetOrder:
      return GetOrder(call);
    case kCancelOrder:
      return CancelOrder(call);
    case kAdminListOrders:
      return AdminListOrders(call);
    case kAdminSetOrderStatus:
      return AdminSetOrderStatus(call);
    case kAdminRefundOrder:
      return AdminRefundOrder(call);
    case kRefreshPayment:
      return RefreshPayment(call);
    case kGuestOrder:
      return GuestOrder(call);
    case kGuestCancelOrder:
      return GuestCancelOrder(call);
    case kGuestRefreshPayment:
      return GuestRefreshPayment(call);
    case kPaymentConfig:
      return PaymentConfig(call);
    case kPaymentWebhook:
      return PaymentWebhook(call);
    case kHealthz:
      return Healthz(call);
    case kReadyz:
      return Readyz(call);
    case kMetrics:
      return Metrics(call);
    case kBenchHello:
      return BenchHello(call);
    default:
      return absl::InternalError("unrouted request");
  }
}

absl::Status Api::CheckCsrf(Call& call) {
  // Double submit: a browser sending our cookies must also send the CSRF
  // cookie's value in a header, which another site cannot read. Requests with
  // an Authorization header carry no ambient credentials.
  if (call.authorization.has_value()) return absl::OkStatus();
  if (!call.session_cookie.has_value() && !call.cart_cookie.has_value()) return absl::OkStatus();
  const auto header = call.req.header("X-CSRF-Token");
  if (!header || !call.csrf_cookie || call.csrf_cookie->empty() ||
      !ConstantTimeEquals(*header, *call.csrf_cookie)) {
    return MakeError(absl::StatusCode::kPermissionDenied, reason::kCsrf,
                     "send the ws_csrf cookie's value in the X-CSRF-Token header");
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> Api::RequireUser(Call& call) {
  call.viewer_dependent = true;
  if (call.auth_checked) return call.principal;
  call.auth_checked = true;
  absl::string_view token;
  bool from_cookie = false;
  if (call.authorization.has_value()) {
    absl::string_view v = absl::StripAsciiWhitespace(*call.authorization);
    if (v.size() < 7 || !absl::EqualsIgnoreCase(v.substr(0, 7), "Bearer ")) {
      call.principal =
          MakeError(absl::StatusCode::kUnauthenticated, watchstore::reason::kUnauthenticated,
                    "use Authorization: Bearer <token>");
      return call.principal;
    }
    token = absl::StripAsciiWhitespace(v.substr(7));
  } else if (call.session_cookie.has_value()) {
    token = *call.session_cookie;
    from_cookie = true;
  } else {
    call.principal = MakeError(absl::StatusCode::kUnauthenticated,
                               watchstore::reason::kUnauthenticated, "log in first");
    return call.principal;
  }
  call.principal = store_->accounts().Authenticate(token);
  if (!call.principal.ok() && absl::IsUnauthenticated(call.principal.status()) && from_cookie) {
    ClearCookie(call, options_.cookies.session_name, /*http_only=*/true);
  }
  return call.principal;
}

std::optional<Principal> Api::OptionalUser(Call& call) {
  call.viewer_dependent = true;  // an anonymous answer too: it is not an admin's
  if (!call.authorization.has_value() && !call.session_cookie.has_value()) return std::nullopt;
  auto p = RequireUser(call);
  if (!p.ok()) return std::nullopt;
  return *p;
}

absl::StatusOr<std::unique_ptr<JsonDocument>> Api::JsonBody(Call& call) {
  const auto type = call.req.header("Content-Type");
  if (!type || !IsJsonContentType(*type)) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kUnsupportedMediaType,
                     "send the body as application/json");
  }
  if (call.req.body().size() > options_.json.max_bytes) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kPayloadTooLarge,
                     absl::StrCat("the body must be at most ", options_.json.max_bytes, " bytes"));
  }
  return ParseJson(call.req.body(), options_.json);
}

absl::Status Api::NoBody(Call& call) {
  if (call.req.body().empty()) return absl::OkStatus();
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  ObjectReader r(*doc, "");
  return r.Finish();
}

void Api::SetCookie(Call& call, const std::string& name, absl::string_view value, bool http_only,
                    int64_t max_age_seconds) {
  call.res->AddHeader(
      "Set-Cookie",
      SetCookieValue(name, value,
                     CookieAttributes{http_only, options_.cookies.secure, max_age_seconds}));
}

void Api::ClearCookie(Call& call, const std::string& name, bool http_only) {
  SetCookie(call, name, "", http_only, 0);
}

void Api::MaybeIssueCsrfCookie(Call& call) {
  if (call.csrf_cookie.has_value() && !call.csrf_cookie->empty()) return;
  // Only on responses nobody stores (the storefront asks /auth/me for it):
  // a catalog page that CloudFront or a browser may cache gets no cookie.
  for (const auto& [name, value] : call.res->headers) {
    if (absl::EqualsIgnoreCase(name, "Cache-Control") && !absl::StrContains(value, "no-store")) {
      return;
    }
  }
  SetCookie(call, options_.cookies.csrf_name, NewRandomToken(), /*http_only=*/false,
            kCsrfCookieMaxAge);
}

void Api::RenderJson(Call& call, int status, std::string body) {
  call.res->status = status;
  call.res->content_type = std::string(kJsonType);
  call.res->body = std::move(body);
}

// --- Operations ----------------------------------------------------------------

absl::Status Api::Healthz(Call& call) {
  RenderJson(call, 200, R"({"status":"ok"})");
  return absl::OkStatus();
}

absl::Status Api::Readyz(Call& call) {
  const absl::Status storage = store_->storage().Ping();
  const absl::Status cache = store_->cache().Ping();
  auto state = [](const absl::Status& s) {
    // The code only: messages may name hosts.
    return s.ok() ? std::string("ok") : absl::AsciiStrToLower(absl::StatusCodeToString(s.code()));
  };
  JsonOut out;
  out.StartObject();
  out.Field("storage", state(storage));
  out.Field("cache", state(cache));
  out.EndObject();
  // A cache outage slows reads but fails none (reads fall through to
  // storage), so it does not take the instance out of the load balancer:
  // 200 with "cache" naming the problem. Storage down is not ready.
  RenderJson(call, storage.ok() ? 200 : 503, out.Take());
  return absl::OkStatus();
}

absl::Status Api::Metrics(Call& call) {
  std::string text;
  if (options_.render_http_metrics) options_.render_http_metrics(&text);
  if (options_.server_stats) {
    const ServerStats s = options_.server_stats();
    HttpMetrics::AppendSample(&text, "watchstore_http_worker_threads", "gauge",
                              "Worker threads (connections served at once).", s.worker_threads);
    HttpMetrics::AppendSample(&text, "watchstore_http_busy_workers", "gauge",
                              "Workers serving a connection now.", s.busy_workers);
    HttpMetrics::AppendSample(&text, "watchstore_http_queued_connections", "gauge",
                              "Requests waiting for a worker.", s.queued_connections);
    HttpMetrics::AppendSample(&text, "watchstore_http_shed_connections_total", "counter",
                              "Requests answered 503 because the queue was full.",
                              s.shed_connections);
    HttpMetrics::AppendSample(&text, "watchstore_http_open_connections", "gauge",
                              "Open client connections.", s.open_connections);
    HttpMetrics::AppendSample(&text, "watchstore_http_evicted_connections_total", "counter",
                              "Waiting connections closed to make room for others.",
                              s.evicted_connections);
    HttpMetrics::AppendSample(&text, "watchstore_http_refused_connections_total", "counter",
                              "Connections closed at accept: no room.", s.refused_connections);
  }
  HttpMetrics::AppendSample(&text, "watchstore_checkouts_in_flight", "gauge",
                            "Checkouts being processed now.", checkouts_in_flight());
  AppendCacheMetrics(&text, store_->cache().Kind(), store_->cache().Stats());
  if (options_.render_backend_metrics) options_.render_backend_metrics(&text);
  call.res->status = 200;
  call.res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  call.res->body = std::move(text);
  return absl::OkStatus();
}

absl::Status Api::BenchHello(Call& call) {
  RenderJson(call, 200, R"({"hello":"world"})");
  return absl::OkStatus();
}

}  // namespace watchstore::http
