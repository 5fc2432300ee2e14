// A LoginLimiter (watchstore/login_limiter.h) shared by every server instance
// through Redis: each attempt is one Lua script run (one round trip) that
// checks and counts both keys atomically; keys expire by themselves
// (PEXPIRE forget_after) under "<key_namespace>:v<schema_version>:login:".
//
//   watchstore::RedisOptions redis;  // as for the cache
//   store_options.login_limiter = *watchstore::NewRedisLoginLimiter(redis);
//
// Uses RedisOptions' url, namespace, connection timeouts and circuit
// breaker; a pool of at most min(pool_size, 8) connections. While Redis is
// unreachable (or the breaker is open) every call is Unavailable at once and
// Accounts counts attempts in process instead.
#ifndef WATCHSTORE_REDIS_LOGIN_LIMITER_H_
#define WATCHSTORE_REDIS_LOGIN_LIMITER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "watchstore/login_limiter.h"
#include "watchstore/redis_cache.h"

namespace watchstore {

// InvalidArgument for a bad option or URL. Does not need Redis to be up.
absl::StatusOr<std::unique_ptr<LoginLimiter>> NewRedisLoginLimiter(const RedisOptions& options);

}  // namespace watchstore

#endif  // WATCHSTORE_REDIS_LOGIN_LIMITER_H_
