// The HTTP surface of a store: the JSON API under /api/v1 (the contract in
// docs/openapi.yaml), the operations endpoints (/healthz, /readyz, /metrics)
// and the storefront's static files. /metrics is answered only on the
// operations listener, which answers nothing else but /healthz and /readyz. Handlers parse and
// validate the request, call the library (watchstore::Store) and render the result; every business
// rule lives in the library.
#ifndef WATCHSTORE_BINDINGS_HTTP_API_H_
#define WATCHSTORE_BINDINGS_HTTP_API_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cookies.h"
#include "http_types.h"
#include "json.h"
#include "render.h"
#include "router.h"
#include "static_files.h"
#include "watchstore/rate_limiter.h"
#include "watchstore/read_consistency.h"
#include "watchstore/store.h"

namespace watchstore::http {

// Route ids: indexes into ApiRoutes() and into the metrics' route labels.
enum RouteId : int {
  kRegister,
  kLogin,
  kLogout,
  kMe,
  kPasswordReset,
  kPasswordResetConfirm,
  kChangePassword,
  kChangeEmail,
  kVerifyEmail,
  kResendVerification,
  kListProducts,
  kProductFacets,
  kListCollections,
  kGetProduct,
  kGetProductBySku,
  kGetProductBySlug,
  kWatchPage,
  kGetCollection,
  kAdminPutCollection,
  kCreateProduct,
  kUpdateProduct,
  kArchiveProduct,
  kAdjustStock,
  kGetCart,
  kAddCartItem,
  kSetCartItem,
  kRemoveCartItem,
  kCheckout,
  kListOrders,
  kGetOrder,
  kCancelOrder,
  kAdminListOrders,
  kAdminSetOrderStatus,
  kAdminRefundOrder,
  kRefreshPayment,
  kGuestOrder,
  kGuestCancelOrder,
  kGuestRefreshPayment,
  kPaymentConfig,
  kPaymentWebhook,
  kHealthz,
  kReadyz,
  kMetrics,
  kBenchHello,  // only with ApiOptions::bench_hello
  kRouteCount,
  // Labels for requests that matched no route.
  kLabelStatic = kRouteCount,
  kLabelUnmatched,
  kLabelRejected,  // refused by the server before routing (framing, limits)
  kLabelCount,
};

// The API's routes: what the OpenAPI test compares with docs/openapi.yaml.
// The benchmark's hello-world route is listed only when asked for.
std::vector<Route> ApiRoutes(bool include_bench_hello);
// "GET /api/v1/products/{id}"-style names for metrics and logs, by label.
std::vector<std::pair<std::string, std::string>> RouteLabels();

// Server-side numbers /metrics shows beside the API's own.
struct ServerStats {
  int worker_threads = 0;
  int busy_workers = 0;
  int queued_connections = 0;    // requests waiting for a worker
  int64_t shed_connections = 0;  // requests answered 503: the queue was full
  int64_t open_connections = 0;
  int64_t evicted_connections = 0;  // closed to make room (per-address or total caps)
  int64_t refused_connections = 0;  // closed at accept: no room at all
};

struct ApiOptions {
  CookiePolicy cookies = CookiePolicy::Production();
  JsonLimits json;
  // Serve GET /bench/hello (a fixed small JSON reply) for load tests.
  bool bench_hello = false;
  // Where /metrics gets the HTTP counters and server numbers; may be unset.
  std::function<void(std::string*)> render_http_metrics;
  std::function<ServerStats()> server_stats;
  // Extra metrics (storage pool usage...), appended as-is; may be unset.
  std::function<void(std::string*)> render_backend_metrics;
  // Registrations per client address (IPv6 per /64) and in total; beyond
  // either, 429 throttled with Retry-After, before any password is hashed.
  // The clock is the store's.
  Rate register_per_address = Rate{10, absl::Hours(1)};
  Rate register_total = Rate{10, absl::Seconds(1)};
  // Handed to the storefront by GET /api/v1/payments/config (Stripe.js
  // needs it); public by design. Empty unless the provider is Stripe.
  std::string stripe_publishable_key;
  // Read-your-writes with read replicas: every request runs in a
  // SessionWrites::Scope keyed by its session (bearer token, session
  // cookie, else guest cart cookie; hashed), writing for POST, PUT, PATCH
  // and DELETE. Not owned; must outlive the Api. Null: no scopes.
  SessionWrites* session_writes = nullptr;
};

// Thread-safe.
class Api {
 public:
  // `store` must outlive the Api; `static_files` may be null (no storefront).
  Api(Store* store, std::unique_ptr<StaticFiles> static_files, ApiOptions options);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Answers a request whose framing the server has checked and whose body it
  // has read. Returns the label (RouteId or kLabel*) for metrics and logs.
  int Handle(const HttpRequest& req, HttpResponse* res);

  // True for requests whose handler hashes a password (registration and
  // login): the server admits only a few of those at once. `target` is the
  // raw request target (path and query).
  static bool HashesPasswords(absl::string_view method, absl::string_view target);

  const Router& router() const { return router_; }
  const ApiOptions& options() const { return options_; }
  // Checkouts being processed now (for tests and metrics).
  int64_t checkouts_in_flight() const;

 private:
  struct Call;  // one request being handled; defined in api_internal.h

  absl::Status Dispatch(int route, Call& call);
  static std::string SessionKeyOf(const Call& call);
  // --- api_auth.cc ---
  absl::Status Register(Call& call);
  absl::Status Login(Call& call);
  absl::Status Logout(Call& call);
  absl::Status Me(Call& call);
  absl::Status PasswordReset(Call& call);
  absl::Status PasswordResetConfirm(Call& call);
  absl::Status ChangePassword(Call& call);
  absl::Status ChangeEmail(Call& call);
  absl::Status VerifyEmail(Call& call);
  absl::Status ResendVerification(Call& call);
  // --- api_catalog.cc ---
  absl::Status ListProducts(Call& call);
  absl::Status ProductFacets(Call& call);
  absl::Status ListCollections(Call& call);
  absl::Status GetProduct(Call& call);
  absl::Status GetProductBySku(Call& call);
  // An old slug answers 301 to the current one (RenderMovedPermanently).
  absl::Status GetProductBySlug(Call& call);
  // GET /watches/<slug>: the storefront's product page for a current slug,
  // 301 to /watches/<current> for an old one, 404 otherwise.
  absl::Status WatchPage(Call& call);
  void RenderMovedPermanently(Call& call, absl::string_view location);
  absl::Status GetCollection(Call& call);
  absl::Status AdminPutCollection(Call& call);
  absl::Status CreateProduct(Call& call);
  absl::Status UpdateProduct(Call& call);
  absl::Status ArchiveProduct(Call& call);
  absl::Status AdjustStock(Call& call);
  // A product detail with its ETag; 304 when If-None-Match matches.
  // `logged_in`: the response varies by viewer (admins see archived ones).
  absl::Status RenderProduct(Call& call, const std::shared_ptr<const Product>& product,
                             bool logged_in);
  // --- api_cart.cc ---
  absl::Status GetCart(Call& call);
  absl::Status AddCartItem(Call& call);
  absl::Status SetCartItem(Call& call);
  absl::Status RemoveCartItem(Call& call);
  // Renders the cart; a non-empty `new_guest_token` is handed to the client
  // (cookie for browsers, X-Cart-Token for API clients).
  absl::Status RenderCart(Call& call, const CartView& view, absl::string_view new_guest_token);
  CartView EmptyCart() const;
  // --- api_orders.cc ---
  absl::Status Checkout(Call& call);
  absl::Status ListOrders(Call& call);
  absl::Status GetOrder(Call& call);
  absl::Status CancelOrder(Call& call);
  absl::Status AdminListOrders(Call& call);
  absl::Status AdminSetOrderStatus(Call& call);
  absl::Status AdminRefundOrder(Call& call);
  absl::Status RefreshPayment(Call& call);
  absl::Status GuestOrder(Call& call);
  absl::Status GuestCancelOrder(Call& call);
  absl::Status GuestRefreshPayment(Call& call);
  absl::Status PaymentConfig(Call& call);
  absl::Status PaymentWebhook(Call& call);
  // The guest order named by the X-Order-Token header (never in the URL:
  // it would reach access logs and Referer headers).
  absl::StatusOr<std::string> OrderToken(Call& call);
  // 200 with the order; `for_buyer` adds what only its buyer sees.
  absl::Status RenderOrder(Call& call, const Order& order, bool for_buyer);
  // --- api.cc ---
  absl::Status Healthz(Call& call);
  absl::Status Readyz(Call& call);
  absl::Status Metrics(Call& call);
  absl::Status BenchHello(Call& call);

  // Common plumbing (api.cc).
  absl::Status CheckCsrf(Call& call);
  // The caller, or Unauthenticated.
  absl::StatusOr<Principal> RequireUser(Call& call);
  // The caller if there is a valid session, else nullopt (anonymous).
  std::optional<Principal> OptionalUser(Call& call);
  // The JSON body (Content-Type must be JSON: 415 otherwise).
  absl::StatusOr<std::unique_ptr<JsonDocument>> JsonBody(Call& call);
  // For routes without a body: empty, or an empty JSON object.
  absl::Status NoBody(Call& call);
  // The session token the caller presents (Bearer header, else the cookie).
  static absl::string_view CallerToken(const Call& call);
  // Sets Set-Cookie for a new CSRF token if the request had none and the
  // response is no-store.
  void MaybeIssueCsrfCookie(Call& call);
  // Last touches on caching: no-store when a cookie is set, Vary when the
  // handler looked at the credentials.
  void FinishCaching(Call& call);
  void SetCookie(Call& call, const std::string& name, absl::string_view value, bool http_only,
                 int64_t max_age_seconds);
  void ClearCookie(Call& call, const std::string& name, bool http_only);
  void RenderJson(Call& call, int status, std::string body);

  Store* const store_;
  const std::unique_ptr<StaticFiles> static_files_;
  const ApiOptions options_;
  const Router router_;
  ProductJsonCache product_json_;
  RateLimiter registrations_;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_API_H_
