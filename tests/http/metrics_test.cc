// The cache's /metrics samples (AppendCacheMetrics): per-tier lookups, stale
// serves, refreshes, the breaker and the latency histogram, as docs/DEPLOY.md
// lists them.
#include "metrics.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace watchstore::http {
namespace {

TEST(CacheMetrics, MemoryCacheHasNoTiersAndNoBreaker) {
  CacheStats s;
  s.hits = 5;
  s.misses = 2;
  std::string out;
  AppendCacheMetrics(&out, "memory", s);
  EXPECT_TRUE(absl::StrContains(out, "watchstore_cache_hits_total{cache=\"memory\"} 5\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "watchstore_cache_misses_total{cache=\"memory\"} 2\n"));
  EXPECT_FALSE(absl::StrContains(out, "tier_lookups"));
  EXPECT_FALSE(absl::StrContains(out, "breaker"));
}

TEST(CacheMetrics, TieredCacheShowsTiersStaleServesBreakerAndLatency) {
  CacheStats s;
  s.entries = -1;
  s.bytes = -1;
  s.l1_hits = 10;
  s.l1_misses = 3;
  s.l2_hits = 2;
  s.l2_misses = 1;
  s.stale_hits = 4;
  s.refreshes = 2;
  s.refresh_failures = 1;
  s.breaker_open = 1;
  s.breaker_openings = 7;
  s.latency_buckets[0] = 5;                         // <= 100 us
  s.latency_buckets[kCacheLatencyBuckets - 1] = 1;  // over 100 ms
  s.latency_sum_micros = 150'000;
  std::string out;
  AppendCacheMetrics(&out, "tiered", s);
  const char* want[] = {
      R"(watchstore_cache_tier_lookups_total{cache="tiered",tier="l1",result="hit"} 10)",
      R"(watchstore_cache_tier_lookups_total{cache="tiered",tier="l1",result="miss"} 3)",
      R"(watchstore_cache_tier_lookups_total{cache="tiered",tier="l2",result="hit"} 2)",
      R"(watchstore_cache_tier_lookups_total{cache="tiered",tier="l2",result="miss"} 1)",
      R"(watchstore_cache_stale_served_total{cache="tiered"} 4)",
      R"(watchstore_cache_refreshes_total{cache="tiered"} 2)",
      R"(watchstore_cache_refresh_failures_total{cache="tiered"} 1)",
      R"(watchstore_cache_breaker_open{cache="tiered"} 1)",
      R"(watchstore_cache_breaker_openings_total{cache="tiered"} 7)",
      R"(watchstore_cache_command_duration_seconds_bucket{cache="tiered",le="0.0001"} 5)",
      R"(watchstore_cache_command_duration_seconds_bucket{cache="tiered",le="0.1"} 5)",
      R"(watchstore_cache_command_duration_seconds_bucket{cache="tiered",le="+Inf"} 6)",
      R"(watchstore_cache_command_duration_seconds_sum{cache="tiered"} 0.150000)",
      R"(watchstore_cache_command_duration_seconds_count{cache="tiered"} 6)",
  };
  for (const char* w : want) EXPECT_TRUE(absl::StrContains(out, w)) << w << "\n" << out;
  EXPECT_FALSE(absl::StrContains(out, "watchstore_cache_entries"));
}

}  // namespace
}  // namespace watchstore::http
