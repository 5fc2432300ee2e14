// The Storage conformance suite on SQLite: a fresh database file per test.
#include <memory>

#include "sqlite/sqlite_test_util.h"
#include "storage_conformance.h"

namespace watchstore::testing {
namespace {

TempDir& Dir() {
  static TempDir* dir = new TempDir();  // removed by the environment below
  return *dir;
}

class RemoveTempDir : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(Dir().path(), ignored);
  }
};
const auto* const kRemoveTempDir = ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

std::unique_ptr<Storage> MakeSqlite() {
  auto storage = NewSqliteStorage(OptionsFor(Dir().NewFile()));
  if (!storage.ok()) {
    ADD_FAILURE() << storage.status();
    return nullptr;
  }
  return *std::move(storage);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformanceTest,
                         ::testing::Values(StorageFactory{"sqlite", [] { return MakeSqlite(); }}),
                         StorageFactoryName);

}  // namespace
}  // namespace watchstore::testing
