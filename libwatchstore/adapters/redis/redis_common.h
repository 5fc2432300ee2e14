// What the Redis cache and the invalidation feed share. Internal.
#ifndef WATCHSTORE_ADAPTERS_REDIS_REDIS_COMMON_H_
#define WATCHSTORE_ADAPTERS_REDIS_REDIS_COMMON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "watchstore/redis_cache.h"

namespace watchstore::internal {

// Invalidation messages on the channel: kMessageKey followed by the key
// (without namespace prefix), or kMessageAll alone (drop every copy).
inline constexpr absl::string_view kMessageKey = "k";
inline constexpr absl::string_view kMessageAll = "a";

// Stored values: kValueTag, the time of the key's last change (Unix
// microseconds on the Redis server's clock, kStampDigits decimal digits),
// then the value's bytes. An Erase leaves a tombstone: kTombstoneTag and the
// time of the erase, for RedisOptions.tombstone_ttl.
inline constexpr char kValueTag = 'v';
inline constexpr char kTombstoneTag = 't';
inline constexpr size_t kStampDigits = 16;
inline constexpr size_t kHeaderSize = 1 + kStampDigits;

// InvalidArgument for a bad option or URL.
absl::Status ValidateRedisOptions(const RedisOptions& options);
// "<key_namespace>:v<schema_version>:"
std::string KeyPrefix(const RedisOptions& options);
// "<key_namespace>:v<schema_version>:invalidate"
std::string InvalidationChannel(const RedisOptions& options);

}  // namespace watchstore::internal

#endif  // WATCHSTORE_ADAPTERS_REDIS_REDIS_COMMON_H_
