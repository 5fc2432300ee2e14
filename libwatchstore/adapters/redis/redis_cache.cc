// The Redis cache adapter: Lookup, Fill, Put and Erase over a pool of
// hiredis connections (redis_pool.h) behind a circuit breaker, with the Lua
// scripts of redis_scripts.h and the outage replay of redis_outage.h. See
// watchstore/redis_cache.h for the contract.
#include "watchstore/redis_cache.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "redis/redis_common.h"
#include "redis/redis_connection.h"
#include "redis/redis_outage.h"
#include "redis/redis_pool.h"
#include "redis/redis_scripts.h"
#include "redis/redis_url.h"

namespace watchstore {
namespace internal {

namespace {

// Commands of one round trip, each a list of arguments.
using Pipeline = std::vector<std::vector<absl::string_view>>;

class RedisCache final : public Cache {
 public:
  RedisCache(const RedisOptions& o, RedisEndpoint endpoint)
      : options_(o),
        prefix_(KeyPrefix(o)),
        channel_(InvalidationChannel(o)),
        pool_(std::move(endpoint), o),
        breaker_(o.breaker_failures, o.breaker_cool_down, o.clock),
        put_script_(absl::StrCat(kStampOf, kPutBody)),
        erase_script_(absl::StrCat(kStampOf, kEraseBody)),
        tombstone_ms_(absl::StrCat(absl::ToInt64Milliseconds(o.tombstone_ttl))),
        pending_(o, erase_script_),
        budget_(std::min(o.request_budget, o.command_timeout)) {}

  CacheValuePtr Lookup(absl::string_view key, const CacheDecoder& decode,
                       FillTicket* ticket) override {
    const std::string k = Prefixed(key);
    const absl::string_view args[] = {"GET", k};
    ReplyPtr reply;
    if (!RunOne(args, budget_, &reply)) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      // Unknown: fill only what nobody stored meanwhile.
      if (ticket != nullptr) *ticket = Ticket(kAbsent);
      return nullptr;
    }
    return ToValue(reply.get(), decode, ticket);
  }

  std::vector<CacheValuePtr> LookupMany(absl::Span<const std::string> keys,
                                        const CacheDecoder& decode,
                                        std::vector<FillTicket>* tickets) override {
    std::vector<CacheValuePtr> out(keys.size());
    if (tickets != nullptr) tickets->assign(keys.size(), Ticket(kAbsent));
    if (keys.empty()) return out;
    std::vector<std::string> prefixed;
    prefixed.reserve(keys.size());
    std::vector<absl::string_view> args;
    args.reserve(keys.size() + 1);
    args.push_back("MGET");
    for (const std::string& k : keys) {
      prefixed.push_back(Prefixed(k));
      args.push_back(prefixed.back());
    }
    ReplyPtr reply;
    if (!RunOne(args, budget_, &reply) || reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != keys.size()) {
      errors_.fetch_add(static_cast<int64_t>(keys.size()), std::memory_order_relaxed);
      return out;
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      out[i] = ToValue(reply->element[i], decode, tickets != nullptr ? &(*tickets)[i] : nullptr);
    }
    return out;
  }

  bool Fill(absl::string_view key, CacheValuePtr value, absl::Duration ttl,
            const FillTicket& ticket) override {
    if (!ticket.issued) return false;
    if (value == nullptr || ttl <= absl::ZeroDuration()) return true;
    std::vector<ReplyPtr> replies;
    // A fill that cannot reach Redis changed nothing there: not remembered.
    if (!RunStore(key, *value, ttl, absl::StrCat(ticket.stamp), budget_, &replies)) return true;
    return !(replies[0]->type == REDIS_REPLY_INTEGER && replies[0]->integer == 0);
  }

  void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) override {
    if (value == nullptr || ttl <= absl::ZeroDuration()) return;
    std::vector<ReplyPtr> replies;
    if (!RunStore(key, *value, ttl, "", options_.command_timeout, &replies)) {
      pending_.Remember(key);
    }
  }

  void Erase(absl::string_view key) override {
    const std::string k = Prefixed(key);
    const std::string message = absl::StrCat(kMessageKey, key);
    Pipeline p = {{"EVAL", erase_script_, "1", k, tombstone_ms_}};
    if (options_.publish_invalidations) p.push_back({"PUBLISH", channel_, message});
    std::vector<ReplyPtr> replies;
    if (!RunWrite(p, options_.command_timeout, &replies)) pending_.Remember(key);
  }

  absl::Status Ping() override {
    const absl::string_view args[] = {"PING"};
    ReplyPtr reply;
    if (!RunOne(args, options_.command_timeout, &reply)) {
      if (breaker_.is_open()) {
        return absl::UnavailableError(
            absl::StrCat("redis unavailable (circuit open; last error: ", pool_.last_error(), ")"));
      }
      return absl::UnavailableError(absl::StrCat("redis unavailable: ", pool_.last_error()));
    }
    if (reply->type == REDIS_REPLY_STATUS && absl::string_view(reply->str, reply->len) == "PONG") {
      return absl::OkStatus();
    }
    return absl::UnavailableError(absl::StrCat(
        "redis PING: ", reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                         : std::string("unexpected reply")));
  }

  CacheStats Stats() const override {
    CacheStats s;
    s.hits = hits_.load(std::memory_order_relaxed);
    s.misses = misses_.load(std::memory_order_relaxed);
    s.errors = errors_.load(std::memory_order_relaxed);
    s.entries = -1;
    s.bytes = -1;
    s.breaker_open = breaker_.is_open() ? 1 : 0;
    s.breaker_openings = breaker_.openings();
    for (int b = 0; b < kCacheLatencyBuckets; ++b) {
      s.latency_buckets[b] = latency_buckets_[b].load(std::memory_order_relaxed);
      s.latency_count += s.latency_buckets[b];
    }
    s.latency_sum_micros = latency_sum_micros_.load(std::memory_order_relaxed);
    return s;
  }

  absl::string_view Kind() const override { return "redis"; }

 private:
  std::string Prefixed(absl::string_view key) const {
    std::string k;
    k.reserve(prefix_.size() + key.size());
    k.append(prefix_);
    k.append(key.data(), key.size());
    return k;
  }

  int64_t JitteredMillis(absl::Duration ttl) {
    const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl));
    const auto spread = static_cast<int64_t>(static_cast<double>(ms) * options_.ttl_jitter);
    if (spread <= 0) return ms;
    thread_local std::minstd_rand rng(std::random_device{}());
    std::uniform_int_distribution<int64_t> dist(0, spread);
    return std::max<int64_t>(1, ms - dist(rng));
  }

  // The stamp of an absent key (or one we could not read).
  static constexpr int64_t kAbsent = -1;

  static FillTicket Ticket(int64_t stamp) { return FillTicket{true, stamp, 0, 0}; }

  // Runs the store script for a Put (`fill_ticket` empty) or a Fill, with
  // the announcement, in one round trip. False if it did not run.
  bool RunStore(absl::string_view key, const CacheValue& value, absl::Duration ttl,
                absl::string_view fill_ticket, absl::Duration budget,
                std::vector<ReplyPtr>* replies) {
    const std::string k = Prefixed(key);
    const std::string px = absl::StrCat(JitteredMillis(ttl));
    const std::string message = absl::StrCat(kMessageKey, key);
    Pipeline p = {{"EVAL", put_script_, "1", k, value.bytes, px, fill_ticket}};
    if (options_.publish_invalidations) p.push_back({"PUBLISH", channel_, message});
    return RunWrite(p, budget, replies);
  }

  // A GET reply as a value. *ticket (if not null) gets the key's change
  // stamp: absent, a tombstone's, a value's, or 0 for a foreign format.
  CacheValuePtr ToValue(const redisReply* r, const CacheDecoder& decode, FillTicket* ticket) {
    if (ticket != nullptr) *ticket = Ticket(kAbsent);
    if (r->type == REDIS_REPLY_NIL) return Miss();
    if (r->type != REDIS_REPLY_STRING) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return Miss();
    }
    const absl::string_view stored(r->str, r->len);
    int64_t stamp = 0;  // a foreign format
    if (stored.size() >= kHeaderSize && (stored[0] == kValueTag || stored[0] == kTombstoneTag) &&
        !absl::SimpleAtoi(stored.substr(1, kStampDigits), &stamp)) {
      stamp = 0;
    }
    if (ticket != nullptr) ticket->stamp = stamp;
    if (stored.size() < kHeaderSize || stored[0] != kValueTag) return Miss();
    const absl::string_view bytes = stored.substr(kHeaderSize);
    CacheValuePtr v =
        decode ? decode(bytes)
               : std::make_shared<const CacheValue>(CacheValue{std::string(bytes), nullptr});
    // Undecodable (another value format): a miss the next fill replaces.
    if (v == nullptr) return Miss();
    hits_.fetch_add(1, std::memory_order_relaxed);
    return v;
  }

  CacheValuePtr Miss() {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }

  // One command within `budget`; *reply is its reply. False on any failure.
  bool RunOne(absl::Span<const absl::string_view> args, absl::Duration budget, ReplyPtr* reply) {
    std::vector<ReplyPtr> replies;
    if (!Run(args, nullptr, budget, &replies)) return false;
    *reply = std::move(replies[0]);
    return true;
  }

  // A write pipeline; false unless every command succeeded. *replies: one
  // per command.
  bool RunWrite(const Pipeline& p, absl::Duration budget, std::vector<ReplyPtr>* replies) {
    if (!Run({}, &p, budget, replies)) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    for (const ReplyPtr& r : *replies) {
      if (r->type == REDIS_REPLY_ERROR) {
        errors_.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
    }
    return true;
  }

  // Sends `one` (if `many` is null) or every command of `many` in one round
  // trip on a pooled connection, after any pending invalidations; fills one
  // reply per command (error replies included), waiting at most `budget`
  // for a pooled connection and for the round trip. A reused connection
  // that turns out closed (the server restarted) is replaced once. Breaker
  // failures: connect errors, transport failures (timeouts included) and
  // round trips slower than breaker_slow_call.
  bool Run(absl::Span<const absl::string_view> one, const Pipeline* many, absl::Duration budget,
           std::vector<ReplyPtr>* replies) {
    if (!breaker_.Allow()) return false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = false;
      ConnectionPool::AcquireError acquire_error;
      std::unique_ptr<RedisConnection> conn =
          pool_.Acquire(/*allow_reuse=*/attempt == 0, budget, &reused, &acquire_error);
      if (conn == nullptr) {
        if (acquire_error == ConnectionPool::AcquireError::kConnect) {
          Failed();
        } else {
          breaker_.OnAbandon();  // a busy pool says nothing about the server
        }
        return false;
      }
      if (pending_.any() && conn->SetTimeout(options_.command_timeout)) {
        using DrainResult = PendingInvalidations::DrainResult;
        const DrainResult drained = pending_.Drain(conn.get());
        if (drained != DrainResult::kDone && !conn->broken()) {
          pool_.Release(std::move(conn));
          if (drained == DrainResult::kBusy) {
            breaker_.OnAbandon();
          } else {
            breaker_.OnSuccess();  // the server answered, with an error
          }
          return false;  // never serve before the drain is done
        }
      }
      bool ok = conn->SetTimeout(budget);
      const auto start = std::chrono::steady_clock::now();
      if (ok) {
        replies->clear();
        if (many == nullptr) {
          ok = conn->Append(one);
        } else {
          for (const auto& cmd : *many) ok = ok && conn->Append(cmd);
        }
        const size_t n = many == nullptr ? 1 : many->size();
        for (size_t i = 0; ok && i < n; ++i) {
          ReplyPtr r = conn->Read();
          if (r == nullptr) {
            ok = false;
          } else {
            replies->push_back(std::move(r));
          }
        }
      }
      const int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      RecordLatency(micros);
      if (ok) {
        pool_.Release(std::move(conn));
        if (micros > slow_call_micros_) {
          Failed();  // answered, but too slowly to be worth waiting for
        } else {
          breaker_.OnSuccess();
        }
        return true;
      }
      const RedisFailure failure = conn->failure();
      pool_.Release(std::move(conn));
      if (reused && failure == RedisFailure::kClosed && attempt == 0) {
        pool_.CloseIdle();  // they talk to the server that went away
        continue;
      }
      Failed();
      return false;
    }
    return false;
  }

  void Failed() {
    if (breaker_.OnFailure()) pool_.CloseIdle();
  }

  void RecordLatency(int64_t micros) {
    int b = 0;
    while (b < kCacheLatencyBuckets - 1 && micros > kCacheLatencyBoundsMicros[b]) ++b;
    latency_buckets_[b].fetch_add(1, std::memory_order_relaxed);
    latency_sum_micros_.fetch_add(micros, std::memory_order_relaxed);
  }

  const RedisOptions options_;
  const std::string prefix_;
  const std::string channel_;
  ConnectionPool pool_;
  CircuitBreaker breaker_;
  const std::string put_script_;
  const std::string erase_script_;
  const std::string tombstone_ms_;

  PendingInvalidations pending_;

  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
  std::atomic<int64_t> errors_{0};
  const absl::Duration budget_;  // for lookups and fills
  const int64_t slow_call_micros_ = absl::ToInt64Microseconds(options_.breaker_slow_call);
  std::atomic<int64_t> latency_buckets_[kCacheLatencyBuckets] = {};
  std::atomic<int64_t> latency_sum_micros_{0};
};

}  // namespace
}  // namespace internal

absl::StatusOr<std::unique_ptr<Cache>> NewRedisCache(const RedisOptions& options) {
  if (absl::Status s = internal::ValidateRedisOptions(options); !s.ok()) return s;
  auto endpoint = internal::ParseRedisUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  internal::IgnoreSigpipe();
  return std::unique_ptr<Cache>(new internal::RedisCache(options, *std::move(endpoint)));
}

absl::StatusOr<std::unique_ptr<Cache>> NewTieredRedisCache(const RedisOptions& redis,
                                                           const MemoryCacheOptions& l1,
                                                           const TieredCacheOptions& tiered) {
  MemoryCacheOptions l1_options = l1;
  if (l1_options.clock == nullptr) l1_options.clock = tiered.clock;
  auto near = NewMemoryCache(l1_options);
  if (!near.ok()) return near.status();
  auto far = NewRedisCache(redis);
  if (!far.ok()) return far.status();
  auto feed = NewRedisInvalidationFeed(redis);
  if (!feed.ok()) return feed.status();
  return NewTieredCache(*std::move(near), *std::move(far), tiered, *std::move(feed));
}

}  // namespace watchstore
