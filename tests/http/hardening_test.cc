// What a hostile or broken client can send, over raw sockets and
// httplib::Client: every answer is the documented 4xx, the server survives,
// and no data changes.
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "api_test_util.h"
#include "gtest/gtest.h"
#include "worker_pool.h"

namespace watchstore::http::testing {
namespace {

using std::chrono::milliseconds;

constexpr const char* kSecurityHeaders[] = {
    ("Content-Security-Policy: default-src 'self'; object-src 'none'; base-uri 'none'; "
     "frame-ancestors 'none'\r\n"),
    "X-Content-Type-Options: nosniff\r\n",
    "Referrer-Policy: no-referrer\r\n",
};

void ExpectSecurityHeaders(const std::string& raw) {
  for (const char* h : kSecurityHeaders) EXPECT_TRUE(absl::StrContains(raw, h)) << h << "\n" << raw;
}

bool Alive(TestServer& server) {
  auto r = server.Client()->Get("/healthz");
  return r && r->status == 200;
}

class HardeningTest : public ::testing::Test {
 protected:
  TestServer server_;
};

TEST_F(HardeningTest, SecurityHeadersOnEveryKindOfResponse) {
  const int port = server_.port();
  ExpectSecurityHeaders(
      RawExchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ExpectSecurityHeaders(
      RawExchange(port, "GET /api/v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const std::string garbage = RawExchange(port, "BLAH\r\n\r\n");
  EXPECT_EQ(StatusOfRaw(garbage), 400);
  ExpectSecurityHeaders(garbage);
  EXPECT_TRUE(absl::StrContains(garbage, "application/problem+json"));
  const std::string too_big = RawExchange(
      port, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
  EXPECT_EQ(StatusOfRaw(too_big), 413);
  ExpectSecurityHeaders(too_big);
  EXPECT_FALSE(absl::StrContains(too_big, "Strict-Transport-Security"));  // not behind TLS

  TestServerOptions tls;
  tls.server.hsts = true;
  TestServer behind_tls(tls);
  EXPECT_TRUE(absl::StrContains(
      RawExchange(behind_tls.port(),
                  "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"));
}

TEST_F(HardeningTest, TransferEncodingIsRefusedBeforeTheBody) {
  bool closed = false;
  const std::string raw =
      RawExchange(server_.port(),
                  "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Type: application/json\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\nGET /healthz "
                  "HTTP/1.1\r\nHost: x\r\n\r\n",
                  milliseconds(3000), &closed);
  EXPECT_EQ(StatusOfRaw(raw), 411);
  EXPECT_EQ(CountResponses(raw), 1) << raw;  // the rest is never parsed as a request
  EXPECT_TRUE(closed);
  EXPECT_TRUE(absl::StrContains(raw, "Connection: close"));
  const std::string gzip =
      RawExchange(server_.port(),
                  "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
                  "Content-Type: application/json\r\nContent-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(StatusOfRaw(gzip), 415);
  EXPECT_TRUE(absl::StrContains(gzip, "unsupported_media_type"));
}

TEST_F(HardeningTest, OversizedBodiesAre413WithoutWaitingForThem) {
  bool closed = false;
  const auto start = std::chrono::steady_clock::now();
  const std::string raw = RawExchange(
      server_.port(),
      "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 10485760\r\n\r\n{\"email\":",
      milliseconds(3000), &closed);
  EXPECT_EQ(StatusOfRaw(raw), 413);
  EXPECT_TRUE(absl::StrContains(raw, "payload_too_large"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
  EXPECT_TRUE(closed);
  // Through a normal client too, just over the limit.
  auto c = server_.Client();
  auto r = c->Post("/api/v1/auth/register", std::string(64 * 1024 + 1, ' '), kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  const std::string dup = RawExchange(server_.port(),
                                      "POST /api/v1/auth/register HTTP/1.1\r\nHost: "
                                      "x\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}");
  EXPECT_EQ(StatusOfRaw(dup), 400);
  const std::string word = RawExchange(
      server_.port(),
      "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Length: two\r\n\r\n{}");
  EXPECT_EQ(StatusOfRaw(word), 400);
  // Expect: 100-continue for a body we refuse: no "100 Continue", a 413.
  const std::string expect =
      RawExchange(server_.port(),
                  "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Length: 10485760\r\n\r\n");
  EXPECT_EQ(StatusOfRaw(expect), 413) << expect;
  EXPECT_FALSE(absl::StrContains(expect, "100 Continue"));
  EXPECT_TRUE(Alive(server_));
}

TEST_F(HardeningTest, ABodyOnGetIsRefusedAndNeverParsedAsTheNextRequest) {
  auto a = server_.MakeAccount("smuggle@example.com");
  const std::string smuggled = absl::StrCat(
      "GET /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", a.token, "\r\n\r\n");
  bool closed = false;
  const std::string raw = RawExchange(
      server_.port(),
      absl::StrCat("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ", smuggled.size(),
                   "\r\n\r\n", smuggled),
      milliseconds(2000), &closed);
  EXPECT_EQ(StatusOfRaw(raw), 400);
  EXPECT_EQ(CountResponses(raw), 1) << raw;
  EXPECT_FALSE(absl::StrContains(raw, "smuggle@example.com"));
  EXPECT_TRUE(closed);
  const std::string head = RawExchange(
      server_.port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(StatusOfRaw(head), 400);
}

TEST_F(HardeningTest, PipelinedRequestsAreAllAnswered) {
  std::string three;
  for (int i = 0; i < 3; ++i) absl::StrAppend(&three, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string raw = RawExchange(server_.port(), three, milliseconds(1000));
  EXPECT_EQ(CountResponses(raw), 3) << raw;
}

TEST_F(HardeningTest, UnsafeRequestsWithoutLengthHaveNoBody) {
  // cpp-httplib would wait for the client to close; RFC 9112 says "no body".
  auto a = server_.MakeAccount("nolength@example.com");
  const auto start = std::chrono::steady_clock::now();
  const std::string raw = RawExchange(
      server_.port(),
      absl::StrCat("DELETE /api/v1/cart/items/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
                   a.token, "\r\nConnection: close\r\n\r\n"),
      milliseconds(4000));
  EXPECT_EQ(StatusOfRaw(raw), 200) << raw;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
}

TEST_F(HardeningTest, HeaderCountAndSizeLimits) {
  std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 150; ++i) absl::StrAppend(&many, "X-H", i, ": v\r\n");
  many.append("\r\n");
  const std::string raw = RawExchange(server_.port(), many);
  EXPECT_EQ(StatusOfRaw(raw), 431) << raw.substr(0, 200);
  ExpectSecurityHeaders(raw);

  std::string big = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 8; ++i)
    absl::StrAppend(&big, "X-Big", i, ": ", std::string(5000, 'a'), "\r\n");
  big.append("\r\n");
  bool closed = false;
  const std::string raw_big = RawExchange(server_.port(), big, milliseconds(2000), &closed);
  EXPECT_EQ(StatusOfRaw(raw_big), 431) << raw_big.substr(0, 200);
  EXPECT_TRUE(closed);
  // One header line over 8 KiB.
  const std::string line =
      RawExchange(server_.port(), absl::StrCat("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ",
                                               std::string(9000, 'b'), "\r\n\r\n"));
  EXPECT_EQ(StatusOfRaw(line), 431);
  EXPECT_TRUE(Alive(server_));
}

TEST_F(HardeningTest, RangesAreIgnoredOrRefused) {
  auto c = server_.Client();
  auto single = c->Get("/api/v1/products", {{"Range", "bytes=0-3"}});
  ASSERT_TRUE(single);
  EXPECT_EQ(single->status, 200);
  EXPECT_FALSE(single->has_header("Content-Range"));
  EXPECT_EQ(single->body.substr(0, 9), R"({"items":)");
  auto multi = c->Get("/api/v1/products", {{"Range", "bytes=0-1,5-6"}});
  ASSERT_TRUE(multi);
  EXPECT_EQ(multi->status, 416);
  EXPECT_EQ(multi->get_header_value("Content-Type"), "application/problem+json");
  EXPECT_EQ(ReasonOfBody(multi->body), "validation");  // the whole problem, not a slice of it
  // An 8 KiB header of ranges: cpp-httplib parses it with a recursive regex
  // before any handler runs; the workers' 8 MiB stacks take it.
  std::string ranges = "bytes=0-0";
  while (ranges.size() < 8000) absl::StrAppend(&ranges, ",", ranges.size(), "-", ranges.size());
  const std::string raw =
      RawExchange(server_.port(),
                  absl::StrCat("GET /healthz HTTP/1.1\r\nHost: x\r\nRange: ", ranges, "\r\n\r\n"));
  EXPECT_EQ(StatusOfRaw(raw), 416);
  EXPECT_TRUE(Alive(server_));
}

TEST(WorkerPoolTest, WorkersHaveBigStacksAndRefusePastTheQueue) {
  auto pool = WorkerPool::Create(WorkerPoolOptions{2, size_t{8} << 20, 1});
  ASSERT_TRUE(pool.ok());
  std::atomic<size_t> stack{0};
  absl::Notification release;
  std::atomic<int> running{0};
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE((*pool)->Submit([&] {
      stack = WorkerPool::CurrentThreadStackBytes();
      ++running;
      release.WaitForNotification();
    }));
  }
  while (running.load() < 2) std::this_thread::sleep_for(milliseconds(1));
  EXPECT_GE(stack.load(), size_t{4} << 20);
  // Both workers busy: one task may wait, the next is refused (not run).
  std::atomic<int> order{0};
  int queued_ran_at = 0, urgent_ran_at = 0;
  EXPECT_TRUE((*pool)->Submit([&] { queued_ran_at = ++order; }));
  EXPECT_FALSE((*pool)->Submit([&] { ADD_FAILURE() << "a refused task ran"; }));
  EXPECT_EQ((*pool)->shed_total(), 1);
  EXPECT_EQ((*pool)->queued(), 1);
  release.Notify();
  (*pool)->Shutdown();
  EXPECT_EQ(queued_ran_at, 1);
  // Urgent tasks jump the queue.
  auto one = WorkerPool::Create(WorkerPoolOptions{1, size_t{8} << 20, 4});
  ASSERT_TRUE(one.ok());
  absl::Notification hold;
  std::atomic<bool> holding{false};
  ASSERT_TRUE((*one)->Submit([&] {
    holding = true;
    hold.WaitForNotification();
  }));
  while (!holding.load()) std::this_thread::sleep_for(milliseconds(1));
  std::atomic<int> seq{0};
  int normal_at = 0;
  ASSERT_TRUE((*one)->Submit([&] { normal_at = ++seq; }));
  ASSERT_TRUE((*one)->Submit([&] { urgent_ran_at = ++seq; }, /*urgent=*/true));
  hold.Notify();
  (*one)->Shutdown();
  EXPECT_EQ(urgent_ran_at, 1);
  EXPECT_EQ(normal_at, 2);
  EXPECT_FALSE(WorkerPool::Create(WorkerPoolOptions{2, size_t{1} << 20, 0}).ok());
}

TEST_F(HardeningTest, BadJsonIsRefusedAndChangesNothing) {
  auto a = server_.MakeAccount("json@example.com");
  auto p = server_.MakeProduct("JSON", 10'00, 5);
  auto c = server_.Client();
  const std::string v = absl::StrCat(p->variants[0].id);
  struct Case {
    std::string body;
    std::string field;
  } cases[] = {
      {"{", "body"},
      {"null", "body"},
      {"[]", "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1} trailing)"), "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1}{"variant_id":)", v,
                    R"(,"quantity":1})"),
       "body"},
      {absl::StrCat(R"({"variant_id":)", v, ",\"quantity\":1,\"x\":\"", "\xff\xfe", "\"}"),
       "body"},  // invalid UTF-8
      {absl::StrCat(R"({"variant_id":)", v, ",\"quantity\":1,\"x\":\"", "\xc0\xaf", "\"}"),
       "body"},  // overlong
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1,"x":"\ud800"})"),
       "body"},  // lone surrogate
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1,"x":"a\u0000b"})"), "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1)", std::string("\0", 1), "}"), "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1,"x":NaN})"), "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":0x10})"), "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1e-99999999999})"), "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1,})"), "body"},
      {absl::StrCat(R"({'variant_id':)", v, R"(})"), "body"},
  };
  for (const Case& k : cases) {
    auto r = c->Post("/api/v1/cart/items", Bearer(a.token), k.body, kJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << k.body << " -> " << r->body;
    EXPECT_EQ(FieldOfBody(r->body), k.field) << k.body << " -> " << r->body;
  }
  EXPECT_TRUE(server_.store().carts().GetCart(CartOwner::ForUser(a.user.id))->lines.empty());
  EXPECT_TRUE(Alive(server_));
}

TEST_F(HardeningTest, DeepNestingIsRefused) {
  auto c = server_.Client();
  // 100,000 levels: over the body limit, refused unread.
  const std::string huge = std::string(100000, '[') + std::string(100000, ']');
  auto r = c->Post("/api/v1/auth/register", huge, kJson);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Within the byte limit, past the depth limit.
  const std::string deep = std::string(20000, '[') + std::string(20000, ']');
  auto d = c->Post("/api/v1/auth/register", deep, kJson);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 400);
  EXPECT_TRUE(absl::StrContains(d->body, "nested deeper than 32")) << d->body;
  EXPECT_TRUE(Alive(server_));

  // A server that accepts 1 MiB bodies still refuses 100,000 levels, and lives.
  TestServerOptions o;
  o.server.max_body_bytes = 1 << 20;
  TestServer big(o);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects.append("{\"a\":");
  objects.append("1");
  objects.append(std::string(100000, '}'));
  for (const std::string* body : std::vector<const std::string*>{&huge, &objects}) {
    auto b = big.Client()->Post("/api/v1/auth/register", *body, kJson);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 400);
    EXPECT_TRUE(absl::StrContains(b->body, "nested deeper than 32")) << b->body;
  }
  EXPECT_TRUE(Alive(big));
}

TEST_F(HardeningTest, JsonRoutesNeedAJsonContentType) {
  auto c = server_.Client();
  const std::string body = R"({"email":"x@example.com","password":"long enough password"})";
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json; charset=latin1", "application/jsonp", "application/json-seq"}) {
    auto r = c->Post("/api/v1/auth/register", body, type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415) << type;
    EXPECT_EQ(ReasonOfBody(r->body), "unsupported_media_type");
  }
  const std::string no_type =
      RawExchange(server_.port(),
                  absl::StrCat("POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Length: ",
                               body.size(), "\r\nConnection: close\r\n\r\n", body));
  EXPECT_EQ(StatusOfRaw(no_type), 415);
  for (const char* type :
       {"application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"}) {
    auto r = c->Post("/api/v1/auth/register", body, type);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 202) << type;
  }
}

TEST_F(HardeningTest, RequestHeadersAreNeverEchoed) {
  const std::string raw = RawExchange(
      server_.port(),
      "GET /api/v1/products/424242 HTTP/1.1\r\nHost: x\r\nX-Probe: marker-7f3a\r\nOrigin: "
      "https://marker-7f3b.example\r\n"
      "Cookie: ws_csrf=marker-7f3c\r\nX-Request-Id: marker-7f3d\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(StatusOfRaw(raw), 404);
  EXPECT_FALSE(absl::StrContains(raw, "marker-7f3")) << raw;
}

// A storage that throws from GetProduct, as a buggy adapter might.
class ThrowingStorage : public ::watchstore::testing::OwningCountingStorage {
 public:
  using OwningCountingStorage::OwningCountingStorage;
  absl::StatusOr<Product> GetProduct(ProductId) override {
    throw std::runtime_error("secret-internal-detail at db.internal:5432");
  }
};

TEST(HardeningExceptionTest, AnExceptionIsAGeneric500) {
  TestServerOptions o;
  o.wrap_storage = [](std::unique_ptr<Storage> base) {
    return std::unique_ptr<Storage>(new ThrowingStorage(std::move(base)));
  };
  TestServer server(o);
  const std::string raw = RawExchange(
      server.port(), "GET /api/v1/products/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(StatusOfRaw(raw), 500);
  EXPECT_FALSE(absl::StrContains(raw, "secret-internal-detail"));
  EXPECT_FALSE(absl::StrContains(raw, "EXCEPTION_WHAT"));
  EXPECT_TRUE(absl::StrContains(raw, "/problems/internal"));
  ExpectSecurityHeaders(raw);
  EXPECT_TRUE(Alive(server));
}

TEST(HardeningTimeoutTest, SlowHeadersAreCutOff) {
  TestServerOptions o;
  o.server.limits.header_timeout = absl::Seconds(1);
  o.server.limits.request_timeout = absl::Seconds(2);
  TestServer server(o);
  // One byte at a time, never finishing: cut off after the header deadline
  // although each byte arrives well within the read timeout.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string line = "GET /healthz HTTP/1.1\r\n";
  ASSERT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
  const std::string trickle = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  const auto start = std::chrono::steady_clock::now();
  std::string got;
  for (char ch : trickle) {
    if (::send(fd, &ch, 1, MSG_NOSIGNAL) <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    if (std::chrono::steady_clock::now() - start > milliseconds(4000)) break;
  }
  ::close(fd);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, milliseconds(3000));
  EXPECT_EQ(StatusOfRaw(got), 408) << got;
  EXPECT_TRUE(Alive(server));
}

TEST(HardeningCapacityTest, IdleKeepAliveConnectionsHoldNoWorker) {
  TestServerOptions o;
  o.server.threads = 1;
  o.server.max_queued = 8;
  o.server.keep_alive_timeout = absl::Seconds(30);
  TestServer server(o);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto exchange = [&] {
    EXPECT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    char buf[4096];
    std::string got;  // the whole response (headers and body may come apart)
    while (!absl::EndsWith(got, R"({"status":"ok"})")) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 3000) <= 0) break;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  };
  EXPECT_EQ(StatusOfRaw(exchange()), 200);
  // The only worker is free while the connection idles: other clients are
  // served at once, and the idle connection stays open and usable.
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::string other =
        RawExchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    milliseconds(3000));
    EXPECT_EQ(StatusOfRaw(other), 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  }
  EXPECT_EQ(StatusOfRaw(exchange()), 200);
  ::close(fd);
}

// A storage whose GetProduct waits until released.
class SlowReadStorage : public ::watchstore::testing::OwningCountingStorage {
 public:
  using OwningCountingStorage::OwningCountingStorage;
  absl::StatusOr<Product> GetProduct(ProductId id) override {
    if (block && !entered_once.exchange(true)) {
      entered.Notify();
      release.WaitForNotification();
    }
    return OwningCountingStorage::GetProduct(id);
  }
  std::atomic<bool> block{false};
  std::atomic<bool> entered_once{false};
  absl::Notification entered, release;
};

TEST(HardeningCapacityTest, RequestsBeyondTheQueueGet503AtOnce) {
  SlowReadStorage* slow = nullptr;
  TestServerOptions o;
  o.server.threads = 1;
  o.server.max_queued = 0;
  o.wrap_storage = [&slow](std::unique_ptr<Storage> base) {
    auto s = std::make_unique<SlowReadStorage>(std::move(base));
    slow = s.get();
    return std::unique_ptr<Storage>(std::move(s));
  };
  TestServer server(o);
  auto p = server.MakeProduct("BUSY", 10'00, 1);
  slow->block = true;
  // The only worker is busy with a slow request (retried while the server
  // sheds it: on a loaded machine the worker may still be finishing the
  // start-up probe's request)...
  std::thread busy([&] {
    const std::string path = absl::StrCat("/api/v1/products/", p->id);
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto r = server.Client()->Get(path.c_str());
      if (r && r->status == 200) return;
      if (slow->entered.HasBeenNotified()) {
        ADD_FAILURE() << "the slow request was not answered 200";
        return;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    ADD_FAILURE() << "the slow request never reached the storage";
  });
  if (!slow->entered.WaitForNotificationWithTimeout(absl::Seconds(30))) {
    slow->release.Notify();
    busy.join();
    FAIL() << "the slow request never reached the storage";
  }
  // ... and there is no queue: the next request is answered 503 at once.
  const auto start = std::chrono::steady_clock::now();
  const std::string shed =
      RawExchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", milliseconds(3000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  EXPECT_EQ(StatusOfRaw(shed), 503) << shed;
  EXPECT_TRUE(absl::StrContains(shed, "Retry-After: 1"));
  EXPECT_TRUE(absl::StrContains(shed, "Connection: close"));
  ExpectSecurityHeaders(shed);
  slow->release.Notify();
  busy.join();
  EXPECT_GE(server.server().stats().shed_connections, 1);
  EXPECT_TRUE(Alive(server));
}

TEST(HardeningLifecycleTest, StopFinishesRequestsInFlight) {
  SlowReadStorage* slow = nullptr;
  TestServerOptions o;
  o.wrap_storage = [&slow](std::unique_ptr<Storage> base) {
    auto s = std::make_unique<SlowReadStorage>(std::move(base));
    slow = s.get();
    return std::unique_ptr<Storage>(std::move(s));
  };
  TestServer server(o);
  auto p = server.MakeProduct("STOP", 10'00, 1);
  slow->block = true;
  int status = 0;
  std::thread in_flight([&] {
    auto c = server.Client();
    auto r = c->Get(absl::StrCat("/api/v1/products/", p->id).c_str());
    status = r ? r->status : -1;
  });
  slow->entered.WaitForNotification();
  std::thread stopper([&] { server.Stop(); });
  std::this_thread::sleep_for(milliseconds(200));
  // Not accepting any more.
  httplib::Client late("127.0.0.1", server.port());
  late.set_connection_timeout(1);
  auto refused = late.Get("/healthz");
  EXPECT_FALSE(refused && refused->status == 200);
  slow->release.Notify();
  in_flight.join();
  stopper.join();
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(server.served().ok()) << server.served();
}

TEST(HardeningLifecycleTest, ABusyPortIsAnError) {
  TestServer first;
  Api* api = &first.api();
  auto second = HttpServer::Create(HttpServerOptions{}, api, nullptr);
  ASSERT_TRUE(second.ok());
  auto bound = (*second)->Bind("127.0.0.1", first.port());
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(bound.status().message(), "already in use")) << bound.status();
  EXPECT_TRUE(Alive(first));
}

}  // namespace
}  // namespace watchstore::http::testing
