// Concurrency on the SQLite adapter: many threads through watchstore::Store
// (the real checkout path) and straight through Storage.
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "sqlite/sqlite_test_util.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(SqliteConcurrencyTest, SixtyFourBuyersForTheLastTenUnits) {
  constexpr int kBuyers = 64;
  constexpr int kUnits = 10;
  TempDir dir;
  const std::string path = dir.NewFile();
  auto storage = NewSqliteStorage(OptionsFor(path));
  ASSERT_TRUE(storage.ok()) << storage.status();
  FakeClock clock;
  MemoryCacheOptions co;
  co.clock = &clock;
  auto store = Store::Open(TestStoreOptions(&clock), *std::move(storage), *NewMemoryCache(co));
  ASSERT_TRUE(store.ok()) << store.status();
  Store& s = **store;

  const Principal admin = PrincipalOf(MakeUser(s.storage(), "admin@example.com", Role::kAdmin));
  WS_ASSERT_OK_AND_ASSIGN(auto product,
                          s.catalog().CreateProduct(admin, WatchDraft("LAST", 4'200'00, kUnits)));
  const VariantId variant = product->variants[0].id;
  std::vector<Principal> buyers;
  for (int i = 0; i < kBuyers; ++i) {
    // Users made in Storage directly: 64 Argon2 hashes would dominate the test.
    buyers.push_back(PrincipalOf(MakeUser(s.storage(), absl::StrCat("buyer", i, "@example.com"))));
    WS_ASSERT_OK(s.carts().AddItem(s.carts().UserOwner(buyers.back()), variant, 1));
  }

  absl::Barrier* start = new absl::Barrier(kBuyers);  // deletes itself
  std::vector<absl::StatusOr<CheckoutResult>> results(kBuyers, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      CheckoutRequest r;
      r.idempotency_key = absl::StrCat("checkout-", i);
      r.shipping = ShippingAddress{"Buyer", "1 Main St", "", "Geneva", "1201", "CH"};
      if (start->Block()) delete start;
      results[i] = s.orders().Checkout(buyers[i], r);
    });
  }
  for (auto& t : threads) t.join();

  int sold = 0;
  for (int i = 0; i < kBuyers; ++i) {
    const auto& r = results[i];
    WS_ASSERT_OK_AND_ASSIGN(auto cart, s.storage().GetCart(CartOwner::ForUser(buyers[i].user_id)));
    if (r.ok()) {
      ++sold;
      EXPECT_FALSE(r->replayed);
      EXPECT_EQ(r->order.user_id, buyers[i].user_id);
      ASSERT_EQ(r->order.lines.size(), 1u);
      EXPECT_EQ(r->order.lines[0].quantity, 1);
      EXPECT_EQ(r->order.total, Usd(4'200'00));
      EXPECT_TRUE(cart.empty()) << "buyer " << i;
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
      EXPECT_EQ(ReasonOf(r.status()), reason::kOutOfStock) << r.status();
      EXPECT_EQ(cart.size(), 1u) << "a refused checkout left the cart alone";
    }
  }
  EXPECT_EQ(sold, kUnits);
  WS_ASSERT_OK_AND_ASSIGN(Product after, s.storage().GetProduct(product->id));
  EXPECT_EQ(after.variants[0].stock, 0);
  OrderQuery all;
  all.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage orders, s.storage().ListOrders(all));
  ASSERT_EQ(orders.items.size(), static_cast<size_t>(kUnits));
  for (const Order& o : orders.items) {
    ASSERT_EQ(o.lines.size(), 1u);
    EXPECT_EQ(o.lines[0].variant_id, variant);
    EXPECT_EQ(o.lines[0].quantity, 1);
    EXPECT_EQ(o.total, o.lines[0].line_total);
  }
  // And in the file itself, without the adapter.
  RawDb raw(path);
  EXPECT_EQ(raw.Scalar("SELECT min(stock) FROM variants"), 0);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM orders"), kUnits);
  EXPECT_EQ(raw.Scalar("SELECT sum(quantity) FROM order_lines"), kUnits);
  EXPECT_EQ(raw.Scalar("SELECT total_stock FROM products WHERE id = " + absl::StrCat(product->id)), 0);
}

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
    WS_ASSERT_OK_AND_ASSIGN(Product p, s.CreateProduct(WatchDraft(absl::StrCat("M", i), 100, kInitial), kT0));
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
          auto c = s.TransitionOrder(r->order.id, OrderStatus::kPending, OrderStatus::kCancelled, kT0);
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

}  // namespace
}  // namespace watchstore::testing
