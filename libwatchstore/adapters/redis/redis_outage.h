// Outage replay for the Redis cache: writes (Put, Erase) that could not reach
// Redis are remembered and turned into tombstones, with announcements, before
// the cache serves anything once Redis answers again, so that an outage can
// never resurrect a value a write had replaced. Internal.
#ifndef WATCHSTORE_ADAPTERS_REDIS_REDIS_OUTAGE_H_
#define WATCHSTORE_ADAPTERS_REDIS_REDIS_OUTAGE_H_

#include <atomic>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "redis/redis_connection.h"
#include "sync.h"
#include "watchstore/redis_cache.h"

namespace watchstore::internal {

// Thread-safe.
class PendingInvalidations {
 public:
  // `erase_script`: the tombstone script (redis_scripts.h), as EVAL sends it.
  PendingInvalidations(const RedisOptions& options, std::string erase_script);

  // A write of `key` did not reach Redis. Up to max_pending_invalidations
  // keys are remembered; past that, the whole namespace will be wiped.
  void Remember(absl::string_view key);
  // Whether a Drain is due before the next command.
  bool any() const { return has_pending_.load(std::memory_order_acquire); }

  enum class DrainResult { kDone, kBusy, kFailed };
  // Deletes every remembered key (or, after an overflow, every key under the
  // prefix) and announces it, before `conn` serves anything else. kBusy if
  // another thread is at it.
  DrainResult Drain(RedisConnection* conn);

 private:
  // Tombstones for `keys` (as Erase), then their announcement.
  bool DeleteKeys(RedisConnection* conn, const absl::flat_hash_set<std::string>& keys);
  // SCAN + UNLINK of every key under the prefix, then "drop everything".
  bool WipePrefix(RedisConnection* conn);
  static bool ReadAllOk(RedisConnection* conn, size_t n);
  std::string Prefixed(absl::string_view key) const;

  const int max_keys_;
  const bool publish_;
  const std::string prefix_;
  const std::string channel_;
  const std::string erase_script_;
  const std::string tombstone_ms_;
  std::atomic<bool> has_pending_{false};
  std::atomic<bool> draining_{false};  // one thread drains at a time
  Mutex mu_;
  absl::flat_hash_set<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool overflow_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_ADAPTERS_REDIS_REDIS_OUTAGE_H_
