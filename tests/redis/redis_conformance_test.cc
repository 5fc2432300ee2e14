// The Cache conformance suite on the Redis cache and on the tiered cache
// (memory L1 + Redis L2 + pub/sub feed), and the LoginLimiter suite on the
// Redis limiter, against a real redis-server.
#include "cache_conformance.h"
#include "login_limiter_conformance.h"
#include "redis_test_util.h"
#include "watchstore/redis_login_limiter.h"

namespace watchstore::testing {
namespace {

// Without a server every case is skipped (a failure under CI=true). The
// cases are always registered, so ctest lists them either way.
class RequireRedis : public ::testing::Environment {
 public:
  void SetUp() override { WS_REQUIRE_REDIS(); }
};
const auto* const kRequireRedis = ::testing::AddGlobalTestEnvironment(new RequireRedis);

std::unique_ptr<Cache> MakeRedis(FakeClock*) {
  auto cache = NewRedisCache(TestRedisOptions(SharedRedisUrl()));
  return cache.ok() ? *std::move(cache) : nullptr;
}

// Returned once its feed has subscribed (and so cleared L1 once), so that
// the clear never lands in the middle of a case.
std::unique_ptr<Cache> MakeTiered(FakeClock*) {
  const RedisOptions o = TestRedisOptions(SharedRedisUrl());
  auto l1 = NewMemoryCache({});
  auto l2 = NewRedisCache(o);
  auto feed = NewRedisInvalidationFeed(o);
  if (!l1.ok() || !l2.ok() || !feed.ok()) return nullptr;
  const InvalidationFeed* subscribed = feed->get();
  TieredCacheOptions t;
  t.l1_ttl = absl::Seconds(5);
  auto cache = NewTieredCache(*std::move(l1), *std::move(l2), t, *std::move(feed));
  if (!cache.ok()) return nullptr;
  for (int i = 0; i < 500 && !subscribed->Connected(); ++i) absl::SleepFor(absl::Milliseconds(10));
  if (!subscribed->Connected()) return nullptr;
  return *std::move(cache);
}

INSTANTIATE_TEST_SUITE_P(
    Redis, CacheConformanceTest,
    ::testing::Values(CacheFactory{"redis", MakeRedis, /*uses_fake_clock=*/false},
                      CacheFactory{"tiered", MakeTiered, /*uses_fake_clock=*/false}),
    CacheFactoryName);

// Two limiters on one Redis namespace: two server instances.
std::pair<std::shared_ptr<LoginLimiter>, std::shared_ptr<LoginLimiter>> MakeRedisLimiters() {
  const RedisOptions o = TestRedisOptions(SharedRedisUrl());
  auto a = NewRedisLoginLimiter(o);
  auto b = NewRedisLoginLimiter(o);
  if (!a.ok() || !b.ok()) return {};
  return {*std::move(a), *std::move(b)};
}

INSTANTIATE_TEST_SUITE_P(Redis, LoginLimiterConformanceTest,
                         ::testing::Values(LimiterFactory{"redis", MakeRedisLimiters}),
                         LimiterFactoryName);

}  // namespace
}  // namespace watchstore::testing
