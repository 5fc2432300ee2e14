// The Storage conformance suites against a real PostgreSQL server, each case
// in a fresh schema (see pg_test_support.h); the durable suite reopens that
// schema.
//
// The suites are always instantiated, so ctest discovers their cases
// whatever the environment at build time. Without WATCHSTORE_TEST_POSTGRES_URL:
//  - under CI=true every case fails (the factory reports the missing server);
//  - otherwise the global set-up skips them all. The shared fixtures' SetUp
//    assert a storage was made, so a case cannot skip itself there; the
//    "[  SKIPPED ]" line is what ctest (gtest_discover_tests) reads as a skip.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "durable_conformance.h"
#include "pg_test_support.h"
#include "postgres/pg_migrate.h"
#include "storage_conformance.h"
#include "storage_model_test.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

class SkipWithoutPostgres : public ::testing::Environment {
 public:
  void SetUp() override {
    if (PostgresUrlFromEnv() || InCi()) return;
    std::cout << "[  SKIPPED ] WATCHSTORE_TEST_POSTGRES_URL is not set\n";
    GTEST_SKIP() << "WATCHSTORE_TEST_POSTGRES_URL is not set";
  }
};
::testing::Environment* const kSkipWithoutPostgres =
    ::testing::AddGlobalTestEnvironment(new SkipWithoutPostgres);

// One schema of its own, dropped with this object.
class PostgresDatabase : public DurableDatabase {
 public:
  absl::StatusOr<std::unique_ptr<Storage>> Open() override {
    return NewPostgresStorage(schema_.Options());
  }
  absl::Status Migrate() override { return MigratePostgres(schema_.Options()); }
  std::string SchemaFingerprint() override {
    EXPECT_EQ(schema_.Query("SELECT count(*) FROM schema_migrations"),
              absl::StrCat(internal::pg::PostgresMigrations().size()));
    return absl::StrCat(
        schema_.Query("SELECT string_agg(version || ':' || xmin || ':' || applied_at, ','"
                      " ORDER BY version) FROM schema_migrations"),
        " objects=",
        schema_.Query("SELECT count(*) FROM pg_class"
                      " WHERE relnamespace = current_schema()::regnamespace"));
  }
  void AddFutureMigration() override {
    schema_.Exec("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future')");
  }

 private:
  TestSchema schema_;
};

std::unique_ptr<DurableDatabase> MakePostgresDatabase() {
  if (!PostgresUrlFromEnv()) {
    ADD_FAILURE() << "WATCHSTORE_TEST_POSTGRES_URL is not set";
    return nullptr;
  }
  return std::make_unique<PostgresDatabase>();
}

INSTANTIATE_TEST_SUITE_P(Postgres, StorageConformanceTest,
                         ::testing::Values(StorageFactory{
                             "postgres", [] { return MakeTestPostgresStorage(); }}),
                         StorageFactoryName);

INSTANTIATE_TEST_SUITE_P(Postgres, DurableStorageConformanceTest,
                         ::testing::Values(DurableStorageFactory{"postgres", MakePostgresDatabase}),
                         DurableStorageFactoryName);

INSTANTIATE_TEST_SUITE_P(Postgres, StorageModelTest,
                         ::testing::Values(StorageFactory{
                             "postgres", [] { return MakeTestPostgresStorage(); }}),
                         StorageFactoryName);

}  // namespace
}  // namespace watchstore::testing
