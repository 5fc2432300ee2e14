// Raw-socket abuse against the server's edge: request-smuggling shapes are
// refused and the connection closed; slow and idle clients hold no worker,
// are cut at their deadlines, and cannot crowd out a fresh client; memory
// stays bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A connected socket from `source` (a loopback address) to the server; -1 on
// failure.
int ConnectFrom(const char* source, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until `done(what was read)` or `wait` passes.
template <typename Done>
std::string ReadUntil(int fd, milliseconds wait, Done done) {
  std::string out;
  const auto until = Clock::now() + wait;
  while (!done(out)) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// A fresh client from `source`: GET /healthz, the time until its whole answer.
std::pair<int, milliseconds> FreshRequest(const char* source, int port) {
  const auto start = Clock::now();
  const int fd = ConnectFrom(source, port);
  if (fd < 0) return {0, milliseconds(0)};
  SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string got = ReadUntilClosed(fd, milliseconds(5000));
  ::close(fd);
  return {StatusOfRaw(got), std::chrono::duration_cast<milliseconds>(Clock::now() - start)};
}

int64_t RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      int64_t kib = 0;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      if (absl::SimpleAtoi(digits, &kib)) return kib;
    }
  }
  return 0;
}

TEST(EdgeAbuseTest, SmugglingShapesAreRefusedAndTheConnectionClosed) {
  TestServer server;
  // Each ends in a request that must never be answered: the server stops
  // reading at the refusal.
  const std::string tail = "GET /api/v1/products HTTP/1.1\r\nHost: x\r\n\r\n";
  struct Case {
    const char* what;
    std::string head;
    int status;
  } cases[] = {
      {"unknown transfer coding",
       "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"space before the colon",
       "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
       "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
       400},
      {"obs-fold hiding Transfer-Encoding",
       "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", 400},
      {"Content-Length and Transfer-Encoding",
       "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"two Hosts", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
      {"NUL in a header",
       std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n",
                   sizeof("GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n") - 1),
       400},
      {"bare CR", "GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\rGET / HTTP/1.1\r\n\r\n", 400},
      {"bare LF", "GET /healthz HTTP/1.1\nHost: x\n\n", 400},
      {"unknown method", "PURGE /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501},
      {"a request line over 8 KiB",
       absl::StrCat("GET /", std::string(9000, 'a'), " HTTP/1.1\r\nHost: x\r\n\r\n"), 414},
      {"a request line with no end", absl::StrCat("GET /", std::string(40000, 'a')), 414},
  };
  for (const Case& c : cases) {
    bool closed = false;
    const std::string raw = RawExchange(server.port(), c.head + tail, milliseconds(3000), &closed);
    EXPECT_EQ(StatusOfRaw(raw), c.status) << c.what << "\n" << raw.substr(0, 300);
    EXPECT_EQ(CountResponses(raw), 1) << c.what << "\n" << raw;
    EXPECT_TRUE(closed) << c.what;
    EXPECT_TRUE(absl::StrContains(raw, "Connection: close")) << c.what;
    EXPECT_TRUE(absl::StrContains(raw, "application/problem+json")) << c.what;
    EXPECT_TRUE(absl::StrContains(raw, "X-Content-Type-Options: nosniff")) << c.what;
  }
  // The server is fine, and it said so in its metrics.
  EXPECT_EQ(FreshRequest("127.0.0.1", server.port()).first, 200);
  httplib::Client ops("127.0.0.1", server.ops_port());
  auto m = ops.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_TRUE(absl::StrContains(m->body, R"(route="rejected",status="501"})")) << m->body;
}

TEST(EdgeAbuseTest, AHeaderBombIsRefusedCheaply) {
  TestServer server;
  std::string bomb = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&bomb, "X", i, ": a\r\n");
  bomb.append("\r\n");
  const int64_t before = RssKiB();
  const auto start = Clock::now();
  bool closed = false;
  const std::string raw = RawExchange(server.port(), bomb, milliseconds(3000), &closed);
  EXPECT_EQ(StatusOfRaw(raw), 431) << raw.substr(0, 200);
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_LT(RssKiB() - before, 64 * 1024);
}

// 300 slow connections from one address: headers trickled a byte a time,
// bodies trickled, and silent ones, against a server with only 8 workers.
// A fresh client (from another address, and from the attacking one too) is
// answered within a second; memory stays bounded; the attacker's
// connections beyond the per-address cap are closed.
TEST(EdgeAbuseTest, SlowClientsDoNotStarveAFreshOne) {
  TestServerOptions o;
  o.server.threads = 8;
  TestServer server(o);
  const int port = server.port();
  const int64_t rss_before = RssKiB();
  std::vector<int> slow;
  for (int i = 0; i < 300; ++i) {
    const int fd = ConnectFrom("127.0.0.2", port);
    ASSERT_GE(fd, 0) << i;
    switch (i % 3) {
      case 0:  // slowloris: a request line, then headers a byte at a time
        SendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
        break;
      case 1:  // a body that trickles
        SendAll(fd,
                "POST /api/v1/cart/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 60000\r\n\r\n{\"variant_id\":");
        break;
      default:  // silent
        break;
    }
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread drip([&] {
    for (int round = 0; round < 40 && !stop.load(); ++round) {
      for (int fd : slow) (void)::send(fd, "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  std::this_thread::sleep_for(milliseconds(300));
  for (int i = 0; i < 3; ++i) {
    auto [status, took] = FreshRequest("127.0.0.1", port);
    EXPECT_EQ(status, 200);
    EXPECT_LT(took, milliseconds(1000));
    auto [same_status, same_took] = FreshRequest("127.0.0.2", port);
    EXPECT_EQ(same_status, 200) << "a fresh client from the slow clients' address";
    EXPECT_LT(same_took, milliseconds(1000));
  }
  const ServerStats stats = server.server().stats();
  EXPECT_GT(stats.evicted_connections, 200);  // one address keeps at most 64 open
  EXPECT_LE(stats.open_connections, 64 + 4);
  EXPECT_LT(RssKiB() - rss_before, 64 * 1024);
  stop = true;
  drip.join();
  for (int fd : slow) ::close(fd);
}

TEST(EdgeAbuseTest, SlowRequestsAreCutAtTheirDeadlines) {
  TestServerOptions o;
  o.server.limits.header_timeout = absl::Seconds(1);
  o.server.limits.request_timeout = absl::Seconds(2);
  o.server.keep_alive_timeout = absl::Seconds(1);
  TestServer server(o);
  // A body trickled a byte every 200 ms (each well within the read timeout)
  // is cut at the request deadline with a 408.
  const int fd = ConnectFrom("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  SendAll(fd,
          "POST /api/v1/cart/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Content-Length: 1000\r\n\r\n");
  const auto start = Clock::now();
  std::string got;
  bool closed = false;
  while (Clock::now() - start < milliseconds(5000) && !closed) {
    (void)::send(fd, "a", 1, MSG_NOSIGNAL);
    got += ReadUntilClosed(fd, milliseconds(200), &closed);
  }
  ::close(fd);
  EXPECT_EQ(StatusOfRaw(got), 408) << got;
  EXPECT_LT(Clock::now() - start, milliseconds(3500));
  // An idle keep-alive connection closes after the keep-alive timeout.
  const int idle = ConnectFrom("127.0.0.1", server.port());
  ASSERT_GE(idle, 0);
  SendAll(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto idle_start = Clock::now();
  bool idle_closed = false;
  const std::string answer = ReadUntilClosed(idle, milliseconds(4000), &idle_closed);
  EXPECT_EQ(StatusOfRaw(answer), 200);
  EXPECT_TRUE(idle_closed);
  EXPECT_GT(Clock::now() - idle_start, milliseconds(800));
  EXPECT_LT(Clock::now() - idle_start, milliseconds(3000));
  ::close(idle);
}

TEST(EdgeAbuseTest, TheDefaultKeepAliveOutlastsTheLoadBalancer) {
  // An ALB closes idle connections after 60 s; a server that closed first
  // would race its requests (sporadic 502s).
  EXPECT_GT(HttpServerOptions{}.keep_alive_timeout, absl::Seconds(60));
  EXPECT_LE(HttpServerOptions{}.limits.header_timeout, absl::Seconds(5));
}

TEST(EdgeAbuseTest, ExpectContinueAndTrickledRequestsWork) {
  TestServer server;
  // Expect: 100-continue: the server asks for the body, then answers.
  const int fd = ConnectFrom("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const std::string body = R"({"email":"expect@example.com","password":"a long enough password"})";
  SendAll(fd, absl::StrCat("POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                           "Content-Length: ",
                           body.size(), "\r\n\r\n"));
  const std::string interim = ReadUntil(fd, milliseconds(2000), [](const std::string& s) {
    return absl::StrContains(s, "\r\n\r\n");
  });
  EXPECT_TRUE(absl::StartsWith(interim, "HTTP/1.1 100 Continue\r\n\r\n")) << interim;
  SendAll(fd, body);
  std::string final_answer = ReadUntil(fd, milliseconds(3000), [](const std::string& s) {
    return absl::EndsWith(s, R"({"status":"accepted"})");
  });
  EXPECT_EQ(StatusOfRaw(final_answer), 202) << final_answer;
  EXPECT_FALSE(absl::StrContains(final_answer, "100 Continue")) << "sent once";
  ::close(fd);
  // A pipelined pair sent in 3-byte pieces: both answered, in order.
  const std::string two =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n";
  const int p = ConnectFrom("127.0.0.1", server.port());
  ASSERT_GE(p, 0);
  for (size_t i = 0; i < two.size(); i += 3) {
    SendAll(p, absl::string_view(two).substr(i, 3));
    std::this_thread::sleep_for(milliseconds(1));
  }
  const std::string answers = ReadUntil(p, milliseconds(3000), [](const std::string& s) {
    return CountResponses(s) == 2 && absl::EndsWith(s, "}");
  });
  ::close(p);
  EXPECT_EQ(CountResponses(answers), 2) << answers;
  EXPECT_LT(answers.find("200 OK"), answers.find("404 Not Found")) << answers;
}

}  // namespace
}  // namespace watchstore::http::testing
