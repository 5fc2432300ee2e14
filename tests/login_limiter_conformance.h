// The LoginLimiter conformance suite: the policy of watchstore/login_limiter.h,
// checked on every implementation (the in-process one, Redis). An adapter's
// test program links `login_limiter_conformance` and instantiates the suite
// with a factory for two limiters that share their state (two handles on
// one store, as two server instances have; for the in-process limiter, the
// same object twice):
//
//   INSTANTIATE_TEST_SUITE_P(Redis, LoginLimiterConformanceTest,
//       ::testing::Values(LimiterFactory{"redis", MakeRedisPair}), LimiterFactoryName);
#ifndef WATCHSTORE_TESTS_LOGIN_LIMITER_CONFORMANCE_H_
#define WATCHSTORE_TESTS_LOGIN_LIMITER_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "watchstore/login_limiter.h"

namespace watchstore::testing {

struct LimiterFactory {
  std::string name;
  // Two handles on one shared state; null if the backend is unavailable.
  std::function<std::pair<std::shared_ptr<LoginLimiter>, std::shared_ptr<LoginLimiter>>()> make;
};

inline void PrintTo(const LimiterFactory& f, std::ostream* os) { *os << f.name; }

inline std::string LimiterFactoryName(const ::testing::TestParamInfo<LimiterFactory>& info) {
  return info.param.name;
}

class LoginLimiterConformanceTest : public ::testing::TestWithParam<LimiterFactory> {
 protected:
  void SetUp() override;

  std::shared_ptr<LoginLimiter> a_;  // "instance A"
  std::shared_ptr<LoginLimiter> b_;  // "instance B", same state
  LoginThrottlePolicy policy_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  std::string run_;  // unique per test, so remote state never leaks between cases
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_LOGIN_LIMITER_CONFORMANCE_H_
