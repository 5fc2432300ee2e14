#include "stripe/stripe_json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace watchstore::stripe_internal {
namespace {

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseNumbersAsStringsFlag;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("stripe: ", what));
}

// Stripe's intent status -> ours (docs/DESIGN.md "Payments: the Stripe
// adapter"); nullopt for a status this API version does not have.
std::optional<PaymentState> StateOfIntent(absl::string_view status, bool has_payment_error) {
  if (status == "requires_payment_method") {
    // Back to requires_payment_method with an error: the last attempt failed.
    return has_payment_error ? PaymentState::kFailed : PaymentState::kRequiresAction;
  }
  if (status == "requires_confirmation" || status == "requires_action" || status == "processing") {
    return PaymentState::kRequiresAction;
  }
  if (status == "requires_capture") return PaymentState::kAuthorized;
  if (status == "succeeded") return PaymentState::kCaptured;
  if (status == "canceled") return PaymentState::kCancelled;
  return std::nullopt;
}

bool IsIdChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

absl::Status ParseObject(absl::string_view text, rapidjson::Document* doc) {
  rapidjson::MemoryStream stream(text.data(), text.size());
  doc->ParseStream<kParseFlags>(stream);
  if (doc->HasParseError()) {
    return Malformed(absl::StrCat("malformed JSON at offset ", doc->GetErrorOffset(), ": ",
                                  rapidjson::GetParseError_En(doc->GetParseError())));
  }
  if (!doc->IsObject()) return Malformed("JSON is not an object");
  return absl::OkStatus();
}

std::optional<std::string> StringField(const rapidjson::Value& o, const char* name) {
  if (!o.IsObject()) return std::nullopt;
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<int64_t> IntField(const rapidjson::Value& o, const char* name) {
  std::optional<std::string> s = StringField(o, name);
  int64_t v = 0;
  if (!s || !absl::SimpleAtoi(*s, &v)) return std::nullopt;
  return v;
}

const rapidjson::Value* ObjectField(const rapidjson::Value& o, const char* name) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

absl::StatusOr<Currency> CurrencyFromStripe(absl::string_view code) {
  absl::StatusOr<Currency> c = Currency::FromCode(absl::AsciiStrToUpper(code));
  if (!c.ok()) return Malformed(absl::StrCat("unknown currency \"", code.substr(0, 8), "\""));
  return c;
}

absl::StatusOr<ProviderPayment> ParsePaymentIntent(const rapidjson::Value& intent) {
  if (StringField(intent, "object") != "payment_intent") return Malformed("not a payment_intent");
  std::optional<std::string> id = StringField(intent, "id");
  std::optional<std::string> status = StringField(intent, "status");
  std::optional<std::string> currency = StringField(intent, "currency");
  std::optional<int64_t> amount = IntField(intent, "amount");
  if (!id || !absl::StartsWith(*id, "pi_") || !status || !currency || !amount || *amount < 0) {
    return Malformed("payment_intent without id, status, currency or amount");
  }
  const std::optional<PaymentState> state =
      StateOfIntent(*status, ObjectField(intent, "last_payment_error") != nullptr);
  if (!state) return Malformed(absl::StrCat("unknown payment_intent status \"", *status, "\""));
  absl::StatusOr<Currency> cur = CurrencyFromStripe(*currency);
  if (!cur.ok()) return cur.status();

  ProviderPayment p;
  p.reference = *id;
  p.state = *state;
  p.amount = Money{*amount, *cur};
  p.refunded = Money{0, *cur};
  // Expanded (GetPayment asks for it), the latest charge says what was
  // refunded; as a bare id (in events) it says nothing.
  if (const rapidjson::Value* charge = ObjectField(intent, "latest_charge")) {
    const int64_t refunded = IntField(*charge, "amount_refunded").value_or(0);
    p.refunded.minor_units = std::clamp<int64_t>(refunded, 0, *amount);
    if (p.state == PaymentState::kCaptured && *amount > 0 && refunded >= *amount) {
      p.state = PaymentState::kRefunded;
    }
  }
  p.client_secret = StringField(intent, "client_secret").value_or("");
  // metadata[order_id], as CreatePayment sent it; 0 when absent or not ours.
  if (const rapidjson::Value* metadata = ObjectField(intent, "metadata")) {
    p.order_id = std::max<int64_t>(0, IntField(*metadata, "order_id").value_or(0));
  }
  return p;
}

absl::StatusOr<ProviderPayment> ParseRefundedCharge(const rapidjson::Value& charge) {
  if (StringField(charge, "object") != "charge") return Malformed("not a charge");
  std::optional<std::string> intent = StringField(charge, "payment_intent");
  std::optional<std::string> currency = StringField(charge, "currency");
  std::optional<int64_t> amount = IntField(charge, "amount");
  std::optional<int64_t> refunded = IntField(charge, "amount_refunded");
  if (!intent || !absl::StartsWith(*intent, "pi_") || !currency || !amount || !refunded ||
      *amount < 0 || *refunded < 0 || *refunded > *amount) {
    return Malformed("charge without payment_intent, currency, amount or amount_refunded");
  }
  absl::StatusOr<Currency> cur = CurrencyFromStripe(*currency);
  if (!cur.ok()) return cur.status();
  ProviderPayment p;
  p.reference = *intent;
  p.amount = Money{*amount, *cur};
  p.refunded = Money{*refunded, *cur};
  p.state =
      (*amount > 0 && *refunded == *amount) ? PaymentState::kRefunded : PaymentState::kCaptured;
  return p;
}

StripeError ParseStripeError(absl::string_view body) {
  StripeError e;
  rapidjson::Document doc;
  if (!ParseObject(body, &doc).ok()) return e;
  const rapidjson::Value* err = ObjectField(doc, "error");
  if (err == nullptr) return e;
  e.type = StringField(*err, "type").value_or("");
  e.code = StringField(*err, "code").value_or("");
  e.message = RedactSecrets(StringField(*err, "message").value_or(""));
  e.param = StringField(*err, "param").value_or("");
  return e;
}

std::string RedactSecrets(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!IsIdChar(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    // Stripe masks keys as sk_test_****1234: '*' belongs to the word.
    while (end < text.size() && (IsIdChar(text[end]) || text[end] == '*')) ++end;
    const absl::string_view word = text.substr(i, end - i);
    const bool secret = absl::StartsWith(word, "sk_") || absl::StartsWith(word, "rk_") ||
                        absl::StartsWith(word, "pk_") || absl::StartsWith(word, "whsec_") ||
                        absl::StrContains(word, "_secret_");
    absl::StrAppend(&out, secret ? absl::string_view("[redacted]") : word);
    i = end;
  }
  return out;
}

}  // namespace watchstore::stripe_internal
