// An in-process watchstore-server for tests: a Store over memory (or a temp
// SQLite file) with a FakeClock, the Api, and the HttpServer bound to a free
// port on 127.0.0.1, talked to with httplib::Client or raw sockets.
#ifndef WATCHSTORE_TESTS_HTTP_HTTP_TEST_UTIL_H_
#define WATCHSTORE_TESTS_HTTP_HTTP_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api.h"
#include "api_internal.h"
#include "http_server.h"
#include "rapidjson/document.h"
#include "test_util.h"
#include "watchstore/cache.h"
#include "watchstore/clock.h"
#include "watchstore/storage.h"
#include "watchstore/store.h"
#include "watchstore/tokens.h"
#if WATCHSTORE_HTTP_WITH_SQLITE
#include "watchstore/sqlite_storage.h"
#endif

namespace watchstore::http::testing {

using ::watchstore::testing::MakeUser;
using ::watchstore::testing::TestStoreOptions;
using ::watchstore::testing::WatchDraft;

struct TestServerOptions {
  bool insecure_cookies = true;  // plain-http names: ws_session, ws_cart, ws_csrf
  bool sqlite = false;           // a temp SQLite file instead of memory
  bool bench_hello = false;
  std::string static_dir;  // empty: no storefront
  // Adjusts the store's options (password hashing...); may be unset.
  std::function<void(StoreOptions&)> tune_store;
  // Adjusts the Api's options (registration limits...); may be unset.
  std::function<void(ApiOptions&)> tune_api;
  // Where the access log goes; null: no log. Must outlive the server.
  AccessLog* access_log = nullptr;
  // Wraps the storage (fault injection); may be unset.
  std::function<std::unique_ptr<Storage>(std::unique_ptr<Storage>)> wrap_storage;
  HttpServerOptions server = [] {
    HttpServerOptions o;
    o.threads = 96;
    return o;
  }();
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {}) : options_(std::move(options)) {
    std::unique_ptr<Storage> storage;
    if (options_.sqlite) {
#if WATCHSTORE_HTTP_WITH_SQLITE
      dir_ = std::filesystem::temp_directory_path() /
             absl::StrCat("ws-http-test-", ::getpid(), "-", reinterpret_cast<uintptr_t>(this));
      std::filesystem::create_directories(dir_);
      SqliteOptions so;
      so.path = (dir_ / "store.db").string();
      so.synchronous = SqliteOptions::Synchronous::kNormal;
      auto s = NewSqliteStorage(so);
      EXPECT_TRUE(s.ok()) << s.status();
      storage = std::move(*s);
#else
      ADD_FAILURE() << "built without SQLite";
#endif
    }
    if (storage == nullptr) storage = NewMemoryStorage();
    if (options_.wrap_storage) storage = options_.wrap_storage(std::move(storage));
    MemoryCacheOptions co;
    co.clock = &clock_;
    auto cache = NewMemoryCache(co);
    StoreOptions store_options = TestStoreOptions(&clock_);
    if (options_.tune_store) options_.tune_store(store_options);
    auto store = Store::Open(store_options, std::move(storage), std::move(*cache));
    EXPECT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);

    std::unique_ptr<StaticFiles> files;
    if (!options_.static_dir.empty()) {
      auto f = StaticFiles::Open(options_.static_dir);
      EXPECT_TRUE(f.ok()) << f.status();
      files = std::move(*f);
    }
    ApiOptions api_options;
    api_options.cookies =
        options_.insecure_cookies ? CookiePolicy::Insecure() : CookiePolicy::Production();
    api_options.json.max_bytes = options_.server.max_body_bytes;
    api_options.bench_hello = options_.bench_hello;
    api_options.render_http_metrics = [this](std::string* out) { server_->metrics().Render(out); };
    api_options.server_stats = [this] { return server_->stats(); };
    if (options_.tune_api) options_.tune_api(api_options);
    api_ = std::make_unique<Api>(store_.get(), std::move(files), std::move(api_options));
    auto server = HttpServer::Create(options_.server, api_.get(), options_.access_log);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto port = server_->Bind("127.0.0.1", 0);
    EXPECT_TRUE(port.ok()) << port.status();
    port_ = *port;
    auto ops = server_->BindOperations("127.0.0.1", 0);
    EXPECT_TRUE(ops.ok()) << ops.status();
    ops_port_ = *ops;
    thread_ = std::thread([this] { served_ = server_->Serve(); });
    // cpp-httplib 0.11.4 has no wait_until_ready: poll /healthz.
    for (int i = 0; i < 200; ++i) {
      httplib::Client c("127.0.0.1", port_);
      c.set_connection_timeout(1);
      if (auto r = c.Get("/healthz"); r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  ~TestServer() {
    Stop();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  void Stop() {
    if (server_ == nullptr) return;
    server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  // The operations listener (/metrics, /healthz, /readyz).
  int ops_port() const { return ops_port_; }
  Store& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  Api& api() { return *api_; }
  HttpServer& server() { return *server_; }
  const absl::Status& served() const { return served_; }

  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(5);
    c->set_read_timeout(20);
    c->set_write_timeout(5);
    return c;
  }

  // A user made directly in Storage (no Argon2), and a session for it.
  struct Account {
    User user;
    std::string token;
  };
  Account MakeAccount(const std::string& email, Role role = Role::kCustomer) {
    Account a;
    a.user = MakeUser(store_->storage(), email, role);
    a.token = NewRandomToken();  // a session token: 32 bytes, base64url
    const absl::Time now = clock_.Now();
    EXPECT_TRUE(store_->storage()
                    .CreateSession(SessionRecord{Sha256Hex(a.token), a.user.id, now, now})
                    .ok());
    return a;
  }

  // A product made through the catalog (so caches see it).
  std::shared_ptr<const Product> MakeProduct(const std::string& sku_prefix,
                                             int64_t price_minor = 100'00, int64_t stock = 5,
                                             int variants = 1) {
    Principal staff{-1, Role::kAdmin, "staff@test"};
    auto p = store_->catalog().CreateProduct(staff,
                                             WatchDraft(sku_prefix, price_minor, stock, variants));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }

 private:
  TestServerOptions options_;
  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
  int ops_port_ = 0;
  std::thread thread_;
  absl::Status served_;
};

inline httplib::Headers Bearer(const std::string& token) {
  return {{"Authorization", absl::StrCat("Bearer ", token)}};
}

// Parses a JSON body (test side: RapidJSON's defaults are fine here).
inline rapidjson::Document Json(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

// The "type" of a problem document without the "/problems/" prefix.
inline std::string ReasonOfBody(const std::string& body) {
  rapidjson::Document d = Json(body);
  if (!d.IsObject() || !d.HasMember("type") || !d["type"].IsString()) return "";
  std::string t = d["type"].GetString();
  const std::string prefix = "/problems/";
  return t.rfind(prefix, 0) == 0 ? t.substr(prefix.size()) : t;
}

inline std::string FieldOfBody(const std::string& body) {
  rapidjson::Document d = Json(body);
  if (!d.IsObject() || !d.HasMember("field") || !d["field"].IsString()) return "";
  return d["field"].GetString();
}

// Reads from `fd` until the peer closes it or `wait` passes. *closed (if
// not null): the peer closed the connection.
inline std::string ReadUntilClosed(int fd, std::chrono::milliseconds wait, bool* closed = nullptr) {
  std::string out;
  const auto until = std::chrono::steady_clock::now() + wait;
  bool eof = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      eof = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  if (closed != nullptr) *closed = eof;
  return out;
}

// Sends raw bytes on a new connection; returns what came back before the
// server closed it or `wait` passed. *closed: the server closed the connection.
inline std::string RawExchange(int port, const std::string& request,
                               std::chrono::milliseconds wait = std::chrono::milliseconds(2000),
                               bool* closed = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out = ReadUntilClosed(fd, wait, closed);
  ::close(fd);
  return out;
}

// "HTTP/1.1 413 Payload Too Large\r\n..." -> 413; 0 if none.
inline int StatusOfRaw(const std::string& raw) {
  if (raw.size() < 12 || raw.rfind("HTTP/1.", 0) != 0) return 0;
  return std::atoi(raw.c_str() + 9);
}

// How many responses a raw reply holds.
inline int CountResponses(const std::string& raw) {
  int n = 0;
  for (size_t pos = raw.find("HTTP/1.1 "); pos != std::string::npos;
       pos = raw.find("HTTP/1.1 ", pos + 1)) {
    ++n;
  }
  return n;
}

}  // namespace watchstore::http::testing

#endif  // WATCHSTORE_TESTS_HTTP_HTTP_TEST_UTIL_H_
