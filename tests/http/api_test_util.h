// Small helpers shared by the API tests.
#ifndef WATCHSTORE_TESTS_HTTP_API_TEST_UTIL_H_
#define WATCHSTORE_TESTS_HTTP_API_TEST_UTIL_H_

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "http_test_util.h"

namespace watchstore::http::testing {

constexpr char kJson[] = "application/json";

// The Set-Cookie value for `name` ("name=value; ..."), if the response set it.
inline std::optional<std::string> SetCookieFor(const httplib::Response& r,
                                               const std::string& name) {
  const size_t n = r.get_header_value_count("Set-Cookie");
  for (size_t i = 0; i < n; ++i) {
    std::string v = r.get_header_value("Set-Cookie", i);
    if (absl::StartsWith(v, name + "=")) return v;
  }
  return std::nullopt;
}

// The value part of a Set-Cookie ("name=VALUE; ...").
inline std::string CookieValueOf(const std::string& set_cookie) {
  const size_t eq = set_cookie.find('=');
  const size_t semi = set_cookie.find(';');
  return set_cookie.substr(eq + 1, semi == std::string::npos ? std::string::npos : semi - eq - 1);
}

// A browser-like session: cookies carried along, CSRF header sent on writes.
class Browser {
 public:
  explicit Browser(TestServer& server) : client_(server.Client()) {}

  httplib::Result Get(const std::string& path, httplib::Headers extra = {}) {
    return Remember(client_->Get(path.c_str(), WithCookies(std::move(extra), false)));
  }
  httplib::Result Send(const std::string& method, const std::string& path, const std::string& body,
                       httplib::Headers extra = {}, bool csrf = true) {
    httplib::Headers h = WithCookies(std::move(extra), csrf);
    if (method == "PUT") return Remember(client_->Put(path.c_str(), h, body, kJson));
    if (method == "DELETE") return Remember(client_->Delete(path.c_str(), h));
    return Remember(body.empty() ? client_->Post(path.c_str(), h)
                                 : client_->Post(path.c_str(), h, body, kJson));
  }

  std::optional<std::string> cookie(const std::string& name) const {
    for (const auto& [k, v] : cookies_) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
  void set_cookie(const std::string& name, const std::string& value) {
    for (auto& [k, v] : cookies_) {
      if (k == name) {
        v = value;
        return;
      }
    }
    cookies_.emplace_back(name, value);
  }

 private:
  httplib::Headers WithCookies(httplib::Headers h, bool csrf) {
    std::string jar;
    for (const auto& [k, v] : cookies_) absl::StrAppend(&jar, jar.empty() ? "" : "; ", k, "=", v);
    if (!jar.empty()) h.emplace("Cookie", jar);
    if (csrf) {
      if (auto t = cookie("ws_csrf")) h.emplace("X-CSRF-Token", *t);
    }
    return h;
  }
  httplib::Result Remember(httplib::Result r) {
    if (!r) return r;
    const size_t n = r->get_header_value_count("Set-Cookie");
    for (size_t i = 0; i < n; ++i) {
      const std::string sc = r->get_header_value("Set-Cookie", i);
      const std::string name = sc.substr(0, sc.find('='));
      const std::string value = CookieValueOf(sc);
      if (absl::StrContains(sc, "Max-Age=0")) {
        cookies_.erase(std::remove_if(cookies_.begin(), cookies_.end(),
                                      [&](const auto& c) { return c.first == name; }),
                       cookies_.end());
      } else {
        set_cookie(name, value);
      }
    }
    return r;
  }

  std::unique_ptr<httplib::Client> client_;
  std::vector<std::pair<std::string, std::string>> cookies_;
};

inline std::string ShippingBody(const std::string& name = "Ada Lovelace") {
  return absl::StrCat(
      R"({"shipping":{"name":")", name,
      R"(","line1":"12 Analytical St","line2":"","city":"London","postal_code":"N1 9GU","country":"GB"}})");
}

}  // namespace watchstore::http::testing

#endif  // WATCHSTORE_TESTS_HTTP_API_TEST_UTIL_H_
