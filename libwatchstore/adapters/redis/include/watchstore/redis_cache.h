// The Redis cache adapter (hiredis), and the Redis pub/sub feed that keeps
// near caches (tiered_cache.h) coherent across server instances.
//
//   watchstore::RedisOptions o;
//   o.url = "redis://:secret@cache.internal:6379/0";
//   auto cache = watchstore::NewTieredRedisCache(o, {}, {});  // L1 + Redis
//
// Keys live under "<key_namespace>:v<schema_version>:<key>", so a deploy
// that changes a value format (bump schema_version) never reads old values.
//
// Degradation: the cache never fails a read. A connect or command that fails
// or exceeds its timeout turns into a miss (counted in Stats().errors); after
// `breaker_failures` consecutive failures - or slow calls, round trips over
// `breaker_slow_call` that did succeed - the circuit breaker opens and the
// cache answers every call as a miss without touching the network for
// `breaker_cool_down`, then lets one probe through; a successful, quick
// probe closes it. Lookups and fills (what a request does to read through
// the cache) get `request_budget` instead of command_timeout, for the wait
// for a pooled connection and for the round trip: past it the call is a
// miss and the caller reads its source of truth. So a Redis that is down,
// slow or flushed costs a reading request at most about request_budget
// (plus connect_timeout when a new connection must be opened) a few times,
// then nothing while the breaker is open, and caching resumes by itself.
// Stats(): breaker state and openings, and a histogram of round trips.
//
// Fills cannot hide writes (the Cache fill protocol, cache.h). A lookup's
// ticket is the key's change stamp as Redis holds it (absent, a tombstone's,
// a value's); Fill stores only if the stamp has not moved since, checked
// atomically in Redis (a Lua script), and stamps the key anew. Put stamps
// it too and always lands. Erase leaves a tombstone for `tombstone_ttl`
// that refuses older fills, so a fill that read storage before a write, in
// any instance, cannot store the old value after the write's Erase. Values
// carry a 17-byte header (a tag and the time of the key's last change).
// Needs Redis >= 5 (scripts that call TIME).
//
// Writes that cannot reach Redis (Put or Erase while it is down) are
// remembered; before serving anything once Redis is back, the cache erases
// those keys (tombstones) and tells every near cache to drop its copies, so
// an outage can never resurrect a value that a write had replaced.
//
// Process-wide effect: opening a Redis cache or feed sets SIGPIPE to SIG_IGN
// if it still has its default action (a write to a connection Redis closed
// would otherwise kill the process).
#ifndef WATCHSTORE_REDIS_CACHE_H_
#define WATCHSTORE_REDIS_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/cache.h"
#include "watchstore/clock.h"
#include "watchstore/tiered_cache.h"

namespace watchstore {

struct RedisOptions {
  // --- Where ---
  // redis://[[user]:password@]host[:port][/db]; port 6379 and db 0 by
  // default; user and password percent-decoded; host may be [IPv6]. With a
  // password: AUTH password (or AUTH user password, Redis 6 ACL). No TLS
  // (rediss:// is rejected).
  std::string url = "redis://127.0.0.1:6379/0";
  // Keys become "<key_namespace>:v<schema_version>:<key>"; invalidations
  // travel on the channel "<key_namespace>:v<schema_version>:invalidate".
  // 1 to 64 characters of [A-Za-z0-9_.-].
  std::string key_namespace = "ws";
  // Bump when the encoding of cached values changes. >= 1.
  int schema_version = 1;

  // --- Connections ---
  // Most connections open at once (the feed uses one more). [1, 1024].
  int pool_size = 16;
  // Bound on establishing a connection (TCP connect, then AUTH/SELECT run
  // under command_timeout). > 0.
  absl::Duration connect_timeout = absl::Milliseconds(100);
  // Bound on each command's round trip (socket send/receive timeouts). A
  // command that times out discards its connection. > 0.
  absl::Duration command_timeout = absl::Milliseconds(50);
  // Bound on a lookup's or fill's round trip and on its wait for a pooled
  // connection (the calls on a request's path; Put, Erase and Ping have
  // command_timeout and pool_wait). A lookup past it is abandoned (its
  // connection discarded): a miss, and a breaker failure. Capped at
  // command_timeout. (0, 1h].
  absl::Duration request_budget = absl::Milliseconds(10);
  // How long a call waits for a free connection when pool_size are busy
  // before it gives up (a miss; not a breaker failure). >= 0.
  absl::Duration pool_wait = absl::Milliseconds(50);

  // --- Expiry ---
  // Each Put's TTL is drawn uniformly from [ttl * (1 - ttl_jitter), ttl], so
  // entries written together do not all expire together. Never above the
  // requested TTL. [0, 0.5].
  double ttl_jitter = 0.1;

  // --- Circuit breaker ---
  // Consecutive failed round trips (connect errors, I/O errors, timeouts)
  // that open the breaker. >= 1.
  int breaker_failures = 3;
  // A round trip that succeeds but takes longer than this counts as a
  // failure for the breaker (a slow Redis opens it as a failing one does).
  // > 0.
  absl::Duration breaker_slow_call = absl::Milliseconds(10);
  // How long an open breaker answers everything as a miss before it lets a
  // single probe through. > 0.
  absl::Duration breaker_cool_down = absl::Seconds(1);
  // Time source for the breaker's cool-down (tests pass a FakeClock). Not
  // owned; must outlive the cache. null: RealClock().
  const Clock* clock = nullptr;

  // --- Invalidation ---
  // How long an Erase's tombstone refuses fills that started before it. A
  // fill slower than this (miss to Put) may store what it read before the
  // erase (until its TTL). [1 ms, 24 h].
  absl::Duration tombstone_ttl = absl::Seconds(30);
  // Announce every Put and Erase on the invalidation channel (pipelined with
  // the write: no extra round trip) so tiered caches drop their L1 copies.
  // Turn off only when no instance runs a tiered cache.
  bool publish_invalidations = true;
  // Writes that failed while Redis was unreachable are remembered, up to
  // this many keys, and deleted when it returns. Past it, the cache deletes
  // every key under its namespace and schema instead. >= 1.
  int max_pending_invalidations = 10000;
};

// InvalidArgument for a bad option or a malformed URL. Does not need Redis to
// be up: opened against an unreachable server, the cache starts degraded (a
// miss-only cache, Ping() Unavailable) and connects as soon as it can.
// Kind() "redis"; Stats().entries and .bytes are -1 (unknown).
absl::StatusOr<std::unique_ptr<Cache>> NewRedisCache(const RedisOptions& options);

// Listens on the invalidation channel of `options` (url, key_namespace,
// schema_version) on its own connection and thread, reconnecting with
// back-off (50 ms doubling to 2 s); a heartbeat PING every second detects a
// silently dead connection within 3 s. On every (re)subscription the
// listener's OnInvalidateAll() runs first. InvalidArgument as NewRedisCache.
absl::StatusOr<std::unique_ptr<InvalidationFeed>> NewRedisInvalidationFeed(
    const RedisOptions& options);

// The production setup: NewMemoryCache(l1) in front of NewRedisCache(redis),
// with NewRedisInvalidationFeed(redis) keeping L1 coherent.
absl::StatusOr<std::unique_ptr<Cache>> NewTieredRedisCache(const RedisOptions& redis,
                                                           const MemoryCacheOptions& l1,
                                                           const TieredCacheOptions& tiered);

}  // namespace watchstore

#endif  // WATCHSTORE_REDIS_CACHE_H_
