#include "password_hasher.h"

#include <sodium.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "crypto.h"
#include "watchstore/errors.h"

namespace watchstore::internal {

// Holds one of the max_concurrent_ hashing slots for its lifetime, if it got
// one (ok()).
class PasswordHasher::Slot {
 public:
  explicit Slot(PasswordHasher* h) : h_(h) {
    MutexLock lock(&h_->slots_mu_);
    if (h_->running_ < h_->max_concurrent_) {
      Take();
      return;
    }
    if (h_->waiting_ >= h_->max_waiters_) return;  // the queue is full: refuse now
    ++h_->waiting_;
    held_ = h_->slots_mu_.AwaitFor(
        h_->slot_freed_,
        [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return h_->running_ < h_->max_concurrent_; },
        h_->max_wait_);
    --h_->waiting_;
    if (held_) Take();
  }
  ~Slot() {
    if (!held_) return;
    {
      MutexLock lock(&h_->slots_mu_);
      --h_->running_;
    }
    h_->slot_freed_.notify_one();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  bool ok() const { return held_; }

 private:
  void Take() ABSL_EXCLUSIVE_LOCKS_REQUIRED(h_->slots_mu_) {
    ++h_->running_;
    h_->peak_running_ = std::max(h_->peak_running_, h_->running_);
    held_ = true;
  }

  PasswordHasher* h_;
  bool held_ = false;
};

struct PasswordHasher::Job {
  const std::function<void()>* fn = nullptr;
  bool done = false;
  std::condition_variable finished;
};

namespace {

absl::Status Busy() {
  return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable,
                   "password hashing is at capacity; try again shortly");
}

}  // namespace

PasswordHasher::PasswordHasher(uint64_t opslimit, uint64_t memlimit, int max_concurrent,
                               HashAdmission admission)
    : opslimit_(opslimit),
      memlimit_(memlimit),
      max_concurrent_(max_concurrent),
      max_wait_(admission.max_wait),
      max_waiters_(admission.max_waiters > 0 ? admission.max_waiters : 4 * max_concurrent),
      thread_nice_(admission.thread_nice) {
  EnsureSodium();
}

int PasswordHasher::PeakConcurrency() const {
  MutexLock lock(&slots_mu_);
  return peak_running_;
}

PasswordHasher::~PasswordHasher() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(&jobs_mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  jobs_ready_.notify_all();
  for (std::thread& t : threads) t.join();
}

void PasswordHasher::HashingThread() {
  // Below request handling: a flood being hashed leaves the CPU to the rest.
  // Best effort (a container may forbid it); Linux applies it to this thread.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), thread_nice_);
  jobs_mu_.Lock();
  for (;;) {
    jobs_mu_.Await(jobs_ready_,
                   [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) break;  // stopping, nothing left
    Job* job = jobs_.front();
    jobs_.pop_front();
    jobs_mu_.Unlock();
    (*job->fn)();
    jobs_mu_.Lock();
    job->done = true;
    job->finished.notify_one();  // under the lock: the waiter owns *job
  }
  jobs_mu_.Unlock();
}

void PasswordHasher::RunHash(const std::function<void()>& fn) {
  if (thread_nice_ < 0) {
    fn();
    return;
  }
  Job job;
  job.fn = &fn;
  MutexLock lock(&jobs_mu_);
  if (threads_.empty() && !stop_) {
    for (int i = 0; i < max_concurrent_; ++i) threads_.emplace_back([this] { HashingThread(); });
  }
  jobs_.push_back(&job);
  jobs_ready_.notify_one();
  jobs_mu_.Await(job.finished, [&job]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return job.done; });
}

absl::StatusOr<std::string> PasswordHasher::Hash(absl::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  int rc = -1;
  {
    Slot slot(this);
    if (!slot.ok()) return Busy();
    RunHash([&] {
      rc = crypto_pwhash_str(out, password.data(), password.size(), opslimit_,
                             static_cast<size_t>(memlimit_));
    });
  }
  if (rc != 0) return absl::ResourceExhaustedError("password hashing ran out of memory");
  return std::string(out);
}

absl::StatusOr<bool> PasswordHasher::Verify(absl::string_view hash, absl::string_view password) {
  // crypto_pwhash_str_verify wants a NUL-terminated hash within STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  hash.copy(buf, hash.size());
  Slot slot(this);
  if (!slot.ok()) return Busy();
  int rc = -1;
  RunHash([&] { rc = crypto_pwhash_str_verify(buf, password.data(), password.size()); });
  return rc == 0;
}

bool PasswordHasher::NeedsRehash(absl::string_view hash) const {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  hash.copy(buf, hash.size());
  return crypto_pwhash_str_needs_rehash(buf, opslimit_, static_cast<size_t>(memlimit_)) != 0;
}

absl::Status PasswordHasher::VerifyDummy(absl::string_view password) {
  std::string dummy;
  {
    MutexLock lock(&dummy_mu_);
    dummy = dummy_hash_;
  }
  if (dummy.empty()) {
    // Made once, outside the lock: a caller waiting for a slot here must not
    // hold up the others beyond the admission bounds.
    auto h = Hash(NewRandomToken());
    if (!h.ok()) return h.status();
    MutexLock lock(&dummy_mu_);
    if (dummy_hash_.empty()) dummy_hash_ = *h;
    dummy = dummy_hash_;
  }
  auto matched = Verify(dummy, password);
  return matched.ok() ? absl::OkStatus() : matched.status();
}

}  // namespace watchstore::internal
