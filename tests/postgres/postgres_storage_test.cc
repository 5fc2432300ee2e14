// PostgreSQL-specific behaviour beyond the conformance suites (durability
// across reopen and migrations are in durable_conformance.cc): concurrent
// migrators, constraints, error mapping, hostile values, the pool and its
// timeouts, concurrent writers.
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "pg_test_support.h"
#include "postgres/pg_migrate.h"
#include "test_util.h"
#include "watchstore/postgres_storage.h"

namespace watchstore::testing {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class PostgresStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WS_REQUIRE_POSTGRES();
    schema_ = std::make_unique<TestSchema>();
  }
  std::unique_ptr<Storage> Open(int pool_size = 4) {
    auto s = NewPostgresStorage(schema_->Options(pool_size));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  std::string MigrationCount() const {
    return absl::StrCat(internal::pg::PostgresMigrations().size());
  }
  std::unique_ptr<TestSchema> schema_;
};

// --- Migrations -----------------------------------------------------------------

TEST_F(PostgresStorageTest, ConcurrentOpenersApplyEachMigrationOnce) {
  constexpr int kOpeners = 8;
  std::vector<absl::Status> results(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      auto s = NewPostgresStorage(schema_->Options(1));
      results[i] = s.status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM schema_migrations"), MigrationCount());
}

// Serving (apply_migrations = false) only reads schema_migrations: no DDL, so
// the server's role needs no CREATE on the schema.
TEST_F(PostgresStorageTest, OpeningWithoutMigrationRefusesAnUnmigratedSchemaAndCreatesNothing) {
  const std::string objects =
      "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace";
  ASSERT_EQ(schema_->Query(objects), "0");
  PostgresOptions o = schema_->Options();
  o.apply_migrations = false;
  auto s = NewPostgresStorage(o);
  ASSERT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("database not migrated: run `watchstore-server migrate`"));
  EXPECT_EQ(schema_->Query(objects), "0");  // not even schema_migrations
}

TEST_F(PostgresStorageTest, OpeningWithoutMigrationRefusesAnOlderSchema) {
  WS_ASSERT_OK(MigratePostgres(schema_->Options()));
  schema_->Exec(
      "DELETE FROM schema_migrations"
      " WHERE version = (SELECT max(version) FROM schema_migrations)");
  const std::string fingerprint =
      "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations";
  const std::string before = schema_->Query(fingerprint);
  PostgresOptions o = schema_->Options();
  o.apply_migrations = false;
  auto s = NewPostgresStorage(o);
  ASSERT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("database not migrated: run `watchstore-server migrate`"));
  EXPECT_EQ(schema_->Query(fingerprint), before);  // nothing applied
}

TEST_F(PostgresStorageTest, OpeningWithoutMigrationServesAMigratedSchema) {
  WS_ASSERT_OK(MigratePostgres(schema_->Options()));
  PostgresOptions o = schema_->Options();
  o.apply_migrations = false;
  auto s = NewPostgresStorage(o);
  ASSERT_TRUE(s.ok()) << s.status();
  MakeUser(**s, "served@example.com");
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM users"), "1");

  schema_->Exec("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')");
  auto newer = NewPostgresStorage(o);
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition) << newer.status();
  EXPECT_THAT(std::string(newer.status().message()), HasSubstr("newer than this build"));
}

// Migration 0006 (payments) keeps every order, line and outbox row: old
// orders are user orders that never expire, with a payment of their total.
TEST_F(PostgresStorageTest, PaymentsMigrationKeepsEveryOrder) {
  {
    auto raw = schema_->Raw();
    ASSERT_NE(raw, nullptr);
    WS_ASSERT_OK(internal::pg::ApplyMigrations(*raw, internal::pg::PostgresMigrations().first(5)));
  }
  schema_->Exec(
      "INSERT INTO users (id, email, password_hash, role, created_at_ns) OVERRIDING SYSTEM VALUE"
      " VALUES (7, 'a@example.com', 'h', 0, 1)");
  schema_->Exec(
      "INSERT INTO products (id, brand, model, description, movement, case_diameter_mm,"
      " case_material, water_resistance_m, strap, collections, image_url, active, version,"
      " created_at_ns, updated_at_ns, name_key, brand_key, model_key, collection_keys, min_price,"
      " in_stock) OVERRIDING SYSTEM VALUE VALUES (3, 'Aldenmark', 'Tidewater', '', 1, 40,"
      " 'steel', 200, 'steel', '{}', '/i.svg', true, 1, 1, 1, 'aldenmark tidewater',"
      " 'aldenmark', 'tidewater', '{}', 100, true)");
  schema_->Exec(
      "INSERT INTO variants (id, product_id, sku, dial_color, strap, size, price_minor, currency,"
      " stock) OVERRIDING SYSTEM VALUE VALUES (11, 3, 'AB-0', 'black', 'steel', '40', 100, 'USD',"
      " 5), (12, 3, 'AB-1', 'blue', 'steel', '40', 250, 'USD', 5)");
  schema_->Exec(
      "INSERT INTO orders (id, user_id, status, total_minor, currency, ship_name, ship_line1,"
      " ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key,"
      " request_fingerprint, created_at_ns, updated_at_ns, refund_due_minor)"
      " OVERRIDING SYSTEM VALUE VALUES"
      " (41, 7, 1, 450, 'USD', 'Ada', '1 Main St', '', 'London', 'N1', 'GB', 'k1', 'fp1', 5, 6, 0),"
      " (42, 7, 4, 100, 'USD', 'Ada', '1 Main St', '', 'London', 'N1', 'GB', 'k2', 'fp2', 7, 8,"
      " 100)");
  schema_->Exec(
      "INSERT INTO order_lines (order_id, line_no, variant_id, product_id, sku, title, quantity,"
      " unit_price_minor, line_total_minor, currency) VALUES"
      " (41, 1, 11, 3, 'AB-0', 'Aldenmark Tidewater (black)', 2, 100, 200, 'USD'),"
      " (41, 2, 12, 3, 'AB-1', 'Aldenmark Tidewater (blue)', 1, 250, 250, 'USD'),"
      " (42, 1, 11, 3, 'AB-0', 'Aldenmark Tidewater (black)', 1, 100, 100, 'USD')");
  schema_->Exec(
      "INSERT INTO outbox (message_id, kind, recipient, payload, order_id, created_at_ns,"
      " next_attempt_at_ns) VALUES ('<m1@test>', 'order_placed', 'a@example.com', 'x', 41, 5, 5)");

  WS_ASSERT_OK(MigratePostgres(schema_->Options()));
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Order paid, storage->GetOrder(41));
  EXPECT_EQ(paid.user_id, 7);
  EXPECT_EQ(paid.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.total, Usd(450));
  EXPECT_EQ(paid.shipping.city, "London");
  EXPECT_EQ(paid.created_at, absl::FromUnixNanos(5));
  EXPECT_TRUE(paid.guest_email.empty());
  EXPECT_EQ(paid.reserved_until, absl::InfiniteFuture());
  EXPECT_TRUE(paid.payment.provider.empty());
  EXPECT_EQ(paid.payment.amount, Usd(450));
  EXPECT_EQ(paid.payment.refunded, Usd(0));
  ASSERT_EQ(paid.lines.size(), 2u);
  EXPECT_EQ(paid.lines[1].refunded_quantity, 0);
  WS_ASSERT_OK_AND_ASSIGN(Order cancelled, storage->GetOrder(42));
  EXPECT_EQ(cancelled.refund_due, Usd(100));
  WS_ASSERT_OK_AND_ASSIGN(auto mail, storage->ListOutbox(OutboxState::kPending, 10));
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].draft.order_id, 41);
  NewOrder again = AnOrder(7, "k1", {});
  again.request_fingerprint = "fp1";
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult replay, storage->PlaceOrder(again));
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.order.id, 41);
  RefundRequest refund;
  refund.order_id = 41;
  refund.lines = {{12, 1}};
  refund.now = kT0;
  WS_ASSERT_OK_AND_ASSIGN(TransitionResult r, storage->RefundOrder(refund));
  EXPECT_EQ(r.order.refund_due, Usd(250));
  ASSERT_EQ(r.stock_changes.size(), 1u);
  EXPECT_EQ(r.stock_changes[0].stock_after, 6);
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM order_lines"), "3");
  // A server of the previous release (a rolling deploy) still places orders
  // with the columns it knows; their payment reads as their total.
  schema_->Exec(
      "INSERT INTO orders (id, user_id, status, total_minor, currency, ship_name, ship_line1,"
      " ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key,"
      " request_fingerprint, created_at_ns, updated_at_ns) OVERRIDING SYSTEM VALUE VALUES"
      " (43, 7, 0, 300, 'USD', 'Ada', '1 Main St', '', 'London', 'N1', 'GB', 'k3', 'fp3', 9, 9)");
  WS_ASSERT_OK_AND_ASSIGN(Order from_old, storage->GetOrder(43));
  EXPECT_EQ(from_old.payment.amount, Usd(300));
  EXPECT_EQ(from_old.reserved_until, absl::InfiniteFuture());
}

// Migration 0009 (galleries): every non-empty image_url becomes its
// product's first picture; the cover stays.
TEST_F(PostgresStorageTest, GalleryMigrationKeepsEveryImage) {
  {
    auto raw = schema_->Raw();
    ASSERT_NE(raw, nullptr);
    WS_ASSERT_OK(internal::pg::ApplyMigrations(*raw, internal::pg::PostgresMigrations().first(6)));
  }
  schema_->Exec(
      "INSERT INTO products (id, brand, model, description, movement, case_diameter_mm,"
      " case_material, water_resistance_m, strap, collections, image_url, active, version,"
      " created_at_ns, updated_at_ns, name_key, brand_key, model_key, collection_keys, min_price,"
      " in_stock) OVERRIDING SYSTEM VALUE VALUES (3, 'Aldenmark', 'Tidewater', '', 1, 40,"
      " 'steel', 200, 'steel', '{}', '/img/watches/w01.svg', true, 1, 1, 1,"
      " 'aldenmark tidewater', 'aldenmark', 'tidewater', '{}', 100, true),"
      " (4, 'Aldenmark', 'Bare', '', 1, 40, 'steel', 200, 'steel', '{}', '', true, 1, 1, 1,"
      " 'aldenmark bare', 'aldenmark', 'bare', '{}', 100, true)");
  schema_->Exec(
      "INSERT INTO variants (id, product_id, sku, dial_color, strap, size, price_minor, currency,"
      " stock) OVERRIDING SYSTEM VALUE VALUES (11, 3, 'AB-0', 'black', 'steel', '40', 100, 'USD',"
      " 5), (12, 4, 'AB-1', 'blue', 'steel', '40', 250, 'USD', 5)");
  WS_ASSERT_OK(MigratePostgres(schema_->Options()));
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->GetProduct(3));
  ASSERT_EQ(p.images.size(), 1u);
  EXPECT_EQ(p.images[0], (ProductImage{"/img/watches/w01.svg", "Aldenmark Tidewater", 0}));
  EXPECT_EQ(p.image_url, "/img/watches/w01.svg");
  WS_ASSERT_OK_AND_ASSIGN(Product bare, storage->GetProduct(4));
  EXPECT_TRUE(bare.images.empty());
}

// --- Constraints ------------------------------------------------------------------------

// Products from before PostgreSQL migration 0005 have no search index: `migrate`
// writes it (and keeps what a newer write already indexed).
TEST_F(PostgresStorageTest, MigrateIndexesProductsWrittenBeforeTheSearchIndex) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  ProductDraft d = WatchDraft("OLD");
  d.brand = "Zenthos";
  d.attributes.reference = "ZX-4711";
  WS_ASSERT_OK_AND_ASSIGN(Product old, storage->CreateProduct(d, absl::Now()));
  WS_ASSERT_OK(storage->CreateProduct(WatchDraft("NEW"), absl::Now()).status());
  schema_->Exec(absl::StrCat(
      "UPDATE products SET search_text = NULL, search_keys = '{}' WHERE id = ", old.id));
  ProductQuery q;
  q.text = "zentos 4711";  // a typo and a fragment
  WS_ASSERT_OK_AND_ASSIGN(ProductPage before, storage->ListProducts(q));
  EXPECT_TRUE(before.items.empty());
  WS_ASSERT_OK(MigratePostgres(schema_->Options()));
  WS_ASSERT_OK_AND_ASSIGN(ProductPage after, storage->ListProducts(q));
  ASSERT_EQ(after.items.size(), 1u);
  EXPECT_EQ(after.items[0].id, old.id);
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM products WHERE search_text IS NULL"), "0");
}

// Products from before PostgreSQL migration 0008 have no slug: `migrate` gives
// each its derived one (unique, recorded), and keeps the slugs already given.
TEST_F(PostgresStorageTest, MigrateGivesEveryWatchWithoutASlugItsSlug) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product a, storage->CreateProduct(WatchDraft("SA"), absl::Now()));
  WS_ASSERT_OK_AND_ASSIGN(Product b, storage->CreateProduct(WatchDraft("SB"), absl::Now()));
  ProductDraft d = WatchDraft("SC");
  d.model = "Tidewater SA";  // derives a's slug
  WS_ASSERT_OK_AND_ASSIGN(Product c, storage->CreateProduct(d, absl::Now()));
  EXPECT_EQ(c.slug, "aldenmark-tidewater-sa-2");
  schema_->Exec(
      absl::StrCat("DELETE FROM product_slugs WHERE product_id IN (", a.id, ", ", c.id, ")"));
  schema_->Exec(
      absl::StrCat("UPDATE products SET slug = NULL WHERE id IN (", a.id, ", ", c.id, ")"));
  WS_ASSERT_OK(MigratePostgres(schema_->Options()));
  WS_ASSERT_OK_AND_ASSIGN(Product a2, storage->GetProduct(a.id));
  WS_ASSERT_OK_AND_ASSIGN(Product b2, storage->GetProduct(b.id));
  WS_ASSERT_OK_AND_ASSIGN(Product c2, storage->GetProduct(c.id));
  EXPECT_EQ(a2.slug, "aldenmark-tidewater-sa");
  EXPECT_EQ(b2.slug, b.slug);
  EXPECT_EQ(c2.slug, "aldenmark-tidewater-sa-2");
  WS_ASSERT_OK_AND_ASSIGN(SlugTarget t, storage->ResolveSlug("aldenmark-tidewater-sa-2"));
  EXPECT_EQ(t.product_id, c.id);
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM products WHERE slug IS NULL"), "0");
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM product_slugs"), "3");
}

TEST_F(PostgresStorageTest, ConstraintsRejectWhatTheCodeWouldNever) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  const User u = MakeUser(*storage, "a@example.com");
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  WS_ASSERT_OK(storage->PlaceOrder(AnOrder(u.id, "k", {{p.variants[0].id, 1}})));
  auto raw = schema_->Raw();
  ASSERT_NE(raw, nullptr);
  auto rejected = [&](const std::string& sql, absl::string_view sqlstate) {
    auto r = raw->ExecuteScript(sql.c_str());
    EXPECT_FALSE(r.ok()) << sql;
    EXPECT_EQ(raw->last_error().sqlstate, sqlstate) << sql << ": " << r.status();
  };
  rejected("UPDATE variants SET stock = -1", "23514");
  rejected("UPDATE variants SET price_minor = -1", "23514");
  rejected("UPDATE variants SET currency = 'usd'", "23514");
  rejected("UPDATE orders SET status = 9", "23514");
  rejected(
      "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor,"
      " currency, stock) SELECT product_id, sku, '', '', '', 1, 'USD', 1 FROM variants",
      "23505");  // unique SKU
  rejected(
      "INSERT INTO users (email, password_hash, role, created_at_ns)"
      " VALUES ('a@example.com', 'x', 0, 0)",
      "23505");  // unique email
  rejected(
      "INSERT INTO orders (user_id, status, total_minor, currency, ship_name, ship_line1,"
      " ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key,"
      " request_fingerprint, created_at_ns, updated_at_ns)"
      " SELECT user_id, 0, 0, 'USD', '', '', '', '', '', '', idempotency_key, '', 0, 0"
      " FROM orders",
      "23505");  // unique (user_id, idempotency_key)
  rejected("UPDATE orders SET status = 7", "23514");
  rejected("UPDATE orders SET user_id = NULL", "23514");  // a user order without a user
  rejected("UPDATE order_lines SET refunded_quantity = quantity + 1", "23514");
  rejected("INSERT INTO payment_events VALUES ('stripe', 'evt_1', 424242, 0)", "23503");
  rejected("INSERT INTO sessions VALUES ('t', 424242, 0, 0)", "23503");
  rejected(
      absl::StrCat("INSERT INTO cart_items VALUES (", u.id, ", 'g', ", p.variants[0].id, ", 1, 0)"),
      "23514");  // one owner
  rejected("DELETE FROM products", "23503");
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 4);
}

// --- Round trips ----------------------------------------------------------------------

// Checkout is 3 round trips (DESIGN.md, Orders): BEGIN + idempotency check +
// locks; the order statement; outbox rows + COMMIT. A replay is 3 as well.
// Counted by the client (PostgresPoolStats::round_trips), on a fresh
// connection whose statements are not prepared yet (preparing shares the
// trip) and again on a warm one.
TEST_F(PostgresStorageTest, CheckoutTakesAtMostThreeRoundTrips) {
  auto storage = Open(/*pool_size=*/1);
  ASSERT_NE(storage, nullptr);
  const User u = MakeUser(*storage, "a@example.com");
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->CreateProduct(WatchDraft("RT", 100, 10, 2), kT0));
  WS_ASSERT_OK(storage->SetCartItem(CartOwner::ForUser(u.id), p.variants[0].id, 1, kT0));
  auto trips = [&] { return PostgresPoolStatsOf(*storage)->round_trips; };
  auto order_with_mail = [&](const std::string& key) {
    NewOrder o = AnOrder(u.id, key, {{p.variants[0].id, 2}, {p.variants[1].id, 1}});
    o.clear_user_cart = true;
    // The caps are counted (and locked) in the first round trip.
    o.max_unpaid_per_buyer = 10;
    o.max_unpaid_per_address = 10;
    o.placed_from = "203.0.113.1";
    o.reserved_until = kT0 + absl::Minutes(30);
    o.payment_provider = "manual";
    for (const char* kind : {"order_placed", "order_placed_copy"}) {
      OutboxDraft d;
      d.message_id = absl::StrCat("<", key, "-", kind, "@watchstore>");
      d.kind = kind;
      d.recipient = u.email;
      d.payload = "number=1";
      d.created_at = kT0;
      o.outbox.push_back(d);
    }
    return o;
  };
  int64_t before = trips();
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult first, storage->PlaceOrder(order_with_mail("k1")));
  const int64_t fresh = trips() - before;
  EXPECT_FALSE(first.replayed);
  EXPECT_LE(fresh, 3);
  before = trips();
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult replay, storage->PlaceOrder(order_with_mail("k1")));
  const int64_t replayed = trips() - before;
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.order.id, first.order.id);
  EXPECT_LE(replayed, 3);
  before = trips();
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult second, storage->PlaceOrder(order_with_mail("k2")));
  const int64_t warm = trips() - before;
  EXPECT_FALSE(second.replayed);
  EXPECT_LE(warm, 3);
  before = trips();
  WS_ASSERT_OK(storage->PlaceOrder(order_with_mail("k2")));
  const int64_t warm_replay = trips() - before;
  EXPECT_LE(warm_replay, 3);
  std::cout << "checkout round trips: fresh " << fresh << ", replay " << replayed << ", warm "
            << warm << ", warm replay " << warm_replay << "\n";
  // Everything of both orders was written: stock, lines, mail, cart.
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, p.variants[0].stock - 4);
  EXPECT_EQ(after.variants[1].stock, p.variants[1].stock - 2);
  EXPECT_EQ(first.order.lines.size(), 2u);
  EXPECT_EQ(schema_->Query(absl::StrCat("SELECT count(*) FROM outbox WHERE order_id IN (",
                                        first.order.id, ",", second.order.id, ")")),
            "4");
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM orders"), "2");
  WS_ASSERT_OK_AND_ASSIGN(auto cart, storage->GetCart(CartOwner::ForUser(u.id)));
  EXPECT_TRUE(cart.empty());
  // A failed checkout (not enough stock) is as cheap, and changes nothing.
  before = trips();
  NewOrder greedy = AnOrder(u.id, "k3", {{p.variants[0].id, 1000}});
  WS_EXPECT_REASON(storage->PlaceOrder(greedy), absl::StatusCode::kFailedPrecondition,
                   reason::kOutOfStock);
  EXPECT_LE(trips() - before, 3);
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM orders"), "2");
}

// --- Errors and values --------------------------------------------------------------

TEST_F(PostgresStorageTest, MapsErrorsPerTheContract) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  const User u = MakeUser(*storage, "a@example.com");
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  auto dup = storage->CreateProduct(WatchDraft("AB"), kT0);
  WS_EXPECT_REASON(dup, absl::StatusCode::kAlreadyExists, reason::kSkuTaken);
  EXPECT_THAT(std::string(dup.status().message()), HasSubstr("AB-0"));
  EXPECT_EQ(FieldOf(dup.status()), "sku");
  WS_EXPECT_CODE(storage->CreateSession({std::string(64, 'x'), 424242, kT0, kT0}),
                 absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage->GetUserByEmail(std::string("nul\0byte", 8)),
                 absl::StatusCode::kInvalidArgument);
  ProductDraft negative = WatchDraft("NEG", -1);
  WS_EXPECT_CODE(storage->CreateProduct(negative, kT0), absl::StatusCode::kInvalidArgument);
  // ReplaceCart is atomic: a missing variant changes nothing.
  const CartOwner mine = CartOwner::ForUser(u.id);
  WS_ASSERT_OK(storage->SetCartItem(mine, p.variants[0].id, 1, kT0));
  WS_EXPECT_CODE(storage->ReplaceCart(mine, {CartItem{987654, 0, 1, kT0}}),
                 absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(auto cart, storage->GetCart(mine));
  EXPECT_EQ(cart.size(), 1u);
  // An order priced in another currency is refused.
  NewOrder euro = AnOrder(u.id, "eur", {{p.variants[0].id, 1}});
  euro.currency = *Currency::FromCode("EUR");
  WS_EXPECT_REASON(storage->PlaceOrder(euro), absl::StatusCode::kFailedPrecondition,
                   reason::kNotPurchasable);
  WS_EXPECT_CODE(storage->PlaceOrder(AnOrder(424242, "ghost", {{p.variants[0].id, 1}})),
                 absl::StatusCode::kNotFound);
}

TEST_F(PostgresStorageTest, HostileValuesAreDataNotSql) {
  auto storage = Open();
  ASSERT_NE(storage, nullptr);
  ProductDraft d = WatchDraft("Q");
  d.brand = "O'Brien \"Bros\" \\ '); DROP TABLE products; --";
  d.model = "Ünïcødé {braces}, commas";
  d.description = "$1 $$ :name ? %s";
  d.collections = {"a,b", "{x}", "quo\"te", "back\\slash", "NULL", "", " spaced "};
  d.variants[0].sku = "SKU'1\"{,}";
  WS_ASSERT_OK_AND_ASSIGN(Product made, storage->CreateProduct(d, kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product got, storage->GetProduct(made.id));
  EXPECT_EQ(got.brand, d.brand);
  EXPECT_EQ(got.model, d.model);
  EXPECT_EQ(got.description, d.description);
  EXPECT_EQ(got.collections, d.collections);
  EXPECT_EQ(got.variants[0].sku, d.variants[0].sku);
  WS_ASSERT_OK_AND_ASSIGN(ProductId by_sku, storage->FindProductIdBySku(d.variants[0].sku));
  EXPECT_EQ(by_sku, made.id);
  ProductQuery q;
  q.text = "o'brien \"bros\" \\";
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, storage->ListProducts(q));
  ASSERT_EQ(page.items.size(), 1u);
  q = ProductQuery();
  q.collection = "QUO\"TE";
  WS_ASSERT_OK_AND_ASSIGN(page, storage->ListProducts(q));
  EXPECT_EQ(page.items.size(), 1u);
  q.collection = "quo";
  WS_ASSERT_OK_AND_ASSIGN(page, storage->ListProducts(q));
  EXPECT_TRUE(page.items.empty());
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM products"), "1");
}

// --- Pool ---------------------------------------------------------------------------

TEST_F(PostgresStorageTest, RejectsBadOptionsAndReportsPoolStats) {
  PostgresOptions o = schema_->Options();
  auto code_of = [](const PostgresOptions& opts) {
    return NewPostgresStorage(opts).status().code();
  };
  PostgresOptions bad = o;
  bad.url = "";
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.url = "postgres://[::1";
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.pool_size = 0;
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.statement_timeout = absl::ZeroDuration();
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.connect_timeout = -absl::Seconds(1);
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.pool_wait_timeout = absl::InfiniteDuration();
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.max_transaction_retries = -1;
  EXPECT_EQ(code_of(bad), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.url = "postgres://nobody:nothing@127.0.0.1:1/none";  // nothing listens on port 1
  EXPECT_EQ(code_of(bad), absl::StatusCode::kUnavailable);

  EXPECT_FALSE(PostgresPoolStatsOf(*NewMemoryStorage()).has_value());
  auto storage = Open(3);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->Kind(), "postgres");
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20; ++k) EXPECT_TRUE(storage->Ping().ok());
    });
  }
  for (std::thread& t : threads) t.join();
  auto stats = PostgresPoolStatsOf(*storage);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->size, 3);
  EXPECT_EQ(stats->in_use, 0);
  EXPECT_GE(stats->open, 1);
  EXPECT_LE(stats->open, 3);
  EXPECT_EQ(stats->reconnects, 0);
}

TEST_F(PostgresStorageTest, TimeoutsAreUnavailableAndLeaveThePoolHealthy) {
  PostgresOptions o = schema_->Options(/*pool_size=*/1);
  o.statement_timeout = absl::Milliseconds(400);
  o.pool_wait_timeout = absl::Milliseconds(100);
  auto opened = NewPostgresStorage(o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Storage> storage = *std::move(opened);
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->CreateProduct(WatchDraft("LOCK", 100, 5), kT0));

  // Another session holds the product's row lock.
  auto raw = schema_->Raw();
  ASSERT_NE(raw, nullptr);
  WS_ASSERT_OK(raw->ExecuteScript("BEGIN"));
  WS_ASSERT_OK(raw->ExecuteScript(
      absl::StrCat("SELECT 1 FROM products WHERE id = ", p.id, " FOR UPDATE").c_str()));

  absl::Notification started;
  absl::Status blocked;
  std::thread writer([&] {
    started.Notify();
    blocked = storage->AdjustStock(p.variants[0].id, 1, kT0).status();
  });
  started.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(100));
  // The only connection is busy: waiting for it times out.
  const absl::Time t = absl::Now();
  WS_EXPECT_CODE(storage->GetProduct(p.id), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - t, absl::Seconds(2));
  writer.join();
  EXPECT_EQ(blocked.code(), absl::StatusCode::kUnavailable) << blocked;
  WS_ASSERT_OK(raw->ExecuteScript("ROLLBACK"));

  // The same connection serves again: nothing was lost, nothing reconnected.
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage->AdjustStock(p.variants[0].id, 1, kT0));
  EXPECT_EQ(after.variants[0].stock, 6);
  EXPECT_EQ(PostgresPoolStatsOf(*storage)->reconnects, 0);
}

// --- Concurrency ------------------------------------------------------------------------

TEST_F(PostgresStorageTest, ConcurrentReplaysOfOneKeyMakeOneOrder) {
  auto storage = Open(8);
  ASSERT_NE(storage, nullptr);
  const User u = MakeUser(*storage, "a@example.com");
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage->CreateProduct(WatchDraft("ONCE", 100, 50), kT0));
  constexpr int kThreads = 16;
  std::vector<absl::StatusOr<PlaceOrderResult>> results(kThreads, absl::UnknownError(""));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] = storage->PlaceOrder(AnOrder(u.id, "same-key", {{p.variants[0].id, 2}}));
    });
  }
  for (std::thread& t : threads) t.join();
  int firsts = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->order.id, results[0]->order.id);
    firsts += r->replayed ? 0 : 1;
  }
  EXPECT_EQ(firsts, 1);
  WS_ASSERT_OK_AND_ASSIGN(Product after, storage->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 48);
}

// Checkouts of several variants in every order, restocks, cancellations and
// price edits from many threads: no deadlock surfaces, no stock is lost or
// invented, and the denormalized listing columns stay exact.
TEST_F(PostgresStorageTest, MixedConcurrentWritesKeepEveryInvariant) {
  auto storage = Open(8);
  ASSERT_NE(storage, nullptr);
  constexpr int kProducts = 4, kVariants = 3, kThreads = 8, kOps = 60;
  constexpr int64_t kInitial = 15;
  std::vector<VariantId> variants;
  std::vector<ProductId> products;
  for (int i = 0; i < kProducts; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(
        Product p, storage->CreateProduct(
                       WatchDraft(absl::StrCat("MIX", i), 100'00, kInitial, kVariants), kT0));
    products.push_back(p.id);
    for (const Variant& v : p.variants) variants.push_back(v.id);
  }
  std::vector<User> users;
  for (int i = 0; i < kThreads; ++i) {
    users.push_back(MakeUser(*storage, absl::StrCat("mix", i, "@example.com")));
  }
  std::mutex mu;
  std::map<VariantId, int64_t> adjusted;  // net successful AdjustStock deltas
  std::vector<std::string> unexpected;
  auto allowed = [](const absl::Status& s) {
    const std::string why = ReasonOf(s);
    return s.ok() || why == reason::kOutOfStock || why == reason::kVersionConflict ||
           why == reason::kIllegalTransition;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t * 7919 + 1));
      std::vector<OrderId> mine;
      for (int op = 0; op < kOps; ++op) {
        absl::Status s;
        switch (rng() % 5) {
          case 0:
          case 1: {  // checkout of 1..3 distinct variants
            std::map<VariantId, int64_t> lines;
            const int n = 1 + static_cast<int>(rng() % 3);
            for (int k = 0; k < n; ++k) lines[variants[rng() % variants.size()]] = 1 + rng() % 2;
            std::vector<NewOrder::Line> ls;
            for (auto [v, q] : lines) ls.push_back({v, q});
            auto r = storage->PlaceOrder(AnOrder(users[t].id, absl::StrCat("m", t, "-", op), ls));
            if (r.ok()) mine.push_back(r->order.id);
            s = r.status();
            break;
          }
          case 2: {  // restock or shrink
            const VariantId v = variants[rng() % variants.size()];
            const int64_t delta = static_cast<int64_t>(rng() % 7) - 3;
            s = storage->AdjustStock(v, delta, kT0).status();
            if (s.ok()) {
              std::lock_guard<std::mutex> lock(mu);
              adjusted[v] += delta;
            }
            break;
          }
          case 3: {  // cancel one of mine
            if (mine.empty()) break;
            const OrderId id = mine[rng() % mine.size()];
            s = storage->TransitionOrder(id, OrderStatus::kPending, OrderStatus::kCancelled, kT0)
                    .status();
            break;
          }
          case 4: {  // reprice a product
            const ProductId pid = products[rng() % products.size()];
            auto p = storage->GetProduct(pid);
            if (!p.ok()) {
              s = p.status();
              break;
            }
            ProductDraft d = WatchDraft("unused", 0, 0, 0);
            d.model = p->model;
            for (const Variant& v : p->variants) {
              VariantDraft vd;
              vd.id = v.id;
              vd.sku = v.sku;
              vd.price = Usd(50'00 + static_cast<int64_t>(rng() % 100) * 100);
              d.variants.push_back(vd);
            }
            s = storage->UpdateProduct(pid, p->version, d, kT0).status();
            break;
          }
        }
        if (!allowed(s)) {
          std::lock_guard<std::mutex> lock(mu);
          unexpected.push_back(s.ToString());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected, first: " << unexpected[0];

  // Stock conservation per variant.
  std::map<VariantId, int64_t> ordered;
  OrderQuery q;
  q.limit = 100;
  for (int guard = 0; guard < 100; ++guard) {
    WS_ASSERT_OK_AND_ASSIGN(OrderPage page, storage->ListOrders(q));
    for (const Order& o : page.items) {
      if (o.status == OrderStatus::kCancelled) continue;
      for (const OrderLine& l : o.lines) ordered[l.variant_id] += l.quantity;
    }
    if (!page.has_more) break;
    q.before_id = page.items.back().id;
  }
  for (ProductId pid : products) {
    WS_ASSERT_OK_AND_ASSIGN(Product p, storage->GetProduct(pid));
    for (const Variant& v : p.variants) {
      EXPECT_GE(v.stock, 0);
      EXPECT_EQ(v.stock, kInitial + adjusted[v.id] - ordered[v.id]) << v.sku;
    }
  }
  EXPECT_EQ(schema_->Query("SELECT count(*) FROM products p WHERE"
                           " p.in_stock <> EXISTS (SELECT 1 FROM variants v"
                           "                       WHERE v.product_id = p.id AND v.stock > 0)"
                           " OR p.min_price <> (SELECT min(price_minor) FROM variants v"
                           "                    WHERE v.product_id = p.id)"),
            "0");
}

}  // namespace
}  // namespace watchstore::testing
