// The Cache conformance suite on the Redis cache and on the tiered cache
// (memory L1 + Redis L2 + pub/sub feed), against a real redis-server.
#include "cache_conformance.h"
#include "redis_test_util.h"

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

std::unique_ptr<Cache> MakeTiered(FakeClock*) {
  TieredCacheOptions t;
  t.l1_ttl = absl::Seconds(5);
  auto cache = NewTieredRedisCache(TestRedisOptions(SharedRedisUrl()), MemoryCacheOptions{}, t);
  return cache.ok() ? *std::move(cache) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    Redis, CacheConformanceTest,
    ::testing::Values(CacheFactory{"redis", MakeRedis, /*uses_fake_clock=*/false},
                      CacheFactory{"tiered", MakeTiered, /*uses_fake_clock=*/false}),
    CacheFactoryName);

}  // namespace
}  // namespace watchstore::testing
