// The tiered (near) cache. See watchstore/tiered_cache.h for the contract.
//
// Coherence: both tiers keep the Cache fill protocol, and the tiered cache
// composes it. A lookup that misses L1 keeps L1's ticket; an L2 hit fills
// L1 with it, so an announcement (an L1 Erase) that arrived since the L1
// miss refuses the copy. A miss of both tiers hands out both tickets (and
// the L1 generation); Fill fills L2 with its ticket and, only if L2 took
// the value, L1 with its own. Writers change L2 first, then L1.
// Clearing L1 (after missed announcements) moves to a new L1 key space: L1
// keys carry the generation, and entries of old generations are never read
// again (they age out of the LRU); a fill keeps the generation of its
// lookup, so a fill from before a clear lands where nobody reads.
#include "watchstore/tiered_cache.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "sync.h"

namespace watchstore {
namespace {

// L2 values: kFormat, the absolute deadline (Unix ms, little-endian int64),
// then the value's bytes.
constexpr char kFormat = '\xF7';
constexpr size_t kHeaderSize = 9;

std::string Wrap(int64_t deadline_ms, absl::string_view bytes) {
  std::string out;
  out.resize(kHeaderSize + bytes.size());
  out[0] = kFormat;
  for (int i = 0; i < 8; ++i) {
    out[1 + i] = static_cast<char>((static_cast<uint64_t>(deadline_ms) >> (8 * i)) & 0xff);
  }
  if (!bytes.empty()) std::memcpy(&out[kHeaderSize], bytes.data(), bytes.size());
  return out;
}

bool Unwrap(absl::string_view wrapped, int64_t* deadline_ms, absl::string_view* bytes) {
  if (wrapped.size() < kHeaderSize || wrapped[0] != kFormat) return false;
  uint64_t d = 0;
  for (int i = 0; i < 8; ++i) {
    d |= static_cast<uint64_t>(static_cast<unsigned char>(wrapped[1 + i])) << (8 * i);
  }
  *deadline_ms = static_cast<int64_t>(d);
  *bytes = wrapped.substr(kHeaderSize);
  return true;
}

// The L1 key of `key` in generation `gen`: 8 bytes of generation, then key.
// Built in a per-thread buffer; valid until the next call on this thread.
absl::string_view L1Key(uint64_t gen, absl::string_view key) {
  thread_local std::string buf;
  buf.resize(8 + key.size());
  std::memcpy(&buf[0], &gen, 8);
  if (!key.empty()) std::memcpy(&buf[8], key.data(), key.size());
  return buf;
}

std::string L1KeyString(uint64_t gen, absl::string_view key) {
  return std::string(L1Key(gen, key));
}

class TieredCache final : public Cache, private InvalidationFeed::Listener {
 public:
  TieredCache(std::unique_ptr<Cache> l1, std::unique_ptr<Cache> l2, const TieredCacheOptions& o,
              std::unique_ptr<InvalidationFeed> feed)
      : l1_(std::move(l1)),
        l2_(std::move(l2)),
        l1_ttl_(o.l1_ttl),
        max_stale_(o.max_stale),
        max_queued_refreshes_(static_cast<size_t>(o.max_queued_refreshes)),
        clock_(o.clock != nullptr ? o.clock : RealClock()),
        feed_(std::move(feed)) {
    identity_ = [](absl::string_view bytes) -> CacheValuePtr {
      return std::make_shared<const CacheValue>(CacheValue{std::string(bytes), nullptr});
    };
    if (max_stale_ > absl::ZeroDuration()) {
      for (int i = 0; i < o.refresh_threads; ++i) refreshers_.emplace_back([this] { Refresh(); });
    }
    if (feed_ != nullptr) feed_->Start(this);
  }

  ~TieredCache() override {
    {
      internal::MutexLock lock(&refresh_mu_);
      stopping_ = true;
    }
    refresh_cv_.notify_all();
    for (auto& t : refreshers_) t.join();
    feed_.reset();  // no callback runs past this line
  }

  CacheValuePtr Lookup(absl::string_view key, const CacheDecoder& decode,
                       FillTicket* ticket) override {
    return Find(key, decode, ticket, nullptr);
  }

  // A fresh L1 hit's lease also depends on the L1 generation: a clear
  // (after missed announcements) moves it.
  CacheValuePtr LookupLeased(absl::string_view key, const CacheDecoder& decode, FillTicket* ticket,
                             CacheLease* lease) override {
    return Find(key, decode, ticket, lease);
  }

  std::vector<CacheValuePtr> LookupMany(absl::Span<const std::string> keys,
                                        const CacheDecoder& decode,
                                        std::vector<FillTicket>* tickets) override {
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    std::vector<std::string> l1_keys;
    l1_keys.reserve(keys.size());
    for (const auto& k : keys) l1_keys.push_back(L1KeyString(gen, k));
    std::vector<FillTicket> near;
    std::vector<CacheValuePtr> out = l1_->LookupMany(l1_keys, decode, &near);
    out.resize(keys.size());
    near.resize(keys.size());
    if (tickets != nullptr) tickets->assign(keys.size(), FillTicket{});
    std::vector<size_t> missing;
    std::vector<std::string> missing_keys;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (out[i] != nullptr && (!near[i].stale || ServeStale(keys[i], gen, near[i], out[i]))) {
        if (tickets != nullptr) {
          (*tickets)[i] = FillTicket{near[i].issued, near[i].stamp, kHitInL1, gen, near[i].stale};
        }
        continue;
      }
      out[i] = nullptr;
      missing.push_back(i);
      missing_keys.push_back(keys[i]);
    }
    if (missing.empty()) return out;
    std::vector<FillTicket> far;
    std::vector<CacheValuePtr> got = l2_->LookupMany(missing_keys, identity_, &far);
    got.resize(missing.size());
    far.resize(missing.size());
    for (size_t j = 0; j < missing.size(); ++j) {
      const size_t i = missing[j];
      out[i] = FromL2(missing_keys[j], std::move(got[j]), decode, gen, near[i]);
      if (tickets != nullptr) (*tickets)[i] = Combine(near[i], far[j], gen);
    }
    return out;
  }

  bool Fill(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
            const FillTicket& ticket) override {
    if (!ticket.issued) return false;
    if (value == nullptr || ttl <= absl::ZeroDuration()) return true;
    const FillTicket near{true, ticket.stamp, 0, 0};
    if (ticket.far_stamp == kHitInL1) {
      // Only L1 vouches for this ticket; after a clear it cannot.
      if (ticket.generation != generation_.load(std::memory_order_acquire)) return false;
      return FillL1(key, ticket.generation, std::move(value), ttl, near);
    }
    const FillTicket far{true, ticket.far_stamp, 0, 0};
    if (!l2_->Fill(key, Wrapped(*value, ttl), ttl, far)) return false;
    // L2 took it: the value is fresh. L1 may still refuse it (its own
    // announcement of this fill may already have dropped the key).
    FillL1(key, ticket.generation, std::move(value), ttl, near);
    return true;
  }

  void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) override {
    if (value == nullptr || ttl <= absl::ZeroDuration()) return;
    l2_->Put(key, Wrapped(*value, ttl), ttl);
    const absl::Duration fresh = std::min(ttl, l1_ttl_);
    l1_->PutWithGrace(L1Key(generation_.load(std::memory_order_acquire), key), std::move(value),
                      fresh, std::min(ttl, l1_ttl_ + max_stale_) - fresh);
  }

  void Erase(absl::string_view key) override {
    l2_->Erase(key);  // first: a lookup that starts after this sees the erase
    DropFromL1(key);
  }

  absl::Status Ping() override { return l2_->Ping(); }

  CacheStats Stats() const override {
    const CacheStats near = l1_->Stats();
    const CacheStats far = l2_->Stats();
    CacheStats s = far;  // breaker and latency: L2's
    s.hits = near.hits + served_from_l2_.load(std::memory_order_relaxed);
    s.misses = missed_.load(std::memory_order_relaxed);
    s.errors = far.errors;
    s.entries = near.entries;
    s.bytes = near.bytes;
    s.stale_hits = stale_served_.load(std::memory_order_relaxed);
    s.l1_hits = near.hits;
    s.l1_misses = near.misses;
    s.l2_hits = far.hits;
    s.l2_misses = far.misses;
    s.refreshes = refreshes_.load(std::memory_order_relaxed);
    s.refresh_failures = refresh_failures_.load(std::memory_order_relaxed);
    return s;
  }

  absl::string_view Kind() const override { return "tiered"; }

 private:
  // In a tiered ticket's far_stamp: the lookup hit L1, so a fill over that
  // value replaces the L1 copy only (L2 holds the same or newer).
  static constexpr int64_t kHitInL1 = INT64_MIN;
  // How long stale hits queue no refresh after one found nothing usable.
  static constexpr absl::Duration kRefreshBackoff = absl::Milliseconds(200);

  static FillTicket Combine(const FillTicket& near, const FillTicket& far, uint64_t gen) {
    return FillTicket{near.issued && far.issued, near.stamp, far.stamp, gen, false};
  }

  // Fills L1 with a value that has `left` of its TTL: fresh for at most
  // l1_ttl, then served stale (while refreshed) for up to max_stale more,
  // never past `left`.
  bool FillL1(absl::string_view key, uint64_t gen, CacheValuePtr value, absl::Duration left,
              const FillTicket& near) {
    const absl::Duration fresh = std::min(left, l1_ttl_);
    const absl::Duration grace = std::min(left, l1_ttl_ + max_stale_) - fresh;
    return l1_->FillWithGrace(L1Key(gen, key), std::move(value), fresh, grace, near);
  }

  // A stale L1 hit: served (true) while the feed is connected (or there is
  // none), with one background refresh of the key queued; while the feed
  // is down, announcements may be missed, so a stale copy is a miss.
  bool ServeStale(absl::string_view key, uint64_t gen, const FillTicket& near,
                  const CacheValuePtr& value) {
    if (feed_ != nullptr && !feed_->Connected()) return false;
    stale_served_.fetch_add(1, std::memory_order_relaxed);
    // After a refresh found nothing (Redis slow or down, breaker open), the
    // next ones wait a little: the copies are served meanwhile either way.
    if (clock_->NowNanosCoarse() < refresh_quiet_until_.load(std::memory_order_relaxed)) {
      return true;
    }
    std::string l1_key = L1KeyString(gen, key);
    {
      internal::MutexLock lock(&refresh_mu_);
      if (stopping_ || queue_.size() >= max_queued_refreshes_ ||
          !refreshing_.insert(l1_key).second) {
        return true;  // already being refreshed, or too many at once: the next stale hit retries
      }
      queue_.push_back(RefreshTask{std::string(key), std::move(l1_key), gen, near, value});
    }
    refreshes_.fetch_add(1, std::memory_order_relaxed);
    refresh_cv_.notify_one();
    return true;
  }

  struct RefreshTask {
    std::string key;
    std::string l1_key;  // what `refreshing_` holds
    uint64_t gen;
    FillTicket near;  // the stale hit's L1 ticket
    CacheValuePtr stale;
  };

  // A refresher thread: takes tasks until the cache is destroyed.
  void Refresh() {
    for (;;) {
      RefreshTask task;
      {
        internal::MutexLock lock(&refresh_mu_);
        refresh_mu_.Await(refresh_cv_, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return stopping_ || !queue_.empty();
        });
        if (stopping_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      RefreshOne(task);
      internal::MutexLock lock(&refresh_mu_);
      refreshing_.erase(task.l1_key);
    }
  }

  // Reads the key from L2. The same bytes as the stale copy: the copy is
  // fresh again (refilled under the stale hit's ticket, so an announcement
  // since refuses it). Other bytes: the copy is dropped, and the next
  // lookup decodes L2's value. Nothing usable (a miss, an error, an open
  // breaker): the copy stays until its grace ends.
  void RefreshOne(const RefreshTask& task) {
    FillTicket far;
    CacheValuePtr raw = l2_->Lookup(task.key, identity_, &far);
    int64_t deadline_ms;
    absl::string_view bytes;
    if (raw == nullptr || !Unwrap(raw->bytes, &deadline_ms, &bytes) || deadline_ms <= NowMillis()) {
      refresh_failures_.fetch_add(1, std::memory_order_relaxed);
      refresh_quiet_until_.store(
          clock_->NowNanosCoarse() + absl::ToInt64Nanoseconds(kRefreshBackoff),
          std::memory_order_relaxed);
      return;
    }
    if (bytes != task.stale->bytes) {
      l1_->Erase(task.l1_key);
      return;
    }
    FillL1(task.key, task.gen, task.stale, absl::Milliseconds(deadline_ms - NowMillis()),
           task.near);
  }

  CacheValuePtr Find(absl::string_view key, const CacheDecoder& decode, FillTicket* ticket,
                     CacheLease* lease) {
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    FillTicket near;
    CacheLease near_lease;
    CacheValuePtr v = lease != nullptr
                          ? l1_->LookupLeased(L1Key(gen, key), decode, &near, &near_lease)
                          : l1_->Lookup(L1Key(gen, key), decode, &near);
    if (v != nullptr && (!near.stale || ServeStale(key, gen, near, v))) {
      if (ticket != nullptr)
        *ticket = FillTicket{near.issued, near.stamp, kHitInL1, gen, near.stale};
      if (near_lease.Given() && near_lease.AddCounter(&generation_, gen)) *lease = near_lease;
      return v;
    }
    FillTicket far;
    v = FromL2(key, l2_->Lookup(key, identity_, &far), decode, gen, near);
    if (ticket != nullptr) *ticket = Combine(near, far, gen);
    return v;
  }

  // InvalidationFeed::Listener, on the feed's thread.
  void OnInvalidate(absl::string_view key) override { DropFromL1(key); }
  void OnInvalidateAll() override {
    // Fills from before the clear keep the old generation: never read again.
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }

  void DropFromL1(absl::string_view key) {
    l1_->Erase(L1Key(generation_.load(std::memory_order_acquire), key));
  }

  CacheValuePtr Wrapped(const CacheValue& value, absl::Duration ttl) const {
    const int64_t deadline_ms = NowMillis() + std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
    return std::make_shared<const CacheValue>(CacheValue{Wrap(deadline_ms, value.bytes), nullptr});
  }

  // Decodes an L2 value and fills L1 with it under the L1 miss's ticket (so
  // an announcement since that miss refuses the copy).
  CacheValuePtr FromL2(absl::string_view key, CacheValuePtr raw, const CacheDecoder& decode,
                       uint64_t gen, const FillTicket& near) {
    if (raw == nullptr) return Missed();
    int64_t deadline_ms;
    absl::string_view bytes;
    if (!Unwrap(raw->bytes, &deadline_ms, &bytes)) return Missed();
    const int64_t left_ms = deadline_ms - NowMillis();
    if (left_ms <= 0) return Missed();
    CacheValuePtr v =
        decode ? decode(bytes)
               : std::make_shared<const CacheValue>(CacheValue{std::string(bytes), nullptr});
    if (v == nullptr) return Missed();
    served_from_l2_.fetch_add(1, std::memory_order_relaxed);
    FillL1(key, gen, v, absl::Milliseconds(left_ms), near);
    return v;
  }

  CacheValuePtr Missed() {
    missed_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }

  int64_t NowMillis() const { return clock_->NowNanosCoarse() / 1'000'000; }

  const std::unique_ptr<Cache> l1_;
  const std::unique_ptr<Cache> l2_;
  const absl::Duration l1_ttl_;
  const absl::Duration max_stale_;
  const size_t max_queued_refreshes_;
  const Clock* const clock_;
  CacheDecoder identity_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> served_from_l2_{0};
  std::atomic<int64_t> missed_{0};
  std::atomic<int64_t> stale_served_{0};
  std::atomic<int64_t> refreshes_{0};
  std::atomic<int64_t> refresh_failures_{0};
  // No refresh is queued before this (clock nanos): set by a failed one.
  std::atomic<int64_t> refresh_quiet_until_{0};

  internal::Mutex refresh_mu_;
  std::condition_variable refresh_cv_;  // a task was queued, or stopping_
  bool stopping_ ABSL_GUARDED_BY(refresh_mu_) = false;
  std::deque<RefreshTask> queue_ ABSL_GUARDED_BY(refresh_mu_);
  // L1 keys queued or being refreshed: one refresh per key at a time.
  absl::flat_hash_set<std::string> refreshing_ ABSL_GUARDED_BY(refresh_mu_);
  std::vector<std::thread> refreshers_;

  std::unique_ptr<InvalidationFeed> feed_;  // last: stopped first
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cache>> NewTieredCache(std::unique_ptr<Cache> l1,
                                                      std::unique_ptr<Cache> l2,
                                                      const TieredCacheOptions& options,
                                                      std::unique_ptr<InvalidationFeed> feed) {
  if (l1 == nullptr || l2 == nullptr) {
    return absl::InvalidArgumentError("NewTieredCache: both tiers are required");
  }
  if (options.l1_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("TieredCacheOptions.l1_ttl must be > 0");
  }
  if (options.max_stale < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("TieredCacheOptions.max_stale must be >= 0");
  }
  if (options.refresh_threads < 1 || options.refresh_threads > 16) {
    return absl::InvalidArgumentError("TieredCacheOptions.refresh_threads must be in [1, 16]");
  }
  if (options.max_queued_refreshes < 1) {
    return absl::InvalidArgumentError("TieredCacheOptions.max_queued_refreshes must be >= 1");
  }
  return std::unique_ptr<Cache>(
      new TieredCache(std::move(l1), std::move(l2), options, std::move(feed)));
}

}  // namespace watchstore
