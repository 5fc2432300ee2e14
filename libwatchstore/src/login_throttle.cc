#include "login_throttle.h"

#include <algorithm>

namespace watchstore::internal {

std::optional<absl::Duration> LoginThrottle::RetryAfter(absl::string_view key, absl::Time now) {
  MutexLock lock(&mu_);
  auto it = state_.find(key);
  if (it == state_.end()) return std::nullopt;
  if (now - it->second.last_failure >= policy_.forget_after) {
    state_.erase(it);
    return std::nullopt;
  }
  if (now < it->second.blocked_until) return it->second.blocked_until - now;
  return std::nullopt;
}

void LoginThrottle::RecordFailure(absl::string_view key, absl::Time now) {
  MutexLock lock(&mu_);
  if (state_.size() >= policy_.max_tracked_keys) PruneLocked(now);
  State& s = state_[key];
  if (s.failures > 0 && now - s.last_failure >= policy_.forget_after) s = State{};
  ++s.failures;
  s.last_failure = now;
  int over = s.failures - policy_.free_failures;
  if (over > 0) {
    absl::Duration delay = policy_.base_delay;
    for (int i = 1; i < over && delay < policy_.max_delay; ++i) delay *= 2;
    s.blocked_until = now + std::min(delay, policy_.max_delay);
  }
}

void LoginThrottle::Reset(absl::string_view key) {
  MutexLock lock(&mu_);
  auto it = state_.find(key);
  if (it != state_.end()) state_.erase(it);
}

void LoginThrottle::PruneLocked(absl::Time now) {
  absl::erase_if(
      state_, [&](const auto& kv) { return now - kv.second.last_failure >= policy_.forget_after; });
  // Still full (a flood of distinct keys): start over rather than grow
  // without bound. Back-off resumes from zero for those keys.
  if (state_.size() >= policy_.max_tracked_keys) state_.clear();
}

}  // namespace watchstore::internal
