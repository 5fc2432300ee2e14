// PostgreSQL storage benchmarks, each beside its floor measured in the same
// run over a connection with the same settings: a raw libpq prepared point
// select (PQexecPrepared of SELECT ... FROM products WHERE id = $1).
//
//   eval "$(scripts/services.sh start-postgres /tmp/pgb/pg)"
//   build/bench/postgres/postgres_bench --products=10000
//       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   (one command line)
//
// The catalog (N products, two variants each) is generated in schema
// ws_bench_<N> of the server named by WATCHSTORE_BENCH_POSTGRES_URL (or
// WATCHSTORE_TEST_POSTGRES_URL), and reused by later runs with the same N.
//
// BM_Paired_* interleave the two calls they compare in one loop, so both see
// the same machine load; read their counters (per-call medians, ratio). On a
// small shared machine, pin the server to one CPU and this program to the
// other (taskset -p 2 on the postmaster before the run, taskset 1 here):
// otherwise the floor's and the pool's server processes can land on CPUs of
// different load, and the comparison measures the scheduler.
#include <libpq-fe.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "catalog_generator.h"
#include "postgres/pg_connection.h"
#include "postgres/pg_listing.h"
#include "watchstore/postgres_storage.h"

namespace watchstore {
namespace {

struct Fixture {
  int64_t products = 10'000;
  std::string url;  // selects the bench schema
  std::unique_ptr<Storage> storage;
  PGconn* raw = nullptr;  // the floor's connection
  std::vector<ProductId> product_ids;
  std::vector<VariantId> stocked_variants;  // variants with plenty of stock
  UserId buyer = 0;
  ProductCursor deep_filtered, deep_newest;
  int64_t deep_filtered_offset = 0, deep_newest_offset = 0;
};
Fixture* fx = nullptr;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "postgres_bench: %s\n", what.c_str());
  std::exit(1);
}

std::string WithSchema(const std::string& url, const std::string& schema) {
  if (absl::StartsWith(url, "postgres://") || absl::StartsWith(url, "postgresql://")) {
    return absl::StrCat(url, absl::StrContains(url, "?") ? "&" : "?", "options=-csearch_path%3D",
                        schema);
  }
  return absl::StrCat(url, " options='-csearch_path=", schema, "'");
}

std::unique_ptr<internal::pg::Connection> Admin(const std::string& url) {
  internal::pg::ConnectSettings s;
  s.url = url;
  s.statement_timeout_ms = 0;
  auto c = internal::pg::Connection::Open(s);
  if (!c.ok()) Die(c.status().ToString());
  return *std::move(c);
}

std::string One(internal::pg::Connection& c, const std::string& sql) {
  auto r = c.ExecuteScript(sql.c_str());
  if (!r.ok()) Die(absl::StrCat(r.status().ToString(), "\n", sql));
  return r->rows() > 0 ? r->String(0, 0) : "";
}

// The listing used by the list benchmarks: in stock, 36..44 mm, price order.
ProductQuery FilteredQuery() {
  ProductQuery q;
  q.in_stock_only = true;
  q.min_case_mm = 36;
  q.max_case_mm = 44;
  q.sort = ProductSort::kPriceAsc;
  q.limit = 20;
  return q;
}

void Setup(const std::string& server_url) {
  const std::string schema = absl::StrCat("ws_bench_", fx->products);
  fx->url = WithSchema(server_url, schema);
  {
    auto admin = Admin(server_url);
    One(*admin, absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", schema));
  }
  PostgresOptions o;
  o.url = fx->url;
  o.pool_size = 2;
  // Measure slow statements at 1M products rather than time them out (the
  // server's default bound is 5 s).
  o.statement_timeout = absl::Seconds(120);
  auto storage = NewPostgresStorage(o);  // migrates
  if (!storage.ok()) Die(storage.status().ToString());
  fx->storage = *std::move(storage);

  auto c = Admin(fx->url);
  if (One(*c, "SELECT count(*) FROM products") != absl::StrCat(fx->products)) {
    std::fprintf(stderr, "generating %lld products in schema %s...\n",
                 static_cast<long long>(fx->products), schema.c_str());
    const absl::Time t0 = absl::Now();
    One(*c, "TRUNCATE products, users CASCADE");  // and everything that refers to them
    One(*c, watchstore::testing::GenerateCatalogSql(fx->products));
    One(*c, "VACUUM ANALYZE products");
    std::fprintf(stderr, "generated in %s\n", absl::FormatDuration(absl::Now() - t0).c_str());
  }
  auto ids = c->ExecuteScript("SELECT id FROM products ORDER BY id");
  for (int i = 0; ids.ok() && i < ids->rows(); ++i) fx->product_ids.push_back(*ids->Int(i, 0));
  auto vids = c->ExecuteScript(
      "SELECT v.id FROM variants v JOIN products p ON p.id = v.product_id"
      " WHERE p.active AND v.stock > 1000 AND v.sku LIKE '%-0' ORDER BY v.id LIMIT 3000");
  for (int i = 0; vids.ok() && i < vids->rows(); ++i) {
    fx->stocked_variants.push_back(*vids->Int(i, 0));
  }
  if (fx->product_ids.empty() || fx->stocked_variants.size() < 3) Die("no catalog");
  auto buyer = fx->storage->GetUserByEmail("bench@example.com");
  if (!buyer.ok()) {
    buyer = fx->storage->CreateUser(
        NewUser{"bench@example.com", "$argon2id$bench", Role::kCustomer, absl::Now()});
  }
  if (!buyer.ok()) Die(buyer.status().ToString());
  fx->buyer = buyer->id;

  // Deep keyset positions: page 5,000 of 20 (item 99,980) when the listing is
  // that long, else 90% of the way down.
  auto deep = [&](const std::string& where, const char* order, ProductCursor* cursor,
                  int64_t* offset) {
    int64_t matching = 0;
    (void)absl::SimpleAtoi(One(*c, absl::StrCat("SELECT count(*) FROM products WHERE ", where)),
                           &matching);
    *offset = std::min<int64_t>(99'980, matching * 9 / 10);
    auto r =
        c->ExecuteScript(absl::StrCat("SELECT id, min_price, name_key FROM products WHERE ", where,
                                      " ORDER BY ", order, " OFFSET ", *offset - 1, " LIMIT 1")
                             .c_str());
    if (!r.ok() || r->rows() != 1) Die("cannot place the deep cursor");
    *cursor = ProductCursor{*r->Int(0, 0), *r->Int(0, 1), r->String(0, 2)};
  };
  deep("active AND in_stock AND case_diameter_mm BETWEEN 36 AND 44", "min_price, id",
       &fx->deep_filtered, &fx->deep_filtered_offset);
  deep("active", "id DESC", &fx->deep_newest, &fx->deep_newest_offset);
  std::fprintf(stderr, "deep pages: filtered at item %lld, newest at item %lld\n",
               static_cast<long long>(fx->deep_filtered_offset),
               static_cast<long long>(fx->deep_newest_offset));

  // The floor's connection: same URL, same session settings.
  fx->raw = PQconnectdb(fx->url.c_str());
  if (PQstatus(fx->raw) != CONNECTION_OK) Die(PQerrorMessage(fx->raw));
  // The library's session settings (pg_connection.cc), for parity.
  PGresult* r =
      PQexec(fx->raw, "SET statement_timeout = 5000; SET plan_cache_mode = force_generic_plan");
  PQclear(r);
  r = PQprepare(fx->raw, "point",
                "SELECT id, brand, model, description, movement, case_diameter_mm,"
                " case_material, water_resistance_m, strap, collections, image_url, active,"
                " version, created_at_ns, updated_at_ns FROM products WHERE id = $1",
                1, nullptr);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(PQresultErrorMessage(r));
  PQclear(r);
  r = PQprepare(fx->raw, "get_product", internal::pg::kGetProductSql, 1, nullptr);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(PQresultErrorMessage(r));
  PQclear(r);
}

ProductId RandomProduct(std::mt19937_64& rng) {
  return fx->product_ids[rng() % fx->product_ids.size()];
}

// --- Floor ---------------------------------------------------------------------

void BM_RawLibpqPointSelect(benchmark::State& state) {
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    const std::string id = absl::StrCat(RandomProduct(rng));
    const char* values[] = {id.c_str()};
    PGresult* r = PQexecPrepared(fx->raw, "point", 1, values, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
      state.SkipWithError("point select failed");
      PQclear(r);
      break;
    }
    size_t bytes = 0;
    for (int col = 0; col < PQnfields(r); ++col) bytes += std::strlen(PQgetvalue(r, 0, col));
    benchmark::DoNotOptimize(bytes);
    PQclear(r);
  }
}
BENCHMARK(BM_RawLibpqPointSelect)->UseRealTime();

// --- Library ---------------------------------------------------------------------

void BM_GetProduct(benchmark::State& state) {
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto p = fx->storage->GetProduct(RandomProduct(rng));
    if (!p.ok()) {
      state.SkipWithError(p.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(p->variants.data());
  }
}
BENCHMARK(BM_GetProduct)->UseRealTime();

void RunList(benchmark::State& state, const ProductQuery& q) {
  size_t items = 0;
  for (auto _ : state) {
    auto page = fx->storage->ListProducts(q);
    if (!page.ok() || page->items.size() != 20) {
      state.SkipWithError(page.ok() ? "short page" : page.status().ToString().c_str());
      break;
    }
    items += page->items.size();
    benchmark::DoNotOptimize(page->items.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(items));
}

void BM_ListFiltered_Page1(benchmark::State& state) { RunList(state, FilteredQuery()); }
BENCHMARK(BM_ListFiltered_Page1)->UseRealTime();

void BM_ListFiltered_DeepPage(benchmark::State& state) {
  ProductQuery q = FilteredQuery();
  q.after = fx->deep_filtered;
  RunList(state, q);
}
BENCHMARK(BM_ListFiltered_DeepPage)->UseRealTime();

void BM_ListNewest_Page1(benchmark::State& state) { RunList(state, ProductQuery()); }
BENCHMARK(BM_ListNewest_Page1)->UseRealTime();

void BM_ListNewest_DeepPage(benchmark::State& state) {
  ProductQuery q;
  q.after = fx->deep_newest;
  RunList(state, q);
}
BENCHMARK(BM_ListNewest_DeepPage)->UseRealTime();

void BM_Checkout3Lines(benchmark::State& state) {
  std::mt19937_64 rng(static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  int64_t n = 0;
  const std::string run = absl::StrCat(absl::ToUnixNanos(absl::Now()));
  for (auto _ : state) {
    std::vector<VariantId> pick;
    while (pick.size() < 3) {
      const VariantId v = fx->stocked_variants[rng() % fx->stocked_variants.size()];
      if (std::find(pick.begin(), pick.end(), v) == pick.end()) pick.push_back(v);
    }
    std::sort(pick.begin(), pick.end());
    NewOrder o;
    o.user_id = fx->buyer;
    o.idempotency_key = absl::StrCat("bench-", run, "-", n++);
    o.request_fingerprint = o.idempotency_key;
    for (VariantId v : pick) o.lines.push_back({v, 1});
    o.shipping = {"Ada Lovelace", "1 Main St", "", "London", "N1", "GB"};
    o.clear_user_cart = true;
    o.now = absl::Now();
    auto r = fx->storage->PlaceOrder(o);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(r->order.id);
  }
}
BENCHMARK(BM_Checkout3Lines)->UseRealTime();

// --- Paired: floor and library interleaved in one loop ------------------------------
//
// On a shared machine the load moves between two benchmarks run a second
// apart; interleaving the two calls makes them see the same load. Each
// iteration times both (alternating which goes first); the counters are
// the per-call medians and their ratio.

bool RawPointSelect(ProductId id) {
  const std::string text = absl::StrCat(id);
  const char* values[] = {text.c_str()};
  PGresult* r = PQexecPrepared(fx->raw, "point", 1, values, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  size_t bytes = 0;
  for (int col = 0; ok && col < PQnfields(r); ++col) bytes += std::strlen(PQgetvalue(r, 0, col));
  benchmark::DoNotOptimize(bytes);
  PQclear(r);
  return ok;
}

// The library's GetProduct statement run raw: what the server and libpq
// cost without the library (pool, parameters, parsing into a Product).
bool RawGetProductStatement(ProductId id) {
  const std::string text = absl::StrCat(id);
  const char* values[] = {text.c_str()};
  PGresult* r = PQexecPrepared(fx->raw, "get_product", 1, values, nullptr, nullptr, 0);
  const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1;
  size_t bytes = 0;
  for (int row = 0; ok && row < PQntuples(r); ++row) {
    for (int col = 0; col < PQnfields(r); ++col) bytes += std::strlen(PQgetvalue(r, row, col));
  }
  benchmark::DoNotOptimize(bytes);
  PQclear(r);
  return ok;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}
double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

// Runs `a` and `b` alternately; reports median microseconds of each.
template <typename A, typename B>
void Paired(benchmark::State& state, const char* a_name, A a, const char* b_name, B b) {
  std::vector<double> ta, tb;
  bool a_first = true;
  for (auto _ : state) {
    for (int k = 0; k < 2; ++k) {
      const bool run_a = (k == 0) == a_first;
      const absl::Time t0 = absl::Now();
      const bool ok = run_a ? a() : b();
      const double us = absl::ToDoubleMicroseconds(absl::Now() - t0);
      if (!ok) {
        state.SkipWithError(run_a ? a_name : b_name);
        return;
      }
      (run_a ? ta : tb).push_back(us);
    }
    a_first = !a_first;
  }
  const double ma = Median(ta), mb = Median(tb);
  state.counters[std::string(a_name) + "_us"] = ma;
  state.counters[std::string(b_name) + "_us"] = mb;
  state.counters[std::string(a_name) + "_p99_us"] = Percentile(ta, 0.99);
  state.counters[std::string(b_name) + "_p99_us"] = Percentile(tb, 0.99);
  state.counters["ratio"] = ma > 0 ? mb / ma : 0;
}

void BM_Paired_GetProduct_vs_RawPointSelect(benchmark::State& state) {
  std::mt19937_64 rng(7);
  Paired(
      state, "floor", [&] { return RawPointSelect(RandomProduct(rng)); }, "get",
      [&] { return fx->storage->GetProduct(RandomProduct(rng)).ok(); });
}
BENCHMARK(BM_Paired_GetProduct_vs_RawPointSelect)->UseRealTime();

void BM_Paired_GetProduct_vs_RawSameStatement(benchmark::State& state) {
  std::mt19937_64 rng(7);
  Paired(
      state, "raw_same_sql", [&] { return RawGetProductStatement(RandomProduct(rng)); }, "get",
      [&] { return fx->storage->GetProduct(RandomProduct(rng)).ok(); });
}
BENCHMARK(BM_Paired_GetProduct_vs_RawSameStatement)->UseRealTime();

bool ListOk(const ProductQuery& q) {
  auto page = fx->storage->ListProducts(q);
  return page.ok() && page->items.size() == 20;
}

void BM_Paired_ListFiltered_DeepPage_vs_Page1(benchmark::State& state) {
  ProductQuery first = FilteredQuery(), deep = FilteredQuery();
  deep.after = fx->deep_filtered;
  Paired(
      state, "page1", [&] { return ListOk(first); }, "deep", [&] { return ListOk(deep); });
}
BENCHMARK(BM_Paired_ListFiltered_DeepPage_vs_Page1)->UseRealTime();

void BM_Paired_ListNewest_DeepPage_vs_Page1(benchmark::State& state) {
  ProductQuery first, deep;
  deep.after = fx->deep_newest;
  Paired(
      state, "page1", [&] { return ListOk(first); }, "deep", [&] { return ListOk(deep); });
}
BENCHMARK(BM_Paired_ListNewest_DeepPage_vs_Page1)->UseRealTime();

// Catalog search (watchstore/search.h) beside the plain indexed list page,
// alternately in one run: each search is one of a rare reference fragment
// ("r<id>", the trigram index), a misspelled brand under a price sort with
// filters (a fifth of the catalog matches), and two words with a filter.
// The i-th of the three searches above; under `sort` when given.
ProductQuery SearchCase(int i, std::mt19937_64& rng, std::optional<ProductSort> sort) {
  ProductQuery q;
  switch (i % 3) {
    case 0:
      q.text = absl::StrCat("r", RandomProduct(rng));
      break;
    case 1:
      q.text = "corvnae";
      q.sort = ProductSort::kPriceAsc;
      q.in_stock_only = true;
      q.min_case_mm = 36;
      break;
    default:
      q.text = absl::StrCat("model ", rng() % 1000);
      q.movement = Movement::kAutomatic;
      break;
  }
  if (sort) q.sort = *sort;
  return q;
}

void BM_Paired_Search_vs_ListNewest(benchmark::State& state) {
  std::mt19937_64 rng(17);
  const ProductQuery plain;
  int turn = 0;
  Paired(
      state, "list", [&] { return ListOk(plain); }, "search",
      [&] { return fx->storage->ListProducts(SearchCase(turn++, rng, std::nullopt)).ok(); });
}
BENCHMARK(BM_Paired_Search_vs_ListNewest)->UseRealTime();

// The same searches ranked (sort=relevance, the API's default for a
// search): a ranked page sorts every match, so the broad misspelled brand
// (a fifth of the catalog) is the expensive one.
void BM_Paired_RankedSearch_vs_ListNewest(benchmark::State& state) {
  std::mt19937_64 rng(17);
  const ProductQuery plain;
  int turn = 0;
  Paired(
      state, "list", [&] { return ListOk(plain); }, "ranked",
      [&] {
        return fx->storage->ListProducts(SearchCase(turn++, rng, ProductSort::kRelevance)).ok();
      });
}
BENCHMARK(BM_Paired_RankedSearch_vs_ListNewest)->UseRealTime();

// Facet counts (watchstore/facets.h, one statement) of a search with
// filters, and of a filters-only listing, beside the plain list page.
void BM_Paired_Facets_vs_ListNewest(benchmark::State& state) {
  const ProductQuery plain;
  int turn = 0;
  Paired(
      state, "list", [&] { return ListOk(plain); }, "facets",
      [&] {
        ProductQuery q = FilteredQuery();
        if (turn++ % 2 == 0) q.text = "corvnae";
        return fx->storage->CountFacets(q).ok();
      });
}
BENCHMARK(BM_Paired_Facets_vs_ListNewest)->UseRealTime();

void BM_Paired_ListFiltered_Page1_vs_RawPointSelect(benchmark::State& state) {
  std::mt19937_64 rng(11);
  const ProductQuery q = FilteredQuery();
  Paired(
      state, "floor", [&] { return RawPointSelect(RandomProduct(rng)); }, "list",
      [&] { return ListOk(q); });
}
BENCHMARK(BM_Paired_ListFiltered_Page1_vs_RawPointSelect)->UseRealTime();

void BM_Paired_Checkout3Lines_vs_RawPointSelect(benchmark::State& state) {
  std::mt19937_64 rng(13);
  int64_t n = 0;
  const std::string run = absl::StrCat("paired-", absl::ToUnixNanos(absl::Now()));
  Paired(
      state, "floor", [&] { return RawPointSelect(RandomProduct(rng)); }, "checkout",
      [&] {
        std::vector<VariantId> pick;
        while (pick.size() < 3) {
          const VariantId v = fx->stocked_variants[rng() % fx->stocked_variants.size()];
          if (std::find(pick.begin(), pick.end(), v) == pick.end()) pick.push_back(v);
        }
        std::sort(pick.begin(), pick.end());
        NewOrder o;
        o.user_id = fx->buyer;
        o.idempotency_key = absl::StrCat(run, "-", n++);
        o.request_fingerprint = o.idempotency_key;
        for (VariantId v : pick) o.lines.push_back({v, 1});
        o.shipping = {"Ada Lovelace", "1 Main St", "", "London", "N1", "GB"};
        o.now = absl::Now();
        return fx->storage->PlaceOrder(o).ok();
      });
}
BENCHMARK(BM_Paired_Checkout3Lines_vs_RawPointSelect)->UseRealTime();

}  // namespace
}  // namespace watchstore

int main(int argc, char** argv) {
  watchstore::Fixture fixture;
  watchstore::fx = &fixture;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--products=")) {
      if (!absl::SimpleAtoi(a, &fixture.products) || fixture.products < 1000) {
        watchstore::Die("--products must be a number >= 1000");
      }
      continue;
    }
    args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  const char* url = std::getenv("WATCHSTORE_BENCH_POSTGRES_URL");
  if (url == nullptr) url = std::getenv("WATCHSTORE_TEST_POSTGRES_URL");
  if (url == nullptr) {
    watchstore::Die("set WATCHSTORE_BENCH_POSTGRES_URL (or WATCHSTORE_TEST_POSTGRES_URL)");
  }
#ifndef NDEBUG
  std::fprintf(stderr, "WARNING: built without NDEBUG; numbers will mislead\n");
#endif
  watchstore::Setup(url);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  PQfinish(fixture.raw);
  return 0;
}
