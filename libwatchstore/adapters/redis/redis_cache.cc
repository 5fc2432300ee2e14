// The Redis cache adapter: a pool of hiredis connections behind a circuit
// breaker. See watchstore/redis_cache.h for the contract.
#include "watchstore/redis_cache.h"

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
#include "redis/redis_url.h"
#include "sync.h"

namespace watchstore {
namespace internal {

absl::Status ValidateRedisOptions(const RedisOptions& o) {
  auto bad = [](absl::string_view m) {
    return absl::InvalidArgumentError(absl::StrCat("RedisOptions.", m));
  };
  if (o.key_namespace.empty() || o.key_namespace.size() > 64) {
    return bad("key_namespace must be 1 to 64 characters");
  }
  for (char c : o.key_namespace) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
        c != '-') {
      return bad("key_namespace may hold only A-Z, a-z, 0-9, '_', '.' and '-'");
    }
  }
  if (o.schema_version < 1) return bad("schema_version must be >= 1");
  if (o.pool_size < 1 || o.pool_size > 1024) return bad("pool_size must be in [1, 1024]");
  if (o.connect_timeout <= absl::ZeroDuration()) return bad("connect_timeout must be > 0");
  if (o.command_timeout <= absl::ZeroDuration()) return bad("command_timeout must be > 0");
  // hiredis takes timeouts as a timeval; keep them sane.
  if (o.connect_timeout > absl::Hours(1) || o.command_timeout > absl::Hours(1)) {
    return bad("timeouts must be at most an hour");
  }
  if (o.pool_wait < absl::ZeroDuration() || o.pool_wait > absl::Hours(1)) {
    return bad("pool_wait must be in [0, 1h]");
  }
  if (!(o.ttl_jitter >= 0.0 && o.ttl_jitter <= 0.5)) return bad("ttl_jitter must be in [0, 0.5]");
  if (o.breaker_failures < 1) return bad("breaker_failures must be >= 1");
  if (o.breaker_cool_down <= absl::ZeroDuration()) return bad("breaker_cool_down must be > 0");
  if (o.max_pending_invalidations < 1) return bad("max_pending_invalidations must be >= 1");
  if (o.tombstone_ttl < absl::Milliseconds(1) || o.tombstone_ttl > absl::Hours(24)) {
    return bad("tombstone_ttl must be in [1ms, 24h]");
  }
  return ParseRedisUrl(o.url).status();
}

std::string KeyPrefix(const RedisOptions& o) {
  return absl::StrCat(o.key_namespace, ":v", o.schema_version, ":");
}

std::string InvalidationChannel(const RedisOptions& o) {
  return absl::StrCat(KeyPrefix(o), "invalidate");
}

namespace {

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
  // !allow_reuse). null with *error set when none is free within pool_wait
  // or a new one cannot connect.
  std::unique_ptr<RedisConnection> Acquire(bool allow_reuse, bool* reused,
                                           AcquireError* error) {
    *reused = false;
    *error = AcquireError::kNone;
    std::unique_ptr<RedisConnection> replaced;  // closed outside the lock
    {
      MutexLock lock(&mu_);
      if (!mu_.AwaitFor(
              freed_,
              [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !idle_.empty() || open_ < size_; },
              wait_)) {
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

// Commands of one round trip, each a list of arguments.
using Pipeline = std::vector<std::vector<absl::string_view>>;

// The change stamp of a stored value or tombstone; -1 for an absent key
// (or one we could not read), 0 for a value of a foreign format.
constexpr absl::string_view kStampOf = R"lua(
local function stamp_of(cur)
  if type(cur) ~= 'string' then return -1 end
  if string.len(cur) >= 17 then
    local tag = string.sub(cur, 1, 1)
    if tag == 'v' or tag == 't' then return tonumber(string.sub(cur, 2, 17)) or 0 end
  end
  return 0
end
local function next_stamp(changed)
  local t = redis.call('TIME')
  return math.max(tonumber(t[1]) * 1000000 + tonumber(t[2]), changed + 1)
end
)lua";

// Put and Fill. KEYS[1]: key. ARGV[1]: bytes. ARGV[2]: TTL (ms). ARGV[3]:
// "" for a write (Put); for a fill, its ticket: the stamp the key had at the
// lookup. A fill is dropped (0) if the key changed since: written, erased or
// filled, each of which stamps it anew.
constexpr absl::string_view kPutBody = R"lua(
local changed = stamp_of(redis.pcall('GET', KEYS[1]))
if ARGV[3] ~= '' and changed > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], 'v' .. string.format('%016.0f', next_stamp(changed)) .. ARGV[1],
           'PX', ARGV[2])
return 1
)lua";

// Erase: leaves a tombstone. KEYS[1]: key. ARGV[1]: tombstone TTL (ms).
constexpr absl::string_view kEraseBody = R"lua(
local changed = next_stamp(stamp_of(redis.pcall('GET', KEYS[1])))
redis.call('SET', KEYS[1], 't' .. string.format('%016.0f', changed), 'PX', ARGV[1])
return 1
)lua";

class RedisCache final : public Cache {
 public:
  RedisCache(const RedisOptions& o, RedisEndpoint endpoint)
      : options_(o),
        prefix_(KeyPrefix(o)),
        channel_(InvalidationChannel(o)),
        pool_(std::move(endpoint), o),
        breaker_(o.breaker_failures, o.breaker_cool_down),
        put_script_(absl::StrCat(kStampOf, kPutBody)),
        erase_script_(absl::StrCat(kStampOf, kEraseBody)),
        tombstone_ms_(absl::StrCat(absl::ToInt64Milliseconds(o.tombstone_ttl))) {}

  CacheValuePtr Lookup(absl::string_view key, const CacheDecoder& decode,
                       FillTicket* ticket) override {
    const std::string k = Prefixed(key);
    const absl::string_view args[] = {"GET", k};
    ReplyPtr reply;
    if (!RunOne(args, &reply)) {
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
    if (!RunOne(args, &reply) || reply->type != REDIS_REPLY_ARRAY ||
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
    if (!RunStore(key, *value, ttl, absl::StrCat(ticket.stamp), &replies)) return true;
    return !(replies[0]->type == REDIS_REPLY_INTEGER && replies[0]->integer == 0);
  }

  void Put(absl::string_view key, CacheValuePtr value, absl::Duration ttl) override {
    if (value == nullptr || ttl <= absl::ZeroDuration()) return;
    std::vector<ReplyPtr> replies;
    if (!RunStore(key, *value, ttl, "", &replies)) Remember(key);
  }

  void Erase(absl::string_view key) override {
    const std::string k = Prefixed(key);
    const std::string message = absl::StrCat(kMessageKey, key);
    Pipeline p = {{"EVAL", erase_script_, "1", k, tombstone_ms_}};
    if (options_.publish_invalidations) p.push_back({"PUBLISH", channel_, message});
    std::vector<ReplyPtr> replies;
    if (!RunWrite(p, &replies)) Remember(key);
  }

  absl::Status Ping() override {
    const absl::string_view args[] = {"PING"};
    ReplyPtr reply;
    if (!RunOne(args, &reply)) {
      if (breaker_.is_open()) {
        return absl::UnavailableError(absl::StrCat(
            "redis unavailable (circuit open; last error: ", pool_.last_error(), ")"));
      }
      return absl::UnavailableError(
          absl::StrCat("redis unavailable: ", pool_.last_error()));
    }
    if (reply->type == REDIS_REPLY_STATUS &&
        absl::string_view(reply->str, reply->len) == "PONG") {
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
                absl::string_view fill_ticket, std::vector<ReplyPtr>* replies) {
    const std::string k = Prefixed(key);
    const std::string px = absl::StrCat(JitteredMillis(ttl));
    const std::string message = absl::StrCat(kMessageKey, key);
    Pipeline p = {{"EVAL", put_script_, "1", k, value.bytes, px, fill_ticket}};
    if (options_.publish_invalidations) p.push_back({"PUBLISH", channel_, message});
    return RunWrite(p, replies);
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
    CacheValuePtr v = decode ? decode(bytes)
                             : std::make_shared<const CacheValue>(
                                   CacheValue{std::string(bytes), nullptr});
    // Undecodable (another value format): a miss the next fill replaces.
    if (v == nullptr) return Miss();
    hits_.fetch_add(1, std::memory_order_relaxed);
    return v;
  }

  CacheValuePtr Miss() {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }

  // One command; *reply is its reply. False on any failure.
  bool RunOne(absl::Span<const absl::string_view> args, ReplyPtr* reply) {
    std::vector<ReplyPtr> replies;
    if (!Run(args, nullptr, &replies)) return false;
    *reply = std::move(replies[0]);
    return true;
  }

  // A write pipeline; false unless every command succeeded. *replies: one
  // per command.
  bool RunWrite(const Pipeline& p, std::vector<ReplyPtr>* replies) {
    if (!Run({}, &p, replies)) {
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
  // reply per command (error replies included). A reused connection that
  // turns out closed (the server restarted) is replaced once. Breaker
  // failures: connect errors and transport failures.
  bool Run(absl::Span<const absl::string_view> one, const Pipeline* many,
           std::vector<ReplyPtr>* replies) {
    if (!breaker_.Allow()) return false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = false;
      ConnectionPool::AcquireError acquire_error;
      std::unique_ptr<RedisConnection> conn =
          pool_.Acquire(/*allow_reuse=*/attempt == 0, &reused, &acquire_error);
      if (conn == nullptr) {
        if (acquire_error == ConnectionPool::AcquireError::kConnect) {
          Failed();
        } else {
          breaker_.OnAbandon();  // a busy pool says nothing about the server
        }
        return false;
      }
      if (has_pending_.load(std::memory_order_acquire)) {
        const DrainResult drained = DrainPending(conn.get());
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
      bool ok = !conn->broken();
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
      if (ok) {
        pool_.Release(std::move(conn));
        breaker_.OnSuccess();
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

  // --- Writes that did not reach Redis ---------------------------------

  void Remember(absl::string_view key) {
    MutexLock lock(&pending_mu_);
    if (!pending_overflow_) {
      if (static_cast<int>(pending_.size()) < options_.max_pending_invalidations) {
        pending_.insert(std::string(key));
      } else {
        pending_overflow_ = true;
        pending_.clear();
      }
    }
    has_pending_.store(true, std::memory_order_release);
  }

  enum class DrainResult { kDone, kBusy, kFailed };

  // Deletes every remembered key (or, after an overflow, every key under the
  // prefix) and announces it, before `conn` serves anything else. kBusy if
  // another thread is at it.
  DrainResult DrainPending(RedisConnection* conn) {
    if (draining_.exchange(true, std::memory_order_acq_rel)) return DrainResult::kBusy;
    absl::flat_hash_set<std::string> keys;
    bool overflow;
    {
      MutexLock lock(&pending_mu_);
      keys.swap(pending_);
      overflow = pending_overflow_;
      pending_overflow_ = false;
    }
    const bool ok = overflow ? WipePrefix(conn) : DeleteKeys(conn, keys);
    if (!ok) {
      MutexLock lock(&pending_mu_);
      if (overflow) {
        pending_overflow_ = true;
      } else if (!pending_overflow_) {
        for (auto& k : keys) {
          if (static_cast<int>(pending_.size()) >= options_.max_pending_invalidations) {
            pending_overflow_ = true;
            pending_.clear();
            break;
          }
          pending_.insert(k);
        }
      }
    } else {
      MutexLock lock(&pending_mu_);
      if (pending_.empty() && !pending_overflow_) {
        has_pending_.store(false, std::memory_order_release);
      }
    }
    draining_.store(false, std::memory_order_release);
    return ok ? DrainResult::kDone : DrainResult::kFailed;
  }

  // Tombstones for `keys` (as Erase), then their announcement.
  bool DeleteKeys(RedisConnection* conn, const absl::flat_hash_set<std::string>& keys) {
    constexpr size_t kAnnounceEach = 64;  // more: one "drop everything" message
    std::vector<std::string> prefixed;
    prefixed.reserve(keys.size());
    for (const auto& k : keys) prefixed.push_back(Prefixed(k));
    size_t commands = 0;
    for (const std::string& k : prefixed) {
      if (!conn->Append({"EVAL", erase_script_, "1", k, tombstone_ms_})) return false;
      ++commands;
    }
    std::vector<std::string> messages;
    if (options_.publish_invalidations) {
      if (keys.size() <= kAnnounceEach) {
        for (const auto& k : keys) messages.push_back(absl::StrCat(kMessageKey, k));
      } else {
        messages.push_back(std::string(kMessageAll));
      }
      for (const auto& m : messages) {
        if (!conn->Append({"PUBLISH", channel_, m})) return false;
        ++commands;
      }
    }
    return ReadAllOk(conn, commands);
  }

  // SCAN + UNLINK of every key under the prefix, then "drop everything".
  bool WipePrefix(RedisConnection* conn) {
    const std::string pattern = absl::StrCat(prefix_, "*");
    std::string cursor = "0";
    do {
      if (!conn->Append({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"})) return false;
      ReplyPtr r = conn->Read();
      if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
          r->element[0]->type != REDIS_REPLY_STRING ||
          r->element[1]->type != REDIS_REPLY_ARRAY) {
        return false;
      }
      cursor.assign(r->element[0]->str, r->element[0]->len);
      const redisReply* batch = r->element[1];
      if (batch->elements > 0) {
        std::vector<absl::string_view> args = {"UNLINK"};
        for (size_t i = 0; i < batch->elements; ++i) {
          args.emplace_back(batch->element[i]->str, batch->element[i]->len);
        }
        if (!conn->Append(args) || !ReadAllOk(conn, 1)) return false;
      }
    } while (cursor != "0");
    if (options_.publish_invalidations) {
      if (!conn->Append({"PUBLISH", channel_, kMessageAll})) return false;
      return ReadAllOk(conn, 1);
    }
    return true;
  }

  static bool ReadAllOk(RedisConnection* conn, size_t n) {
    bool ok = true;
    for (size_t i = 0; i < n; ++i) {
      ReplyPtr r = conn->Read();
      if (r == nullptr) return false;
      if (r->type == REDIS_REPLY_ERROR) ok = false;
    }
    return ok;
  }

  const RedisOptions options_;
  const std::string prefix_;
  const std::string channel_;
  ConnectionPool pool_;
  CircuitBreaker breaker_;
  const std::string put_script_;
  const std::string erase_script_;
  const std::string tombstone_ms_;

  std::atomic<bool> has_pending_{false};
  std::atomic<bool> draining_{false};  // one thread drains at a time
  Mutex pending_mu_;
  absl::flat_hash_set<std::string> pending_ ABSL_GUARDED_BY(pending_mu_);
  bool pending_overflow_ ABSL_GUARDED_BY(pending_mu_) = false;

  std::atomic<int64_t> hits_{0};
  std::atomic<int64_t> misses_{0};
  std::atomic<int64_t> errors_{0};
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
