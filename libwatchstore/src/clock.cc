#include "watchstore/clock.h"

#include "coarse_clock.h"

namespace watchstore {
namespace {

class RealClockImpl final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  int64_t NowNanosCoarse() const override { return internal::RealNowNanosCoarse(); }
};

}  // namespace

Clock* RealClock() {
  static RealClockImpl* clock = new RealClockImpl();
  return clock;
}

}  // namespace watchstore
