// The Cache conformance suite: one set of cases every cache adapter must pass.
// An adapter's test program links the `cache_conformance` object library and
// instantiates the suite with a factory that makes a fresh, empty cache whose
// time source is the given FakeClock where the adapter supports one (remote
// caches use real time; the TTL cases then use short real TTLs):
//
//   INSTANTIATE_TEST_SUITE_P(Redis, CacheConformanceTest,
//       ::testing::Values(CacheFactory{"redis", MakeRedis, /*fake_clock=*/false}),
//       CacheFactoryName);
#ifndef WATCHSTORE_TESTS_CACHE_CONFORMANCE_H_
#define WATCHSTORE_TESTS_CACHE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "watchstore/cache.h"
#include "watchstore/clock.h"

namespace watchstore::testing {

struct CacheFactory {
  std::string name;
  // A fresh, empty cache. `clock` is a FakeClock the adapter should use for
  // TTLs if `uses_fake_clock`; ignored otherwise.
  std::function<std::unique_ptr<Cache>(FakeClock* clock)> make;
  bool uses_fake_clock = true;
};

inline void PrintTo(const CacheFactory& f, std::ostream* os) { *os << f.name; }

inline std::string CacheFactoryName(const ::testing::TestParamInfo<CacheFactory>& info) {
  return info.param.name;
}

class CacheConformanceTest : public ::testing::TestWithParam<CacheFactory> {
 protected:
  void SetUp() override {
    cache_ = GetParam().make(&clock_);
    if (IsSkipped()) return;
    ASSERT_NE(cache_, nullptr) << "backend unavailable";
  }
  // Lets `d` pass for the cache: advances the fake clock, or sleeps.
  void Pass(absl::Duration d);
  FakeClock clock_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_CACHE_CONFORMANCE_H_
