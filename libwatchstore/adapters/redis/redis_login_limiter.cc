// The Redis LoginLimiter: the policy of watchstore/login_limiter.h as one Lua
// script, so reserving an attempt is atomic across instances. The in-process
// limiter (src/login_limiter.cc) implements the same policy; the conformance
// suite (tests/login_limiter_conformance.cc) runs both.
#include "watchstore/redis_login_limiter.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "redis/redis_common.h"
#include "redis/redis_connection.h"
#include "redis/redis_pool.h"
#include "redis/redis_url.h"

namespace watchstore {
namespace internal {
namespace {

// KEYS[1]: account key, KEYS[2]: address key. ARGV: operation ("reserve",
// "succeeded" or "not_attempted"), now, free failures, base delay, max delay,
// forget after (times in ms). Each key is a hash: f failures, k clean-address
// bypasses, b blocked until, l last attempt. Returns the wait (ms) for a
// refused reservation, else -1.
constexpr absl::string_view kLimiterScript = R"lua(
local now, free = tonumber(ARGV[2]), tonumber(ARGV[3])
local base, maxd, forget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function load(key)
  local v = redis.call('HMGET', key, 'f', 'k', 'b', 'l')
  local last = tonumber(v[4])
  if last == nil or now - last >= forget then return {f = 0, k = 0, b = -1, l = now} end
  return {f = tonumber(v[1]) or 0, k = tonumber(v[2]) or 0, b = tonumber(v[3]) or -1, l = last}
end
local function save(key, s)
  redis.call('HSET', key, 'f', s.f, 'k', s.k, 'b', s.b, 'l', s.l)
  redis.call('PEXPIRE', key, math.max(1, forget - (now - s.l)))
end
local function count_failure(s)
  s.f = s.f + 1
  s.l = now
  if s.f > free then
    local d = base
    for i = 2, s.f - free do
      if d >= maxd then break end
      d = d * 2
    end
    s.b = now + math.min(d, maxd)
  end
end
local function give_back(key)
  local s = load(key)
  s.f = math.max(0, s.f - 1)
  if s.f <= free then s.b = -1 end
  if s.f == 0 then redis.call('DEL', key) else save(key, s) end
end
if ARGV[1] == 'reserve' then
  local a, d = load(KEYS[1]), load(KEYS[2])
  if now < d.b then return d.b - now end
  if now < a.b then
    if d.f > 0 or a.k >= free then return a.b - now end
    a.k = a.k + 1
  end
  count_failure(a)
  count_failure(d)
  save(KEYS[1], a)
  save(KEYS[2], d)
  return -1
end
if ARGV[1] == 'succeeded' then redis.call('DEL', KEYS[1]) else give_back(KEYS[1]) end
give_back(KEYS[2])
return -1
)lua";

absl::Status Unreachable() { return absl::UnavailableError("redis login limiter unreachable"); }

class RedisLoginLimiter final : public LoginLimiter {
 public:
  RedisLoginLimiter(const RedisOptions& o, RedisEndpoint endpoint)
      : prefix_(absl::StrCat(KeyPrefix(o), "login:")),
        pool_(std::move(endpoint), PoolOptions(o)),
        breaker_(o.breaker_failures, o.breaker_cool_down, o.clock) {}

  absl::StatusOr<std::optional<absl::Duration>> Reserve(const LoginAttemptKeys& keys,
                                                        const LoginThrottlePolicy& policy,
                                                        absl::Time now) override {
    ReplyPtr reply = Run("reserve", keys, policy, now);
    if (reply == nullptr) return Unreachable();
    if (reply->integer < 0) return std::nullopt;
    return absl::Milliseconds(reply->integer);
  }

  absl::Status Release(const LoginAttemptKeys& keys, const LoginThrottlePolicy& policy,
                       absl::Time now, Outcome outcome) override {
    const absl::string_view op = outcome == Outcome::kSucceeded ? "succeeded" : "not_attempted";
    return Run(op, keys, policy, now) != nullptr ? absl::OkStatus() : Unreachable();
  }

 private:
  static RedisOptions PoolOptions(RedisOptions o) {
    o.pool_size = std::min(o.pool_size, 8);
    return o;
  }

  // The script's integer reply; null if Redis could not be asked or failed.
  // A reused connection that turns out closed is replaced once.
  ReplyPtr Run(absl::string_view op, const LoginAttemptKeys& keys,
               const LoginThrottlePolicy& policy, absl::Time now) {
    if (!breaker_.Allow()) return nullptr;
    const std::string account = absl::StrCat(prefix_, keys.account);
    const std::string address = absl::StrCat(prefix_, keys.address);
    const std::string args[] = {
        absl::StrCat(absl::ToUnixMillis(now)),
        absl::StrCat(policy.free_failures),
        absl::StrCat(absl::ToInt64Milliseconds(policy.base_delay)),
        absl::StrCat(absl::ToInt64Milliseconds(policy.max_delay)),
        absl::StrCat(absl::ToInt64Milliseconds(policy.forget_after)),
    };
    const absl::string_view command[] = {"EVAL",  kLimiterScript, "2",     account, address, op,
                                         args[0], args[1],        args[2], args[3], args[4]};
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = false;
      ConnectionPool::AcquireError error;
      std::unique_ptr<RedisConnection> conn =
          pool_.Acquire(attempt == 0, absl::InfiniteDuration(), &reused, &error);
      if (conn == nullptr) {
        if (error == ConnectionPool::AcquireError::kConnect) {
          Failed();
        } else {
          breaker_.OnAbandon();
        }
        return nullptr;
      }
      ReplyPtr reply = conn->Append(command) ? conn->Read() : nullptr;
      const RedisFailure failure = conn->failure();
      pool_.Release(std::move(conn));
      if (reply != nullptr) {
        breaker_.OnSuccess();
        return reply->type == REDIS_REPLY_INTEGER ? std::move(reply) : nullptr;
      }
      if (reused && failure == RedisFailure::kClosed && attempt == 0) {
        pool_.CloseIdle();
        continue;
      }
      Failed();
      return nullptr;
    }
    return nullptr;
  }

  void Failed() {
    if (breaker_.OnFailure()) pool_.CloseIdle();
  }

  const std::string prefix_;
  ConnectionPool pool_;
  CircuitBreaker breaker_;
};

}  // namespace
}  // namespace internal

absl::StatusOr<std::unique_ptr<LoginLimiter>> NewRedisLoginLimiter(const RedisOptions& options) {
  if (absl::Status s = internal::ValidateRedisOptions(options); !s.ok()) return s;
  auto endpoint = internal::ParseRedisUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  internal::IgnoreSigpipe();
  return std::unique_ptr<LoginLimiter>(
      new internal::RedisLoginLimiter(options, *std::move(endpoint)));
}

}  // namespace watchstore
