// Helpers for the Redis cache tests: the shared test server's URL, private
// servers a test may stop, pause and flush, raw commands, unique namespaces.
#ifndef WATCHSTORE_TESTS_REDIS_REDIS_TEST_UTIL_H_
#define WATCHSTORE_TESTS_REDIS_REDIS_TEST_UTIL_H_

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "watchstore/redis_cache.h"
#include "watchstore/tiered_cache.h"

namespace watchstore::testing {

// The shared test server (scripts/test.sh starts one), or "".
inline std::string SharedRedisUrl() {
  const char* url = std::getenv("WATCHSTORE_TEST_REDIS_URL");
  return url == nullptr ? "" : url;
}

// In a test body or SetUp: skips without a Redis (fails under CI=true).
#define WS_REQUIRE_REDIS()                                                             \
  do {                                                                                 \
    if (::watchstore::testing::SharedRedisUrl().empty()) {                             \
      if (::watchstore::testing::InCi()) {                                             \
        GTEST_FAIL() << "WATCHSTORE_TEST_REDIS_URL is not set (CI=true)";              \
      }                                                                                \
      GTEST_SKIP() << "WATCHSTORE_TEST_REDIS_URL is not set; see scripts/services.sh"; \
    }                                                                                  \
  } while (false)

// A namespace no other test uses, so tests can share one server.
inline std::string UniqueNamespace(const std::string& stem = "t") {
  static std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat(stem, "-", getpid(), "-", rng() % 1'000'000'000);
}

// Options for tests: the given server, a fresh namespace, timeouts roomy
// enough for a loaded 2-core CI machine.
inline RedisOptions TestRedisOptions(const std::string& url, const std::string& ns = "") {
  RedisOptions o;
  o.url = url;
  o.key_namespace = ns.empty() ? UniqueNamespace() : ns;
  o.connect_timeout = absl::Milliseconds(500);
  o.command_timeout = absl::Milliseconds(500);
  o.pool_wait = absl::Milliseconds(500);
  o.request_budget = absl::Milliseconds(500);
  o.breaker_slow_call = absl::Milliseconds(500);
  return o;
}

// A raw hiredis connection for looking behind the cache's back.
class RawRedis {
 public:
  explicit RawRedis(const std::string& url) {
    // redis://127.0.0.1:PORT/0 only (what services.sh hands out).
    absl::string_view rest = url;
    absl::ConsumePrefix(&rest, "redis://");
    const size_t colon = rest.rfind(':');
    host_ = std::string(rest.substr(0, colon));
    absl::string_view port = rest.substr(colon + 1);
    port = port.substr(0, port.find('/'));
    if (!absl::SimpleAtoi(port, &port_)) port_ = 0;
    Reconnect();
  }
  ~RawRedis() {
    if (ctx_ != nullptr) redisFree(ctx_);
  }
  RawRedis(const RawRedis&) = delete;
  RawRedis& operator=(const RawRedis&) = delete;

  void Reconnect() {
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = redisConnectWithTimeout(host_.c_str(), port_, {2, 0});
    if (ctx_ != nullptr && ctx_->err == 0) redisSetTimeout(ctx_, {5, 0});
  }

  // The reply as text: a string/status/error's text, an integer in decimal,
  // "(nil)", or "<array N>"; "<failed>" when the command failed.
  std::string Command(const std::vector<std::string>& args) {
    if (ctx_ == nullptr || ctx_->err != 0) Reconnect();
    if (ctx_ == nullptr || ctx_->err != 0) return "<failed>";
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data()));
    if (r == nullptr) {
      Reconnect();
      return "<failed>";
    }
    std::string out;
    switch (r->type) {
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
      case REDIS_REPLY_ERROR:
        out.assign(r->str, r->len);
        break;
      case REDIS_REPLY_INTEGER:
        out = absl::StrCat(r->integer);
        break;
      case REDIS_REPLY_NIL:
        out = "(nil)";
        break;
      default:
        out = absl::StrCat("<array ", r->elements, ">");
    }
    freeReplyObject(r);
    return out;
  }

  // After SUBSCRIBE: the next pushed reply's elements as text (waits up to
  // the 5 s timeout; empty on failure).
  std::vector<std::string> NextPush() {
    std::vector<std::string> out;
    void* raw = nullptr;
    if (ctx_ == nullptr || redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return out;
    auto* r = static_cast<redisReply*>(raw);
    if (r->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) {
          out.emplace_back(e->str, e->len);
        } else if (e->type == REDIS_REPLY_INTEGER) {
          out.push_back(absl::StrCat(e->integer));
        } else {
          out.push_back("?");
        }
      }
    }
    freeReplyObject(r);
    return out;
  }

 private:
  std::string host_;
  int port_ = 0;
  redisContext* ctx_ = nullptr;
};

// A redis-server of this test's own, in a temporary directory, that the
// test may stop, restart, pause (SIGSTOP) and flush without disturbing
// other tests. Uses scripts/services.sh; the port stays the same across
// restarts.
class PrivateRedis {
 public:
  PrivateRedis() {
    char tmpl[] = "/tmp/ws-redis-test-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    if (dir == nullptr) return;
    dir_ = dir;
    const std::string out = Script("start-redis");
    const std::string marker = "WATCHSTORE_TEST_REDIS_URL=";
    const size_t at = out.find(marker);
    if (at == std::string::npos) return;
    url_ = out.substr(at + marker.size());
    url_ = url_.substr(0, url_.find('\n'));
  }
  ~PrivateRedis() {
    if (dir_.empty()) return;
    Resume();
    const int pid = Pid();
    Script("stop-redis");
    // If it would not shut down (say a test left a password set), end it by
    // its pid: it is ours.
    if (pid > 0 && kill(pid, 0) == 0) kill(pid, SIGKILL);
    Run(absl::StrCat("rm -rf '", dir_, "'"));
  }
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }

  void Stop() { Script("stop-redis"); }
  // Starts it again on the same port (after Stop), empty.
  void Start() { Script("restart-redis"); }
  void Pause() { Signal(SIGSTOP); }
  void Resume() { Signal(SIGCONT); }

 private:
  static std::string Run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  }
  std::string Script(const std::string& verb) {
    return Run(
        absl::StrCat(WATCHSTORE_SOURCE_DIR, "/scripts/services.sh ", verb, " '", dir_, "' 2>&1"));
  }
  int Pid() const {
    std::ifstream f(dir_ + "/redis.pid");
    int pid = 0;
    return f >> pid ? pid : 0;
  }
  void Signal(int sig) {
    const int pid = Pid();
    if (pid > 0) kill(pid, sig);
  }

  std::string dir_;
  std::string url_;
};

// Polls `pred` every millisecond until it holds or `timeout` passes.
template <typename Pred>
bool WaitFor(Pred pred, absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return pred();
}

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_REDIS_REDIS_TEST_UTIL_H_
