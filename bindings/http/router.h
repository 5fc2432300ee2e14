// Matches a method and path against a table of route templates
// ("/api/v1/products/{id}"). cpp-httplib 0.11.4 routes by std::regex and has no
// path parameters; this router is plain string work, and its table is what
// the OpenAPI test compares with docs/openapi.yaml.
#ifndef WATCHSTORE_BINDINGS_HTTP_ROUTER_H_
#define WATCHSTORE_BINDINGS_HTTP_ROUTER_H_

#include <array>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace watchstore::http {

// A route: method, path template and an id the caller dispatches on. A
// template segment "{name}" matches any one non-empty segment.
struct Route {
  int id = 0;
  std::string method;   // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string pattern;  // "/api/v1/products/{id}"
};

struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method
  // Values of the template's {params}, in order.
  std::array<absl::string_view, 2> params;
  // Set when no route matched the method but some matched the path: the
  // methods that would have ("GET, HEAD, PUT").
  std::string allow;
};

class Router {
 public:
  // Literal segments take precedence over {params}: list routes in any order.
  explicit Router(std::vector<Route> routes);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // HEAD matches GET routes. `path` must not contain the query string.
  RouteMatch Match(absl::string_view method, absl::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    const Route* route;
    std::vector<std::string> segments;  // "{...}" for a parameter
    int literal_count;
  };
  bool MatchPath(const Compiled& c, absl::string_view path,
                 std::array<absl::string_view, 2>* params) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;  // most literal segments first
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_ROUTER_H_
