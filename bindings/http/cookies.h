// Cookies of the API contract: session, guest cart and CSRF token.
#ifndef WATCHSTORE_BINDINGS_HTTP_COOKIES_H_
#define WATCHSTORE_BINDINGS_HTTP_COOKIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace watchstore::http {

// Production: "__Host-" names with Secure. The development setting (plain
// http on loopback) drops both, as the contract documents.
struct CookiePolicy {
  std::string session_name;
  std::string cart_name;
  std::string csrf_name;
  bool secure = true;

  static CookiePolicy Production();
  static CookiePolicy Insecure();
};

// The value of cookie `name` in the given Cookie header values, if present.
std::optional<absl::string_view> FindCookie(const std::vector<absl::string_view>& cookie_headers,
                                            absl::string_view name);

struct CookieAttributes {
  bool http_only = true;
  bool secure = true;
  int64_t max_age_seconds = -1;  // < 0: a session cookie; 0: delete it
};

// A Set-Cookie value: "<name>=<value>; Path=/; SameSite=Lax[; Secure][; HttpOnly][; Max-Age=N]".
// REQUIRES: name and value are cookie-safe (our own names, base64url tokens).
std::string SetCookieValue(absl::string_view name, absl::string_view value,
                           const CookieAttributes& attributes);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_COOKIES_H_
