// The tiered (near) cache. See watchstore/tiered_cache.h for the contract.
//
// Coherence within one instance: every key hashes to a stripe with an epoch.
// A fill of L1 (from L2 on a hit, or a Put that follows a miss of both
// tiers on the same thread: a fill from storage) remembers the epoch at the
// L1 miss and is dropped if a write, Erase or announcement for a key of that
// stripe happened since; writers change L2 first, then bump the epoch and
// change L1 under the stripe's lock, so a fill can never put back a value
// older than a write. (L2 guards its own fills: redis_cache.h.)
// Clearing L1 (after missed announcements) moves to a new L1 key space: L1
// keys carry the generation, and entries of old generations are never read
// again (they age out of the LRU).
#include "watchstore/tiered_cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "cache/redis/miss_log.h"
#include "sync.h"

namespace watchstore {
namespace {

// L2 values: kFormat, the absolute deadline (Unix ms, little-endian int64),
// then the value's bytes.
constexpr char kFormat = '\xF7';
constexpr size_t kHeaderSize = 9;
constexpr size_t kStripes = 64;

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
  TieredCache(std::unique_ptr<Cache> l1, std::unique_ptr<Cache> l2,
              const TieredCacheOptions& o, std::unique_ptr<InvalidationFeed> feed)
      : l1_(std::move(l1)),
        l2_(std::move(l2)),
        l1_ttl_(o.l1_ttl),
        clock_(o.clock != nullptr ? o.clock : RealClock()),
        owner_(internal::MissLog::NewOwner()),
        feed_(std::move(feed)) {
    identity_ = [](absl::string_view bytes) -> CacheValuePtr {
      return std::make_shared<const CacheValue>(CacheValue{std::string(bytes), nullptr});
    };
    if (feed_ != nullptr) feed_->Start(this);
  }

  ~TieredCache() override { feed_.reset(); }  // no callback runs past this line

  CacheValuePtr Get(absl::string_view key, const CacheDecoder& decode) override {
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    if (CacheValuePtr v = l1_->Get(L1Key(gen, key), decode)) return v;
    Stripe& s = StripeFor(key);
    const uint64_t epoch = s.epoch.load(std::memory_order_acquire);
    internal::MissLog::Record(owner_, key, static_cast<int64_t>(epoch));
    return FromL2(key, l2_->Get(key, identity_), decode, gen, s, epoch);
  }

  std::vector<CacheValuePtr> GetMany(absl::Span<const std::string> keys,
                                     const CacheDecoder& decode) override {
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    std::vector<std::string> l1_keys;
    l1_keys.reserve(keys.size());
    for (const auto& k : keys) l1_keys.push_back(L1KeyString(gen, k));
    std::vector<CacheValuePtr> out = l1_->GetMany(l1_keys, decode);
    out.resize(keys.size());
    std::vector<size_t> missing;
    std::vector<std::string> missing_keys;
    std::vector<uint64_t> epochs;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (out[i] != nullptr) continue;
      missing.push_back(i);
      missing_keys.push_back(keys[i]);
      epochs.push_back(StripeFor(keys[i]).epoch.load(std::memory_order_acquire));
      internal::MissLog::Record(owner_, keys[i], static_cast<int64_t>(epochs.back()));
    }
    if (missing.empty()) return out;
    std::vector<CacheValuePtr> far = l2_->GetMany(missing_keys, identity_);
    for (size_t j = 0; j < missing.size(); ++j) {
      out[missing[j]] = FromL2(missing_keys[j], j < far.size() ? std::move(far[j]) : nullptr,
                               decode, gen, StripeFor(missing_keys[j]), epochs[j]);
    }
    return out;
  }

  void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) override {
    if (value == nullptr || ttl <= absl::ZeroDuration()) return;
    const int64_t deadline_ms = NowMillis() + std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
    l2_->Put(key,
             std::make_shared<const CacheValue>(CacheValue{Wrap(deadline_ms, value->bytes), nullptr}),
             ttl);
    // A fill (this thread missed the key) must not cover a write that came
    // after the miss; a write moves the stripe's epoch on.
    const std::optional<int64_t> missed_at = internal::MissLog::Take(owner_, key);
    Stripe& s = StripeFor(key);
    internal::MutexLock lock(&s.mu);
    if (missed_at) {
      if (s.epoch.load(std::memory_order_acquire) != static_cast<uint64_t>(*missed_at)) return;
    } else {
      s.epoch.fetch_add(1, std::memory_order_acq_rel);
    }
    l1_->Put(L1Key(generation_.load(std::memory_order_acquire), key), std::move(value),
             std::min(ttl, l1_ttl_));
  }

  void Erase(absl::string_view key) override {
    l2_->Erase(key);  // first: a fill that starts after this sees the erase
    DropFromL1(key);
  }

  absl::Status Ping() override { return l2_->Ping(); }

  CacheStats Stats() const override {
    const CacheStats near = l1_->Stats();
    const CacheStats far = l2_->Stats();
    CacheStats s;
    s.hits = near.hits + served_from_l2_.load(std::memory_order_relaxed);
    s.misses = missed_.load(std::memory_order_relaxed);
    s.errors = far.errors;
    s.entries = near.entries;
    s.bytes = near.bytes;
    return s;
  }

  absl::string_view Kind() const override { return "tiered"; }

 private:
  struct Stripe {
    internal::Mutex mu;
    std::atomic<uint64_t> epoch{0};  // written under mu
  };

  // InvalidationFeed::Listener, on the feed's thread.
  void OnInvalidate(absl::string_view key) override { DropFromL1(key); }
  void OnInvalidateAll() override {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    // Fills from before the clear must not land in the new generation.
    for (Stripe& s : stripes_) {
      internal::MutexLock lock(&s.mu);
      s.epoch.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void DropFromL1(absl::string_view key) {
    Stripe& s = StripeFor(key);
    internal::MutexLock lock(&s.mu);
    s.epoch.fetch_add(1, std::memory_order_acq_rel);
    l1_->Erase(L1Key(generation_.load(std::memory_order_acquire), key));
  }

  // Decodes an L2 value and keeps it in L1 unless the key's stripe changed
  // since `epoch` (a write or announcement raced with the read).
  CacheValuePtr FromL2(absl::string_view key, CacheValuePtr raw, const CacheDecoder& decode,
                       uint64_t gen, Stripe& s, uint64_t epoch) {
    if (raw == nullptr) return Missed();
    int64_t deadline_ms;
    absl::string_view bytes;
    if (!Unwrap(raw->bytes, &deadline_ms, &bytes)) return Missed();
    const int64_t left_ms = deadline_ms - NowMillis();
    if (left_ms <= 0) return Missed();
    CacheValuePtr v = decode ? decode(bytes)
                             : std::make_shared<const CacheValue>(
                                   CacheValue{std::string(bytes), nullptr});
    if (v == nullptr) return Missed();
    served_from_l2_.fetch_add(1, std::memory_order_relaxed);
    (void)internal::MissLog::Take(owner_, key);  // a hit: no fill will follow
    const absl::Duration ttl = std::min(absl::Milliseconds(left_ms), l1_ttl_);
    internal::MutexLock lock(&s.mu);
    if (s.epoch.load(std::memory_order_acquire) == epoch) l1_->Put(L1Key(gen, key), v, ttl);
    return v;
  }

  CacheValuePtr Missed() {
    missed_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }

  Stripe& StripeFor(absl::string_view key) {
    return stripes_[absl::HashOf(key) % kStripes];
  }

  int64_t NowMillis() const { return clock_->NowNanosCoarse() / 1'000'000; }

  const std::unique_ptr<Cache> l1_;
  const std::unique_ptr<Cache> l2_;
  const absl::Duration l1_ttl_;
  const Clock* const clock_;
  const uint64_t owner_;  // for MissLog
  CacheDecoder identity_;
  std::array<Stripe, kStripes> stripes_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> served_from_l2_{0};
  std::atomic<int64_t> missed_{0};
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
  return std::unique_ptr<Cache>(
      new TieredCache(std::move(l1), std::move(l2), options, std::move(feed)));
}

}  // namespace watchstore
