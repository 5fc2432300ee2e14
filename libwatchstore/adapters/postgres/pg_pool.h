// A bounded pool of libpq connections. Internal to the PostgreSQL adapter.
//
// Connections open on first use. A connection that broke (server restart,
// network reset, fatal error) is discarded when its lease ends; an idle one
// the server has closed is noticed at checkout (ProbeIdle) and replaced
// before use. So a restart of the server fails at most the requests in
// flight at that moment; the next checkout reconnects.
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_PG_POOL_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_PG_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "postgres/pg_connection.h"
#include "sync.h"
#include "watchstore/postgres_storage.h"

namespace watchstore::internal::pg {

class Pool;

// Exclusive use of one connection; gives it back (or discards it if broken
// or left inside a transaction) when destroyed. Movable.
class Lease {
 public:
  Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();

  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_.get(); }

 private:
  friend class Pool;
  Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}

  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

// Thread-safe.
class Pool {
 public:
  // REQUIRES: size >= 1, wait_timeout > 0.
  Pool(ConnectSettings settings, int size, absl::Duration wait_timeout);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // REQUIRES: no lease outstanding.
  ~Pool() = default;

  // A healthy connection, waiting up to wait_timeout for a free one.
  // Unavailable if none frees up in time or the server cannot be reached.
  absl::StatusOr<Lease> Acquire();

  PostgresPoolStats Stats() const;
  const ConnectSettings& settings() const { return settings_; }

 private:
  friend class Lease;
  void Release(std::unique_ptr<Connection> conn);
  bool CanAcquire() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < size_;
  }
  // Opens a connection for a slot already counted in open_ and in_use_.
  absl::StatusOr<std::unique_ptr<Connection>> OpenForSlot();

  const ConnectSettings settings_;
  const int size_;
  const absl::Duration wait_timeout_;

  mutable Mutex mu_;
  std::condition_variable freed_;  // a slot or an idle connection came free
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int64_t round_trips_ ABSL_GUARDED_BY(mu_) = 0;
  int open_ ABSL_GUARDED_BY(mu_) = 0;       // idle + leased + being opened
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;     // leased (or being opened for a lease)
  int discarded_ ABSL_GUARDED_BY(mu_) = 0;  // broken ones not yet replaced
  int64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_PG_POOL_H_
