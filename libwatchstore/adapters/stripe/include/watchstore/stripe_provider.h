// A PaymentProvider over Stripe's PaymentIntents REST API (watchstore::stripe,
// libcurl). See docs/DESIGN.md "Payments: the Stripe adapter".
#ifndef WATCHSTORE_STRIPE_PROVIDER_H_
#define WATCHSTORE_STRIPE_PROVIDER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/payments.h"

namespace watchstore {

// The Stripe API version every request pins (the Stripe-Version header): the
// response and event shapes the adapter parses are this version's.
inline constexpr absl::string_view kStripeApiVersion = "2026-11-18.endive";

struct StripeOptions {
  // --- Credentials (never logged, never in a status message) ---
  // The secret API key: sk_live_..., sk_test_... or a restricted rk_... key.
  std::string secret_key;
  // The webhook endpoint's signing secrets (whsec_...). A notification is
  // accepted when it carries a valid v1 signature by ANY of them: during a
  // rotation configure both the old and the new one. At least one.
  std::vector<std::string> webhook_secrets;

  // --- Where ---
  // https://... ; http:// only for a loopback host (a test stand-in).
  std::string api_base = "https://api.stripe.com";

  // --- Behaviour ---
  // A notification whose signature timestamp is further than this from `now`
  // (either way) is refused: Stripe's own libraries use 5 minutes.
  absl::Duration tolerance = absl::Minutes(5);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Bound on one HTTP exchange (an attempt); a call makes at most
  // 1 + max_retries of them, plus the waits between them.
  absl::Duration request_timeout = absl::Seconds(20);
  // Attempts after the first when Stripe cannot be reached, answers 409
  // (the idempotency key is in use by a request in flight), 429 or 5xx, unless
  // it says Stripe-Should-Retry: false. Every POST carries an idempotency key,
  // so a retry never repeats an effect. 0..10.
  int max_retries = 2;
  // Wait before the first retry; doubles for each next one.
  absl::Duration retry_delay = absl::Milliseconds(250);
  // A response body (or a notification) larger than this is refused.
  size_t max_body_bytes = 1 << 20;
};

// InvalidArgument for a missing secret key or webhook secret, an api_base that
// is not https (or http on loopback), or a bound out of range. Thread-safe:
// calls may run concurrently (each uses its own connection; idle connections
// are kept for reuse).
//
// Errors of the provider's calls: Unavailable (network, timeouts, 409
// idempotency key in use, 429, 5xx, after the retries); FailedPrecondition
// (Stripe refuses the request as it stands: a declined card (402), an intent
// in a state that does not allow it); InvalidArgument (a bad parameter, an
// idempotency key reused with other parameters: reason idempotency_key_reused,
// a malformed reference); NotFound (no such intent); Internal "stripe rejected
// the API key" (401/403) or a response that is not what the API documents.
absl::StatusOr<std::unique_ptr<PaymentProvider>> NewStripePaymentProvider(
    const StripeOptions& options);

}  // namespace watchstore

#endif  // WATCHSTORE_STRIPE_PROVIDER_H_
