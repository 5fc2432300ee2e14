// Login throttling: how many password guesses an account and a client
// address get. Accounts asks a LoginLimiter before it verifies a password;
// the in-process one (NewLocalLoginLimiter) is the default, and a shared one
// (the Redis adapter's NewRedisLoginLimiter) makes N server instances count
// together.
//
// The policy, the same in every implementation (tests/login_limiter_conformance):
// - Each attempt is reserved before the password is checked, atomically for
//   both keys, and counts as a failure unless Release() gives it back; so a
//   burst of parallel guesses cannot all pass the gate (at most
//   free_failures + 1 of a burst are let through).
// - A key with more than free_failures recent failures backs off:
//   base_delay, doubling with each further failure up to max_delay.
// - A backing-off address is refused. A backing-off account is refused to
//   addresses with recent failures, but an address with none still gets up
//   to free_failures attempts per back-off episode (a "clean-address
//   bypass"), so one attacker cannot lock the owner out; a distributed attack
//   can delay the owner by at most max_delay per attempt it wins.
// - A key forgets its failures forget_after its last attempt (self-expiring).
// - A success forgets the account's failures and returns the address's
//   reserved attempt.
#ifndef WATCHSTORE_LOGIN_LIMITER_H_
#define WATCHSTORE_LOGIN_LIMITER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace watchstore {

struct LoginThrottlePolicy {
  // Failures allowed before back-off starts. >= 0.
  int free_failures = 5;
  // First back-off; doubles with each further failure up to max_delay.
  absl::Duration base_delay = absl::Seconds(1);
  absl::Duration max_delay = absl::Minutes(15);
  // A key's failures are forgotten this long after its last attempt.
  absl::Duration forget_after = absl::Minutes(30);
};

// The two keys an attempt counts against. Opaque to the limiter.
struct LoginAttemptKeys {
  std::string account;
  std::string address;
};

// Thread-safe.
class LoginLimiter {
 public:
  virtual ~LoginLimiter() = default;

  // Reserves one attempt at `now`: nullopt if granted (count it as failed
  // unless Release), else how long the caller must wait. Unavailable when a
  // shared limiter cannot reach its store (Accounts then falls back to its
  // in-process limiter).
  virtual absl::StatusOr<std::optional<absl::Duration>> Reserve(const LoginAttemptKeys& keys,
                                                                const LoginThrottlePolicy& policy,
                                                                absl::Time now) = 0;
  // How a granted attempt ended, when it did not fail.
  enum class Outcome {
    kSucceeded,    // right password: forget the account's failures, give the
                   // address its attempt back
    kNotAttempted  // the password was never checked (e.g. hashing was
                   // saturated): give both keys their attempt back
  };
  virtual absl::Status Release(const LoginAttemptKeys& keys, const LoginThrottlePolicy& policy,
                               absl::Time now, Outcome outcome) = 0;
};

// In-process limiter holding at most `max_tracked_keys` keys: past that, the
// least recently attempted keys are forgotten first (never the whole table).
std::unique_ptr<LoginLimiter> NewLocalLoginLimiter(size_t max_tracked_keys = 100'000);

}  // namespace watchstore

#endif  // WATCHSTORE_LOGIN_LIMITER_H_
