// Token-bucket rate limits: one bucket per key (a client address, an
// account) and one for everyone, checked and taken together. The server
// limits registrations with it, the library password-reset requests. The table of
// keys is bounded: past max_keys the key used least recently is forgotten
// (it comes back with a full bucket, which the shared bucket still caps).
#ifndef WATCHSTORE_RATE_LIMITER_H_
#define WATCHSTORE_RATE_LIMITER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/clock.h"

namespace watchstore {

// `count` events per `period`, in bursts of up to `count`. count 0: no limit.
struct Rate {
  int64_t count = 0;
  absl::Duration period = absl::Seconds(1);
  bool unlimited() const { return count <= 0; }
};

// "10/1h", "5/30s", "100/1m"; "off" or "0" for no limit. InvalidArgument
// otherwise.
absl::StatusOr<Rate> ParseRate(absl::string_view text);

struct RateLimiterOptions {
  Rate per_key;
  Rate total;
  size_t max_keys = 100000;
  const Clock* clock = nullptr;  // null: the real clock; must outlive the limiter
};

// Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(const RateLimiterOptions& options);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one event from `key`'s bucket and from the shared one. nullopt
  // when both allowed it; otherwise how long until they would (and nothing
  // was taken).
  std::optional<absl::Duration> Acquire(absl::string_view key);

  size_t keys() const;

  ~RateLimiter();

 private:
  struct State;  // the buckets, under a lock (rate_limiter.cc)
  const RateLimiterOptions options_;
  const Clock* const clock_;
  std::unique_ptr<State> state_;
};

}  // namespace watchstore

#endif  // WATCHSTORE_RATE_LIMITER_H_
