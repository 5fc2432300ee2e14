// Payments over real HTTP: guest checkout and the order link, the payment
// configuration, refunds, the unpaid-order cap, and the provider webhook's
// answers to bad input (with a recording card provider; the Stripe adapter
// and its signatures are tested in tests/payments/).
#include <string>

#include "absl/strings/str_cat.h"
#include "api_test_util.h"
#include "fake_payment_provider.h"
#include "gtest/gtest.h"

namespace watchstore::http::testing {
namespace {

using ::watchstore::testing::FakeCardProvider;
using ::watchstore::testing::PrincipalOf;

std::string Line(int64_t variant, int64_t quantity) {
  return absl::StrCat(R"({"variant_id":)", variant, R"(,"quantity":)", quantity, "}");
}

std::string GuestBody(const std::string& email) {
  std::string body = ShippingBody();
  body.pop_back();  // the closing brace
  return absl::StrCat(body, R"(,"email":")", email, R"("})");
}

class PaymentsApiTest : public ::testing::Test {
 protected:
  explicit PaymentsApiTest(std::shared_ptr<PaymentProvider> provider = nullptr)
      : provider_(std::move(provider)), server_(Options(provider_)) {}

  static TestServerOptions Options(std::shared_ptr<PaymentProvider> provider) {
    TestServerOptions o;
    o.insecure_cookies = true;
    o.tune_store = [provider](StoreOptions& s) {
      s.payments.provider = provider;
      s.payments.max_unpaid_per_buyer = 2;
    };
    return o;
  }

  // A browser with a guest cart of `q` units of `v`.
  std::unique_ptr<Browser> GuestWith(int64_t v, int64_t q) {
    auto b = std::make_unique<Browser>(server_);
    auto added = b->Send("POST", "/api/v1/cart/items", Line(v, q));
    EXPECT_TRUE(added && added->status == 200);
    return b;
  }
  httplib::Result GuestCheckout(Browser& b, const std::string& key, const std::string& body) {
    return b.Send("POST", "/api/v1/orders", body, {{"Idempotency-Key", key}});
  }
  httplib::Result Post(const std::string& path, const std::string& token, const std::string& body,
                       httplib::Headers extra = {}) {
    httplib::Headers h = Bearer(token);
    h.insert(extra.begin(), extra.end());
    return client_->Post(path.c_str(), h, body, kJson);
  }

  std::shared_ptr<PaymentProvider> provider_;
  TestServer server_;
  std::unique_ptr<httplib::Client> client_ = server_.Client();
};

TEST_F(PaymentsApiTest, AGuestChecksOutAndComesBackThroughTheOrderLink) {
  auto p = server_.MakeProduct("GUEST", 80'00, 5);
  auto b = GuestWith(p->variants[0].id, 2);
  // Without an address there is no guest checkout.
  auto no_email = GuestCheckout(*b, "k1", ShippingBody());
  ASSERT_TRUE(no_email);
  EXPECT_EQ(no_email->status, 400) << no_email->body;
  EXPECT_EQ(std::string(Json(no_email->body)["field"].GetString()), "email");
  auto placed = GuestCheckout(*b, "k1", GuestBody("Guest@Example.com"));
  ASSERT_TRUE(placed);
  ASSERT_EQ(placed->status, 201) << placed->body;
  rapidjson::Document d = Json(placed->body);
  const std::string token = d["access_token"].GetString();
  const auto& order = d["order"];
  EXPECT_TRUE(order["guest"].GetBool());
  EXPECT_EQ(std::string(order["email"].GetString()), "guest@example.com");
  EXPECT_EQ(std::string(order["payment"]["provider"].GetString()), "manual");
  EXPECT_EQ(std::string(order["payment"]["reference"].GetString()),
            std::string(order["number"].GetString()));
  EXPECT_TRUE(order["reserved_until"].IsString());
  EXPECT_EQ(placed->get_header_value("Location"), "/api/v1/guest-order");
  // A replay answers the same order and link.
  auto again = GuestCheckout(*b, "k1", GuestBody("guest@example.com"));
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 201) << again->body;
  EXPECT_EQ(again->get_header_value("Idempotent-Replayed"), "true");
  EXPECT_EQ(std::string(Json(again->body)["access_token"].GetString()), token);
  // The link, in a header only.
  auto linked = client_->Get("/api/v1/guest-order", {{"X-Order-Token", token}});
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->status, 200) << linked->body;
  EXPECT_EQ(Json(linked->body)["id"].GetInt64(), order["id"].GetInt64());
  for (const std::string& wrong : {NewRandomToken(), std::string("x"), std::string()}) {
    auto r = client_->Get("/api/v1/guest-order", {{"X-Order-Token", wrong}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << wrong;
  }
  EXPECT_EQ(client_->Get("/api/v1/guest-order")->status, 404);
  // Another buyer cannot see it by id.
  auto alice = server_.MakeAccount("alice@example.com");
  auto by_id = client_->Get(absl::StrCat("/api/v1/orders/", order["id"].GetInt64()).c_str(),
                            Bearer(alice.token));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->status, 404);
  // The guest cancels through the link; the stock returns.
  auto cancelled =
      client_->Post("/api/v1/guest-order/cancel", {{"X-Order-Token", token}}, "", kJson);
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  EXPECT_EQ(std::string(Json(cancelled->body)["status"].GetString()), "cancelled");
  EXPECT_EQ((*server_.store().catalog().GetProduct(p->id, nullptr))->variants[0].stock, 5);
}

TEST_F(PaymentsApiTest, AUserMayNotNameAnotherAddressAndAnonymousNeedsACart) {
  auto p = server_.MakeProduct("USER", 80'00, 5);
  auto alice = server_.MakeAccount("alice@example.com");
  WS_ASSERT_OK(server_.store().carts().AddItem(
      server_.store().carts().UserOwner(PrincipalOf(alice.user)), p->variants[0].id, 1));
  auto other = Post("/api/v1/orders", alice.token, GuestBody("someone@example.com"),
                    {{"Idempotency-Key", "k"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 400);
  auto anonymous = client_->Post("/api/v1/orders", {{"Idempotency-Key", "k"}},
                                 GuestBody("a@example.com"), kJson);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto bad_cart =
      client_->Post("/api/v1/orders", {{"Idempotency-Key", "k"}, {"X-Cart-Token", "not-a-token"}},
                    GuestBody("a@example.com"), kJson);
  ASSERT_TRUE(bad_cart);
  EXPECT_EQ(bad_cart->status, 400);
  auto placed = Post("/api/v1/orders", alice.token, ShippingBody(), {{"Idempotency-Key", "k"}});
  ASSERT_TRUE(placed);
  ASSERT_EQ(placed->status, 201) << placed->body;
  EXPECT_FALSE(Json(placed->body)["guest"].GetBool());
}

TEST_F(PaymentsApiTest, TheUnpaidOrderCapAnswers429) {
  auto p = server_.MakeProduct("CAP", 10'00, 50);
  auto alice = server_.MakeAccount("alice@example.com");
  const Principal me = PrincipalOf(alice.user);
  for (int i = 0; i < 3; ++i) {
    WS_ASSERT_OK(server_.store().carts().AddItem(server_.store().carts().UserOwner(me),
                                                 p->variants[0].id, 1));
    auto r = Post("/api/v1/orders", alice.token, ShippingBody(),
                  {{"Idempotency-Key", absl::StrCat("k", i)}});
    ASSERT_TRUE(r);
    if (i < 2) {
      EXPECT_EQ(r->status, 201) << r->body;
    } else {
      EXPECT_EQ(r->status, 429) << r->body;
      EXPECT_EQ(std::string(Json(r->body)["type"].GetString()), "/problems/too_many_unpaid_orders");
      EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    }
  }
  EXPECT_EQ((*server_.store().catalog().GetProduct(p->id, nullptr))->variants[0].stock, 48);
}

TEST_F(PaymentsApiTest, StaffRefundLinesAndBadRefundsChangeNothing) {
  auto p = server_.MakeProduct("REF", 100'00, 10);
  auto alice = server_.MakeAccount("alice@example.com");
  auto admin = server_.MakeAccount("boss@example.com", Role::kAdmin);
  WS_ASSERT_OK(server_.store().carts().AddItem(
      server_.store().carts().UserOwner(PrincipalOf(alice.user)), p->variants[0].id, 3));
  auto placed = Post("/api/v1/orders", alice.token, ShippingBody(), {{"Idempotency-Key", "k"}});
  ASSERT_TRUE(placed);
  ASSERT_EQ(placed->status, 201);
  const int64_t id = Json(placed->body)["id"].GetInt64();
  const std::string refunds = absl::StrCat("/api/v1/admin/orders/", id, "/refunds");
  const std::string one = absl::StrCat(R"({"lines":[)", Line(p->variants[0].id, 1), "]}");
  // Unpaid: nothing to refund.
  auto early = Post(refunds, admin.token, one);
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 409) << early->body;
  auto paid = Post(absl::StrCat("/api/v1/admin/orders/", id, "/status"), admin.token,
                   R"({"status":"paid"})");
  ASSERT_TRUE(paid);
  ASSERT_EQ(paid->status, 200) << paid->body;
  EXPECT_EQ(std::string(Json(paid->body)["payment"]["state"].GetString()), "captured");
  EXPECT_EQ(Post(refunds, alice.token, one)->status, 403);
  for (const std::string& bad :
       {std::string(R"({"lines":[{"variant_id":1}]})"),
        absl::StrCat(R"({"lines":[)", Line(p->variants[0].id, 0), "]}"),
        absl::StrCat(R"({"lines":[)", Line(p->variants[0].id, 4), "]}"),
        absl::StrCat(R"({"lines":[)", Line(987654, 1), "]}"), std::string(R"({"lines":"all"})"),
        std::string(R"({"restock":"yes"})"), std::string(R"({"lines":[)")}) {
    auto r = Post(refunds, admin.token, bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << " -> " << r->body;
  }
  EXPECT_EQ((*server_.store().catalog().GetProduct(p->id, nullptr))->variants[0].stock, 7);
  auto refunded = Post(refunds, admin.token, one);
  ASSERT_TRUE(refunded);
  ASSERT_EQ(refunded->status, 200) << refunded->body;
  rapidjson::Document r = Json(refunded->body);
  EXPECT_EQ(r["lines"][0]["refunded_quantity"].GetInt64(), 1);
  EXPECT_EQ(r["payment"]["refunded"]["amount_minor"].GetInt64(), 100'00);
  EXPECT_EQ(std::string(r["status"].GetString()), "paid");
  EXPECT_EQ((*server_.store().catalog().GetProduct(p->id, nullptr))->variants[0].stock, 8);
  auto rest = Post(refunds, admin.token, R"({"restock":false})");
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->status, 200) << rest->body;
  EXPECT_EQ(std::string(Json(rest->body)["status"].GetString()), "refunded");
  EXPECT_EQ((*server_.store().catalog().GetProduct(p->id, nullptr))->variants[0].stock, 8);
}

TEST_F(PaymentsApiTest, TheManualProviderHasNoWebhook) {
  auto config = client_->Get("/api/v1/payments/config");
  ASSERT_TRUE(config);
  ASSERT_EQ(config->status, 200);
  rapidjson::Document c = Json(config->body);
  EXPECT_EQ(std::string(c["provider"].GetString()), "manual");
  EXPECT_TRUE(c["publishable_key"].IsNull());
  for (const char* path : {"/api/v1/payments/manual/webhook", "/api/v1/payments/stripe/webhook"}) {
    auto r = client_->Post(path, R"({"id":"evt_1"})", kJson);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << path;
  }
}

class CardWebhookTest : public PaymentsApiTest {
 protected:
  CardWebhookTest() : PaymentsApiTest(std::make_shared<FakeCardProvider>()) {}
  FakeCardProvider& card() { return static_cast<FakeCardProvider&>(*provider_); }
  httplib::Result Notify(const std::string& body, const std::string& signature = "good") {
    return client_->Post("/api/v1/payments/fakecard/webhook", {{"Stripe-Signature", signature}},
                         body, kJson);
  }
};

TEST_F(CardWebhookTest, SignedEventsApplyOnceAndBadOnesGetPrecise4xx) {
  auto p = server_.MakeProduct("CARD", 120'00, 5);
  auto alice = server_.MakeAccount("alice@example.com");
  WS_ASSERT_OK(server_.store().carts().AddItem(
      server_.store().carts().UserOwner(PrincipalOf(alice.user)), p->variants[0].id, 1));
  auto placed = Post("/api/v1/orders", alice.token, ShippingBody(), {{"Idempotency-Key", "k"}});
  ASSERT_TRUE(placed);
  ASSERT_EQ(placed->status, 201) << placed->body;
  rapidjson::Document d = Json(placed->body);
  EXPECT_EQ(std::string(d["payment"]["client_secret"].GetString()), "pi_1_secret");
  WS_ASSERT_OK_AND_ASSIGN(Order order, server_.store().storage().GetOrder(d["id"].GetInt64()));
  // Staff do not see the client secret.
  auto admin = server_.MakeAccount("boss@example.com", Role::kAdmin);
  auto staff_view =
      client_->Get(absl::StrCat("/api/v1/orders/", order.id).c_str(), Bearer(admin.token));
  ASSERT_TRUE(staff_view);
  EXPECT_FALSE(Json(staff_view->body)["payment"].HasMember("client_secret"));

  struct Case {
    std::string body, signature;
    int status;
  };
  Order stranger = order, cheaper = order;
  stranger.payment.reference = "pi_404";
  cheaper.payment.amount.minor_units = 1;
  const Case bad[] = {
      {FakeCardProvider::Event("e1", order, PaymentState::kCaptured), "forged", 401},
      {FakeCardProvider::Event("e1", order, PaymentState::kCaptured), "", 401},
      {"{not json", "good", 400},
      {FakeCardProvider::Event("e1", stranger, PaymentState::kCaptured), "good", 404},
      {FakeCardProvider::Event("e1", cheaper, PaymentState::kCaptured), "good", 409},
  };
  for (const Case& c : bad) {
    auto r = Notify(c.body, c.signature);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status) << c.body << " -> " << r->body;
  }
  WS_ASSERT_OK_AND_ASSIGN(Order still, server_.store().storage().GetOrder(order.id));
  EXPECT_EQ(still.status, OrderStatus::kPending);
  // An oversized body never reaches the provider.
  auto huge = Notify(std::string(200 << 10, 'x'));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  // The real event, ten times: applied once.
  for (int i = 0; i < 10; ++i) {
    auto r = Notify(FakeCardProvider::Event("e2", order, PaymentState::kCaptured));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    rapidjson::Document a = Json(r->body);
    EXPECT_EQ(std::string(a["status"].GetString()), "paid");
    EXPECT_EQ(a["duplicate"].GetBool(), i > 0);
  }
  // A late failure changes nothing.
  auto late = Notify(FakeCardProvider::Event("e3", order, PaymentState::kFailed));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 200);
  WS_ASSERT_OK_AND_ASSIGN(Order paid, server_.store().storage().GetOrder(order.id));
  EXPECT_EQ(paid.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.payment.state, PaymentState::kCaptured);
  EXPECT_EQ((*server_.store().catalog().GetProduct(p->id, nullptr))->variants[0].stock, 4);
  // The payment configuration names the provider.
  EXPECT_EQ(
      std::string(Json(client_->Get("/api/v1/payments/config")->body)["provider"].GetString()),
      "fakecard");
}

}  // namespace
}  // namespace watchstore::http::testing
