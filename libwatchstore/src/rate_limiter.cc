#include "watchstore/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <list>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sync.h"

namespace watchstore {
namespace {

struct Bucket {
  double tokens = 0;
  absl::Time updated;
};

// Refills `b` up to `rate` at `now`.
void Refill(const Rate& rate, absl::Time now, Bucket* b) {
  if (now > b->updated) {
    const double per_second = static_cast<double>(rate.count) / absl::ToDoubleSeconds(rate.period);
    b->tokens = std::min(static_cast<double>(rate.count),
                         b->tokens + per_second * absl::ToDoubleSeconds(now - b->updated));
  }
  b->updated = now;
}

absl::Duration WaitForOne(const Rate& rate, const Bucket& b) {
  const double missing = std::max(0.0, 1.0 - b.tokens);
  return absl::Seconds(missing * absl::ToDoubleSeconds(rate.period) /
                       static_cast<double>(rate.count));
}

}  // namespace

struct RateLimiter::State {
  struct Entry {
    Bucket bucket;
    std::list<std::string>::iterator in_lru;
  };
  mutable internal::Mutex mu;
  Bucket total ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, Entry> keys ABSL_GUARDED_BY(mu);
  std::list<std::string> lru ABSL_GUARDED_BY(mu);  // least recently used first
};

absl::StatusOr<Rate> ParseRate(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "off" || t == "0") return Rate{};
  const size_t slash = t.find('/');
  Rate r;
  if (slash == std::string::npos || !absl::SimpleAtoi(t.substr(0, slash), &r.count) ||
      r.count < 1 || r.count > 1'000'000 || !absl::ParseDuration(t.substr(slash + 1), &r.period) ||
      r.period < absl::Seconds(1) || r.period > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "must be COUNT/PERIOD (1 to 1000000 per 1s to 24h), such as 10/1h, or off");
  }
  return r;
}

RateLimiter::RateLimiter(const RateLimiterOptions& options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : RealClock()),
      state_(std::make_unique<State>()) {
  internal::MutexLock lock(&state_->mu);
  state_->total.tokens = static_cast<double>(options_.total.count);
  state_->total.updated = clock_->Now();
}

RateLimiter::~RateLimiter() = default;

std::optional<absl::Duration> RateLimiter::Acquire(absl::string_view key) {
  const absl::Time now = clock_->Now();
  State& st = *state_;
  internal::MutexLock lock(&st.mu);
  absl::Duration wait = absl::ZeroDuration();
  if (!options_.total.unlimited()) {
    Refill(options_.total, now, &st.total);
    if (st.total.tokens < 1.0) wait = WaitForOne(options_.total, st.total);
  }
  Bucket* own = nullptr;
  if (!options_.per_key.unlimited() && options_.max_keys > 0) {
    auto it = st.keys.find(key);
    if (it == st.keys.end()) {
      if (st.keys.size() >= options_.max_keys) {
        st.keys.erase(st.lru.front());
        st.lru.pop_front();
      }
      it = st.keys.emplace(std::string(key), State::Entry{}).first;
      it->second.bucket.tokens = static_cast<double>(options_.per_key.count);
      it->second.bucket.updated = now;
      it->second.in_lru = st.lru.insert(st.lru.end(), it->first);
    } else {
      st.lru.splice(st.lru.end(), st.lru, it->second.in_lru);
    }
    own = &it->second.bucket;
    Refill(options_.per_key, now, own);
    if (own->tokens < 1.0) wait = std::max(wait, WaitForOne(options_.per_key, *own));
  }
  if (wait > absl::ZeroDuration()) return wait;
  if (!options_.total.unlimited()) st.total.tokens -= 1.0;
  if (own != nullptr) own->tokens -= 1.0;
  return std::nullopt;
}

size_t RateLimiter::keys() const {
  internal::MutexLock lock(&state_->mu);
  return state_->keys.size();
}

}  // namespace watchstore
