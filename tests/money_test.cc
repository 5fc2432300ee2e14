#include "watchstore/money.h"

#include <limits>

#include "test_util.h"

namespace watchstore {
namespace {

TEST(MoneyTest, FormatsExactlyPerCurrency) {
  EXPECT_EQ(FormatMoney(Money{123450, Currency()}), "1234.50 USD");
  EXPECT_EQ(FormatMoney(Money{5, Currency()}), "0.05 USD");
  EXPECT_EQ(FormatMoney(Money{-5, Currency()}), "-0.05 USD");
  EXPECT_EQ(FormatMoney(Money{1500, *Currency::FromCode("JPY")}), "1500 JPY");
  EXPECT_EQ(FormatMoney(Money{1500, *Currency::FromCode("KWD")}), "1.500 KWD");
  EXPECT_EQ(FormatMoney(Money{std::numeric_limits<int64_t>::min(), Currency()}),
            "-92233720368547758.08 USD");
}

TEST(MoneyTest, ArithmeticChecksCurrencyAndOverflow) {
  const Money a{100, Currency()};
  WS_ASSERT_OK_AND_ASSIGN(Money sum, Add(a, a));
  EXPECT_EQ(sum.minor_units, 200);
  WS_EXPECT_CODE(Add(a, Money{1, *Currency::FromCode("EUR")}), absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(Add(Money{std::numeric_limits<int64_t>::max(), Currency()}, a),
                 absl::StatusCode::kOutOfRange);
  WS_EXPECT_CODE(Multiply(Money{std::numeric_limits<int64_t>::max() / 2, Currency()}, 3),
                 absl::StatusCode::kOutOfRange);
  WS_ASSERT_OK_AND_ASSIGN(Money triple, Multiply(a, 3));
  EXPECT_EQ(triple.minor_units, 300);
}

TEST(MoneyTest, ParsesOnlyIsoShapedCodes) {
  WS_EXPECT_OK(Currency::FromCode("EUR"));
  WS_EXPECT_CODE(Currency::FromCode("eur"), absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(Currency::FromCode("EURO"), absl::StatusCode::kInvalidArgument);
  WS_EXPECT_CODE(Currency::FromCode(""), absl::StatusCode::kInvalidArgument);
}

TEST(OrderStatusTest, OnlyTheMachinesTransitionsAreLegal) {
  const OrderStatus all[] = {OrderStatus::kPending, OrderStatus::kPaid, OrderStatus::kShipped,
                             OrderStatus::kDelivered, OrderStatus::kCancelled};
  int legal = 0;
  for (OrderStatus from : all) {
    for (OrderStatus to : all) legal += IsLegalTransition(from, to);
  }
  EXPECT_EQ(legal, 5);
  EXPECT_TRUE(IsLegalTransition(OrderStatus::kPending, OrderStatus::kPaid));
  EXPECT_TRUE(IsLegalTransition(OrderStatus::kPaid, OrderStatus::kShipped));
  EXPECT_TRUE(IsLegalTransition(OrderStatus::kShipped, OrderStatus::kDelivered));
  EXPECT_TRUE(IsLegalTransition(OrderStatus::kPending, OrderStatus::kCancelled));
  EXPECT_TRUE(IsLegalTransition(OrderStatus::kPaid, OrderStatus::kCancelled));
  for (OrderStatus s : all) {
    WS_ASSERT_OK_AND_ASSIGN(OrderStatus parsed, ParseOrderStatus(OrderStatusName(s)));
    EXPECT_EQ(parsed, s);
  }
  WS_EXPECT_CODE(ParseOrderStatus("lost"), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace watchstore
