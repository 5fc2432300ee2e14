#include "rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace watchstore::http {

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
    : options_(options), clock_(options.clock != nullptr ? options.clock : RealClock()) {
  absl::MutexLock lock(&mu_);
  total_.tokens = static_cast<double>(options_.total.count);
  total_.updated = clock_->Now();
}

void RateLimiter::Refill(const Rate& rate, absl::Time now, Bucket* b) {
  if (now > b->updated) {
    const double per_second = static_cast<double>(rate.count) / absl::ToDoubleSeconds(rate.period);
    b->tokens = std::min(static_cast<double>(rate.count),
                         b->tokens + per_second * absl::ToDoubleSeconds(now - b->updated));
  }
  b->updated = now;
}

absl::Duration RateLimiter::WaitForOne(const Rate& rate, const Bucket& b) {
  const double missing = std::max(0.0, 1.0 - b.tokens);
  return absl::Seconds(missing * absl::ToDoubleSeconds(rate.period) /
                       static_cast<double>(rate.count));
}

std::optional<absl::Duration> RateLimiter::Acquire(absl::string_view key) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  absl::Duration wait = absl::ZeroDuration();
  if (!options_.total.unlimited()) {
    Refill(options_.total, now, &total_);
    if (total_.tokens < 1.0) wait = WaitForOne(options_.total, total_);
  }
  Bucket* own = nullptr;
  if (!options_.per_key.unlimited() && options_.max_keys > 0) {
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      if (keys_.size() >= options_.max_keys) {
        keys_.erase(lru_.front());
        lru_.pop_front();
      }
      it = keys_.emplace(std::string(key), Entry{}).first;
      it->second.bucket.tokens = static_cast<double>(options_.per_key.count);
      it->second.bucket.updated = now;
      it->second.in_lru = lru_.insert(lru_.end(), it->first);
    } else {
      lru_.splice(lru_.end(), lru_, it->second.in_lru);
    }
    own = &it->second.bucket;
    Refill(options_.per_key, now, own);
    if (own->tokens < 1.0) wait = std::max(wait, WaitForOne(options_.per_key, *own));
  }
  if (wait > absl::ZeroDuration()) return wait;
  if (!options_.total.unlimited()) total_.tokens -= 1.0;
  if (own != nullptr) own->tokens -= 1.0;
  return std::nullopt;
}

size_t RateLimiter::keys() const {
  absl::MutexLock lock(&mu_);
  return keys_.size();
}

}  // namespace watchstore::http
