// 64 threads check out the last 10 units of a watch: exactly 10 are sold,
// stock never goes negative, every order is consistent. Repeated
// WATCHSTORE_CONCURRENCY_ROUNDS times (default 3; the TSan run uses more).
#include <barrier>
#include <cstdlib>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

int Rounds() {
  const char* env = std::getenv("WATCHSTORE_CONCURRENCY_ROUNDS");
  int n = 3;
  if (env != nullptr && absl::SimpleAtoi(env, &n) && n > 0) return n;
  return 3;
}

void RunLastTenUnits(std::unique_ptr<Storage> storage) {
  constexpr int kThreads = 64;
  auto store = *Store::Open(StoreOptions{}, std::move(storage), *NewMemoryCache({}));
  Principal admin = PrincipalOf(MakeUser(store->storage(), "admin@example.com", Role::kAdmin));
  auto product = *store->catalog().CreateProduct(admin, WatchDraft("LAST", 1000'00, 10));
  const VariantId v = product->variants[0].id;
  std::vector<Principal> buyers;
  for (int i = 0; i < kThreads; ++i) {
    buyers.push_back(PrincipalOf(MakeUser(store->storage(), absl::StrCat("b", i, "@example.com"))));
    ASSERT_TRUE(store->carts().AddItem(store->carts().UserOwner(buyers.back()), v, 1).ok());
  }
  std::atomic<int> sold{0}, out_of_stock{0}, other{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      CheckoutRequest r;
      r.idempotency_key = absl::StrCat("key-", i);
      r.shipping = ShippingAddress{"B", "1 Road", "", "Town", "1", "US"};
      start.arrive_and_wait();
      auto result = store->orders().Checkout(buyers[i], r);
      if (result.ok()) {
        ++sold;
      } else if (ReasonOf(result.status()) == reason::kOutOfStock) {
        ++out_of_stock;
      } else {
        ++other;
        ADD_FAILURE() << result.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sold.load(), 10);
  EXPECT_EQ(out_of_stock.load(), kThreads - 10);
  EXPECT_EQ(other.load(), 0);
  auto after = store->storage().GetProduct(product->id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->variants[0].stock, 0);
  OrderQuery q;
  q.limit = 100;
  auto orders = store->storage().ListOrders(q);
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->items.size(), 10u);
  for (const Order& o : orders->items) {
    ASSERT_EQ(o.lines.size(), 1u);
    EXPECT_EQ(o.lines[0].quantity, 1);
    EXPECT_EQ(o.total, Usd(1000'00));
  }
}

TEST(ConcurrencyTest, SixtyFourThreadsLastTenUnitsMemory) {
  for (int round = 0; round < Rounds(); ++round) {
    SCOPED_TRACE(round);
    RunLastTenUnits(NewMemoryStorage());
    if (HasFatalFailure() || HasNonfatalFailure()) break;
  }
}

}  // namespace
}  // namespace watchstore::testing
