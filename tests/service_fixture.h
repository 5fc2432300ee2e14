// A Store on the in-memory adapters with a fake clock, for service tests.
#ifndef WATCHSTORE_TESTS_SERVICE_FIXTURE_H_
#define WATCHSTORE_TESTS_SERVICE_FIXTURE_H_

#include <memory>

#include "test_util.h"

namespace watchstore::testing {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(StoreOptions options = StoreOptions{}) {
    options.clock = &clock_;
    auto counting = std::make_unique<OwningCountingStorage>(NewMemoryStorage());
    counting_ = counting.get();
    MemoryCacheOptions co;
    co.clock = &clock_;
    auto store = Store::Open(options, std::move(counting), *NewMemoryCache(co));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    admin_ = PrincipalOf(MakeUser(store_->storage(), "admin@example.com", Role::kAdmin));
    alice_ = PrincipalOf(MakeUser(store_->storage(), "alice@example.com"));
    bob_ = PrincipalOf(MakeUser(store_->storage(), "bob@example.com"));
  }

  std::shared_ptr<const Product> AddWatch(const std::string& sku, int64_t price = 100'00,
                                          int64_t stock = 5, int variants = 1) {
    auto p = store_->catalog().CreateProduct(admin_, WatchDraft(sku, price, stock, variants));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }

  CheckoutRequest Checkout(const std::string& key) {
    CheckoutRequest r;
    r.idempotency_key = key;
    r.shipping = ShippingAddress{"Alice Liddell", "2 Rabbit Hole", "", "Oxford", "OX1", "GB"};
    return r;
  }

  FakeClock clock_;
  CountingStorage* counting_ = nullptr;
  std::unique_ptr<Store> store_;
  Principal admin_, alice_, bob_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_SERVICE_FIXTURE_H_
