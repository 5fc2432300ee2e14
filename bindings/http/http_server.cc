#include "http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "problem.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

// What the hooks cpp-httplib calls during one request know about it. A worker
// serves one connection, and a connection one request, at a time.
struct RequestState {
  Connection* conn = nullptr;
  absl::Time start;
  bool headers_parsed = false;
  bool dispatched = false;  // the response came from Api::Handle (or a refusal)
  bool must_close = false;  // the connection cannot carry another request
  bool has_body = false;    // cpp-httplib reads a body before routing
  int label = kLabelUnmatched;
  // A refusal decided from the headers alone, answered before any body is read.
  int reject_status = 0;
  absl::string_view reject_reason;
  std::string reject_detail;
};
thread_local RequestState* t_state = nullptr;

// cpp-httplib's Stream over our Connection.
class StreamAdapter final : public httplib::Stream {
 public:
  explicit StreamAdapter(Connection* c) : c_(c) {}
  bool is_readable() const override { return c_->Readable(); }
  bool is_writable() const override { return c_->Writable(); }
  ssize_t read(char* ptr, size_t size) override { return c_->Read(ptr, size); }
  ssize_t write(const char* ptr, size_t size) override { return c_->Write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_->peer_address();
    port = c_->peer_port();
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_->local_address();
    port = c_->local_port();
  }
  socket_t socket() const override { return c_->fd(); }

 private:
  Connection* c_;
};

// Our HttpRequest over cpp-httplib's Request.
class RequestView final : public HttpRequest {
 public:
  explicit RequestView(const httplib::Request& r) : r_(r) {}
  absl::string_view method() const override { return r_.method; }
  bool is_head() const override { return r_.method == "HEAD"; }
  absl::string_view path() const override { return r_.path; }
  absl::string_view body() const override { return r_.body; }
  absl::string_view peer() const override { return r_.remote_addr; }
  std::optional<absl::string_view> header(const std::string& name) const override {
    auto it = r_.headers.find(name);
    if (it == r_.headers.end()) return std::nullopt;
    return absl::string_view(it->second);
  }
  size_t header_count(const std::string& name) const override { return r_.headers.count(name); }
  std::vector<absl::string_view> header_values(const std::string& name) const override {
    std::vector<absl::string_view> out;
    auto range = r_.headers.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) out.emplace_back(it->second);
    return out;
  }
  std::vector<std::pair<absl::string_view, absl::string_view>> query() const override {
    std::vector<std::pair<absl::string_view, absl::string_view>> out;
    out.reserve(r_.params.size());
    for (const auto& [k, v] : r_.params) out.emplace_back(k, v);
    return out;
  }

 private:
  const httplib::Request& r_;
};

void CopyResponse(HttpResponse& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [name, value] : in.headers) out.set_header(name, value);
  if (!in.content_type.empty()) out.set_header("Content-Type", in.content_type);
  out.body = std::move(in.body);
}

bool IsUnsafeMethod(absl::string_view m) {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

httplib::Headers SecurityHeaders(bool hsts) {
  httplib::Headers h;
  h.emplace("Content-Security-Policy",
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  h.emplace("X-Content-Type-Options", "nosniff");
  h.emplace("Referrer-Policy", "no-referrer");
  h.emplace("X-Frame-Options", "DENY");
  h.emplace("Cross-Origin-Opener-Policy", "same-origin");
  if (hsts) h.emplace("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  return h;
}

}  // namespace

// The cpp-httplib server with our connection loop.
class HttpServer::Engine final : public httplib::Server {
 public:
  explicit Engine(HttpServer* owner) : owner_(owner) {}

  // Closes the listening socket, whether or not the accept loop has started
  // (cpp-httplib's stop() does nothing before it has, which would lose a
  // signal that arrives early).
  void CloseListener() {
    const socket_t s = svr_sock_.exchange(INVALID_SOCKET);
    if (s != INVALID_SOCKET) {
      ::shutdown(s, SHUT_RDWR);
      ::close(s);
    }
  }

  // Re-listens with a real backlog (cpp-httplib 0.11.4 hard-codes 5).
  bool SetBacklog(int backlog) {
    const socket_t s = svr_sock_;
    return s != INVALID_SOCKET && ::listen(s, backlog) == 0;
  }

  // Called by cpp-httplib's accept loop, on a worker, for each connection.
  bool process_and_close_socket(socket_t sock) override {
    try {
      return ServeConnection(sock);
    } catch (...) {
      // A failure outside any handler (allocation): drop this connection
      // only (its Connection closed the socket while unwinding).
      t_state = nullptr;
      return false;
    }
  }

 private:
  bool ServeConnection(socket_t sock);
  void Shed(Connection& conn);
  // After the headers, before routing (cpp-httplib's setup_request hook).
  void OnHeaders(httplib::Request& req);

  HttpServer* owner_;
};

bool HttpServer::Engine::ServeConnection(socket_t sock) {
  const HttpServerOptions& o = owner_->options_;
  Connection conn(sock, o.limits);
  int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (WorkerPool::CurrentTaskIsShed()) {
    Shed(conn);
    return true;
  }
  StreamAdapter stream(&conn);
  WorkerPool* pool = owner_->pool_.get();
  auto keep_waiting_first = [&] { return !owner_->stopping(); };
  auto keep_waiting_idle = [&] { return !owner_->stopping() && pool->queued() == 0; };
  int served = 0;
  bool ok = true;
  for (;;) {
    const Connection::Wait w =
        served == 0 ? conn.WaitForRequest(o.limits.read_timeout, keep_waiting_first)
                    : conn.WaitForRequest(o.keep_alive_timeout, keep_waiting_idle);
    if (w != Connection::Wait::kReady) break;
    RequestState state;
    state.conn = &conn;
    conn.BeginRequest();
    state.start = absl::Now();
    t_state = &state;
    // The last request of a connection says so (Connection: close).
    const bool last = served + 1 >= o.keep_alive_max_requests || owner_->stopping() ||
                      pool->queued() > 0;
    bool closed_by_client = false;
    ok = process_request(stream, last, closed_by_client,
                         [this](httplib::Request& req) { OnHeaders(req); });
    t_state = nullptr;
    ++served;
    if (!ok || closed_by_client || last || state.must_close || !state.headers_parsed) {
      if (state.must_close) conn.LingeringClose();
      break;
    }
  }
  return ok;
}

void HttpServer::Engine::Shed(Connection& conn) {
  const std::string body = ProblemBodyForStatus(503);
  std::string head = "HTTP/1.1 503 Service Unavailable\r\n";
  for (const auto& [k, v] : SecurityHeaders(owner_->options_.hsts)) {
    absl::StrAppend(&head, k, ": ", v, "\r\n");
  }
  absl::StrAppend(&head, "Content-Type: application/problem+json\r\nCache-Control: no-store\r\n",
                  "Retry-After: 1\r\nConnection: close\r\nContent-Length: ", body.size(),
                  "\r\n\r\n", body);
  conn.WriteAll(head);
  conn.LingeringClose();
}

void HttpServer::Engine::OnHeaders(httplib::Request& req) {
  RequestState& st = *t_state;
  st.headers_parsed = true;
  st.conn->HeadersDone();
  const HttpServerOptions& o = owner_->options_;
  auto reject = [&](int status, absl::string_view why, std::string detail) {
    if (st.reject_status != 0) return;
    st.reject_status = status;
    st.reject_reason = why;
    st.reject_detail = std::move(detail);
  };

  // One pass over the headers (cpp-httplib's case-insensitive map makes
  // each lookup a string comparison per level; this is cheaper).
  //  - cpp-httplib adds REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and LOCAL_PORT
  //    after the client's headers; a client sending them would shadow the
  //    real ones in get_header_value(). Drop every copy: req.remote_addr is
  //    the socket's address and is what the server uses.
  //  - Accept-Encoding goes: no response compression (see http_server.h).
  bool transfer_encoding = false;
  bool content_encoding = false;
  bool multipart = false;
  size_t lengths = 0;
  std::string length_text;
  for (auto it = req.headers.begin(); it != req.headers.end();) {
    const std::string& name = it->first;
    if (absl::EqualsIgnoreCase(name, "REMOTE_ADDR") || absl::EqualsIgnoreCase(name, "REMOTE_PORT") ||
        absl::EqualsIgnoreCase(name, "LOCAL_ADDR") || absl::EqualsIgnoreCase(name, "LOCAL_PORT") ||
        absl::EqualsIgnoreCase(name, "Accept-Encoding")) {
      it = req.headers.erase(it);
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      ++lengths;
      length_text = it->second;
    } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      transfer_encoding = true;
    } else if (absl::EqualsIgnoreCase(name, "Content-Encoding")) {
      content_encoding = true;
    } else if (absl::EqualsIgnoreCase(name, "Content-Type")) {
      multipart = absl::StartsWithIgnoreCase(it->second, "multipart/");
    }
    ++it;
  }
  if (static_cast<int>(req.headers.size()) > o.max_headers) {
    reject(431, reason::kPayloadTooLarge,
           absl::StrCat("at most ", o.max_headers, " header fields are accepted"));
  }

  // Ranges: several are refused (they multiply the reply); one is ignored
  // (the full representation is sent, as RFC 9110 allows).
  if (req.ranges.size() > 1) {
    reject(416, watchstore::reason::kValidation, "multiple byte ranges are not supported");
  }
  req.ranges.clear();

  // Framing. Only Content-Length bodies, identity-coded, within the limit.
  if (transfer_encoding) {
    reject(411, watchstore::reason::kValidation,
           "Transfer-Encoding is not accepted: send the body with a Content-Length");
  }
  if (content_encoding) {
    reject(415, reason::kUnsupportedMediaType, "compressed request bodies are not accepted");
  }
  // cpp-httplib would parse a multipart body itself before any handler; no
  // route takes one.
  if (multipart) reject(415, reason::kUnsupportedMediaType, "multipart bodies are not accepted");
  uint64_t length = 0;
  if (lengths > 1) {
    reject(400, watchstore::reason::kValidation, "more than one Content-Length header");
  } else if (lengths == 1) {
    const bool digits = !length_text.empty() && length_text.size() <= 19 &&
                        std::all_of(length_text.begin(), length_text.end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !absl::SimpleAtoi(length_text, &length)) {
      reject(400, watchstore::reason::kValidation, "Content-Length is not a number");
    } else if (length > o.max_body_bytes) {
      reject(413, reason::kPayloadTooLarge,
             absl::StrCat("the body must be at most ", o.max_body_bytes, " bytes"));
    }
  }
  const bool unsafe = IsUnsafeMethod(req.method);
  if (length > 0 && !unsafe) {
    reject(400, watchstore::reason::kValidation,
           absl::StrCat("a ", req.method, " request has no body"));
  }
  if (lengths == 0 && !transfer_encoding && unsafe) {
    // RFC 9112: without Content-Length or Transfer-Encoding a request has no
    // body. cpp-httplib would read until the client closes; tell it "0".
    req.set_header("Content-Length", "0");
  }
  st.has_body = unsafe && length > 0;
  if (st.reject_status != 0) st.must_close = true;
}

HttpServer::HttpServer(const HttpServerOptions& options, Api* api, AccessLog* access_log)
    : options_(options), api_(api), access_log_(access_log) {}

HttpServer::~HttpServer() {
  Stop();
  if (pool_) pool_->Shutdown();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                               Api* api, AccessLog* access_log) {
  if (api == nullptr) return absl::InvalidArgumentError("HttpServer needs an Api");
  if (options.max_body_bytes < 1024) {
    return absl::InvalidArgumentError("max_body_bytes must be at least 1024");
  }
  if (options.max_headers < 10) return absl::InvalidArgumentError("max_headers must be >= 10");
  if (options.keep_alive_max_requests < 1) {
    return absl::InvalidArgumentError("keep_alive_max_requests must be >= 1");
  }
  if (options.limits.max_header_bytes < 4096) {
    return absl::InvalidArgumentError("max_header_bytes must be at least 4096");
  }
  std::unique_ptr<HttpServer> server(new HttpServer(options, api, access_log));
  WorkerPoolOptions pool_options;
  pool_options.threads = options.threads;
  pool_options.max_queued = options.max_queued;
  pool_options.stack_bytes = options.worker_stack_bytes;
  auto pool = WorkerPool::Create(pool_options);
  if (!pool.ok()) return pool.status();
  server->pool_ = std::move(*pool);

  std::vector<std::string> label_sets;
  for (const auto& [method, pattern] : RouteLabels()) {
    label_sets.push_back(HttpMetrics::LabelSet(method, pattern));
  }
  server->metrics_ = std::make_unique<HttpMetrics>(std::move(label_sets));

  auto engine = std::make_unique<Engine>(server.get());
  HttpServer* self = server.get();
  Engine& e = *engine;
  // Workers come from our pool; cpp-httplib deletes this adapter when done.
  struct PoolQueue final : httplib::TaskQueue {
    explicit PoolQueue(WorkerPool* p) : pool(p) {}
    void enqueue(std::function<void()> fn) override { pool->Submit(std::move(fn)); }
    void shutdown() override { pool->Shutdown(); }
    WorkerPool* pool;
  };
  WorkerPool* pool_ptr = self->pool_.get();
  e.new_task_queue = [pool_ptr] { return new PoolQueue(pool_ptr); };

  // No SO_REUSEPORT: a second server on a busy port must fail, not share it.
  e.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  e.set_tcp_nodelay(true);
  e.set_keep_alive_max_count(static_cast<size_t>(options.keep_alive_max_requests));
  e.set_keep_alive_timeout(absl::ToInt64Seconds(options.keep_alive_timeout));
  e.set_read_timeout(absl::ToInt64Seconds(options.limits.read_timeout));
  e.set_write_timeout(absl::ToInt64Seconds(options.limits.write_timeout));
  e.set_payload_max_length(options.max_body_bytes);
  e.set_default_headers(SecurityHeaders(options.hsts));

  // Refuse before cpp-httplib sends "100 Continue" for a body we will not read.
  e.set_expect_100_continue_handler([](const httplib::Request&, httplib::Response& res) {
    RequestState* st = t_state;
    if (st == nullptr || st->reject_status == 0) return 100;
    st->dispatched = true;
    st->label = kLabelRejected;
    HttpResponse out;
    RenderProblem(st->reject_status, st->reject_reason, st->reject_detail, &out);
    CopyResponse(out, res);
    return out.status;
  });

  auto dispatch = [self](const httplib::Request& req, httplib::Response& res) {
    RequestState* st = t_state;
    RequestView view(req);
    HttpResponse out;
    const int label = self->api_->Handle(view, &out);
    if (st != nullptr) {
      st->label = label;
      st->dispatched = true;
    }
    CopyResponse(out, res);
  };

  e.set_pre_routing_handler([dispatch](const httplib::Request& req, httplib::Response& res) {
    RequestState* st = t_state;
    if (st != nullptr && st->reject_status != 0) {
      st->dispatched = true;
      st->label = kLabelRejected;
      HttpResponse out;
      RenderProblem(st->reject_status, st->reject_reason, st->reject_detail, &out);
      CopyResponse(out, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    // Requests without a body are answered now; the others after cpp-httplib
    // has read their (bounded) body, by the catch-all routes below.
    if (st != nullptr && st->has_body) return httplib::Server::HandlerResponse::Unhandled;
    dispatch(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  e.Post(R"(/.*)", dispatch);
  e.Put(R"(/.*)", dispatch);
  e.Patch(R"(/.*)", dispatch);
  e.Delete(R"(/.*)", dispatch);

  // Errors cpp-httplib makes itself (unparsable request, 414, 416, a body
  // that did not arrive): a problem document, and the connection closes.
  e.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
    RequestState* st = t_state;
    if (st != nullptr && !st->dispatched) {
      if (st->conn->header_budget_exceeded()) {
        res.status = 431;
      } else if (st->conn->timed_out()) {
        res.status = 408;
      }
      st->must_close = true;
    }
    if (res.body.empty()) {
      res.set_header("Content-Type", std::string(kProblemContentType));
      res.set_header("Cache-Control", "no-store");
      res.body = ProblemBodyForStatus(res.status);
    }
    return httplib::Server::HandlerResponse::Handled;
  }));

  // A handler that throws: a generic 500, never the exception's text.
  e.set_exception_handler([self](const httplib::Request&, httplib::Response& res,
                                 std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    if (self->access_log_ != nullptr) self->access_log_->Event("error", "handler_exception", what);
    RequestState* st = t_state;
    if (st != nullptr) st->dispatched = true;
    res.headers.clear();
    for (const auto& h : SecurityHeaders(self->options_.hsts)) res.headers.insert(h);
    HttpResponse out;
    RenderProblem(500, watchstore::reason::kInternal, "something went wrong on our side", &out);
    CopyResponse(out, res);
  });

  // Every response, just before it is written (metrics are counted here, so
  // a client that reads /metrics after a response sees it counted).
  e.set_post_routing_handler([self](const httplib::Request&, httplib::Response& res) {
    RequestState* st = t_state;
    self->metrics_->Record(st != nullptr ? st->label : static_cast<int>(kLabelUnmatched),
                           res.status,
                           st != nullptr ? absl::Now() - st->start : absl::ZeroDuration());
    if (st != nullptr && (!st->headers_parsed || !st->dispatched)) st->must_close = true;
    if (st != nullptr && st->must_close) {
      res.headers.erase("Keep-Alive");
      res.set_header("Connection", "close");
    }
    // Ranges are not served, whatever cpp-httplib says for HEAD.
    res.headers.erase("Accept-Ranges");
    if (res.status == 204 || res.status == 304) res.headers.erase("Content-Length");
  });

  // After the response is written: the access log (duration includes the write).
  e.set_logger([self](const httplib::Request& req, const httplib::Response& res) {
    RequestState* st = t_state;
    const absl::Time now = absl::Now();
    const absl::Duration took = st != nullptr ? now - st->start : absl::ZeroDuration();
    const int label = st != nullptr ? st->label : static_cast<int>(kLabelUnmatched);
    if (self->access_log_ != nullptr) {
      static const auto* const kLabels =
          new std::vector<std::pair<std::string, std::string>>(RouteLabels());
      AccessLogEntry entry;
      entry.time = now;
      entry.method = req.method;
      entry.route = (*kLabels)[static_cast<size_t>(label)].second;
      entry.status = res.status;
      entry.duration = took;
      entry.bytes = res.body.size();
      entry.peer = st != nullptr ? absl::string_view(st->conn->peer_address()) : absl::string_view();
      self->access_log_->Write(entry);
    }
  });

  server->engine_ = std::move(engine);
  return server;
}

absl::StatusOr<int> HttpServer::Bind(const std::string& host, int port) {
  if (bound_) return absl::FailedPreconditionError("already bound");
  if (port < 0 || port > 65535) return absl::InvalidArgumentError("port must be 0..65535");
  // cpp-httplib reports a failed bind as "false": probe first, to say why.
  if (port != 0) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* result = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot resolve listen address ", host, ": ", gai_strerror(rc)));
    }
    const int fd = ::socket(result->ai_family, result->ai_socktype | SOCK_CLOEXEC,
                            result->ai_protocol);
    int err = 0;
    if (fd < 0) {
      err = errno;
    } else {
      int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      if (::bind(fd, result->ai_addr, result->ai_addrlen) != 0) err = errno;
      ::close(fd);
    }
    ::freeaddrinfo(result);
    if (err == EADDRINUSE) {
      return absl::FailedPreconditionError(
          absl::StrCat(host, ":", port, " is already in use by another process"));
    }
    if (err != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot listen on ", host, ":", port, ": ", std::strerror(err)));
    }
  }
  int bound_port = port;
  if (port == 0) {
    bound_port = engine_->bind_to_any_port(host);
    if (bound_port <= 0) {
      return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", host, ":0"));
    }
  } else if (!engine_->bind_to_port(host, port)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", host, ":", port, " (in use, or not permitted)"));
  }
  if (!engine_->SetBacklog(options_.listen_backlog)) {
    return absl::InternalError(absl::StrCat("listen backlog: ", std::strerror(errno)));
  }
  bound_ = true;
  return bound_port;
}

absl::Status HttpServer::Serve() {
  if (!bound_) return absl::FailedPreconditionError("Serve() before Bind()");
  if (stopping()) return absl::OkStatus();
  if (!engine_->listen_after_bind() && !stopping()) {
    return absl::InternalError("the accept loop failed");
  }
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  if (engine_) engine_->CloseListener();
}

ServerStats HttpServer::stats() const {
  ServerStats s;
  s.worker_threads = pool_->threads();
  s.busy_workers = pool_->busy();
  s.queued_connections = pool_->queued();
  s.shed_connections = pool_->shed_total();
  return s;
}

}  // namespace watchstore::http
