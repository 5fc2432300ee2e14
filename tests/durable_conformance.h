// The durable-storage conformance suite: what every Storage adapter that
// keeps data beyond the process must pass, on top of StorageConformanceTest.
// Its factory makes a database that can be opened many times, as a
// restarted (or a second) process would open it. An adapter's test program
// links the `durable_conformance` object library and instantiates:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, DurableStorageConformanceTest,
//       ::testing::Values(DurableStorageFactory{"sqlite", MakeSqliteDatabase}),
//       DurableStorageFactoryName);
#ifndef WATCHSTORE_TESTS_DURABLE_CONFORMANCE_H_
#define WATCHSTORE_TESTS_DURABLE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "watchstore/storage.h"

namespace watchstore::testing {

// One empty database (an SQLite file, a PostgreSQL schema), removed when
// this object dies. Every Storage opened on it must be destroyed first.
class DurableDatabase {
 public:
  DurableDatabase() = default;
  DurableDatabase(const DurableDatabase&) = delete;
  DurableDatabase& operator=(const DurableDatabase&) = delete;
  virtual ~DurableDatabase() = default;

  // A new handle on this database, migrating it first as the adapter's
  // factory does.
  virtual absl::StatusOr<std::unique_ptr<Storage>> Open() = 0;
  // The adapter's stand-alone migration (MigrateSqlite, MigratePostgres).
  virtual absl::Status Migrate() = 0;
  // Text that changes whenever a migration is applied or re-applied: the
  // migration rows with their application times, the number of schema
  // objects. Adds a failure if the bookkeeping itself is inconsistent.
  virtual std::string SchemaFingerprint() = 0;
  // Records a migration newer than this build knows, as a newer build
  // would have. REQUIRES: migrated.
  virtual void AddFutureMigration() = 0;
};

struct DurableStorageFactory {
  std::string name;
  // A new, empty database each call. May GTEST_SKIP() / ADD_FAILURE and
  // return nullptr if the backend is unreachable.
  std::function<std::unique_ptr<DurableDatabase>()> make;
};

inline void PrintTo(const DurableStorageFactory& f, std::ostream* os) { *os << f.name; }

inline std::string DurableStorageFactoryName(
    const ::testing::TestParamInfo<DurableStorageFactory>& info) {
  return info.param.name;
}

class DurableStorageConformanceTest : public ::testing::TestWithParam<DurableStorageFactory> {
 protected:
  void SetUp() override {
    db_ = GetParam().make();
    if (IsSkipped()) return;
    ASSERT_NE(db_, nullptr) << "backend unavailable";
  }
  // A new handle on the database; nullptr after a failure.
  std::unique_ptr<Storage> Open() {
    auto s = db_->Open();
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  std::unique_ptr<DurableDatabase> db_;
};

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_DURABLE_CONFORMANCE_H_
