// The watchstore-server program itself: commands, exit codes, a busy port,
// graceful shutdown on SIGTERM, the access log.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "process_util.h"
#if WATCHSTORE_TEST_PRIVATE_POSTGRES
#include "pg_test_support.h"
#include "test_util.h"
#endif

extern char** environ;

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using ::watchstore::testing::FreePort;
using ::watchstore::testing::Process;
using ::watchstore::testing::Wait;
using ::watchstore::testing::WaitHealthy;

// The server binary with `args`; extra "NAME=value" environment.
Process Start(const std::vector<std::string>& args, const std::vector<std::string>& env_extra = {},
              const std::string& stdin_data = "") {
  return ::watchstore::testing::StartProgram(WATCHSTORE_SERVER_BINARY, args, env_extra, stdin_data);
}

int RunServer(const std::vector<std::string>& args, std::string* output,
              const std::vector<std::string>& env = {}, const std::string& stdin_data = "") {
  Process p = Start(args, env, stdin_data);
  return Wait(p, milliseconds(30000), output);
}

class ServerBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("ws-bin-", ::getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ServerBinaryTest, HelpAndBadValues) {
  std::string out;
  EXPECT_EQ(RunServer({"--help"}, &out), 0);
  EXPECT_TRUE(absl::StrContains(out, "Usage: watchstore-server")) << out;
  // Every flag's "=V" stands apart from its help, however long the flag.
  EXPECT_FALSE(absl::StrContains(out, "=Vrequests")) << out;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, "  --") && absl::StrContains(line, "=V")) {
      const size_t v = line.find("=V");
      EXPECT_TRUE(v + 2 == line.size() || line[v + 2] == ' ') << line;
    }
  }
  EXPECT_EQ(RunServer({"--threads=many"}, &out), 2);
  EXPECT_TRUE(absl::StrContains(out, "--threads: must be an integer")) << out;
  EXPECT_EQ(RunServer({}, &out, {"WATCHSTORE_LISTEN=here"}), 2);
  EXPECT_TRUE(absl::StrContains(out, "WATCHSTORE_LISTEN")) << out;
  EXPECT_EQ(RunServer({"--static-dir", (dir_ / "missing").string(), "--database=memory:"}, &out),
            1);
  EXPECT_TRUE(absl::StrContains(out, "--static-dir")) << out;
}

#if WATCHSTORE_HTTP_WITH_SQLITE
TEST_F(ServerBinaryTest, MigrateSeedDemoAndCreateAdmin) {
  const std::string db = (dir_ / "store.db").string();
  std::string out;
  EXPECT_EQ(RunServer({"migrate", "--database", db}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "migrated sqlite")) << out;
  EXPECT_EQ(RunServer({"seed-demo", "--database", db}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "added 66 demo watches")) << out;
  EXPECT_EQ(RunServer({"seed-demo", "--database", db}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "already has products")) << out;

  EXPECT_EQ(RunServer({"create-admin", "--email", "root@example.com", "--database", db}, &out, {},
                      "a strong admin password\n"),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "created as an admin")) << out;
  // The same email again: an account exists, nothing changes.
  // (No password on stdin: it must not be asked for.)
  EXPECT_EQ(RunServer({"create-admin", "--email", "Root@Example.com", "--database", db}, &out), 1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "already exists")) << out;
  EXPECT_TRUE(absl::StrContains(out, "--promote-existing")) << out;
  EXPECT_EQ(RunServer({"create-admin", "--email", "ops@example.com", "--database", db}, &out,
                      {"WATCHSTORE_ADMIN_PASSWORD=another strong password"}),
            0)
      << out;
  EXPECT_EQ(RunServer({"create-admin", "--email", "weak@example.com", "--database", db}, &out, {},
                      "short\n"),
            1);
  EXPECT_TRUE(absl::StrContains(out, "password")) << out;
  EXPECT_EQ(
      RunServer({"create-admin", "--email", "x@example.com", "--password", "hunter2hunter2"}, &out),
      2);

  // The admin can log in to a server over that database.
  const int port = FreePort();
  const std::filesystem::path mail_dir = dir_ / "mail";
  Process server =
      Start({"serve", "--database", db, "--listen", absl::StrCat("127.0.0.1:", port),
             "--metrics-listen", "127.0.0.1:0", "--static-dir", WATCHSTORE_SOURCE_DIR "/frontend",
             "--access-log", "off", "--mail-dir", mail_dir.string()});
  ASSERT_TRUE(WaitHealthy(port, milliseconds(10000)));
  httplib::Client c("127.0.0.1", port);
  auto login = c.Post("/api/v1/auth/login",
                      R"({"email":"root@example.com","password":"a strong admin password"})",
                      "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200) << login->body;
  EXPECT_TRUE(absl::StrContains(login->body, R"("role":"admin")"));

  // Someone registers the operator's address first: create-admin does not
  // hand them the store; only --promote-existing does, saying so.
  const std::string squatter =
      R"({"email":"owner@example.com","password":"the squatter's password"})";
  auto registered = c.Post("/api/v1/auth/register", squatter, "application/json");
  ASSERT_TRUE(registered);
  ASSERT_EQ(registered->status, 202) << registered->body;
  EXPECT_EQ(RunServer({"create-admin", "--email", "owner@example.com", "--database", db}, &out), 1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "already exists")) << out;
  auto as_squatter = c.Post("/api/v1/auth/login", squatter, "application/json");
  ASSERT_TRUE(as_squatter);
  EXPECT_EQ(as_squatter->status, 200) << as_squatter->body;
  EXPECT_TRUE(absl::StrContains(as_squatter->body, R"("role":"customer")")) << as_squatter->body;
  EXPECT_EQ(RunServer({"create-admin", "--email", "nobody@example.com", "--promote-existing",
                       "--database", db},
                      &out),
            1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "no account")) << out;
  // Not while the address is unconfirmed...
  EXPECT_EQ(RunServer({"create-admin", "--email", "owner@example.com", "--promote-existing",
                       "--database", db},
                      &out),
            1)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "has not confirmed")) << out;
  // ...and once its owner followed the welcome mail's link (the file mailer's .eml).
  std::string token;
  for (int i = 0; i < 100 && token.empty(); ++i) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(mail_dir, ec)) {
      std::ifstream in(entry.path());
      std::string mail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      mail = std::regex_replace(mail, std::regex("=\r\n"), "");
      std::smatch m;
      if (absl::StrContains(mail, "To: owner@example.com") &&
          std::regex_search(mail, m, std::regex("#token=3D([A-Za-z0-9_-]+)"))) {
        token = m[1].str();
      }
    }
    if (token.empty()) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_FALSE(token.empty()) << "no welcome mail in " << mail_dir;
  auto verified = c.Post("/api/v1/auth/verify-email", absl::StrCat(R"({"token":")", token, R"("})"),
                         "application/json");
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->status, 200) << verified->body;
  EXPECT_EQ(RunServer({"create-admin", "--email", "owner@example.com", "--promote-existing",
                       "--database", db},
                      &out),
            0)
      << out;
  EXPECT_TRUE(absl::StrContains(out, "promoting the existing account owner@example.com")) << out;
  EXPECT_TRUE(absl::StrContains(out, "is now an admin")) << out;
  auto promoted = c.Post("/api/v1/auth/login", squatter, "application/json");
  ASSERT_TRUE(promoted);
  EXPECT_TRUE(absl::StrContains(promoted->body, R"("role":"admin")")) << promoted->body;
  EXPECT_EQ(RunServer({"serve", "--promote-existing"}, &out), 2);
  auto list = c.Get("/api/v1/products?limit=100");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  auto index = c.Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  ::kill(server.pid, SIGTERM);
  EXPECT_EQ(Wait(server, milliseconds(10000), &out), 0) << out;
}
#endif

TEST_F(ServerBinaryTest, BusyPortGracefulStopAndAccessLog) {
  const int port = FreePort();
  const std::string log = (dir_ / "access.log").string();
  Process a = Start({"serve", "--database=memory:", "--listen", absl::StrCat("127.0.0.1:", port),
                     "--metrics-listen", "127.0.0.1:0", "--access-log", log, "--static-dir",
                     WATCHSTORE_SOURCE_DIR "/frontend"});
  ASSERT_TRUE(WaitHealthy(port, milliseconds(10000)));

  std::string out;
  Process b = Start({"serve", "--database=memory:", "--listen", absl::StrCat("127.0.0.1:", port),
                     "--metrics-listen", "off", "--access-log", "off"});
  EXPECT_EQ(Wait(b, milliseconds(10000), &out), 1);
  EXPECT_TRUE(absl::StrContains(out, "already in use")) << out;

  httplib::Client c("127.0.0.1", port);
  const std::string secret = "zz-secret-token-value-that-must-not-be-logged-000000000";
  auto r = c.Get("/api/v1/auth/me?token=zz-query-secret",
                 {{"Authorization", absl::StrCat("Bearer ", secret)},
                  {"Cookie", "ws_session=zz-cookie-secret"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  ASSERT_EQ(c.Post("/api/v1/auth/register",
                   R"({"email":"zz-body-secret@example.com","password":"x"})", "application/json")
                ->status,
            400);

  const auto start = std::chrono::steady_clock::now();
  ::kill(a.pid, SIGTERM);
  EXPECT_EQ(Wait(a, milliseconds(10000), &out), 0) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
  EXPECT_TRUE(absl::StrContains(out, R"("event":"listening")")) << out;
  EXPECT_TRUE(absl::StrContains(out, R"("event":"stopped")")) << out;

  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_FALSE(absl::StrContains(text, "zz-")) << text;
  EXPECT_TRUE(absl::StrContains(text, R"("route":"/api/v1/auth/me","status":401)")) << text;
  EXPECT_TRUE(absl::StrContains(text, R"("route":"/api/v1/auth/register","status":400)")) << text;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, R"({"time":")")) << line;
    EXPECT_TRUE(absl::StrContains(line, R"("peer":"127.0.0.1")")) << line;
    EXPECT_TRUE(absl::StrContains(line, R"("client":"127.0.0.1")")) << line;
    EXPECT_TRUE(absl::StrContains(line, R"("duration_ms":)")) << line;
  }
}

// Against the suite's PostgreSQL and Redis (scripts/test.sh starts them and
// exports their URLs): migrate, seed-demo, serve, ready, metrics.
TEST_F(ServerBinaryTest, PostgresAndRedis) {
  const char* pg = std::getenv("WATCHSTORE_TEST_POSTGRES_URL");
  const char* redis = std::getenv("WATCHSTORE_TEST_REDIS_URL");
  if (pg == nullptr || redis == nullptr || !*pg || !*redis) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << "WATCHSTORE_TEST_POSTGRES_URL and WATCHSTORE_TEST_REDIS_URL must be set under CI";
    }
    GTEST_SKIP() << "WATCHSTORE_TEST_POSTGRES_URL / WATCHSTORE_TEST_REDIS_URL not set";
  }
  std::string out;
  ASSERT_EQ(RunServer({"migrate", "--database", pg}, &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "migrated postgres")) << out;
  EXPECT_FALSE(absl::StrContains(out, "watchstore-test"))
      << "the password must not be printed: " << out;
  ASSERT_EQ(RunServer({"seed-demo", "--database", pg}, &out), 0) << out;
  const int port = FreePort();
  const int ops_port = FreePort();
  Process server = Start({"serve", "--database", pg, "--redis", redis, "--listen",
                          absl::StrCat("127.0.0.1:", port), "--metrics-listen",
                          absl::StrCat("127.0.0.1:", ops_port), "--access-log", "off",
                          "--static-dir", WATCHSTORE_SOURCE_DIR "/frontend"});
  ASSERT_TRUE(WaitHealthy(port, milliseconds(15000)));
  httplib::Client c("127.0.0.1", port);
  auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, R"({"storage":"ok","cache":"ok"})");
  auto list = c.Get("/api/v1/products?limit=5");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_TRUE(absl::StrContains(list->body, R"("items":[{)")) << list->body;
  httplib::Client ops("127.0.0.1", ops_port);
  auto metrics = ops.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(absl::StrContains(metrics->body, "watchstore_db_pool_size")) << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body, R"(watchstore_cache_hits_total{cache="tiered"})"));
  EXPECT_TRUE(absl::StrContains(metrics->body, R"(watchstore_storage_info{kind="postgres"} 1)"));
  ::kill(server.pid, SIGTERM);
  EXPECT_EQ(Wait(server, milliseconds(10000), &out), 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "database=postgres 127.0.0.1:")) << out;
  EXPECT_FALSE(absl::StrContains(out, "watchstore-test")) << out;
}

#if WATCHSTORE_TEST_PRIVATE_POSTGRES
// The value of the sample `name{labels}` (or `name`) in a /metrics page; -1 if absent.
int64_t Sample(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, series + " ")) continue;
    int64_t v = -1;
    if (absl::SimpleAtoi(line.substr(series.size() + 1), &v)) return v;
  }
  return -1;
}

// --database-replica: catalog reads go to a real streaming replica (of a
// private cluster), /metrics shows it, and a stopped replica costs no
// failed request.
TEST_F(ServerBinaryTest, PostgresReadReplica) {
  if (!watchstore::testing::PostgresUrlFromEnv()) {
    if (watchstore::testing::InCi()) FAIL() << "WATCHSTORE_TEST_POSTGRES_URL must be set under CI";
    GTEST_SKIP() << "WATCHSTORE_TEST_POSTGRES_URL not set";
  }
  watchstore::testing::PrivatePostgres cluster;
  ASSERT_TRUE(cluster.Start());
  std::string out;
  ASSERT_EQ(RunServer({"migrate", "--database", cluster.url()}, &out), 0) << out;
  ASSERT_EQ(RunServer({"seed-demo", "--database", cluster.url()}, &out), 0) << out;
  ASSERT_TRUE(cluster.StartReplica());
  const std::string replica_name = cluster.replica_url().substr(
      cluster.replica_url().find('@') + 1,
      cluster.replica_url().rfind('/') - cluster.replica_url().find('@') - 1);

  const int port = FreePort();
  const int ops_port = FreePort();
  Process server =
      Start({"serve", "--database", cluster.url(), "--listen", absl::StrCat("127.0.0.1:", port),
             "--metrics-listen", absl::StrCat("127.0.0.1:", ops_port), "--access-log", "off",
             "--static-dir", WATCHSTORE_SOURCE_DIR "/frontend"},
            {absl::StrCat("WATCHSTORE_DATABASE_REPLICA=", cluster.replica_url())});
  ASSERT_TRUE(WaitHealthy(port, milliseconds(15000)));
  httplib::Client c("127.0.0.1", port);
  httplib::Client ops("127.0.0.1", ops_port);
  const std::string in_rotation =
      absl::StrCat(R"(watchstore_db_replica_in_rotation{replica=")", replica_name, R"("})");
  auto metric = [&](const std::string& series) {
    auto m = ops.Get("/metrics");
    return m && m->status == 200 ? Sample(m->body, series) : -2;
  };
  const auto until = std::chrono::steady_clock::now() + milliseconds(15000);
  while (metric(in_rotation) != 1 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_EQ(metric(in_rotation), 1) << "the replica never entered the rotation";

  // Anonymous catalog reads (cache misses) are served by the replica.
  auto list = c.Get("/api/v1/products?limit=50");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  std::vector<std::string> ids;
  static const std::regex kId(R"re(\{"id":(\d+),"slug")re");  // a product, not a variant
  for (std::sregex_iterator it(list->body.begin(), list->body.end(), kId), end; it != end; ++it) {
    ids.push_back((*it)[1]);
  }
  ASSERT_GE(ids.size(), 10u) << list->body;
  EXPECT_GE(metric("watchstore_db_replica_reads_total"), 1);
  const int64_t fallbacks_before = metric("watchstore_db_replica_fallbacks_total");
  EXPECT_EQ(fallbacks_before, 0);

  // The replica stops: every request still succeeds (reads fall back to the
  // primary), and it leaves the rotation.
  ASSERT_TRUE(cluster.StopReplica());
  for (const std::string& id : ids) {
    auto p = c.Get(absl::StrCat("/api/v1/products/", id).c_str());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->status, 200) << id << ": " << p->body;
  }
  EXPECT_EQ(metric(in_rotation), 0);
  EXPECT_GE(metric("watchstore_db_replica_primary_reads_total") +
                metric("watchstore_db_replica_fallbacks_total"),
            1);
  ::kill(server.pid, SIGTERM);
  EXPECT_EQ(Wait(server, milliseconds(10000), &out), 0) << out;
  EXPECT_FALSE(absl::StrContains(out, "watchstore-test")) << "a password was printed: " << out;
}
#endif

}  // namespace
