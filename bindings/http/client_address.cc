#include "client_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace watchstore::http {
namespace {

struct Ip {
  int family = 0;
  unsigned char bytes[16] = {0};
};

// A bare IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4.
std::optional<Ip> ParseIp(absl::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  Ip ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes, kMapped, 12) == 0) {
      std::memmove(ip.bytes, ip.bytes + 12, 4);
      std::memset(ip.bytes + 4, 0, 12);
      ip.family = AF_INET;
    } else {
      ip.family = AF_INET6;
    }
    return ip;
  }
  return std::nullopt;
}

std::string Format(const Ip& ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (inet_ntop(ip.family, ip.bytes, buf, sizeof buf) == nullptr) return "";
  return buf;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// One entry of the header: "1.2.3.4", "2001:db8::1", "1.2.3.4:5678",
// "[2001:db8::1]:5678"; with `with_port` (CloudFront-Viewer-Address) the
// port is always there and IPv6 is unbracketed ("2001:db8::1:5678").
std::optional<Ip> ParseEntry(absl::string_view entry, bool with_port) {
  entry = absl::StripAsciiWhitespace(entry);
  if (absl::StartsWith(entry, "[")) {
    const size_t close = entry.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    const absl::string_view rest = entry.substr(close + 1);
    if (!rest.empty() && !(rest[0] == ':' && AllDigits(rest.substr(1)))) return std::nullopt;
    return ParseIp(entry.substr(1, close - 1));
  }
  if (with_port) {
    const size_t colon = entry.rfind(':');
    if (colon == absl::string_view::npos || !AllDigits(entry.substr(colon + 1))) {
      return std::nullopt;
    }
    return ParseIp(entry.substr(0, colon));
  }
  if (auto ip = ParseIp(entry)) return ip;
  // "1.2.3.4:5678" (IPv4 with a port; one colon only).
  const size_t colon = entry.find(':');
  if (colon != absl::string_view::npos && entry.find(':', colon + 1) == absl::string_view::npos &&
      AllDigits(entry.substr(colon + 1))) {
    auto ip = ParseIp(entry.substr(0, colon));
    if (ip && ip->family == AF_INET) return ip;
  }
  return std::nullopt;
}

bool IsHeaderName(absl::string_view s) {
  if (s.empty() || s.size() > 100) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ClientAddressResolver> ClientAddressResolver::Create(
    const ClientAddressOptions& options) {
  ClientAddressResolver r;
  if (!IsHeaderName(options.header)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the client address header must be a header name (got \"",
                     options.header.substr(0, 100), "\")"));
  }
  if (options.hops < 1 || options.hops > 16) {
    return absl::InvalidArgumentError("trusted hops must be from 1 to 16");
  }
  r.header_ = options.header;
  r.viewer_address_form_ = absl::EqualsIgnoreCase(options.header, "CloudFront-Viewer-Address");
  r.hops_ = options.hops;
  for (const std::string& text : options.trusted_proxies) {
    absl::string_view t = absl::StripAsciiWhitespace(text);
    if (t.empty()) continue;
    absl::string_view addr = t;
    int prefix = -1;
    if (const size_t slash = t.find('/'); slash != absl::string_view::npos) {
      addr = t.substr(0, slash);
      if (!absl::SimpleAtoi(t.substr(slash + 1), &prefix) || !AllDigits(t.substr(slash + 1))) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", t.substr(0, 100), "\" is not a network (address/prefix)"));
      }
    }
    auto ip = ParseIp(addr);
    if (!ip) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", t.substr(0, 100), "\" is not an IP address or network"));
    }
    const int bits = ip->family == AF_INET ? 32 : 128;
    if (prefix < 0) prefix = bits;
    if (prefix > bits) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", t.substr(0, 100), "\": the prefix must be at most ", bits));
    }
    Network n;
    n.family = ip->family;
    std::memcpy(n.bytes, ip->bytes, sizeof n.bytes);
    n.prefix = prefix;
    r.networks_.push_back(n);
  }
  return r;
}

bool ClientAddressResolver::IsTrustedProxy(absl::string_view peer) const {
  if (networks_.empty()) return false;
  auto ip = ParseIp(peer);
  if (!ip) return false;
  for (const Network& n : networks_) {
    if (n.family != ip->family) continue;
    const int full = n.prefix / 8;
    const int rest = n.prefix % 8;
    if (std::memcmp(n.bytes, ip->bytes, static_cast<size_t>(full)) != 0) continue;
    if (rest != 0) {
      const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((n.bytes[full] & mask) != (ip->bytes[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string ClientAddressResolver::Resolve(
    absl::string_view peer, const std::vector<absl::string_view>& header_values) const {
  if (header_values.empty() || !IsTrustedProxy(peer)) return std::string(peer);
  // All values as one list, in order (RFC 9110: repeated fields combine).
  std::vector<absl::string_view> entries;
  for (absl::string_view v : header_values) {
    for (absl::string_view e : absl::StrSplit(v, ',')) {
      if (entries.size() >= 64) break;  // more entries than any real proxy chain
      entries.push_back(e);
    }
  }
  if (entries.empty()) return std::string(peer);
  // `hops` from the right; fewer entries than hops: the leftmost (every
  // entry there was written by a trusted proxy).
  const size_t index = entries.size() >= static_cast<size_t>(hops_) ? entries.size() - hops_ : 0;
  auto ip = ParseEntry(entries[index], viewer_address_form_);
  if (!ip) return std::string(peer);
  std::string out = Format(*ip);
  return out.empty() ? std::string(peer) : out;
}

std::string ClientKey(absl::string_view address) {
  auto ip = ParseIp(address);
  if (!ip) return std::string(address.substr(0, 64));
  if (ip->family == AF_INET) return Format(*ip);
  std::memset(ip->bytes + 8, 0, 8);
  return absl::StrCat(Format(*ip), "/64");
}

}  // namespace watchstore::http
