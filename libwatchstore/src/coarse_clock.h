// The real clock's coarse time as an inline function, for hot paths that
// would otherwise reach it through a virtual Clock call (the memory cache's
// hit path checks a TTL on every lookup). RealClock() reads it too. Internal.
#ifndef WATCHSTORE_SRC_COARSE_CLOCK_H_
#define WATCHSTORE_SRC_COARSE_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace watchstore::internal {

// Nanoseconds since the Unix epoch, a few milliseconds coarse.
inline int64_t RealNowNanosCoarse() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_COARSE_CLOCK_H_
