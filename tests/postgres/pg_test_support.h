// Helpers of the PostgreSQL adapter tests.
//
// Isolation: every test works in a schema of its own (ws_test_<pid>_<n>),
// selected by adding options=-csearch_path=<schema> to the server URL, so
// tests (and ctest -j) never see each other's rows and the storage under
// test creates its tables there exactly as it would in `public`. Schemas
// are dropped when their TestSchema goes away (and, for those made by
// factories, when the program ends).
//
// The server comes from WATCHSTORE_TEST_POSTGRES_URL (scripts/services.sh
// start-postgres). Unset: the tests skip, or fail under CI=true.
#ifndef WATCHSTORE_TESTS_POSTGRES_PG_TEST_SUPPORT_H_
#define WATCHSTORE_TESTS_POSTGRES_PG_TEST_SUPPORT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "postgres/pg_connection.h"
#include "watchstore/postgres_storage.h"
#include "watchstore/storage.h"

namespace watchstore::testing {

// The server URL, or nullopt when the variable is unset.
std::optional<std::string> PostgresUrlFromEnv();

// In a test body or SetUp: skips (fails under CI=true) without a server.
#define WS_REQUIRE_POSTGRES()                                                    \
  do {                                                                           \
    if (!::watchstore::testing::PostgresUrlFromEnv()) {                          \
      if (::watchstore::testing::InCi()) {                                       \
        FAIL() << "WATCHSTORE_TEST_POSTGRES_URL is not set (required under CI)"; \
      }                                                                          \
      GTEST_SKIP() << "WATCHSTORE_TEST_POSTGRES_URL is not set";                 \
    }                                                                            \
  } while (false)

// `url` with its search_path set to `schema`.
std::string UrlWithSchema(const std::string& url, const std::string& schema);

// A fresh, empty schema on the test server; dropped on destruction.
class TestSchema {
 public:
  // REQUIRES: PostgresUrlFromEnv() is set.
  TestSchema();
  explicit TestSchema(const std::string& server_url);
  TestSchema(const TestSchema&) = delete;
  TestSchema& operator=(const TestSchema&) = delete;
  ~TestSchema();

  const std::string& name() const { return name_; }
  // The server URL selecting this schema.
  const std::string& url() const { return url_; }
  // Options for the storage under test (small pool, short timeouts).
  PostgresOptions Options(int pool_size = 4) const;
  // A raw connection in this schema, for SQL the Storage API has no word for.
  std::unique_ptr<internal::pg::Connection> Raw() const;
  // Runs `sql` (constant text) on a raw connection; fails the test if it fails.
  void Exec(const std::string& sql) const;
  // The single value of a one-row, one-column query.
  std::string Query(const std::string& sql) const;

  // Keeps the schema (used by factories whose storage outlives this object).
  void Release() { keep_ = true; }

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
  bool keep_ = false;
};

// A PostgreSQL cluster of the test's own, started with scripts/services.sh
// in a temporary directory (so stopping or restarting it disturbs no other
// test), with an optional streaming replica (pg_basebackup -R). Stopped and
// removed on destruction. Failures are reported with ADD_FAILURE.
class PrivatePostgres {
 public:
  PrivatePostgres() = default;
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;
  ~PrivatePostgres();

  bool Start();
  bool Stop();     // pg_ctl -m immediate
  bool Restart();  // immediate stop (if running), start on the same port
  // A streaming replica of the running primary, on a port of its own.
  bool StartReplica();
  bool StopReplica();  // pg_ctl -m immediate

  const std::string& url() const { return url_; }
  const std::string& replica_url() const { return replica_url_; }

 private:
  std::string parent_, dir_, url_, replica_dir_, replica_url_;
};

// A new storage in a new schema, for StorageConformanceTest; the schema is
// dropped when the program ends. nullptr (after a failure) without a server.
std::unique_ptr<Storage> MakeTestPostgresStorage();

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_POSTGRES_PG_TEST_SUPPORT_H_
