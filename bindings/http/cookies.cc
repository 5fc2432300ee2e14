#include "cookies.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace watchstore::http {

CookiePolicy CookiePolicy::Production() {
  return CookiePolicy{"__Host-ws_session", "__Host-ws_cart", "__Host-ws_csrf", true};
}

CookiePolicy CookiePolicy::Insecure() {
  return CookiePolicy{"ws_session", "ws_cart", "ws_csrf", false};
}

std::optional<absl::string_view> FindCookie(const std::vector<absl::string_view>& cookie_headers,
                                            absl::string_view name) {
  for (absl::string_view header : cookie_headers) {
    while (!header.empty()) {
      const size_t semi = header.find(';');
      absl::string_view pair = header.substr(0, semi);
      header = semi == absl::string_view::npos ? absl::string_view() : header.substr(semi + 1);
      pair = absl::StripAsciiWhitespace(pair);
      const size_t eq = pair.find('=');
      if (eq == absl::string_view::npos) continue;
      if (absl::StripAsciiWhitespace(pair.substr(0, eq)) != name) continue;
      absl::string_view value = absl::StripAsciiWhitespace(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return std::nullopt;
}

std::string SetCookieValue(absl::string_view name, absl::string_view value,
                           const CookieAttributes& a) {
  std::string s = absl::StrCat(name, "=", value, "; Path=/; SameSite=Lax");
  if (a.secure) s.append("; Secure");
  if (a.http_only) s.append("; HttpOnly");
  if (a.max_age_seconds >= 0) absl::StrAppend(&s, "; Max-Age=", a.max_age_seconds);
  return s;
}

}  // namespace watchstore::http
