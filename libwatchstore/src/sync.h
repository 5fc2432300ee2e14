// A mutex for the library's own state: std::mutex with Abseil's thread-safety
// annotations. Why not absl::Mutex: Debian builds Abseil without NDEBUG, so
// each absl::Mutex acquisition runs deadlock-cycle detection (~50 ns), and
// ThreadSanitizer cannot see its synchronization (the library is not
// instrumented), so TSan runs would report false races. std::mutex goes
// through pthreads, which TSan understands. Internal.
#ifndef WATCHSTORE_SRC_SYNC_H_
#define WATCHSTORE_SRC_SYNC_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace watchstore::internal {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Waits on `cv` until `done()` holds. REQUIRES: this mutex is held.
  template <typename Pred>
  void Await(std::condition_variable& cv, Pred done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    cv.wait(lock, done);
    lock.release();  // still held: the caller's MutexLock unlocks it
  }

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_SYNC_H_
