// The conformance suites on the in-memory adapters.
#include "cache_conformance.h"
#include "storage_conformance.h"

namespace watchstore::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StorageConformanceTest,
                         ::testing::Values(StorageFactory{"memory", [] { return NewMemoryStorage(); }}),
                         StorageFactoryName);

INSTANTIATE_TEST_SUITE_P(
    Memory, CacheConformanceTest,
    ::testing::Values(CacheFactory{"memory",
                                   [](FakeClock* clock) {
                                     MemoryCacheOptions o;
                                     o.clock = clock;
                                     return *NewMemoryCache(o);
                                   },
                                   true}),
    CacheFactoryName);

}  // namespace
}  // namespace watchstore::testing
