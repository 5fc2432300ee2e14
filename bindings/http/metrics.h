// Prometheus metrics of the HTTP server: requests by route, method and
// status, and a latency histogram per route. Lock-free counters; Render()
// produces the text exposition format (version 0.0.4).
#ifndef WATCHSTORE_BINDINGS_HTTP_METRICS_H_
#define WATCHSTORE_BINDINGS_HTTP_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/cache.h"

namespace watchstore::http {

// Appends the cache's metrics (docs/DEPLOY.md lists them), labelled
// cache="<kind>": hits, misses, errors, entries, bytes; for a tiered cache
// each tier's hits and misses, stale serves and refreshes; for a remote
// backend its circuit breaker and a command latency histogram.
void AppendCacheMetrics(std::string* out, absl::string_view kind, const CacheStats& stats);

class HttpMetrics {
 public:
  // One label set per route (see LabelSet()); Record() takes its index.
  explicit HttpMetrics(std::vector<std::string> label_sets);
  // `method="GET",route="/api/v1/products/{id}"`, escaped.
  static std::string LabelSet(absl::string_view method, absl::string_view route);
  HttpMetrics(const HttpMetrics&) = delete;
  HttpMetrics& operator=(const HttpMetrics&) = delete;

  // Thread-safe, wait-free. Out-of-range indexes or statuses are clamped.
  void Record(int route, int status, absl::Duration latency);
  // Appends the request counters and histograms to `out`.
  void Render(std::string* out) const;

  // Appends one gauge or counter sample with its HELP/TYPE header.
  static void AppendSample(std::string* out, absl::string_view name, absl::string_view type,
                           absl::string_view help, int64_t value, absl::string_view labels = {});

 private:
  static constexpr int kStatuses = 600;
  static constexpr int kBuckets = 14;  // the last is +Inf
  struct PerRoute {
    std::atomic<int64_t> by_status[kStatuses];
    std::atomic<int64_t> buckets[kBuckets];
    std::atomic<int64_t> sum_nanos{0};
    std::atomic<int64_t> count{0};
  };

  std::vector<std::string> labels_;
  std::unique_ptr<PerRoute[]> routes_;
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_METRICS_H_
