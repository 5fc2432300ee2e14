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
  EXPECT_EQ(c->facet_exact_limit, 10'000);
  // The edge (issue 10): longer than an ALB's 60 s idle timeout, headers in
  // 5 s, /metrics on loopback, nobody trusted, registrations limited.
  EXPECT_EQ(c->keep_alive_timeout, absl::Seconds(75));
  EXPECT_EQ(c->header_timeout, absl::Seconds(5));
  EXPECT_EQ(c->request_timeout, absl::Seconds(15));
  EXPECT_EQ(c->metrics_listen_host, "127.0.0.1");
  EXPECT_EQ(c->metrics_listen_port, 9090);
  EXPECT_TRUE(c->trusted_proxies.empty());
  EXPECT_EQ(c->client_address_header, "X-Forwarded-For");
  EXPECT_EQ(c->trusted_hops, 1);
  EXPECT_EQ(c->max_connections_per_address, 64);
  EXPECT_EQ(c->register_rate_per_address, "10/1h");
  EXPECT_EQ(c->register_rate_total, "10/1s");
  EXPECT_FALSE(c->promote_existing);
}

TEST(ConfigTest, EdgeFlags) {
  auto c = Parse({"--trusted-proxies", "10.0.0.0/16, fd00::/8", "--trusted-hops=2",
                  "--metrics-listen=0.0.0.0:9100", "--max-connections-per-address=0",
                  "--register-rate-total=off"},
                 {{"WATCHSTORE_CLIENT_ADDRESS_HEADER", "CloudFront-Viewer-Address"},
                  {"WATCHSTORE_REGISTER_RATE_PER_ADDRESS", "3/10m"},
                  {"WATCHSTORE_RESPONSE_TIMEOUT", "10s"}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->trusted_proxies, (std::vector<std::string>{"10.0.0.0/16", "fd00::/8"}));
  EXPECT_EQ(c->trusted_hops, 2);
  EXPECT_EQ(c->client_address_header, "CloudFront-Viewer-Address");
  EXPECT_EQ(c->metrics_listen_host, "0.0.0.0");
  EXPECT_EQ(c->metrics_listen_port, 9100);
  EXPECT_EQ(c->max_connections_per_address, 0);
  EXPECT_EQ(c->register_rate_per_address, "3/10m");
  EXPECT_EQ(c->register_rate_total, "off");
  EXPECT_EQ(c->response_timeout, absl::Seconds(10));
  EXPECT_EQ(Parse({"--metrics-listen=off"})->metrics_listen_port, -1);
  EXPECT_TRUE(Parse({"create-admin", "--email=a@b.co", "--promote-existing"})->promote_existing);
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
  auto cache = Parse({"--redis-request-budget=5ms"}, {{"WATCHSTORE_CACHE_MAX_STALE", "0s"}});
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_EQ(cache->redis_request_budget, absl::Milliseconds(5));
  EXPECT_EQ(cache->cache_max_stale, absl::ZeroDuration());
  auto facets = Parse({}, {{"WATCHSTORE_FACET_EXACT_LIMIT", "0"}});
  ASSERT_TRUE(facets.ok()) << facets.status();
  EXPECT_EQ(facets->facet_exact_limit, 0);
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
      {{"--facet-exact-limit=-1"}, {}, "--facet-exact-limit"},
      {{}, {{"WATCHSTORE_THREADS", "-4"}}, "WATCHSTORE_THREADS"},
      {{"--listen=8080"}, {}, "--listen"},
      {{"--listen=localhost:99999"}, {}, "--listen"},
      {{"--listen=::1:80"}, {}, "--listen"},
      {{}, {{"WATCHSTORE_LISTEN", "nowhere"}}, "WATCHSTORE_LISTEN"},
      {{"--read-timeout=soon"}, {}, "--read-timeout"},
      {{"--max-body-bytes=10"}, {}, "--max-body-bytes"},
      {{}, {{"WATCHSTORE_INSECURE_COOKIES", "sometimes"}}, "WATCHSTORE_INSECURE_COOKIES"},
      {{"--redis=http://cache"}, {}, "--redis"},
      {{"--redis-request-budget=0ms"}, {}, "--redis-request-budget"},
      {{"--cache-max-stale=-1s"}, {}, "--cache-max-stale"},
      {{"--frobnicate"}, {}, "--frobnicate"},
      {{"launch"}, {}, "launch"},
      {{"serve", "migrate"}, {}, "migrate"},
      {{"--listen"}, {}, "--listen"},
      {{"create-admin"}, {}, "--email"},
      {{"create-admin", "--email", "a@b.co", "--password=hunter22"}, {}, "never"},
      {{"--header-timeout=60s", "--request-timeout=30s"}, {}, "--header-timeout"},
      {{"--trusted-proxies=10.0.0.0/33"}, {}, "--trusted-proxies"},
      {{}, {{"WATCHSTORE_TRUSTED_PROXIES", "the-alb"}}, "WATCHSTORE_TRUSTED_PROXIES"},
      {{"--client-address-header=X Forwarded"}, {}, "--client-address-header"},
      {{"--trusted-hops=0"}, {}, "--trusted-hops"},
      {{"--metrics-listen=9090"}, {}, "--metrics-listen"},
      {{"--register-rate-per-address=lots"}, {}, "--register-rate-per-address"},
      {{"--register-rate-total=5/0s"}, {}, "--register-rate-total"},
      {{"--max-connections-per-address=-1"}, {}, "--max-connections-per-address"},
      {{"serve", "--promote-existing"}, {}, "--promote-existing"},
      {{"--session-seal-key=00"}, {}, "never"},
      {{}, {{"WATCHSTORE_SESSION_SEAL_KEY", "short"}}, "WATCHSTORE_SESSION_SEAL_KEY"},
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

TEST(ConfigTest, DatabaseReplicas) {
  const std::string pg = "--database=postgres://u:p@db:5432/w";
  auto none = Parse({pg});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->database_replicas.empty());
  EXPECT_EQ(none->replica_max_lag, absl::Seconds(2));
  EXPECT_EQ(none->read_your_writes_window, absl::Seconds(5));

  // The variable: comma-separated.
  auto env = Parse({pg}, {{"WATCHSTORE_DATABASE_REPLICA",
                           "postgres://u:p@r1:5432/w, postgresql://u:p@r2:5432/w"}});
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->database_replicas,
            (std::vector<std::string>{"postgres://u:p@r1:5432/w", "postgresql://u:p@r2:5432/w"}));
  // Flags: repeatable, and they replace the variable's list.
  auto flags =
      Parse({pg, "--database-replica=postgres://u:p@r3/w", "--database-replica",
             "postgres://u:p@r4/w", "--replica-max-lag=1s", "--read-your-writes-window=3s"},
            {{"WATCHSTORE_DATABASE_REPLICA", "postgres://u:p@r1:5432/w"}});
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->database_replicas,
            (std::vector<std::string>{"postgres://u:p@r3/w", "postgres://u:p@r4/w"}));
  EXPECT_EQ(flags->replica_max_lag, absl::Seconds(1));
  EXPECT_EQ(flags->read_your_writes_window, absl::Seconds(3));

  // Refused: not a PostgreSQL URL (and the password is not echoed), a
  // replica of SQLite, a window that a lagging replica could outlast.
  auto bad = Parse({pg, "--database-replica=mysql://u:secret@r/w"});
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(absl::StrContains(bad.status().message(), "secret"));
  EXPECT_FALSE(Parse({"--database-replica=postgres://u:p@r/w"}).ok());  // SQLite primary
  // The window covers the oldest a replica read can be: max lag + 1s.
  EXPECT_TRUE(Parse({pg, "--database-replica=postgres://u:p@r/w", "--replica-max-lag=4s"}).ok());
  EXPECT_FALSE(
      Parse({pg, "--database-replica=postgres://u:p@r/w", "--replica-max-lag=4500ms"}).ok());
  EXPECT_FALSE(Parse({pg, "--database-replica=postgres://u:p@r/w", "--replica-max-lag=0s"}).ok());
}

TEST(ConfigTest, SessionSealKeyComesFromTheEnvironment) {
  const std::string key = "0123456789abcdefghijklmnopqrstuvWXYZ";
  auto c = Parse({}, {{"WATCHSTORE_SESSION_SEAL_KEY", key}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->session_seal_key, key);
  EXPECT_TRUE(Parse({})->session_seal_key.empty());
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
  for (const char* s :
       {"WATCHSTORE_LISTEN", "WATCHSTORE_DATABASE_URL", "WATCHSTORE_REDIS_URL",
        "WATCHSTORE_STATIC_DIR", "WATCHSTORE_THREADS", "WATCHSTORE_INSECURE_COOKIES",
        "WATCHSTORE_TRUST_TLS_PROXY", "WATCHSTORE_ADMIN_PASSWORD", "seed-demo", "create-admin",
        "migrate", "WATCHSTORE_METRICS_LISTEN", "WATCHSTORE_TRUSTED_PROXIES",
        "WATCHSTORE_CLIENT_ADDRESS_HEADER", "WATCHSTORE_TRUSTED_HOPS",
        "WATCHSTORE_MAX_CONNECTIONS_PER_ADDRESS", "WATCHSTORE_REGISTER_RATE_PER_ADDRESS",
        "WATCHSTORE_REGISTER_RATE_TOTAL", "--promote-existing"}) {
    EXPECT_TRUE(absl::StrContains(usage, s)) << s;
  }
}

}  // namespace
}  // namespace watchstore::http
