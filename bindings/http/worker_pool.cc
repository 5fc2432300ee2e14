#include "worker_pool.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace watchstore::http {
absl::StatusOr<std::unique_ptr<WorkerPool>> WorkerPool::Create(const WorkerPoolOptions& options) {
  if (options.threads < 1 || options.threads > 16384) {
    return absl::InvalidArgumentError("worker threads must be between 1 and 16384");
  }
  if (options.stack_bytes < (size_t{4} << 20)) {
    return absl::InvalidArgumentError("worker stacks must be at least 4 MiB");
  }
  if (options.max_queued < 0) return absl::InvalidArgumentError("max_queued must be >= 0");
  std::unique_ptr<WorkerPool> pool(new WorkerPool(options));
  if (absl::Status st = pool->Start(); !st.ok()) return st;
  return pool;
}

WorkerPool::WorkerPool(const WorkerPoolOptions& options) : options_(options) {
  absl::MutexLock lock(&mu_);
  idle_ = options.threads;  // a worker is idle until it takes a task
}

absl::Status WorkerPool::Start() {
  pthread_attr_t attr;
  if (int rc = pthread_attr_init(&attr); rc != 0) {
    return absl::InternalError(absl::StrCat("pthread_attr_init: ", std::strerror(rc)));
  }
  absl::Status status;
  if (int rc = pthread_attr_setstacksize(&attr, options_.stack_bytes); rc != 0) {
    status = absl::InternalError(absl::StrCat("pthread_attr_setstacksize: ", std::strerror(rc)));
  }
  for (int i = 0; status.ok() && i < options_.threads; ++i) {
    pthread_t t;
    if (int rc = pthread_create(&t, &attr, &WorkerPool::WorkerMain, this); rc != 0) {
      status = absl::ResourceExhaustedError(
          absl::StrCat("cannot start worker thread ", i + 1, ": ", std::strerror(rc)));
      break;
    }
    workers_.push_back(t);
  }
  pthread_attr_destroy(&attr);
  if (!status.ok()) Shutdown();
  return status;
}

WorkerPool::~WorkerPool() { Shutdown(); }

void* WorkerPool::WorkerMain(void* self) {
  static_cast<WorkerPool*>(self)->RunWorker();
  return nullptr;
}

bool WorkerPool::Submit(std::function<void()> task, bool urgent) {
  absl::MutexLock lock(&mu_);
  // Tasks beyond the idle workers wait; past max_queued of those, refuse.
  const int waiting = static_cast<int>(tasks_.size()) - idle_;
  if (shutdown_ || waiting >= options_.max_queued) {
    shed_total_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (urgent) {
    tasks_.push_front(std::move(task));
  } else {
    tasks_.push_back(std::move(task));
  }
  queued_.store(std::max(0, waiting + 1), std::memory_order_relaxed);
  return true;
}

void WorkerPool::RunWorker() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !tasks_.empty() || shutdown_; };
      mu_.Await(absl::Condition(&ready));
      if (tasks_.empty()) return;  // shutting down, nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
      --idle_;
      queued_.store(std::max(0, static_cast<int>(tasks_.size()) - idle_),
                    std::memory_order_relaxed);
    }
    busy_.fetch_add(1, std::memory_order_relaxed);
    task();
    busy_.fetch_sub(1, std::memory_order_relaxed);
    absl::MutexLock lock(&mu_);
    ++idle_;
  }
}

void WorkerPool::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutdown_ = true;
  }
  if (joined_) return;
  joined_ = true;
  for (pthread_t t : workers_) pthread_join(t, nullptr);
}

size_t WorkerPool::CurrentThreadStackBytes() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
  size_t size = 0;
  if (pthread_attr_getstacksize(&attr, &size) != 0) size = 0;
  pthread_attr_destroy(&attr);
  return size;
}

}  // namespace watchstore::http
