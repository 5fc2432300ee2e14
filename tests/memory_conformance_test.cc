// The conformance suites on the in-memory adapters.
#include "cache_conformance.h"
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

}  // namespace
}  // namespace watchstore::testing
