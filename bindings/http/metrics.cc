#include "metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace watchstore::http {
namespace {

constexpr double kBucketBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5};
constexpr int64_t kBucketNanos[] = {
    500'000,     1'000'000,   2'500'000,   5'000'000,    10'000'000,   25'000'000,  50'000'000,
    100'000'000, 250'000'000, 500'000'000, 1000'000'000, 2500'000'000, 5000'000'000};

std::string EscapeLabel(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void AppendCacheMetrics(std::string* out, absl::string_view kind, const CacheStats& cs) {
  const std::string label = absl::StrCat("cache=\"", EscapeLabel(kind), "\"");
  HttpMetrics::AppendSample(out, "watchstore_cache_hits_total", "counter",
                            "Cache hits (stale serves included).", cs.hits, label);
  HttpMetrics::AppendSample(out, "watchstore_cache_misses_total", "counter", "Cache misses.",
                            cs.misses, label);
  HttpMetrics::AppendSample(out, "watchstore_cache_errors_total", "counter",
                            "Cache backend failures (served as misses).", cs.errors, label);
  if (cs.entries >= 0) {
    HttpMetrics::AppendSample(out, "watchstore_cache_entries", "gauge", "Entries in the cache.",
                              cs.entries, label);
  }
  if (cs.bytes >= 0) {
    HttpMetrics::AppendSample(out, "watchstore_cache_bytes", "gauge", "Bytes held by the cache.",
                              cs.bytes, label);
  }
  if (cs.l1_hits >= 0) {
    absl::StrAppend(out,
                    "# HELP watchstore_cache_tier_lookups_total Lookups by tier (l1: in-process, "
                    "l2: shared) and result.\n"
                    "# TYPE watchstore_cache_tier_lookups_total counter\n");
    const struct {
      const char* tier;
      const char* result;
      int64_t n;
    } tiers[] = {{"l1", "hit", cs.l1_hits},
                 {"l1", "miss", cs.l1_misses},
                 {"l2", "hit", cs.l2_hits},
                 {"l2", "miss", cs.l2_misses}};
    for (const auto& t : tiers) {
      absl::StrAppend(out, "watchstore_cache_tier_lookups_total{", label, ",tier=\"", t.tier,
                      "\",result=\"", t.result, "\"} ", t.n, "\n");
    }
    HttpMetrics::AppendSample(out, "watchstore_cache_stale_served_total", "counter",
                              "Near-cache copies served past their freshness while refreshed.",
                              cs.stale_hits, label);
    HttpMetrics::AppendSample(out, "watchstore_cache_refreshes_total", "counter",
                              "Background refreshes of stale near-cache copies.", cs.refreshes,
                              label);
    HttpMetrics::AppendSample(out, "watchstore_cache_refresh_failures_total", "counter",
                              "Refreshes that found nothing usable in L2 (copy kept until its "
                              "staleness bound).",
                              cs.refresh_failures, label);
  }
  if (cs.breaker_open < 0) return;
  HttpMetrics::AppendSample(out, "watchstore_cache_breaker_open", "gauge",
                            "1 while the shared cache's circuit breaker is open.", cs.breaker_open,
                            label);
  HttpMetrics::AppendSample(out, "watchstore_cache_breaker_openings_total", "counter",
                            "Times the shared cache's circuit breaker opened.", cs.breaker_openings,
                            label);
  absl::StrAppend(out,
                  "# HELP watchstore_cache_command_duration_seconds Round trips of shared-cache "
                  "commands.\n"
                  "# TYPE watchstore_cache_command_duration_seconds histogram\n");
  int64_t cumulative = 0;
  for (int b = 0; b < kCacheLatencyBuckets; ++b) {
    cumulative += cs.latency_buckets[b];
    const std::string le =
        b == kCacheLatencyBuckets - 1
            ? std::string("+Inf")
            : absl::StrFormat("%g", static_cast<double>(kCacheLatencyBoundsMicros[b]) / 1e6);
    absl::StrAppend(out, "watchstore_cache_command_duration_seconds_bucket{", label, ",le=\"", le,
                    "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, "watchstore_cache_command_duration_seconds_sum{", label, "} ",
                  absl::StrFormat("%.6f", static_cast<double>(cs.latency_sum_micros) / 1e6), "\n");
  absl::StrAppend(out, "watchstore_cache_command_duration_seconds_count{", label, "} ", cumulative,
                  "\n");
}

std::string HttpMetrics::LabelSet(absl::string_view method, absl::string_view route) {
  return absl::StrCat("method=\"", EscapeLabel(method), "\",route=\"", EscapeLabel(route), "\"");
}

HttpMetrics::HttpMetrics(std::vector<std::string> label_sets)
    : labels_(std::move(label_sets)), routes_(new PerRoute[labels_.size()]) {
  for (size_t r = 0; r < labels_.size(); ++r) {
    for (auto& s : routes_[r].by_status) s.store(0, std::memory_order_relaxed);
    for (auto& b : routes_[r].buckets) b.store(0, std::memory_order_relaxed);
  }
  static_assert(sizeof(kBucketNanos) / sizeof(kBucketNanos[0]) == kBuckets - 1);
}

void HttpMetrics::Record(int route, int status, absl::Duration latency) {
  if (labels_.empty()) return;
  if (route < 0 || route >= static_cast<int>(labels_.size()))
    route = static_cast<int>(labels_.size()) - 1;
  if (status < 0 || status >= kStatuses) status = 0;
  PerRoute& r = routes_[route];
  r.by_status[status].fetch_add(1, std::memory_order_relaxed);
  const int64_t nanos = absl::ToInt64Nanoseconds(latency);
  int b = 0;
  while (b < kBuckets - 1 && nanos > kBucketNanos[b]) ++b;
  r.buckets[b].fetch_add(1, std::memory_order_relaxed);
  r.sum_nanos.fetch_add(nanos, std::memory_order_relaxed);
  r.count.fetch_add(1, std::memory_order_relaxed);
}

void HttpMetrics::AppendSample(std::string* out, absl::string_view name, absl::string_view type,
                               absl::string_view help, int64_t value, absl::string_view labels) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name);
  if (!labels.empty()) absl::StrAppend(out, "{", labels, "}");
  absl::StrAppend(out, " ", value, "\n");
}

void HttpMetrics::Render(std::string* out) const {
  absl::StrAppend(out,
                  "# HELP watchstore_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE watchstore_http_requests_total counter\n");
  for (size_t i = 0; i < labels_.size(); ++i) {
    const std::string& label = labels_[i];
    for (int s = 0; s < kStatuses; ++s) {
      const int64_t n = routes_[i].by_status[s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      absl::StrAppend(out, "watchstore_http_requests_total{", label, ",status=\"", s, "\"} ", n,
                      "\n");
    }
  }
  absl::StrAppend(out,
                  "# HELP watchstore_http_request_duration_seconds Time from the request's "
                  "headers to its response.\n"
                  "# TYPE watchstore_http_request_duration_seconds histogram\n");
  for (size_t i = 0; i < labels_.size(); ++i) {
    const PerRoute& r = routes_[i];
    const int64_t count = r.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string& label = labels_[i];
    int64_t cumulative = 0;
    for (int b = 0; b < kBuckets; ++b) {
      cumulative += r.buckets[b].load(std::memory_order_relaxed);
      const std::string le =
          b == kBuckets - 1 ? std::string("+Inf") : absl::StrFormat("%g", kBucketBounds[b]);
      absl::StrAppend(out, "watchstore_http_request_duration_seconds_bucket{", label, ",le=\"", le,
                      "\"} ", cumulative, "\n");
    }
    absl::StrAppend(out, "watchstore_http_request_duration_seconds_sum{", label, "} ",
                    absl::StrFormat("%.6f", r.sum_nanos.load(std::memory_order_relaxed) / 1e9),
                    "\n");
    // The +Inf bucket's count, so the two agree even while requests land.
    absl::StrAppend(out, "watchstore_http_request_duration_seconds_count{", label, "} ", cumulative,
                    "\n");
  }
}

}  // namespace watchstore::http
