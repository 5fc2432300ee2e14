// What the API layer sees of HTTP: a read-only request and a response to fill.
// http_server.cc adapts cpp-httplib to these, so no other file of the server
// includes httplib.h.
#ifndef WATCHSTORE_BINDINGS_HTTP_HTTP_TYPES_H_
#define WATCHSTORE_BINDINGS_HTTP_HTTP_TYPES_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace watchstore::http {

// The listening socket a request came through: the public one (the API and
// the storefront) or the operations one (/metrics, /healthz, /readyz).
enum class Listener { kPublic = 0, kOperations = 1 };

// A parsed request. Views stay valid while the request is being handled.
class HttpRequest {
 public:
  virtual ~HttpRequest() = default;
  // "GET", "POST", ... (HEAD requests are handled as GET; see is_head()).
  virtual absl::string_view method() const = 0;
  virtual bool is_head() const = 0;
  // The decoded path, without the query string.
  virtual absl::string_view path() const = 0;
  virtual absl::string_view body() const = 0;
  // The peer's address, from the socket (never from a header).
  virtual absl::string_view peer() const = 0;
  // The client's address: the peer, or, when the peer is a trusted proxy,
  // the address it recorded (client_address.h). What per-client limits and
  // logs use.
  virtual absl::string_view client_address() const = 0;
  virtual Listener listener() const = 0;
  // The first value of a header (names are case-insensitive), if present.
  virtual std::optional<absl::string_view> header(const std::string& name) const = 0;
  virtual size_t header_count(const std::string& name) const = 0;
  // Every value of a header, in order.
  virtual std::vector<absl::string_view> header_values(const std::string& name) const = 0;
  // The decoded query parameters, in order, repeats included.
  virtual std::vector<std::pair<absl::string_view, absl::string_view>> query() const = 0;
};

// A response. Content-Length, Connection and the security headers every
// response carries are added by the server.
struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  bool HasHeader(absl::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (absl::EqualsIgnoreCase(n, name)) return true;
    }
    return false;
  }
};

// True if the request's If-None-Match names `etag` (weak or strong) or is
// "*": the client's copy is current and a 304 may be sent.
inline bool IfNoneMatchHits(const HttpRequest& req, absl::string_view etag) {
  const auto inm = req.header("If-None-Match");
  if (!inm) return false;
  for (absl::string_view tag : absl::StrSplit(*inm, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (absl::StartsWith(tag, "W/")) tag.remove_prefix(2);
    if (tag == etag || tag == "*") return true;
  }
  return false;
}

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_HTTP_TYPES_H_
