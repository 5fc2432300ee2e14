// The Storage conformance suite: one set of cases every adapter must pass.
// An adapter's test program links the `storage_conformance` object library
// and instantiates the suite with a factory that makes a fresh, empty store:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformanceTest,
//       ::testing::Values(StorageFactory{"sqlite", [] { return MakeSqlite(); }}),
//       StorageFactoryName);
#ifndef WATCHSTORE_TESTS_STORAGE_CONFORMANCE_H_
#define WATCHSTORE_TESTS_STORAGE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "watchstore/storage.h"

namespace watchstore::testing {

struct StorageFactory {
  std::string name;
  // A fresh, empty storage each call. May GTEST_SKIP() / fail via ADD_FAILURE
  // and return nullptr if the backend is unreachable.
  std::function<std::unique_ptr<Storage>()> make;
};

// Prints a factory by name (gtest would print its bytes otherwise).
inline void PrintTo(const StorageFactory& f, std::ostream* os) { *os << f.name; }

inline std::string StorageFactoryName(const ::testing::TestParamInfo<StorageFactory>& info) {
  return info.param.name;
}

class StorageConformanceTest : public ::testing::TestWithParam<StorageFactory> {
 protected:
  void SetUp() override {
    storage_ = GetParam().make();
    if (IsSkipped()) return;
    ASSERT_NE(storage_, nullptr) << "backend unavailable";
  }
  std::unique_ptr<Storage> storage_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_STORAGE_CONFORMANCE_H_
