// Helpers shared by the test programs.
#ifndef WATCHSTORE_TESTS_TEST_UTIL_H_
#define WATCHSTORE_TESTS_TEST_UTIL_H_

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "watchstore/cache.h"
#include "watchstore/clock.h"
#include "watchstore/errors.h"
#include "watchstore/storage.h"
#include "watchstore/store.h"

// ASSERT/EXPECT that a Status or StatusOr is OK, printing the status if not.
#define WS_ASSERT_OK(expr) ASSERT_TRUE(::watchstore::testing::StatusOf(expr).ok()) \
    << ::watchstore::testing::StatusOf(expr)
#define WS_EXPECT_OK(expr) EXPECT_TRUE(::watchstore::testing::StatusOf(expr).ok()) \
    << ::watchstore::testing::StatusOf(expr)
// `WS_ASSERT_OK_AND_ASSIGN(auto x, Foo());`
#define WS_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  WS_TEST_ASSIGN_IMPL(WS_INTERNAL_CONCAT(ws_test_sor_, __LINE__), lhs, expr)
#define WS_TEST_ASSIGN_IMPL(tmp, lhs, expr)        \
  auto tmp = (expr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status();           \
  lhs = std::move(tmp).value()
// EXPECT a Status/StatusOr to fail with `code` (and, if given, reason).
#define WS_EXPECT_CODE(expr, want_code)                                        \
  do {                                                                         \
    ::absl::Status ws_s_ = ::watchstore::testing::StatusOf(expr);              \
    EXPECT_EQ(ws_s_.code(), want_code) << ws_s_;                               \
  } while (false)
#define WS_EXPECT_REASON(expr, want_code, why)                                    \
  do {                                                                           \
    ::absl::Status ws_s_ = ::watchstore::testing::StatusOf(expr);                \
    EXPECT_EQ(ws_s_.code(), want_code) << ws_s_;                                    \
    EXPECT_EQ(::watchstore::ReasonOf(ws_s_), why) << ws_s_;                      \
  } while (false)

#include "watchstore/status_macros.h"

namespace watchstore::testing {

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// A price in the default store currency (USD).
Money Usd(int64_t minor);

// A valid product draft with `variants` variants, SKUs "<sku_prefix>-<i>".
ProductDraft WatchDraft(const std::string& sku_prefix, int64_t price_minor = 100'00,
                        int64_t stock = 5, int variants = 1);

// A user made directly in Storage (no Argon2 work): for tests that need many.
User MakeUser(Storage& storage, const std::string& email, Role role = Role::kCustomer);
Principal PrincipalOf(const User& u);

// Store options for tests: the real limits, an injected clock.
StoreOptions TestStoreOptions(const Clock* clock);

// Storage that forwards every call to another and counts product reads,
// for cache tests ("a warm read does zero storage queries").
class CountingStorage : public Storage {
 public:
  explicit CountingStorage(Storage* base) : base_(base) {}
  std::atomic<int64_t> product_reads{0};
  std::atomic<int64_t> list_reads{0};
  std::atomic<int64_t> session_reads{0};

  absl::StatusOr<User> CreateUser(const NewUser& u) override { return base_->CreateUser(u); }
  absl::StatusOr<User> GetUserById(UserId id) override { return base_->GetUserById(id); }
  absl::StatusOr<User> GetUserByEmail(absl::string_view e) override { return base_->GetUserByEmail(e); }
  absl::Status UpdatePasswordHash(UserId id, absl::string_view h) override {
    return base_->UpdatePasswordHash(id, h);
  }
  absl::Status SetUserRole(UserId id, Role r) override { return base_->SetUserRole(id, r); }
  absl::Status CreateSession(const SessionRecord& s) override { return base_->CreateSession(s); }
  absl::StatusOr<SessionRecord> GetSession(absl::string_view h) override {
    ++session_reads;
    return base_->GetSession(h);
  }
  absl::Status TouchSession(absl::string_view h, absl::Time t) override {
    return base_->TouchSession(h, t);
  }
  absl::Status DeleteSession(absl::string_view h) override { return base_->DeleteSession(h); }
  absl::StatusOr<int64_t> DeleteExpiredSessions(absl::Time a, absl::Time b) override {
    return base_->DeleteExpiredSessions(a, b);
  }
  absl::StatusOr<Product> CreateProduct(const ProductDraft& d, absl::Time now) override {
    return base_->CreateProduct(d, now);
  }
  absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t v, const ProductDraft& d,
                                        absl::Time now) override {
    return base_->UpdateProduct(id, v, d, now);
  }
  absl::StatusOr<Product> AdjustStock(VariantId id, int64_t delta, absl::Time now) override {
    return base_->AdjustStock(id, delta, now);
  }
  absl::StatusOr<Product> GetProduct(ProductId id) override {
    ++product_reads;
    return base_->GetProduct(id);
  }
  absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) override {
    return base_->FindProductIdBySku(sku);
  }
  absl::StatusOr<ProductId> FindProductIdByVariant(VariantId id) override {
    return base_->FindProductIdByVariant(id);
  }
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    ++list_reads;
    return base_->ListProducts(q);
  }
  absl::StatusOr<std::vector<CartItem>> GetCart(const CartOwner& o) override {
    return base_->GetCart(o);
  }
  absl::Status SetCartItem(const CartOwner& o, VariantId v, int64_t q, absl::Time now) override {
    return base_->SetCartItem(o, v, q, now);
  }
  absl::Status ReplaceCart(const CartOwner& o, const std::vector<CartItem>& items) override {
    return base_->ReplaceCart(o, items);
  }
  absl::Status DeleteCart(const CartOwner& o) override { return base_->DeleteCart(o); }
  absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& o) override {
    return base_->PlaceOrder(o);
  }
  absl::StatusOr<Order> GetOrder(OrderId id) override { return base_->GetOrder(id); }
  absl::StatusOr<OrderPage> ListOrders(const OrderQuery& q) override { return base_->ListOrders(q); }
  absl::StatusOr<TransitionResult> TransitionOrder(OrderId id, OrderStatus from, OrderStatus to,
                                                   absl::Time now) override {
    return base_->TransitionOrder(id, from, to, now);
  }
  absl::Status Ping() override { return base_->Ping(); }
  absl::string_view Kind() const override { return base_->Kind(); }

 private:
  Storage* base_;
};

// Like CountingStorage but owning its base.
class OwningCountingStorage : public CountingStorage {
 public:
  explicit OwningCountingStorage(std::unique_ptr<Storage> base)
      : CountingStorage(base.get()), owned_(std::move(base)) {}

 private:
  std::unique_ptr<Storage> owned_;
};

// True when running under CI=true: a missing backend is then a failure.
bool InCi();

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_TEST_UTIL_H_
