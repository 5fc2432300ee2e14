// Reading Stripe's JSON (RapidJSON): payment intents, charges, error objects.
// Internal to the Stripe adapter.
#ifndef WATCHSTORE_ADAPTERS_STRIPE_STRIPE_JSON_H_
#define WATCHSTORE_ADAPTERS_STRIPE_STRIPE_JSON_H_

#include <cstdint>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchstore/payments.h"

namespace watchstore::stripe_internal {

// Parses `text` iteratively (no recursion, whatever the nesting), validating
// UTF-8, numbers kept as strings (read by IntField, range-checked).
// InvalidArgument if it is not JSON or not an object.
absl::Status ParseObject(absl::string_view text, rapidjson::Document* doc);

// The member `name` of `o` as a string / an integer; nullopt when absent,
// null or of another type.
std::optional<std::string> StringField(const rapidjson::Value& o, const char* name);
std::optional<int64_t> IntField(const rapidjson::Value& o, const char* name);
// The member `name` of `o` if it is an object, else nullptr.
const rapidjson::Value* ObjectField(const rapidjson::Value& o, const char* name);

// A Stripe currency ("usd") as ours ("USD"). InvalidArgument otherwise.
absl::StatusOr<Currency> CurrencyFromStripe(absl::string_view code);

// A PaymentIntent object (latest_charge expanded or not: refunded is known
// only when it is) as a ProviderPayment, with the status mapping of
// docs/DESIGN.md; order_id from metadata[order_id]. InvalidArgument if it is
// not a well-formed intent.
absl::StatusOr<ProviderPayment> ParsePaymentIntent(const rapidjson::Value& intent);
// A Charge object as the payment of its intent: amount, amount_refunded,
// kRefunded when fully refunded, else kCaptured; order_id 0 (a charge does
// not carry its intent's metadata). InvalidArgument if it is not a charge of
// a payment intent.
absl::StatusOr<ProviderPayment> ParseRefundedCharge(const rapidjson::Value& charge);

// Stripe's error object {"error":{"type","code","message","param"}}; fields
// empty when absent (or the body is not one).
struct StripeError {
  std::string type;
  std::string code;
  std::string message;
  std::string param;
};
StripeError ParseStripeError(absl::string_view body);

// `text` with every credential-shaped word (sk_..., rk_..., pk_..., whsec_...,
// anything holding "_secret_") replaced by "[redacted]": Stripe's messages
// may quote what they were given.
std::string RedactSecrets(absl::string_view text);

}  // namespace watchstore::stripe_internal

#endif  // WATCHSTORE_ADAPTERS_STRIPE_STRIPE_JSON_H_
