// A Store over in-memory storage and a Redis cache ("redis": Redis alone;
// "tiered": memory L1 + Redis + pub/sub feed), parameterized by cache kind.
// Further Stores over the same storage and Redis namespace act as other
// server instances.
#ifndef WATCHSTORE_TESTS_REDIS_REDIS_STORE_FIXTURE_H_
#define WATCHSTORE_TESTS_REDIS_REDIS_STORE_FIXTURE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "redis_test_util.h"
#include "watchstore/redis_login_limiter.h"

namespace watchstore::testing {

class RedisStoreFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WS_REQUIRE_REDIS();
    base_ = NewMemoryStorage();
    admin_ = PrincipalOf(MakeUser(*base_, "admin@example.com", Role::kAdmin));
    alice_ = PrincipalOf(MakeUser(*base_, "alice@example.com"));
    namespace_ = UniqueNamespace("store");
    Start();
  }

  // The Redis this fixture uses; a test of a private server overrides it.
  virtual std::string RedisUrl() { return SharedRedisUrl(); }

  // Opens the main store (store_, counting_). Separate from SetUp so a test
  // fixture can start its own server first.
  void Start() {
    auto counting = std::make_unique<CountingStorage>(base_.get());
    counting_ = counting.get();
    store_ = OpenStore(std::move(counting));
    ASSERT_NE(store_, nullptr);
    WaitUntilSubscribed(*store_);
  }

  virtual RedisOptions Options() { return TestRedisOptions(RedisUrl(), namespace_); }

  bool tiered() const { return GetParam() == "tiered"; }

  // Another server instance over the same storage and Redis namespace.
  std::unique_ptr<Store> OpenStore(std::unique_ptr<Storage> storage) {
    const RedisOptions o = Options();
    std::unique_ptr<Cache> cache;
    if (tiered()) {
      auto l1 = NewMemoryCache({});
      auto l2 = NewRedisCache(o);
      auto feed = NewRedisInvalidationFeed(o);
      EXPECT_TRUE(l1.ok() && l2.ok() && feed.ok());
      if (!l1.ok() || !l2.ok() || !feed.ok()) return nullptr;
      InvalidationFeed* f = feed->get();
      auto c =
          NewTieredCache(*std::move(l1), *std::move(l2), TieredCacheOptions{}, *std::move(feed));
      EXPECT_TRUE(c.ok()) << c.status();
      if (!c.ok()) return nullptr;
      cache = *std::move(c);
      feeds_[cache.get()] = f;
    } else {
      auto c = NewRedisCache(o);
      EXPECT_TRUE(c.ok()) << c.status();
      if (!c.ok()) return nullptr;
      cache = *std::move(c);
    }
    StoreOptions options = TestStoreOptions(nullptr);
    options.accounts.session_seal_key = std::string(32, 'k');  // shared by the instances
    auto limiter = NewRedisLoginLimiter(o);
    EXPECT_TRUE(limiter.ok()) << limiter.status();
    if (!limiter.ok()) return nullptr;
    options.login_limiter = *std::move(limiter);
    auto store = Store::Open(options, std::move(storage), std::move(cache));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  void WaitUntilSubscribed(Store& store) {
    auto it = feeds_.find(&store.cache());
    if (it == feeds_.end()) return;
    EXPECT_TRUE(WaitFor([&] { return it->second->Connected(); })) << "feed never subscribed";
  }

  std::shared_ptr<const Product> AddWatch(const std::string& sku, int64_t price = 100'00,
                                          int64_t stock = 5) {
    auto p = store_->catalog().CreateProduct(admin_, WatchDraft(sku, price, stock));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }

  static CheckoutRequest Checkout(const std::string& key) {
    CheckoutRequest r;
    r.idempotency_key = key;
    r.shipping = ShippingAddress{"Alice Liddell", "2 Rabbit Hole", "", "Oxford", "OX1", "GB"};
    return r;
  }

  std::unique_ptr<Storage> base_;
  Principal admin_, alice_;
  std::string namespace_;
  CountingStorage* counting_ = nullptr;
  std::unique_ptr<Store> store_;
  std::map<const Cache*, InvalidationFeed*> feeds_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_REDIS_REDIS_STORE_FIXTURE_H_
