// The conformance suites on the in-memory adapters.
#include "cache_conformance.h"
#include "login_limiter_conformance.h"
#include "storage_conformance.h"
#include "storage_model_test.h"
#include "watchstore/tiered_cache.h"

namespace watchstore::testing {
namespace {

std::unique_ptr<Cache> MakeMemory(FakeClock* clock) {
  MemoryCacheOptions o;
  o.clock = clock;
  return *NewMemoryCache(o);
}

INSTANTIATE_TEST_SUITE_P(Memory, StorageConformanceTest,
                         ::testing::Values(StorageFactory{"memory",
                                                          [] { return NewMemoryStorage(); }}),
                         StorageFactoryName);

// The model test's sanity run: memory against memory must agree.
INSTANTIATE_TEST_SUITE_P(Memory, StorageModelTest,
                         ::testing::Values(StorageFactory{"memory",
                                                          [] { return NewMemoryStorage(); }}),
                         StorageFactoryName);

INSTANTIATE_TEST_SUITE_P(Memory, CacheConformanceTest,
                         ::testing::Values(CacheFactory{"memory", MakeMemory, true},
                                           // The near cache's own logic, over two memory tiers
                                           // (over Redis in tests/redis/).
                                           CacheFactory{"tiered_over_memory",
                                                        [](FakeClock* clock) {
                                                          TieredCacheOptions t;
                                                          t.clock = clock;
                                                          return *NewTieredCache(MakeMemory(clock),
                                                                                 MakeMemory(clock),
                                                                                 t);
                                                        },
                                                        true}),
                         CacheFactoryName);

INSTANTIATE_TEST_SUITE_P(Local, LoginLimiterConformanceTest,
                         ::testing::Values(LimiterFactory{"local",
                                                          [] {
                                                            std::shared_ptr<LoginLimiter> l =
                                                                NewLocalLoginLimiter();
                                                            return std::make_pair(l, l);
                                                          }}),
                         LimiterFactoryName);

// The in-process limiter's memory bound drops the least recently attempted
// keys, never the whole table.
TEST(LocalLoginLimiterTest, ForgetsTheOldestKeysPastItsBound) {
  auto limiter = NewLocalLoginLimiter(/*max_tracked_keys=*/8);
  LoginThrottlePolicy p;
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const LoginAttemptKeys watched{"acct:watched", "addr:watched"};
  for (int i = 0; i <= p.free_failures; ++i)
    ASSERT_EQ(*limiter->Reserve(watched, p, now), std::nullopt);
  ASSERT_TRUE(limiter->Reserve(watched, p, now)->has_value());
  // Two fresh keys per attempt: after 3 attempts the watched pair is among
  // the oldest 8 but still tracked...
  for (int i = 0; i < 3; ++i) {
    now += absl::Milliseconds(1);
    (void)*limiter->Reserve({absl::StrCat("acct:", i), absl::StrCat("addr:", i)}, p, now);
  }
  EXPECT_TRUE(limiter->Reserve(watched, p, now)->has_value());
  // ...and once 8 newer keys exist it is the one forgotten.
  for (int i = 3; i < 7; ++i) {
    now += absl::Milliseconds(1);
    (void)*limiter->Reserve({absl::StrCat("acct:", i), absl::StrCat("addr:", i)}, p, now);
  }
  EXPECT_EQ(*limiter->Reserve(watched, p, now), std::nullopt);
  // The newest keys kept their counts.
  const LoginAttemptKeys recent{"acct:6", "addr:6"};
  for (int i = 1; i <= p.free_failures; ++i)
    EXPECT_EQ(*limiter->Reserve(recent, p, now), std::nullopt);
  EXPECT_TRUE(limiter->Reserve(recent, p, now)->has_value());
}

}  // namespace
}  // namespace watchstore::testing
