// Stripe webhooks: the Stripe-Signature check and the events the store acts
// on. Internal to the Stripe adapter.
#ifndef WATCHSTORE_ADAPTERS_STRIPE_STRIPE_WEBHOOK_H_
#define WATCHSTORE_ADAPTERS_STRIPE_STRIPE_WEBHOOK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/payments.h"

namespace watchstore::stripe_internal {

// Stripe's documented scheme: header "t=<unix seconds>,v1=<hex>[,v1=<hex>...]"
// (other schemes such as v0 are ignored); a v1 is valid when it equals
// hex(HMAC-SHA256(secret, t + "." + body)) for one of `secrets` (compared in
// constant time). OK when some v1 is valid and |now - t| <= tolerance;
// Unauthenticated otherwise (the message says which check failed, never a
// secret or a signature).
absl::Status VerifyStripeSignature(absl::string_view body, absl::string_view header,
                                   const std::vector<std::string>& secrets, absl::Time now,
                                   absl::Duration tolerance);

// A verified event body as a PaymentEvent (provider "stripe"):
// payment_intent.{succeeded,payment_failed,canceled,amount_capturable_updated}
// carry the intent; charge.refunded the charge's intent and amount_refunded.
// NotFound (reason ignored_event) for any other type; InvalidArgument for a
// body that is not an event or lacks what its type needs.
absl::StatusOr<PaymentEvent> ParseStripeEvent(absl::string_view body);

}  // namespace watchstore::stripe_internal

#endif  // WATCHSTORE_ADAPTERS_STRIPE_STRIPE_WEBHOOK_H_
