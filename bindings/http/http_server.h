// The HTTP server: cpp-httplib 0.11.4 under a hardened connection loop.
//
// cpp-httplib parses requests and writes responses; everything around it is
// ours, because its defaults are unsafe or slow (see docs/TOOLING.md):
//  - our own keep-alive loop and socket stream (connection.h): pipelining
//    works, header and request deadlines, a header byte budget, and the
//    connection closes whenever a body was refused unread;
//  - framing checks before any body is read: Transfer-Encoding (411),
//    Content-Encoding (415), bad or duplicate Content-Length (400), bodies
//    over the limit (413), bodies on GET/HEAD/OPTIONS (400), too many headers
//    (431), multiple ranges (416; a single Range is ignored: full 200);
//  - a bounded worker pool with 8 MiB stacks, shedding with 503 when full,
//    and idle keep-alive connections closed while others wait;
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
#include "connection.h"
#include "metrics.h"
#include "worker_pool.h"

namespace watchstore::http {

struct HttpServerOptions {
  // Workers = connections served at once (one per open keep-alive
  // connection). Connections beyond wait in a queue of max_queued, then are
  // answered 503.
  int threads = 256;
  int max_queued = 1024;
  size_t worker_stack_bytes = size_t{8} << 20;
  ConnectionLimits limits;
  // An idle keep-alive connection is closed after this long, or at once when
  // connections are waiting for a worker.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  int keep_alive_max_requests = 100000;
  size_t max_body_bytes = 64 << 10;
  int max_headers = 100;
  int listen_backlog = 1024;
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

  // Binds host:port (port 0: any free port) and returns the port. A port
  // another process listens on is an error (FailedPrecondition), never shared.
  absl::StatusOr<int> Bind(const std::string& host, int port);
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
  HttpServer(const HttpServerOptions& options, Api* api, AccessLog* access_log);

  const HttpServerOptions options_;
  Api* const api_;
  AccessLog* const access_log_;
  std::unique_ptr<HttpMetrics> metrics_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<Engine> engine_;
  std::atomic<bool> stopping_{false};
  bool bound_ = false;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_HTTP_SERVER_H_
