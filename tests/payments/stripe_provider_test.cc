// watchstore::stripe against the stand-in Stripe server (stripe_standin.cjs)
// on loopback: idempotent creation (counted at the stand-in), retrieval,
// confirmation, cancellation, refunds, error mapping, and webhooks the
// stand-in signs with the official package, verified by the adapter.
#include <httplib.h>
#include <rapidjson/document.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "stripe_standin.h"
#include "sync.h"
#include "test_util.h"
#include "watchstore/errors.h"
#include "watchstore/stripe_provider.h"

namespace watchstore {
namespace {

using testing::StripeStandin;
using testing::StripeToolsMissing;

constexpr char kWebhookSecret[] = "whsec_test_standin_endpoint";

Money Eur(int64_t minor) { return Money{minor, *Currency::FromCode("EUR")}; }

// A JSON member path ("idempotency_keys", "k1", "intents_created") of `json`
// as an integer; -1 when absent.
int64_t JsonInt(const std::string& json, std::vector<std::string> path) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  const rapidjson::Value* v = &doc;
  for (const std::string& p : path) {
    if (!v->IsObject() || !v->HasMember(p.c_str())) return -1;
    v = &(*v)[p.c_str()];
  }
  return v->IsInt64() ? v->GetInt64() : -1;
}

std::string JsonStr(const std::string& json, std::vector<std::string> path) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  const rapidjson::Value* v = &doc;
  for (const std::string& p : path) {
    if (!v->IsObject() || !v->HasMember(p.c_str())) return "";
    v = &(*v)[p.c_str()];
  }
  return v->IsString() ? v->GetString() : "";
}

class StripeProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = StripeToolsMissing(); !why.empty()) {
      if (testing::InCi()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    absl::StatusOr<std::unique_ptr<StripeStandin>> s = StripeStandin::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    standin_ = *std::move(s);
    provider_ = MakeProvider(std::string(StripeStandin::kSecretKey));
    ASSERT_NE(provider_, nullptr);
  }

  std::unique_ptr<PaymentProvider> MakeProvider(
      const std::string& key, int max_retries = 2,
      absl::Duration retry_delay = absl::Milliseconds(20)) {
    StripeOptions o;
    o.secret_key = key;
    o.webhook_secrets = {kWebhookSecret};
    o.api_base = standin_->base_url();
    o.max_retries = max_retries;
    o.retry_delay = retry_delay;
    o.request_timeout = absl::Seconds(10);
    absl::StatusOr<std::unique_ptr<PaymentProvider>> p = NewStripePaymentProvider(o);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  CreatePaymentRequest Request(const std::string& key, int64_t minor = 12500) {
    CreatePaymentRequest r;
    r.order_id = 42;
    r.order_number = "WS-000042";
    r.amount = Eur(minor);
    r.buyer_email = "buyer@example.com";
    r.idempotency_key = key;
    return r;
  }

  std::string Counts() { return standin_->Get("/__standin/counts").body; }

  // Confirms the intent at the stand-in as Stripe.js would in the browser.
  int Confirm(const std::string& reference, const std::string& payment_method) {
    return standin_
        ->PostForm(absl::StrCat("/v1/payment_intents/", reference, "/confirm"),
                   absl::StrCat("payment_method=", payment_method))
        .status;
  }

  // A captured payment of `minor` EUR.
  std::string Captured(const std::string& key, int64_t minor) {
    absl::StatusOr<ProviderPayment> p = provider_->CreatePayment(Request(key, minor));
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return "";
    EXPECT_EQ(Confirm(p->reference, "pm_card_visa"), 200);
    return p->reference;
  }

  std::unique_ptr<StripeStandin> standin_;
  std::unique_ptr<PaymentProvider> provider_;
};

TEST_F(StripeProviderTest, CreateSendsTheOrderAndIsIdempotent) {
  absl::StatusOr<ProviderPayment> first = provider_->CreatePayment(Request("order-42-pay"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(absl::StartsWith(first->reference, "pi_")) << first->reference;
  EXPECT_EQ(first->state, PaymentState::kRequiresAction);
  EXPECT_EQ(first->order_id, 42);
  EXPECT_EQ(first->amount, Eur(12500));
  EXPECT_EQ(first->refunded, Eur(0));
  EXPECT_TRUE(absl::StartsWith(first->client_secret, first->reference + "_secret_"));

  absl::StatusOr<ProviderPayment> again = provider_->CreatePayment(Request("order-42-pay"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->reference, first->reference);
  EXPECT_EQ(again->client_secret, first->client_secret);

  const std::string counts = Counts();
  EXPECT_EQ(JsonInt(counts, {"intents_created"}), 1) << counts;
  EXPECT_EQ(JsonInt(counts, {"idempotency_keys", "order-42-pay", "requests"}), 2) << counts;
  EXPECT_EQ(JsonInt(counts, {"idempotency_keys", "order-42-pay", "replays"}), 1) << counts;
  EXPECT_EQ(JsonInt(counts, {"stripe_versions", std::string(kStripeApiVersion)}), 2) << counts;

  // What reached Stripe: the order in metadata, lower-case currency, receipt.
  const std::string intent = standin_->Get("/v1/payment_intents/" + first->reference).body;
  EXPECT_EQ(JsonStr(intent, {"currency"}), "eur") << intent;
  EXPECT_EQ(JsonInt(intent, {"amount"}), 12500) << intent;
  EXPECT_EQ(JsonStr(intent, {"metadata", "order_id"}), "42") << intent;
  EXPECT_EQ(JsonStr(intent, {"metadata", "order_number"}), "WS-000042") << intent;
  EXPECT_EQ(JsonStr(intent, {"receipt_email"}), "buyer@example.com") << intent;

  // Another key, another intent.
  absl::StatusOr<ProviderPayment> other = provider_->CreatePayment(Request("order-43-pay"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->reference, first->reference);
  EXPECT_EQ(JsonInt(Counts(), {"intents_created"}), 2);
}

TEST_F(StripeProviderTest, TwentyConcurrentCreatesWithOneKeyMakeOneIntent) {
  // Each request takes 300 ms at the stand-in: the 19 others arrive while
  // the first is in flight (409 idempotency_key_in_use) and retry.
  ASSERT_EQ(standin_->PostJson("/__standin/configure", R"({"delay_ms":300})").status, 200);
  auto provider = MakeProvider(std::string(StripeStandin::kSecretKey), /*max_retries=*/8,
                               absl::Milliseconds(50));
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<ProviderPayment>> results(20, absl::UnknownError("not run"));
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] { results[i] = provider->CreatePayment(Request("checkout-7")); });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->reference, results[0]->reference);
  }
  const std::string counts = Counts();
  EXPECT_EQ(JsonInt(counts, {"intents_created"}), 1) << counts;
  EXPECT_EQ(JsonInt(counts, {"idempotency_keys", "checkout-7", "intents_created"}), 1) << counts;
  // The in-flight conflicts happened (and were retried): more requests than
  // callers.
  EXPECT_GT(JsonInt(counts, {"idempotency_keys", "checkout-7", "requests"}), 20) << counts;
}

TEST_F(StripeProviderTest, GetFollowsConfirmationToCaptured) {
  absl::StatusOr<ProviderPayment> p = provider_->CreatePayment(Request("k-get"));
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<ProviderPayment> before = provider_->GetPayment(p->reference);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->state, PaymentState::kRequiresAction);
  EXPECT_EQ(before->amount, Eur(12500));

  ASSERT_EQ(Confirm(p->reference, "pm_card_visa"), 200);
  absl::StatusOr<ProviderPayment> after = provider_->GetPayment(p->reference);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->state, PaymentState::kCaptured);
  EXPECT_EQ(after->amount, Eur(12500));
  EXPECT_EQ(after->refunded, Eur(0));
}

TEST_F(StripeProviderTest, DeclinedCardIsFailedUntilAnotherCardSucceeds) {
  absl::StatusOr<ProviderPayment> p = provider_->CreatePayment(Request("k-decline"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Confirm(p->reference, "pm_card_chargeDeclined"), 402);
  absl::StatusOr<ProviderPayment> failed = provider_->GetPayment(p->reference);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state, PaymentState::kFailed);
  // The buyer tries another card: failed -> captured is legal.
  ASSERT_EQ(Confirm(p->reference, "pm_card_visa"), 200);
  absl::StatusOr<ProviderPayment> paid = provider_->GetPayment(p->reference);
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_EQ(paid->state, PaymentState::kCaptured);
}

TEST_F(StripeProviderTest, CancelUnpaidAndRefuseCancellingCaptured) {
  absl::StatusOr<ProviderPayment> p = provider_->CreatePayment(Request("k-cancel"));
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<ProviderPayment> cancelled = provider_->CancelPayment(p->reference);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, PaymentState::kCancelled);
  // Retried: the same idempotency key replays the same answer.
  absl::StatusOr<ProviderPayment> again = provider_->CancelPayment(p->reference);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, PaymentState::kCancelled);
  EXPECT_EQ(JsonInt(Counts(), {"idempotency_keys", "watchstore-cancel-" + p->reference, "replays"}),
            1);
  absl::StatusOr<ProviderPayment> got = provider_->GetPayment(p->reference);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, PaymentState::kCancelled);
  // A cancelled intent cannot be confirmed any more.
  EXPECT_EQ(Confirm(p->reference, "pm_card_visa"), 400);

  const std::string paid = Captured("k-cancel-paid", 5000);
  WS_EXPECT_CODE(provider_->CancelPayment(paid), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StripeProviderTest, RefundPartialThenFullEachKeyOnce) {
  const std::string ref = Captured("k-refund", 10000);
  ASSERT_FALSE(ref.empty());
  absl::StatusOr<ProviderPayment> partial = provider_->Refund(ref, Eur(3000), "refund-1");
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->state, PaymentState::kCaptured);
  EXPECT_EQ(partial->refunded, Eur(3000));
  // The same key again: no second refund.
  absl::StatusOr<ProviderPayment> replay = provider_->Refund(ref, Eur(3000), "refund-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->refunded, Eur(3000));
  EXPECT_EQ(JsonInt(Counts(), {"refunds_created"}), 1);

  absl::StatusOr<ProviderPayment> rest = provider_->Refund(ref, Eur(7000), "refund-2");
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(rest->state, PaymentState::kRefunded);
  EXPECT_EQ(rest->refunded, Eur(10000));
  EXPECT_EQ(JsonInt(Counts(), {"refunds_created"}), 2);

  // Nothing left: Stripe refuses (not our parameter, the charge's state).
  WS_EXPECT_CODE(provider_->Refund(ref, Eur(1), "refund-3"), absl::StatusCode::kFailedPrecondition);
  // The same key with another amount is our bug.
  WS_EXPECT_REASON(provider_->Refund(ref, Eur(2000), "refund-1"),
                   absl::StatusCode::kInvalidArgument, reason::kIdempotencyMismatch);
  EXPECT_EQ(JsonInt(Counts(), {"refunds_created"}), 2);
}

TEST_F(StripeProviderTest, RefundChecksCurrencyAndState) {
  const std::string ref = Captured("k-refund-cur", 10000);
  WS_EXPECT_CODE(provider_->Refund(ref, Money{100, *Currency::FromCode("USD")}, "r-usd"),
                 absl::StatusCode::kInvalidArgument);
  // More than was paid: Stripe names the amount parameter.
  WS_EXPECT_CODE(provider_->Refund(ref, Eur(10001), "r-big"), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<ProviderPayment> unpaid = provider_->CreatePayment(Request("k-unpaid"));
  ASSERT_TRUE(unpaid.ok()) << unpaid.status();
  WS_EXPECT_CODE(provider_->Refund(unpaid->reference, Eur(100), "r-unpaid"),
                 absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(JsonInt(Counts(), {"refunds_created"}), 0);
}

TEST_F(StripeProviderTest, ErrorMapping) {
  // A key Stripe refuses: Internal, and the key is in no message.
  const std::string bad_key = "sk_test_not_the_right_one_9876";
  auto wrong = MakeProvider(bad_key);
  absl::StatusOr<ProviderPayment> refused = wrong->CreatePayment(Request("k-badkey"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal) << refused.status();
  EXPECT_EQ(refused.status().message(), "stripe rejected the API key");
  WS_EXPECT_CODE(wrong->GetPayment("pi_whatever"), absl::StatusCode::kInternal);

  // Unknown intent.
  absl::StatusOr<ProviderPayment> missing = provider_->GetPayment("pi_doesnotexist123");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  WS_EXPECT_CODE(provider_->CancelPayment("pi_doesnotexist123"), absl::StatusCode::kNotFound);
  // A reference that is not an intent id never reaches Stripe.
  const int64_t before = JsonInt(Counts(), {"requests", "GET /v1/payment_intents/:id"});
  for (const char* ref : {"", "pi_", "ch_123", "pi_../../v1/refunds", "pi_1?expand[]=x"}) {
    WS_EXPECT_CODE(provider_->GetPayment(ref), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(JsonInt(Counts(), {"requests", "GET /v1/payment_intents/:id"}), before);

  // Our own bad requests.
  WS_EXPECT_CODE(provider_->CreatePayment(Request("k-zero", 0)),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(provider_->CreatePayment(Request("")), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(provider_->CreatePayment(Request("k-reuse", 100)).ok());
  WS_EXPECT_REASON(provider_->CreatePayment(Request("k-reuse", 200)),
                   absl::StatusCode::kInvalidArgument, reason::kIdempotencyMismatch);
}

TEST_F(StripeProviderTest, ServerErrorsAreRetriedThenUnavailable) {
  // One 500: the retry (same idempotency key) succeeds.
  ASSERT_EQ(standin_->PostJson("/__standin/configure", R"({"fail_next":{"status":500,"count":1}})")
                .status,
            200);
  absl::StatusOr<ProviderPayment> p = provider_->CreatePayment(Request("k-500"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(JsonInt(Counts(), {"intents_created"}), 1);
  // More failures than retries: Unavailable.
  for (int status : {500, 503, 429}) {
    ASSERT_EQ(standin_
                  ->PostJson("/__standin/configure",
                             absl::StrCat(R"({"fail_next":{"status":)", status, R"(,"count":3}})"))
                  .status,
              200);
    WS_EXPECT_CODE(provider_->GetPayment(p->reference), absl::StatusCode::kUnavailable);
  }
  // Stripe-Should-Retry: false is not retried.
  ASSERT_EQ(standin_
                ->PostJson("/__standin/configure",
                           R"({"fail_next":{"status":500,"count":2,"should_retry":"false"}})")
                .status,
            200);
  WS_EXPECT_CODE(provider_->GetPayment(p->reference), absl::StatusCode::kUnavailable);
  // Not retried: the second failure is still there for the next call.
  WS_EXPECT_CODE(provider_->GetPayment(p->reference), absl::StatusCode::kUnavailable);
  WS_EXPECT_OK(provider_->GetPayment(p->reference));
}

TEST_F(StripeProviderTest, StandinStoppedIsUnavailable) {
  absl::StatusOr<ProviderPayment> p = provider_->CreatePayment(Request("k-down"));
  ASSERT_TRUE(p.ok()) << p.status();
  standin_->Stop();
  WS_EXPECT_CODE(provider_->GetPayment(p->reference), absl::StatusCode::kUnavailable);
  WS_EXPECT_CODE(provider_->CreatePayment(Request("k-down-2")), absl::StatusCode::kUnavailable);
  WS_EXPECT_CODE(provider_->Refund(p->reference, Eur(1), "r-down"), absl::StatusCode::kUnavailable);
}

// A loopback HTTP endpoint that keeps what the stand-in POSTs to it.
class WebhookReceiver {
 public:
  struct Delivery {
    std::string body;
    std::string signature;
  };
  WebhookReceiver() {
    server_.Post("/webhook", [this](const httplib::Request& req, httplib::Response& res) {
      internal::MutexLock lock(&mu_);
      deliveries_.push_back({req.body, req.get_header_value("Stripe-Signature")});
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/webhook"); }
  // Waits up to 10 s for at least `n` deliveries.
  std::vector<Delivery> WaitFor(size_t n) {
    const absl::Time until = absl::Now() + absl::Seconds(10);
    for (;;) {
      {
        internal::MutexLock lock(&mu_);
        if (deliveries_.size() >= n || absl::Now() > until) return deliveries_;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  internal::Mutex mu_;
  std::vector<Delivery> deliveries_ ABSL_GUARDED_BY(mu_);
};

TEST_F(StripeProviderTest, SignedWebhooksFromTheStandinVerify) {
  WebhookReceiver receiver;
  ASSERT_EQ(
      standin_
          ->PostJson("/__standin/webhook", absl::StrCat(R"({"url":")", receiver.url(),
                                                        R"(","secret":")", kWebhookSecret, R"("})"))
          .status,
      200);
  const std::string ref = Captured("k-hook", 8000);
  ASSERT_TRUE(provider_->Refund(ref, Eur(8000), "r-hook").ok());
  // payment_intent.created, charge.succeeded, payment_intent.succeeded,
  // refund.created, charge.refunded.
  std::vector<WebhookReceiver::Delivery> got = receiver.WaitFor(5);
  ASSERT_EQ(got.size(), 5u);
  std::vector<std::string> acted;
  for (const auto& d : got) {
    absl::StatusOr<PaymentEvent> e =
        provider_->VerifyNotification(d.body, d.signature, absl::Now());
    if (!e.ok()) {
      EXPECT_EQ(ReasonOf(e.status()), reason::kIgnoredEvent) << e.status();
      continue;
    }
    EXPECT_EQ(e->payment.reference, ref);
    EXPECT_TRUE(absl::StartsWith(e->event_id, "evt_"));
    acted.push_back(e->type);
    if (e->type == "payment_intent.succeeded") {
      EXPECT_EQ(e->payment.state, PaymentState::kCaptured);
      EXPECT_EQ(e->payment.order_id, 42);
      EXPECT_EQ(e->payment.amount, Eur(8000));
    } else if (e->type == "charge.refunded") {
      EXPECT_EQ(e->payment.state, PaymentState::kRefunded);
      EXPECT_EQ(e->payment.refunded, Eur(8000));
    }
  }
  EXPECT_EQ(acted, (std::vector<std::string>{"payment_intent.succeeded", "charge.refunded"}));

  // The control API re-delivers an event, and signs with what it is told
  // to: a stale timestamp or another secret does not verify.
  const std::string events = standin_->Get("/__standin/events").body;
  rapidjson::Document doc;
  doc.Parse(events.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 5u) << events;
  const std::string succeeded_id = doc[2]["id"].GetString();
  ASSERT_EQ(std::string(doc[2]["type"].GetString()), "payment_intent.succeeded");
  auto replay =
      standin_->PostJson("/__standin/events/" + succeeded_id + "/deliver", R"({"times":3})");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.body, R"({"statuses":[200,200,200]})");
  const std::string stale =
      absl::StrCat(R"({"times":1,"timestamp":)", absl::ToUnixSeconds(absl::Now()) - 3600, "}");
  ASSERT_EQ(standin_->PostJson("/__standin/events/" + succeeded_id + "/deliver", stale).status,
            200);
  ASSERT_EQ(standin_
                ->PostJson("/__standin/events/" + succeeded_id + "/deliver",
                           R"({"times":1,"secret":"whsec_not_ours"})")
                .status,
            200);
  got = receiver.WaitFor(10);
  ASSERT_EQ(got.size(), 10u);
  for (size_t i = 5; i < 8; ++i) {
    absl::StatusOr<PaymentEvent> e =
        provider_->VerifyNotification(got[i].body, got[i].signature, absl::Now());
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->event_id, succeeded_id);
  }
  for (size_t i = 8; i < 10; ++i) {
    WS_EXPECT_CODE(provider_->VerifyNotification(got[i].body, got[i].signature, absl::Now()),
                   absl::StatusCode::kUnauthenticated);
  }
}

TEST(StripeOptionsTest, FactoryRefusesBadOptions) {
  StripeOptions good;
  good.secret_key = "sk_test_x";
  good.webhook_secrets = {"whsec_x"};
  WS_EXPECT_OK(NewStripePaymentProvider(good));
  auto with = [&](auto change) {
    StripeOptions o = good;
    change(o);
    return NewStripePaymentProvider(o).status();
  };
  WS_EXPECT_CODE(with([](StripeOptions& o) { o.secret_key.clear(); }),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(with([](StripeOptions& o) { o.secret_key = "sk_test_x\r\nX-Evil: 1"; }),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(with([](StripeOptions& o) { o.webhook_secrets.clear(); }),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(with([](StripeOptions& o) {
                   o.webhook_secrets = {"whsec_x", ""};
                 }),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(with([](StripeOptions& o) { o.tolerance = absl::ZeroDuration(); }),
                 absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(with([](StripeOptions& o) { o.max_retries = 11; }),
                 absl::StatusCode::kInvalidArgument);
  for (const char* base :
       {"http://api.stripe.com", "ftp://127.0.0.1", "http://127.0.0.1@evil.example",
        "http://localhost.evil.example", "api.stripe.com", ""}) {
    SCOPED_TRACE(base);
    WS_EXPECT_CODE(with([&](StripeOptions& o) { o.api_base = base; }),
                   absl::StatusCode::kInvalidArgument);
  }
  for (const char* base : {"https://api.stripe.com", "https://stripe.internal:8443/",
                           "http://127.0.0.1:12111", "http://localhost:1", "http://[::1]:80"}) {
    WS_EXPECT_OK(with([&](StripeOptions& o) { o.api_base = base; })) << base;
  }
  // No secret in the messages.
  const absl::Status st = with([](StripeOptions& o) { o.secret_key = "sk_live_secret value"; });
  EXPECT_FALSE(absl::StrContains(st.message(), "sk_live")) << st;
}

}  // namespace
}  // namespace watchstore
