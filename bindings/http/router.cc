#include "router.h"

#include <algorithm>

#include "absl/strings/str_split.h"

namespace watchstore::http {

Router::Router(std::vector<Route> routes) : routes_(std::move(routes)) {
  for (const Route& r : routes_) {
    Compiled c{&r, {}, 0};
    for (absl::string_view seg : absl::StrSplit(absl::string_view(r.pattern).substr(1), '/')) {
      c.segments.emplace_back(seg);
      if (seg.empty() || seg.front() != '{') ++c.literal_count;
    }
    compiled_.push_back(std::move(c));
  }
  std::stable_sort(compiled_.begin(), compiled_.end(), [](const Compiled& a, const Compiled& b) {
    return a.literal_count > b.literal_count;
  });
}

bool Router::MatchPath(const Compiled& c, absl::string_view path,
                       std::array<absl::string_view, 2>* params) const {
  if (path.empty() || path.front() != '/') return false;
  path.remove_prefix(1);
  size_t n_params = 0;
  for (size_t i = 0; i < c.segments.size(); ++i) {
    const size_t slash = path.find('/');
    const absl::string_view seg = path.substr(0, slash);
    const bool last = i + 1 == c.segments.size();
    if (last != (slash == absl::string_view::npos)) return false;
    const std::string& want = c.segments[i];
    if (!want.empty() && want.front() == '{') {
      if (seg.empty() || n_params >= params->size()) return false;
      (*params)[n_params++] = seg;
    } else if (seg != want) {
      return false;
    }
    if (!last) path.remove_prefix(slash + 1);
  }
  return true;
}

RouteMatch Router::Match(absl::string_view method, absl::string_view path) const {
  RouteMatch m;
  const absl::string_view want = method == "HEAD" ? absl::string_view("GET") : method;
  std::vector<absl::string_view> allowed;
  for (const Compiled& c : compiled_) {
    std::array<absl::string_view, 2> params;
    if (!MatchPath(c, path, &params)) continue;
    if (c.route->method == want) {
      m.route = c.route;
      m.params = params;
      return m;
    }
    allowed.push_back(c.route->method);
  }
  if (!allowed.empty()) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    for (absl::string_view a : allowed) {
      if (!m.allow.empty()) m.allow.append(", ");
      m.allow.append(a.data(), a.size());
      if (a == "GET") m.allow.append(", HEAD");
    }
  }
  return m;
}

}  // namespace watchstore::http
