// The in-memory cache: sharded, approximately-LRU (CLOCK) with TTL and a
// byte budget.
#include <atomic>
#include <list>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "watchstore/cache.h"

namespace watchstore {
namespace {

// Fixed bookkeeping charged per entry on top of key and value bytes.
constexpr int64_t kEntryOverhead = 96;

// A key with its hash computed once: it picks the shard and is reused by the
// shard's index, so a lookup hashes the key a single time.
struct HashedKey {
  absl::string_view key;
  size_t hash;
};
struct HashedKeyHash {
  using is_transparent = void;
  size_t operator()(const HashedKey& k) const { return k.hash; }
};
struct HashedKeyEq {
  using is_transparent = void;
  bool operator()(const HashedKey& a, const HashedKey& b) const { return a.key == b.key; }
};
HashedKey Hashed(absl::string_view key) { return HashedKey{key, absl::HashOf(key)}; }

class MemoryCache final : public Cache {
 public:
  explicit MemoryCache(const MemoryCacheOptions& o)
      : clock_(o.clock ? o.clock : RealClock()),
        shard_mask_(static_cast<size_t>(o.shards) - 1),
        shards_(static_cast<size_t>(o.shards)) {
    for (auto& s : shards_) s.capacity = o.capacity_bytes / o.shards;
  }

  CacheValuePtr Get(absl::string_view raw_key, const CacheDecoder&) override {
    const HashedKey key = Hashed(raw_key);
    Shard& s = ShardFor(key);
    const int64_t now = clock_->NowNanosCoarse();
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) {
      ++s.misses;
      return nullptr;
    }
    auto node = it->second;
    if (node->expires_at_nanos <= now) {
      s.RemoveLocked(it);
      ++s.misses;
      return nullptr;
    }
    // CLOCK (second chance): a hit only marks the entry; eviction moves
    // marked entries to the front instead of evicting them. Touching the
    // list here would cost a hit three extra cache lines.
    node->referenced = true;
    ++s.hits;
    return node->value;
  }

  std::vector<CacheValuePtr> GetMany(absl::Span<const std::string> keys,
                                     const CacheDecoder& decode) override {
    std::vector<CacheValuePtr> out;
    out.reserve(keys.size());
    for (const auto& k : keys) out.push_back(Get(k, decode));
    return out;
  }

  void Put(absl::string_view raw_key, CacheValuePtr value, absl::Duration ttl) override {
    if (value == nullptr || ttl <= absl::ZeroDuration()) return;
    const HashedKey key = Hashed(raw_key);
    const int64_t charge =
        static_cast<int64_t>(raw_key.size() + value->bytes.size()) + kEntryOverhead;
    Shard& s = ShardFor(key);
    if (charge > s.capacity) return;  // would evict everything; not worth it
    const int64_t expires =
        clock_->NowNanosCoarse() + absl::ToInt64Nanoseconds(ttl);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    if (it != s.index.end()) s.RemoveLocked(it);
    s.lru.push_front(Node{std::string(raw_key), std::move(value), expires, charge});
    s.index.emplace(HashedKey{s.lru.front().key, key.hash}, s.lru.begin());
    s.used += charge;
    while (s.used > s.capacity && !s.lru.empty()) {
      auto last = std::prev(s.lru.end());
      if (last->referenced) {  // used since it last reached the tail: keep it
        last->referenced = false;
        s.lru.splice(s.lru.begin(), s.lru, last);
        continue;
      }
      s.RemoveLocked(s.index.find(Hashed(last->key)));
    }
  }

  void Erase(absl::string_view raw_key) override {
    const HashedKey key = Hashed(raw_key);
    Shard& s = ShardFor(key);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.index.find(key);
    if (it != s.index.end()) s.RemoveLocked(it);
  }

  absl::Status Ping() override { return absl::OkStatus(); }

  CacheStats Stats() const override {
    CacheStats st;
    for (const auto& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      st.hits += s.hits;
      st.misses += s.misses;
      st.entries += static_cast<int64_t>(s.index.size());
      st.bytes += s.used;
    }
    return st;
  }

  absl::string_view Kind() const override { return "memory"; }

 private:
  struct Node {
    std::string key;
    CacheValuePtr value;
    int64_t expires_at_nanos;
    int64_t charge;
    bool referenced = false;
  };
  using List = std::list<Node>;
  struct alignas(64) Shard {  // one cache line each: no false sharing
    // std::mutex, not absl::Mutex: Debian builds Abseil without NDEBUG, so
    // every absl::Mutex acquisition pays for deadlock-cycle detection
    // (~50 ns), which would dominate a cache hit. Everything below is
    // guarded by mu except capacity (immutable).
    mutable std::mutex mu;
    List lru;
    // Keys are views of Node::key, which lives as long as its index entry.
    absl::flat_hash_map<HashedKey, List::iterator, HashedKeyHash, HashedKeyEq> index;
    int64_t used = 0;
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t capacity = 0;

    // REQUIRES: mu held.
    void RemoveLocked(absl::flat_hash_map<HashedKey, List::iterator, HashedKeyHash, HashedKeyEq>::iterator it) {
      auto node = it->second;
      used -= node->charge;
      index.erase(it);
      lru.erase(node);
    }
  };

  Shard& ShardFor(const HashedKey& key) { return shards_[(key.hash >> 32) & shard_mask_]; }

  const Clock* const clock_;
  const size_t shard_mask_;
  std::vector<Shard> shards_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cache>> NewMemoryCache(const MemoryCacheOptions& options) {
  if (options.capacity_bytes <= 0) {
    return absl::InvalidArgumentError("MemoryCacheOptions.capacity_bytes must be > 0");
  }
  if (options.shards < 1 || options.shards > 1024 ||
      (options.shards & (options.shards - 1)) != 0) {
    return absl::InvalidArgumentError(
        "MemoryCacheOptions.shards must be a power of two in [1, 1024]");
  }
  return std::unique_ptr<Cache>(new MemoryCache(options));
}

}  // namespace watchstore
