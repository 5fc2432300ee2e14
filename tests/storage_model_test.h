// The randomized model test of Storage: a long random sequence of
// operations, valid and invalid, run against the adapter under test and
// against a fresh NewMemoryStorage() as the reference; every result (status
// code and reason, or the value field by field) must agree. LevelDB's
// table_test.cc does the same with a std::map.
//
// An adapter's test program links the `storage_model_test` object library
// and instantiates the suite with the factory of its conformance suite:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StorageModelTest,
//       ::testing::Values(StorageFactory{"sqlite", [] { return MakeSqlite(); }}),
//       StorageFactoryName);
//
// WATCHSTORE_MODEL_SEED (default 1) and WATCHSTORE_MODEL_OPS (default
// 10000) choose the sequence; a failure prints the seed and the operation.
#ifndef WATCHSTORE_TESTS_STORAGE_MODEL_TEST_H_
#define WATCHSTORE_TESTS_STORAGE_MODEL_TEST_H_

#include <memory>

#include "gtest/gtest.h"
#include "storage_conformance.h"
#include "watchstore/storage.h"

namespace watchstore::testing {

class StorageModelTest : public ::testing::TestWithParam<StorageFactory> {
 protected:
  void SetUp() override {
    tested_ = GetParam().make();
    if (IsSkipped()) return;
    ASSERT_NE(tested_, nullptr) << "backend unavailable";
    reference_ = NewMemoryStorage();
  }
  std::unique_ptr<Storage> tested_;
  std::unique_ptr<Storage> reference_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_STORAGE_MODEL_TEST_H_
