// One hiredis connection, and the circuit breaker in front of a server.
// Internal: the only place besides the feed that includes hiredis.h.
#ifndef WATCHSTORE_ADAPTERS_REDIS_REDIS_CONNECTION_H_
#define WATCHSTORE_ADAPTERS_REDIS_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "redis/redis_url.h"
#include "sync.h"
#include "watchstore/clock.h"

namespace watchstore::internal {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Why a round trip failed.
enum class RedisFailure {
  kNone,
  kConnect,   // could not connect, authenticate or select the database
  kTimeout,   // no answer within the command timeout
  kClosed,    // the server closed or reset the connection
  kProtocol,  // a malformed reply
  kOther,
};

// Sets SIGPIPE to SIG_IGN if it has its default action. Idempotent.
void IgnoreSigpipe();

// A connected, authenticated hiredis context with the database selected and
// send/receive timeouts set. Not thread-safe. After a failed call the
// connection is broken(): its reply stream is out of step, so it must be
// thrown away.
class RedisConnection {
 public:
  // Unavailable (with the failure in *failure, if given) when the server
  // cannot be reached, rejects the credentials or the database.
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Open(const RedisEndpoint& endpoint,
                                                               absl::Duration connect_timeout,
                                                               absl::Duration command_timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Queues a command (binary-safe arguments); sent by the next Read/Flush.
  // False (and broken) only if hiredis cannot allocate.
  bool Append(absl::Span<const absl::string_view> args);
  bool Append(std::initializer_list<absl::string_view> args) {
    return Append(absl::Span<const absl::string_view>(args.begin(), args.size()));
  }
  // Sends what is queued, then blocks for the next reply (bounded by the
  // command timeout). Error replies (REDIS_REPLY_ERROR) are replies; null
  // means a transport failure and leaves the connection broken.
  ReplyPtr Read();
  // Sends what is queued without waiting for replies. False on failure.
  bool Flush();
  // Bounds the next round trips (send and receive) by `timeout`; a no-op
  // when it is the current bound. False (and broken) on failure.
  bool SetTimeout(absl::Duration timeout);

  bool broken() const { return failure_ != RedisFailure::kNone; }
  RedisFailure failure() const { return failure_; }
  // What went wrong, for logs and statuses (never contains the password).
  std::string error() const;
  redisContext* context() { return ctx_; }

 private:
  explicit RedisConnection(redisContext* ctx) : ctx_(ctx) {}
  void SetFailureFromContext(int saved_errno);

  redisContext* ctx_;
  RedisFailure failure_ = RedisFailure::kNone;
  absl::Duration timeout_;  // the socket's current send/receive bound
};

// Stops calls to a failing server for a while. Closed: every call goes
// through. After `threshold` consecutive failures: open, every call is
// refused for `cool_down`; then exactly one call (the probe) goes through;
// its success closes the breaker, its failure opens it for another
// `cool_down`. Thread-safe.
class CircuitBreaker {
 public:
  // `clock`: time source for the cool-down (null: RealClock()); not owned.
  CircuitBreaker(int threshold, absl::Duration cool_down, const Clock* clock);
  // Whether a call may go to the server now.
  bool Allow();
  void OnSuccess();
  // True if this failure opened the breaker.
  bool OnFailure();
  // The admitted call never reached the server (no free connection): lets
  // the next call probe instead.
  void OnAbandon();
  bool is_open() const { return open_.load(std::memory_order_acquire); }
  // How many times it opened (a failed probe re-opening it not counted).
  int64_t openings() const { return openings_.load(std::memory_order_relaxed); }

 private:
  const int threshold_;
  const absl::Duration cool_down_;
  const Clock* const clock_;
  std::atomic<bool> open_{false};
  std::atomic<int> consecutive_{0};
  std::atomic<int64_t> openings_{0};
  Mutex mu_;
  bool probing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace watchstore::internal

#endif  // WATCHSTORE_ADAPTERS_REDIS_REDIS_CONNECTION_H_
