// The in-memory cache: sharded LRU with TTL and a byte budget.
#include <atomic>
#include <list>
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

class MemoryCache final : public Cache {
 public:
  explicit MemoryCache(const MemoryCacheOptions& o)
      : clock_(o.clock ? o.clock : RealClock()),
        shard_mask_(static_cast<size_t>(o.shards) - 1),
        shards_(static_cast<size_t>(o.shards)) {
    for (auto& s : shards_) s.capacity = o.capacity_bytes / o.shards;
  }

  CacheValuePtr Get(absl::string_view key, const CacheDecoder&) override {
    Shard& s = ShardFor(key);
    const int64_t now = clock_->NowNanosCoarse();
    absl::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    auto node = it->second;
    if (node->expires_at_nanos <= now) {
      s.RemoveLocked(it);
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    s.lru.splice(s.lru.begin(), s.lru, node);  // most recently used first
    hits_.fetch_add(1, std::memory_order_relaxed);
    return node->value;
  }

  std::vector<CacheValuePtr> GetMany(absl::Span<const std::string> keys,
                                     const CacheDecoder& decode) override {
    std::vector<CacheValuePtr> out;
    out.reserve(keys.size());
    for (const auto& k : keys) out.push_back(Get(k, decode));
    return out;
  }

  void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) override {
    if (value == nullptr || ttl <= absl::ZeroDuration()) return;
    const int64_t charge =
        static_cast<int64_t>(key.size() + value->bytes.size()) + kEntryOverhead;
    Shard& s = ShardFor(key);
    if (charge > s.capacity) return;  // would evict everything; not worth it
    const int64_t expires =
        clock_->NowNanosCoarse() + absl::ToInt64Nanoseconds(ttl);
    absl::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it != s.index.end()) s.RemoveLocked(it);
    s.lru.push_front(Node{std::string(key), std::move(value), expires, charge});
    s.index.emplace(s.lru.front().key, s.lru.begin());
    s.used += charge;
    while (s.used > s.capacity && !s.lru.empty()) {
      auto last = std::prev(s.lru.end());
      s.RemoveLocked(s.index.find(last->key));
    }
  }

  void Erase(absl::string_view key) override {
    Shard& s = ShardFor(key);
    absl::MutexLock lock(&s.mu);
    auto it = s.index.find(key);
    if (it != s.index.end()) s.RemoveLocked(it);
  }

  absl::Status Ping() override { return absl::OkStatus(); }

  CacheStats Stats() const override {
    CacheStats st;
    st.hits = hits_.load(std::memory_order_relaxed);
    st.misses = misses_.load(std::memory_order_relaxed);
    for (const auto& s : shards_) {
      absl::MutexLock lock(&s.mu);
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
  };
  using List = std::list<Node>;
  struct Shard {
    mutable absl::Mutex mu;
    List lru ABSL_GUARDED_BY(mu);
    // Keys are views of Node::key, which lives as long as its index entry.
    absl::flat_hash_map<absl::string_view, List::iterator> index ABSL_GUARDED_BY(mu);
    int64_t used ABSL_GUARDED_BY(mu) = 0;
    int64_t capacity = 0;

    void RemoveLocked(absl::flat_hash_map<absl::string_view, List::iterator>::iterator it)
        ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      auto node = it->second;
      used -= node->charge;
      index.erase(it);
      lru.erase(node);
    }
  };

  Shard& ShardFor(absl::string_view key) {
    return shards_[(absl::HashOf(key) >> 32) & shard_mask_];
  }

  const Clock* const clock_;
  const size_t shard_mask_;
  std::vector<Shard> shards_;
  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
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
