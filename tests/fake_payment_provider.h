// A card payment provider that answers from memory, for service and HTTP
// tests (the Stripe adapter is tested against its stand-in server in
// tests/payments/). Thread-safe.
#ifndef WATCHSTORE_TESTS_FAKE_PAYMENT_PROVIDER_H_
#define WATCHSTORE_TESTS_FAKE_PAYMENT_PROVIDER_H_

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "watchstore/order.h"
#include "watchstore/payments.h"

namespace watchstore::testing {

// A card provider that answers from memory. Notifications are
// "event_id|reference|state|amount_minor|refunded_minor" signed "good".
class FakeCardProvider final : public PaymentProvider {
 public:
  absl::string_view Name() const override { return "fakecard"; }
  bool NotifiesPayment() const override { return true; }

  absl::StatusOr<ProviderPayment> CreatePayment(const CreatePaymentRequest& r) override {
    ++create_calls;
    if (down) return absl::UnavailableError("fake provider down");
    absl::MutexLock lock(&mu_);
    auto [it, fresh] = by_key_.try_emplace(r.idempotency_key, "");
    if (fresh) {
      it->second = "pi_" + std::to_string(by_key_.size());
      ProviderPayment p;
      p.reference = it->second;
      p.order_id = r.order_id;
      p.amount = r.amount;
      p.refunded = Money{0, r.amount.currency};
      p.client_secret = it->second + "_secret";
      payments_[it->second] = p;
      ++intents;
    }
    return payments_.at(it->second);
  }
  absl::StatusOr<ProviderPayment> GetPayment(absl::string_view reference) override {
    absl::MutexLock lock(&mu_);
    auto it = payments_.find(std::string(reference));
    if (it == payments_.end()) return absl::NotFoundError("no such intent");
    return it->second;
  }
  absl::StatusOr<ProviderPayment> CancelPayment(absl::string_view reference) override {
    ++cancel_calls;
    absl::MutexLock lock(&mu_);
    ProviderPayment& p = payments_.at(std::string(reference));
    if (p.state == PaymentState::kCaptured) return absl::FailedPreconditionError("captured");
    p.state = PaymentState::kCancelled;
    return p;
  }
  absl::StatusOr<ProviderPayment> Refund(absl::string_view reference, const Money& amount,
                                         absl::string_view key) override {
    if (down) return absl::UnavailableError("fake provider down");
    absl::MutexLock lock(&mu_);
    ProviderPayment& p = payments_.at(std::string(reference));
    if (refund_keys_.insert(std::string(key)).second) {
      p.refunded.minor_units += amount.minor_units;
      refunded_total += amount.minor_units;
    }
    return p;
  }
  absl::StatusOr<PaymentEvent> VerifyNotification(absl::string_view body,
                                                  absl::string_view signature,
                                                  absl::Time now) override {
    if (signature != "good") return absl::UnauthenticatedError("bad signature");
    std::vector<std::string> f = absl::StrSplit(body, '|');
    if (f.size() != 5 || !ParsePaymentState(f[2]).ok()) {
      return absl::InvalidArgumentError("malformed");
    }
    for (int i : {3, 4}) {
      if (f[i].empty() || f[i].find_first_not_of("0123456789") != std::string::npos) {
        return absl::InvalidArgumentError("malformed");
      }
    }
    PaymentEvent e;
    e.provider = "fakecard";
    e.event_id = f[0];
    e.payment.reference = f[1];
    e.payment.state = *ParsePaymentState(f[2]);
    e.payment.amount = Money{std::stoll(f[3]), Currency()};
    e.payment.refunded = Money{std::stoll(f[4]), Currency()};
    e.created = now;
    return e;
  }
  // A notification body about `o`'s payment.
  static std::string Event(const std::string& id, const Order& o, PaymentState s,
                           int64_t refunded = 0) {
    return absl::StrCat(id, "|", o.payment.reference, "|", PaymentStateName(s), "|",
                        o.payment.amount.minor_units, "|", refunded);
  }
  // The buyer pays at the provider.
  void Capture(const std::string& reference) {
    absl::MutexLock lock(&mu_);
    payments_.at(reference).state = PaymentState::kCaptured;
  }

  std::atomic<int> create_calls{0}, cancel_calls{0}, intents{0};
  std::atomic<int64_t> refunded_total{0};
  std::atomic<bool> down{false};

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> by_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ProviderPayment> payments_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> refund_keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_FAKE_PAYMENT_PROVIDER_H_
