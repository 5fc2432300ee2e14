#include "stripe/stripe_webhook.h"

#include <sodium.h>

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "stripe/stripe_json.h"
#include "watchstore/errors.h"
#include "watchstore/tokens.h"

namespace watchstore::stripe_internal {
namespace {

struct SignatureHeader {
  int64_t timestamp = 0;
  std::vector<std::string> v1;
};

absl::StatusOr<SignatureHeader> ParseHeader(absl::string_view header) {
  SignatureHeader h;
  bool have_t = false;
  for (absl::string_view item : absl::StrSplit(header, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view key = item.substr(0, eq);
    const absl::string_view value = item.substr(eq + 1);
    if (key == "t") {
      if (have_t || !absl::SimpleAtoi(value, &h.timestamp) || h.timestamp < 0) {
        return absl::UnauthenticatedError("stripe signature: malformed timestamp");
      }
      have_t = true;
    } else if (key == "v1") {
      h.v1.emplace_back(value);
    }
  }
  if (!have_t) return absl::UnauthenticatedError("stripe signature: no timestamp");
  if (h.v1.empty()) return absl::UnauthenticatedError("stripe signature: no v1 signature");
  return h;
}

// Lower-case hex HMAC-SHA256 of `t.body` under `secret` (the whole string,
// "whsec_" included, as Stripe's libraries use it).
std::string ExpectedSignature(absl::string_view secret, absl::string_view t,
                              absl::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(t.data()), t.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  sodium_memzero(&state, sizeof(state));
  return std::string(hex, 2 * crypto_auth_hmacsha256_BYTES);
}

bool IsPaymentIntentEvent(absl::string_view type) {
  return type == "payment_intent.succeeded" || type == "payment_intent.payment_failed" ||
         type == "payment_intent.canceled" || type == "payment_intent.amount_capturable_updated";
}

}  // namespace

absl::Status VerifyStripeSignature(absl::string_view body, absl::string_view header,
                                   const std::vector<std::string>& secrets, absl::Time now,
                                   absl::Duration tolerance) {
  absl::StatusOr<SignatureHeader> h = ParseHeader(header);
  if (!h.ok()) return h.status();
  const std::string t = absl::StrCat(h->timestamp);
  bool valid = false;
  // Every combination is computed and compared: the time taken does not say
  // which secret or which signature matched.
  for (const std::string& secret : secrets) {
    const std::string expected = ExpectedSignature(secret, t, body);
    for (const std::string& candidate : h->v1) {
      valid |= ConstantTimeEquals(absl::AsciiStrToLower(candidate), expected);
    }
  }
  if (!valid) return absl::UnauthenticatedError("stripe signature: no valid v1 signature");
  if (absl::AbsDuration(now - absl::FromUnixSeconds(h->timestamp)) > tolerance) {
    return absl::UnauthenticatedError("stripe signature: timestamp outside the tolerance");
  }
  return absl::OkStatus();
}

absl::StatusOr<PaymentEvent> ParseStripeEvent(absl::string_view body) {
  rapidjson::Document doc;
  if (absl::Status st = ParseObject(body, &doc); !st.ok()) return st;
  std::optional<std::string> id = StringField(doc, "id");
  std::optional<std::string> type = StringField(doc, "type");
  std::optional<int64_t> created = IntField(doc, "created");
  const rapidjson::Value* data = ObjectField(doc, "data");
  const rapidjson::Value* object = data ? ObjectField(*data, "object") : nullptr;
  if (StringField(doc, "object") != "event" || !id || id->empty() || !type || !created ||
      object == nullptr) {
    return absl::InvalidArgumentError(
        "stripe: not an event (object, id, type, created, data.object)");
  }
  PaymentEvent event;
  event.provider = "stripe";
  event.event_id = *id;
  event.type = *type;
  event.created = absl::FromUnixSeconds(*created);
  absl::StatusOr<ProviderPayment> payment;
  if (IsPaymentIntentEvent(*type)) {
    payment = ParsePaymentIntent(*object);
  } else if (*type == "charge.refunded") {
    payment = ParseRefundedCharge(*object);
  } else {
    return MakeError(
        absl::StatusCode::kNotFound, reason::kIgnoredEvent,
        absl::StrCat("stripe event type \"", type->substr(0, 64), "\" is not acted on"));
  }
  if (!payment.ok()) return payment.status();
  event.payment = *std::move(payment);
  return event;
}

}  // namespace watchstore::stripe_internal
