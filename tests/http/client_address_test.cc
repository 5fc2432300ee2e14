// Which address is the client: the socket peer unless the peer is a trusted
// proxy; then the entry the proxies recorded, counted from the right.
#include "client_address.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace watchstore::http {
namespace {

ClientAddressResolver Make(std::vector<std::string> trusted, std::string header = "X-Forwarded-For",
                           int hops = 1) {
  ClientAddressOptions o;
  o.trusted_proxies = std::move(trusted);
  o.header = std::move(header);
  o.hops = hops;
  auto r = ClientAddressResolver::Create(o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ClientAddressResolver();
}

TEST(ClientAddressTest, UntrustedPeersAreTheClientWhateverTheHeaderSays) {
  const ClientAddressResolver none;
  EXPECT_EQ(none.Resolve("203.0.113.9", {"198.51.100.1"}), "203.0.113.9");
  const ClientAddressResolver vpc = Make({"10.0.0.0/16"});
  EXPECT_EQ(vpc.Resolve("10.1.0.5", {"198.51.100.1"}), "10.1.0.5");  // outside the /16
  EXPECT_EQ(vpc.Resolve("203.0.113.9", {"198.51.100.1"}), "203.0.113.9");
  EXPECT_FALSE(vpc.IsTrustedProxy("10.1.0.5"));
  EXPECT_TRUE(vpc.IsTrustedProxy("10.0.255.255"));
}

TEST(ClientAddressTest, TrustedProxiesNameTheClientHopsFromTheRight) {
  const ClientAddressResolver alb = Make({"10.0.0.0/16"});
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"198.51.100.7"}), "198.51.100.7");
  // A client-sent entry to the left is ignored: the ALB appended the last one.
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"6.6.6.6, 198.51.100.7"}), "198.51.100.7");
  // Repeated header lines form one list.
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"6.6.6.6", "198.51.100.7"}), "198.51.100.7");
  // CloudFront -> ALB: the viewer is second from the right.
  const ClientAddressResolver cf = Make({"10.0.0.0/16"}, "X-Forwarded-For", 2);
  EXPECT_EQ(cf.Resolve("10.0.1.2", {"6.6.6.6, 198.51.100.7, 130.176.1.1"}), "198.51.100.7");
  EXPECT_EQ(cf.Resolve("10.0.1.2", {"198.51.100.7"}), "198.51.100.7");  // short: the leftmost
  // Ports, brackets and IPv6; IPv4-mapped IPv6 is IPv4.
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"198.51.100.7:4711"}), "198.51.100.7");
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"[2001:db8::1]:4711"}), "2001:db8::1");
  EXPECT_EQ(alb.Resolve("10.0.1.2", {" 2001:DB8::1 "}), "2001:db8::1");
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"::ffff:198.51.100.7"}), "198.51.100.7");
  // Garbage or nothing: the peer.
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"unknown"}), "10.0.1.2");
  EXPECT_EQ(alb.Resolve("10.0.1.2", {"198.51.100.7, <script>"}), "10.0.1.2");
  EXPECT_EQ(alb.Resolve("10.0.1.2", {}), "10.0.1.2");
  EXPECT_EQ(alb.Resolve("10.0.1.2", {""}), "10.0.1.2");
}

TEST(ClientAddressTest, CloudFrontViewerAddress) {
  const ClientAddressResolver cf = Make({"10.0.0.0/8", "fd00::/8"}, "CloudFront-Viewer-Address");
  EXPECT_EQ(cf.Resolve("10.2.3.4", {"198.51.100.10:46532"}), "198.51.100.10");
  EXPECT_EQ(cf.Resolve("fd12::1", {"2001:db8::1:8080"}),
            "2001:db8::1");  // unbracketed, with a port
  EXPECT_EQ(cf.Resolve("10.2.3.4", {"198.51.100.10"}),
            "10.2.3.4");  // no port: not this header's form
}

TEST(ClientAddressTest, BadOptionsAreErrors) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "example.com", "fd00::/129", "10.0.0.0/x"}) {
    ClientAddressOptions o;
    o.trusted_proxies = {bad};
    EXPECT_FALSE(ClientAddressResolver::Create(o).ok()) << bad;
  }
  ClientAddressOptions header;
  header.header = "X-Forwarded-For: 1";
  EXPECT_FALSE(ClientAddressResolver::Create(header).ok());
  ClientAddressOptions hops;
  hops.hops = 0;
  EXPECT_FALSE(ClientAddressResolver::Create(hops).ok());
  ClientAddressOptions single;
  single.trusted_proxies = {"192.0.2.1", " 2001:db8::/32 "};
  auto r = ClientAddressResolver::Create(single);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->IsTrustedProxy("192.0.2.1"));
  EXPECT_FALSE(r->IsTrustedProxy("192.0.2.2"));
  EXPECT_TRUE(r->IsTrustedProxy("2001:db8:ffff::1"));
}

TEST(ClientAddressTest, ClientKeysGroupIpv6By64) {
  EXPECT_EQ(ClientKey("198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(ClientKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  EXPECT_NE(ClientKey("2001:db8:1:3::1"), ClientKey("2001:db8:1:2::1"));
}

}  // namespace
}  // namespace watchstore::http
