// Embeds libwatchstore the way a production service would: PostgreSQL for the
// durable state (shared by every instance) and a tiered cache (in-process L1
// in front of Redis, kept coherent across instances by Redis pub/sub).
//
//   postgres_redis [POSTGRES_URL [REDIS_URL]]
//
// The URLs default to $WATCHSTORE_DATABASE_URL and $WATCHSTORE_REDIS_URL, e.g.
//   postgres://watchstore:secret@127.0.0.1:5432/watchstore
//   redis://127.0.0.1:6379/0
// Opening the storage applies pending migrations. Every run adds its own
// watch and shopper (named after the time), so it can run again and again.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "watchstore/errors.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/redis_cache.h"
#include "watchstore/store.h"
#include "watchstore/tiered_cache.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  // Status messages never hold the URLs' passwords; still, print only the code
  // and reason for errors a user could paste somewhere.
  std::fprintf(stderr, "%s: %s (%s)\n", what, std::string(status.message()).c_str(),
               watchstore::ReasonOf(status).c_str());
  return 1;
}

std::string Arg(int argc, char** argv, int i, const char* env) {
  if (argc > i) return argv[i];
  const char* v = std::getenv(env);
  return v != nullptr ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace watchstore;

  const std::string postgres_url = Arg(argc, argv, 1, "WATCHSTORE_DATABASE_URL");
  const std::string redis_url = Arg(argc, argv, 2, "WATCHSTORE_REDIS_URL");
  if (postgres_url.empty() || redis_url.empty()) {
    std::fprintf(stderr,
                 "usage: %s POSTGRES_URL REDIS_URL\n"
                 "   or: set WATCHSTORE_DATABASE_URL and WATCHSTORE_REDIS_URL\n",
                 argv[0]);
    return 2;
  }

  // --- Storage: a pool of libpq connections; size it like your worker threads.
  PostgresOptions pg;
  pg.url = postgres_url;
  pg.pool_size = 8;
  auto storage = NewPostgresStorage(pg);  // connects and migrates
  if (!storage.ok()) return Fail("postgres", storage.status());

  // --- Cache: 64 MiB in-process L1 (5 s at most) in front of Redis. Redis
  // being down never fails a request: the cache turns into misses.
  RedisOptions redis;
  redis.url = redis_url;
  MemoryCacheOptions l1;
  l1.capacity_bytes = 64 << 20;
  TieredCacheOptions tiered;
  tiered.l1_ttl = absl::Seconds(5);
  auto cache = NewTieredRedisCache(redis, l1, tiered);
  if (!cache.ok()) return Fail("redis", cache.status());

  auto opened = Store::Open(StoreOptions{}, std::move(*storage), std::move(*cache));
  if (!opened.ok()) return Fail("open", opened.status());
  Store& store = **opened;
  std::printf("storage %s (ping: %s), cache %s (ping: %s)\n",
              std::string(store.storage().Kind()).c_str(),
              store.storage().Ping().ok() ? "ok" : "down",
              std::string(store.cache().Kind()).c_str(), store.cache().Ping().ok() ? "ok" : "down");

  // --- Staff add a watch. (In the server, `watchstore-server create-admin`
  // makes the first admin; here an operator principal acts directly.)
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  auto admin = store.accounts().CreateUser(absl::StrCat("admin-", run, "@example.com"),
                                           "an example admin passphrase", Role::kAdmin);
  if (!admin.ok()) return Fail("create admin", admin.status());
  const Principal staff{admin->id, admin->role, admin->email};
  ProductDraft draft;
  draft.brand = "Example Horology";
  draft.model = absl::StrCat("Embedded ", run);
  draft.description = "Added by examples/postgres_redis.cpp.";
  draft.attributes = WatchAttributes{Movement::kAutomatic, 40, "steel", 100, "leather"};
  draft.collections = {"Everyday"};
  draft.images = {{"/img/watches/w12.svg", "The watch from the front", 0}};
  draft.variants.push_back(VariantDraft{0, absl::StrCat("EX-", run), "white", "leather", "40 mm",
                                        Money{325'00, Currency()}, 3});
  auto product = store.catalog().CreateProduct(staff, draft);
  if (!product.ok()) return Fail("create product", product.status());
  const VariantId variant = (*product)->variants[0].id;

  // --- Reads go through the cache: the second read is served from L1 (or
  // from Redis on another instance), no SQL.
  for (int i = 0; i < 2; ++i) {
    auto p = store.catalog().GetProduct((*product)->id);
    if (!p.ok()) return Fail("get product", p.status());
  }

  // --- A shopper buys it. Checkout reads prices and stock from PostgreSQL
  // only, inside one transaction.
  const std::string email = absl::StrCat("shopper-", run, "@example.com");
  const std::string password = "correct horse battery staple";
  if (auto r = store.accounts().Register(email, password); !r.ok())
    return Fail("register", r.status());
  auto login = store.accounts().Login(email, password, /*client_address=*/"192.0.2.10");
  if (!login.ok()) return Fail("login", login.status());
  auto buyer = store.accounts().Authenticate(login->token);  // what a server does per request
  if (!buyer.ok()) return Fail("authenticate", buyer.status());
  auto cart = store.carts().AddItem(store.carts().UserOwner(*buyer), variant, 2);
  if (!cart.ok()) return Fail("add to cart", cart.status());

  CheckoutRequest checkout;
  checkout.idempotency_key = absl::StrCat("order-", run);  // one per checkout attempt
  checkout.shipping =
      ShippingAddress{"Ada Lovelace", "12 Analytical St", "", "London", "N1 9GU", "GB"};
  auto order = store.orders().Checkout(*buyer, checkout);
  if (!order.ok()) return Fail("checkout", order.status());
  std::printf("order %s: %s, total %s\n", order->order.number.c_str(),
              std::string(OrderStatusName(order->order.status)).c_str(),
              FormatMoney(order->order.total).c_str());

  // --- A retry with the same key (a timeout, a double click) gets the same
  // order back, never a second one.
  auto again = store.orders().Checkout(*buyer, checkout);
  if (!again.ok()) return Fail("retry", again.status());
  std::printf("retried: %s (replayed: %s)\n", again->order.number.c_str(),
              again->replayed ? "yes" : "no");

  // --- Another checkout of what is left fails cleanly: one unit remains.
  if (auto c = store.carts().AddItem(store.carts().UserOwner(*buyer), variant, 2); !c.ok()) {
    std::printf("adding 2 more: %s (%s)\n", std::string(c.status().message()).c_str(),
                ReasonOf(c.status()).c_str());
  }

  // --- What an operator would export as metrics.
  const CacheStats stats = store.cache().Stats();
  std::printf("cache: %lld hits, %lld misses, %lld errors\n", static_cast<long long>(stats.hits),
              static_cast<long long>(stats.misses), static_cast<long long>(stats.errors));
  if (auto pool = PostgresPoolStatsOf(store.storage())) {
    std::printf("postgres pool: %d open of %d, %d in use\n", pool->open, pool->size, pool->in_use);
  }
  return 0;
}
