// The manual payment provider: bank transfer or payment on collection.
#include "watchstore/errors.h"
#include "watchstore/payments.h"

namespace watchstore {
namespace {

class ManualPaymentProvider final : public PaymentProvider {
 public:
  absl::string_view Name() const override { return "manual"; }
  bool NotifiesPayment() const override { return false; }

  // The reference the buyer quotes is the order number; nothing leaves the
  // process, so the same request always gives the same answer.
  absl::StatusOr<ProviderPayment> CreatePayment(const CreatePaymentRequest& request) override {
    if (request.order_number.empty() || request.amount.minor_units <= 0) {
      return absl::InvalidArgumentError("manual payment: order number and amount needed");
    }
    ProviderPayment p;
    p.reference = request.order_number;
    p.order_id = request.order_id;
    p.state = PaymentState::kRequiresAction;
    p.amount = request.amount;
    p.refunded = Money{0, request.amount.currency};
    return p;
  }
  // What a manual payment's state is lives in the order, not here.
  absl::StatusOr<ProviderPayment> GetPayment(absl::string_view) override {
    return Unsupported("staff record manual payments: there is nothing to read");
  }
  absl::StatusOr<ProviderPayment> CancelPayment(absl::string_view reference) override {
    ProviderPayment p;
    p.reference = std::string(reference);
    p.state = PaymentState::kCancelled;
    return p;
  }
  // Staff give the money back by hand; recording it is all there is to do.
  absl::StatusOr<ProviderPayment> Refund(absl::string_view reference, const Money& amount,
                                         absl::string_view) override {
    ProviderPayment p;
    p.reference = std::string(reference);
    p.state = PaymentState::kCaptured;
    p.refunded = amount;
    return p;
  }
  absl::StatusOr<PaymentEvent> VerifyNotification(absl::string_view, absl::string_view,
                                                  absl::Time) override {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound,
                     "manual payments receive no notifications");
  }

 private:
  static absl::Status Unsupported(absl::string_view what) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition, what);
  }
};

}  // namespace

std::unique_ptr<PaymentProvider> NewManualPaymentProvider() {
  return std::make_unique<ManualPaymentProvider>();
}

}  // namespace watchstore
