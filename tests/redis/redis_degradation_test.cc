// Graceful degradation through a Store: Redis stopped, paused or flushed in
// the middle of a read/write workload. Zero failed requests, no stale read,
// bounded latency, and caching resumes by itself. Each test runs its own
// redis-server (scripts/services.sh) so it can stop it.
#include <thread>

#include "redis_store_fixture.h"

namespace watchstore::testing {
namespace {

class RedisDegradationTest : public RedisStoreFixture {
 protected:
  void SetUp() override {
    WS_REQUIRE_REDIS();
    server_ = std::make_unique<PrivateRedis>();
    ASSERT_TRUE(server_->ok()) << "could not start a private redis-server";
    RedisStoreFixture::SetUp();
    for (int i = 0; i < kProducts; ++i) {
      auto p = AddWatch(absl::StrCat("DEG", i), 100'00 + i, 1000);
      ASSERT_NE(p, nullptr);
      ids_.push_back(p->id);
      if (i == 0) variant_ = p->variants[0].id;
    }
  }
  std::string RedisUrl() override { return server_->url(); }
  // Production timeouts and breaker: what bounds the latency under test.
  RedisOptions Options() override {
    RedisOptions o;
    o.url = RedisUrl();
    o.key_namespace = namespace_;
    return o;
  }

  struct Result {
    std::atomic<int64_t> requests{0};
    std::atomic<int64_t> failures{0};
    std::atomic<int64_t> stale{0};
    std::atomic<int64_t> worst_read_us{0};
  };

  // Runs readers and a writer over store_ while `script` runs on this thread.
  void RunWorkload(Result& r, const std::function<void()>& script) {
    std::atomic<bool> stop{false};
    auto record = [&](absl::Time t0) {
      const int64_t us = absl::ToInt64Microseconds(absl::Now() - t0);
      int64_t cur = r.worst_read_us.load();
      while (us > cur && !r.worst_read_us.compare_exchange_weak(cur, us)) {
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; !stop.load(); ++i) {
          const ProductId id = ids_[static_cast<size_t>(i) % ids_.size()];
          absl::Time t0 = absl::Now();
          auto p = store_->catalog().GetProduct(id);
          record(t0);
          ++r.requests;
          if (!p.ok() || (*p)->id != id) {
            ++r.failures;
            ADD_FAILURE() << "GetProduct: " << p.status();
          }
          if (i % 5 == 0) {
            t0 = absl::Now();
            auto l = store_->catalog().ListProducts({}, "");
            record(t0);
            ++r.requests;
            if (!l.ok() || l->items.size() != ids_.size()) {
              ++r.failures;
              ADD_FAILURE() << "ListProducts: " << l.status();
            }
          }
        }
      });
    }
    threads.emplace_back([&] {
      for (int i = 0; !stop.load(); ++i) {
        auto written = store_->catalog().AdjustStock(admin_, variant_, i % 2 == 0 ? 1 : -1);
        ++r.requests;
        if (!written.ok()) {
          ++r.failures;
          ADD_FAILURE() << "AdjustStock: " << written.status();
          continue;
        }
        // Read your own write: never the version before it.
        auto read = store_->catalog().GetProduct(ids_[0]);
        ++r.requests;
        if (!read.ok()) {
          ++r.failures;
        } else if ((*read)->version != (*written)->version ||
                   (*read)->variants[0].stock != (*written)->variants[0].stock) {
          if (r.stale.fetch_add(1) < 5) {
            ADD_FAILURE() << "read v" << (*read)->version << " after writing v"
                          << (*written)->version;
          }
        }
        absl::SleepFor(absl::Milliseconds(2));
      }
    });
    script();
    stop = true;
    for (auto& t : threads) t.join();
  }

  // Waits (bounded) until the workload has served `n` more requests and
  // `also()` holds: the scripts below move on when the workload has made
  // progress through each phase, not after fixed sleeps.
  void AfterRequests(
      const Result& r, int64_t n, const std::function<bool()>& also = [] { return true; }) {
    const int64_t target = r.requests.load() + n;
    EXPECT_TRUE(WaitFor([&] { return r.requests.load() >= target && also(); }, absl::Seconds(20)))
        << "the workload stalled at " << r.requests.load() << " requests";
  }
  bool CacheUp() { return store_->cache().Ping().ok(); }
  bool CacheDown() { return store_->cache().Ping().code() == absl::StatusCode::kUnavailable; }

  // Caching works again: warm reads are cache hits with no storage query.
  void ExpectCachingResumed() {
    ASSERT_TRUE(WaitFor([&] { return store_->cache().Ping().ok(); }, absl::Seconds(5)));
    for (ProductId id : ids_) WS_ASSERT_OK(store_->catalog().GetProduct(id));
    absl::SleepFor(absl::Milliseconds(50));  // let announcements of the fills land
    for (ProductId id : ids_) WS_ASSERT_OK(store_->catalog().GetProduct(id));
    const int64_t hits = store_->cache().Stats().hits;
    const int64_t reads = counting_->product_reads.load();
    for (int i = 0; i < 50; ++i) {
      WS_ASSERT_OK(store_->catalog().GetProduct(ids_[static_cast<size_t>(i) % ids_.size()]));
    }
    EXPECT_GE(store_->cache().Stats().hits - hits, 50);
    EXPECT_EQ(counting_->product_reads.load(), reads);
  }

  void Report(const char* what, const Result& r) {
    std::cout << GetParam() << " / " << what << ": " << r.requests.load() << " requests, "
              << r.failures.load() << " failed, " << r.stale.load() << " stale, slowest read "
              << r.worst_read_us.load() / 1000.0 << " ms, cache " << store_->cache().Stats().errors
              << " errors\n";
  }

  static constexpr int kProducts = 8;
  std::unique_ptr<PrivateRedis> server_;
  std::vector<ProductId> ids_;
  VariantId variant_ = 0;
};

TEST_P(RedisDegradationTest, RedisStoppedAndRestartedMidWorkload) {
  Result r;
  RunWorkload(r, [&] {
    AfterRequests(r, 200);
    server_->Stop();
    AfterRequests(r, 300, [&] { return CacheDown(); });
    server_->Start();
    AfterRequests(r, 300, [&] { return CacheUp(); });
  });
  Report("stop+restart", r);
  EXPECT_EQ(r.failures.load(), 0);
  EXPECT_EQ(r.stale.load(), 0);
  EXPECT_GT(r.requests.load(), 100);
  // Connect refused is immediate; the bound is connect + command timeout
  // (150 ms), with room for a loaded CI machine.
  EXPECT_LT(r.worst_read_us.load(), 1'000'000);
  ExpectCachingResumed();
}

TEST_P(RedisDegradationTest, RedisPausedMidWorkloadCostsBoundedLatency) {
  Result r;
  RunWorkload(r, [&] {
    AfterRequests(r, 200);
    const int64_t errors = store_->cache().Stats().errors;
    server_->Pause();  // a hung server: connects succeed, commands time out
    // Until calls have timed out (the breaker opened), and then some.
    AfterRequests(r, 300, [&] { return store_->cache().Stats().errors > errors + 3; });
    AfterRequests(r, 300);
    server_->Resume();
    AfterRequests(r, 300, [&] { return CacheUp(); });
  });
  Report("pause", r);
  EXPECT_EQ(r.failures.load(), 0);
  EXPECT_EQ(r.stale.load(), 0);
  // A read may pay one command timeout (50 ms) per cache call it makes
  // (a listing makes two) before the breaker opens; room for a loaded box.
  EXPECT_LT(r.worst_read_us.load(), 1'000'000);
  ExpectCachingResumed();
}

TEST_P(RedisDegradationTest, RedisFlushedMidWorkload) {
  Result r;
  RawRedis raw(server_->url());
  RunWorkload(r, [&] {
    AfterRequests(r, 200);
    EXPECT_EQ(raw.Command({"FLUSHALL"}), "OK");
    AfterRequests(r, 300);
  });
  Report("flushall", r);
  EXPECT_EQ(r.failures.load(), 0);
  EXPECT_EQ(r.stale.load(), 0);
  ExpectCachingResumed();
}

INSTANTIATE_TEST_SUITE_P(Caches, RedisDegradationTest, ::testing::Values("redis", "tiered"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace watchstore::testing
