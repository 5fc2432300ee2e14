// watchstore-server's flags and environment variables.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "config.h"
#include "gtest/gtest.h"

namespace watchstore::http {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

absl::StatusOr<ServerConfig> Parse(std::vector<std::string> args,
                                   std::map<std::string, std::string> env = {}) {
  return ParseServerConfig(args, Env(std::move(env)));
}

TEST(ConfigTest, Defaults) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->command, Command::kServe);
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->database_url, "./var/watchstore.db");
  EXPECT_EQ(c->static_dir, "./frontend");
  EXPECT_TRUE(c->redis_url.empty());
  EXPECT_FALSE(c->insecure_cookies);
  EXPECT_FALSE(c->trust_tls_proxy);
  EXPECT_EQ(c->threads, 256);
  EXPECT_EQ(c->max_body_bytes, 64u << 10);
}

TEST(ConfigTest, EnvironmentThenFlags) {
  auto c = Parse({"serve", "--listen", "0.0.0.0:9000", "--threads=64"},
                 {{"WATCHSTORE_LISTEN", "127.0.0.1:7000"},
                  {"WATCHSTORE_THREADS", "8"},
                  {"WATCHSTORE_DATABASE_URL", "postgres://u:p@db:5432/ws"},
                  {"WATCHSTORE_REDIS_URL", "redis://cache:6379/0"},
                  {"WATCHSTORE_INSECURE_COOKIES", "1"},
                  {"WATCHSTORE_TRUST_TLS_PROXY", "true"},
                  {"WATCHSTORE_MAX_BODY_BYTES", "131072"},
                  {"WATCHSTORE_KEEP_ALIVE_TIMEOUT", "2s"},
                  {"WATCHSTORE_STATIC_DIR", "/srv/front"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen_host, "0.0.0.0");
  EXPECT_EQ(c->listen_port, 9000);
  EXPECT_EQ(c->threads, 64);
  EXPECT_EQ(c->database_url, "postgres://u:p@db:5432/ws");
  EXPECT_EQ(c->redis_url, "redis://cache:6379/0");
  EXPECT_TRUE(c->insecure_cookies);
  EXPECT_TRUE(c->trust_tls_proxy);
  EXPECT_EQ(c->max_body_bytes, 131072u);
  EXPECT_EQ(c->keep_alive_timeout, absl::Seconds(2));
  EXPECT_EQ(c->static_dir, "/srv/front");
  EXPECT_TRUE(c->static_dir_explicit);
  auto off = Parse({"--insecure-cookies=false"}, {{"WATCHSTORE_INSECURE_COOKIES", "1"}});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->insecure_cookies);
  auto v6 = Parse({"--listen=[::1]:8081"});
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->listen_host, "::1");
  EXPECT_EQ(v6->listen_port, 8081);
}

TEST(ConfigTest, BadValuesAreClearErrors) {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string mention;
  } cases[] = {
      {{"--threads=0"}, {}, "--threads"},
      {{"--threads=lots"}, {}, "--threads"},
      {{}, {{"WATCHSTORE_THREADS", "-4"}}, "WATCHSTORE_THREADS"},
      {{"--listen=8080"}, {}, "--listen"},
      {{"--listen=localhost:99999"}, {}, "--listen"},
      {{"--listen=::1:80"}, {}, "--listen"},
      {{}, {{"WATCHSTORE_LISTEN", "nowhere"}}, "WATCHSTORE_LISTEN"},
      {{"--read-timeout=soon"}, {}, "--read-timeout"},
      {{"--max-body-bytes=10"}, {}, "--max-body-bytes"},
      {{}, {{"WATCHSTORE_INSECURE_COOKIES", "sometimes"}}, "WATCHSTORE_INSECURE_COOKIES"},
      {{"--redis=http://cache"}, {}, "--redis"},
      {{"--frobnicate"}, {}, "--frobnicate"},
      {{"launch"}, {}, "launch"},
      {{"serve", "migrate"}, {}, "migrate"},
      {{"--listen"}, {}, "--listen"},
      {{"create-admin"}, {}, "--email"},
      {{"create-admin", "--email", "a@b.co", "--password=hunter22"}, {}, "never"},
      {{"--header-timeout=60s", "--request-timeout=30s"}, {}, "--header-timeout"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.args, c.env);
    ASSERT_FALSE(r.ok()) << c.mention;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(r.status().message(), c.mention)) << r.status();
  }
  // A Redis URL may hold a password: never echoed.
  auto secret = Parse({"--redis=rediss://:hunter22@cache"});
  ASSERT_FALSE(secret.ok());
  EXPECT_FALSE(absl::StrContains(secret.status().message(), "hunter22"));
}

TEST(ConfigTest, Commands) {
  EXPECT_EQ(Parse({"migrate"})->command, Command::kMigrate);
  EXPECT_EQ(Parse({"seed-demo"})->command, Command::kSeedDemo);
  EXPECT_FALSE(Parse({"seed-demo"})->seed_force);
  EXPECT_TRUE(Parse({"seed-demo", "--force"})->seed_force);
  EXPECT_EQ(Parse({"create-admin", "--email=root@example.com"})->admin_email, "root@example.com");
  EXPECT_EQ(Parse({"--help"})->command, Command::kHelp);
  EXPECT_EQ(Parse({"serve", "-h"})->command, Command::kHelp);
  EXPECT_TRUE(Parse({"--bench-hello"})->bench_hello);
  const std::string usage = UsageText();
  for (const char* s : {"WATCHSTORE_LISTEN", "WATCHSTORE_DATABASE_URL", "WATCHSTORE_REDIS_URL",
                        "WATCHSTORE_STATIC_DIR", "WATCHSTORE_THREADS", "WATCHSTORE_INSECURE_COOKIES",
                        "WATCHSTORE_TRUST_TLS_PROXY", "WATCHSTORE_ADMIN_PASSWORD", "seed-demo",
                        "create-admin", "migrate"}) {
    EXPECT_TRUE(absl::StrContains(usage, s)) << s;
  }
}

}  // namespace
}  // namespace watchstore::http
