// Argon2id password hashing (libsodium crypto_pwhash_str) with admission
// control: at most `max_concurrent` hashes run at once (memory is capped at
// max_concurrent * memlimit), a caller waits at most `max_wait` for a slot,
// and at most `max_waiters` callers wait at all. Beyond either bound the
// caller gets Unavailable at once, so a flood of logins or registrations
// costs a quick refusal, never a thread parked for as long as the queue is
// long. The hashes themselves run on the hasher's own threads at a lower
// CPU priority, so the rest of the process (page views) keeps its share of
// the CPU while a flood is being hashed. Internal.
#ifndef WATCHSTORE_SRC_PASSWORD_HASHER_H_
#define WATCHSTORE_SRC_PASSWORD_HASHER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sync.h"

namespace watchstore::internal {

struct HashAdmission {
  // Longest wait for a hashing slot.
  absl::Duration max_wait = absl::Seconds(2);
  // Callers waiting for a slot at most; 0: four per slot.
  int max_waiters = 0;
  // Hashes run on max_concurrent threads of the hasher's own, at this nice
  // value (Linux: per thread; raising it needs no privilege). -1: on the
  // caller's thread, at its priority.
  int thread_nice = 10;
};

// Thread-safe.
class PasswordHasher {
 public:
  // REQUIRES: limits at or above libsodium's INTERACTIVE ones; max_concurrent >= 1.
  PasswordHasher(uint64_t opslimit, uint64_t memlimit, int max_concurrent,
                 HashAdmission admission = {});

  // Unavailable (reason unavailable) when no slot was free in time;
  // ResourceExhausted if libsodium cannot allocate the memory.
  absl::StatusOr<std::string> Hash(absl::string_view password);
  // True if `password` matches `hash`; a malformed hash never matches.
  // Unavailable when no slot was free in time.
  absl::StatusOr<bool> Verify(absl::string_view hash, absl::string_view password);
  // The most hashes that ever ran at once (never above max_concurrent).
  int PeakConcurrency() const;
  // True if `hash` was made with other parameters than ours (upgrade at login).
  bool NeedsRehash(absl::string_view hash) const;
  // Spends the same work as Verify on a fixed dummy hash, so an unknown email
  // costs what a wrong password costs. Unavailable as Verify.
  absl::Status VerifyDummy(absl::string_view password);

  ~PasswordHasher();  // stops the hashing threads
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

 private:
  class Slot;
  struct Job;
  // Runs `fn` on a hashing thread (or here, with thread_nice -1) and waits
  // for it. REQUIRES: a Slot is held, so a thread is free.
  void RunHash(const std::function<void()>& fn);
  void HashingThread();
  const uint64_t opslimit_;
  const uint64_t memlimit_;
  const int max_concurrent_;
  const absl::Duration max_wait_;
  const int max_waiters_;
  // Slot accounting.
  mutable Mutex slots_mu_;
  std::condition_variable slot_freed_;
  int running_ ABSL_GUARDED_BY(slots_mu_) = 0;
  int peak_running_ ABSL_GUARDED_BY(slots_mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(slots_mu_) = 0;
  Mutex dummy_mu_;
  std::string dummy_hash_ ABSL_GUARDED_BY(dummy_mu_);
  // The hashing threads, started at the first hash.
  const int thread_nice_;
  Mutex jobs_mu_;
  std::condition_variable jobs_ready_;
  std::deque<Job*> jobs_ ABSL_GUARDED_BY(jobs_mu_);
  bool stop_ ABSL_GUARDED_BY(jobs_mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(jobs_mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_PASSWORD_HASHER_H_
