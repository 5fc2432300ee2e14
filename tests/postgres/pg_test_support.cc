#include "pg_test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

std::atomic<int> next_schema{0};

internal::pg::ConnectSettings RawSettings(const std::string& url) {
  internal::pg::ConnectSettings s;
  s.url = url;
  s.connect_timeout_seconds = 5;
  s.statement_timeout_ms = 120'000;
  return s;
}

// Schemas whose storage outlives any TestSchema object: dropped at exit.
class LeftoverSchemas : public ::testing::Environment {
 public:
  static LeftoverSchemas* Get() {
    static LeftoverSchemas* env = [] {
      auto* e = new LeftoverSchemas();
      ::testing::AddGlobalTestEnvironment(e);  // takes ownership
      return e;
    }();
    return env;
  }
  void Add(const std::string& server_url, const std::string& schema) {
    std::lock_guard<std::mutex> lock(mu_);
    schemas_.push_back({server_url, schema});
  }
  void TearDown() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [url, schema] : schemas_) {
      auto conn = internal::pg::Connection::Open(RawSettings(url));
      if (!conn.ok()) continue;
      (void)(*conn)->ExecuteScript(
          absl::StrCat("DROP SCHEMA IF EXISTS ", schema, " CASCADE").c_str());
    }
    schemas_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> schemas_;
};

// Runs scripts/services.sh COMMAND 'DIR' [ARG]; its stdout, or nullopt if it
// failed (reported).
std::optional<std::string> Services(const std::string& command, const std::string& dir,
                                    const std::string& arg = "") {
  std::string cmd =
      absl::StrCat(WATCHSTORE_SOURCE_DIR, "/scripts/services.sh ", command, " '", dir, "'");
  if (!arg.empty()) absl::StrAppend(&cmd, " '", arg, "'");
  absl::StrAppend(&cmd, " 2>&1");
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  std::string out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int rc = pclose(f);
  if (rc != 0) {
    ADD_FAILURE() << cmd << " failed:\n" << out;
    return std::nullopt;
  }
  return out;
}

// The value of `export NAME=value` in services.sh output, or "".
std::string Exported(const std::string& out, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, absl::StrCat("export ", name, "="))) return std::string(line);
  }
  return "";
}

}  // namespace

bool PrivatePostgres::Start() {
  char tmpl[] = "/tmp/ws-pg-private-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return false;
  parent_ = tmpl;
  dir_ = parent_ + "/pg";
  auto out = Services("start-postgres", dir_);
  if (!out) return false;
  url_ = Exported(*out, "WATCHSTORE_TEST_POSTGRES_URL");
  return !url_.empty();
}

bool PrivatePostgres::Stop() { return Services("stop-postgres", dir_).has_value(); }

bool PrivatePostgres::Restart() { return Services("restart-postgres", dir_).has_value(); }

bool PrivatePostgres::StartReplica() {
  if (dir_.empty()) return false;
  replica_dir_ = parent_ + "/replica";
  auto out = Services("start-replica", replica_dir_, dir_);
  if (!out) return false;
  replica_url_ = Exported(*out, "WATCHSTORE_TEST_POSTGRES_REPLICA_URL");
  return !replica_url_.empty();
}

bool PrivatePostgres::StopReplica() {
  return !replica_dir_.empty() && Services("stop-replica", replica_dir_).has_value();
}

PrivatePostgres::~PrivatePostgres() {
  if (dir_.empty()) return;
  if (!replica_dir_.empty()) Services("stop-replica", replica_dir_);
  Services("stop-postgres", dir_);
  const std::string rm = absl::StrCat("rm -rf '", parent_, "'");
  if (system(rm.c_str()) != 0) ADD_FAILURE() << rm;
}

std::optional<std::string> PostgresUrlFromEnv() {
  const char* url = std::getenv("WATCHSTORE_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return std::string(url);
}

std::string UrlWithSchema(const std::string& url, const std::string& schema) {
  if (absl::StartsWith(url, "postgres://") || absl::StartsWith(url, "postgresql://")) {
    return absl::StrCat(url, absl::StrContains(url, "?") ? "&" : "?", "options=-csearch_path%3D",
                        schema);
  }
  return absl::StrCat(url, " options='-csearch_path=", schema, "'");
}

TestSchema::TestSchema() : TestSchema(PostgresUrlFromEnv().value_or("")) {}

TestSchema::TestSchema(const std::string& server_url) : server_url_(server_url) {
  name_ = absl::StrCat("ws_test_", getpid(), "_", next_schema.fetch_add(1));
  url_ = UrlWithSchema(server_url_, name_);
  auto conn = internal::pg::Connection::Open(RawSettings(server_url_));
  EXPECT_TRUE(conn.ok()) << conn.status();
  if (!conn.ok()) return;
  // The name is ours (digits and underscores), not input: safe to splice.
  auto made = (*conn)->ExecuteScript(
      absl::StrCat("DROP SCHEMA IF EXISTS ", name_, " CASCADE; CREATE SCHEMA ", name_).c_str());
  EXPECT_TRUE(made.ok()) << made.status();
}

TestSchema::~TestSchema() {
  if (keep_) {
    LeftoverSchemas::Get()->Add(server_url_, name_);
    return;
  }
  auto conn = internal::pg::Connection::Open(RawSettings(server_url_));
  if (!conn.ok()) return;
  (void)(*conn)->ExecuteScript(absl::StrCat("DROP SCHEMA IF EXISTS ", name_, " CASCADE").c_str());
}

PostgresOptions TestSchema::Options(int pool_size) const {
  PostgresOptions o;
  o.url = url_;
  o.pool_size = pool_size;
  o.pool_wait_timeout = absl::Seconds(30);
  o.statement_timeout = absl::Seconds(30);
  return o;
}

std::unique_ptr<internal::pg::Connection> TestSchema::Raw() const {
  auto conn = internal::pg::Connection::Open(RawSettings(url_));
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? *std::move(conn) : nullptr;
}

void TestSchema::Exec(const std::string& sql) const {
  auto conn = Raw();
  ASSERT_NE(conn, nullptr);
  auto r = conn->ExecuteScript(sql.c_str());
  ASSERT_TRUE(r.ok()) << r.status() << "\n" << sql;
}

std::string TestSchema::Query(const std::string& sql) const {
  auto conn = Raw();
  if (conn == nullptr) return "";
  auto r = conn->ExecuteScript(sql.c_str());
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << sql;
  if (!r.ok() || r->rows() == 0) return "";
  return r->String(0, 0);
}

std::unique_ptr<Storage> MakeTestPostgresStorage() {
  if (!PostgresUrlFromEnv()) {
    ADD_FAILURE() << "WATCHSTORE_TEST_POSTGRES_URL is not set";
    return nullptr;
  }
  TestSchema schema;
  schema.Release();
  auto storage = NewPostgresStorage(schema.Options());
  EXPECT_TRUE(storage.ok()) << storage.status();
  return storage.ok() ? *std::move(storage) : nullptr;
}

}  // namespace watchstore::testing
