// Edge rate limits: per key and in total, taken together, with a bounded
// table of keys; time from a fake clock.
#include "watchstore/rate_limiter.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "watchstore/clock.h"

namespace watchstore::http {
namespace {

TEST(RateLimiterTest, PerKeyBurstsThenRefills) {
  FakeClock clock;
  RateLimiter limiter(RateLimiterOptions{Rate{3, absl::Minutes(1)}, Rate{}, 100, &clock});
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Acquire("a").has_value()) << i;
  auto wait = limiter.Acquire("a");
  ASSERT_TRUE(wait.has_value());
  EXPECT_GT(*wait, absl::Seconds(19));
  EXPECT_LE(*wait, absl::Seconds(20));
  EXPECT_FALSE(limiter.Acquire("b").has_value());  // another key has its own bucket
  clock.Advance(absl::Seconds(20));
  EXPECT_FALSE(limiter.Acquire("a").has_value());
  EXPECT_TRUE(limiter.Acquire("a").has_value());
}

TEST(RateLimiterTest, TheTotalCapsEveryKeyTogether) {
  FakeClock clock;
  RateLimiter limiter(
      RateLimiterOptions{Rate{10, absl::Hours(1)}, Rate{5, absl::Seconds(1)}, 100, &clock});
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Acquire(absl::StrCat("k", i)).has_value());
  auto wait = limiter.Acquire("fresh");
  ASSERT_TRUE(wait.has_value());
  EXPECT_LE(*wait, absl::Milliseconds(200));
  clock.Advance(absl::Milliseconds(200));
  EXPECT_FALSE(limiter.Acquire("fresh").has_value());
  // A refusal takes nothing: "fresh" still has 9 of its 10.
  clock.Advance(absl::Seconds(10));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.Acquire("fresh").has_value()) << i;
}

TEST(RateLimiterTest, TheTableIsBoundedOldestFirst) {
  FakeClock clock;
  RateLimiter limiter(RateLimiterOptions{Rate{1, absl::Hours(1)}, Rate{}, 3, &clock});
  EXPECT_FALSE(limiter.Acquire("a").has_value());
  EXPECT_FALSE(limiter.Acquire("b").has_value());
  EXPECT_FALSE(limiter.Acquire("c").has_value());
  EXPECT_TRUE(limiter.Acquire("a").has_value());   // "a" is now the most recent
  EXPECT_FALSE(limiter.Acquire("d").has_value());  // forgets "b", the oldest
  EXPECT_EQ(limiter.keys(), 3u);
  EXPECT_TRUE(limiter.Acquire("a").has_value());
  EXPECT_TRUE(limiter.Acquire("c").has_value());
  EXPECT_FALSE(limiter.Acquire("b").has_value());  // forgotten: a full bucket again
}

TEST(RateLimiterTest, ParsesRates) {
  auto r = ParseRate("10/1h");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 10);
  EXPECT_EQ(r->period, absl::Hours(1));
  EXPECT_TRUE(ParseRate("off")->unlimited());
  EXPECT_TRUE(ParseRate("0")->unlimited());
  for (const char* bad :
       {"10", "10/", "/1s", "x/1s", "-1/1s", "10/0s", "10/500ms", "10/48h", "10/1q"}) {
    EXPECT_FALSE(ParseRate(bad).ok()) << bad;
  }
  RateLimiter unlimited(RateLimiterOptions{});
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(unlimited.Acquire("x").has_value());
}

}  // namespace
}  // namespace watchstore::http
