// Remembers this thread's recent cache misses, so that a Put of the same
// key right after a miss (a fill: the value was just read from storage) can
// be told from a write. Internal; used by the Redis and tiered caches.
#ifndef WATCHSTORE_SRC_CACHE_REDIS_MISS_LOG_H_
#define WATCHSTORE_SRC_CACHE_REDIS_MISS_LOG_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace watchstore::internal {

// Per thread: the last kSlots misses, each with a stamp (what the cache
// knew at the miss: a server time, an epoch). A record older than kMaxAge,
// or of another cache object (`owner`, from NewOwner()), never matches.
class MissLog {
 public:
  // A process-unique, never reused owner id for a cache object.
  static uint64_t NewOwner() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  static void Record(uint64_t owner, absl::string_view key, int64_t stamp) {
    State& s = state();
    Entry& e = s.entries[s.next];
    s.next = (s.next + 1) % kSlots;
    e.owner = owner;
    e.key.assign(key.data(), key.size());
    e.stamp = stamp;
    e.at = std::chrono::steady_clock::now();
  }

  // The stamp of this thread's latest miss of `key` in `owner`, consumed.
  static std::optional<int64_t> Take(uint64_t owner, absl::string_view key) {
    State& s = state();
    const auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kSlots; ++i) {
      Entry& e = s.entries[(s.next + kSlots - 1 - i) % kSlots];  // newest first
      if (e.owner != owner || absl::string_view(e.key) != key) continue;
      e.owner = 0;
      if (now - e.at > kMaxAge) return std::nullopt;
      return e.stamp;
    }
    return std::nullopt;
  }

 private:
  static constexpr size_t kSlots = 8;
  static constexpr std::chrono::seconds kMaxAge{60};
  struct Entry {
    uint64_t owner = 0;
    std::string key;
    int64_t stamp = 0;
    std::chrono::steady_clock::time_point at;
  };
  struct State {
    std::array<Entry, kSlots> entries;
    size_t next = 0;
  };
  static State& state() {
    thread_local State s;
    return s;
  }
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_CACHE_REDIS_MISS_LOG_H_
