// The HTTP server: cpp-httplib 0.11.4 parses requests and writes responses;
// everything around it is ours, because its defaults are unsafe or slow (see
// docs/DESIGN.md, "The HTTP edge"):
//  - a reactor (reactor.h) accepts connections and reads every request
//    whole, head and body, before a worker sees it; the head is checked
//    strictly first (request_head.h: smuggling shapes, framing, limits), so a
//    slow or idle client never holds a worker; per-address and total
//    connection caps, deadlines, lingering close after refusals;
//  - a bounded worker pool with 8 MiB stacks runs the handlers; requests
//    beyond its queue are answered 503 at once by the reactor;
//  - the client address is the socket peer unless the peer is a trusted
//    proxy (client_address.h);
//  - two listeners: the public one, and an operations one for /metrics
//    (/healthz and /readyz are on both);
//  - no response compression (brotli at cpp-httplib's quality 11 is a CPU
//    sink), TCP_NODELAY, a real listen backlog, no SO_REUSEPORT (a busy port
//    is an error), security headers on every response, problem+json for the
//    errors cpp-httplib makes itself, exceptions turned into a generic 500;
//  - metrics and a structured access log for every response.
// The only file of the server that includes httplib.h.
#ifndef WATCHSTORE_BINDINGS_HTTP_HTTP_SERVER_H_
#define WATCHSTORE_BINDINGS_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access_log.h"
#include "api.h"
#include "client_address.h"
#include "connection.h"
#include "metrics.h"
#include "reactor.h"
#include "worker_pool.h"

namespace watchstore::http {

struct HttpServerOptions {
  // Workers = requests handled at once. A request waits for a worker in a
  // queue of max_queued; beyond it the answer is 503 at once.
  int threads = 256;
  int max_queued = 1024;
  size_t worker_stack_bytes = size_t{8} << 20;
  ConnectionLimits limits;
  // An idle keep-alive connection is closed after this long. Longer than
  // the load balancer's idle timeout (the ALB's is 60 s), so the balancer,
  // never the server, closes an idle connection: otherwise a request it
  // sends just as the server closes gets a 502.
  absl::Duration keep_alive_timeout = absl::Seconds(75);
  int keep_alive_max_requests = 100000;
  size_t max_body_bytes = 64 << 10;
  int max_headers = 100;
  int listen_backlog = 1024;
  // Open connections in total, and per client address (the socket peer;
  // IPv6 by /64; trusted proxies exempt); 0 per address: no cap.
  int max_connections = 10000;
  int max_connections_per_address = 64;
  // Request bytes buffered by connections still sending, in total.
  size_t max_buffered_bytes = size_t{64} << 20;
  // Requests that hash a password (login, registration) handed to workers
  // at once; more are answered 503 at once, so a flood of them never takes
  // the workers the rest of the store needs. The hasher itself admits only a
  // few (max_concurrent_hashes, and a bounded wait); this is the edge's share.
  int max_password_requests = 16;
  // Trusted proxies and the header they fill.
  ClientAddressOptions client_address;
  // Send Strict-Transport-Security (the server is reached over TLS through a
  // proxy that terminates it).
  bool hsts = false;
};

class HttpServer {
 public:
  // `api` must outlive the server; `access_log` may be null (no logging).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                            Api* api, AccessLog* access_log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on host:port for the API and the storefront (port 0: any free
  // port) and returns the port. A port another process listens on is an
  // error (FailedPrecondition), never shared. Before Serve().
  absl::StatusOr<int> Bind(const std::string& host, int port);
  // Listens on host:port for operations (/metrics, /healthz, /readyz only).
  // Optional; before Serve().
  absl::StatusOr<int> BindOperations(const std::string& host, int port);
  // Accepts connections until Stop(), then lets in-flight requests finish
  // and returns. Call once, after Bind().
  absl::Status Serve();
  // Stops accepting and closes idle connections; thread-safe, idempotent.
  // Not async-signal-safe: call it from a thread that waited for the signal.
  void Stop();
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  ServerStats stats() const;
  HttpMetrics& metrics() { return *metrics_; }

  class Engine;  // the cpp-httplib server; defined in http_server.cc

 private:
  class Stage;  // the reactor's delegate; defined in http_server.cc

  HttpServer(const HttpServerOptions& options, Api* api, AccessLog* access_log);
  absl::StatusOr<int> Listen(const std::string& host, int port, Listener listener);

  const HttpServerOptions options_;
  Api* const api_;
  AccessLog* const access_log_;
  ClientAddressResolver client_address_;
  std::unique_ptr<HttpMetrics> metrics_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Stage> stage_;
  std::unique_ptr<Reactor> reactor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> password_requests_{0};
  bool bound_ = false;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_HTTP_SERVER_H_
