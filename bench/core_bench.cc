// Hot paths of the core on the in-memory adapters, each beside its floor:
// a mutex-guarded std::unordered_map find measured in the same run.
//
//   build/bench/core_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "watchstore/store.h"

namespace watchstore {
namespace {

constexpr int kProducts = 1000;

// A cache that never holds anything: every read goes to Storage.
class NullCache final : public Cache {
 public:
  CacheValuePtr Lookup(absl::string_view, const CacheDecoder&, FillTicket*) override {
    return nullptr;
  }
  std::vector<CacheValuePtr> LookupMany(absl::Span<const std::string> keys, const CacheDecoder&,
                                        std::vector<FillTicket>*) override {
    return std::vector<CacheValuePtr>(keys.size());
  }
  bool Fill(absl::string_view, CacheValuePtr, absl::Duration, const FillTicket&) override {
    return true;
  }
  void Put(absl::string_view, CacheValuePtr, absl::Duration) override {}
  void Erase(absl::string_view) override {}
  absl::Status Ping() override { return absl::OkStatus(); }
  CacheStats Stats() const override { return {}; }
  absl::string_view Kind() const override { return "null"; }
};

ProductDraft Draft(int i) {
  ProductDraft d;
  d.brand = i % 2 ? "Aldenmark" : "Brevik";
  d.model = absl::StrCat("Model ", i);
  d.description = std::string(400, 'd');
  d.attributes.movement = Movement::kAutomatic;
  d.attributes.case_diameter_mm = 36 + i % 8;
  d.attributes.case_material = "steel";
  d.attributes.water_resistance_m = 100;
  d.attributes.strap = "leather";
  d.collections = {"Dive", "Everyday"};
  for (int v = 0; v < 2; ++v) {
    d.variants.push_back(VariantDraft{0, absl::StrCat("SKU-", i, "-", v), "black", "leather", "",
                                      Money{100'00 + i * 10 + v, Currency()}, 1'000'000});
  }
  return d;
}

struct Fixture {
  std::unique_ptr<Store> store;
  Principal admin;
  std::vector<ProductId> ids;
  std::vector<VariantId> variants;

  explicit Fixture(std::unique_ptr<Cache> cache) {
    store = *Store::Open(StoreOptions{}, NewMemoryStorage(), std::move(cache));
    auto u =
        store->storage().CreateUser(NewUser{"admin@example.com", "x", Role::kAdmin, absl::Now()});
    admin = Principal{u->id, Role::kAdmin, u->email};
    for (int i = 0; i < kProducts; ++i) {
      auto p = *store->catalog().CreateProduct(admin, Draft(i));
      ids.push_back(p->id);
      variants.push_back(p->variants[0].id);
    }
  }
};

Fixture& Warm() {
  static Fixture* f = new Fixture(*NewMemoryCache(MemoryCacheOptions{}));
  return *f;
}
Fixture& Cold() {
  static Fixture* f = new Fixture(std::make_unique<NullCache>());
  return *f;
}

// The floor: a find in a mutex-guarded std::unordered_map.
void BM_Floor_MutexMapFind(benchmark::State& state) {
  static std::mutex mu;
  static std::unordered_map<int64_t, std::shared_ptr<const int>>* map = [] {
    auto* m = new std::unordered_map<int64_t, std::shared_ptr<const int>>();
    for (int i = 1; i <= kProducts; ++i) (*m)[i] = std::make_shared<const int>(i);
    return m;
  }();
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  for (auto _ : state) {
    const int64_t key = 1 + static_cast<int64_t>(rng() % kProducts);
    std::lock_guard<std::mutex> lock(mu);
    auto it = map->find(key);
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_Floor_MutexMapFind)->Threads(1)->Threads(2);

// Product detail through the public API, warm cache: a shared snapshot, no copy.
void BM_ProductGet_WarmCache(benchmark::State& state) {
  Fixture& f = Warm();
  for (ProductId id : f.ids) (void)f.store->catalog().GetProduct(id);
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  for (auto _ : state) {
    auto p = f.store->catalog().GetProduct(f.ids[rng() % f.ids.size()]);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ProductGet_WarmCache)->Threads(1)->Threads(2);

// The same over a hot set of 64 products: every read finds its product in
// the thread's front (ThreadFront) once warm, where the 1,000 of
// BM_ProductGet_WarmCache share 1,024 direct-mapped slots (about 64% of
// reads are front hits, the rest take the cache's locked path).
void BM_ProductGet_WarmFrontHot64(benchmark::State& state) {
  Fixture& f = Warm();
  std::mt19937 rng(static_cast<unsigned>(state.thread_index()));
  for (auto _ : state) {
    auto p = f.store->catalog().GetProduct(f.ids[rng() % 64]);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ProductGet_WarmFrontHot64)->Threads(1)->Threads(2);

// Product detail with every read missing the cache (memory storage behind).
void BM_ProductGet_ColdCache(benchmark::State& state) {
  Fixture& f = Cold();
  std::mt19937 rng(1);
  for (auto _ : state) {
    auto p = f.store->catalog().GetProduct(f.ids[rng() % f.ids.size()]);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_ProductGet_ColdCache);

void ListPage(benchmark::State& state, Fixture& f) {
  ProductQuery q;
  q.brand = "Aldenmark";
  q.min_case_mm = 38;
  q.sort = ProductSort::kPriceAsc;
  q.limit = 20;
  for (auto _ : state) {
    auto page = f.store->catalog().ListProducts(q, "");
    benchmark::DoNotOptimize(page);
  }
}
void BM_ListPage20_WarmCache(benchmark::State& state) { ListPage(state, Warm()); }
void BM_ListPage20_ColdCache(benchmark::State& state) { ListPage(state, Cold()); }
BENCHMARK(BM_ListPage20_WarmCache);
BENCHMARK(BM_ListPage20_ColdCache);

// Fill a cart with 3 lines and check out (memory storage).
void BM_Checkout3Lines(benchmark::State& state) {
  Fixture& f = Warm();
  static int run = 0;  // one buyer per run (repetitions re-enter)
  auto u = f.store->storage().CreateUser(
      NewUser{absl::StrCat("buyer", run++, "@example.com"), "x", Role::kCustomer, absl::Now()});
  const Principal buyer{u->id, Role::kCustomer, u->email};
  const CartOwner cart = f.store->carts().UserOwner(buyer);
  static int64_t n = 0;  // idempotency keys unique across repetitions
  for (auto _ : state) {
    for (int i = 0; i < 3; ++i) (void)f.store->carts().AddItem(cart, f.variants[(n + i) % 100], 1);
    CheckoutRequest r;
    r.idempotency_key = absl::StrCat("k", n++);
    r.shipping = ShippingAddress{"A", "1 Road", "", "Town", "1", "US"};
    auto placed = f.store->orders().Checkout(buyer, r);
    if (!placed.ok()) state.SkipWithError(placed.status().ToString().c_str());
  }
}
BENCHMARK(BM_Checkout3Lines);

// Argon2id at libsodium's INTERACTIVE limits (what registration costs).
void BM_PasswordHash(benchmark::State& state) {
  Fixture& f = Warm();
  static int n = 0;
  for (auto _ : state) {
    auto r = f.store->accounts().Register(absl::StrCat("u", n++, "@example.com"),
                                          "correct horse battery staple");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_PasswordHash)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
}  // namespace watchstore

BENCHMARK_MAIN();
