// 64 threads check out the last 10 units of a watch: exactly 10 are sold,
// stock never goes negative, every order is consistent. Repeated
// WATCHSTORE_CONCURRENCY_ROUNDS times (default 3; the TSan run uses more).
#include <barrier>
#include <cstdlib>
#include <thread>
#include <vector>

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

// Readers on several threads (each with its own near front of products,
// served without the cache's lock) never see a product older than a write
// that had returned before their read began, while a writer re-prices it.
TEST(ConcurrencyTest, ProductReadersNeverSeeAVersionOlderThanAReturnedWrite) {
  constexpr int kReaders = 4;
  // The writer makes at least kWrites updates, and goes on (up to
  // kMaxWrites) until the readers have read kMinReads times between them:
  // on the memory storage 300 writes can be over before a thread starts.
  constexpr int kWrites = 300;
  constexpr int kMaxWrites = 200'000;
  constexpr int64_t kMinReads = 2'000;
  auto store = *Store::Open(StoreOptions{}, NewMemoryStorage(), *NewMemoryCache({}));
  Principal admin = PrincipalOf(MakeUser(store->storage(), "admin@example.com", Role::kAdmin));
  auto product = *store->catalog().CreateProduct(admin, WatchDraft("FRONT", 100'00));
  auto other = *store->catalog().CreateProduct(admin, WatchDraft("OTHER", 100'00));
  std::atomic<int64_t> returned{product->version};
  std::atomic<bool> done{false};
  std::atomic<int> reading{0};
  std::atomic<int64_t> reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&] {
      reading.fetch_add(1);
      while (!done.load(std::memory_order_acquire)) {
        const int64_t floor = returned.load(std::memory_order_acquire);
        auto p = store->catalog().GetProduct(product->id);
        ASSERT_TRUE(p.ok()) << p.status();
        ASSERT_GE((*p)->version, floor);
        ASSERT_TRUE(store->catalog().GetProduct(other->id).ok());
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  while (reading.load() < kReaders) std::this_thread::yield();
  std::shared_ptr<const Product> current = product;
  for (int i = 0; i < kMaxWrites && (i < kWrites || reads.load() < kMinReads); ++i) {
    ProductDraft d = WatchDraft("FRONT", 100'00 + i % 1000);
    d.variants[0].id = current->variants[0].id;
    auto updated = store->catalog().UpdateProduct(admin, current->id, current->version, d);
    if (!updated.ok()) {
      ADD_FAILURE() << updated.status();
      break;
    }
    current = *updated;
    returned.store(current->version, std::memory_order_release);
  }
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_GE(reads.load(), kMinReads);
  auto last = store->catalog().GetProduct(product->id);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)->version, current->version);
}

}  // namespace
}  // namespace watchstore::testing
