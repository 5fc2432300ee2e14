// Login throttling: exponential back-off per key (an account, a client
// address) that expires by itself. Internal.
#ifndef WATCHSTORE_SRC_LOGIN_THROTTLE_H_
#define WATCHSTORE_SRC_LOGIN_THROTTLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "sync.h"

namespace watchstore::internal {

struct ThrottlePolicy {
  int free_failures = 5;
  absl::Duration base_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Minutes(15);
  absl::Duration forget_after = absl::Minutes(30);
  size_t max_tracked_keys = 100'000;  // memory bound; oldest state dropped past it
};

// Thread-safe. State lives in this process.
class LoginThrottle {
 public:
  explicit LoginThrottle(const ThrottlePolicy& policy) : policy_(policy) {}

  // How long `key` must still wait at `now`, if it is backing off.
  std::optional<absl::Duration> RetryAfter(absl::string_view key, absl::Time now);
  // Counts a failed attempt for `key` at `now`.
  void RecordFailure(absl::string_view key, absl::Time now);
  // Forgets `key`'s failures.
  void Reset(absl::string_view key);

 private:
  struct State {
    int failures = 0;
    absl::Time last_failure;
    absl::Time blocked_until;
  };
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ThrottlePolicy policy_;
  Mutex mu_;
  absl::flat_hash_map<std::string, State> state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_LOGIN_THROTTLE_H_
