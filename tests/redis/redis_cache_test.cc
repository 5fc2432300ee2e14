// The Redis cache adapter: URLs and options, key layout, TTL jitter, one
// round trip per GetMany, and graceful degradation (Redis down, paused,
// restarted, partitioned) with the circuit breaker.
#include <netinet/in.h>
#include <sys/socket.h>

#include <set>
#include <thread>

#include "redis/redis_url.h"
#include "redis_test_util.h"

namespace watchstore::testing {
namespace {

using internal::ParseRedisUrl;
using internal::RedisEndpoint;

const CacheDecoder kDecode = [](absl::string_view bytes) -> CacheValuePtr {
  return std::make_shared<const CacheValue>(
      CacheValue{std::string(bytes), std::make_shared<const std::string>(bytes)});
};

CacheValuePtr Value(const std::string& bytes) {
  return std::make_shared<const CacheValue>(CacheValue{bytes, nullptr});
}

std::string BytesOf(const CacheValuePtr& v) { return v == nullptr ? "<miss>" : v->bytes; }

// What a raw GET shows for a stored value: "value:<bytes>", "tombstone",
// "(nil)", or the raw reply.
std::string Stored(const std::string& raw) {
  if (raw.size() >= 17 && raw[0] == 'v') return "value:" + raw.substr(17);
  if (raw.size() == 17 && raw[0] == 't') return "tombstone";
  return raw;
}

// A loopback port nothing listens on.
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// --- URLs and options -------------------------------------------------------

TEST(RedisUrl, ParsesTheForms) {
  auto ep = ParseRedisUrl("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 2);
  EXPECT_TRUE(ep->password.empty());

  ep = ParseRedisUrl("redis://cache.internal");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "cache.internal");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);

  ep = ParseRedisUrl("redis://:s%40cret%2F@h:1/");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "s@cret/");
  EXPECT_EQ(ep->port, 1);

  ep = ParseRedisUrl("redis://alice:pw:with:colons@h:6379/15");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->user, "alice");
  EXPECT_EQ(ep->password, "pw:with:colons");
  EXPECT_EQ(ep->db, 15);

  ep = ParseRedisUrl("redis://[::1]:7000/1");
  ASSERT_TRUE(ep.ok()) << ep.status();
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 7000);
}

TEST(RedisUrl, RejectsMalformed) {
  for (const char* bad : {"",
                          "127.0.0.1:6379",
                          "http://h:1",
                          "rediss://h:6379",
                          "redis://",
                          "redis://:1",
                          "redis://h:",
                          "redis://h:0",
                          "redis://h:65536",
                          "redis://h:12ab",
                          "redis://h:1/x",
                          "redis://h:1/-1",
                          "redis://h:1/0?timeout=1",
                          "redis://user@h:1",
                          "redis://user:@h:1",
                          "redis://:%zz@h",
                          "redis://:a%00b@h",
                          "redis://[::1:1",
                          "redis://[zz]:1",
                          "redis://h h:1",
                          "redis://h:1/99999999"}) {
    auto ep = ParseRedisUrl(bad);
    EXPECT_EQ(ep.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // The password never appears in the message.
  auto ep = ParseRedisUrl("redis://:topsecret@h:99999");
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(std::string(ep.status().message()).find("topsecret"), std::string::npos);
}

TEST(RedisOptionsTest, RejectsBadOptions) {
  auto bad = [](auto mutate) {
    RedisOptions o;
    mutate(o);
    return NewRedisCache(o).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad([](RedisOptions& o) { o.url = "localhost:6379"; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.key_namespace = ""; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.key_namespace = "a b"; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.key_namespace = "ws:x"; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.key_namespace = std::string(65, 'a'); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.schema_version = 0; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.pool_size = 0; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.pool_size = 5000; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.connect_timeout = absl::ZeroDuration(); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.command_timeout = -absl::Seconds(1); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.pool_wait = -absl::Seconds(1); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.ttl_jitter = 0.6; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.ttl_jitter = -0.1; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.breaker_failures = 0; }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.request_budget = absl::ZeroDuration(); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.breaker_slow_call = absl::ZeroDuration(); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.breaker_cool_down = absl::ZeroDuration(); }), kInvalid);
  EXPECT_EQ(bad([](RedisOptions& o) { o.max_pending_invalidations = 0; }), kInvalid);
  RedisOptions o;
  o.url = "redis://h:1/x";
  EXPECT_EQ(NewRedisInvalidationFeed(o).status().code(), kInvalid);
  EXPECT_EQ(NewTieredRedisCache(o, {}, {}).status().code(), kInvalid);
  TieredCacheOptions t;
  t.l1_ttl = absl::ZeroDuration();
  EXPECT_EQ(NewTieredRedisCache(RedisOptions{}, {}, t).status().code(), kInvalid);
}

// --- Down from the start ------------------------------------------------------

TEST(RedisDegradation, OpensAgainstADeadServerAndAnswersMisses) {
  RedisOptions o;
  o.url = absl::StrCat("redis://127.0.0.1:", UnusedPort(), "/0");
  o.breaker_failures = 3;
  o.breaker_cool_down = absl::Seconds(30);
  auto cache = NewRedisCache(o);
  ASSERT_TRUE(cache.ok()) << cache.status();  // opening never needs the server
  Cache& c = **cache;
  EXPECT_EQ(c.Ping().code(), absl::StatusCode::kUnavailable);
  const absl::Time start = absl::Now();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(c.Get("k", kDecode), nullptr);
    c.Put("k", Value("v"), absl::Minutes(1));
    c.Erase("k");
    EXPECT_EQ(c.GetMany({"a", "b"}, kDecode).size(), 2u);
  }
  // After the first few refusals the breaker answers without the network.
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_GE(c.Stats().errors, 1000);
  EXPECT_EQ(c.Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(c.Ping().message()).find("circuit open"), std::string::npos) << c.Ping();
}

// --- Against the shared server ------------------------------------------------

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WS_REQUIRE_REDIS();
    options_ = TestRedisOptions(SharedRedisUrl());
    auto c = NewRedisCache(options_);
    ASSERT_TRUE(c.ok()) << c.status();
    cache_ = *std::move(c);
    raw_ = std::make_unique<RawRedis>(SharedRedisUrl());
  }
  std::string RedisKey(const std::string& key, int schema = 1) {
    return absl::StrCat(options_.key_namespace, ":v", schema, ":", key);
  }
  RedisOptions options_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<RawRedis> raw_;
};

TEST_F(RedisCacheTest, KeysLiveUnderNamespaceAndSchemaVersion) {
  cache_->Put("p:1", Value("bytes-v1"), absl::Minutes(1));
  EXPECT_EQ(Stored(raw_->Command({"GET", RedisKey("p:1")})), "value:bytes-v1");
  EXPECT_EQ(cache_->Kind(), "redis");
  WS_EXPECT_OK(cache_->Ping());

  // A deploy with a new value format (schema 2) never reads schema-1 values.
  RedisOptions v2 = options_;
  v2.schema_version = 2;
  auto next = NewRedisCache(v2);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->Get("p:1", kDecode), nullptr);
  (*next)->Put("p:1", Value("bytes-v2"), absl::Minutes(1));
  EXPECT_EQ(Stored(raw_->Command({"GET", RedisKey("p:1", 2)})), "value:bytes-v2");
  EXPECT_EQ(BytesOf(cache_->Get("p:1", kDecode)), "bytes-v1");

  // Another namespace is another cache.
  auto other = NewRedisCache(TestRedisOptions(SharedRedisUrl()));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Get("p:1", kDecode), nullptr);
}

TEST_F(RedisCacheTest, UndecodableValueIsAMiss) {
  cache_->Put("k", Value("garbage"), absl::Minutes(1));
  const CacheDecoder reject = [](absl::string_view) -> CacheValuePtr { return nullptr; };
  const CacheStats before = cache_->Stats();
  EXPECT_EQ(cache_->Get("k", reject), nullptr);
  EXPECT_EQ(cache_->Stats().misses, before.misses + 1);
  // A fill after that lookup replaces the undecodable value.
  FillTicket ticket;
  EXPECT_EQ(cache_->Lookup("k", reject, &ticket), nullptr);
  EXPECT_TRUE(cache_->Fill("k", Value("good"), absl::Minutes(1), ticket));
  EXPECT_EQ(BytesOf(cache_->Get("k", kDecode)), "good");
  // A value of the wrong Redis type is an error turned into a miss.
  raw_->Command({"DEL", RedisKey("h")});
  raw_->Command({"HSET", RedisKey("h"), "f", "v"});
  EXPECT_EQ(cache_->Get("h", kDecode), nullptr);
  EXPECT_GE(cache_->Stats().errors, 1);
}

TEST_F(RedisCacheTest, TtlJitterStaysAtOrBelowTheRequestedTtl) {
  std::set<int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string k = absl::StrCat("j", i);
    cache_->Put(k, Value("v"), absl::Seconds(100));
    int64_t pttl = 0;
    ASSERT_TRUE(absl::SimpleAtoi(raw_->Command({"PTTL", RedisKey(k)}), &pttl));
    EXPECT_LE(pttl, 100'000);
    EXPECT_GE(pttl, 90'000 - 1'000);  // jitter 10%, minus time spent
    seen.insert(pttl / 100);
  }
  EXPECT_GT(seen.size(), 10u);  // spread out, not all at once

  RedisOptions exact = options_;
  exact.ttl_jitter = 0;
  auto c = NewRedisCache(exact);
  ASSERT_TRUE(c.ok());
  (*c)->Put("exact", Value("v"), absl::Seconds(100));
  int64_t pttl = 0;
  ASSERT_TRUE(absl::SimpleAtoi(raw_->Command({"PTTL", RedisKey("exact")}), &pttl));
  EXPECT_GT(pttl, 99'000);
  // Sub-millisecond TTLs still expire (PX 1), never live forever.
  (*c)->Put("tiny", Value("v"), absl::Microseconds(10));
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ((*c)->Get("tiny", kDecode), nullptr);
}

TEST_F(RedisCacheTest, EraseAndPutAnnounceOnTheChannel) {
  RawRedis sub(SharedRedisUrl());
  const std::string channel = absl::StrCat(options_.key_namespace, ":v1:invalidate");
  ASSERT_EQ(sub.Command({"SUBSCRIBE", channel}), "<array 3>");
  cache_->Put("p:7", Value("x"), absl::Minutes(1));
  cache_->Erase("p:7");
  RedisOptions quiet = options_;
  quiet.publish_invalidations = false;
  auto silent = NewRedisCache(quiet);
  ASSERT_TRUE(silent.ok());
  (*silent)->Erase("p:8");  // not announced
  cache_->Erase("p:9");
  using Msg = std::vector<std::string>;
  EXPECT_EQ(sub.NextPush(), (Msg{"message", channel, "kp:7"}));
  EXPECT_EQ(sub.NextPush(), (Msg{"message", channel, "kp:7"}));
  EXPECT_EQ(sub.NextPush(), (Msg{"message", channel, "kp:9"}));
}

// Cache-aside: the lookup missed, storage was read, the value is filled.
// Another instance's write in between must win over the fill.
TEST_F(RedisCacheTest, AFillThatStartedBeforeAnEraseIsRefused) {
  auto other = NewRedisCache(options_);  // another instance, same namespace
  ASSERT_TRUE(other.ok());
  cache_->Put("p:1", Value("v1"), absl::Minutes(1));
  (*other)->Erase("p:1");
  FillTicket ticket;
  EXPECT_EQ(cache_->Lookup("p:1", kDecode, &ticket), nullptr);  // miss: a fill may follow
  (*other)->Put("p:1", Value("v2"), absl::Minutes(1));          // a write...
  (*other)->Erase("p:1");                                       // ...and its erase
  EXPECT_FALSE(cache_->Fill("p:1", Value("v1-read-before"), absl::Minutes(1), ticket));
  EXPECT_EQ(Stored(raw_->Command({"GET", RedisKey("p:1")})), "tombstone");
  EXPECT_EQ(cache_->Get("p:1", kDecode), nullptr);
  // A fill that started after the erase is stored.
  EXPECT_EQ(cache_->Lookup("p:1", kDecode, &ticket), nullptr);
  EXPECT_TRUE(cache_->Fill("p:1", Value("v2"), absl::Minutes(1), ticket));
  EXPECT_EQ(BytesOf(cache_->Get("p:1", kDecode)), "v2");
}

TEST_F(RedisCacheTest, AFillLosesToAWriteOrAFillThatCameAfterItsLookup) {
  auto other = NewRedisCache(options_);
  ASSERT_TRUE(other.ok());
  FillTicket mine, theirs;
  EXPECT_EQ(cache_->Lookup("catalog:gen", kDecode, &mine), nullptr);  // miss
  (*other)->Put("catalog:gen", Value("bumped"), absl::Minutes(1));    // a write
  EXPECT_FALSE(cache_->Fill("catalog:gen", Value("filled"), absl::Minutes(1), mine));
  EXPECT_EQ(BytesOf(cache_->Get("catalog:gen", kDecode)), "bumped");
  // Two fills after the same miss: the first lands, the second is refused.
  EXPECT_EQ(cache_->Lookup("k", kDecode, &mine), nullptr);
  EXPECT_EQ((*other)->Lookup("k", kDecode, &theirs), nullptr);
  EXPECT_TRUE((*other)->Fill("k", Value("a"), absl::Minutes(1), theirs));
  EXPECT_FALSE(cache_->Fill("k", Value("b"), absl::Minutes(1), mine));
  EXPECT_EQ(BytesOf(cache_->Get("k", kDecode)), "a");
  // A ticket from a hit lets the caller replace what it found.
  EXPECT_EQ(BytesOf(cache_->Lookup("k", kDecode, &mine)), "a");
  EXPECT_TRUE(cache_->Fill("k", Value("c"), absl::Minutes(1), mine));
  EXPECT_EQ(BytesOf(cache_->Get("k", kDecode)), "c");
  // A ticket nobody issued is never honoured.
  EXPECT_FALSE(cache_->Fill("k", Value("d"), absl::Minutes(1), FillTicket{}));
}

TEST_F(RedisCacheTest, WritesAlwaysLand) {
  auto other = NewRedisCache(options_);
  ASSERT_TRUE(other.ok());
  cache_->Put("s:1", Value("v1"), absl::Minutes(1));
  (*other)->Erase("s:1");
  cache_->Put("s:1", Value("v2"), absl::Minutes(1));  // after an erase: lands
  EXPECT_EQ(BytesOf((*other)->Get("s:1", kDecode)), "v2");
  FillTicket ticket;
  EXPECT_EQ(cache_->Lookup("s:2", kDecode, &ticket), nullptr);
  (*other)->Put("s:2", Value("v3"), absl::Minutes(1));
  cache_->Put("s:2", Value("v4"), absl::Minutes(1));  // a write after a miss: lands too
  EXPECT_EQ(BytesOf((*other)->Get("s:2", kDecode)), "v4");
}

TEST_F(RedisCacheTest, ManyThreadsShareThePool) {
  RedisOptions small = options_;
  small.pool_size = 2;
  auto c = NewRedisCache(small);
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 20; ++i)
    (*c)->Put(absl::StrCat("k", i), Value(absl::StrCat("v", i)), absl::Minutes(1));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const int k = i % 20;
        CacheValuePtr v = (*c)->Get(absl::StrCat("k", k), kDecode);
        if (v != nullptr && v->bytes != absl::StrCat("v", k)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT((*c)->Stats().hits, 1000);
}

// --- A private server: stop it, pause it, restart it, inspect it --------------

class PrivateRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WS_REQUIRE_REDIS();
    server_ = std::make_unique<PrivateRedis>();
    ASSERT_TRUE(server_->ok()) << "could not start a private redis-server";
    raw_ = std::make_unique<RawRedis>(server_->url());
  }
  RedisOptions Options() {
    RedisOptions o = TestRedisOptions(server_->url(), "p");
    o.connect_timeout = absl::Milliseconds(100);
    o.command_timeout = absl::Milliseconds(100);
    o.breaker_failures = 3;
    o.breaker_cool_down = absl::Milliseconds(200);
    return o;
  }
  std::unique_ptr<PrivateRedis> server_;
  std::unique_ptr<RawRedis> raw_;
};

TEST_F(PrivateRedisTest, GetManyIsOneRoundTrip) {
  auto c = NewRedisCache(Options());
  ASSERT_TRUE(c.ok());
  (*c)->Put("a", Value("1"), absl::Minutes(1));
  (*c)->Put("c", Value("3"), absl::Minutes(1));
  raw_->Command({"CONFIG", "RESETSTAT"});
  auto values = (*c)->GetMany({"a", "b", "c"}, kDecode);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(BytesOf(values[0]), "1");
  EXPECT_EQ(values[1], nullptr);
  EXPECT_EQ(BytesOf(values[2]), "3");
  const std::string stats = raw_->Command({"INFO", "commandstats"});
  EXPECT_NE(stats.find("cmdstat_mget:calls=1,"), std::string::npos) << stats;
  EXPECT_EQ(stats.find("cmdstat_get:"), std::string::npos) << stats;
}

TEST_F(PrivateRedisTest, SelectsTheDatabase) {
  RedisOptions o = Options();
  o.url = absl::StrCat(server_->url().substr(0, server_->url().rfind('/')), "/3");
  auto c = NewRedisCache(o);
  ASSERT_TRUE(c.ok());
  (*c)->Put("k", Value("in-db-3"), absl::Minutes(1));
  EXPECT_EQ(raw_->Command({"GET", "p:v1:k"}), "(nil)");
  raw_->Command({"SELECT", "3"});
  EXPECT_EQ(Stored(raw_->Command({"GET", "p:v1:k"})), "value:in-db-3");
}

TEST_F(PrivateRedisTest, AuthenticatesWithPasswordOrAclUser) {
  const std::string hostport = server_->url().substr(
      std::string("redis://").size(), server_->url().rfind('/') - std::string("redis://").size());
  ASSERT_EQ(raw_->Command({"ACL", "SETUSER", "cacheuser", "on", ">user-pw", "~*", "&*", "+@all"}),
            "OK");
  ASSERT_EQ(raw_->Command({"CONFIG", "SET", "requirepass", "s3cret/pw"}), "OK");
  RawRedis admin(server_->url());
  ASSERT_EQ(admin.Command({"AUTH", "s3cret/pw"}), "OK");

  RedisOptions o = Options();
  o.url = absl::StrCat("redis://:s3cret%2Fpw@", hostport, "/0");
  auto with_password = NewRedisCache(o);
  ASSERT_TRUE(with_password.ok());
  WS_EXPECT_OK((*with_password)->Ping());
  (*with_password)->Put("k", Value("v"), absl::Minutes(1));
  EXPECT_EQ(BytesOf((*with_password)->Get("k", kDecode)), "v");

  o.url = absl::StrCat("redis://cacheuser:user-pw@", hostport, "/0");
  auto with_user = NewRedisCache(o);
  ASSERT_TRUE(with_user.ok());
  WS_EXPECT_OK((*with_user)->Ping());
  EXPECT_EQ(BytesOf((*with_user)->Get("k", kDecode)), "v");

  o.url = absl::StrCat("redis://:wrong@", hostport, "/0");
  auto wrong = NewRedisCache(o);
  ASSERT_TRUE(wrong.ok());
  const absl::Status ping = (*wrong)->Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(ping.message()).find("wrong"), std::string::npos) << ping;
  EXPECT_EQ((*wrong)->Get("k", kDecode), nullptr);

  o.url = absl::StrCat("redis://", hostport, "/0");
  auto none = NewRedisCache(o);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->Ping().code(), absl::StatusCode::kUnavailable);  // NOAUTH

  EXPECT_EQ(admin.Command({"CONFIG", "SET", "requirepass", ""}), "OK");
}

TEST_F(PrivateRedisTest, StopAndRestartMissesThenResumes) {
  auto c = NewRedisCache(Options());
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  cache.Put("k", Value("v"), absl::Minutes(1));
  EXPECT_EQ(BytesOf(cache.Get("k", kDecode)), "v");

  server_->Stop();
  absl::Duration worst;
  for (int i = 0; i < 200; ++i) {
    const absl::Time t0 = absl::Now();
    EXPECT_EQ(cache.Get("k", kDecode), nullptr);
    cache.Put("k2", Value("v2"), absl::Minutes(1));
    worst = std::max(worst, absl::Now() - t0);
  }
  // Refused connections fail fast; nothing waits past the timeouts (100 ms
  // each here), with room for a loaded CI machine.
  EXPECT_LT(worst, absl::Seconds(1));
  EXPECT_EQ(cache.Ping().code(), absl::StatusCode::kUnavailable);

  server_->Start();
  ASSERT_TRUE(WaitFor([&] { return cache.Ping().ok(); }, absl::Seconds(5)));
  const int64_t hits = cache.Stats().hits;
  cache.Put("k", Value("again"), absl::Minutes(1));
  EXPECT_EQ(BytesOf(cache.Get("k", kDecode)), "again");
  EXPECT_GT(cache.Stats().hits, hits);
}

// The breaker's cool-down runs on the injected clock: no sleeping, and the
// cache stays closed to a server that came back until the clock says so.
TEST_F(PrivateRedisTest, TheBreakerCoolsDownOnTheInjectedClock) {
  FakeClock clock;
  RedisOptions o = Options();
  o.breaker_cool_down = absl::Minutes(5);
  o.clock = &clock;
  auto c = NewRedisCache(o);
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  cache.Put("k", Value("v"), absl::Minutes(10));
  server_->Stop();
  for (int i = 0; i < o.breaker_failures; ++i) EXPECT_EQ(cache.Get("k", kDecode), nullptr);
  EXPECT_NE(std::string(cache.Ping().message()).find("circuit open"), std::string::npos);
  server_->Start();
  ASSERT_TRUE(WaitFor([&] { return RawRedis(server_->url()).Command({"PING"}) == "PONG"; },
                      absl::Seconds(5)));
  // The server answers, but no call reaches it before the cool-down ends.
  raw_ = std::make_unique<RawRedis>(server_->url());
  raw_->Command({"CONFIG", "RESETSTAT"});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.Get("k", kDecode), nullptr);
  clock.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(cache.Get("k", kDecode), nullptr);
  // No GET reached the server (the stats were reset after it came back).
  const std::string stats = raw_->Command({"INFO", "commandstats"});
  EXPECT_EQ(stats.find("cmdstat_get:"), std::string::npos) << stats;
  // Past it, one probe goes through, succeeds, and the breaker closes.
  clock.Advance(absl::Seconds(2));
  cache.Put("k", Value("back"), absl::Minutes(10));
  EXPECT_EQ(BytesOf(cache.Get("k", kDecode)), "back");
  EXPECT_TRUE(cache.Ping().ok());
}

// A Redis that answers, but slowly, opens the breaker as a failing one does;
// Stats() show the breaker and the round trips.
TEST_F(PrivateRedisTest, SlowCallsOpenTheBreaker) {
  FakeClock clock;
  RedisOptions o = Options();
  o.breaker_slow_call = absl::Nanoseconds(1);  // every round trip is "slow"
  o.breaker_cool_down = absl::Minutes(5);
  o.clock = &clock;
  auto c = NewRedisCache(o);
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  cache.Put("k", Value("v"), absl::Minutes(10));  // slow failure 1
  EXPECT_EQ(cache.Stats().breaker_open, 0);
  EXPECT_EQ(BytesOf(cache.Get("k", kDecode)), "v");  // 2: answered all the same
  EXPECT_EQ(BytesOf(cache.Get("k", kDecode)), "v");  // 3: opens the breaker
  CacheStats s = cache.Stats();
  EXPECT_EQ(s.breaker_open, 1);
  EXPECT_EQ(s.breaker_openings, 1);
  EXPECT_EQ(s.latency_count, 3);
  int64_t in_buckets = 0;
  for (int64_t n : s.latency_buckets) in_buckets += n;
  EXPECT_EQ(in_buckets, 3);
  EXPECT_GT(s.latency_sum_micros, 0);
  raw_->Command({"CONFIG", "RESETSTAT"});
  EXPECT_EQ(cache.Get("k", kDecode), nullptr);  // open: no network
  const std::string stats = raw_->Command({"INFO", "commandstats"});
  EXPECT_EQ(stats.find("cmdstat_get:"), std::string::npos) << stats;
  EXPECT_EQ(cache.Stats().latency_count, 3);
}

// Lookups wait at most request_budget, not command_timeout: a request
// whose Redis stalls reads its source of truth instead.
TEST_F(PrivateRedisTest, LookupsGiveUpAfterTheRequestBudget) {
  RedisOptions o = Options();
  o.command_timeout = absl::Seconds(3);
  o.request_budget = absl::Milliseconds(30);
  o.breaker_failures = 1000;  // keep the breaker out of it
  auto c = NewRedisCache(o);
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  cache.Put("k", Value("v"), absl::Minutes(10));
  server_->Pause();
  for (int i = 0; i < 3; ++i) {
    const absl::Time t0 = absl::Now();
    FillTicket t;
    EXPECT_EQ(cache.Lookup("k", kDecode, &t), nullptr);
    EXPECT_LT(absl::Now() - t0, absl::Seconds(1));  // not the 3 s command timeout
  }
  server_->Resume();
  EXPECT_GE(cache.Stats().errors, 3);
  ASSERT_TRUE(WaitFor([&] { return cache.Get("k", kDecode) != nullptr; }, absl::Seconds(5)));
}

TEST_F(PrivateRedisTest, PausedServerCostsAtMostTheTimeoutThenTheBreakerOpens) {
  auto c = NewRedisCache(Options());
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  cache.Put("k", Value("v"), absl::Minutes(1));
  server_->Pause();  // accepts connections (kernel backlog), answers nothing
  std::vector<absl::Duration> took;
  for (int i = 0; i < 20; ++i) {
    const absl::Time t0 = absl::Now();
    EXPECT_EQ(cache.Get("k", kDecode), nullptr);
    took.push_back(absl::Now() - t0);
  }
  server_->Resume();
  // Each call costs at most connect + command timeout (100 + 100 ms, with
  // slack for a loaded machine); once 3 have failed the breaker answers
  // at once, letting one probe through every 200 ms.
  int slow = 0;
  for (absl::Duration d : took) {
    EXPECT_LT(d, absl::Seconds(1));
    if (d > absl::Milliseconds(50)) ++slow;
  }
  EXPECT_LE(slow, 5);
  EXPECT_GE(slow, 1);
  ASSERT_TRUE(WaitFor([&] { return cache.Get("k", kDecode) != nullptr; }, absl::Seconds(5)));
}

TEST_F(PrivateRedisTest, AnEraseThatMissedRedisIsReplayedBeforeAnyRead) {
  // A partition, not a restart: Redis keeps its data while this instance
  // cannot reach it. The erase it missed must not let the old value back.
  auto c = NewRedisCache(Options());
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  cache.Put("p:1", Value("old"), absl::Minutes(10));
  cache.Put("catalog:gen", Value("gen-1"), absl::Minutes(10));
  RedisOptions o = Options();
  server_->Pause();
  // Three timeouts open the breaker (cool-down 200 ms)...
  for (int i = 0; i < o.breaker_failures; ++i) EXPECT_EQ(cache.Get("x", kDecode), nullptr);
  // ...so these writes never reach Redis (as in a partition).
  cache.Erase("p:1");
  cache.Put("catalog:gen", Value("gen-2"), absl::Minutes(10));
  server_->Resume();
  EXPECT_EQ(Stored(raw_->Command({"GET", "p:v1:p:1"})), "value:old");  // still there...
  bool saw_old = false;
  ASSERT_TRUE(WaitFor([&] {
    CacheValuePtr v = cache.Get("p:1", kDecode);
    CacheValuePtr g = cache.Get("catalog:gen", kDecode);
    saw_old = saw_old || v != nullptr || (g != nullptr && g->bytes == "gen-1");
    return Stored(raw_->Command({"GET", "p:v1:p:1"})) == "tombstone";
  }));
  EXPECT_FALSE(saw_old);  // ...but never served
  EXPECT_EQ(Stored(raw_->Command({"GET", "p:v1:catalog:gen"})), "tombstone");
  cache.Put("p:1", Value("new"), absl::Minutes(10));
  EXPECT_EQ(BytesOf(cache.Get("p:1", kDecode)), "new");
}

TEST_F(PrivateRedisTest, TooManyMissedWritesWipeTheNamespace) {
  RedisOptions o = Options();
  o.max_pending_invalidations = 2;
  auto c = NewRedisCache(o);
  ASSERT_TRUE(c.ok());
  Cache& cache = **c;
  for (int i = 0; i < 50; ++i) cache.Put(absl::StrCat("k", i), Value("v"), absl::Minutes(10));
  raw_->Command({"SET", "other:v1:k", "not ours"});
  server_->Pause();
  for (int i = 0; i < 5; ++i) cache.Erase(absl::StrCat("k", i));
  server_->Resume();
  ASSERT_TRUE(WaitFor([&] {
    (void)cache.Get("k10", kDecode);
    return raw_->Command({"DBSIZE"}) == "1";
  })) << raw_->Command({"DBSIZE"});
  EXPECT_EQ(raw_->Command({"GET", "other:v1:k"}), "not ours");
  for (int i = 0; i < 50; ++i) EXPECT_EQ(cache.Get(absl::StrCat("k", i), kDecode), nullptr);
}

TEST_F(PrivateRedisTest, FlushedServerIsJustMisses) {
  auto c = NewRedisCache(Options());
  ASSERT_TRUE(c.ok());
  (*c)->Put("k", Value("v"), absl::Minutes(1));
  raw_->Command({"FLUSHALL"});
  EXPECT_EQ((*c)->Get("k", kDecode), nullptr);
  EXPECT_EQ((*c)->Stats().errors, 0);
  (*c)->Put("k", Value("v"), absl::Minutes(1));
  EXPECT_EQ(BytesOf((*c)->Get("k", kDecode)), "v");
}

}  // namespace
}  // namespace watchstore::testing
