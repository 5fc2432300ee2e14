// The Storage conformance suites on SQLite: a fresh database file per test;
// the durable suite reopens that file.
#include <memory>

#include "absl/strings/str_cat.h"
#include "durable_conformance.h"
#include "sqlite/sqlite_test_util.h"
#include "storage_conformance.h"
#include "storage_model_test.h"

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

// One database file in a directory of its own.
class SqliteDatabase : public DurableDatabase {
 public:
  absl::StatusOr<std::unique_ptr<Storage>> Open() override {
    return NewSqliteStorage(OptionsFor(path_));
  }
  absl::Status Migrate() override { return MigrateSqlite(OptionsFor(path_)); }
  std::string SchemaFingerprint() override {
    RawDb raw(path_);
    const int64_t rows = raw.Scalar("SELECT count(*) FROM schema_migrations");
    const int64_t latest = raw.Scalar("SELECT max(version) FROM schema_migrations");
    EXPECT_GE(rows, 1);
    // Versions increase but may leave gaps (ranges are reserved per line of
    // work: 0010.. search, 0020.. others).
    EXPECT_GE(latest, rows) << "each version recorded once";
    return absl::StrCat("migrations=", rows, " latest=", latest,
                        " applied_at=", raw.Scalar("SELECT max(applied_at) FROM schema_migrations"),
                        " objects=", raw.Scalar("SELECT count(*) FROM sqlite_schema"));
  }
  void AddFutureMigration() override {
    RawDb raw(path_);
    EXPECT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (9999, '9999_future', 0)"), SQLITE_OK)
        << raw.last_message();
  }

 private:
  TempDir dir_;
  std::string path_ = dir_.NewFile();
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformanceTest,
                         ::testing::Values(StorageFactory{"sqlite", [] { return MakeSqlite(); }}),
                         StorageFactoryName);

INSTANTIATE_TEST_SUITE_P(Sqlite, DurableStorageConformanceTest,
                         ::testing::Values(DurableStorageFactory{
                             "sqlite", [] { return std::make_unique<SqliteDatabase>(); }}),
                         DurableStorageFactoryName);

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageModelTest,
                         ::testing::Values(StorageFactory{"sqlite", [] { return MakeSqlite(); }}),
                         StorageFactoryName);

}  // namespace
}  // namespace watchstore::testing
