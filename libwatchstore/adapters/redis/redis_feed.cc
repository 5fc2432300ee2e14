// The invalidation feed over Redis pub/sub: one connection and one thread
// per feed, reconnecting with back-off. See watchstore/redis_cache.h.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "redis/redis_common.h"
#include "redis/redis_connection.h"
#include "redis/redis_url.h"
#include "watchstore/redis_cache.h"

namespace watchstore {
namespace internal {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kHeartbeat = std::chrono::seconds(1);  // PING this often
constexpr auto kDeadAfter = std::chrono::seconds(3);  // nothing heard: reconnect
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

absl::string_view View(const redisReply* r) { return absl::string_view(r->str, r->len); }

bool IsString(const redisReply* r) {
  return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}

class RedisInvalidationFeed final : public InvalidationFeed {
 public:
  RedisInvalidationFeed(const RedisOptions& o, RedisEndpoint endpoint, int wake_read,
                        int wake_write)
      : endpoint_(std::move(endpoint)),
        channel_(InvalidationChannel(o)),
        connect_timeout_(o.connect_timeout),
        command_timeout_(o.command_timeout),
        wake_read_(wake_read),
        wake_write_(wake_write) {}

  ~RedisInvalidationFeed() override {
    stop_.store(true, std::memory_order_release);
    const char byte = 1;
    // The pipe is non-blocking; a full pipe already wakes the thread.
    while (write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
    if (thread_.joinable()) thread_.join();
    close(wake_read_);
    close(wake_write_);
  }

  void Start(Listener* listener) override {
    if (thread_.joinable() || listener == nullptr) return;
    listener_ = listener;
    thread_ = std::thread([this] { Run(); });
  }

  bool Connected() const override { return connected_.load(std::memory_order_acquire); }

 private:
  void Run() {
    std::minstd_rand rng(std::random_device{}());
    absl::Duration backoff = kFirstBackoff;
    while (!stop_.load(std::memory_order_acquire)) {
      {
        auto conn = RedisConnection::Open(endpoint_, connect_timeout_, command_timeout_);
        if (conn.ok() && Subscribe(conn->get())) {
          backoff = kFirstBackoff;
          Listen(conn->get());
          connected_.store(false, std::memory_order_release);
        }
      }
      if (stop_.load(std::memory_order_acquire)) break;
      // Full jitter over [backoff/2, backoff]: instances do not reconnect in step.
      std::uniform_real_distribution<double> spread(0.5, 1.0);
      if (WaitForStop(backoff * spread(rng))) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  bool Subscribe(RedisConnection* conn) {
    if (!conn->Append({"SUBSCRIBE", channel_})) return false;
    ReplyPtr r = conn->Read();
    // ["subscribe", channel, 1]
    return r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
           IsString(r->element[0]) && View(r->element[0]) == "subscribe";
  }

  // Delivers messages until the connection fails or the feed stops.
  void Listen(RedisConnection* conn) {
    // Whatever was announced while we were not subscribed is lost.
    listener_->OnInvalidateAll();
    connected_.store(true, std::memory_order_release);
    redisContext* c = conn->context();
    auto last_heard = SteadyClock::now();
    auto last_ping = last_heard;
    while (!stop_.load(std::memory_order_acquire)) {
      // Replies already read into hiredis's buffer first.
      for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return;
        if (raw == nullptr) break;
        ReplyPtr reply(static_cast<redisReply*>(raw));
        Deliver(reply.get());
      }
      auto now = SteadyClock::now();
      if (now - last_heard >= kDeadAfter) return;
      if (now - last_ping >= kHeartbeat) {
        // In subscribed mode PING answers ["pong", ""]: proof of life.
        if (!conn->Append({"PING"}) || !conn->Flush()) return;
        last_ping = now;
      }
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(last_ping + kHeartbeat - now);
      pollfd fds[2] = {{c->fd, POLLIN, 0}, {wake_read_, POLLIN, 0}};
      const int n = poll(fds, 2, static_cast<int>(std::max<int64_t>(1, wait.count())));
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;  // stopping
      if (fds[0].revents != 0) {
        if (redisBufferRead(c) != REDIS_OK) return;  // closed or failed
        last_heard = SteadyClock::now();
      }
    }
  }

  void Deliver(const redisReply* r) {
    // ["message", channel, payload]; anything else (PING answers) is ignored.
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !IsString(r->element[0]) ||
        View(r->element[0]) != "message" || r->element[2]->type != REDIS_REPLY_STRING) {
      return;
    }
    const absl::string_view payload = View(r->element[2]);
    if (payload.substr(0, kMessageKey.size()) == kMessageKey) {
      listener_->OnInvalidate(payload.substr(kMessageKey.size()));
    } else if (payload == kMessageAll) {
      listener_->OnInvalidateAll();
    }
  }

  // Sleeps up to `d`; true if the feed is stopping.
  bool WaitForStop(absl::Duration d) {
    pollfd fd = {wake_read_, POLLIN, 0};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(d));
    while (poll(&fd, 1, ms) < 0 && errno == EINTR) {
    }
    return stop_.load(std::memory_order_acquire);
  }

  const RedisEndpoint endpoint_;
  const std::string channel_;
  const absl::Duration connect_timeout_;
  const absl::Duration command_timeout_;
  const int wake_read_;
  const int wake_write_;
  Listener* listener_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace
}  // namespace internal

absl::StatusOr<std::unique_ptr<InvalidationFeed>> NewRedisInvalidationFeed(
    const RedisOptions& options) {
  if (absl::Status s = internal::ValidateRedisOptions(options); !s.ok()) return s;
  auto endpoint = internal::ParseRedisUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  internal::IgnoreSigpipe();
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("invalidation feed: pipe2: ", strerror(errno)));
  }
  return std::unique_ptr<InvalidationFeed>(
      new internal::RedisInvalidationFeed(options, *std::move(endpoint), wake[0], wake[1]));
}

}  // namespace watchstore
