// Concurrency on the SQLite adapter under mixed load, straight through
// Storage. (The 64-buyer race is
// StorageConformanceTest.SixtyFourBuyersForTheLastTenUnits.)
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "search_freshness.h"
#include "sqlite/sqlite_test_util.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// Buyers, cancellers and readers at once, for a second: at the end every
// variant's stock is its initial stock minus what live orders hold.
TEST(SqliteConcurrencyTest, StockArithmeticHoldsUnderMixedLoad) {
  constexpr int kProducts = 5;
  constexpr int64_t kInitial = 60;
  TempDir dir;
  SqliteOptions o = OptionsFor(dir.NewFile());
  o.synchronous = SqliteOptions::Synchronous::kNormal;  // more transactions per second
  auto opened = NewSqliteStorage(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Storage& s = **opened;
  std::vector<VariantId> variants;
  for (int i = 0; i < kProducts; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(Product p,
                            s.CreateProduct(WatchDraft(absl::StrCat("M", i), 100, kInitial), kT0));
    variants.push_back(p.variants[0].id);
  }
  std::vector<UserId> users;
  for (int i = 0; i < 8; ++i) users.push_back(MakeUser(s, absl::StrCat("u", i, "@example.com")).id);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {  // buyers, some also cancel
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int k = 0; !stop.load(); ++k) {
        NewOrder order;
        order.user_id = users[t];
        order.idempotency_key = absl::StrCat("k", k);
        order.request_fingerprint = "fp";
        order.shipping = ShippingAddress{"B", "1", "", "C", "1", "GB"};
        order.now = kT0;
        const int a = rng() % kProducts, b = rng() % kProducts;
        order.lines.push_back({variants[std::min(a, b)], 1 + static_cast<int64_t>(rng() % 3)});
        if (a != b) order.lines.push_back({variants[std::max(a, b)], 1});
        auto r = s.PlaceOrder(order);
        if (!r.ok()) {
          if (ReasonOf(r.status()) != reason::kOutOfStock) ++failures;
          continue;
        }
        if (rng() % 3 == 0) {
          auto c =
              s.TransitionOrder(r->order.id, OrderStatus::kPending, OrderStatus::kCancelled, kT0);
          if (!c.ok()) ++failures;
        }
      }
    });
  }
  for (int t = 0; t < 4; ++t) {  // readers
    threads.emplace_back([&] {
      while (!stop.load()) {
        ProductQuery q;
        q.in_stock_only = true;
        auto page = s.ListProducts(q);
        if (!page.ok()) ++failures;
        for (const Product& p : page.ok() ? page->items : std::vector<Product>{}) {
          if (p.TotalStock() <= 0) ++failures;  // in_stock_only and the snapshot agree
        }
      }
    });
  }
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  std::map<VariantId, int64_t> held;
  OrderQuery q;
  q.limit = 100;
  for (;;) {
    WS_ASSERT_OK_AND_ASSIGN(OrderPage page, s.ListOrders(q));
    for (const Order& order : page.items) {
      if (order.status == OrderStatus::kCancelled) continue;
      for (const OrderLine& l : order.lines) held[l.variant_id] += l.quantity;
    }
    if (!page.has_more) break;
    q.before_id = page.items.back().id;
  }
  for (VariantId v : variants) {
    WS_ASSERT_OK_AND_ASSIGN(ProductId pid, s.FindProductIdByVariant(v));
    WS_ASSERT_OK_AND_ASSIGN(Product p, s.GetProduct(pid));
    EXPECT_GE(p.variants[0].stock, 0);
    EXPECT_EQ(p.variants[0].stock + held[v], kInitial) << "variant " << v;
  }
}

// 16 readers search while a writer creates, archives and re-prices: no
// search contradicts a write that returned before it began.
TEST(SqliteSearchConcurrency, SearchIsNeverStale) {
  TempDir dir;
  auto opened = NewSqliteStorage(OptionsFor(dir.NewFile()));
  ASSERT_TRUE(opened.ok()) << opened.status();
  ExpectSearchNeverStale(*std::move(opened), 3.0);
}

}  // namespace
}  // namespace watchstore::testing
