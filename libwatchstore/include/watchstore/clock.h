// Time, injected so expiry and throttling are testable without sleeping.
#ifndef WATCHSTORE_CLOCK_H_
#define WATCHSTORE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace watchstore {

// A source of wall-clock time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Current time.
  virtual absl::Time Now() const = 0;
  // Current time in nanoseconds since the Unix epoch; may be coarser (a few
  // milliseconds) than Now() and cheaper. Used for cache TTLs.
  virtual int64_t NowNanosCoarse() const { return absl::ToUnixNanos(Now()); }
};

// The process-wide real clock. Never null; not owned by the caller.
Clock* RealClock();

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000))
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override {
    return absl::FromUnixNanos(nanos_.load(std::memory_order_acquire));
  }
  void Advance(absl::Duration d) {
    nanos_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
  }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t), std::memory_order_release); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace watchstore

#endif  // WATCHSTORE_CLOCK_H_
