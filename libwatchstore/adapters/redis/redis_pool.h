// The Redis cache's connection pool. Internal.
#ifndef WATCHSTORE_ADAPTERS_REDIS_REDIS_POOL_H_
#define WATCHSTORE_ADAPTERS_REDIS_REDIS_POOL_H_

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "redis/redis_connection.h"
#include "redis/redis_url.h"
#include "sync.h"
#include "watchstore/redis_cache.h"

namespace watchstore::internal {

// Fixed-size pool of connections; opens them lazily. Thread-safe.
class ConnectionPool {
 public:
  ConnectionPool(RedisEndpoint endpoint, const RedisOptions& o)
      : endpoint_(std::move(endpoint)),
        size_(o.pool_size),
        connect_timeout_(o.connect_timeout),
        command_timeout_(o.command_timeout),
        wait_(o.pool_wait) {}

  enum class AcquireError { kNone, kExhausted, kConnect };

  // A connection, reused (*reused = true) or newly opened (always new when
  // !allow_reuse). null with *error set when none is free within
  // min(pool_wait, max_wait) or a new one cannot connect.
  std::unique_ptr<RedisConnection> Acquire(bool allow_reuse, absl::Duration max_wait, bool* reused,
                                           AcquireError* error) {
    *reused = false;
    *error = AcquireError::kNone;
    std::unique_ptr<RedisConnection> replaced;  // closed outside the lock
    {
      MutexLock lock(&mu_);
      if (!mu_.AwaitFor(
              freed_,
              [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !idle_.empty() || open_ < size_; },
              std::min(wait_, max_wait))) {
        *error = AcquireError::kExhausted;
        return nullptr;
      }
      if (!idle_.empty()) {
        std::unique_ptr<RedisConnection> conn = std::move(idle_.back());
        idle_.pop_back();
        if (allow_reuse) {
          *reused = true;
          return conn;
        }
        replaced = std::move(conn);  // its slot goes to the fresh connection
      } else {
        ++open_;
      }
    }
    replaced.reset();
    auto conn = RedisConnection::Open(endpoint_, connect_timeout_, command_timeout_);
    if (!conn.ok()) {
      {
        MutexLock lock(&mu_);
        --open_;
        last_error_ = std::string(conn.status().message());
      }
      freed_.notify_one();
      *error = AcquireError::kConnect;
      return nullptr;
    }
    return *std::move(conn);
  }

  // Returns a connection; a broken one is thrown away.
  void Release(std::unique_ptr<RedisConnection> conn) {
    if (conn->broken()) {
      conn.reset();
      MutexLock lock(&mu_);
      --open_;
    } else {
      MutexLock lock(&mu_);
      idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
  }

  // Closes every idle connection (after the server went away, they are dead).
  void CloseIdle() {
    std::vector<std::unique_ptr<RedisConnection>> doomed;
    {
      MutexLock lock(&mu_);
      open_ -= static_cast<int>(idle_.size());
      doomed.swap(idle_);
    }
    freed_.notify_all();
  }

  std::string last_error() const {
    MutexLock lock(&mu_);
    return last_error_;
  }

 private:
  const RedisEndpoint endpoint_;
  const int size_;
  const absl::Duration connect_timeout_;
  const absl::Duration command_timeout_;
  const absl::Duration wait_;
  mutable Mutex mu_;
  std::condition_variable freed_;  // a connection was returned or closed
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + in use + being opened
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_ADAPTERS_REDIS_REDIS_POOL_H_
