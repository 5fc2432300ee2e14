// The in-process LoginLimiter (watchstore/login_limiter.h).
#include "watchstore/login_limiter.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "sync.h"

namespace watchstore {
namespace {

using internal::Mutex;
using internal::MutexLock;

// One key's count. `blocked_until` past `now` means backing off.
struct KeyState {
  int64_t failures = 0;
  int64_t bypasses = 0;  // clean-address attempts while the account backs off
  absl::Time blocked_until = absl::InfinitePast();
  absl::Time last_attempt = absl::InfinitePast();
};

absl::Duration BackOff(const LoginThrottlePolicy& p, int64_t failures) {
  const int64_t over = failures - p.free_failures;
  if (over <= 0) return absl::ZeroDuration();
  absl::Duration d = p.base_delay;
  for (int64_t i = 1; i < over && d < p.max_delay; ++i) d *= 2;
  return std::min(d, p.max_delay);
}

void CountFailure(const LoginThrottlePolicy& p, absl::Time now, KeyState& s) {
  ++s.failures;
  s.last_attempt = now;
  if (s.failures > p.free_failures) s.blocked_until = now + BackOff(p, s.failures);
}

class LocalLoginLimiter final : public LoginLimiter {
 public:
  explicit LocalLoginLimiter(size_t max_keys) : max_keys_(std::max<size_t>(max_keys, 2)) {}

  absl::StatusOr<std::optional<absl::Duration>> Reserve(const LoginAttemptKeys& keys,
                                                        const LoginThrottlePolicy& p,
                                                        absl::Time now) override {
    MutexLock lock(&mu_);
    KeyState account = Load(keys.account, p, now);
    KeyState address = Load(keys.address, p, now);
    if (now < address.blocked_until) return address.blocked_until - now;
    if (now < account.blocked_until) {
      if (address.failures > 0 || account.bypasses >= p.free_failures) {
        return account.blocked_until - now;
      }
      ++account.bypasses;
    }
    CountFailure(p, now, account);
    CountFailure(p, now, address);
    Save(keys.account, account);
    Save(keys.address, address);
    return std::nullopt;
  }

  absl::Status Release(const LoginAttemptKeys& keys, const LoginThrottlePolicy& p, absl::Time now,
                       Outcome outcome) override {
    MutexLock lock(&mu_);
    if (outcome == Outcome::kSucceeded) {
      Forget(keys.account);
    } else {
      GiveBack(keys.account, p, now);
    }
    GiveBack(keys.address, p, now);
    return absl::OkStatus();
  }

 private:
  // The key's state, or a fresh one if it is unknown or forgotten by now.
  KeyState Load(const std::string& key, const LoginThrottlePolicy& p, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = state_.find(key);
    if (it == state_.end() || now - it->second.last_attempt >= p.forget_after) return KeyState{};
    return it->second;
  }

  // Returns one reserved attempt to `key`.
  void GiveBack(const std::string& key, const LoginThrottlePolicy& p, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    KeyState s = Load(key, p, now);
    s.failures = std::max<int64_t>(0, s.failures - 1);
    if (s.failures <= p.free_failures) s.blocked_until = absl::InfinitePast();
    if (s.failures == 0) {
      Forget(key);
    } else {
      Save(key, s);
    }
  }

  void Save(const std::string& key, const KeyState& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto [it, inserted] = state_.try_emplace(key, s);
    if (!inserted) {
      by_age_.erase({it->second.last_attempt, key});
      it->second = s;
    }
    by_age_.insert({s.last_attempt, key});
    while (state_.size() > max_keys_) {  // forget the least recently attempted
      auto oldest = by_age_.begin();
      state_.erase(oldest->second);
      by_age_.erase(oldest);
    }
  }

  void Forget(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = state_.find(key);
    if (it == state_.end()) return;
    by_age_.erase({it->second.last_attempt, key});
    state_.erase(it);
  }

  const size_t max_keys_;
  Mutex mu_;
  absl::flat_hash_map<std::string, KeyState> state_ ABSL_GUARDED_BY(mu_);
  absl::btree_set<std::pair<absl::Time, std::string>> by_age_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<LoginLimiter> NewLocalLoginLimiter(size_t max_tracked_keys) {
  return std::make_unique<LocalLoginLimiter>(max_tracked_keys);
}

}  // namespace watchstore
