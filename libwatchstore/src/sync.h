// The library's one lock type: std::mutex with Abseil's thread-safety
// annotations, checked by the clang -Werror=thread-safety build in the test
// command (scripts/thread_safety.sh). Why not absl::Mutex: Debian builds
// Abseil without NDEBUG, so each absl::Mutex acquisition runs deadlock-cycle
// detection (~50 ns), and ThreadSanitizer cannot see its synchronization
// (the library is not instrumented), so TSan runs would report false races.
// std::mutex goes through pthreads, which TSan understands. Internal.
#ifndef WATCHSTORE_SRC_SYNC_H_
#define WATCHSTORE_SRC_SYNC_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"

namespace watchstore::internal {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

  // Waits on `cv` until `done()` holds. `done` runs with this mutex held
  // (annotate it ABSL_NO_THREAD_SAFETY_ANALYSIS: the analysis cannot see
  // into a lambda). Whoever makes `done()` true notifies `cv`.
  // REQUIRES: this mutex is held.
  template <typename Pred>
  void Await(std::condition_variable& cv, Pred done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    cv.wait(lock, done);
    lock.release();  // still held: the caller's MutexLock unlocks it
  }

  // As Await, for at most `timeout`; returns done().
  template <typename Pred>
  bool AwaitFor(std::condition_variable& cv, Pred done, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    const bool ok = cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), done);
    lock.release();
    return ok;
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
