// Cache: what the services keep in front of Storage (products, listing pages,
// sessions). Adapters: memory (sharded LRU with TTL and a byte budget),
// Redis, tiered (memory L1 in front of Redis). One conformance suite
// (tests/cache_conformance.h) holds them all.
#ifndef WATCHSTORE_CACHE_H_
#define WATCHSTORE_CACHE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "watchstore/clock.h"

namespace watchstore {

// An immutable cached value. `bytes` is its encoded form, what crosses a
// process boundary. `object`, when set, is the same value already decoded;
// it is shared by every reader in this process, so an in-process hit costs
// no decoding and no copy. Adapters that store bytes elsewhere drop it.
struct CacheValue {
  std::string bytes;
  std::shared_ptr<const void> object;
};
using CacheValuePtr = std::shared_ptr<const CacheValue>;

// Turns bytes read from a remote cache back into a value with `object` set.
// Returns nullptr if the bytes cannot be decoded (treated as a miss).
using CacheDecoder = std::function<CacheValuePtr(absl::string_view bytes)>;

struct CacheStats {
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t errors = 0;   // backend failures turned into misses
  int64_t entries = 0;  // -1 when unknown
  int64_t bytes = 0;    // -1 when unknown
};

// Every method is thread-safe. A cache never fails a read: a backend error is
// a miss (and counted). Writes are best effort.
class Cache {
 public:
  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  virtual ~Cache() = default;

  // The value under `key`, or nullptr on a miss. `decode` turns bytes from a
  // remote tier into a value with `object`; in-process tiers ignore it.
  virtual CacheValuePtr Get(absl::string_view key, const CacheDecoder& decode) = 0;
  // One result per key, in order (nullptr for a miss), in one round trip
  // where the backend allows.
  virtual std::vector<CacheValuePtr> GetMany(absl::Span<const std::string> keys,
                                             const CacheDecoder& decode) = 0;
  // Stores `value` for at most `ttl` (> 0). REQUIRES: value != nullptr.
  virtual void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) = 0;
  // Removes `key` here and, for shared tiers, everywhere it is cached.
  virtual void Erase(absl::string_view key) = 0;
  // OK when the backend answers (for readiness checks).
  virtual absl::Status Ping() = 0;
  virtual CacheStats Stats() const = 0;
  // "memory", "redis", "tiered".
  virtual absl::string_view Kind() const = 0;
};

struct MemoryCacheOptions {
  // Total budget of keys + encoded bytes (+ a fixed per-entry overhead);
  // least recently used entries are evicted past it. > 0.
  int64_t capacity_bytes = 64 << 20;
  // Number of independently locked shards; a power of two in [1, 1024].
  int shards = 16;
  // Time source for TTLs. Not owned; must outlive the cache. null: RealClock().
  const Clock* clock = nullptr;
};

// InvalidArgument for a bad option.
absl::StatusOr<std::unique_ptr<Cache>> NewMemoryCache(const MemoryCacheOptions& options);

}  // namespace watchstore

#endif  // WATCHSTORE_CACHE_H_
