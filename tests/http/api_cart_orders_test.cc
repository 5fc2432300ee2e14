// The API over real HTTP: carts, checkout (idempotency), orders, admin
// orders, operations endpoints, routing errors.
#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "api_test_util.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

std::string Line(int64_t variant, int64_t quantity) {
  return absl::StrCat(R"({"variant_id":)", variant, R"(,"quantity":)", quantity, "}");
}

class CartTest : public ::testing::Test {
 protected:
  TestServer server_;
  std::unique_ptr<httplib::Client> client_ = server_.Client();
};

TEST_F(CartTest, GuestCartLifecycle) {
  auto p = server_.MakeProduct("GUEST", 80'00, 5);
  const int64_t v = p->variants[0].id;
  Browser b(server_);
  auto empty = b.Get("/api/v1/cart");
  ASSERT_TRUE(empty);
  ASSERT_EQ(empty->status, 200);
  rapidjson::Document e = Json(empty->body);
  EXPECT_EQ(e["lines"].Size(), 0u);
  EXPECT_EQ(e["item_count"].GetInt64(), 0);
  EXPECT_FALSE(e["purchasable"].GetBool());
  EXPECT_FALSE(b.cookie("ws_cart").has_value());  // nothing made yet

  auto added = b.Send("POST", "/api/v1/cart/items", Line(v, 2));
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 200) << added->body;
  auto cart_cookie = SetCookieFor(*added, "ws_cart");
  ASSERT_TRUE(cart_cookie.has_value());
  EXPECT_TRUE(absl::StrContains(*cart_cookie, "HttpOnly"));
  rapidjson::Document a = Json(added->body);
  ASSERT_EQ(a["lines"].Size(), 1u);
  const auto& line = a["lines"][0];
  EXPECT_EQ(line["variant_id"].GetInt64(), v);
  EXPECT_EQ(line["product_id"].GetInt64(), p->id);
  EXPECT_EQ(std::string(line["sku"].GetString()), "GUEST-0");
  EXPECT_EQ(std::string(line["dial_color"].GetString()), "black");
  EXPECT_EQ(line["unit_price"]["amount_minor"].GetInt64(), 80'00);
  EXPECT_EQ(line["line_total"]["amount_minor"].GetInt64(), 160'00);
  EXPECT_EQ(line["available"].GetInt64(), 5);
  EXPECT_TRUE(line["purchasable"].GetBool());
  EXPECT_EQ(a["subtotal"]["amount_minor"].GetInt64(), 160'00);
  EXPECT_EQ(a["item_count"].GetInt64(), 2);

  auto more = b.Send("POST", "/api/v1/cart/items", Line(v, 1));
  ASSERT_TRUE(more);
  EXPECT_EQ(Json(more->body)["lines"][0]["quantity"].GetInt64(), 3);
  EXPECT_FALSE(SetCookieFor(*more, "ws_cart").has_value());  // same cart

  auto set = b.Send("PUT", absl::StrCat("/api/v1/cart/items/", v), R"({"quantity":1})");
  ASSERT_TRUE(set);
  ASSERT_EQ(set->status, 200) << set->body;
  EXPECT_EQ(Json(set->body)["lines"][0]["quantity"].GetInt64(), 1);

  auto removed = b.Send("DELETE", absl::StrCat("/api/v1/cart/items/", v), "");
  ASSERT_TRUE(removed);
  ASSERT_EQ(removed->status, 200) << removed->body;
  EXPECT_EQ(Json(removed->body)["lines"].Size(), 0u);

  // An API client uses X-Cart-Token (no cookies, so no CSRF header needed).
  auto token_add = client_->Post("/api/v1/cart/items", {{"X-Cart-Token", *b.cookie("ws_cart")}},
                                 Line(v, 4), kJson);
  ASSERT_TRUE(token_add);
  ASSERT_EQ(token_add->status, 200) << token_add->body;
  EXPECT_EQ(Json(b.Get("/api/v1/cart")->body)["lines"][0]["quantity"].GetInt64(), 4);
  auto bad_token = client_->Get("/api/v1/cart", {{"X-Cart-Token", "not-a-token"}});
  ASSERT_TRUE(bad_token);
  EXPECT_EQ(bad_token->status, 400);
  EXPECT_EQ(FieldOfBody(bad_token->body), "cart_token");
}

TEST_F(CartTest, BadQuantitiesAndVariantsChangeNothing) {
  auto p = server_.MakeProduct("QTY", 50'00, 3);
  auto sold_out = server_.MakeProduct("GONE", 50'00, 0);
  auto a = server_.MakeAccount("quant@example.com");
  const int64_t v = p->variants[0].id;
  ASSERT_EQ(client_->Post("/api/v1/cart/items", Bearer(a.token), Line(v, 1), kJson)->status, 200);

  struct Case {
    std::string body;
    int status;
    std::string reason;
    std::string field;
  } cases[] = {
      {Line(v, 0), 400, "validation", "quantity"},
      {Line(v, -1), 400, "validation", "quantity"},
      {Line(v, -9223372036854775807LL), 400, "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":9223372036854775808})"), 400,
       "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":99999999999999999999999})"), 400,
       "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1e400})"), 400, "validation", "body"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1.5})"), 400, "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":"2"})"), 400, "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":null})"), 400, "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(})"), 400, "validation", "quantity"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1,"note":"gift"})"), 400, "validation",
       "note"},
      {absl::StrCat(R"({"variant_id":)", v, R"(,"quantity":1,"quantity":2})"), 400, "validation",
       "quantity"},
      {Line(v, 11), 400, "validation", "quantity"},
      {Line(v, 3), 409, "out_of_stock", "quantity"},  // 1 + 3 > 3 in stock
      {Line(sold_out->variants[0].id, 1), 409, "out_of_stock", "variant_id"},
      {Line(987654, 1), 404, "not_found", "variant_id"},
      {Line(-5, 1), 400, "validation", "variant_id"},
      {R"({"variant_id":"1","quantity":1})", 400, "validation", "variant_id"},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/api/v1/cart/items", Bearer(a.token), c.body, kJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << c.body << " -> " << r->body;
    EXPECT_EQ(ReasonOfBody(r->body), c.reason) << c.body;
    EXPECT_EQ(FieldOfBody(r->body), c.field) << c.body << " -> " << r->body;
  }
  auto put = client_->Put(absl::StrCat("/api/v1/cart/items/", v).c_str(), Bearer(a.token),
                          R"({"quantity":-3})", kJson);
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 400);
  auto put_unknown =
      client_->Put("/api/v1/cart/items/abc", Bearer(a.token), R"({"quantity":1})", kJson);
  ASSERT_TRUE(put_unknown);
  EXPECT_EQ(put_unknown->status, 404);
  auto put_missing =
      client_->Put("/api/v1/cart/items/987654", Bearer(a.token), R"({"quantity":1})", kJson);
  ASSERT_TRUE(put_missing);
  EXPECT_EQ(put_missing->status, 404);
  auto delete_unknown = client_->Delete("/api/v1/cart/items/abc", Bearer(a.token));
  ASSERT_TRUE(delete_unknown);
  EXPECT_EQ(delete_unknown->status, 404);

  auto cart = server_.store().carts().GetCart(CartOwner::ForUser(a.user.id));
  ASSERT_TRUE(cart.ok());
  ASSERT_EQ(cart->lines.size(), 1u);
  EXPECT_EQ(cart->lines[0].quantity, 1);
  EXPECT_EQ(server_.store().storage().GetProduct(p->id)->variants[0].stock, 3);
}

class OrdersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    product_ = server_.MakeProduct("ORD", 199'00, 5);
    buyer_ = server_.MakeAccount("buyer@example.com");
    other_ = server_.MakeAccount("other@example.com");
    admin_ = server_.MakeAccount("boss@example.com", Role::kAdmin);
  }
  void AddToCart(const TestServer::Account& who, int64_t qty) {
    auto r = client_->Post("/api/v1/cart/items", Bearer(who.token),
                           Line(product_->variants[0].id, qty), kJson);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  httplib::Result Checkout(const TestServer::Account& who, const std::string& key,
                           const std::string& body = ShippingBody()) {
    httplib::Headers h = Bearer(who.token);
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return client_->Post("/api/v1/orders", h, body, kJson);
  }
  int64_t Stock() { return server_.store().storage().GetProduct(product_->id)->variants[0].stock; }

  TestServer server_;
  std::unique_ptr<httplib::Client> client_ = server_.Client();
  std::shared_ptr<const Product> product_;
  TestServer::Account buyer_, other_, admin_;
};

TEST_F(OrdersTest, CheckoutCreatesTheOrderAndReplaysTheSameKey) {
  AddToCart(buyer_, 2);
  auto first = Checkout(buyer_, "key-0001");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  rapidjson::Document o = Json(first->body);
  const int64_t id = o["id"].GetInt64();
  EXPECT_EQ(first->get_header_value("Location"), absl::StrCat("/api/v1/orders/", id));
  EXPECT_FALSE(first->has_header("Idempotent-Replayed"));
  EXPECT_EQ(std::string(o["status"].GetString()), "pending");
  EXPECT_EQ(std::string(o["number"].GetString()).rfind("WS-", 0), 0u);
  ASSERT_EQ(o["lines"].Size(), 1u);
  EXPECT_EQ(o["lines"][0]["quantity"].GetInt64(), 2);
  EXPECT_EQ(o["total"]["amount_minor"].GetInt64(), 398'00);
  EXPECT_EQ(std::string(o["shipping"]["country"].GetString()), "GB");
  EXPECT_EQ(Stock(), 3);
  EXPECT_EQ(Json(client_->Get("/api/v1/cart", Bearer(buyer_.token))->body)["lines"].Size(), 0u);

  // The same key and body (formatted differently): the first order, again.
  std::string reformatted = ShippingBody();
  reformatted.insert(1, " \n ");
  auto replay = Checkout(buyer_, "key-0001", reformatted);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 201);
  EXPECT_EQ(replay->get_header_value("Idempotent-Replayed"), "true");
  EXPECT_EQ(Json(replay->body)["id"].GetInt64(), id);
  EXPECT_EQ(replay->body, first->body);
  EXPECT_EQ(Stock(), 3);

  // The same key with another body: refused, nothing placed.
  AddToCart(buyer_, 1);
  auto reused = Checkout(buyer_, "key-0001", ShippingBody("Charles Babbage"));
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->status, 422);
  EXPECT_EQ(ReasonOfBody(reused->body), "idempotency_key_reused");
  EXPECT_EQ(Stock(), 3);
  auto orders = server_.store().storage().ListOrders(OrderQuery{});
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->items.size(), 1u);
}

TEST_F(OrdersTest, CheckoutFailuresChangeNothing) {
  auto anon = client_->Post("/api/v1/orders", {{"Idempotency-Key", "k1"}}, ShippingBody(), kJson);
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  auto empty = Checkout(buyer_, "k-empty");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 409);
  EXPECT_EQ(ReasonOfBody(empty->body), "cart_empty");

  AddToCart(buyer_, 3);
  auto no_key = Checkout(buyer_, "");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 400);
  EXPECT_EQ(FieldOfBody(no_key->body), "Idempotency-Key");
  auto long_key = Checkout(buyer_, std::string(256, 'k'));
  ASSERT_TRUE(long_key);
  EXPECT_EQ(long_key->status, 400);
  auto two_keys = client_->Post("/api/v1/orders",
                                {{"Authorization", absl::StrCat("Bearer ", buyer_.token)},
                                 {"Idempotency-Key", "a"},
                                 {"Idempotency-Key", "b"}},
                                ShippingBody(), kJson);
  ASSERT_TRUE(two_keys);
  EXPECT_EQ(two_keys->status, 400);
  auto bad_country = Checkout(
      buyer_, "k-country",
      R"({"shipping":{"name":"A","line1":"B","city":"C","postal_code":"D","country":"England"}})");
  ASSERT_TRUE(bad_country);
  EXPECT_EQ(bad_country->status, 400);
  EXPECT_EQ(FieldOfBody(bad_country->body), "shipping.country");
  auto missing = Checkout(buyer_, "k-missing", R"({"shipping":{"name":"A"}})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(FieldOfBody(missing->body), "shipping.line1");
  auto extra = Checkout(
      buyer_, "k-extra",
      R"({"shipping":{"name":"A","line1":"B","city":"C","postal_code":"D","country":"GB"},"coupon":"FREE"})");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->status, 400);
  EXPECT_EQ(FieldOfBody(extra->body), "coupon");

  // Stock drops below the cart between adding and paying.
  ASSERT_TRUE(
      server_.store()
          .catalog()
          .AdjustStock(Principal{admin_.user.id, Role::kAdmin, ""}, product_->variants[0].id, -4)
          .ok());
  auto short_stock = Checkout(buyer_, "k-stock");
  ASSERT_TRUE(short_stock);
  EXPECT_EQ(short_stock->status, 409);
  EXPECT_EQ(ReasonOfBody(short_stock->body), "out_of_stock");
  EXPECT_TRUE(absl::StrContains(Json(short_stock->body)["detail"].GetString(), "ORD-0"));
  EXPECT_EQ(Stock(), 1);
  EXPECT_TRUE(server_.store().storage().ListOrders(OrderQuery{})->items.empty());
}

// A storage whose PlaceOrder waits until released, to hold a checkout in flight.
class SlowCheckoutStorage : public ::watchstore::testing::OwningCountingStorage {
 public:
  using OwningCountingStorage::OwningCountingStorage;
  absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& o) override {
    if (!entered_once.exchange(true)) entered.Notify();
    release.WaitForNotification();
    return OwningCountingStorage::PlaceOrder(o);
  }
  std::atomic<bool> entered_once{false};
  absl::Notification entered;
  absl::Notification release;
};

TEST(OrdersInFlightTest, TheSameKeyWhileTheFirstIsRunningIs409) {
  SlowCheckoutStorage* slow = nullptr;
  TestServerOptions o;
  o.wrap_storage = [&slow](std::unique_ptr<Storage> base) {
    auto s = std::make_unique<SlowCheckoutStorage>(std::move(base));
    slow = s.get();
    return std::unique_ptr<Storage>(std::move(s));
  };
  TestServer server(o);
  auto p = server.MakeProduct("SLOW", 10'00, 5);
  auto a = server.MakeAccount("slow@example.com");
  auto c = server.Client();
  ASSERT_EQ(
      c->Post("/api/v1/cart/items", Bearer(a.token), Line(p->variants[0].id, 1), kJson)->status,
      200);
  httplib::Headers h = Bearer(a.token);
  h.emplace("Idempotency-Key", "in-flight-1");
  int first_status = 0;
  std::thread first([&] {
    auto c1 = server.Client();
    auto r = c1->Post("/api/v1/orders", h, ShippingBody(), kJson);
    first_status = r ? r->status : -1;
  });
  slow->entered.WaitForNotification();
  EXPECT_EQ(server.api().checkouts_in_flight(), 1);
  auto second = c->Post("/api/v1/orders", h, ShippingBody(), kJson);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409);
  EXPECT_EQ(ReasonOfBody(second->body), "idempotency_in_flight");
  slow->release.Notify();
  first.join();
  EXPECT_EQ(first_status, 201);
  EXPECT_EQ(server.api().checkouts_in_flight(), 0);
  auto third = c->Post("/api/v1/orders", h, ShippingBody(), kJson);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 201);
  EXPECT_EQ(third->get_header_value("Idempotent-Replayed"), "true");
}

TEST_F(OrdersTest, UsersSeeOnlyTheirOwnOrders) {
  AddToCart(buyer_, 1);
  auto placed = Checkout(buyer_, "mine-1");
  ASSERT_EQ(placed->status, 201);
  const int64_t id = Json(placed->body)["id"].GetInt64();
  const std::string path = absl::StrCat("/api/v1/orders/", id);

  auto own = client_->Get(path.c_str(), Bearer(buyer_.token));
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
  EXPECT_EQ(own->get_header_value("Cache-Control"), "no-store");
  auto theirs = client_->Get(path.c_str(), Bearer(other_.token));
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->status, 404);
  auto cancel_theirs = client_->Post(absl::StrCat(path, "/cancel").c_str(), Bearer(other_.token));
  ASSERT_TRUE(cancel_theirs);
  EXPECT_EQ(cancel_theirs->status, 404);
  EXPECT_EQ(server_.store().storage().GetOrder(id)->status, OrderStatus::kPending);
  auto anon = client_->Get(path.c_str());
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->status, 401);
  auto others_list = client_->Get("/api/v1/orders", Bearer(other_.token));
  ASSERT_TRUE(others_list);
  EXPECT_EQ(Json(others_list->body)["items"].Size(), 0u);
  EXPECT_EQ(client_->Get("/api/v1/orders/987654", Bearer(buyer_.token))->status, 404);
  // Staff see every order.
  EXPECT_EQ(client_->Get(path.c_str(), Bearer(admin_.token))->status, 200);
}

TEST_F(OrdersTest, CancelRestoresStockOnce) {
  AddToCart(buyer_, 2);
  auto placed = Checkout(buyer_, "cancel-1");
  const int64_t id = Json(placed->body)["id"].GetInt64();
  EXPECT_EQ(Stock(), 3);
  auto cancelled =
      client_->Post(absl::StrCat("/api/v1/orders/", id, "/cancel").c_str(), Bearer(buyer_.token));
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  EXPECT_EQ(std::string(Json(cancelled->body)["status"].GetString()), "cancelled");
  EXPECT_EQ(Stock(), 5);
  auto again =
      client_->Post(absl::StrCat("/api/v1/orders/", id, "/cancel").c_str(), Bearer(buyer_.token));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(ReasonOfBody(again->body), "illegal_transition");
  EXPECT_EQ(Stock(), 5);
  auto with_body = client_->Post(absl::StrCat("/api/v1/orders/", id, "/cancel").c_str(),
                                 Bearer(buyer_.token), R"({"reason":"changed my mind"})", kJson);
  ASSERT_TRUE(with_body);
  EXPECT_EQ(with_body->status, 400);
  EXPECT_EQ(FieldOfBody(with_body->body), "reason");
}

TEST_F(OrdersTest, HistoryPagesNewestFirst) {
  for (int i = 0; i < 3; ++i) {
    AddToCart(buyer_, 1);
    ASSERT_EQ(Checkout(buyer_, absl::StrCat("page-", i))->status, 201);
  }
  auto page = client_->Get("/api/v1/orders?limit=2", Bearer(buyer_.token));
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  rapidjson::Document d = Json(page->body);
  ASSERT_EQ(d["items"].Size(), 2u);
  EXPECT_GT(d["items"][0]["id"].GetInt64(), d["items"][1]["id"].GetInt64());
  ASSERT_TRUE(d["next_before"].IsInt64());
  auto rest = client_->Get(
      absl::StrCat("/api/v1/orders?limit=2&before=", d["next_before"].GetInt64()).c_str(),
      Bearer(buyer_.token));
  rapidjson::Document r = Json(rest->body);
  EXPECT_EQ(r["items"].Size(), 1u);
  EXPECT_TRUE(r["next_before"].IsNull());
  EXPECT_EQ(client_->Get("/api/v1/orders?limit=0", Bearer(buyer_.token))->status, 400);
  EXPECT_EQ(client_->Get("/api/v1/orders?before=-4", Bearer(buyer_.token))->status, 400);
  EXPECT_EQ(client_->Get("/api/v1/orders?page=2", Bearer(buyer_.token))->status, 400);
}

TEST_F(OrdersTest, AdminOrdersAndTransitions) {
  AddToCart(buyer_, 1);
  const int64_t id = Json(Checkout(buyer_, "admin-1")->body)["id"].GetInt64();
  EXPECT_EQ(client_->Get("/api/v1/admin/orders", Bearer(buyer_.token))->status, 403);
  EXPECT_EQ(client_->Get("/api/v1/admin/orders")->status, 401);
  auto all = client_->Get("/api/v1/admin/orders?status=pending", Bearer(admin_.token));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200) << all->body;
  EXPECT_EQ(Json(all->body)["items"].Size(), 1u);
  EXPECT_EQ(
      Json(client_->Get("/api/v1/admin/orders?status=paid", Bearer(admin_.token))->body)["items"]
          .Size(),
      0u);
  EXPECT_EQ(client_->Get("/api/v1/admin/orders?status=lost", Bearer(admin_.token))->status, 400);

  const std::string path = absl::StrCat("/api/v1/admin/orders/", id, "/status");
  auto by_customer =
      client_->Post(path.c_str(), Bearer(buyer_.token), R"({"status":"paid"})", kJson);
  ASSERT_TRUE(by_customer);
  EXPECT_EQ(by_customer->status, 403);
  auto paid = client_->Post(path.c_str(), Bearer(admin_.token), R"({"status":"paid"})", kJson);
  ASSERT_TRUE(paid);
  ASSERT_EQ(paid->status, 200) << paid->body;
  EXPECT_EQ(std::string(Json(paid->body)["status"].GetString()), "paid");
  auto back = client_->Post(path.c_str(), Bearer(admin_.token), R"({"status":"pending"})", kJson);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 409);
  EXPECT_EQ(ReasonOfBody(back->body), "illegal_transition");
  auto bogus =
      client_->Post(path.c_str(), Bearer(admin_.token), R"({"status":"teleported"})", kJson);
  ASSERT_TRUE(bogus);
  EXPECT_EQ(bogus->status, 400);
  EXPECT_EQ(FieldOfBody(bogus->body), "status");
  auto unknown = client_->Post("/api/v1/admin/orders/987654/status", Bearer(admin_.token),
                               R"({"status":"paid"})", kJson);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(server_.store().storage().GetOrder(id)->status, OrderStatus::kPaid);
}

// --- Operations and routing ---------------------------------------------------

class FailingPingStorage : public ::watchstore::testing::OwningCountingStorage {
 public:
  using OwningCountingStorage::OwningCountingStorage;
  absl::Status Ping() override {
    return down ? absl::UnavailableError("db.internal:5432 refused") : absl::OkStatus();
  }
  std::atomic<bool> down{false};
};

TEST(OperationsTest, HealthReadinessAndMetrics) {
  FailingPingStorage* storage = nullptr;
  TestServerOptions o;
  o.wrap_storage = [&storage](std::unique_ptr<Storage> base) {
    auto s = std::make_unique<FailingPingStorage>(std::move(base));
    storage = s.get();
    return std::unique_ptr<Storage>(std::move(s));
  };
  TestServer server(o);
  auto c = server.Client();
  auto health = c->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");
  auto ready = c->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, R"({"storage":"ok","cache":"ok"})");
  storage->down = true;
  auto not_ready = c->Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->body, R"({"storage":"unavailable","cache":"ok"})");
  EXPECT_FALSE(absl::StrContains(not_ready->body, "db.internal"));

  auto p = server.MakeProduct("METRIC", 10'00, 1);
  for (int i = 0; i < 3; ++i) c->Get(absl::StrCat("/api/v1/products/", p->id).c_str());
  c->Get("/api/v1/products/424242");
  // /metrics is on the operations listener only.
  auto public_metrics = c->Get("/metrics");
  ASSERT_TRUE(public_metrics);
  EXPECT_EQ(public_metrics->status, 404);
  httplib::Client ops("127.0.0.1", server.ops_port());
  for (const char* path : {"/api/v1/products", "/index.html", "/nothing"}) {
    auto r = ops.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << path;
  }
  auto ops_health = ops.Get("/healthz");
  ASSERT_TRUE(ops_health);
  EXPECT_EQ(ops_health->status, 200);
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = metrics->body;
  EXPECT_TRUE(absl::StrContains(
      m,
      R"(watchstore_http_requests_total{method="GET",route="/api/v1/products/{id}",status="200"} 3)"))
      << m;
  EXPECT_TRUE(absl::StrContains(
      m,
      R"(watchstore_http_requests_total{method="GET",route="/api/v1/products/{id}",status="404"} 1)"));
  EXPECT_TRUE(absl::StrContains(
      m,
      R"(watchstore_http_request_duration_seconds_bucket{method="GET",route="/api/v1/products/{id}",le="+Inf"} 4)"));
  EXPECT_TRUE(absl::StrContains(m, R"(watchstore_cache_hits_total{cache="memory"})"));
  EXPECT_TRUE(absl::StrContains(m, R"(watchstore_cache_misses_total{cache="memory"})"));
  EXPECT_TRUE(absl::StrContains(m, "watchstore_http_worker_threads 96"));
  EXPECT_TRUE(absl::StrContains(m, "watchstore_http_busy_workers"));
  EXPECT_TRUE(absl::StrContains(m, "watchstore_http_open_connections"));
  EXPECT_TRUE(absl::StrContains(m, "watchstore_http_evicted_connections_total"));
}

TEST(RoutingTest, UnknownPathsMethodsAndOptions) {
  TestServer server;
  auto c = server.Client();
  auto missing = c->Get("/api/v1/watches");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ReasonOfBody(missing->body), "not_found");
  EXPECT_EQ(missing->get_header_value("Content-Type"), "application/problem+json");
  auto trailing = c->Get("/api/v1/products/");
  ASSERT_TRUE(trailing);
  EXPECT_EQ(trailing->status, 404);

  auto wrong_method = c->Delete("/api/v1/products");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(ReasonOfBody(wrong_method->body), "method_not_allowed");
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "GET, HEAD, POST, OPTIONS");
  auto patch = c->Patch("/api/v1/cart/items/1", R"({"quantity":1})", kJson);
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->status, 405);
  EXPECT_EQ(patch->get_header_value("Allow"), "DELETE, PUT, OPTIONS");

  auto options = c->Options("/api/v1/products/7");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 204);
  EXPECT_EQ(options->get_header_value("Allow"), "GET, HEAD, PUT, OPTIONS");

  auto head = c->Head("/api/v1/products");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  auto bench = c->Get("/bench/hello");  // only with --bench-hello
  ASSERT_TRUE(bench);
  EXPECT_EQ(bench->status, 404);
}

}  // namespace
}  // namespace watchstore::http::testing
