// The SQLite adapter's hot paths, each beside its floor measured in the same
// run: a raw sqlite3 prepared point select by primary key (and, for
// checkout, a raw one-UPDATE write transaction with the same synchronous
// mode). No watchstore cache is involved: every call goes to Storage.
//
//   build/bench/sqlite/sqlite_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
//   WATCHSTORE_BENCH_1M=1 build/bench/sqlite/sqlite_bench ...   (adds 1M products)
//
// Catalogs are written straight into the file in one transaction (one
// prepared INSERT per row; the schema's triggers keep min_price and
// total_stock), then opened with NewSqliteStorage.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/listing.h"
#include "watchstore/sqlite_storage.h"

namespace watchstore {
namespace {

const char* const kBrands[] = {"Aldenmark", "Brevik",   "Corvane", "Dunmore",  "Eskerud",
                               "Falkner",   "Grisvold", "Halden",  "Ivarsson", "Jornet"};
const char* const kCollections[] = {"Dive", "Dress", "Field", "Pilot", "Chronograph"};

void Die(const std::string& what, sqlite3* db) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), db ? sqlite3_errmsg(db) : "");
  std::abort();
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) Die(sql, db);
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) Die(sql, db);
  return s;
}

void Step(sqlite3* db, sqlite3_stmt* s) {
  if (sqlite3_step(s) != SQLITE_DONE) Die("step", db);
  sqlite3_reset(s);
}

// `n` products (1..3 variants each, prices on a grid of 2,000 values so
// that price ties exist, some variants sold out), all active.
void BuildCatalog(const std::string& path, int n) {
  if (!MigrateSqlite(SqliteOptions{path}).ok()) Die("migrate", nullptr);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("open", db);
  // A bulk load into a fresh file: the whole transaction in memory, written
  // once to the file (no WAL copy), WAL again afterwards.
  Exec(db, "PRAGMA journal_mode = DELETE");
  Exec(db, "PRAGMA synchronous = OFF");
  Exec(db, "PRAGMA cache_size = -1048576");
  Exec(db, "BEGIN");
  sqlite3_stmt* product =
      Prepare(db,
              "INSERT INTO products (id, brand, model, description, movement, case_diameter_mm, "
              "case_material, water_resistance_m, strap, image_url, active, version, created_at, "
              "updated_at, name_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'steel', 200, 'bracelet', "
              "'/img/w.svg', 1, 1, ?7, ?7, ?8)");
  sqlite3_stmt* variant = Prepare(
      db,
      "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency, "
      "stock) VALUES (?1, ?2, 'black', 'bracelet', '', ?3, 'USD', ?4)");
  sqlite3_stmt* collection =
      Prepare(db, "INSERT INTO product_collections VALUES (?1, 0, ?2, lower(?2))");
  const std::string description(300, 'd');
  for (int i = 1; i <= n; ++i) {
    const std::string brand = kBrands[i % 10];
    const std::string model = absl::StrCat("Model ", (i * 31) % 9973);
    const std::string key = ProductNameKey(brand, model);
    sqlite3_bind_int64(product, 1, i);
    sqlite3_bind_text(product, 2, brand.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(product, 3, model.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(product, 4, description.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(product, 5, i % 6);
    sqlite3_bind_int64(product, 6, 34 + i % 14);
    sqlite3_bind_int64(product, 7, int64_t{1'800'000'000} * 1'000'000'000 + i);
    sqlite3_bind_text(product, 8, key.c_str(), -1, SQLITE_TRANSIENT);
    Step(db, product);
    for (int v = 0; v < 1 + i % 3; ++v) {
      const std::string sku = absl::StrCat("SKU-", i, "-", v);
      sqlite3_bind_int64(variant, 1, i);
      sqlite3_bind_text(variant, 2, sku.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(variant, 3, 100'000 + ((int64_t{i} * 7919 + v * 13) % 2000) * 1000);
      sqlite3_bind_int64(variant, 4, (i * 13 + v) % 7);
      Step(db, variant);
    }
    sqlite3_bind_int64(collection, 1, i);
    sqlite3_bind_text(collection, 2, kCollections[i % 5], -1, SQLITE_STATIC);
    Step(db, collection);
  }
  sqlite3_finalize(product);
  sqlite3_finalize(variant);
  sqlite3_finalize(collection);
  Exec(db, "COMMIT");
  Exec(db, "PRAGMA journal_mode = WAL");
  sqlite3_close(db);
}

// One catalog in a temporary directory, its Storage and a raw connection.
struct Catalog {
  std::string dir;
  std::string path;
  int products = 0;
  std::unique_ptr<Storage> storage;
  sqlite3* raw = nullptr;
  sqlite3_stmt* point = nullptr;  // the floor: SELECT * FROM products WHERE id = ?
  double build_seconds = 0;

  Catalog(int n, SqliteOptions::Synchronous sync) : products(n) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = absl::StrCat(base != nullptr && *base ? base : "/tmp", "/ws-bench-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp", nullptr);
    dir = tmpl;
    path = dir + "/bench.db";
    const absl::Time start = absl::Now();
    BuildCatalog(path, n);
    build_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    SqliteOptions o{path};
    o.synchronous = sync;
    auto s = NewSqliteStorage(o);
    if (!s.ok()) Die(std::string(s.status().message()), nullptr);
    storage = *std::move(s);
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      Die("open raw", raw);
    }
    sqlite3_busy_timeout(raw, 5000);
    Exec(raw, sync == SqliteOptions::Synchronous::kFull ? "PRAGMA synchronous = FULL"
                                                        : "PRAGMA synchronous = NORMAL");
    point = Prepare(raw, "SELECT * FROM products WHERE id = ?1");
  }
  ~Catalog() {
    sqlite3_finalize(point);
    sqlite3_close(raw);
    storage.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  // The floor: one prepared point select, every column read.
  void RawPointSelect(int64_t id) {
    sqlite3_bind_int64(point, 1, id);
    if (sqlite3_step(point) != SQLITE_ROW) Die("point select", raw);
    const int columns = sqlite3_column_count(point);
    for (int c = 0; c < columns; ++c) benchmark::DoNotOptimize(sqlite3_column_text(point, c));
    sqlite3_reset(point);
  }

  // The cursor just past item `position` (1-based) of the full listing.
  ProductCursor CursorAt(ProductSort sort, int position) {
    const char* order = sort == ProductSort::kNewest      ? "id DESC"
                        : sort == ProductSort::kPriceAsc  ? "min_price, id"
                        : sort == ProductSort::kPriceDesc ? "min_price DESC, id DESC"
                                                          : "name_key, id";
    const std::string sql =
        absl::StrCat("SELECT id, min_price, name_key FROM products WHERE active = 1 ORDER BY ",
                     order, " LIMIT 1 OFFSET ", position - 1);
    sqlite3_stmt* s = Prepare(raw, sql.c_str());
    if (sqlite3_step(s) != SQLITE_ROW) Die("cursor", raw);
    ProductCursor c{sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                    reinterpret_cast<const char*>(sqlite3_column_text(s, 2))};
    sqlite3_finalize(s);
    return c;
  }
};

Catalog& CatalogOf(int n, SqliteOptions::Synchronous sync = SqliteOptions::Synchronous::kFull) {
  // Destroyed at exit, which removes the files.
  static std::map<std::pair<int, int>, std::unique_ptr<Catalog>> catalogs;
  auto& c = catalogs[{n, static_cast<int>(sync)}];
  if (c == nullptr) {
    c = std::make_unique<Catalog>(n, sync);
    std::fprintf(stderr, "built %d products in %.1f s\n", n, c->build_seconds);
  }
  return *c;
}

// --- Product by id ------------------------------------------------------------

void BM_GetProduct_Storage(benchmark::State& state) {
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)));
  std::mt19937 rng(1);
  for (auto _ : state) {
    auto p = c.storage->GetProduct(1 + rng() % c.products);
    if (!p.ok()) state.SkipWithError(std::string(p.status().message()).c_str());
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_GetProduct_Storage)->Arg(10'000);

void BM_GetProduct_RawPointSelectFloor(benchmark::State& state) {
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)));
  std::mt19937 rng(1);
  for (auto _ : state) c.RawPointSelect(1 + rng() % c.products);
}
BENCHMARK(BM_GetProduct_RawPointSelectFloor)->Arg(10'000);

// --- A listing page with filters ----------------------------------------------

void BM_ListPageFiltered_Storage(benchmark::State& state) {
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)));
  ProductQuery q;
  q.in_stock_only = true;
  q.movement = Movement::kAutomatic;
  q.max_price_minor = 1'500'000;
  q.limit = 20;
  size_t items = 0;
  for (auto _ : state) {
    auto page = c.storage->ListProducts(q);
    if (!page.ok()) state.SkipWithError(std::string(page.status().message()).c_str());
    items = page->items.size();
    benchmark::DoNotOptimize(page);
  }
  if (items != 20) state.SkipWithError("the page is not full");
  state.counters["items"] = static_cast<double>(items);
}
BENCHMARK(BM_ListPageFiltered_Storage)->Arg(10'000);

// --- Page 1 against a deep keyset page ---------------------------------------------

// range(0): products; range(1): sort; range(2): page number (1-based).
void BM_ListPage_Storage(benchmark::State& state) {
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)));
  ProductQuery q;
  q.sort = static_cast<ProductSort>(state.range(1));
  q.limit = 20;
  const int page = static_cast<int>(state.range(2));
  if (page > 1) q.after = c.CursorAt(q.sort, (page - 1) * q.limit);
  size_t items = 0;
  for (auto _ : state) {
    auto result = c.storage->ListProducts(q);
    if (!result.ok()) state.SkipWithError(std::string(result.status().message()).c_str());
    items = result->items.size();
    benchmark::DoNotOptimize(result);
  }
  if (items != 20) state.SkipWithError("the page is not full");
  state.SetLabel(absl::StrCat(ProductSortName(q.sort), " page ", page));
}
void ListArgs(benchmark::internal::Benchmark* b, int products, int deep_page) {
  for (int sort = 0; sort < 4; ++sort) {
    b->Args({products, sort, 1});
    b->Args({products, sort, deep_page});
  }
}
BENCHMARK(BM_ListPage_Storage)->Apply([](benchmark::internal::Benchmark* b) {
  ListArgs(b, 10'000, 500);
});

// --- Checkout -----------------------------------------------------------------------

// PlaceOrder of 3 lines (3 products), each a new order; range(1): 0 FULL, 1 NORMAL.
void BM_Checkout3Lines_Storage(benchmark::State& state) {
  const auto sync = static_cast<SqliteOptions::Synchronous>(state.range(1));
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)), sync);
  Exec(c.raw, "UPDATE variants SET stock = 1000000000 WHERE product_id IN (11, 22, 33)");
  auto user = c.storage->CreateUser(NewUser{absl::StrCat("buyer", state.range(1), "@example.com"),
                                            "x", Role::kCustomer, absl::Now()});
  if (!user.ok())
    user = c.storage->GetUserByEmail(absl::StrCat("buyer", state.range(1), "@example.com"));
  std::vector<VariantId> lines;
  for (ProductId id : {11, 22, 33}) lines.push_back(c.storage->GetProduct(id)->variants[0].id);
  NewOrder o;
  o.user_id = user->id;
  o.request_fingerprint = "fp";
  o.shipping = ShippingAddress{"B", "1 Main St", "", "Geneva", "1201", "CH"};
  for (VariantId v : lines) o.lines.push_back({v, 1});
  static int64_t key = 0;
  for (auto _ : state) {
    o.idempotency_key = absl::StrCat("bench-", ++key);
    o.now = absl::Now();
    auto r = c.storage->PlaceOrder(o);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(sync == SqliteOptions::Synchronous::kFull ? "synchronous=FULL"
                                                           : "synchronous=NORMAL");
}
BENCHMARK(BM_Checkout3Lines_Storage)->Args({10'000, 0})->Args({10'000, 1})->UseRealTime();

// The write floor: one raw UPDATE in its own BEGIN IMMEDIATE transaction,
// same synchronous mode.
void BM_Checkout_RawOneUpdateCommitFloor(benchmark::State& state) {
  const auto sync = static_cast<SqliteOptions::Synchronous>(state.range(1));
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)), sync);
  sqlite3_stmt* begin = Prepare(c.raw, "BEGIN IMMEDIATE");
  sqlite3_stmt* update = Prepare(c.raw, "UPDATE variants SET stock = stock + 1 WHERE id = 1");
  sqlite3_stmt* commit = Prepare(c.raw, "COMMIT");
  for (auto _ : state) {
    Step(c.raw, begin);
    Step(c.raw, update);
    Step(c.raw, commit);
  }
  sqlite3_finalize(begin);
  sqlite3_finalize(update);
  sqlite3_finalize(commit);
  state.SetLabel(sync == SqliteOptions::Synchronous::kFull ? "synchronous=FULL"
                                                           : "synchronous=NORMAL");
}
BENCHMARK(BM_Checkout_RawOneUpdateCommitFloor)->Args({10'000, 0})->Args({10'000, 1})->UseRealTime();

void BM_Checkout_RawPointSelectFloor(benchmark::State& state) {
  Catalog& c = CatalogOf(static_cast<int>(state.range(0)));
  for (auto _ : state) c.RawPointSelect(11);
}
BENCHMARK(BM_Checkout_RawPointSelectFloor)->Arg(10'000);

// --- 1M products (opt-in) ---------------------------------------------------------------

void BM_GetProduct1M_RawPointSelectFloor(benchmark::State& state) {
  BM_GetProduct_RawPointSelectFloor(state);
}

}  // namespace
}  // namespace watchstore

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const char* big = std::getenv("WATCHSTORE_BENCH_1M");
  if (big != nullptr && std::string(big) == "1") {
    benchmark::RegisterBenchmark("BM_ListPage1M_Storage", watchstore::BM_ListPage_Storage)
        ->Apply(
            [](benchmark::internal::Benchmark* b) { watchstore::ListArgs(b, 1'000'000, 5'000); });
    benchmark::RegisterBenchmark("BM_GetProduct1M_Storage", watchstore::BM_GetProduct_Storage)
        ->Arg(1'000'000);
    benchmark::RegisterBenchmark("BM_GetProduct1M_RawPointSelectFloor",
                                 watchstore::BM_GetProduct1M_RawPointSelectFloor)
        ->Arg(1'000'000);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
