#include "redis/redis_url.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace watchstore::internal {
namespace {

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "RedisOptions.url: ", what, " (expected redis://[[user]:password@]host[:port][/db])"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; false on a malformed escape or a NUL byte.
bool PercentDecode(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return false;
    out->push_back(c);
  }
  return true;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

absl::StatusOr<RedisEndpoint> ParseRedisUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "redis://";
  if (absl::StartsWith(url, "rediss://")) {
    return Bad("TLS (rediss://) is not supported by this build's hiredis");
  }
  if (!absl::StartsWith(url, kScheme)) return Bad("scheme must be redis://");
  absl::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return Bad("query strings and fragments are not supported");
  }
  RedisEndpoint ep;

  // Authority ends at the first '/' after the last '@' (a password may hold '/'
  // only percent-encoded, but be lenient about where '@' may appear).
  absl::string_view path;
  const size_t at = rest.rfind('@');
  const size_t slash = rest.find('/', at == absl::string_view::npos ? 0 : at);
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) path = rest.substr(slash + 1);

  if (at != absl::string_view::npos) {
    absl::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      return Bad("credentials must be user:password or :password");
    }
    if (!PercentDecode(userinfo.substr(0, colon), &ep.user)) {
      return Bad("malformed percent-encoding in the user name");
    }
    if (!PercentDecode(userinfo.substr(colon + 1), &ep.password)) {
      return Bad("malformed percent-encoding in the password");
    }
    if (ep.password.empty()) return Bad("empty password");
  }

  // Host, optionally [IPv6], then :port.
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Bad("unterminated [IPv6] host");
    ep.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("junk after the [IPv6] host");
      port_text = after.substr(1);
      if (port_text.empty()) return Bad("empty port");
    }
    if (ep.host.empty()) return Bad("empty host");
    for (char c : ep.host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return Bad("bad IPv6 address");
      }
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
      if (port_text.empty()) return Bad("empty port");
    }
    if (authority.empty()) return Bad("empty host");
    if (authority.size() > 253) return Bad("host name too long");
    for (char c : authority) {
      if (!IsHostChar(c)) return Bad("bad character in the host");
    }
    ep.host = std::string(authority);
  }
  if (!port_text.empty()) {
    for (char c : port_text) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return Bad("port is not a number");
    }
    if (port_text.size() > 5 || !absl::SimpleAtoi(port_text, &ep.port) || ep.port < 1 ||
        ep.port > 65535) {
      return Bad("port must be in [1, 65535]");
    }
  }

  if (!path.empty()) {
    for (char c : path) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return Bad("database must be a number");
      }
    }
    if (path.size() > 5 || !absl::SimpleAtoi(path, &ep.db) || ep.db < 0 || ep.db > 65535) {
      return Bad("database must be in [0, 65535]");
    }
  }
  return ep;
}

}  // namespace watchstore::internal
