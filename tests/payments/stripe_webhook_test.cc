// Stripe-Signature verification against the official `stripe` npm package:
// it signs (webhooks.generateTestHeaderString), we verify. Then the events
// the adapter understands, and the ones it acknowledges and ignores.
#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "stripe/stripe_json.h"
#include "stripe/stripe_webhook.h"
#include "stripe_standin.h"
#include "test_util.h"
#include "watchstore/errors.h"
#include "watchstore/stripe_provider.h"

namespace watchstore {
namespace {

using stripe_internal::ParseStripeEvent;
using stripe_internal::RedactSecrets;
using testing::RunNodeScript;
using testing::StripeToolsMissing;

constexpr char kPrimary[] = "whsec_test_primary_5d1b2c3a4f";
constexpr char kOld[] = "whsec_test_previous_9e8d7c6b5a";
constexpr char kWrong[] = "whsec_test_someone_else_000000";
constexpr int64_t kNow = 1'800'000'000;

std::string IntentEvent(absl::string_view type, absl::string_view status,
                        absl::string_view extra = "") {
  return absl::StrCat(R"({"id":"evt_1Test","object":"event","api_version":"2026-11-18.endive",)",
                      R"("created":1799999990,"livemode":false,"type":")", type,
                      R"(","data":{"object":{"id":"pi_3TestIntent","object":"payment_intent",)",
                      R"("amount":12500,"currency":"eur","status":")", status,
                      R"(","client_secret":"pi_3TestIntent_secret_abc","latest_charge":"ch_1",)",
                      R"("metadata":{"order_id":"42","order_number":"WS-000042"})", extra, "}}}");
}

std::string ChargeRefundedEvent(int64_t amount, int64_t refunded) {
  return absl::StrCat(
      R"({"id":"evt_2Refund","object":"event","created":1799999999,)",
      R"("type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge",)",
      R"("amount":)", amount, R"(,"amount_refunded":)", refunded,
      R"(,"currency":"usd","payment_intent":"pi_3TestIntent","refunded":)",
      refunded == amount ? "true" : "false", "}}}");
}

class StripeWebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = StripeToolsMissing(); !why.empty()) {
      if (testing::InCi()) FAIL() << why;
      GTEST_SKIP() << why;
    }
  }

  struct SignRequest {
    std::string payload;
    std::string secret;
    int64_t timestamp;
  };
  // The headers the official package makes for `requests`.
  std::vector<std::string> Sign(const std::vector<SignRequest>& requests) {
    std::string in = "[";
    for (const SignRequest& r : requests) {
      if (in.size() > 1) in += ",";
      in += absl::StrCat(R"({"payload":)", JsonString(r.payload), R"(,"secret":")", r.secret,
                         R"(","timestamp":)", r.timestamp, "}");
    }
    in += "]";
    absl::StatusOr<std::string> out = RunNodeScript("stripe_sign.cjs", {}, in);
    EXPECT_TRUE(out.ok()) << out.status();
    std::vector<std::string> headers;
    if (!out.ok()) return headers;
    rapidjson::Document doc;
    doc.Parse(out->c_str());
    EXPECT_TRUE(doc.IsArray()) << *out;
    if (!doc.IsArray()) return headers;
    for (const auto& h : doc.GetArray()) headers.emplace_back(h.GetString());
    EXPECT_EQ(headers.size(), requests.size());
    return headers;
  }
  std::string SignOne(const std::string& payload, const std::string& secret, int64_t t) {
    std::vector<std::string> h = Sign({{payload, secret, t}});
    return h.empty() ? "" : h[0];
  }

  static std::string JsonString(absl::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }

  std::unique_ptr<PaymentProvider> Provider(std::vector<std::string> secrets) {
    StripeOptions o;
    o.secret_key = "sk_test_unused";
    o.webhook_secrets = std::move(secrets);
    absl::StatusOr<std::unique_ptr<PaymentProvider>> p = NewStripePaymentProvider(o);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  const absl::Time now_ = absl::FromUnixSeconds(kNow);
  const std::string payload_ = IntentEvent("payment_intent.succeeded", "succeeded");
};

// The v1 signature of a header "t=...,v1=..." (the first one).
std::string V1Of(const std::string& header) {
  const size_t at = header.find("v1=");
  return at == std::string::npos ? "" : header.substr(at + 3, 64);
}

TEST_F(StripeWebhookTest, AcceptsWhatTheOfficialPackageSigns) {
  auto p = Provider({kPrimary});
  const std::string header = SignOne(payload_, kPrimary, kNow);
  absl::StatusOr<PaymentEvent> e = p->VerifyNotification(payload_, header, now_);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->provider, "stripe");
  EXPECT_EQ(e->event_id, "evt_1Test");
  EXPECT_EQ(e->type, "payment_intent.succeeded");
  EXPECT_EQ(e->created, absl::FromUnixSeconds(1799999990));
  EXPECT_EQ(e->payment.reference, "pi_3TestIntent");
  EXPECT_EQ(e->payment.order_id, 42);
  EXPECT_EQ(e->payment.state, PaymentState::kCaptured);
  EXPECT_EQ(e->payment.amount.minor_units, 12500);
  EXPECT_EQ(e->payment.amount.currency.code(), "EUR");
  EXPECT_EQ(e->payment.refunded.minor_units, 0);
}

TEST_F(StripeWebhookTest, TimestampWithinToleranceBothWaysIsAccepted) {
  auto p = Provider({kPrimary});
  std::vector<std::string> h =
      Sign({{payload_, kPrimary, kNow - 299}, {payload_, kPrimary, kNow + 299}});
  ASSERT_EQ(h.size(), 2u);
  WS_EXPECT_OK(p->VerifyNotification(payload_, h[0], now_));
  WS_EXPECT_OK(p->VerifyNotification(payload_, h[1], now_));
}

TEST_F(StripeWebhookTest, StaleOrFutureTimestampIsRefused) {
  auto p = Provider({kPrimary});
  std::vector<std::string> h = Sign({{payload_, kPrimary, kNow - 301},
                                     {payload_, kPrimary, kNow + 301},
                                     {payload_, kPrimary, kNow - 86400}});
  ASSERT_EQ(h.size(), 3u);
  for (const std::string& header : h) {
    WS_EXPECT_CODE(p->VerifyNotification(payload_, header, now_),
                   absl::StatusCode::kUnauthenticated);
  }
}

TEST_F(StripeWebhookTest, TamperedBodyIsRefused) {
  auto p = Provider({kPrimary});
  const std::string header = SignOne(payload_, kPrimary, kNow);
  const std::string tampered = absl::StrReplaceAll(payload_, {{"12500", "1"}});
  ASSERT_NE(tampered, payload_);
  WS_EXPECT_CODE(p->VerifyNotification(tampered, header, now_), absl::StatusCode::kUnauthenticated);
  WS_EXPECT_CODE(p->VerifyNotification(payload_ + " ", header, now_),
                 absl::StatusCode::kUnauthenticated);
  WS_EXPECT_OK(p->VerifyNotification(payload_, header, now_));
}

TEST_F(StripeWebhookTest, WrongSecretIsRefused) {
  auto p = Provider({kPrimary, kOld});
  const std::string header = SignOne(payload_, kWrong, kNow);
  WS_EXPECT_CODE(p->VerifyNotification(payload_, header, now_), absl::StatusCode::kUnauthenticated);
}

TEST_F(StripeWebhookTest, AnyConfiguredSecretVerifies) {
  // During a rotation the endpoint has the new and the old secret.
  auto both = Provider({kPrimary, kOld});
  auto only_new = Provider({kPrimary});
  const std::string by_old = SignOne(payload_, kOld, kNow);
  WS_EXPECT_OK(both->VerifyNotification(payload_, by_old, now_));
  WS_EXPECT_CODE(only_new->VerifyNotification(payload_, by_old, now_),
                 absl::StatusCode::kUnauthenticated);
}

TEST_F(StripeWebhookTest, HeaderWithTwoV1SignaturesDuringRotation) {
  // Stripe signs with every active secret of the endpoint: t=..,v1=old,v1=new.
  std::vector<std::string> h = Sign({{payload_, kOld, kNow}, {payload_, kPrimary, kNow}});
  ASSERT_EQ(h.size(), 2u);
  const std::string two = absl::StrCat("t=", kNow, ",v1=", V1Of(h[0]), ",v1=", V1Of(h[1]));
  WS_EXPECT_OK(Provider({kPrimary})->VerifyNotification(payload_, two, now_));
  WS_EXPECT_OK(Provider({kOld})->VerifyNotification(payload_, two, now_));
  WS_EXPECT_CODE(Provider({kWrong})->VerifyNotification(payload_, two, now_),
                 absl::StatusCode::kUnauthenticated);
  // A junk v1 beside a valid one does not spoil it; spaces after commas are
  // tolerated.
  const std::string junk =
      absl::StrCat("t=", kNow, ", v1=", std::string(64, '0'), ", v1=", V1Of(h[1]));
  WS_EXPECT_OK(Provider({kPrimary})->VerifyNotification(payload_, junk, now_));
}

TEST_F(StripeWebhookTest, V0SchemeIsIgnored) {
  auto p = Provider({kPrimary});
  const std::string header = SignOne(payload_, kPrimary, kNow);
  const std::string sig = V1Of(header);
  // v0 beside a valid v1: accepted (the v1 carries it).
  WS_EXPECT_OK(p->VerifyNotification(
      payload_, absl::StrCat("t=", kNow, ",v1=", sig, ",v0=", std::string(64, 'a')), now_));
  // The valid signature labelled v0 only: refused.
  WS_EXPECT_CODE(p->VerifyNotification(payload_, absl::StrCat("t=", kNow, ",v0=", sig), now_),
                 absl::StatusCode::kUnauthenticated);
}

TEST_F(StripeWebhookTest, MissingOrMalformedHeaderIsRefused) {
  auto p = Provider({kPrimary});
  const std::string sig = V1Of(SignOne(payload_, kPrimary, kNow));
  ASSERT_EQ(sig.size(), 64u);
  for (const std::string& header : std::vector<std::string>{
           "", "garbage", absl::StrCat("v1=", sig), absl::StrCat("t=abc,v1=", sig),
           absl::StrCat("t=,v1=", sig), absl::StrCat("t=", kNow), absl::StrCat("t=", kNow, ",v1="),
           absl::StrCat("t=", kNow, ",t=", kNow, ",v1=", sig), absl::StrCat("t=-1,v1=", sig),
           absl::StrCat("t=", kNow, ",v1=", sig.substr(0, 63))}) {
    SCOPED_TRACE(header);
    WS_EXPECT_CODE(p->VerifyNotification(payload_, header, now_),
                   absl::StatusCode::kUnauthenticated);
  }
  // The same signature, well-formed: accepted (the cases above fail on form).
  WS_EXPECT_OK(p->VerifyNotification(payload_, absl::StrCat("t=", kNow, ",v1=", sig), now_));
}

TEST_F(StripeWebhookTest, VerifiedButUnknownTypeIsIgnoredEvent) {
  auto p = Provider({kPrimary});
  const std::string body = IntentEvent("payment_intent.created", "requires_payment_method");
  WS_EXPECT_REASON(p->VerifyNotification(body, SignOne(body, kPrimary, kNow), now_),
                   absl::StatusCode::kNotFound, reason::kIgnoredEvent);
}

TEST_F(StripeWebhookTest, VerifiedMalformedJsonIsInvalidArgument) {
  auto p = Provider({kPrimary});
  for (const std::string& body :
       {std::string("{\"id\":"), std::string("[]"), std::string("{\"object\":\"event\"}"),
        std::string(200000, '[')}) {
    WS_EXPECT_CODE(p->VerifyNotification(body, SignOne(body, kPrimary, kNow), now_),
                   absl::StatusCode::kInvalidArgument);
  }
}

// --- Event parsing (no signatures involved) ---------------------------------

TEST(StripeEventTest, IntentEventsMapStatus) {
  struct Case {
    const char* type;
    const char* status;
    const char* extra;
    PaymentState want;
  } cases[] = {
      {"payment_intent.succeeded", "succeeded", "", PaymentState::kCaptured},
      {"payment_intent.payment_failed", "requires_payment_method",
       R"(,"last_payment_error":{"type":"card_error","code":"card_declined"})",
       PaymentState::kFailed},
      {"payment_intent.canceled", "canceled", "", PaymentState::kCancelled},
      {"payment_intent.amount_capturable_updated", "requires_capture", "",
       PaymentState::kAuthorized},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PaymentEvent> e = ParseStripeEvent(IntentEvent(c.type, c.status, c.extra));
    ASSERT_TRUE(e.ok()) << c.type << ": " << e.status();
    EXPECT_EQ(e->type, c.type);
    EXPECT_EQ(e->payment.state, c.want) << c.type;
    EXPECT_EQ(e->payment.reference, "pi_3TestIntent");
  }
  // Without last_payment_error, requires_payment_method is still waiting.
  absl::StatusOr<PaymentEvent> waiting =
      ParseStripeEvent(IntentEvent("payment_intent.payment_failed", "requires_payment_method"));
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(waiting->payment.state, PaymentState::kRequiresAction);
}

TEST(StripeEventTest, ChargeRefundedPartialAndFull) {
  absl::StatusOr<PaymentEvent> partial = ParseStripeEvent(ChargeRefundedEvent(10000, 2500));
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->event_id, "evt_2Refund");
  EXPECT_EQ(partial->payment.reference, "pi_3TestIntent");
  EXPECT_EQ(partial->payment.order_id, 0);
  EXPECT_EQ(partial->payment.state, PaymentState::kCaptured);
  EXPECT_EQ(partial->payment.amount.minor_units, 10000);
  EXPECT_EQ(partial->payment.refunded.minor_units, 2500);
  EXPECT_EQ(partial->payment.refunded.currency.code(), "USD");
  absl::StatusOr<PaymentEvent> full = ParseStripeEvent(ChargeRefundedEvent(10000, 10000));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->payment.state, PaymentState::kRefunded);
  EXPECT_EQ(full->payment.refunded.minor_units, 10000);
  WS_EXPECT_CODE(ParseStripeEvent(ChargeRefundedEvent(100, 101)),
                 absl::StatusCode::kInvalidArgument);
}

TEST(StripeEventTest, MissingFieldsAreInvalidArgument) {
  const std::string good = IntentEvent("payment_intent.succeeded", "succeeded");
  WS_ASSERT_OK(ParseStripeEvent(good));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"("id":"evt_1Test",)", ""},
           {R"("created":1799999990,)", ""},
           {R"("object":"event",)", ""},
           {R"("id":"pi_3TestIntent",)", ""},
           {R"("amount":12500,)", ""},
           {R"("amount":12500,)", R"("amount":-1,)"},
           {R"("amount":12500,)", R"("amount":99999999999999999999999,)"},
           {R"("currency":"eur",)", R"("currency":"euro",)"},
           {R"("status":"succeeded")", R"("status":"teleported")"},
           {R"("object":"payment_intent",)", R"("object":"charge",)"},
       }) {
    const std::string bad = absl::StrReplaceAll(good, {{from, to}});
    ASSERT_NE(bad, good) << from;
    SCOPED_TRACE(from);
    WS_EXPECT_CODE(ParseStripeEvent(bad), absl::StatusCode::kInvalidArgument);
  }
}

TEST(StripeEventTest, OtherTypesAreIgnoredEvents) {
  for (const char* type : {"charge.succeeded", "refund.created", "customer.created"}) {
    WS_EXPECT_REASON(ParseStripeEvent(IntentEvent(type, "succeeded")), absl::StatusCode::kNotFound,
                     reason::kIgnoredEvent);
  }
}

TEST(StripeRedactTest, CredentialShapedWordsAreRemoved) {
  EXPECT_EQ(RedactSecrets("Invalid API Key provided: sk_test_****1234"),
            "Invalid API Key provided: [redacted]");
  EXPECT_EQ(RedactSecrets("for pi_1 (pi_1_secret_abc), key rk_live_x and whsec_y."),
            "for pi_1 ([redacted]), key [redacted] and [redacted].");
  EXPECT_EQ(RedactSecrets("No such payment_intent: 'pi_123'"), "No such payment_intent: 'pi_123'");
}

}  // namespace
}  // namespace watchstore
