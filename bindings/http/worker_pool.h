// The server's bounded worker pool. A worker serves one request at a time
// (the reactor hands it a connection with a whole request buffered). Tasks
// beyond the idle workers wait in a bounded queue; past it Submit refuses
// and the caller answers 503 at once.
//
// Worker threads get an explicit stack size (8 MiB by default): cpp-httplib
// parses Range headers with a recursive std::regex that needs 2-4 MiB for an
// 8 KiB header, and glibc's default depends on the environment's ulimit.
#ifndef WATCHSTORE_BINDINGS_HTTP_WORKER_POOL_H_
#define WATCHSTORE_BINDINGS_HTTP_WORKER_POOL_H_

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace watchstore::http {

struct WorkerPoolOptions {
  int threads = 256;                     // >= 1
  size_t stack_bytes = size_t{8} << 20;  // >= 4 MiB
  int max_queued = 1024;                 // >= 0
};

// Thread-safe.
class WorkerPool {
 public:
  static absl::StatusOr<std::unique_ptr<WorkerPool>> Create(const WorkerPoolOptions& options);
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a worker; false (and `task` dropped) when max_queued
  // tasks are already waiting. `urgent` tasks go to the front of the queue
  // (operations requests: a scrape during an overload still gets through).
  bool Submit(std::function<void()> task, bool urgent = false);
  // Runs every task already submitted, then joins the threads. Idempotent.
  void Shutdown();

  int threads() const { return static_cast<int>(workers_.size()); }
  int busy() const { return busy_.load(std::memory_order_relaxed); }
  // Tasks no idle worker is about to take.
  int queued() const { return queued_.load(std::memory_order_relaxed); }
  // Tasks refused because the queue was full.
  int64_t shed_total() const { return shed_total_.load(std::memory_order_relaxed); }
  // The stack size of the calling thread (0 if unknown).
  static size_t CurrentThreadStackBytes();

 private:
  explicit WorkerPool(const WorkerPoolOptions& options);
  absl::Status Start();
  static void* WorkerMain(void* self);
  void RunWorker();

  const WorkerPoolOptions options_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  int idle_ ABSL_GUARDED_BY(mu_) = 0;  // workers not running a task
  bool joined_ = false;
  std::vector<pthread_t> workers_;
  std::atomic<int> busy_{0};
  std::atomic<int> queued_{0};
  std::atomic<int64_t> shed_total_{0};
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_WORKER_POOL_H_
