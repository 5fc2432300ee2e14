// Helpers shared by the test programs.
#ifndef WATCHSTORE_TESTS_TEST_UTIL_H_
#define WATCHSTORE_TESTS_TEST_UTIL_H_

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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
#define WS_ASSERT_OK(expr) \
  ASSERT_TRUE(::watchstore::testing::StatusOf(expr).ok()) << ::watchstore::testing::StatusOf(expr)
#define WS_EXPECT_OK(expr) \
  EXPECT_TRUE(::watchstore::testing::StatusOf(expr).ok()) << ::watchstore::testing::StatusOf(expr)
// `WS_ASSERT_OK_AND_ASSIGN(auto x, Foo());`
#define WS_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  WS_TEST_ASSIGN_IMPL(WS_INTERNAL_CONCAT(ws_test_sor_, __LINE__), lhs, expr)
#define WS_TEST_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                        \
  ASSERT_TRUE(tmp.ok()) << tmp.status();    \
  lhs = std::move(tmp).value()
// EXPECT a Status/StatusOr to fail with `code` (and, if given, reason).
#define WS_EXPECT_CODE(expr, want_code)                           \
  do {                                                            \
    ::absl::Status ws_s_ = ::watchstore::testing::StatusOf(expr); \
    EXPECT_EQ(ws_s_.code(), want_code) << ws_s_;                  \
  } while (false)
#define WS_EXPECT_REASON(expr, want_code, why)                    \
  do {                                                            \
    ::absl::Status ws_s_ = ::watchstore::testing::StatusOf(expr); \
    EXPECT_EQ(ws_s_.code(), want_code) << ws_s_;                  \
    EXPECT_EQ(::watchstore::ReasonOf(ws_s_), why) << ws_s_;       \
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

// An order request of `user` under idempotency `key`, fingerprint
// "fp-<key>", shipped to London, placed at 1'800'000'010 s after the epoch.
NewOrder AnOrder(UserId user, const std::string& key, std::vector<NewOrder::Line> lines);

// A user made directly in Storage (no Argon2 work): for tests that need many.
User MakeUser(Storage& storage, const std::string& email, Role role = Role::kCustomer);
Principal PrincipalOf(const User& u);

// Store options for tests: the real limits, an injected clock.
StoreOptions TestStoreOptions(const Clock* clock);

// Storage that forwards every call to another and counts product reads,
// for cache tests ("a warm read does zero storage queries").
class CountingStorage : public StorageWrapper {
 public:
  explicit CountingStorage(Storage* base) : StorageWrapper(base) {}
  std::atomic<int64_t> product_reads{0};
  std::atomic<int64_t> list_reads{0};
  std::atomic<int64_t> session_reads{0};

  absl::StatusOr<SessionRecord> GetSession(absl::string_view h) override {
    ++session_reads;
    return StorageWrapper::GetSession(h);
  }
  absl::StatusOr<Product> GetProduct(ProductId id) override {
    ++product_reads;
    return StorageWrapper::GetProduct(id);
  }
  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    ++list_reads;
    return StorageWrapper::ListProducts(q);
  }
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
