// The in-memory cache: sharded, approximately-LRU (CLOCK) with TTL and a
// byte budget.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/numeric/int128.h"
#include "coarse_clock.h"
#include "sync.h"
#include "thread_counter.h"
#include "watchstore/cache.h"

namespace watchstore {
namespace {

// Fixed bookkeeping charged per entry on top of key and value bytes.
constexpr int64_t kEntryOverhead = 96;

// 64x64 -> 128-bit multiply, folded: mixes every input bit into every
// output bit.
inline uint64_t Mix(uint64_t a, uint64_t b) {
  const absl::uint128 m = absl::uint128(a) * b;
  return absl::Uint128Low64(m) ^ absl::Uint128High64(m);
}

// Seeds drawn from Abseil's per-process hash seed, so that nobody outside
// can pick keys that collide.
struct KeySeeds {
  uint64_t a, b, c;
};
const KeySeeds& Seeds() {
  static const KeySeeds seeds{absl::HashOf(uint64_t{1}) | 1, absl::HashOf(uint64_t{2}) | 1,
                              absl::HashOf(uint64_t{3}) | 1};
  return seeds;
}

// The hash of a cache key. Keys of the hot path are short ("p:<id>"): up to
// 16 bytes are read as two (overlapping) words and mixed by two multiplies,
// a fraction of the cost of the general string hash, which longer keys use.
constexpr size_t kShortKey = 16;

// The bytes of a key of at most kShortKey bytes as two words (overlapping
// reads: every byte lands in one of them). Equal keys give equal words;
// keys of equal length and equal words are equal.
struct ShortKeyWords {
  uint64_t lo = 0;
  uint64_t hi = 0;
};
inline ShortKeyWords WordsOf(const char* p, size_t n) {
  ShortKeyWords w;
  if (n >= 8) {
    std::memcpy(&w.lo, p, 8);
    std::memcpy(&w.hi, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    w.lo = a;
    w.hi = b;
  } else if (n > 0) {
    w.lo = (uint64_t{static_cast<uint8_t>(p[0])} << 16) |
           (uint64_t{static_cast<uint8_t>(p[n / 2])} << 8) | static_cast<uint8_t>(p[n - 1]);
  }
  return w;
}

ABSL_ATTRIBUTE_NOINLINE size_t LongKeyHashOf(absl::string_view key) { return absl::HashOf(key); }

// The hash of a short key of `n` bytes from its words.
inline size_t ShortKeyHashOf(const ShortKeyWords& w, size_t n) {
  const KeySeeds& s = Seeds();
  return static_cast<size_t>(Mix(Mix(w.lo ^ s.a, w.hi ^ s.b ^ n), s.c));
}

// A key with its hash (and, when short, its words) computed once: the hash
// picks the shard and the slot, the words compare it with the slot's.
struct HashedKey {
  absl::string_view key;
  size_t hash;
  ShortKeyWords words;  // zero for a long key
};
// Inlined into every lookup: the short-key path is a handful of
// instructions, fewer than a call's.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline HashedKey Hashed(absl::string_view key) {
  const size_t n = key.size();
  if (ABSL_PREDICT_FALSE(n > kShortKey)) return HashedKey{key, LongKeyHashOf(key), {}};
  const ShortKeyWords w = WordsOf(key.data(), n);
  return HashedKey{key, ShortKeyHashOf(w, n), w};
}

class MemoryCache final : public Cache {
 public:
  explicit MemoryCache(const MemoryCacheOptions& o)
      : clock_(o.clock ? o.clock : RealClock()),
        real_clock_(clock_ == RealClock()),
        tombstone_ttl_(o.tombstone_ttl),
        shard_mask_(static_cast<size_t>(o.shards) - 1),
        shards_(static_cast<size_t>(o.shards)) {
    for (auto& s : shards_) s.capacity = o.capacity_bytes / o.shards;
  }

  CacheValuePtr Lookup(absl::string_view raw_key, const CacheDecoder&,
                       FillTicket* ticket) override {
    return Find(raw_key, ticket, nullptr);
  }

  CacheValuePtr LookupLeased(absl::string_view raw_key, const CacheDecoder&, FillTicket* ticket,
                             CacheLease* lease) override {
    CacheValuePtr v = Find(raw_key, ticket, lease);
    if (lease->Given()) lease->hits = &leased_hits_.CellOfThisThread()->value;
    return v;
  }

  std::vector<CacheValuePtr> LookupMany(absl::Span<const std::string> keys,
                                        const CacheDecoder& decode,
                                        std::vector<FillTicket>* tickets) override {
    std::vector<CacheValuePtr> out;
    out.reserve(keys.size());
    if (tickets != nullptr) tickets->assign(keys.size(), FillTicket{});
    for (size_t i = 0; i < keys.size(); ++i) {
      out.push_back(Lookup(keys[i], decode, tickets != nullptr ? &(*tickets)[i] : nullptr));
    }
    return out;
  }

  bool Fill(absl::string_view raw_key, CacheValuePtr value, absl::Duration ttl,
            const FillTicket& ticket) override {
    if (!ticket.issued) return false;
    return Store(raw_key, std::move(value), ttl, absl::ZeroDuration(), &ticket);
  }

  bool FillWithGrace(absl::string_view raw_key, CacheValuePtr value, absl::Duration ttl,
                     absl::Duration grace, const FillTicket& ticket) override {
    if (!ticket.issued) return false;
    return Store(raw_key, std::move(value), ttl, grace, &ticket);
  }

  void Put(absl::string_view raw_key, CacheValuePtr value, absl::Duration ttl) override {
    Store(raw_key, std::move(value), ttl, absl::ZeroDuration(), nullptr);
  }

  void PutWithGrace(absl::string_view raw_key, CacheValuePtr value, absl::Duration ttl,
                    absl::Duration grace) override {
    Store(raw_key, std::move(value), ttl, grace, nullptr);
  }

  void Erase(absl::string_view raw_key) override {
    // A tombstone: the erase's stamp, remembered for tombstone_ttl_ so that
    // fills of this key whose lookup came before it are refused.
    Store(raw_key, nullptr, tombstone_ttl_, absl::ZeroDuration(), nullptr);
  }

  absl::Status Ping() override { return absl::OkStatus(); }

  CacheStats Stats() const override {
    CacheStats st;
    for (const auto& s : shards_) {
      internal::MutexLock lock(&s.mu);
      st.hits += s.hits;
      st.misses += s.misses;
      st.stale_hits += s.stale_hits;
      st.entries += static_cast<int64_t>(s.index.size()) - s.tombstones;
      st.bytes += s.used;
    }
    st.hits += leased_hits_.Sum();
    return st;
  }

  absl::string_view Kind() const override { return "memory"; }

 private:
  // Lookup, and the lease of a fresh hit when `lease` is not null (inlined
  // into both: the branch on `lease` folds away in Lookup).
  ABSL_ATTRIBUTE_ALWAYS_INLINE CacheValuePtr Find(absl::string_view raw_key, FillTicket* ticket,
                                                  CacheLease* lease) {
    const HashedKey key = Hashed(raw_key);
    Shard& s = ShardFor(key);
    const int64_t now = NowNanosCoarse();
    internal::MutexLock lock(&s.mu);
    if (ticket != nullptr) *ticket = FillTicket{true, s.changes, 0, 0};
    auto it = s.index.find(key);
    if (it == s.index.end()) {
      ++s.misses;
      return nullptr;
    }
    const Slot& e = *it;
    if (e.expires_at_nanos <= now || e.value == nullptr) {  // expired, or a tombstone
      if (e.value != nullptr && now < e.cold->stale_until_nanos) {
        // Within its grace (FillWithGrace): only a caller with a ticket
        // learns that it is stale, so only such a caller gets it.
        if (ticket != nullptr) {
          ticket->stale = true;
          e.referenced = true;
          ++s.hits;
          ++s.stale_hits;
          return e.value;
        }
      } else if (e.expires_at_nanos <= now) {
        s.RemoveLocked(it);
      }
      ++s.misses;
      return nullptr;
    }
    // CLOCK (second chance): a hit only marks the entry, in the slot it was
    // found in; eviction gives marked entries another round. A hit touches
    // no list node.
    if (!e.referenced) e.referenced = true;  // no store (no dirty line) when already set
    ++s.hits;
    if (lease != nullptr) {
      // Good until the entry's freshness ends or the shard's next change
      // that could replace it (Store moves `invalidations` under the lock).
      lease->AddCounter(&s.invalidations, s.invalidations.load(std::memory_order_relaxed));
      lease->fresh_until_nanos = e.expires_at_nanos;
      lease->clock = clock_;
    }
    return e.value;
  }

  // Put (ticket == null), Fill (with `grace` past `ttl` for stale lookups),
  // or Erase (value == null: a tombstone). False only for a refused fill.
  bool Store(absl::string_view raw_key, CacheValuePtr value, absl::Duration ttl,
             absl::Duration grace, const FillTicket* ticket) {
    if (ttl <= absl::ZeroDuration()) return true;
    const HashedKey key = Hashed(raw_key);
    const int64_t charge =
        static_cast<int64_t>(2 * raw_key.size() + (value ? value->bytes.size() : 0)) +
        kEntryOverhead;
    Shard& s = ShardFor(key);
    const int64_t expires = NowNanosCoarse() + absl::ToInt64Nanoseconds(ttl);
    const int64_t stale_until =
        expires + (grace > absl::ZeroDuration() ? absl::ToInt64Nanoseconds(grace) : 0);
    internal::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (ticket != nullptr) {
      // A change after the ticket: an entry stored since, or a change that
      // left no entry (an erase, an eviction) at or above the floor.
      if (ticket->stamp < s.floor) return false;
      if (it != s.index.end() && it->cold->stamp > ticket->stamp) return false;
    }
    // A write or an erase, or a store over an entry, may replace a value
    // a lease was given for; a fill of an absent key replaces none.
    if (ticket == nullptr || it != s.index.end()) {
      s.invalidations.fetch_add(1, std::memory_order_release);
    }
    const int64_t stamp = ++s.changes;
    if (it != s.index.end()) s.RemoveLocked(it);
    if (charge > s.capacity) {  // would evict everything; not worth it
      s.floor = stamp;          // but the change must not be forgotten
      return true;
    }
    s.lru.push_front(Cold{std::string(raw_key), stale_until, charge, stamp});
    if (value == nullptr) ++s.tombstones;
    s.index.insert(Slot{key.words.lo, key.words.hi, static_cast<uint32_t>(raw_key.size()), false,
                        s.lru.begin(), std::move(value), expires});
    s.used += charge;
    while (s.used > s.capacity && !s.lru.empty()) {
      auto last = std::prev(s.lru.end());
      auto victim = s.index.find(Hashed(last->key));
      if (victim->referenced) {  // used since it last reached the tail: keep it
        victim->referenced = false;
        s.lru.splice(s.lru.begin(), s.lru, last);
        continue;
      }
      s.RemoveLocked(victim);
    }
    return true;
  }

  // What only writes, eviction and stale reads need: the full key and the
  // entry's bookkeeping, in its node of the eviction list.
  struct Cold {
    std::string key;
    int64_t stale_until_nanos;  // >= the slot's expiry: served stale until then
    int64_t charge;
    int64_t stamp;  // the shard's change counter when it was stored
  };
  using KeyList = std::list<Cold>;  // eviction order, most recent first

  // An entry's slot in the index: everything a hit reads, in one cache line
  // (slots are line-aligned). A short key is compared by its words, without
  // leaving the slot; a long one through `cold`.
  struct alignas(64) Slot {
    uint64_t lo;  // ShortKeyWords of a short key, zero for a long one
    uint64_t hi;
    uint32_t size;
    // Set by hits under the shard's lock (`mutable`: not part of the key).
    mutable bool referenced;
    KeyList::iterator cold;
    CacheValuePtr value;       // null: a tombstone left by Erase
    int64_t expires_at_nanos;  // fresh until then
  };
  static_assert(sizeof(Slot) == 64, "a slot is one cache line");

  // Slots and HashedKey probes alike.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(const Slot& s) const {
      if (s.size > kShortKey) return LongKeyHashOf(s.cold->key);
      return ShortKeyHashOf(ShortKeyWords{s.lo, s.hi}, s.size);
    }
    size_t operator()(const HashedKey& k) const { return k.hash; }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(const Slot& s, const HashedKey& k) const {
      if (s.size != k.key.size()) return false;
      if (s.size > kShortKey) return s.cold->key == k.key;
      return s.lo == k.words.lo && s.hi == k.words.hi;
    }
    bool operator()(const HashedKey& k, const Slot& s) const { return (*this)(s, k); }
    bool operator()(const Slot& a, const Slot& b) const {
      if (a.size != b.size) return false;
      if (a.size > kShortKey) return a.cold->key == b.cold->key;
      return a.lo == b.lo && a.hi == b.hi;
    }
  };
  using Index = absl::flat_hash_set<Slot, KeyHash, KeyEq>;

  struct alignas(64) Shard {  // one cache line each: no false sharing
    // internal::Mutex (std::mutex), not absl::Mutex: Debian builds Abseil
    // without NDEBUG, so every absl::Mutex acquisition pays for
    // deadlock-cycle detection (~50 ns), which would dominate a cache hit.
    mutable internal::Mutex mu;
    KeyList lru ABSL_GUARDED_BY(mu);
    // What a hit reads lives in the index's slots: a hit reads one slot.
    Index index ABSL_GUARDED_BY(mu);
    int64_t used ABSL_GUARDED_BY(mu) = 0;
    int64_t hits ABSL_GUARDED_BY(mu) = 0;
    int64_t misses ABSL_GUARDED_BY(mu) = 0;
    int64_t stale_hits ABSL_GUARDED_BY(mu) = 0;
    int64_t capacity = 0;  // set before the cache is shared, then immutable
    int64_t tombstones ABSL_GUARDED_BY(mu) = 0;
    // Fill tickets: every store and erase takes the next `changes` value
    // and leaves an entry (a value or a tombstone) with it as its stamp;
    // `floor` is the newest stamp of an entry removed since (expired,
    // evicted, replaced). A ticket older than the key's entry, or below the
    // floor (the key's entry may be gone), is stale.
    int64_t changes ABSL_GUARDED_BY(mu) = 0;
    int64_t floor ABSL_GUARDED_BY(mu) = 0;
    // Leases (LookupLeased): moved under `mu` by every store that may
    // replace a value a lease was given for; read without the lock by
    // holders of leases.
    std::atomic<uint64_t> invalidations{0};

    void RemoveLocked(Index::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      const KeyList::iterator cold = it->cold;
      floor = std::max(floor, cold->stamp);
      if (it->value == nullptr) --tombstones;
      used -= cold->charge;
      index.erase(it);
      lru.erase(cold);
    }
  };

  Shard& ShardFor(const HashedKey& key) { return shards_[(key.hash >> 32) & shard_mask_]; }

  // The real clock without a virtual call (a hit reads the time once).
  int64_t NowNanosCoarse() const {
    return real_clock_ ? internal::RealNowNanosCoarse() : clock_->NowNanosCoarse();
  }

  const Clock* const clock_;
  const bool real_clock_;
  const absl::Duration tombstone_ttl_;
  const size_t shard_mask_;
  std::vector<Shard> shards_;
  // Hits served by holders of leases (CacheLease::hits), without a lookup.
  internal::ThreadCounter leased_hits_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cache>> NewMemoryCache(const MemoryCacheOptions& options) {
  if (options.capacity_bytes <= 0) {
    return absl::InvalidArgumentError("MemoryCacheOptions.capacity_bytes must be > 0");
  }
  if (options.tombstone_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("MemoryCacheOptions.tombstone_ttl must be > 0");
  }
  if (options.shards < 1 || options.shards > 1024 || (options.shards & (options.shards - 1)) != 0) {
    return absl::InvalidArgumentError(
        "MemoryCacheOptions.shards must be a power of two in [1, 1024]");
  }
  return std::unique_ptr<Cache>(new MemoryCache(options));
}

}  // namespace watchstore
