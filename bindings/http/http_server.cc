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
#include "content_security_policy.h"
#include "problem.h"
#include "watchstore/errors.h"

namespace watchstore::http {
namespace {

// What the hooks cpp-httplib calls during one request know about it. A worker
// serves one request at a time.
struct RequestState {
  Connection* conn = nullptr;
  absl::Time start;
  bool headers_parsed = false;
  bool dispatched = false;  // the response came from Api::Handle (or a refusal)
  bool must_close = false;  // the connection cannot carry another request
  bool has_body = false;    // cpp-httplib reads a body before routing
  int label = kLabelUnmatched;
  std::string client_address;
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
  // The request is buffered whole: reads never wait. Writes wait themselves.
  bool is_readable() const override { return true; }
  bool is_writable() const override { return c_->fd() >= 0; }
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
  absl::string_view client_address() const override {
    const RequestState* st = t_state;
    return st != nullptr && !st->client_address.empty() ? absl::string_view(st->client_address)
                                                        : absl::string_view(r_.remote_addr);
  }
  Listener listener() const override {
    const RequestState* st = t_state;
    return st != nullptr && st->conn->listener() == static_cast<int>(Listener::kOperations)
               ? Listener::kOperations
               : Listener::kPublic;
  }
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

// A header the handler set replaces the server's default of that name (the
// payment page's Content-Security-Policy); repeated ones (Set-Cookie) stay.
void CopyResponse(HttpResponse& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [name, value] : in.headers) out.headers.erase(name);
  for (const auto& [name, value] : in.headers) out.set_header(name, value);
  if (!in.content_type.empty()) out.set_header("Content-Type", in.content_type);
  out.body = std::move(in.body);
}

bool IsUnsafeMethod(absl::string_view m) {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

httplib::Headers SecurityHeaders(bool hsts) {
  httplib::Headers h;
  h.emplace("Content-Security-Policy", std::string(kContentSecurityPolicy));
  h.emplace("X-Content-Type-Options", "nosniff");
  h.emplace("Referrer-Policy", "no-referrer");
  h.emplace("X-Frame-Options", "DENY");
  h.emplace("Cross-Origin-Opener-Policy", "same-origin");
  if (hsts) h.emplace("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  return h;
}

// A whole response written outside cpp-httplib (refusals): a problem
// document, the security headers, and Connection: close.
std::string CannedResponse(int status, absl::string_view why, absl::string_view detail, bool hsts,
                           bool head_request) {
  HttpResponse out;
  RenderProblem(status, why, detail, &out);
  std::string text = absl::StrCat("HTTP/1.1 ", status, " ", StatusText(status), "\r\n");
  for (const auto& [k, v] : SecurityHeaders(hsts)) absl::StrAppend(&text, k, ": ", v, "\r\n");
  absl::StrAppend(&text, "Content-Type: ", out.content_type, "\r\nCache-Control: no-store\r\n");
  if (status == 503) text.append("Retry-After: 1\r\n");
  absl::StrAppend(&text, "Connection: close\r\nContent-Length: ", out.body.size(), "\r\n\r\n");
  if (!head_request) text.append(out.body);
  return text;
}

}  // namespace

// The cpp-httplib server. Its accept loop is never run (the reactor accepts);
// workers call ServeRequests with a connection whose request is buffered.
class HttpServer::Engine final : public httplib::Server {
 public:
  explicit Engine(HttpServer* owner) : owner_(owner) {}

  // Serves the buffered request and any complete ones after it, then gives
  // the connection back to the reactor. Runs on a worker.
  void ServeRequests(std::unique_ptr<Connection> conn) {
    try {
      ServeBuffered(conn);
    } catch (...) {
      // A failure outside any handler (allocation): drop this connection.
      t_state = nullptr;
      if (conn != nullptr) owner_->reactor_->Return(std::move(conn), Reactor::Next::kClose);
    }
  }

 private:
  void ServeBuffered(std::unique_ptr<Connection>& conn);
  // After the headers, before routing (cpp-httplib's setup_request hook).
  void OnHeaders(httplib::Request& req);

  HttpServer* owner_;
};

// The reactor's view of the server: where requests go, how refusals read.
class HttpServer::Stage final : public Reactor::Delegate {
 public:
  explicit Stage(HttpServer* owner) : owner_(owner) {}

  std::unique_ptr<Connection> Dispatch(std::unique_ptr<Connection> conn) override {
    HttpServer* owner = owner_;
    // Password hashing is admitted a few at a time: the rest of a flood is
    // answered here, without a worker.
    const bool hashes = Api::HashesPasswords(conn->head().method, conn->request_target());
    if (hashes && owner->password_requests_.fetch_add(1, std::memory_order_acq_rel) >=
                      owner->options_.max_password_requests) {
      owner->password_requests_.fetch_sub(1, std::memory_order_acq_rel);
      return conn;
    }
    Connection* raw = conn.release();
    const bool urgent = raw->listener() == static_cast<int>(Listener::kOperations);
    if (owner->pool_->Submit(
            [owner, raw, hashes] {
              owner->engine_->ServeRequests(std::unique_ptr<Connection>(raw));
              if (hashes) owner->password_requests_.fetch_sub(1, std::memory_order_acq_rel);
            },
            urgent)) {
      return nullptr;
    }
    if (hashes) owner->password_requests_.fetch_sub(1, std::memory_order_acq_rel);
    return std::unique_ptr<Connection>(raw);
  }

  std::string RefusalResponse(const HeadRefusal& refusal, bool head_request) override {
    return CannedResponse(refusal.status, refusal.reason, refusal.detail, owner_->options_.hsts,
                          head_request);
  }

  void Refused(const Connection& conn, int status) override {
    owner_->metrics_->Record(kLabelRejected, status, absl::ZeroDuration());
    if (owner_->access_log_ == nullptr) return;
    AccessLogEntry entry;
    entry.time = absl::Now();
    entry.method = conn.head_parsed() ? absl::string_view(conn.head().method) : absl::string_view();
    entry.route = "rejected";
    entry.status = status;
    entry.duration = absl::ZeroDuration();
    entry.peer = conn.peer_address();
    entry.client = conn.peer_address();
    owner_->access_log_->Write(entry);
  }

 private:
  HttpServer* owner_;
};

void HttpServer::Engine::ServeBuffered(std::unique_ptr<Connection>& conn) {
  const HttpServerOptions& o = owner_->options_;
  HeadLimits head_limits;
  head_limits.max_header_bytes = o.limits.max_header_bytes;
  head_limits.max_headers = o.max_headers;
  head_limits.max_body_bytes = o.max_body_bytes;
  StreamAdapter stream(conn.get());
  for (;;) {
    RequestState state;
    state.conn = conn.get();
    state.start = absl::Now();
    conn->BeginResponse(state.start + o.limits.response_timeout, o.limits.write_timeout);
    t_state = &state;
    // The last request of a connection says so (Connection: close).
    const bool last =
        conn->requests_served() + 1 >= o.keep_alive_max_requests || owner_->stopping();
    bool closed_by_client = false;
    const bool ok = process_request(stream, last, closed_by_client,
                                    [this](httplib::Request& req) { OnHeaders(req); });
    t_state = nullptr;
    conn->FinishRequest();
    if (!ok || closed_by_client || last || state.must_close || !state.headers_parsed) {
      owner_->reactor_->Return(std::move(conn),
                               state.must_close ? Reactor::Next::kLinger : Reactor::Next::kClose);
      return;
    }
    // The next request may be here already (pipelined, or quick).
    HeadRefusal refusal;
    switch (conn->ReadRequest(head_limits, &refusal)) {
      case Connection::Progress::kReady:
        continue;
      case Connection::Progress::kNeedMore:
        owner_->reactor_->Return(std::move(conn), Reactor::Next::kKeepAlive);
        return;
      case Connection::Progress::kRefused:
        owner_->stage_->Refused(*conn, refusal.status);
        conn->TrySend(owner_->stage_->RefusalResponse(
            refusal, conn->head_parsed() && conn->head().method == "HEAD"));
        owner_->reactor_->Return(std::move(conn), Reactor::Next::kLinger);
        return;
      case Connection::Progress::kClosed:
        owner_->reactor_->Return(std::move(conn), Reactor::Next::kClose);
        return;
    }
  }
}

void HttpServer::Engine::OnHeaders(httplib::Request& req) {
  RequestState& st = *t_state;
  st.headers_parsed = true;
  auto reject = [&](int status, absl::string_view why, std::string detail) {
    if (st.reject_status != 0) return;
    st.reject_status = status;
    st.reject_reason = why;
    st.reject_detail = std::move(detail);
  };

  // The reactor checked the head and the framing (request_head.h) and read
  // the whole body. Left to do, in one pass over the headers:
  //  - cpp-httplib adds REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and LOCAL_PORT
  //    after the client's headers; a client sending them would shadow the
  //    real ones in get_header_value(). Drop every copy: req.remote_addr is
  //    the socket's address and is what the server uses.
  //  - Accept-Encoding goes: no response compression (see http_server.h).
  //  - Expect goes: the reactor sent "100 Continue" before reading the body.
  //  - the trusted proxies' header, for the client address.
  const ClientAddressResolver& resolver = owner_->client_address_;
  std::vector<absl::string_view> forwarded;
  bool has_length = false;
  for (auto it = req.headers.begin(); it != req.headers.end();) {
    const std::string& name = it->first;
    if (absl::EqualsIgnoreCase(name, "REMOTE_ADDR") ||
        absl::EqualsIgnoreCase(name, "REMOTE_PORT") || absl::EqualsIgnoreCase(name, "LOCAL_ADDR") ||
        absl::EqualsIgnoreCase(name, "LOCAL_PORT") ||
        absl::EqualsIgnoreCase(name, "Accept-Encoding") || absl::EqualsIgnoreCase(name, "Expect")) {
      it = req.headers.erase(it);
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Content-Length")) {
      has_length = true;
    } else if (resolver.trusts_anyone() && absl::EqualsIgnoreCase(name, resolver.header())) {
      forwarded.emplace_back(it->second);
    }
    ++it;
  }
  st.client_address = resolver.Resolve(st.conn->peer_address(), forwarded);

  // Ranges: several are refused (they multiply the reply); one is ignored
  // (the full representation is sent, as RFC 9110 allows).
  if (req.ranges.size() > 1) {
    reject(416, watchstore::reason::kValidation, "multiple byte ranges are not supported");
  }
  req.ranges.clear();

  const bool unsafe = IsUnsafeMethod(req.method);
  if (!has_length && unsafe) {
    // RFC 9112: without Content-Length or Transfer-Encoding a request has no
    // body. cpp-httplib would read until the client closes; tell it "0".
    req.set_header("Content-Length", "0");
  }
  st.has_body = unsafe && st.conn->head().body_bytes > 0;
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
  if (options.max_password_requests < 1) {
    return absl::InvalidArgumentError("max_password_requests must be >= 1");
  }
  if (options.limits.max_header_bytes < 4096) {
    return absl::InvalidArgumentError("max_header_bytes must be at least 4096");
  }
  auto resolver = ClientAddressResolver::Create(options.client_address);
  if (!resolver.ok()) return resolver.status();
  std::unique_ptr<HttpServer> server(new HttpServer(options, api, access_log));
  server->client_address_ = std::move(*resolver);
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

  server->stage_ = std::make_unique<Stage>(server.get());
  ReactorOptions reactor_options;
  reactor_options.limits = options.limits;
  reactor_options.head.max_header_bytes = options.limits.max_header_bytes;
  reactor_options.head.max_headers = options.max_headers;
  reactor_options.head.max_body_bytes = options.max_body_bytes;
  reactor_options.keep_alive_timeout = options.keep_alive_timeout;
  reactor_options.max_connections = options.max_connections;
  reactor_options.max_connections_per_address = options.max_connections_per_address;
  reactor_options.max_buffered_bytes = options.max_buffered_bytes;
  const ClientAddressResolver* trusted = &server->client_address_;
  reactor_options.exempt = [trusted](absl::string_view peer) {
    return trusted->IsTrustedProxy(peer);
  };
  auto reactor = Reactor::Create(reactor_options, server->stage_.get());
  if (!reactor.ok()) return reactor.status();
  server->reactor_ = std::move(*reactor);

  auto engine = std::make_unique<Engine>(server.get());
  HttpServer* self = server.get();
  Engine& e = *engine;
  // Requests and responses only: connections, timeouts and limits are the
  // reactor's and the Connection's.
  e.set_tcp_nodelay(true);
  e.set_payload_max_length(options.max_body_bytes);
  e.set_default_headers(SecurityHeaders(options.hsts));

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
  e.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        RequestState* st = t_state;
        if (st != nullptr && !st->dispatched) st->must_close = true;
        if (res.body.empty()) {
          res.set_header("Content-Type", std::string(kProblemContentType));
          res.set_header("Cache-Control", "no-store");
          res.body = ProblemBodyForStatus(res.status);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));

  // A handler that throws: a generic 500, never the exception's text.
  e.set_exception_handler(
      [self](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& ex) {
          what = ex.what();
        } catch (...) {
        }
        if (self->access_log_ != nullptr)
          self->access_log_->Event("error", "handler_exception", what);
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
      entry.peer =
          st != nullptr ? absl::string_view(st->conn->peer_address()) : absl::string_view();
      entry.client = st != nullptr && !st->client_address.empty()
                         ? absl::string_view(st->client_address)
                         : entry.peer;
      self->access_log_->Write(entry);
    }
  });

  server->engine_ = std::move(engine);
  return server;
}

absl::StatusOr<int> HttpServer::Bind(const std::string& host, int port) {
  auto bound = Listen(host, port, Listener::kPublic);
  if (bound.ok()) bound_ = true;
  return bound;
}

absl::StatusOr<int> HttpServer::BindOperations(const std::string& host, int port) {
  return Listen(host, port, Listener::kOperations);
}

absl::StatusOr<int> HttpServer::Listen(const std::string& host, int port, Listener listener) {
  if (port < 0 || port > 65535) return absl::InvalidArgumentError("port must be 0..65535");
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
  const int fd =
      ::socket(result->ai_family, result->ai_socktype | SOCK_CLOEXEC, result->ai_protocol);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0) {
    // No SO_REUSEPORT: a second server on a busy port must fail, not share it.
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, result->ai_addr, result->ai_addrlen) != 0 ||
        ::listen(fd, options_.listen_backlog) != 0) {
      err = errno;
    }
  }
  ::freeaddrinfo(result);
  if (err != 0) {
    if (fd >= 0) ::close(fd);
    if (err == EADDRINUSE) {
      return absl::FailedPreconditionError(
          absl::StrCat(host, ":", port, " is already in use by another process"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", std::strerror(err)));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  int bound_port = port;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    std::string ip;
    AddressOf(ss, &ip, &bound_port);
  }
  if (absl::Status st = reactor_->AddListener(fd, static_cast<int>(listener)); !st.ok()) return st;
  return bound_port;
}

absl::Status HttpServer::Serve() {
  if (!bound_) return absl::FailedPreconditionError("Serve() before Bind()");
  reactor_->Run();
  // Requests already handed to workers finish; their connections close.
  pool_->Shutdown();
  reactor_->CloseReturned();
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  if (reactor_) reactor_->Stop();
}

ServerStats HttpServer::stats() const {
  ServerStats s;
  s.worker_threads = pool_->threads();
  s.busy_workers = pool_->busy();
  s.queued_connections = pool_->queued();
  s.shed_connections = pool_->shed_total();
  const ReactorStats r = reactor_->stats();
  s.open_connections = r.open_connections;
  s.evicted_connections = r.evicted_connections;
  s.refused_connections = r.refused_connections;
  return s;
}

}  // namespace watchstore::http
