#include "redis/redis_connection.h"

#include <errno.h>
#include <signal.h>
#include <sys/time.h>

#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace watchstore::internal {

void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) != 0) return;
    if ((current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      sigemptyset(&ignore.sa_mask);
      sigaction(SIGPIPE, &ignore, nullptr);  // best effort; nothing to do on failure
    }
  });
}

namespace {

absl::Status ConnectError(absl::string_view what, const RedisEndpoint& ep) {
  return absl::UnavailableError(absl::StrCat("redis ", ep.host, ":", ep.port, ": ", what));
}

// True if `reply` is the simple status `expected` ("OK").
bool IsStatus(const redisReply* reply, absl::string_view expected) {
  return reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
         absl::string_view(reply->str, reply->len) == expected;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Open(
    const RedisEndpoint& endpoint, absl::Duration connect_timeout, absl::Duration command_timeout) {
  redisContext* ctx = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                              absl::ToTimeval(connect_timeout));
  if (ctx == nullptr) return ConnectError("cannot allocate a hiredis context", endpoint);
  std::unique_ptr<RedisConnection> conn(new RedisConnection(ctx));
  if (ctx->err != 0) {
    return ConnectError(absl::StrCat("connect: ", ctx->errstr), endpoint);
  }
  if (redisSetTimeout(ctx, absl::ToTimeval(command_timeout)) != REDIS_OK) {
    return ConnectError(absl::StrCat("setting timeouts: ", ctx->errstr), endpoint);
  }
  conn->timeout_ = command_timeout;
  // Detects a peer that vanished without a reset on idle pooled connections.
  if (redisEnableKeepAlive(ctx) != REDIS_OK) {
    return ConnectError(absl::StrCat("enabling keep-alive: ", ctx->errstr), endpoint);
  }
  if (!endpoint.password.empty()) {
    if (endpoint.user.empty()) {
      conn->Append({"AUTH", endpoint.password});
    } else {
      conn->Append({"AUTH", endpoint.user, endpoint.password});
    }
    ReplyPtr reply = conn->Read();
    if (reply == nullptr) return ConnectError(absl::StrCat("AUTH: ", conn->error()), endpoint);
    if (!IsStatus(reply.get(), "OK")) {
      // The server's message names the problem, never the password.
      return ConnectError(absl::StrCat("AUTH rejected: ", reply->type == REDIS_REPLY_ERROR
                                                              ? std::string(reply->str, reply->len)
                                                              : std::string("unexpected reply")),
                          endpoint);
    }
  }
  if (endpoint.db != 0) {
    const std::string db = absl::StrCat(endpoint.db);
    conn->Append({"SELECT", db});
    ReplyPtr reply = conn->Read();
    if (reply == nullptr) return ConnectError(absl::StrCat("SELECT: ", conn->error()), endpoint);
    if (!IsStatus(reply.get(), "OK")) {
      return ConnectError(
          absl::StrCat("SELECT ", db, " rejected: ",
                       reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                        : std::string("unexpected reply")),
          endpoint);
    }
  }
  return conn;
}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

bool RedisConnection::Append(absl::Span<const absl::string_view> args) {
  if (broken()) return false;
  constexpr size_t kInline = 8;
  const char* argv_inline[kInline];
  size_t len_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<size_t> len_heap;
  const char** argv = argv_inline;
  size_t* lens = len_inline;
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    len_heap.resize(args.size());
    argv = argv_heap.data();
    lens = len_heap.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv, lens) != REDIS_OK) {
    failure_ = RedisFailure::kOther;
    return false;
  }
  return true;
}

ReplyPtr RedisConnection::Read() {
  if (broken()) return nullptr;
  void* reply = nullptr;
  errno = 0;
  if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) {
    SetFailureFromContext(errno);
    if (reply != nullptr) freeReplyObject(reply);
    return nullptr;
  }
  return ReplyPtr(static_cast<redisReply*>(reply));
}

bool RedisConnection::Flush() {
  if (broken()) return false;
  int done = 0;
  do {
    errno = 0;
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      SetFailureFromContext(errno);
      return false;
    }
  } while (!done);
  return true;
}

bool RedisConnection::SetTimeout(absl::Duration timeout) {
  if (broken()) return false;
  if (timeout == timeout_) return true;
  if (redisSetTimeout(ctx_, absl::ToTimeval(timeout)) != REDIS_OK) {
    failure_ = RedisFailure::kOther;
    return false;
  }
  timeout_ = timeout;
  return true;
}

void RedisConnection::SetFailureFromContext(int saved_errno) {
  switch (ctx_->err) {
    case REDIS_ERR_EOF:
      failure_ = RedisFailure::kClosed;
      return;
    case REDIS_ERR_PROTOCOL:
      failure_ = RedisFailure::kProtocol;
      return;
    case REDIS_ERR_IO:
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT ||
          saved_errno == EINPROGRESS) {
        failure_ = RedisFailure::kTimeout;
      } else if (saved_errno == ECONNRESET || saved_errno == EPIPE || saved_errno == ECONNABORTED ||
                 saved_errno == ENOTCONN) {
        failure_ = RedisFailure::kClosed;
      } else {
        failure_ = RedisFailure::kOther;
      }
      return;
    default:
      failure_ = RedisFailure::kOther;
  }
}

std::string RedisConnection::error() const {
  if (ctx_ == nullptr) return "no context";
  if (ctx_->err != 0) return std::string(ctx_->errstr);
  return broken() ? "connection broken" : "";
}

CircuitBreaker::CircuitBreaker(int threshold, absl::Duration cool_down, const Clock* clock)
    : threshold_(threshold),
      cool_down_(cool_down),
      clock_(clock != nullptr ? clock : RealClock()) {}

bool CircuitBreaker::Allow() {
  if (!open_.load(std::memory_order_acquire)) return true;
  MutexLock lock(&mu_);
  if (!open_.load(std::memory_order_relaxed)) return true;
  if (probing_ || clock_->Now() < retry_at_) return false;
  probing_ = true;
  return true;
}

void CircuitBreaker::OnSuccess() {
  if (consecutive_.load(std::memory_order_relaxed) == 0 && !open_.load(std::memory_order_relaxed)) {
    return;
  }
  MutexLock lock(&mu_);
  consecutive_.store(0, std::memory_order_relaxed);
  probing_ = false;
  open_.store(false, std::memory_order_release);
}

bool CircuitBreaker::OnFailure() {
  MutexLock lock(&mu_);
  const int n = consecutive_.fetch_add(1, std::memory_order_relaxed) + 1;
  const bool was_open = open_.load(std::memory_order_relaxed);
  if (probing_ || (!was_open && n >= threshold_)) {
    probing_ = false;
    retry_at_ = clock_->Now() + cool_down_;
    open_.store(true, std::memory_order_release);
    if (!was_open) openings_.fetch_add(1, std::memory_order_relaxed);
    return !was_open;
  }
  return false;
}

void CircuitBreaker::OnAbandon() {
  if (!open_.load(std::memory_order_acquire)) return;
  MutexLock lock(&mu_);
  probing_ = false;
}

}  // namespace watchstore::internal
