// The server's bounded worker pool. A worker serves one connection at a time,
// for as long as it stays open (cpp-httplib's model), so the pool size is the
// number of connections served at once. Connections beyond that wait in a
// bounded queue; past it they are shed: run on a separate thread with
// CurrentTaskIsShed() true, where the server answers 503 and closes.
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
  int threads = 256;                      // >= 1
  size_t stack_bytes = size_t{8} << 20;   // >= 4 MiB
  int max_queued = 1024;                  // >= 0
};

// Thread-safe.
class WorkerPool {
 public:
  static absl::StatusOr<std::unique_ptr<WorkerPool>> Create(const WorkerPoolOptions& options);
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a worker, or sheds it if the queue is full.
  void Submit(std::function<void()> task);
  // Runs every task already submitted, then joins the threads. Idempotent.
  void Shutdown();

  int threads() const { return static_cast<int>(workers_.size()); }
  int busy() const { return busy_.load(std::memory_order_relaxed); }
  // Tasks no idle worker is about to take.
  int queued() const { return queued_.load(std::memory_order_relaxed); }
  int64_t shed_total() const { return shed_total_.load(std::memory_order_relaxed); }
  // True inside a task the pool shed.
  static bool CurrentTaskIsShed();
  // The stack size of the calling thread (0 if unknown).
  static size_t CurrentThreadStackBytes();

 private:
  explicit WorkerPool(const WorkerPoolOptions& options);
  absl::Status Start();
  static void* WorkerMain(void* self);
  static void* ShedMain(void* self);
  void RunWorker();
  void RunShedder();

  const WorkerPoolOptions options_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> shed_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  int idle_ ABSL_GUARDED_BY(mu_) = 0;  // workers not running a task
  bool joined_ = false;
  std::vector<pthread_t> workers_;
  pthread_t shedder_{};
  bool shedder_started_ = false;
  std::atomic<int> busy_{0};
  std::atomic<int> queued_{0};
  std::atomic<int64_t> shed_total_{0};
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_WORKER_POOL_H_
