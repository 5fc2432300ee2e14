#include "watchstore/money.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "watchstore/errors.h"

namespace watchstore {

absl::StatusOr<Currency> Currency::FromCode(absl::string_view code) {
  if (code.size() != 3) return InvalidField("currency", "must be an ISO 4217 code");
  for (char c : code) {
    if (c < 'A' || c > 'Z') return InvalidField("currency", "must be an ISO 4217 code");
  }
  Currency c;
  c.code_[0] = code[0];
  c.code_[1] = code[1];
  c.code_[2] = code[2];
  return c;
}

int Currency::MinorDigits() const {
  // ISO 4217 exceptions to the common two digits.
  static constexpr absl::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr absl::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (auto z : kZero) {
    if (code() == z) return 0;
  }
  for (auto t : kThree) {
    if (code() == t) return 3;
  }
  return 2;
}

absl::StatusOr<Money> Add(const Money& a, const Money& b) {
  if (a.currency != b.currency) {
    return absl::InvalidArgumentError("cannot add amounts in different currencies");
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(a.minor_units, b.minor_units, &sum)) {
    return absl::OutOfRangeError("amount overflows");
  }
  return Money{sum, a.currency};
}

absl::StatusOr<Money> Multiply(const Money& a, int64_t n) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a.minor_units, n, &product)) {
    return absl::OutOfRangeError("amount overflows");
  }
  return Money{product, a.currency};
}

std::string FormatMoney(const Money& m) {
  const int digits = m.currency.MinorDigits();
  // Work on the magnitude as unsigned so INT64_MIN formats too.
  uint64_t mag = m.minor_units < 0 ? 0 - static_cast<uint64_t>(m.minor_units)
                                   : static_cast<uint64_t>(m.minor_units);
  std::string digits_str = std::to_string(mag);
  std::string units;
  if (digits == 0) {
    units = digits_str;
  } else {
    const size_t d = static_cast<size_t>(digits);
    if (digits_str.size() <= d)
      digits_str = std::string(d + 1 - digits_str.size(), '0') + digits_str;
    const size_t whole = digits_str.size() - d;
    units = absl::StrCat(absl::string_view(digits_str).substr(0, whole), ".",
                         absl::string_view(digits_str).substr(whole));
  }
  return absl::StrCat(m.minor_units < 0 ? "-" : "", units, " ", m.currency.code());
}

}  // namespace watchstore
