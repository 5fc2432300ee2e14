#include "redis/redis_common.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "redis/redis_url.h"

namespace watchstore::internal {

absl::Status ValidateRedisOptions(const RedisOptions& o) {
  auto bad = [](absl::string_view m) {
    return absl::InvalidArgumentError(absl::StrCat("RedisOptions.", m));
  };
  if (o.key_namespace.empty() || o.key_namespace.size() > 64) {
    return bad("key_namespace must be 1 to 64 characters");
  }
  for (char c : o.key_namespace) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return bad("key_namespace may hold only A-Z, a-z, 0-9, '_', '.' and '-'");
    }
  }
  if (o.schema_version < 1) return bad("schema_version must be >= 1");
  if (o.pool_size < 1 || o.pool_size > 1024) return bad("pool_size must be in [1, 1024]");
  if (o.connect_timeout <= absl::ZeroDuration()) return bad("connect_timeout must be > 0");
  if (o.command_timeout <= absl::ZeroDuration()) return bad("command_timeout must be > 0");
  // hiredis takes timeouts as a timeval; keep them sane.
  if (o.connect_timeout > absl::Hours(1) || o.command_timeout > absl::Hours(1)) {
    return bad("timeouts must be at most an hour");
  }
  if (o.request_budget <= absl::ZeroDuration() || o.request_budget > absl::Hours(1)) {
    return bad("request_budget must be in (0, 1h]");
  }
  if (o.breaker_slow_call <= absl::ZeroDuration()) return bad("breaker_slow_call must be > 0");
  if (o.pool_wait < absl::ZeroDuration() || o.pool_wait > absl::Hours(1)) {
    return bad("pool_wait must be in [0, 1h]");
  }
  if (!(o.ttl_jitter >= 0.0 && o.ttl_jitter <= 0.5)) return bad("ttl_jitter must be in [0, 0.5]");
  if (o.breaker_failures < 1) return bad("breaker_failures must be >= 1");
  if (o.breaker_cool_down <= absl::ZeroDuration()) return bad("breaker_cool_down must be > 0");
  if (o.max_pending_invalidations < 1) return bad("max_pending_invalidations must be >= 1");
  if (o.tombstone_ttl < absl::Milliseconds(1) || o.tombstone_ttl > absl::Hours(24)) {
    return bad("tombstone_ttl must be in [1ms, 24h]");
  }
  return ParseRedisUrl(o.url).status();
}

std::string KeyPrefix(const RedisOptions& o) {
  return absl::StrCat(o.key_namespace, ":v", o.schema_version, ":");
}

std::string InvalidationChannel(const RedisOptions& o) {
  return absl::StrCat(KeyPrefix(o), "invalidate");
}

}  // namespace watchstore::internal
