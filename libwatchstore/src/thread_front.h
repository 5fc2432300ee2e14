// ThreadFront<T>: a per-thread front for the hottest read path, in front of
// a Cache. Each thread remembers the values it last read by integer key,
// with the lease the cache gave for each (CacheLease), and serves them again
// without taking the cache's lock while the lease holds: a hit is a slot
// probe, the lease's counters (plain loads on x86) and a coarse clock read.
// A write anywhere in the process that could replace a value moves a counter
// of its lease, so a front never serves past an invalidation its cache has
// seen, nor past the cache entry's freshness. Internal.
//
// Memory: each thread that reads keeps at most kSlots values alive (a value
// leaves its slot when overwritten, found unleased, or at thread exit), on
// top of the cache's own budget when the cache has evicted them.
#ifndef WATCHSTORE_SRC_THREAD_FRONT_H_
#define WATCHSTORE_SRC_THREAD_FRONT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "coarse_clock.h"
#include "thread_counter.h"
#include "watchstore/cache.h"
#include "watchstore/clock.h"

namespace watchstore::internal {

template <typename T>
class ThreadFront {
 public:
  using Ptr = std::shared_ptr<const T>;
  // Direct-mapped slots per thread, shared by every front of this T (a
  // second way per set was measured slower: misses cost more than the
  // extra hits save).
  static constexpr size_t kSlotBits = 10;
  static constexpr size_t kSlots = size_t{1} << kSlotBits;

  // The owner id is never reused: a slot left by a destroyed front is never
  // taken for a live one's (its counters may point into a freed cache).
  ThreadFront() : owner_(NextInstanceId()) {}
  ThreadFront(const ThreadFront&) = delete;
  ThreadFront& operator=(const ThreadFront&) = delete;

  // The value this thread remembered for `key` while its lease still holds;
  // null otherwise (and an unleased value is let go).
  Ptr Find(int64_t key) const {
    Slots* slots = mine_;
    if (slots == nullptr) return nullptr;
    Slot& s = slots->at[IndexOf(key)];
    if (s.owner != owner_ || s.key != key) return nullptr;
    if (!Holds(s)) {
      s.owner = 0;
      s.value.reset();
      return nullptr;
    }
    // A hit of the cache's, served here: counted in this thread's cell.
    if (s.lease.hits != nullptr) ThreadCounter::AddOwn(s.lease.hits, 1);
    return s.value;
  }

  // Remembers `value` for `key` in this thread, if `lease` was given.
  void Remember(int64_t key, const Ptr& value, const CacheLease& lease) const {
    if (!lease.Given() || value == nullptr) return;
    Slots* slots = mine_;
    if (slots == nullptr) slots = Allocate();
    Slot& s = slots->at[IndexOf(key)];
    s.owner = owner_;
    s.key = key;
    s.lease = lease;
    s.real_clock = lease.clock == RealClock();
    s.value = value;
  }

 private:
  struct Slot {
    uint64_t owner = 0;  // 0: empty
    int64_t key = 0;
    bool real_clock = false;
    CacheLease lease;
    Ptr value;
  };
  struct Slots {
    Slot at[kSlots];
  };
  // Frees this thread's slots when it exits.
  struct Keeper {
    Slots* slots = nullptr;
    ~Keeper() {
      delete slots;
      mine_ = nullptr;
    }
  };

  static bool Holds(const Slot& s) {
    return s.lease.Holds(s.real_clock ? RealNowNanosCoarse() : s.lease.clock->NowNanosCoarse());
  }

  size_t IndexOf(int64_t key) const {
    const uint64_t h = (static_cast<uint64_t>(key) ^ (owner_ << 40)) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> (64 - kSlotBits));
  }

  static Slots* Allocate() {
    // The first use of `keeper_` in a thread registers its destructor.
    keeper_.slots = new Slots();
    mine_ = keeper_.slots;
    return mine_;
  }

  // Read on every hit: a trivially constructed pointer, so reading it needs
  // no initialization check; `keeper_` is touched only to allocate.
  static inline thread_local Slots* mine_ = nullptr;
  static inline thread_local Keeper keeper_;

  const uint64_t owner_;
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_THREAD_FRONT_H_
