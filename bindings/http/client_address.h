// Who the client is. Behind a proxy (CloudFront -> ALB -> server) the socket
// peer is the proxy, so per-client limits keyed on it would put every client
// in one bucket; keyed on a header, a client could name any address it
// likes. The rule here: the socket peer, unless the peer is a configured
// trusted proxy, in which case the address the trusted proxies recorded in
// one configured header, counted `hops` entries from the right (each proxy
// appends what it saw; entries further left are whatever the client sent).
#ifndef WATCHSTORE_BINDINGS_HTTP_CLIENT_ADDRESS_H_
#define WATCHSTORE_BINDINGS_HTTP_CLIENT_ADDRESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace watchstore::http {

struct ClientAddressOptions {
  // Networks whose connections come from our own proxies ("10.0.0.0/16",
  // "fd00::/8", or a single address). Empty: no proxy is trusted and the
  // socket peer is always the client.
  std::vector<std::string> trusted_proxies;
  // The header the trusted proxies fill: "X-Forwarded-For" (a list, one
  // entry appended per proxy) or "CloudFront-Viewer-Address" ("ip:port").
  std::string header = "X-Forwarded-For";
  // Which entry from the right is the client: 1 = the last one (one proxy
  // that appends, e.g. an ALB alone); 2 for CloudFront -> ALB (CloudFront
  // appends the viewer, the ALB appends CloudFront). >= 1.
  int hops = 1;
};

// Thread-safe (immutable).
class ClientAddressResolver {
 public:
  // InvalidArgument naming a malformed network, header or hop count.
  static absl::StatusOr<ClientAddressResolver> Create(const ClientAddressOptions& options);
  // Trusts nothing: the peer is always the client.
  ClientAddressResolver() = default;

  // True if `peer` (an IP address in text) is inside a trusted network.
  bool IsTrustedProxy(absl::string_view peer) const;
  // The client's address (normalized text). `header_values`: every value of
  // the configured header, in the order received. The peer when it is not a
  // trusted proxy, or when the header is missing or its entry is not an IP
  // address.
  std::string Resolve(absl::string_view peer,
                      const std::vector<absl::string_view>& header_values) const;

  const std::string& header() const { return header_; }
  bool trusts_anyone() const { return !networks_.empty(); }

 private:
  struct Network {
    int family = 0;  // AF_INET or AF_INET6
    unsigned char bytes[16] = {0};
    int prefix = 0;
  };
  std::vector<Network> networks_;
  std::string header_ = "X-Forwarded-For";
  bool viewer_address_form_ = false;  // "ip:port" entries (CloudFront-Viewer-Address)
  int hops_ = 1;
};

// The key per-client limits count under: an IPv4 address as is, an IPv6
// address by its /64 (one subscriber usually holds a whole /64). Anything
// that is not an IP address is its own key.
std::string ClientKey(absl::string_view address);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_CLIENT_ADDRESS_H_
