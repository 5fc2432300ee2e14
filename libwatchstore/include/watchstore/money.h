// Money: integer minor units plus an ISO 4217 currency. No floating point.
#ifndef WATCHSTORE_MONEY_H_
#define WATCHSTORE_MONEY_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace watchstore {

// An ISO 4217 code: three upper-case ASCII letters ("USD", "EUR", "JPY").
class Currency {
 public:
  Currency() : code_{'U', 'S', 'D'} {}
  // InvalidArgument unless `code` is three upper-case ASCII letters.
  static absl::StatusOr<Currency> FromCode(absl::string_view code);

  absl::string_view code() const { return absl::string_view(code_, 3); }
  // Digits after the decimal point (2 for USD, 0 for JPY, 3 for KWD).
  int MinorDigits() const;

  friend bool operator==(const Currency& a, const Currency& b) { return a.code() == b.code(); }
  friend bool operator!=(const Currency& a, const Currency& b) { return !(a == b); }

 private:
  char code_[3];
};

// An amount in minor units (cents for USD). Value type.
struct Money {
  int64_t minor_units = 0;
  Currency currency;

  friend bool operator==(const Money& a, const Money& b) {
    return a.minor_units == b.minor_units && a.currency == b.currency;
  }
};

// a + b. InvalidArgument if the currencies differ, OutOfRange on overflow.
absl::StatusOr<Money> Add(const Money& a, const Money& b);
// a * n. OutOfRange on overflow.
absl::StatusOr<Money> Multiply(const Money& a, int64_t n);

// "1234.50 USD" style, exact: no floating point involved.
std::string FormatMoney(const Money& m);

}  // namespace watchstore

#endif  // WATCHSTORE_MONEY_H_
