// The Storage conformance suite against a real PostgreSQL server, each case
// in a fresh schema (see pg_test_support.h).
//
// The suite is always instantiated, so ctest discovers its cases whatever
// the environment at build time. Without WATCHSTORE_TEST_POSTGRES_URL:
//  - under CI=true every case fails (the factory reports the missing server);
//  - otherwise the global set-up skips them all. The shared fixture's SetUp
//    asserts a storage was made, so a case cannot skip itself there; the
//    "[  SKIPPED ]" line is what ctest (gtest_discover_tests) reads as a skip.
#include <iostream>

#include "pg_test_support.h"
#include "storage_conformance.h"
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

INSTANTIATE_TEST_SUITE_P(
    Postgres, StorageConformanceTest,
    ::testing::Values(StorageFactory{"postgres", [] { return MakeTestPostgresStorage(); }}),
    StorageFactoryName);

}  // namespace
}  // namespace watchstore::testing
