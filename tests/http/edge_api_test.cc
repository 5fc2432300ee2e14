// Edge defences seen through the API: the client address behind trusted
// proxies (and only them), registration limits per client and in total, and
// a registration flood that neither parks workers nor slows product pages.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "access_log.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

std::string RegisterBody(const std::string& email) {
  return absl::StrCat(R"({"email":")", email, R"(","password":"a long enough password"})");
}

// A server whose proxies are `trusted`, with registrations limited to 2 per
// client address an hour and nothing in total.
TestServerOptions BehindProxies(std::vector<std::string> trusted, int hops = 1) {
  TestServerOptions o;
  o.server.client_address.trusted_proxies = std::move(trusted);
  o.server.client_address.hops = hops;
  o.tune_api = [](ApiOptions& a) {
    a.register_per_address = Rate{2, absl::Hours(1)};
    a.register_total = Rate{};
  };
  return o;
}

int Register(httplib::Client& c, const std::string& email, const std::string& forwarded_for) {
  httplib::Headers h;
  if (!forwarded_for.empty()) h.emplace("X-Forwarded-For", forwarded_for);
  auto r = c.Post("/api/v1/auth/register", h, RegisterBody(email), kJson);
  return r ? r->status : -1;
}

TEST(ClientAddressHttpTest, SpoofedHeadersFromAnUntrustedPeerAreIgnored) {
  // The proxies are elsewhere (10.0.0.0/8); this client is 127.0.0.1.
  TestServer server(BehindProxies({"10.0.0.0/8"}));
  auto c = server.Client();
  EXPECT_EQ(Register(*c, "u1@example.com", "198.51.100.1"), 202);
  EXPECT_EQ(Register(*c, "u2@example.com", "198.51.100.2"), 202);
  // A third "client" per the header, the same socket peer: limited.
  EXPECT_EQ(Register(*c, "u3@example.com", "198.51.100.3"), 429);
}

TEST(ClientAddressHttpTest, TrustedProxiesNameTheClient) {
  const std::string log_path =
      (std::filesystem::temp_directory_path() / absl::StrCat("ws-edge-log-", ::getpid())).string();
  std::filesystem::remove(log_path);
  auto log = AccessLog::Open(log_path);
  ASSERT_TRUE(log.ok());
  TestServerOptions o = BehindProxies({"127.0.0.0/8"}, /*hops=*/2);
  o.access_log = log->get();
  {
    TestServer server(o);
    auto c = server.Client();
    // CloudFront -> ALB: "<client-sent>, <viewer>, <CloudFront>"; the viewer counts.
    EXPECT_EQ(Register(*c, "a1@example.com", "6.6.6.6, 198.51.100.1, 130.176.0.1"), 202);
    EXPECT_EQ(Register(*c, "a2@example.com", "7.7.7.7, 198.51.100.1, 130.176.0.2"), 202);
    auto third = c->Post("/api/v1/auth/register", {{"X-Forwarded-For", "198.51.100.1, 130.176.0.3"}},
                         RegisterBody("a3@example.com"), kJson);
    ASSERT_TRUE(third);
    EXPECT_EQ(third->status, 429);
    EXPECT_EQ(ReasonOfBody(third->body), "throttled");
    int retry_after = 0;
    ASSERT_TRUE(absl::SimpleAtoi(third->get_header_value("Retry-After"), &retry_after));
    EXPECT_GT(retry_after, 60);
    // Another viewer through the same proxy is another client.
    EXPECT_EQ(Register(*c, "b1@example.com", "198.51.100.2, 130.176.0.1"), 202);
    // Failed logins from many viewers through one proxy are not one bucket.
    for (int i = 0; i < 8; ++i) {
      auto r = c->Post("/api/v1/auth/login",
                       {{"X-Forwarded-For", absl::StrCat("198.51.100.", 50 + i, ", 130.176.0.1")}},
                       absl::StrCat(R"({"email":"nobody)", i, R"(@example.com","password":"wrong wrong wrong"})"),
                       kJson);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 401) << i << " " << r->body;
    }
    // ... but many addresses of one IPv6 /64 are one client.
    int throttled = 0;
    for (int i = 0; i < 10; ++i) {
      auto r = c->Post("/api/v1/auth/login",
                       {{"X-Forwarded-For", absl::StrCat("2001:db8:0:5::", i + 1, ", 130.176.0.1")}},
                       absl::StrCat(R"({"email":"someone)", i, R"(@example.com","password":"wrong wrong wrong"})"),
                       kJson);
      ASSERT_TRUE(r);
      throttled += r->status == 429;
    }
    EXPECT_GT(throttled, 0);
  }
  (*log)->Flush();
  std::ifstream in(log_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_TRUE(absl::StrContains(text, R"("peer":"127.0.0.1","client":"198.51.100.1")")) << text;
  EXPECT_TRUE(absl::StrContains(text, R"("peer":"127.0.0.1","client":"198.51.100.2")")) << text;
  std::filesystem::remove(log_path);
}

TEST(RegistrationLimitTest, PerClientAndInTotal) {
  TestServerOptions o = BehindProxies({"127.0.0.0/8"});
  o.tune_api = [](ApiOptions& a) {
    a.register_per_address = Rate{2, absl::Hours(1)};
    a.register_total = Rate{3, absl::Minutes(1)};
  };
  TestServer server(o);
  auto c = server.Client();
  EXPECT_EQ(Register(*c, "p1@example.com", "198.51.100.1"), 202);
  EXPECT_EQ(Register(*c, "p2@example.com", "198.51.100.1"), 202);
  EXPECT_EQ(Register(*c, "p3@example.com", "198.51.100.1"), 429);  // this client's two
  EXPECT_EQ(Register(*c, "p4@example.com", "198.51.100.2"), 202);
  auto total = c->Post("/api/v1/auth/register", {{"X-Forwarded-For", "198.51.100.3"}},
                       RegisterBody("p5@example.com"), kJson);  // everyone's three
  ASSERT_TRUE(total);
  EXPECT_EQ(total->status, 429);
  int retry_after = 0;
  ASSERT_TRUE(absl::SimpleAtoi(total->get_header_value("Retry-After"), &retry_after));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 20);
  // The limit was taken before any hashing: no account was made.
  EXPECT_TRUE(absl::IsNotFound(server.store().storage().GetUserByEmail("p5@example.com").status()));
  server.clock().Advance(absl::Seconds(20));
  EXPECT_EQ(Register(*c, "p5@example.com", "198.51.100.3"), 202);
  // IPv6 clients count per /64.
  EXPECT_EQ(Register(*c, "v1@example.com", "2001:db8:0:1::1"), 429);  // total again
  server.clock().Advance(absl::Minutes(1));
  EXPECT_EQ(Register(*c, "v1@example.com", "2001:db8:0:1::1"), 202);
  EXPECT_EQ(Register(*c, "v2@example.com", "2001:db8:0:1::ffff"), 202);
  server.clock().Advance(absl::Minutes(1));
  EXPECT_EQ(Register(*c, "v3@example.com", "2001:db8:0:1:abcd::9"), 429);  // same /64
}

struct RawAnswer {
  int status = 0;  // 0: no answer
  std::string raw;
  milliseconds took{0};
};

// 200 clients, each with a connection open, send their requests at once.
// One thread does it all (so the test's own flood costs little CPU) and
// collects the answers until the server closes each connection or `limit`
// passes.
class RawFlood {
 public:
  RawFlood(int port, size_t clients) {
    for (size_t i = 0; i < clients; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        fds_.push_back(pollfd{-1, POLLIN, 0});
        continue;
      }
      fds_.push_back(pollfd{fd, POLLIN, 0});
    }
  }
  ~RawFlood() {
    for (pollfd& p : fds_) {
      if (p.fd >= 0) ::close(p.fd);
    }
  }

  std::vector<RawAnswer> Send(const std::vector<std::string>& requests,
                              std::chrono::seconds limit) {
    std::vector<RawAnswer> answers(fds_.size());
    const auto start = SteadyClock::now();
    size_t open = 0;
    for (size_t i = 0; i < fds_.size() && i < requests.size(); ++i) {
      if (fds_[i].fd < 0) continue;
      if (::send(fds_[i].fd, requests[i].data(), requests[i].size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(requests[i].size())) {
        ::close(fds_[i].fd);
        fds_[i].fd = -1;
        continue;
      }
      ++open;
    }
    const auto until = start + limit;
    while (open > 0 && SteadyClock::now() < until) {
      if (::poll(fds_.data(), fds_.size(), 100) <= 0) continue;
      for (size_t i = 0; i < fds_.size(); ++i) {
        if (fds_[i].fd < 0 || fds_[i].revents == 0) continue;
        char buf[16384];
        const ssize_t n = ::recv(fds_[i].fd, buf, sizeof buf, 0);
        if (n > 0) {
          answers[i].raw.append(buf, static_cast<size_t>(n));
          continue;
        }
        ::close(fds_[i].fd);
        fds_[i].fd = -1;
        --open;
        answers[i].status = StatusOfRaw(answers[i].raw);
        answers[i].took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
      }
    }
    return answers;
  }

 private:
  std::vector<pollfd> fds_;
};

// 200 clients send a registration at once (twice) while another reads a
// product page every few milliseconds. Password hashing admits a few and refuses the rest
// at once with 503 + Retry-After, so no worker waits long, the flood is over
// in seconds, and product pages stay fast.
TEST(RegistrationFloodTest, ProductPagesStayFastAndNothingElseFails) {
  TestServerOptions o;
  // The flood stands for many clients, but every socket here is 127.0.0.1:
  // no per-address limits (rates or connections), so the hasher's admission
  // is what is under test.
  o.tune_api = [](ApiOptions& a) {
    a.register_per_address = Rate{};
    a.register_total = Rate{};
  };
  o.server.max_connections_per_address = 0;
  TestServer server(o);
  auto product = server.MakeProduct("FLOOD", 10'00, 5);
  const std::string product_path = absl::StrCat("/api/v1/products/", product->id);
  ASSERT_EQ(server.Client()->Get(product_path.c_str())->status, 200);  // warm cache

  // Product pages read every 2 ms by one client: first alone (the machine's
  // own noise), then during the flood.
  auto c = server.Client();
  int product_failures = 0;
  auto read_products = [&](std::vector<double>* latencies_ms, const std::atomic<bool>& more) {
    const auto until = SteadyClock::now() + std::chrono::seconds(30);
    while ((more.load() || latencies_ms->size() < 100) && SteadyClock::now() < until) {
      const auto start = SteadyClock::now();
      auto r = c->Get(product_path.c_str());
      latencies_ms->push_back(
          std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
      if (!r || r->status != 200) ++product_failures;
      std::this_thread::sleep_for(milliseconds(2));
    }
  };
  auto p99_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() * 99 / 100];
  };
  std::vector<double> quiet_ms;
  read_products(&quiet_ms, std::atomic<bool>{false});
  std::atomic<bool> flooding{true};
  std::vector<double> latencies_ms;
  std::thread reader([&] { read_products(&latencies_ms, flooding); });

  constexpr int kFlood = 200;
  std::atomic<int> accepted{0}, busy{0}, limited{0}, other{0}, busy_without_retry{0};
  int64_t slowest_ms = 0;
  for (int wave = 0; wave < 2; ++wave) {
    std::vector<std::string> requests;
    for (int i = 0; i < kFlood; ++i) {
      const std::string body = RegisterBody(absl::StrCat("flood", wave, "-", i, "@example.com"));
      requests.push_back(absl::StrCat("POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Type: application/json\r\nConnection: close\r\n"
                                      "Content-Length: ", body.size(), "\r\n\r\n", body));
    }
    RawFlood flood(server.port(), kFlood);
    for (const RawAnswer& a : flood.Send(requests, std::chrono::seconds(20))) {
      slowest_ms = std::max<int64_t>(slowest_ms, a.took.count());
      if (a.status == 202) {
        ++accepted;
      } else if (a.status == 503) {
        ++busy;
        if (!absl::StrContains(a.raw, "Retry-After: ")) ++busy_without_retry;
      } else if (a.status == 429) {
        ++limited;
      } else {
        ++other;
      }
    }
  }
  flooding = false;
  reader.join();

  EXPECT_EQ(other.load(), 0) << "registrations answer 202, 503 or 429 only";
  EXPECT_EQ(accepted.load() + busy.load() + limited.load(), 2 * kFlood);
  EXPECT_GE(accepted.load(), 2);
  EXPECT_GE(busy.load(), 1) << "the hasher refuses what it cannot take in time";
  EXPECT_EQ(busy_without_retry.load(), 0);
  // Nobody waited in a queue longer than the hasher's bounded wait (2 s) plus
  // one hash and the machine's noise.
  EXPECT_LT(slowest_ms, 6000);
  EXPECT_EQ(product_failures, 0);
  ASSERT_GE(latencies_ms.size(), 100u);
  const double quiet_p99 = p99_of(quiet_ms);
  const double p99 = p99_of(latencies_ms);
  std::cout << "product detail p99: " << quiet_p99 << " ms alone, " << p99 << " ms during the flood ("
            << latencies_ms.size() << " requests)\n";
  // Under 50 ms; on a machine busy with other work, 50 ms above what the
  // same client measured just before without the flood.
  EXPECT_LT(p99, 50.0 + quiet_p99) << "product detail p99 during the flood, ms";
}

}  // namespace
}  // namespace watchstore::http::testing
