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
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "watchstore/clock.h"

namespace watchstore {

// An immutable cached value. `bytes` is its encoded form, what crosses a
// process boundary. `object`, when set, is the same value already decoded;
// it is shared by every reader in this process, so an in-process hit costs
// no decoding and no copy. Adapters that store bytes elsewhere drop it.
// `object` may be a non-owning pointer into the same allocation as the
// CacheValue: it is valid only while the CacheValue is, so never copy it
// out of the CacheValue that holds it (alias the CacheValuePtr instead).
struct CacheValue {
  std::string bytes;
  std::shared_ptr<const void> object;
};
using CacheValuePtr = std::shared_ptr<const CacheValue>;

// Turns bytes read from a remote cache back into a value with `object` set.
// Returns nullptr if the bytes cannot be decoded (treated as a miss).
using CacheDecoder = std::function<CacheValuePtr(absl::string_view bytes)>;

// Round-trip times of a remote backend's commands, in buckets of upper
// bounds kCacheLatencyBoundsMicros (the last bucket: everything above).
inline constexpr int64_t kCacheLatencyBoundsMicros[] = {100,   250,    500,    1'000,  2'500,
                                                        5'000, 10'000, 25'000, 50'000, 100'000};
inline constexpr int kCacheLatencyBuckets =
    static_cast<int>(sizeof(kCacheLatencyBoundsMicros) / sizeof(kCacheLatencyBoundsMicros[0])) + 1;

struct CacheStats {
  int64_t hits = 0;  // stale hits included
  int64_t misses = 0;
  int64_t errors = 0;   // backend failures turned into misses
  int64_t entries = 0;  // -1 when unknown
  int64_t bytes = 0;    // -1 when unknown
  // Hits on copies past their freshness (stale-while-revalidate).
  int64_t stale_hits = 0;

  // A tiered cache's tiers, each as its own Stats() reports it (hits and
  // misses of L2 count only lookups that reached it: L1 misses and
  // background refreshes). -1 for a single-tier cache.
  int64_t l1_hits = -1;
  int64_t l1_misses = -1;
  int64_t l2_hits = -1;
  int64_t l2_misses = -1;
  // Background refreshes of stale copies: started, and those that found
  // nothing usable in L2 (the stale copy stays until its bound).
  int64_t refreshes = 0;
  int64_t refresh_failures = 0;

  // A remote backend's circuit breaker: 1 open, 0 closed, -1 none.
  int breaker_open = -1;
  int64_t breaker_openings = 0;
  // Command round trips (remote backends; all zero otherwise).
  int64_t latency_buckets[kCacheLatencyBuckets] = {};
  int64_t latency_count = 0;
  int64_t latency_sum_micros = 0;
};

// What a cache knew of a key when it was looked up, handed back to Fill so
// that a value read from the source of truth after the lookup cannot land
// on top of a newer write. Opaque to callers: only the cache that issued it
// reads its fields. A default-constructed ticket is never honoured.
struct FillTicket {
  bool issued = false;
  // Adapter-private. Memory: the shard's change counter. Redis: the key's
  // change stamp. Tiered: its L1 ticket's `stamp`, its L2 ticket's `stamp`
  // (in `far_stamp`) and its L1 generation.
  int64_t stamp = 0;
  int64_t far_stamp = 0;
  uint64_t generation = 0;
  // Set by a lookup that returned a copy past its freshness, still served
  // within its grace (FillWithGrace): usable, but due for a refresh.
  bool stale = false;
};

// Every method is thread-safe. A cache never fails a read: a backend error is
// a miss (and counted). Writes are best effort.
//
// The fill protocol (cache-aside without stale fills):
//   FillTicket t;
//   if (CacheValuePtr v = cache.Lookup(key, decode, &t)) return v;
//   Value fresh = ReadSourceOfTruth();
//   cache.Fill(key, Wrap(fresh), ttl, t);
// A writer changes the source of truth first, then calls Put or Erase. Fill
// refuses to store when the key was written, erased or filled since the
// lookup that issued the ticket, so a reader that read the source before a
// write can never store what it read after that write's Put or Erase, and an
// older fill never replaces a newer one. Put is a write and always lands.
// A promise that comes with an in-process hit (Cache::LookupLeased): the
// value returned stays the key's current value, and may be reused without
// asking the cache again, until `fresh_until_nanos` by `clock` (its coarse
// reading), and only while each counter still reads what it read at the
// lookup. Every write, erase or clear that could make the value stale moves
// one of them (a release store; a reader loads them with acquire).
struct CacheLease {
  static constexpr int kMaxCounters = 2;
  const std::atomic<uint64_t>* counters[kMaxCounters] = {};
  uint64_t seen[kMaxCounters] = {};
  int64_t fresh_until_nanos = 0;
  // The cache's time source; null: no lease was given.
  const Clock* clock = nullptr;
  // Where the holder counts the hits it serves under this lease, so that
  // the cache's Stats() include them: a cell of the thread that made the
  // lookup, added to only by that thread (a load and a store, relaxed).
  // Null: not counted.
  std::atomic<int64_t>* hits = nullptr;

  bool Given() const { return clock != nullptr; }
  // True while every counter reads what it read and `now_nanos` (by
  // `clock`'s coarse reading) is before the end of freshness.
  bool Holds(int64_t now_nanos) const {
    for (int i = 0; i < kMaxCounters; ++i) {
      if (counters[i] != nullptr && counters[i]->load(std::memory_order_acquire) != seen[i]) {
        return false;
      }
    }
    return Given() && now_nanos < fresh_until_nanos;
  }
  // Adds a counter the lease also depends on; false if there is no room.
  bool AddCounter(const std::atomic<uint64_t>* counter, uint64_t seen_value) {
    for (int i = 0; i < kMaxCounters; ++i) {
      if (counters[i] == nullptr) {
        counters[i] = counter;
        seen[i] = seen_value;
        return true;
      }
    }
    return false;
  }
};

class Cache {
 public:
  Cache() = default;
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  virtual ~Cache() = default;

  // The value under `key`, or nullptr on a miss. `decode` turns bytes from a
  // remote tier into a value with `object`; in-process tiers ignore it. If
  // `ticket` is not null it is set, on a hit as on a miss (a caller may
  // find a hit unusable and fill over it).
  virtual CacheValuePtr Lookup(absl::string_view key, const CacheDecoder& decode,
                               FillTicket* ticket) = 0;
  // As Lookup; on a fresh hit held in this process, also a lease (see
  // CacheLease) that lets the caller reuse the value without asking again.
  // `lease` is left as it is (not given) by caches that cannot promise:
  // the default, and wrappers, which may change what a lookup means.
  // REQUIRES: lease != null and not yet given.
  virtual CacheValuePtr LookupLeased(absl::string_view key, const CacheDecoder& decode,
                                     FillTicket* ticket, CacheLease* lease) {
    (void)lease;
    return Lookup(key, decode, ticket);
  }
  // One result per key, in order (nullptr for a miss), in one round trip
  // where the backend allows. `tickets`, if not null, gets one per key.
  virtual std::vector<CacheValuePtr> LookupMany(absl::Span<const std::string> keys,
                                                const CacheDecoder& decode,
                                                std::vector<FillTicket>* tickets) = 0;
  // Stores `value`, read from the source of truth after the lookup that
  // issued `ticket`, for at most `ttl` (> 0) - unless the key was written,
  // erased or filled since that lookup, or `ticket` was not issued by this
  // cache: then nothing is stored and the result is false. True otherwise
  // (stored, or dropped for a reason that says nothing about freshness:
  // a backend error, a value over the size budget). REQUIRES: value != null.
  virtual bool Fill(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
                    const FillTicket& ticket) = 0;
  // As Fill, and the value stays for `grace` (>= 0) past `ttl`, served
  // only to lookups that pass a ticket, with FillTicket::stale set (never
  // to Get). For near caches that serve stale copies while they refresh
  // them; a cache without stale serving stores the value for `ttl` alone.
  virtual bool FillWithGrace(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
                             absl::Duration grace, const FillTicket& ticket) {
    (void)grace;
    return Fill(key, std::move(value), ttl, ticket);
  }
  // A write: stores `value` for at most `ttl` (> 0) whatever the key held,
  // and makes every outstanding ticket for `key` stale. REQUIRES: value != null.
  virtual void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) = 0;
  // As Put, with a grace past `ttl` as FillWithGrace has.
  virtual void PutWithGrace(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
                            absl::Duration grace) {
    (void)grace;
    Put(key, std::move(value), ttl);
  }
  // Removes `key` here and, for shared tiers, everywhere it is cached; makes
  // every outstanding ticket for `key` stale.
  virtual void Erase(absl::string_view key) = 0;
  // OK when the backend answers (for readiness checks).
  virtual absl::Status Ping() = 0;
  virtual CacheStats Stats() const = 0;
  // "memory", "redis", "tiered".
  virtual absl::string_view Kind() const = 0;

  // Lookups for callers that will not fill.
  CacheValuePtr Get(absl::string_view key, const CacheDecoder& decode) {
    return Lookup(key, decode, nullptr);
  }
  std::vector<CacheValuePtr> GetMany(absl::Span<const std::string> keys,
                                     const CacheDecoder& decode) {
    return LookupMany(keys, decode, nullptr);
  }
};

// A Cache that forwards every call to another, for tests and decorators that
// change one behaviour (fault injection, counting, delays), as LevelDB's
// EnvWrapper does for Env. Does not own `target`; it must outlive this.
class CacheWrapper : public Cache {
 public:
  explicit CacheWrapper(Cache* target) : target_(target) {}
  Cache* target() const { return target_; }

  CacheValuePtr Lookup(absl::string_view key, const CacheDecoder& decode,
                       FillTicket* ticket) override {
    return target_->Lookup(key, decode, ticket);
  }
  std::vector<CacheValuePtr> LookupMany(absl::Span<const std::string> keys,
                                        const CacheDecoder& decode,
                                        std::vector<FillTicket>* tickets) override {
    return target_->LookupMany(keys, decode, tickets);
  }
  bool Fill(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
            const FillTicket& ticket) override {
    return target_->Fill(key, std::move(value), ttl, ticket);
  }
  bool FillWithGrace(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
                     absl::Duration grace, const FillTicket& ticket) override {
    return target_->FillWithGrace(key, std::move(value), ttl, grace, ticket);
  }
  void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) override {
    target_->Put(key, std::move(value), ttl);
  }
  void PutWithGrace(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
                    absl::Duration grace) override {
    target_->PutWithGrace(key, std::move(value), ttl, grace);
  }
  void Erase(absl::string_view key) override { target_->Erase(key); }
  absl::Status Ping() override { return target_->Ping(); }
  CacheStats Stats() const override { return target_->Stats(); }
  absl::string_view Kind() const override { return target_->Kind(); }

 private:
  Cache* const target_;
};

struct MemoryCacheOptions {
  // Total budget of keys + encoded bytes (+ a fixed per-entry overhead);
  // least recently used entries are evicted past it. > 0.
  int64_t capacity_bytes = 64 << 20;
  // Number of independently locked shards; a power of two in [1, 1024].
  int shards = 16;
  // How long an Erase is remembered for the key alone (a small tombstone
  // entry). A fill whose lookup came before the erase is refused either way;
  // past this, or once the tombstone is evicted, every fill of the shard
  // whose lookup predates the erase is refused too. > 0.
  absl::Duration tombstone_ttl = absl::Seconds(10);
  // Time source for TTLs. Not owned; must outlive the cache. null: RealClock().
  const Clock* clock = nullptr;
};

// InvalidArgument for a bad option.
absl::StatusOr<std::unique_ptr<Cache>> NewMemoryCache(const MemoryCacheOptions& options);

}  // namespace watchstore

#endif  // WATCHSTORE_CACHE_H_
