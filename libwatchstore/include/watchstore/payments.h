// Payments: the state of an order's payment, and the interface every payment
// provider implements (manual bank transfer here, Stripe in
// watchstore/stripe_provider.h).
//
// The order becomes paid only from what the provider itself says (a verified
// notification, or a verified read of the payment), never from the browser.
#ifndef WATCHSTORE_PAYMENTS_H_
#define WATCHSTORE_PAYMENTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/money.h"

namespace watchstore {

// requires_action -> authorized -> captured -> refunded; any state before
// captured -> failed or cancelled. A failed payment may still succeed (the
// buyer tries another card), so failed -> authorized/captured is legal.
enum class PaymentState : uint8_t {
  kRequiresAction = 0,  // waiting for the buyer (card confirmation, bank transfer)
  kAuthorized = 1,      // the money is held, not yet taken
  kCaptured = 2,        // the money is taken
  kRefunded = 3,        // all of it given back
  kFailed = 4,          // the last attempt failed
  kCancelled = 5,       // will never be paid
};
absl::string_view PaymentStateName(PaymentState s);  // "requires_action", ...
absl::StatusOr<PaymentState> ParsePaymentState(absl::string_view name);

// The payment record of an order, stored with it.
struct Payment {
  std::string provider;   // "manual", "stripe"
  std::string reference;  // the provider's id ("pi_..."); for manual, what the
                          // buyer quotes on the transfer. Empty until known.
  PaymentState state = PaymentState::kRequiresAction;
  Money amount;    // asked for: the order total
  Money refunded;  // given back so far
  // For the buyer's browser (Stripe.js confirms with it). Shown only to the
  // order's buyer; never logged.
  std::string client_secret;
};

// What a provider says about one payment.
struct ProviderPayment {
  std::string reference;
  // The order the payment was made for, as the provider recorded it when
  // the payment was created (Stripe: metadata[order_id]); 0 if unknown.
  int64_t order_id = 0;
  PaymentState state = PaymentState::kRequiresAction;
  Money amount;
  Money refunded;
  std::string client_secret;
};

// A verified notification from a provider: one event about one payment.
struct PaymentEvent {
  std::string provider;  // the provider's Name()
  std::string event_id;  // unique per provider: each event is applied once
  std::string type;      // the provider's own name ("payment_intent.succeeded")
  ProviderPayment payment;
  absl::Time created;  // when the provider made the event
};

struct CreatePaymentRequest {
  int64_t order_id = 0;
  std::string order_number;  // "WS-000042"
  Money amount;              // > 0
  std::string buyer_email;   // for the provider's receipt; may be empty
  // The same key always returns the same payment at the provider: a retried
  // checkout never creates a second one. Derived from the order id.
  std::string idempotency_key;
};

// Thread-safe. Errors: Unavailable when the provider cannot be reached or
// answers 5xx (retry later); FailedPrecondition when it refuses the request
// for a reason retrying will not change; InvalidArgument for our own bad
// request; Unauthenticated for a notification that does not verify.
class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // "manual", "stripe": stored with every payment.
  virtual absl::string_view Name() const = 0;
  // True when the buyer pays on the provider's side and the provider tells
  // us (Stripe); false when staff record the payment by hand (manual).
  virtual bool NotifiesPayment() const = 0;
  // Creates (or, for the same idempotency key, returns again) the payment
  // for an order.
  virtual absl::StatusOr<ProviderPayment> CreatePayment(const CreatePaymentRequest& request) = 0;
  // The payment as the provider has it now.
  virtual absl::StatusOr<ProviderPayment> GetPayment(absl::string_view reference) = 0;
  // Cancels a payment that is not captured. FailedPrecondition if it already
  // is (then it must be refunded instead).
  virtual absl::StatusOr<ProviderPayment> CancelPayment(absl::string_view reference) = 0;
  // Gives back `amount` of a captured payment; the same idempotency key
  // never refunds twice.
  virtual absl::StatusOr<ProviderPayment> Refund(absl::string_view reference, const Money& amount,
                                                 absl::string_view idempotency_key) = 0;
  // Verifies a notification (its raw body and the provider's signature
  // header) and parses it. Unauthenticated if the signature does not verify
  // or is too old at `now`; InvalidArgument if the verified body is not an
  // event we understand; NotFound (reason ignored_event) for an event type we
  // do not act on (the caller acknowledges it).
  virtual absl::StatusOr<PaymentEvent> VerifyNotification(absl::string_view body,
                                                          absl::string_view signature_header,
                                                          absl::Time now) = 0;
};

// Bank transfer or payment on collection: no external service. The payment
// waits (requires_action) until staff record it; its reference is the order
// number, which the buyer quotes on the transfer. Refunds are made by hand
// and recorded. It receives no notifications.
std::unique_ptr<PaymentProvider> NewManualPaymentProvider();

}  // namespace watchstore

#endif  // WATCHSTORE_PAYMENTS_H_
