#include "postgres/pg_pool.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"

namespace watchstore::internal::pg {

Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

Pool::Pool(ConnectSettings settings, int size, absl::Duration wait_timeout)
    : settings_(std::move(settings)), size_(size), wait_timeout_(wait_timeout) {}

absl::StatusOr<std::unique_ptr<Connection>> Pool::OpenForSlot() {
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(settings_);
  MutexLock lock(&mu_);
  if (!conn.ok()) {
    --open_;
    --in_use_;
    freed_.notify_one();
    return conn.status();
  }
  if (discarded_ > 0) {
    --discarded_;
    ++reconnects_;
  }
  return conn;
}

absl::StatusOr<Lease> Pool::Acquire() {
  std::unique_ptr<Connection> conn;
  {
    MutexLock lock(&mu_);
    if (!mu_.AwaitFor(
            freed_, [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return CanAcquire(); },
            wait_timeout_)) {
      return MakeError(absl::StatusCode::kUnavailable, reason::kUnavailable,
                       absl::StrCat("no free PostgreSQL connection within ",
                                    absl::FormatDuration(wait_timeout_), " (pool of ", size_, ")"));
    }
    ++in_use_;
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (conn != nullptr && !conn->ProbeIdle()) {
    conn.reset();  // closed by the server while idle: replace it before use
    MutexLock lock(&mu_);
    ++discarded_;
  }
  if (conn == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> opened = OpenForSlot();
    if (!opened.ok()) return opened.status();
    conn = *std::move(opened);
  }
  return Lease(this, std::move(conn));
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  if (!conn->Idle()) {
    // Broken, or left inside a transaction by an error path: never hand a
    // session in an unknown state to the next request.
    conn->Rollback();
    if (!conn->Idle()) {
      const int64_t trips = conn->TakeRoundTrips();
      conn.reset();
      MutexLock lock(&mu_);
      round_trips_ += trips;
      --in_use_;
      --open_;
      ++discarded_;
      freed_.notify_one();
      return;
    }
  }
  const int64_t trips = conn->TakeRoundTrips();
  MutexLock lock(&mu_);
  round_trips_ += trips;
  --in_use_;
  idle_.push_back(std::move(conn));
  freed_.notify_one();
}

PostgresPoolStats Pool::Stats() const {
  MutexLock lock(&mu_);
  PostgresPoolStats s;
  s.size = size_;
  s.open = open_;
  s.in_use = in_use_;
  s.reconnects = reconnects_;
  s.round_trips = round_trips_;
  return s;
}

}  // namespace watchstore::internal::pg
