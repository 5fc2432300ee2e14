// Reads through watchstore::Store on cache hits, each beside its floor
// measured in the same run:
//   product detail, Redis hit (Store whose cache is the Redis cache alone)
//     vs a raw hiredis GET of the same key (same payload, same loopback);
//   product detail, L1 hit (tiered cache)
//     vs a mutex-guarded std::unordered_map find;
//   a listing page (20 watches), Redis hit and L1 hit
//     vs a raw hiredis GET of a value of the page's encoded size.
//
//   WATCHSTORE_BENCH_REDIS_URL=redis://127.0.0.1:PORT/0 (or
//   WATCHSTORE_TEST_REDIS_URL) redis_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "redis/redis_url.h"
#include "watchstore/redis_cache.h"
#include "watchstore/store.h"
#include "watchstore/tiered_cache.h"

namespace watchstore {
namespace {

std::string g_url;

ProductDraft Draft(int i) {
  ProductDraft d;
  d.brand = "Aldenmark";
  d.model = absl::StrCat("Tidewater ", i);
  d.description =
      "A steel diver with a ceramic bezel, sapphire crystal and a screw-down crown. "
      "Automatic movement with a 70-hour power reserve.";
  d.attributes.movement = Movement::kAutomatic;
  d.attributes.case_diameter_mm = 40;
  d.attributes.case_material = "steel";
  d.attributes.water_resistance_m = 200;
  d.attributes.strap = "steel bracelet";
  d.collections = {"Dive", "Sport"};
  d.images = {{"/img/watches/w01.svg", "The watch", 0}};
  for (int v = 0; v < 2; ++v) {
    VariantDraft vd;
    vd.sku = absl::StrCat("BENCH-", i, "-", v);
    vd.dial_color = v == 0 ? "black" : "blue";
    vd.strap = "bracelet";
    vd.price = Money{250'00 + v * 10'00, Currency()};
    vd.stock = 10;
    d.variants.push_back(vd);
  }
  return d;
}

struct Fixture {
  std::unique_ptr<Store> redis_store;   // cache: Redis alone
  std::unique_ptr<Store> tiered_store;  // cache: memory L1 + Redis
  ProductId product = 0;
  std::string ns;
  size_t product_bytes = 0;
  size_t page_bytes = 0;
  redisContext* raw = nullptr;
  std::string raw_product_key;
  std::string raw_page_key;
};

Fixture* Setup() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    fx->ns = absl::StrCat("bench-", getpid());
    RedisOptions o;
    o.url = g_url;
    o.key_namespace = fx->ns;
    o.command_timeout = absl::Seconds(1);
    o.connect_timeout = absl::Seconds(1);
    auto redis = NewRedisCache(o);
    // Its own namespace: the tiered cache's L2 values have another format.
    RedisOptions tiered_options = o;
    tiered_options.key_namespace = fx->ns + "-tiered";
    auto tiered = NewTieredRedisCache(tiered_options, {}, {});
    if (!redis.ok() || !tiered.ok()) {
      std::cerr << "cannot open caches\n";
      std::exit(1);
    }
    auto s1 = Store::Open(StoreOptions{}, NewMemoryStorage(), *std::move(redis));
    auto s2 = Store::Open(StoreOptions{}, NewMemoryStorage(), *std::move(tiered));
    if (!s1.ok() || !s2.ok()) std::exit(1);
    fx->redis_store = *std::move(s1);
    fx->tiered_store = *std::move(s2);
    // The same 20 products in both (ids match: fresh storages).
    for (Store* s : {fx->redis_store.get(), fx->tiered_store.get()}) {
      auto admin = s->storage().CreateUser(
          NewUser{"admin@example.com", "$argon2id$x", Role::kAdmin, absl::Now()});
      if (!admin.ok()) std::exit(1);
      Principal p{admin->id, Role::kAdmin, admin->email};
      for (int i = 0; i < 20; ++i) {
        auto made = s->catalog().CreateProduct(p, Draft(i));
        if (!made.ok()) {
          std::cerr << made.status() << "\n";
          std::exit(1);
        }
        fx->product = (*made)->id;
      }
    }
    // The raw client talks to the same server and database as the cache,
    // with the same credentials (the URL's parser is the adapter's own).
    auto endpoint = internal::ParseRedisUrl(g_url);
    if (!endpoint.ok()) {
      std::cerr << endpoint.status() << "\n";
      std::exit(1);
    }
    fx->raw = redisConnect(endpoint->host.c_str(), endpoint->port);
    if (fx->raw == nullptr || fx->raw->err) {
      std::cerr << "raw connect failed\n";
      std::exit(1);
    }
    if (!endpoint->password.empty()) {
      auto* r = static_cast<redisReply*>(
          endpoint->user.empty()
              ? redisCommand(fx->raw, "AUTH %b", endpoint->password.data(),
                             endpoint->password.size())
              : redisCommand(fx->raw, "AUTH %b %b", endpoint->user.data(), endpoint->user.size(),
                             endpoint->password.data(), endpoint->password.size()));
      const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
      if (r != nullptr) freeReplyObject(r);
      if (!ok) {
        std::cerr << "raw AUTH failed\n";
        std::exit(1);
      }
    }
    if (endpoint->db != 0) {
      auto* r = static_cast<redisReply*>(redisCommand(fx->raw, "SELECT %d", endpoint->db));
      const bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
      if (r != nullptr) freeReplyObject(r);
      if (!ok) {
        std::cerr << "raw SELECT " << endpoint->db << " failed\n";
        std::exit(1);
      }
    }
    // The raw GETs read the very keys the Redis cache filled: same payload.
    if (!fx->redis_store->catalog().GetProduct(fx->product).ok() ||
        !fx->redis_store->catalog().ListProducts({}, "").ok()) {
      std::cerr << "warm-up failed\n";
      std::exit(1);
    }
    fx->raw_product_key = absl::StrCat(fx->ns, ":v1:p:", fx->product);
    const std::string pattern = absl::StrCat(fx->ns, ":v1:l:*");
    auto* scan = static_cast<redisReply*>(
        redisCommand(fx->raw, "SCAN 0 MATCH %s COUNT 100000", pattern.c_str()));
    if (scan == nullptr || scan->type != REDIS_REPLY_ARRAY || scan->elements != 2 ||
        scan->element[1]->elements != 1) {
      std::cerr << "cannot find the cached listing page\n";
      std::exit(1);
    }
    fx->raw_page_key.assign(scan->element[1]->element[0]->str, scan->element[1]->element[0]->len);
    freeReplyObject(scan);
    for (std::string* key : {&fx->raw_product_key, &fx->raw_page_key}) {
      auto* r =
          static_cast<redisReply*>(redisCommand(fx->raw, "STRLEN %b", key->data(), key->size()));
      if (r == nullptr || r->type != REDIS_REPLY_INTEGER || r->integer == 0) {
        std::cerr << "missing " << *key << "\n";
        std::exit(1);
      }
      (key == &fx->raw_product_key ? fx->product_bytes : fx->page_bytes) =
          static_cast<size_t>(r->integer);
      freeReplyObject(r);
    }
    std::cerr << "stored values: product " << fx->product_bytes << " B, page of 20 "
              << fx->page_bytes << " B\n";
    return fx;
  }();
  return f;
}

void RawGet(benchmark::State& state, const std::string& key) {
  Fixture* f = Setup();
  for (auto _ : state) {
    auto* r = static_cast<redisReply*>(redisCommand(f->raw, "GET %b", key.data(), key.size()));
    if (r == nullptr || r->type != REDIS_REPLY_STRING) {
      state.SkipWithError("raw GET failed");
      if (r != nullptr) freeReplyObject(r);
      break;
    }
    benchmark::DoNotOptimize(r->str);
    freeReplyObject(r);
  }
}

void BM_RawHiredisGet_ProductPayload(benchmark::State& state) {
  RawGet(state, Setup()->raw_product_key);
  state.SetLabel(absl::StrCat(Setup()->product_bytes, " B"));
}
BENCHMARK(BM_RawHiredisGet_ProductPayload);

void BM_StoreGetProduct_RedisHit(benchmark::State& state) {
  Fixture* f = Setup();
  Catalog& c = f->redis_store->catalog();
  if (!c.GetProduct(f->product).ok()) state.SkipWithError("warm-up failed");
  const CacheStats before = f->redis_store->cache().Stats();
  for (auto _ : state) {
    auto p = c.GetProduct(f->product);
    benchmark::DoNotOptimize(p);
  }
  const CacheStats after = f->redis_store->cache().Stats();
  if (after.hits - before.hits < static_cast<int64_t>(state.iterations())) {
    state.SkipWithError("not every read was a Redis hit");
  }
}
BENCHMARK(BM_StoreGetProduct_RedisHit);

// The adapter alone: Cache::Get of the product key with a copying decoder.
void BM_RedisCacheGet_ProductKey(benchmark::State& state) {
  Fixture* f = Setup();
  Cache& cache = f->redis_store->cache();
  const std::string key = absl::StrCat("p:", f->product);
  const CacheDecoder decode = [](absl::string_view b) -> CacheValuePtr {
    return std::make_shared<const CacheValue>(CacheValue{std::string(b), nullptr});
  };
  for (auto _ : state) {
    CacheValuePtr v = cache.Get(key, decode);
    if (v == nullptr) {
      state.SkipWithError("miss");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_RedisCacheGet_ProductKey);

void BM_MutexMapFind(benchmark::State& state) {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const Product>> map;
  for (int i = 1; i <= 1000; ++i) {
    map.emplace(absl::StrCat("p:", i), std::make_shared<const Product>());
  }
  const std::string key = "p:500";
  for (auto _ : state) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = map.find(key);
    benchmark::DoNotOptimize(it);
  }
}
BENCHMARK(BM_MutexMapFind);

void BM_StoreGetProduct_L1Hit(benchmark::State& state) {
  Fixture* f = Setup();
  Catalog& c = f->tiered_store->catalog();
  // Fill, let our own announcement of the fill land, read again into L1.
  for (int i = 0; i < 3; ++i) {
    if (!c.GetProduct(f->product).ok()) state.SkipWithError("warm-up failed");
    usleep(20'000);
  }
  for (auto _ : state) {
    auto p = c.GetProduct(f->product);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_StoreGetProduct_L1Hit);

void BM_RawHiredisGet_PagePayload(benchmark::State& state) {
  // Listing pages live 30 s: refill the same key (same generation) first.
  if (!Setup()->redis_store->catalog().ListProducts({}, "").ok()) {
    state.SkipWithError("warm-up failed");
  }
  RawGet(state, Setup()->raw_page_key);
  state.SetLabel(absl::StrCat(Setup()->page_bytes, " B"));
}
BENCHMARK(BM_RawHiredisGet_PagePayload);

void BM_StoreListProducts_RedisHit(benchmark::State& state) {
  Fixture* f = Setup();
  Catalog& c = f->redis_store->catalog();
  if (!c.ListProducts({}, "").ok()) state.SkipWithError("warm-up failed");
  for (auto _ : state) {
    auto l = c.ListProducts({}, "");
    benchmark::DoNotOptimize(l);
  }
  state.SetLabel("2 GETs: generation + page");
}
BENCHMARK(BM_StoreListProducts_RedisHit);

void BM_StoreListProducts_L1Hit(benchmark::State& state) {
  Fixture* f = Setup();
  Catalog& c = f->tiered_store->catalog();
  for (int i = 0; i < 3; ++i) {
    if (!c.ListProducts({}, "").ok()) state.SkipWithError("warm-up failed");
    usleep(20'000);
  }
  for (auto _ : state) {
    auto l = c.ListProducts({}, "");
    benchmark::DoNotOptimize(l);
  }
}
BENCHMARK(BM_StoreListProducts_L1Hit);

// --- Paired: both sides interleaved op by op -----------------------------
// On a shared, loaded machine, back-to-back benchmarks see different load.
// These alternate the floor and our path within every iteration and report
// the median of each side's per-operation latency (counters, in ns) and
// their ratio: the comparison the acceptance criteria ask for.

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Median(std::vector<double>& v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

void Report(benchmark::State& state, std::vector<double>& floor, std::vector<double>& ours) {
  const double f = Median(floor);
  const double o = Median(ours);
  state.counters["floor_p50_ns"] = f;
  state.counters["ours_p50_ns"] = o;
  state.counters["ratio"] = f > 0 ? o / f : 0;
}

void BM_Paired_RedisHitGetProduct_vs_RawGet(benchmark::State& state) {
  Fixture* f = Setup();
  Catalog& c = f->redis_store->catalog();
  if (!c.GetProduct(f->product).ok()) state.SkipWithError("warm-up failed");
  const std::string& key = f->raw_product_key;
  const CacheStats before = f->redis_store->cache().Stats();
  std::vector<double> floor, ours;
  bool raw_first = false;
  for (auto _ : state) {
    raw_first = !raw_first;
    for (int side = 0; side < 2; ++side) {
      const int64_t t0 = NowNs();
      if ((side == 0) == raw_first) {
        auto* r = static_cast<redisReply*>(redisCommand(f->raw, "GET %b", key.data(), key.size()));
        if (r == nullptr) {
          state.SkipWithError("raw GET failed");
          return;
        }
        freeReplyObject(r);
        floor.push_back(static_cast<double>(NowNs() - t0));
      } else {
        auto p = c.GetProduct(f->product);
        benchmark::DoNotOptimize(p);
        ours.push_back(static_cast<double>(NowNs() - t0));
      }
    }
  }
  Report(state, floor, ours);
  state.counters["cache_misses"] =
      static_cast<double>(f->redis_store->cache().Stats().misses - before.misses);
}
BENCHMARK(BM_Paired_RedisHitGetProduct_vs_RawGet)->Iterations(20000);

void BM_Paired_L1HitGetProduct_vs_MutexMapFind(benchmark::State& state) {
  Fixture* f = Setup();
  Catalog& c = f->tiered_store->catalog();
  for (int i = 0; i < 3; ++i) {
    if (!c.GetProduct(f->product).ok()) state.SkipWithError("warm-up failed");
    usleep(20'000);
  }
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<const Product>> map;
  for (int i = 1; i <= 1000; ++i)
    map.emplace(absl::StrCat("p:", i), std::make_shared<const Product>());
  const std::string key = "p:500";
  constexpr int kBatch = 64;  // per-op times below the clock's resolution
  std::vector<double> floor, ours;
  bool map_first = false;
  for (auto _ : state) {
    map_first = !map_first;
    for (int side = 0; side < 2; ++side) {
      const int64_t t0 = NowNs();
      if ((side == 0) == map_first) {
        for (int i = 0; i < kBatch; ++i) {
          std::lock_guard<std::mutex> lock(mu);
          auto it = map.find(key);
          benchmark::DoNotOptimize(it);
        }
        floor.push_back(static_cast<double>(NowNs() - t0) / kBatch);
      } else {
        for (int i = 0; i < kBatch; ++i) {
          auto p = c.GetProduct(f->product);
          benchmark::DoNotOptimize(p);
        }
        ours.push_back(static_cast<double>(NowNs() - t0) / kBatch);
      }
    }
  }
  Report(state, floor, ours);
}
BENCHMARK(BM_Paired_L1HitGetProduct_vs_MutexMapFind)->Iterations(20000);

}  // namespace
}  // namespace watchstore

int main(int argc, char** argv) {
  const char* url = std::getenv("WATCHSTORE_BENCH_REDIS_URL");
  if (url == nullptr) url = std::getenv("WATCHSTORE_TEST_REDIS_URL");
  if (url == nullptr) {
    std::cerr
        << "redis_bench: set WATCHSTORE_BENCH_REDIS_URL (scripts/services.sh start-redis DIR)\n";
    return 0;
  }
  watchstore::g_url = url;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
