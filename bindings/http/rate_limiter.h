// Token-bucket rate limits at the edge: one bucket per key (a client
// address) and one for everyone, checked and taken together. The table of
// keys is bounded: past max_keys the key used least recently is forgotten
// (it comes back with a full bucket, which the shared bucket still caps).
#ifndef WATCHSTORE_BINDINGS_HTTP_RATE_LIMITER_H_
#define WATCHSTORE_BINDINGS_HTTP_RATE_LIMITER_H_

#include <cstdint>
#include <list>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "watchstore/clock.h"

namespace watchstore::http {

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

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  struct Entry {
    Bucket bucket;
    std::list<std::string>::iterator in_lru;
  };
  // Refills `b` up to `rate` at `now`.
  static void Refill(const Rate& rate, absl::Time now, Bucket* b);
  static absl::Duration WaitForOne(const Rate& rate, const Bucket& b);

  const RateLimiterOptions options_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  Bucket total_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> keys_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // least recently used first
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_RATE_LIMITER_H_
