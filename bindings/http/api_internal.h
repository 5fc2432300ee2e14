// What the api*.cc files share: the per-request Call and small parsers.
// Private to the server.
#ifndef WATCHSTORE_BINDINGS_HTTP_API_INTERNAL_H_
#define WATCHSTORE_BINDINGS_HTTP_API_INTERNAL_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api.h"
#include "json.h"
#include "watchstore/money.h"

namespace watchstore::http {

// One request being handled.
struct Api::Call {
  Call(const HttpRequest& r, HttpResponse* s, const RouteMatch& m) : req(r), res(s), match(m) {}

  const HttpRequest& req;
  HttpResponse* res;
  const RouteMatch& match;

  // Credentials as sent (filled by Api::Handle).
  std::vector<absl::string_view> cookie_headers;
  std::optional<absl::string_view> authorization;  // the Authorization header
  std::optional<absl::string_view> session_cookie;
  std::optional<absl::string_view> cart_cookie;
  std::optional<absl::string_view> csrf_cookie;

  // The response depends on the credentials sent (the handler looked at
  // them): it carries Vary: Authorization, Cookie.
  bool viewer_dependent = false;
  // The authenticated caller, once asked for.
  bool auth_checked = false;
  absl::StatusOr<Principal> principal = absl::UnknownError("not checked");
};

// A positive integer id from a path segment; NotFound naming `field` otherwise
// (a path that names no resource).
absl::StatusOr<int64_t> PathId(absl::string_view segment, absl::string_view field);

// Reads query parameters strictly: each at most once, none unknown.
class QueryReader {
 public:
  explicit QueryReader(const HttpRequest& req);

  bool String(const char* name, std::optional<std::string>* out, size_t max_bytes);
  bool Int64(const char* name, std::optional<int64_t>* out, int64_t min, int64_t max);
  bool Bool(const char* name, bool* out);
  // The first error, else InvalidArgument naming the first unknown parameter.
  absl::Status Finish();

 private:
  const absl::string_view* Find(const char* name);
  void Fail(const char* name, absl::string_view message);

  std::vector<std::pair<absl::string_view, absl::string_view>> params_;
  std::vector<bool> read_;
  absl::Status status_;
};

// {"amount_minor": int, "currency": "USD"} at `path`.
absl::StatusOr<Money> ReadMoney(const JsonValue& value, const std::string& path);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_API_INTERNAL_H_
