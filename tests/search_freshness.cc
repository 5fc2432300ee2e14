#include "search_freshness.h"

#include <array>
#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "test_util.h"
#include "watchstore/store.h"

namespace watchstore::testing {
namespace {

constexpr int kMaxWatches = 90;  // every match fits one page of 100
constexpr int kReaders = 16;
constexpr int64_t kCheap = 500'00;  // the price filter's bound

// What the writer has done to watch `i`; "begun" is set before the call,
// "done" after it returned.
struct WatchState {
  std::atomic<ProductId> id{0};  // 0 until its create returned
  std::atomic<bool> archive_begun{false};
  std::atomic<bool> archive_done{false};
  std::atomic<int64_t> price_begun{0};  // prices only go up
  std::atomic<int64_t> price_done{0};
};

struct Snapshot {
  ProductId id = 0;
  bool archived = false;
  int64_t price = 0;
};

}  // namespace

void ExpectSearchNeverStale(std::unique_ptr<Storage> storage, double seconds) {
  ASSERT_NE(storage, nullptr);
  Storage* raw_storage = storage.get();
  auto store = Store::Open(StoreOptions{}, std::move(storage), *NewMemoryCache({}));
  ASSERT_TRUE(store.ok()) << store.status();
  Catalog& catalog = (*store)->catalog();
  const Principal admin =
      PrincipalOf(MakeUser(*raw_storage, "freshness-admin@example.com", Role::kAdmin));

  std::array<WatchState, kMaxWatches> watches;
  std::atomic<int> created{0};                // watches [0, created) have ids
  std::vector<Product> current(kMaxWatches);  // the writer's own copies

  auto create = [&](int i) {
    ProductDraft d = WatchDraft(absl::StrCat("FR", i), 100'00 + i * 100, 3, 1);
    d.brand = "Zenthos";
    d.model = absl::StrCat("Probe ", i);
    d.attributes.reference = absl::StrCat("ZP-", 1000 + i);
    watches[i].price_begun = watches[i].price_done = d.variants[0].price.minor_units;
    auto p = catalog.CreateProduct(admin, d);
    if (!p.ok()) {
      ADD_FAILURE() << p.status();
      return;
    }
    current[i] = **p;
    watches[i].id = (*p)->id;
    created = i + 1;
  };
  for (int i = 0; i < 30; ++i) create(i);

  std::atomic<bool> stop{false};
  std::atomic<int> searches{0}, violations{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (!stop.load()) {
        const bool cheap_only = r % 2 == 1;
        // The committed state before the search.
        const int n = created.load();
        std::vector<Snapshot> before(n);
        for (int i = 0; i < n; ++i) {
          before[i].archived = watches[i].archive_done.load();
          before[i].price = watches[i].price_done.load();
          before[i].id = watches[i].id.load();
        }
        ProductQuery q;
        q.text = rng() % 2 ? "zenthos probe" : "zentos";  // a fragment and a typo
        q.limit = 100;
        if (cheap_only) q.max_price_minor = kCheap;
        auto page = catalog.ListProducts(q, "");
        if (!page.ok()) {
          ADD_FAILURE() << page.status();
          ++violations;
          return;
        }
        ++searches;
        EXPECT_TRUE(page->next_cursor.empty());
        for (int i = 0; i < n; ++i) {
          const Snapshot& b = before[i];
          const std::shared_ptr<const Product>* shown = nullptr;
          for (const auto& p : page->items) {
            if (p->id == b.id) shown = &p;
          }
          if (shown != nullptr) {
            const int64_t price = (*shown)->MinPrice().minor_units;
            if (b.archived || price < b.price || (cheap_only && b.price > kCheap)) {
              ADD_FAILURE() << "watch " << i << " shown stale: archived " << b.archived
                            << ", price " << price << " < committed " << b.price;
              ++violations;
            }
          } else {
            // Absent: only if archived or priced out by a write begun by now.
            const bool archived_since = watches[i].archive_begun.load();
            const bool priced_out = cheap_only && watches[i].price_begun.load() > kCheap;
            if (!archived_since && !priced_out) {
              ADD_FAILURE() << "watch " << i << " missing from search";
              ++violations;
            }
          }
        }
      }
    });
  }

  std::mt19937 rng(7);
  const absl::Time end = absl::Now() + absl::Seconds(seconds);
  int writes = 0;
  while (absl::Now() < end && violations.load() == 0) {
    const int n = created.load();
    const int op = static_cast<int>(rng() % 3);
    if (op == 0 && n < kMaxWatches) {
      create(n);
    } else {
      const int i = static_cast<int>(rng() % n);
      WatchState& w = watches[i];
      if (w.archive_begun.load()) continue;
      if (op == 1 && rng() % 4 == 0) {
        w.archive_begun = true;
        auto p = catalog.ArchiveProduct(admin, w.id.load(), current[i].version);
        if (!p.ok()) {
          ADD_FAILURE() << p.status();
          break;
        }
        current[i] = **p;
        w.archive_done = true;
      } else {
        ProductDraft d = WatchDraft(absl::StrCat("FR", i), 0, 0, 1);
        d.brand = current[i].brand;
        d.model = current[i].model;
        d.attributes = current[i].attributes;
        d.variants[0].id = current[i].variants[0].id;
        const int64_t price = w.price_done.load() + 37'00;  // some cross kCheap
        d.variants[0].price = Usd(price);
        w.price_begun = price;
        auto p = catalog.UpdateProduct(admin, w.id.load(), current[i].version, d);
        if (!p.ok()) {
          ADD_FAILURE() << p.status();
          break;
        }
        current[i] = **p;
        w.price_done = price;
      }
    }
    ++writes;
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(writes, 20) << "too few writes to prove anything";
  EXPECT_GT(searches.load(), 100) << "too few searches to prove anything";
}

}  // namespace watchstore::testing
