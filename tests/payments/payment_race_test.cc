// The payment path end to end on the real pieces: two watchstore-server
// processes on one PostgreSQL, the Stripe stand-in delivering signed
// webhooks, 64 buyers (users and guests) racing for the last 10 units.
// Proves the issue's guarantees: exactly the stock is sold, every success
// is paid by a verified webhook, a retried checkout makes one order and one
// PaymentIntent, replayed/forged/out-of-order events change nothing twice,
// two sweepers give expired stock back once, and a payment after expiry
// never leaves a paid order without stock.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "postgres/pg_test_support.h"
#include "process_util.h"
#include "stripe_standin.h"
#include "test_util.h"
#include "watchstore/tokens.h"

namespace watchstore::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kWebhookSecret[] = "whsec_race_test_secret";
constexpr char kJson[] = "application/json";

rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  return d;
}

std::string Shipping(const std::string& email = "") {
  return absl::StrCat(
      R"({"shipping":{"name":"Ada","line1":"1 Loop Rd","city":"London","postal_code":"N1","country":"GB"})",
      email.empty() ? "" : absl::StrCat(R"(,"email":")", email, R"(")"), "}");
}

// A watchstore-server process serving the test schema with Stripe.
class Server {
 public:
  Server(const std::string& db_url, const std::string& stripe_base)
      : port_(FreePort()) {
    proc_ = StartProgram(
        WATCHSTORE_SERVER_BINARY,
        {"serve", absl::StrCat("--listen=127.0.0.1:", port_), "--metrics-listen=off",
         absl::StrCat("--database=", db_url), "--static-dir=" WATCHSTORE_SOURCE_DIR "/frontend",
         "--insecure-cookies", "--payments=stripe", "--card-reservation=6s",
         "--payment-sweep-interval=1s", "--max-unpaid-per-address=0",
         "--max-connections-per-address=0", "--db-pool-size=8", "--threads=64",
         "--mail-dir=/tmp/ws-race-mail", "--access-log=off"},
        {absl::StrCat("WATCHSTORE_STRIPE_SECRET_KEY=", StripeStandin::kSecretKey),
         absl::StrCat("WATCHSTORE_STRIPE_WEBHOOK_SECRET=", kWebhookSecret),
         "WATCHSTORE_STRIPE_PUBLISHABLE_KEY=pk_test_race",
         absl::StrCat("WATCHSTORE_STRIPE_API_BASE=", stripe_base)});
    healthy_ = WaitHealthy(port_, milliseconds(20000));
  }
  ~Server() {
    std::string out;
    Stop(proc_, milliseconds(10000), &out);
    if (::testing::Test::HasFailure()) std::cerr << "server log:\n" << out.substr(0, 20000);
  }
  bool healthy() const { return healthy_; }
  int port() const { return port_; }
  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(5);
    c->set_read_timeout(30);
    return c;
  }

 private:
  int port_;
  Process proc_;
  bool healthy_ = false;
};

class PaymentRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WS_REQUIRE_POSTGRES();
    if (std::string why = StripeToolsMissing(); !why.empty()) {
      if (InCi()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    schema_ = std::make_unique<TestSchema>();
    std::string out;
    Process migrate = StartProgram(WATCHSTORE_SERVER_BINARY,
                                   {"migrate", absl::StrCat("--database=", schema_->url())});
    ASSERT_EQ(Wait(migrate, milliseconds(60000), &out), 0) << out;
    auto storage = NewPostgresStorage(schema_->Options(4));
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
    auto standin = StripeStandin::Start();
    ASSERT_TRUE(standin.ok()) << standin.status();
    standin_ = std::move(*standin);
    a_ = std::make_unique<Server>(schema_->url(), standin_->base_url());
    b_ = std::make_unique<Server>(schema_->url(), standin_->base_url());
    ASSERT_TRUE(a_->healthy() && b_->healthy());
    // Stripe delivers every event, signed, to instance A's endpoint.
    auto hook = standin_->PostJson(
        "/__standin/webhook",
        absl::StrCat(R"({"url":"http://127.0.0.1:)", a_->port(),
                     R"(/api/v1/payments/stripe/webhook","secret":")", kWebhookSecret,
                     R"(","auto_deliver":true})"));
    ASSERT_EQ(hook.status, 200) << hook.body;
  }

  // A product with one variant and `stock` units; returns the variant.
  Variant MakeWatch(const std::string& sku, int64_t stock) {
    ProductDraft d = WatchDraft(sku, 500'00, stock, 1);
    auto p = storage_->CreateProduct(d, absl::Now());
    EXPECT_TRUE(p.ok()) << p.status();
    return p->variants[0];
  }
  int64_t StockOf(VariantId v) {
    auto id = storage_->FindProductIdByVariant(v);
    auto p = storage_->GetProduct(*id);
    return p->FindVariant(v)->stock;
  }
  // A user with a session and `v` in the cart: the bearer token.
  std::string UserWith(const std::string& email, VariantId v) {
    User u = MakeUser(*storage_, email);
    std::string token = NewRandomToken();
    const absl::Time now = absl::Now();
    EXPECT_TRUE(storage_->CreateSession(SessionRecord{Sha256Hex(token), u.id, now, now}).ok());
    EXPECT_TRUE(storage_->SetCartItem(CartOwner::ForUser(u.id), v, 1, now).ok());
    return token;
  }
  // A guest cart holding `v`: its token.
  std::string GuestWith(VariantId v) {
    std::string token = NewRandomToken();
    EXPECT_TRUE(storage_->SetCartItem(CartOwner::ForGuest(Sha256Hex(token)), v, 1, absl::Now()).ok());
    return token;
  }
  httplib::Result CheckoutAs(Server& s, const std::string& user_token,
                             const std::string& guest_token, const std::string& key) {
    httplib::Headers h = {{"Idempotency-Key", key}};
    if (!user_token.empty()) h.emplace("Authorization", absl::StrCat("Bearer ", user_token));
    if (!guest_token.empty()) h.emplace("X-Cart-Token", guest_token);
    return s.Client()->Post("/api/v1/orders", h,
                            Shipping(guest_token.empty() ? "" : key + "@guest.example"), kJson);
  }
  // Confirms a PaymentIntent at the stand-in with a test card.
  void Pay(const std::string& intent, const std::string& card = "pm_card_visa") {
    auto r = standin_->PostForm(absl::StrCat("/v1/payment_intents/", intent, "/confirm"),
                                absl::StrCat("payment_method=", card));
    EXPECT_TRUE(r.status == 200 || r.status == 402) << r.body;
  }
  // Waits (bounded) until `done` holds.
  bool Eventually(const std::function<bool()>& done, absl::Duration bound = absl::Seconds(20)) {
    const absl::Time until = absl::Now() + bound;
    while (absl::Now() < until) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }
  Order OrderById(int64_t id) {
    auto o = storage_->GetOrder(id);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : Order{};
  }
  int64_t IntentsCreated() {
    return Parse(standin_->Get("/__standin/counts").body)["intents_created"].GetInt64();
  }
  // The id of the standin's event of `type` about `intent`.
  std::string EventFor(const std::string& intent, const std::string& type) {
    rapidjson::Document events = Parse(standin_->Get("/__standin/events").body);
    for (const auto& e : events.GetArray()) {
      if (std::string(e["type"].GetString()) == type &&
          std::string(e["object_id"].GetString()) == intent) {
        return e["id"].GetString();
      }
    }
    return "";
  }
  int PaidNotices(OrderId id) {
    auto pending = storage_->ListOutbox(OutboxState::kPending, 1000);
    auto sent = storage_->ListOutbox(OutboxState::kSent, 1000);
    int n = 0;
    for (const auto* list : {&*pending, &*sent}) {
      for (const OutboxMessage& m : *list) n += m.draft.order_id == id && m.draft.kind == "order_paid";
    }
    return n;
  }

  std::unique_ptr<TestSchema> schema_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StripeStandin> standin_;
  std::unique_ptr<Server> a_, b_;
};

TEST_F(PaymentRaceTest, SixtyFourBuyersTwoInstancesTenUnits) {
  const Variant v = MakeWatch("RACE", 10);
  std::vector<std::string> users, guests;
  for (int i = 0; i < 32; ++i) users.push_back(UserWith(absl::StrCat("u", i, "@example.com"), v.id));
  for (int i = 0; i < 32; ++i) guests.push_back(GuestWith(v.id));
  const int64_t intents_before = IntentsCreated();

  std::atomic<int> placed{0}, sold_out{0}, other{0};
  std::vector<std::string> intents(64);
  std::vector<int64_t> order_ids(64, 0);
  std::vector<std::thread> buyers;
  for (int i = 0; i < 64; ++i) {
    buyers.emplace_back([&, i] {
      Server& s = i % 2 ? *a_ : *b_;
      const bool guest = i >= 32;
      auto r = CheckoutAs(s, guest ? "" : users[i], guest ? guests[i - 32] : "",
                          absl::StrCat("buyer", i));
      if (!r) {
        ++other;
      } else if (r->status == 201) {
        ++placed;
        rapidjson::Document d = Parse(r->body);
        const rapidjson::Value& o = guest ? d["order"] : d;
        intents[i] = o["payment"]["reference"].GetString();
        order_ids[i] = o["id"].GetInt64();
      } else if (r->status == 409 && r->body.find("out_of_stock") != std::string::npos) {
        ++sold_out;
      } else {
        ++other;
        ADD_FAILURE() << r->status << " " << r->body;
      }
    });
  }
  for (auto& t : buyers) t.join();
  EXPECT_EQ(placed.load(), 10);
  EXPECT_EQ(sold_out.load(), 54);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(StockOf(v.id), 0);
  EXPECT_EQ(IntentsCreated() - intents_before, 10);

  // Each buyer pays at Stripe; Stripe's signed webhook makes the order paid.
  for (const std::string& pi : intents) {
    if (!pi.empty()) Pay(pi);
  }
  EXPECT_TRUE(Eventually([&] {
    for (int64_t id : order_ids) {
      if (id != 0 && OrderById(id).status != OrderStatus::kPaid) return false;
    }
    return true;
  }));
  OrderQuery paid;
  paid.status = OrderStatus::kPaid;
  paid.limit = 100;
  EXPECT_EQ(storage_->ListOrders(paid)->items.size(), 10u);
  EXPECT_EQ(StockOf(v.id), 0);
}

TEST_F(PaymentRaceTest, ARetriedCheckoutMakesOneOrderAndOneIntent) {
  const Variant v = MakeWatch("RETRY", 5);
  const std::string token = UserWith("retry@example.com", v.id);
  const int64_t before = IntentsCreated();
  std::vector<std::thread> tries;
  std::atomic<int> created{0};
  std::vector<int64_t> ids(20, 0);
  for (int i = 0; i < 20; ++i) {
    tries.emplace_back([&, i] {
      auto r = CheckoutAs(i % 2 ? *a_ : *b_, token, "", "the-one-key");
      if (r && r->status == 201) {
        ++created;
        ids[i] = Parse(r->body)["id"].GetInt64();
      } else {
        // The only other answer: the same key still in flight (409, retry).
        EXPECT_TRUE(r && r->status == 409 && r->body.find("idempotency_in_flight") !=
                                                 std::string::npos)
            << (r ? r->body : "no answer");
      }
    });
  }
  for (auto& t : tries) t.join();
  EXPECT_GE(created.load(), 1);
  // A last retry, after the others: the same order, replayed.
  auto last = CheckoutAs(*a_, token, "", "the-one-key");
  ASSERT_TRUE(last);
  ASSERT_EQ(last->status, 201) << last->body;
  const int64_t id = Parse(last->body)["id"].GetInt64();
  for (int64_t other : ids) {
    if (other != 0) {
      EXPECT_EQ(other, id);
    }
  }
  EXPECT_EQ(IntentsCreated() - before, 1);
  EXPECT_EQ(StockOf(v.id), 4);
}

TEST_F(PaymentRaceTest, WebhooksReplayedForgedOrOutOfOrderChangeNothingTwice) {
  const Variant v = MakeWatch("HOOK", 5);
  const std::string token = UserWith("hook@example.com", v.id);
  auto placed = CheckoutAs(*a_, token, "", "k");
  ASSERT_TRUE(placed && placed->status == 201);
  rapidjson::Document d = Parse(placed->body);
  const int64_t id = d["id"].GetInt64();
  const std::string pi = d["payment"]["reference"].GetString();
  // Deliveries are made by hand from here on.
  auto manual = standin_->PostJson(
      "/__standin/webhook",
      absl::StrCat(R"({"url":"http://127.0.0.1:)", b_->port(),
                   R"(/api/v1/payments/stripe/webhook","secret":")", kWebhookSecret,
                   R"(","auto_deliver":false})"));
  ASSERT_EQ(manual.status, 200);
  Pay(pi, "pm_card_chargeDeclined");
  Pay(pi, "pm_card_visa");
  const std::string failed = EventFor(pi, "payment_intent.payment_failed");
  const std::string succeeded = EventFor(pi, "payment_intent.succeeded");
  ASSERT_FALSE(failed.empty());
  ASSERT_FALSE(succeeded.empty());
  // Forged: a wrong secret, a stale timestamp, a tampered body.
  for (const std::string& bad :
       {std::string(R"({"times":1,"secret":"whsec_wrong"})"),
        absl::StrCat(R"({"times":1,"timestamp":)", absl::ToUnixSeconds(absl::Now()) - 3600, "}"),
        std::string(R"({"times":1,"payload":"{\"id\":\"evt_x\",\"type\":\"payment_intent.succeeded\"}"})")}) {
    auto r = standin_->PostJson(absl::StrCat("/__standin/events/", succeeded, "/deliver"), bad);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Parse(r.body)["statuses"][0].GetInt(), 401) << bad;
  }
  EXPECT_EQ(OrderById(id).status, OrderStatus::kPending);
  // Out of order: the success first, the earlier failure after it.
  auto order = standin_->PostJson("/__standin/deliver",
                                  absl::StrCat(R"({"events":[")", succeeded, R"(",")", failed,
                                               R"("]})"));
  ASSERT_EQ(order.status, 200) << order.body;
  // Replayed ten times.
  auto replay = standin_->PostJson(absl::StrCat("/__standin/events/", succeeded, "/deliver"),
                                   R"({"times":10})");
  ASSERT_EQ(replay.status, 200) << replay.body;
  for (const auto& s : Parse(replay.body)["statuses"].GetArray()) EXPECT_EQ(s.GetInt(), 200);
  const Order paid = OrderById(id);
  EXPECT_EQ(paid.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(PaidNotices(id), 1);
  EXPECT_EQ(StockOf(v.id), 4);
}

TEST_F(PaymentRaceTest, TwoSweepersReturnExpiredStockOnceAndALatePaymentNeverOversells) {
  // Webhooks are held back: the first buyer pays at Stripe in time, but the
  // notification arrives only after the order expired and the stock sold.
  auto held = standin_->PostJson(
      "/__standin/webhook",
      absl::StrCat(R"({"url":"http://127.0.0.1:)", b_->port(),
                   R"(/api/v1/payments/stripe/webhook","secret":")", kWebhookSecret,
                   R"(","auto_deliver":false})"));
  ASSERT_EQ(held.status, 200);
  const Variant v = MakeWatch("SWEEP", 10);
  std::vector<std::string> intents;
  for (int i = 0; i < 10; ++i) {
    auto r = CheckoutAs(i % 2 ? *a_ : *b_, UserWith(absl::StrCat("s", i, "@example.com"), v.id),
                        "", "k");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "");
    intents.push_back(Parse(r->body)["payment"]["reference"].GetString());
  }
  EXPECT_EQ(StockOf(v.id), 0);
  Pay(intents[0]);
  // Both instances sweep every second; the reservation is 6 s.
  EXPECT_TRUE(Eventually([&] {
    OrderQuery q;
    q.status = OrderStatus::kExpired;
    q.limit = 100;
    return storage_->ListOrders(q)->items.size() == 10;
  }));
  absl::SleepFor(absl::Seconds(2));  // more sweeps: nothing comes back twice
  EXPECT_EQ(StockOf(v.id), 10);
  // Ten new buyers take every unit; then the late notification arrives.
  for (int i = 0; i < 10; ++i) {
    auto r = CheckoutAs(*a_, UserWith(absl::StrCat("t", i, "@example.com"), v.id), "", "k");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "");
  }
  EXPECT_EQ(StockOf(v.id), 0);
  const int64_t refunds_before =
      Parse(standin_->Get("/__standin/counts").body)["refunds_created"].GetInt64();
  const std::string succeeded = EventFor(intents[0], "payment_intent.succeeded");
  ASSERT_FALSE(succeeded.empty());
  auto late_hook = standin_->PostJson(absl::StrCat("/__standin/events/", succeeded, "/deliver"),
                                      R"({"times":1})");
  ASSERT_EQ(late_hook.status, 200) << late_hook.body;
  EXPECT_EQ(Parse(late_hook.body)["statuses"][0].GetInt(), 200);
  auto late = storage_->GetOrderByPaymentReference("stripe", intents[0]);
  ASSERT_TRUE(late.ok());
  const Order o = OrderById(late->id);
  EXPECT_EQ(o.status, OrderStatus::kExpired);
  EXPECT_EQ(o.payment.state, PaymentState::kRefunded);
  EXPECT_EQ(o.refund_due.minor_units, 0);
  EXPECT_EQ(Parse(standin_->Get("/__standin/counts").body)["refunds_created"].GetInt64() -
                refunds_before,
            1);
  EXPECT_EQ(StockOf(v.id), 0);
}

}  // namespace
}  // namespace watchstore::testing
