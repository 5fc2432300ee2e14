// What the SQLite adapter promises beyond the conformance suites (durability
// across reopen and migrations are in durable_conformance.cc): options,
// schema constraints that hold when the adapter is bypassed, denormalized
// listing columns, index use, locking.
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "sqlite/sqlite_listing.h"
#include "sqlite/sqlite_test_util.h"
#include "storage/listing.h"
#include "storage/migration.h"
#include "test_util.h"

namespace watchstore::sqlite_sql {
// sql/sqlite/*.sql as the adapter embeds them.
extern const internal::Migration kMigrations[];
extern const int kMigrationCount;
}  // namespace watchstore::sqlite_sql

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class SqliteStorageTest : public ::testing::Test {
 protected:
  std::unique_ptr<Storage> Open(SqliteOptions options) {
    auto s = NewSqliteStorage(options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  std::unique_ptr<Storage> Open() { return Open(OptionsFor(path_)); }

  TempDir dir_;
  std::string path_ = dir_.NewFile();
};

// --- Options --------------------------------------------------------------------

TEST_F(SqliteStorageTest, RejectsBadOptions) {
  auto code = [](SqliteOptions o) { return NewSqliteStorage(o).status().code(); };
  const auto kBad = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(OptionsFor("")), kBad);
  EXPECT_EQ(code(OptionsFor(":memory:")), kBad);
  EXPECT_EQ(code(OptionsFor("file::memory:?cache=shared")), kBad);
  EXPECT_EQ(code(OptionsFor(std::string("a\0b", 3))), kBad);
  SqliteOptions o = OptionsFor(path_);
  o.busy_timeout = -absl::Seconds(1);
  EXPECT_EQ(code(o), kBad);
  o = OptionsFor(path_);
  o.busy_timeout = absl::InfiniteDuration();
  EXPECT_EQ(code(o), kBad);
  o = OptionsFor(path_);
  o.read_connections = 0;
  EXPECT_EQ(code(o), kBad);
  o.read_connections = 65;
  EXPECT_EQ(code(o), kBad);
  o = OptionsFor(path_);
  o.synchronous = static_cast<SqliteOptions::Synchronous>(7);
  EXPECT_EQ(code(o), kBad);
  EXPECT_EQ(MigrateSqlite(OptionsFor("")).code(), kBad);
  // Nothing was created by a refused open.
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SqliteStorageTest, UnopenableFileIsUnavailable) {
  auto s = NewSqliteStorage(OptionsFor(dir_.path() + "/no/such/dir/store.db"));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
}

TEST_F(SqliteStorageTest, NotADatabaseIsRefused) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an SQLite database, just text long enough to be read", f);
    std::fclose(f);
  }
  auto s = NewSqliteStorage(OptionsFor(path_));
  EXPECT_FALSE(s.ok());
}

TEST_F(SqliteStorageTest, OpensInWalModeWithNormalSyncOptIn) {
  SqliteOptions o = OptionsFor(path_);
  o.synchronous = SqliteOptions::Synchronous::kNormal;
  o.read_connections = 1;
  auto storage = Open(o);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->Kind(), "sqlite");
  WS_EXPECT_OK(storage->Ping());
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  WS_EXPECT_OK(storage->CreateUser(NewUser{"a@example.com", "h", Role::kCustomer, kT0}));
}

// --- Constraints hold without the adapter -----------------------------------------

TEST_F(SqliteStorageTest, SchemaRejectsInvariantBreakingWrites) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(User u,
                          s->CreateUser(NewUser{"a@example.com", "h", Role::kCustomer, kT0}));
  WS_ASSERT_OK_AND_ASSIGN(Product p, s->CreateProduct(WatchDraft("AB", 100, 3), kT0));
  WS_ASSERT_OK(s->PlaceOrder(AnOrder(u.id, "k", {{p.variants[0].id, 1}})));
  RawDb raw(path_);
  const std::string v = absl::StrCat(p.variants[0].id);
  auto expect_constraint = [&](const std::string& sql) {
    const int rc = raw.Exec(sql);
    EXPECT_EQ(rc & 0xff, SQLITE_CONSTRAINT) << sql << ": " << raw.last_message();
  };
  expect_constraint("UPDATE variants SET stock = -1 WHERE id = " + v);
  expect_constraint("UPDATE variants SET stock = stock - 3 WHERE id = " + v);
  expect_constraint("UPDATE variants SET price_minor = -5 WHERE id = " + v);
  expect_constraint(
      "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency, "
      "stock) VALUES (" +
      absl::StrCat(p.id) + ", 'AB-0', '', '', '', 1, 'USD', 1)");
  expect_constraint(
      "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency, "
      "stock) VALUES (424242, 'ZZ-1', '', '', '', 1, 'USD', 1)");
  expect_constraint(
      "INSERT INTO users (email, password_hash, role, created_at) VALUES ('a@example.com', 'x', 0, "
      "0)");
  expect_constraint(
      "INSERT INTO orders (user_id, status, total_minor, currency, ship_name, ship_line1, "
      "ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key, "
      "request_fingerprint, created_at, updated_at) VALUES (" +
      absl::StrCat(u.id) + ", 0, 0, 'USD', '', '', '', '', '', '', 'k', 'fp', 0, 0)");
  expect_constraint("INSERT INTO cart_items VALUES ('u:1', 987654, 1, 0)");
  expect_constraint("INSERT INTO cart_items VALUES ('u:1', " + v + ", 0, 0)");
  expect_constraint("UPDATE products SET total_stock = -1 WHERE id = " + absl::StrCat(p.id));
  expect_constraint("UPDATE orders SET status = 9");
  expect_constraint("UPDATE variants SET product_id = 424242 WHERE id = " + v);
  // STRICT tables refuse a value of the wrong type.
  expect_constraint("UPDATE variants SET stock = 'lots' WHERE id = " + v);
  // Nothing changed.
  WS_ASSERT_OK_AND_ASSIGN(Product after, s->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 2);
  EXPECT_EQ(after.variants[0].price, Usd(100));
}

// --- Denormalized listing columns -------------------------------------------------

TEST_F(SqliteStorageTest, ListingColumnsFollowEveryVariantChange) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  RawDb raw(path_);
  auto check = [&](ProductId id) {
    WS_ASSERT_OK_AND_ASSIGN(Product p, s->GetProduct(id));
    const std::string where = absl::StrCat(" FROM products WHERE id = ", id);
    EXPECT_EQ(raw.Scalar("SELECT min_price" + where), p.MinPrice().minor_units);
    EXPECT_EQ(raw.Scalar("SELECT total_stock" + where), p.TotalStock());
    EXPECT_EQ(raw.Text("SELECT name_key" + where), ProductNameKey(p.brand, p.model));
  };
  WS_ASSERT_OK_AND_ASSIGN(User u,
                          s->CreateUser(NewUser{"a@example.com", "h", Role::kCustomer, kT0}));
  WS_ASSERT_OK_AND_ASSIGN(Product p, s->CreateProduct(WatchDraft("AB", 500'00, 4, 3), kT0));
  check(p.id);
  ProductDraft d = WatchDraft("AB", 700'00, 0, 3);
  d.brand = "ÅLDENMARK Ünited";  // only ASCII is folded, as in C++
  for (size_t i = 0; i < d.variants.size(); ++i) d.variants[i].id = p.variants[i].id;
  d.variants[2].price = Usd(10'00);
  VariantDraft extra;
  extra.sku = "AB-X";
  extra.price = Usd(5'00);
  extra.stock = 7;
  d.variants.push_back(extra);
  WS_ASSERT_OK_AND_ASSIGN(p, s->UpdateProduct(p.id, 1, d, kT0));
  check(p.id);
  WS_ASSERT_OK(s->AdjustStock(p.variants[0].id, 10, kT0));
  check(p.id);
  WS_ASSERT_OK_AND_ASSIGN(
      auto r, s->PlaceOrder(AnOrder(u.id, "k", {{p.variants[0].id, 3}, {p.variants[3].id, 7}})));
  check(p.id);
  WS_ASSERT_OK(s->TransitionOrder(r.order.id, OrderStatus::kPending, OrderStatus::kCancelled, kT0));
  check(p.id);
}

// Products from before migration 0004 have no search index: opening the
// file writes it.
TEST_F(SqliteStorageTest, OpeningIndexesProductsWrittenBeforeTheSearchIndex) {
  ProductId old_id = 0;
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    ProductDraft d = WatchDraft("OLD");
    d.brand = "Zenthos";
    d.attributes.reference = "ZX-4711";
    WS_ASSERT_OK_AND_ASSIGN(Product old, s->CreateProduct(d, kT0));
    old_id = old.id;
    WS_ASSERT_OK(s->CreateProduct(WatchDraft("NEW"), kT0).status());
  }
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec(absl::StrCat("DELETE FROM product_search WHERE rowid = ", old_id)),
              SQLITE_OK);
    ASSERT_EQ(raw.Exec("DELETE FROM product_search_keys"), SQLITE_OK);
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ProductQuery q;
  q.text = "zentos 4711";  // a typo and a fragment
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, s->ListProducts(q));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, old_id);
}

// LIKE, GLOB and FTS5 syntax in a query are separators (watchstore/search.h),
// never patterns: the trigram table is queried with words only.
TEST_F(SqliteStorageTest, TextSearchTakesNoPatterns) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const char* models[] = {"100% Steel", "Under_Score", "Back\\Slash", "Plain"};
  for (int i = 0; i < 4; ++i) {
    ProductDraft d = WatchDraft(absl::StrCat("T", i));
    d.model = models[i];
    d.description = "";
    WS_ASSERT_OK(s->CreateProduct(d, kT0));
  }
  auto count = [&](const std::string& text) -> size_t {
    ProductQuery q;
    q.text = text;
    auto page = s->ListProducts(q);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items.size() : 0;
  };
  EXPECT_EQ(count("%"), 4u);  // no words: no filter
  EXPECT_EQ(count("_"), 4u);
  EXPECT_EQ(count("ste?l"), 1u);     // "ste" and "l"
  EXPECT_EQ(count("st*l"), 1u);      // "st" and "l"
  EXPECT_EQ(count("[sp]lash"), 0u);  // "sp" is in no watch
  EXPECT_EQ(count("under_score"), 1u);
  EXPECT_EQ(count("back\\slash"), 1u);
  EXPECT_EQ(count("\"plain"), 1u);          // an unbalanced quote
  EXPECT_EQ(count("plain NEAR dive"), 0u);  // "near" is a word like any other
  EXPECT_EQ(count("aldenMARK"), 4u);        // brand
  EXPECT_EQ(count("'; DROP TABLE products; --"), 0u);
  EXPECT_EQ(count("plain"), 1u);
}

// --- Listing at 10k products: index use and keyset pages --------------------------

// 10,000 products written straight into the file in one transaction (the
// triggers keep min_price and total_stock), every tenth archived.
void BuildCatalog(const std::string& path, int n) {
  RawDb raw(path);
  ASSERT_EQ(raw.Exec("BEGIN"), SQLITE_OK);
  const std::string rows = absl::StrCat(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ", n, ") ");
  ASSERT_EQ(
      raw.Exec(rows +
               "INSERT INTO products (id, brand, model, description, movement, "
               "case_diameter_mm, case_material, water_resistance_m, strap, image_url, "
               "active, version, created_at, updated_at, name_key) "
               "SELECT i, 'Brand' || (i % 37), 'Model ' || (i % 101), '', i % 6, 30 + i % 20, "
               "'steel', 100, '', '', i % 10 != 0, 1, i, i, "
               "lower('Brand' || (i % 37) || ' Model ' || (i % 101)) FROM n"),
      SQLITE_OK)
      << raw.last_message();
  ASSERT_EQ(raw.Exec(rows +
                     "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, "
                     "currency, stock) SELECT i, 'SKU-' || i, 'black', '', '', "
                     "1000 + (i * 7919) % 5000, 'USD', i % 4 FROM n"),
            SQLITE_OK)
      << raw.last_message();
  ASSERT_EQ(
      raw.Exec(rows + "INSERT INTO product_collections SELECT i, 0, "
                      "CASE i % 3 WHEN 0 THEN 'Dive' WHEN 1 THEN 'Dress' ELSE 'Field' END, "
                      "CASE i % 3 WHEN 0 THEN 'dive' WHEN 1 THEN 'dress' ELSE 'field' END FROM n"),
      SQLITE_OK)
      << raw.last_message();
  ASSERT_EQ(raw.Exec("COMMIT"), SQLITE_OK);
}

std::vector<std::string> QueryPlan(sqlite3* db, const std::string& sql) {
  std::vector<std::string> details;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &s, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(db) << " in " << sql;
    return details;
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    details.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 3)));
  }
  sqlite3_finalize(s);
  return details;
}

TEST_F(SqliteStorageTest, ListQueriesUseTheirIndexes) {
  WS_ASSERT_OK(MigrateSqlite(OptionsFor(path_)));
  BuildCatalog(path_, 10'000);
  RawDb raw(path_);
  for (ProductSort sort : {ProductSort::kNewest, ProductSort::kPriceAsc, ProductSort::kPriceDesc,
                           ProductSort::kNameAsc}) {
    for (bool deep : {false, true}) {
      for (int filters = 0; filters < 3; ++filters) {
        ProductQuery q;
        q.sort = sort;
        if (deep) q.after = ProductCursor{5000, 3000, "brand1 model 5"};
        if (filters >= 1) q.in_stock_only = true;
        if (filters >= 2) {  // a price range must not pull another sort onto the price index
          q.movement = Movement::kQuartz;
          q.text = "model";
          q.max_case_mm = 45;
          q.min_price_minor = 2000;
          q.max_price_minor = 4000;
          q.brand = "brand7";
        }
        WS_ASSERT_OK_AND_ASSIGN(const sqlite::ListingSql listing, sqlite::BuildListingSql(q));
        ASSERT_EQ(listing.parts.size(), deep && sort != ProductSort::kNewest ? 2u : 1u);
        for (size_t i = 0; i < listing.parts.size(); ++i) {
          const std::vector<std::string> plan = QueryPlan(raw.get(), listing.parts[i].sql);
          const std::string shown = absl::StrJoin(plan, " | ");
          SCOPED_TRACE(absl::StrCat(ProductSortName(sort), deep ? " deep" : " first", " filters ",
                                    filters, " part ", i, ": ", shown));
          ASSERT_FALSE(plan.empty());
          EXPECT_TRUE(absl::StrContains(plan[0], "SEARCH p USING INDEX products_active_"))
              << plan[0];
          EXPECT_FALSE(absl::StrContains(shown, "TEMP B-TREE"));
          for (const std::string& line : plan) {  // no full scan of products
            EXPECT_TRUE(line != "SCAN p" && !absl::StartsWith(line, "SCAN p ")) << line;
          }
          if (!q.text.empty()) {  // each word: the trigram index (G: GLOB), the key index
            EXPECT_TRUE(absl::StrContains(shown, "SCAN product_search VIRTUAL TABLE INDEX 0:G"));
            EXPECT_TRUE(absl::StrContains(shown, "SEARCH product_search_keys USING PRIMARY KEY"));
          }
          if (deep && i == 0) {
            // An exact seek: the position ranges on id (after pinning the
            // sort key, for the tie part of price and name sorts).
            EXPECT_TRUE(absl::StrContains(plan[0], "id<?") || absl::StrContains(plan[0], "id>?"))
                << plan[0];
          }
        }
      }
    }
  }
  // Admins' newest-first listing with archived products walks the rowid.
  ProductQuery archived;
  archived.include_archived = true;
  archived.after = ProductCursor{5000, 0, ""};
  const auto admin = QueryPlan(raw.get(), sqlite::BuildListingSql(archived)->parts[0].sql);
  EXPECT_FALSE(absl::StrContains(absl::StrJoin(admin, " | "), "TEMP B-TREE"))
      << absl::StrJoin(admin, " | ");
  // A selective collection filter is answered through the product index too.
  ProductQuery q;
  q.collection = "dive";
  const auto plan = QueryPlan(raw.get(), sqlite::BuildListingSql(q)->parts[0].sql);
  EXPECT_FALSE(absl::StrContains(absl::StrJoin(plan, " | "), "TEMP B-TREE"))
      << absl::StrJoin(plan, " | ");
  // Order history by user is served by orders_user without sorting.
  const auto orders = QueryPlan(
      raw.get(), "SELECT id FROM orders WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT 21");
  EXPECT_FALSE(absl::StrContains(absl::StrJoin(orders, " | "), "TEMP B-TREE"))
      << absl::StrJoin(orders, " | ");
}

// The sweeper, the caps and the payment lookups (their SQL as in
// sqlite_orders.cc) are answered from their partial indexes, the sweeper
// without sorting.
TEST_F(SqliteStorageTest, PaymentQueriesUseTheirIndexes) {
  WS_ASSERT_OK(MigrateSqlite(OptionsFor(path_)));
  RawDb raw(path_);
  const std::pair<const char*, const char*> queries[] = {
      {"SELECT id FROM orders WHERE status = 0 AND reserved_until IS NOT NULL "
       "AND reserved_until <= ?1 ORDER BY reserved_until, id LIMIT ?2",
       "orders_reservations"},
      {"SELECT count(*) FROM orders WHERE user_id IS NULL AND guest_email = ?1 AND status = 0",
       "orders_guest_email"},
      {"SELECT count(*) FROM orders WHERE placed_from = ?1 AND placed_from <> '' AND status = 0",
       "orders_pending_from"},
      {"SELECT id FROM orders WHERE guest_cart_hash = ?1 AND guest_cart_hash <> '' "
       "AND idempotency_key = ?2",
       "orders_guest_key"},
      {"SELECT id FROM orders WHERE payment_provider = ?1 AND payment_reference = ?2 "
       "AND payment_reference <> ''",
       "orders_payment_reference"},
  };
  for (const auto& [sql, index] : queries) {
    const std::string plan = absl::StrJoin(QueryPlan(raw.get(), sql), " | ");
    EXPECT_TRUE(absl::StrContains(plan, absl::StrCat("INDEX ", index, " "))) << sql << ": " << plan;
    EXPECT_FALSE(absl::StrContains(plan, "TEMP B-TREE")) << sql << ": " << plan;
  }
}

TEST_F(SqliteStorageTest, KeysetPagesAt10kMatchTheReference) {
  WS_ASSERT_OK(MigrateSqlite(OptionsFor(path_)));
  BuildCatalog(path_, 10'000);
  auto s = Open();
  ASSERT_NE(s, nullptr);
  std::vector<Product> all;
  for (ProductId id = 1; id <= 10'000; ++id) {
    WS_ASSERT_OK_AND_ASSIGN(Product p, s->GetProduct(id));
    all.push_back(std::move(p));
  }
  for (ProductSort sort : {ProductSort::kNewest, ProductSort::kPriceAsc, ProductSort::kPriceDesc,
                           ProductSort::kNameAsc, ProductSort::kRelevance}) {
    for (bool in_stock : {false, true}) {
      ProductQuery q;
      q.sort = sort;
      q.in_stock_only = in_stock;
      q.limit = 100;
      std::vector<const Product*> expected;
      for (const Product& p : all) {
        if (internal::MatchesFilters(p, q)) expected.push_back(&p);
      }
      std::sort(expected.begin(), expected.end(), [&](const Product* a, const Product* b) {
        return internal::SortsBefore(*a, *b, q);
      });
      // Walk every page; compare each with the reference slice.
      size_t offset = 0;
      for (int guard = 0; guard < 200; ++guard) {
        auto page = s->ListProducts(q);
        ASSERT_TRUE(page.ok()) << page.status();
        for (const Product& p : page->items) {
          ASSERT_LT(offset, expected.size());
          ASSERT_EQ(p.id, expected[offset]->id) << ProductSortName(sort) << " position " << offset;
          ++offset;
        }
        if (!page->has_more) break;
        q.after = internal::CursorAfter(page->items.back(), q);
      }
      EXPECT_EQ(offset, expected.size()) << ProductSortName(sort);
    }
  }
}

// --- Several handles on one file, as several processes would have ---------------

TEST_F(SqliteStorageTest, ALockedFileFailsWithUnavailableAfterBusyTimeout) {
  SqliteOptions o = OptionsFor(path_);
  o.busy_timeout = absl::Milliseconds(200);
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  RawDb raw(path_);
  ASSERT_EQ(raw.Exec("BEGIN IMMEDIATE"), SQLITE_OK);  // another process holds the write lock
  const absl::Time start = absl::Now();
  auto u = s->CreateUser(NewUser{"a@example.com", "h", Role::kCustomer, kT0});
  const absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(u.status().code(), absl::StatusCode::kUnavailable) << u.status();
  EXPECT_GE(waited, absl::Milliseconds(150));
  EXPECT_LT(waited, absl::Seconds(3));
  // Reads go on meanwhile (WAL).
  WS_EXPECT_OK(s->Ping());
  WS_EXPECT_CODE(s->GetUserByEmail("a@example.com"), absl::StatusCode::kNotFound);
  ASSERT_EQ(raw.Exec("COMMIT"), SQLITE_OK);
  WS_EXPECT_OK(s->CreateUser(NewUser{"a@example.com", "h", Role::kCustomer, kT0}));
}

TEST_F(SqliteStorageTest, AWriterWaitsForAShortLock) {
  auto s = Open();  // busy_timeout 5 s
  ASSERT_NE(s, nullptr);
  RawDb raw(path_);
  ASSERT_EQ(raw.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_EQ(raw.Exec("COMMIT"), SQLITE_OK);
  });
  WS_EXPECT_OK(s->CreateUser(NewUser{"a@example.com", "h", Role::kCustomer, kT0}));
  release.join();
}

// --- Migration 0005 (payments): a table rebuild that keeps every row ---------------

// A database at schema version `version`, as an older build left it.
// REQUIRES: `raw` is open on an empty file.
void MigrateRawTo(RawDb& raw, int version) {
  for (int i = 0; i < sqlite_sql::kMigrationCount; ++i) {
    const internal::Migration& m = sqlite_sql::kMigrations[i];
    if (m.version > version) break;
    ASSERT_EQ(raw.Exec(m.sql), SQLITE_OK) << m.name << ": " << raw.last_message();
  }
  ASSERT_EQ(raw.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                     " name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT"),
            SQLITE_OK);
  for (int i = 0; i < sqlite_sql::kMigrationCount; ++i) {
    const internal::Migration& m = sqlite_sql::kMigrations[i];
    if (m.version > version) break;
    ASSERT_EQ(raw.Exec(absl::StrCat("INSERT INTO schema_migrations VALUES (", m.version, ", '",
                                    m.name, "', 0)")),
              SQLITE_OK);
  }
}

// Rows of the schema before payments: a user, a watch, a paid order of two
// lines with its e-mail in the outbox, a cancelled order owing a refund.
void FillVersion4(RawDb& raw) {
  const char* rows[] = {
      "INSERT INTO users (id, email, password_hash, role, created_at) "
      "VALUES (7, 'a@example.com', 'h', 0, 1)",
      "INSERT INTO products (id, brand, model, description, movement, case_diameter_mm, "
      "case_material, water_resistance_m, strap, image_url, active, version, created_at, "
      "updated_at, name_key) VALUES (3, 'Aldenmark', 'Tidewater', '', 1, 40, 'steel', 200, "
      "'steel', '/i.svg', 1, 1, 1, 1, 'aldenmark tidewater')",
      "INSERT INTO variants (id, product_id, sku, dial_color, strap, size, price_minor, currency, "
      "stock) VALUES (11, 3, 'AB-0', 'black', 'steel', '40', 100, 'USD', 5), "
      "(12, 3, 'AB-1', 'blue', 'steel', '40', 250, 'USD', 5)",
      "INSERT INTO orders (id, user_id, status, total_minor, currency, ship_name, ship_line1, "
      "ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key, "
      "request_fingerprint, created_at, updated_at, refund_due_minor) VALUES "
      "(41, 7, 1, 450, 'USD', 'Ada', '1 Main St', '', 'London', 'N1', 'GB', 'k1', 'fp1', 5, 6, 0),"
      "(42, 7, 4, 100, 'USD', 'Ada', '1 Main St', '', 'London', 'N1', 'GB', 'k2', 'fp2', 7, 8, "
      "100)",
      "INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, title, quantity, "
      "unit_price_minor, currency, line_total_minor) VALUES "
      "(41, 0, 11, 3, 'AB-0', 'Aldenmark Tidewater (black)', 2, 100, 'USD', 200),"
      "(41, 1, 12, 3, 'AB-1', 'Aldenmark Tidewater (blue)', 1, 250, 'USD', 250),"
      "(42, 0, 11, 3, 'AB-0', 'Aldenmark Tidewater (black)', 1, 100, 'USD', 100)",
      "INSERT INTO outbox (id, message_id, kind, recipient, payload, order_id, created_at, "
      "next_attempt_at) VALUES (1, '<m1@test>', 'order_placed', 'a@example.com', 'x', 41, 5, 5)",
  };
  for (const char* sql : rows) ASSERT_EQ(raw.Exec(sql), SQLITE_OK) << sql << raw.last_message();
}

TEST_F(SqliteStorageTest, PaymentsMigrationRebuildsOrdersKeepingEveryRow) {
  { std::ofstream create(path_); }
  {
    RawDb raw(path_);
    MigrateRawTo(raw, 4);
    FillVersion4(raw);
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Order paid, s->GetOrder(41));
  EXPECT_EQ(paid.user_id, 7);
  EXPECT_EQ(paid.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.total, Usd(450));
  EXPECT_EQ(paid.shipping.city, "London");
  EXPECT_EQ(paid.idempotency_key, "k1");
  EXPECT_EQ(paid.created_at, absl::FromUnixNanos(5));
  EXPECT_EQ(paid.updated_at, absl::FromUnixNanos(6));
  EXPECT_TRUE(paid.guest_email.empty());
  EXPECT_EQ(paid.reserved_until, absl::InfiniteFuture());
  EXPECT_TRUE(paid.payment.provider.empty());
  EXPECT_EQ(paid.payment.amount, Usd(450)) << "an old order's payment is its total";
  EXPECT_EQ(paid.payment.refunded, Usd(0));
  ASSERT_EQ(paid.lines.size(), 2u);
  EXPECT_EQ(paid.lines[1].sku, "AB-1");
  EXPECT_EQ(paid.lines[1].refunded_quantity, 0);
  WS_ASSERT_OK_AND_ASSIGN(Order cancelled, s->GetOrder(42));
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled.refund_due, Usd(100));
  WS_ASSERT_OK_AND_ASSIGN(auto mail, s->ListOutbox(OutboxState::kPending, 10));
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].draft.order_id, 41);
  // The old key still replays; the old order can be refunded like a new one.
  NewOrder again = AnOrder(7, "k1", {});
  again.request_fingerprint = "fp1";
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult replay, s->PlaceOrder(again));
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.order.id, 41);
  RefundRequest refund;
  refund.order_id = 41;
  refund.lines = {{12, 1}};
  refund.now = kT0;
  WS_ASSERT_OK_AND_ASSIGN(TransitionResult r, s->RefundOrder(refund));
  EXPECT_EQ(r.order.refund_due, Usd(250));
  s.reset();

  RawDb raw(path_);
  EXPECT_EQ(raw.Scalar("SELECT max(version) FROM schema_migrations"),
            sqlite_sql::kMigrations[sqlite_sql::kMigrationCount - 1].version);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM orders"), 2);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM order_lines"), 3);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM pragma_foreign_key_check"), 0);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'orders_new'"), 0);
  // The rebuilt table still refuses what the old one did, and more.
  EXPECT_NE(raw.Exec("UPDATE orders SET status = 7 WHERE id = 41"), SQLITE_OK);
  EXPECT_NE(raw.Exec("UPDATE orders SET user_id = NULL WHERE id = 41"), SQLITE_OK)
      << "a user order without a user";
  EXPECT_NE(raw.Exec("UPDATE order_lines SET refunded_quantity = 3 WHERE order_id = 41 "
                     "AND line_no = 0"),
            SQLITE_OK);
  EXPECT_NE(raw.Exec("INSERT INTO payment_events VALUES ('stripe', 'evt_1', 999, 0)"), SQLITE_OK)
      << "a payment event of no order";
}

// Migration 0007 (slugs): watches written before it get their derived slug
// when the file is opened, unique, and the rest of their data stays.
TEST_F(SqliteStorageTest, SlugMigrationGivesEveryExistingWatchItsSlug) {
  { std::ofstream create(path_); }
  {
    RawDb raw(path_);
    MigrateRawTo(raw, 4);  // rows as a build from before payments and slugs left them
    FillVersion4(raw);
    // A second watch of the same name.
    ASSERT_EQ(raw.Exec("INSERT INTO products (id, brand, model, description, movement, "
                       "case_diameter_mm, case_material, water_resistance_m, strap, image_url, "
                       "active, version, created_at, updated_at, name_key) VALUES (4, "
                       "'Aldenmark', 'Tidewater', '', 1, 40, 'steel', 200, 'steel', '', 1, 1, 1, "
                       "1, 'aldenmark tidewater')"),
              SQLITE_OK);
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product first, s->GetProduct(3));
  WS_ASSERT_OK_AND_ASSIGN(Product second, s->GetProduct(4));
  EXPECT_EQ(first.slug, "aldenmark-tidewater");
  EXPECT_EQ(second.slug, "aldenmark-tidewater-2");
  EXPECT_EQ(first.variants.size(), 2u);
  WS_ASSERT_OK_AND_ASSIGN(SlugTarget t, s->ResolveSlug("aldenmark-tidewater-2"));
  EXPECT_EQ(t.product_id, 4);
  RawDb raw(path_);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM products WHERE slug IS NULL"), 0);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM product_slugs"), 2);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM orders"), 2);
}

// Migration 0008 (galleries): every non-empty image_url becomes its
// product's first picture; the cover stays.
TEST_F(SqliteStorageTest, GalleryMigrationKeepsEveryImage) {
  { std::ofstream create(path_); }
  {
    RawDb raw(path_);
    MigrateRawTo(raw, 5);
    const char* rows[] = {
        "INSERT INTO products (id, brand, model, description, movement, case_diameter_mm, "
        "case_material, water_resistance_m, strap, image_url, active, version, created_at, "
        "updated_at, name_key) VALUES (3, 'Aldenmark', 'Tidewater', '', 1, 40, 'steel', 200, "
        "'steel', '/img/watches/w01.svg', 1, 1, 1, 1, 'aldenmark tidewater'), "
        "(4, 'Aldenmark', 'Bare', '', 1, 40, 'steel', 200, 'steel', '', 1, 1, 1, 1, "
        "'aldenmark bare')",
        "INSERT INTO variants (id, product_id, sku, dial_color, strap, size, price_minor, "
        "currency, stock) VALUES (11, 3, 'AB-0', 'black', 'steel', '40', 100, 'USD', 5), "
        "(12, 4, 'AB-1', 'blue', 'steel', '40', 250, 'USD', 5)",
    };
    for (const char* sql : rows) ASSERT_EQ(raw.Exec(sql), SQLITE_OK) << sql << raw.last_message();
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product p, s->GetProduct(3));
  ASSERT_EQ(p.images.size(), 1u);
  EXPECT_EQ(p.images[0], (ProductImage{"/img/watches/w01.svg", "Aldenmark Tidewater", 0}));
  EXPECT_EQ(p.image_url, "/img/watches/w01.svg");
  WS_ASSERT_OK_AND_ASSIGN(Product bare, s->GetProduct(4));
  EXPECT_TRUE(bare.images.empty());
  EXPECT_EQ(bare.image_url, "");
}

// A dangling reference left by a migration rolls every pending migration
// back: foreign keys are off while they run, but checked before commit.
TEST_F(SqliteStorageTest, MigrationThatBreaksAReferenceChangesNothing) {
  { std::ofstream create(path_); }
  {
    RawDb raw(path_);
    MigrateRawTo(raw, 4);
    FillVersion4(raw);
    ASSERT_EQ(raw.Exec("PRAGMA foreign_keys = OFF"), SQLITE_OK);
    ASSERT_EQ(raw.Exec("INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, "
                       "title, quantity, unit_price_minor, currency, line_total_minor) "
                       "VALUES (999, 0, 11, 3, 'AB-0', 't', 1, 100, 'USD', 100)"),
              SQLITE_OK);
  }
  absl::Status st = MigrateSqlite(OptionsFor(path_));
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), "order_lines")) << st;
  RawDb raw(path_);
  EXPECT_EQ(raw.Scalar("SELECT max(version) FROM schema_migrations"), 4);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM pragma_table_info('orders') "
                       "WHERE name = 'payment_state'"),
            0);
  EXPECT_EQ(raw.Scalar("SELECT count(*) FROM orders"), 2);
}

}  // namespace
}  // namespace watchstore::testing
