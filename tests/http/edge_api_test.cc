// Edge defences seen through the API: the client address behind trusted
// proxies (and only them), and registration limits per client and in total.
// (The registration flood is in flood_test.cc.)
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "access_log.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

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
    auto third =
        c->Post("/api/v1/auth/register", {{"X-Forwarded-For", "198.51.100.1, 130.176.0.3"}},
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
                       absl::StrCat(R"({"email":"nobody)", i,
                                    R"(@example.com","password":"wrong wrong wrong"})"),
                       kJson);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 401) << i << " " << r->body;
    }
    // ... but many addresses of one IPv6 /64 are one client.
    int throttled = 0;
    for (int i = 0; i < 10; ++i) {
      auto r =
          c->Post("/api/v1/auth/login",
                  {{"X-Forwarded-For", absl::StrCat("2001:db8:0:5::", i + 1, ", 130.176.0.1")}},
                  absl::StrCat(R"({"email":"someone)", i,
                               R"(@example.com","password":"wrong wrong wrong"})"),
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

}  // namespace
}  // namespace watchstore::http::testing
