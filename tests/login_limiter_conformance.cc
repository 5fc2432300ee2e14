#include "login_limiter_conformance.h"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

using Outcome = LoginLimiter::Outcome;

}  // namespace

void LoginLimiterConformanceTest::SetUp() {
  auto [a, b] = GetParam().make();
  if (IsSkipped()) return;
  ASSERT_NE(a, nullptr) << "backend unavailable";
  a_ = std::move(a);
  b_ = std::move(b);
  run_ = absl::StrCat(std::random_device{}(), ":");
}

namespace {

class Keys {
 public:
  explicit Keys(const std::string& run) : run_(run) {}
  LoginAttemptKeys operator()(absl::string_view account, absl::string_view address) const {
    return {absl::StrCat(run_, "acct:", account), absl::StrCat(run_, "addr:", address)};
  }

 private:
  std::string run_;
};

// nullopt: granted; else the wait.
std::optional<absl::Duration> Reserve(LoginLimiter& l, const LoginAttemptKeys& k,
                                      const LoginThrottlePolicy& p, absl::Time now) {
  auto r = l.Reserve(k, p, now);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::optional<absl::Duration>(absl::ZeroDuration());
}

TEST_P(LoginLimiterConformanceTest, FreeFailuresThenDoublingBackOffUpToTheMaximum) {
  Keys keys(run_);
  policy_.max_delay = absl::Seconds(4);
  const auto k = keys("alice", "10.0.0.1");
  for (int i = 0; i < policy_.free_failures; ++i) {
    EXPECT_EQ(Reserve(*a_, k, policy_, now_), std::nullopt) << i;
  }
  // The next one is let through and starts the back-off.
  EXPECT_EQ(Reserve(*a_, k, policy_, now_), std::nullopt);
  EXPECT_EQ(Reserve(*a_, k, policy_, now_), absl::Seconds(1));
  EXPECT_EQ(Reserve(*b_, k, policy_, now_ + absl::Milliseconds(400)), absl::Milliseconds(600));
  for (absl::Duration expected : {absl::Seconds(2), absl::Seconds(4), absl::Seconds(4)}) {
    now_ += absl::Seconds(10);
    EXPECT_EQ(Reserve(*b_, k, policy_, now_), std::nullopt);
    EXPECT_EQ(Reserve(*a_, k, policy_, now_), expected);
  }
}

TEST_P(LoginLimiterConformanceTest, FailuresAreForgottenAfterTheWindow) {
  Keys keys(run_);
  const auto k = keys("bob", "10.0.0.2");
  for (int i = 0; i <= policy_.free_failures; ++i)
    ASSERT_EQ(Reserve(*a_, k, policy_, now_), std::nullopt);
  ASSERT_NE(Reserve(*a_, k, policy_, now_), std::nullopt);
  now_ += policy_.forget_after;
  // A fresh start: free_failures again before any back-off.
  for (int i = 0; i <= policy_.free_failures; ++i) {
    EXPECT_EQ(Reserve(*b_, k, policy_, now_), std::nullopt) << i;
  }
  EXPECT_EQ(Reserve(*b_, k, policy_, now_), absl::Seconds(1));
}

TEST_P(LoginLimiterConformanceTest, SuccessForgetsTheAccountAndReturnsTheAddressAttempt) {
  Keys keys(run_);
  const auto k = keys("carol", "10.0.0.3");
  for (int i = 0; i < policy_.free_failures; ++i)
    ASSERT_EQ(Reserve(*a_, k, policy_, now_), std::nullopt);
  // The last free attempt is the right password.
  WS_ASSERT_OK(b_->Release(k, policy_, now_, Outcome::kSucceeded));
  // The account starts over; the address is one below its free failures,
  // so it gets two more attempts before its own back-off.
  const auto other_account = keys("carl", "10.0.0.3");
  EXPECT_EQ(Reserve(*a_, other_account, policy_, now_), std::nullopt);
  EXPECT_EQ(Reserve(*a_, other_account, policy_, now_), std::nullopt);
  EXPECT_EQ(Reserve(*a_, other_account, policy_, now_), absl::Seconds(1));
  // Logging in again from a clean address still works for carol's account.
  EXPECT_EQ(Reserve(*a_, keys("carol", "10.9.9.9"), policy_, now_), std::nullopt);
}

TEST_P(LoginLimiterConformanceTest, AnAttemptNotMadeIsGivenBackToBothKeys) {
  Keys keys(run_);
  const auto k = keys("dave", "10.0.0.4");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(Reserve(*a_, k, policy_, now_), std::nullopt) << i;
    WS_ASSERT_OK(a_->Release(k, policy_, now_, Outcome::kNotAttempted));
  }
}

TEST_P(LoginLimiterConformanceTest, ABackingOffAddressNeverBlocksOtherAddresses) {
  Keys keys(run_);
  for (int i = 0; i <= policy_.free_failures; ++i) {
    ASSERT_EQ(Reserve(*a_, keys(absl::StrCat("victim", i), "198.51.100.7"), policy_, now_),
              std::nullopt);
  }
  EXPECT_NE(Reserve(*a_, keys("erin", "198.51.100.7"), policy_, now_), std::nullopt);
  EXPECT_EQ(Reserve(*b_, keys("erin", "198.51.100.8"), policy_, now_), std::nullopt);
}

TEST_P(LoginLimiterConformanceTest, ABackingOffAccountLetsCleanAddressesInAFewTimes) {
  Keys keys(run_);
  // An attacker spreads failures over addresses: the account backs off.
  for (int i = 0; i <= policy_.free_failures; ++i) {
    ASSERT_EQ(Reserve(*a_, keys("frank", absl::StrCat("203.0.113.", i)), policy_, now_),
              std::nullopt);
  }
  // Addresses that failed are refused...
  EXPECT_EQ(Reserve(*a_, keys("frank", "203.0.113.0"), policy_, now_), absl::Seconds(1));
  // ...an address with no recent failure (the owner at home) is let through,
  // but only free_failures times per episode.
  for (int i = 0; i < policy_.free_failures; ++i) {
    EXPECT_EQ(Reserve(*b_, keys("frank", absl::StrCat("192.0.2.", i)), policy_, now_), std::nullopt)
        << i;
  }
  EXPECT_NE(Reserve(*a_, keys("frank", "192.0.2.200"), policy_, now_), std::nullopt);
}

TEST_P(LoginLimiterConformanceTest, ABurstOfParallelGuessesPassesTheGateAtMostFreePlusOneTimes) {
  Keys keys(run_);
  const auto k = keys("grace", "10.0.0.5");
  std::atomic<int> granted{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      LoginLimiter& l = i % 2 ? *a_ : *b_;
      auto r = l.Reserve(k, policy_, now_);
      if (!r.ok()) {
        ++failed;
      } else if (r->has_value()) {
        ++refused;
      } else {
        ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(granted.load(), policy_.free_failures + 1);
  EXPECT_EQ(refused.load(), 64 - policy_.free_failures - 1);
}

}  // namespace
}  // namespace watchstore::testing
