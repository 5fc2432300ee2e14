// The tiered (near) cache: a small in-process L1 in front of a shared L2
// (Redis), with cross-instance invalidation of L1 copies.
//
//   L1 = NewMemoryCache(...)  short TTL: min(requested, l1_ttl)
//   L2 = NewRedisCache(...)   shared by every server instance
//
// Lookup: an L1 hit is returned at once; else the L2 value is decoded, kept
// in L1 (a fill under the L1 miss's ticket) and returned. Fill: L2 with its
// ticket, then L1 with its own, only if L2 took it. Put: L2, then L1.
// Erase: L2, then L1. Every Put and Erase
// that reaches Redis is announced on a pub/sub channel (redis_cache.h); each
// tiered cache listens through an InvalidationFeed and drops the announced
// keys from its L1 (its own announcements included: one extra L2 read after
// a local write), so another instance's write is seen within the propagation
// delay: 0.2-0.4 ms median across two processes on one host (see
// libwatchstore/adapters/redis/README.md). When announcements may have been
// missed (the feed reconnected), L1 is cleared.
//
// Stale-while-revalidate: an L1 copy is fresh for l1_ttl; then, for up to
// max_stale more, it is still served (at once: a request never waits on
// Redis while L1 holds a servable copy) and one background refresh per key
// reads the key from L2 on a small pool of refresher threads: the same
// bytes make the copy fresh again; other bytes drop it (the next lookup
// reads L2); nothing usable (Redis slow, down, breaker open, key gone)
// leaves it until its grace ends, after which the next lookup is a plain
// miss (L2, then the caller's source of truth), and queues no refresh of
// any key for 200 ms. Stale copies are never
// served while the feed is disconnected (announcements may be missed).
//
// Staleness bound of an L1 copy: a write through any instance removes it
// within the propagation delay while the feed is connected (an announced
// key is never served again from the copy, fresh or stale); without a feed
// an L1 copy is served at most l1_ttl + max_stale after it was read from
// L2 or stored, and while the feed reconnects at most l1_ttl (no stale
// serves; the reconnection clears L1). An L1 copy never outlives the TTL
// its value was stored with (L2 values carry their deadline). Within an
// instance, a fill (an L1 fill from L2, a refresh, or a Fill) never lands
// after a write or announcement of that key that came after its lookup:
// both tiers keep the Cache fill protocol.
//
// Wire format: the tiered cache stores in L2 a 9-byte header (format byte,
// absolute deadline in Unix milliseconds) before the value's bytes, so every
// instance that shares an L2 namespace must use the tiered cache (instances
// running a plain Redis cache over the same namespace see those values as
// misses, and the other way round).
#ifndef WATCHSTORE_TIERED_CACHE_H_
#define WATCHSTORE_TIERED_CACHE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/cache.h"
#include "watchstore/clock.h"

namespace watchstore {

// Announcements that keys changed in a shared tier, for near caches.
// NewRedisInvalidationFeed (redis_cache.h) listens on Redis pub/sub.
class InvalidationFeed {
 public:
  // Called from the feed's own thread, one call at a time.
  class Listener {
   public:
    virtual ~Listener() = default;
    // `key` was written or erased by some instance: drop any local copy.
    virtual void OnInvalidate(absl::string_view key) = 0;
    // Announcements may have been missed (the feed (re)subscribed, or a
    // writer lost track of what it changed): drop every local copy.
    virtual void OnInvalidateAll() = 0;
  };

  InvalidationFeed() = default;
  InvalidationFeed(const InvalidationFeed&) = delete;
  InvalidationFeed& operator=(const InvalidationFeed&) = delete;
  // Stops delivery; returns once no callback is running or will run.
  virtual ~InvalidationFeed() = default;

  // Starts delivering to `listener` until the feed is destroyed. Call once.
  // REQUIRES: `listener` outlives the feed.
  virtual void Start(Listener* listener) = 0;
  // True while announcements are being received (subscribed).
  virtual bool Connected() const = 0;
};

struct TieredCacheOptions {
  // Longest an entry stays in L1: min(the TTL it was Put with, l1_ttl).
  // Bounds how stale an L1 copy can be when an announcement is lost. > 0.
  absl::Duration l1_ttl = absl::Seconds(5);
  // How long past l1_ttl an L1 copy is still served (stale) while it is
  // refreshed in the background; 0 turns stale serving off. >= 0.
  absl::Duration max_stale = absl::Seconds(10);
  // Threads that refresh stale copies from L2 (started with the cache,
  // joined by its destructor). [1, 16].
  int refresh_threads = 1;
  // Refreshes waiting for a thread at most; a stale hit past it is served
  // without queueing one (a later hit will). >= 1.
  int max_queued_refreshes = 1024;
  // Time source for L1 deadlines and the L2 deadline header; use the same
  // clock as the L1 cache. Not owned; must outlive the cache. null: RealClock().
  const Clock* clock = nullptr;
};

// InvalidArgument for a bad option or a null tier. Takes ownership of the
// tiers and of `feed` (null: no cross-instance invalidation, for a single
// instance). Stats(): hits from either tier, misses of both, L2 errors,
// L1's entries, bytes and stale hits, each tier's hits and misses, refreshes,
// and L2's breaker and latency. Ping(): L2's.
absl::StatusOr<std::unique_ptr<Cache>> NewTieredCache(
    std::unique_ptr<Cache> l1, std::unique_ptr<Cache> l2, const TieredCacheOptions& options,
    std::unique_ptr<InvalidationFeed> feed = nullptr);

}  // namespace watchstore

#endif  // WATCHSTORE_TIERED_CACHE_H_
