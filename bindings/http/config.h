// watchstore-server's configuration: subcommand, flags and environment
// variables (a flag wins over its variable, which wins over the default).
// Every value is validated at start; a bad one is an error naming it.
#ifndef WATCHSTORE_BINDINGS_HTTP_CONFIG_H_
#define WATCHSTORE_BINDINGS_HTTP_CONFIG_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace watchstore::http {

enum class Command { kServe, kMigrate, kSeedDemo, kCreateAdmin, kOutbox, kHelp, kVersion };

// Who takes the payments: staff recording transfers by hand, or Stripe.
enum class PaymentsKind { kManual, kStripe };

struct ServerConfig {
  Command command = Command::kServe;

  // --- Where ---
  std::string listen_host = "127.0.0.1";  // WATCHSTORE_LISTEN / --listen host:port
  int listen_port = 8080;
  // An SQLite file path (default), "postgres://..." / "postgresql://...", or
  // "memory:" (nothing durable; for trials and tests).
  std::string database_url = "./var/watchstore.db";
  // Streaming replicas of a PostgreSQL database for catalog reads
  // (NewPostgresReplicaRouter): --database-replica URL, repeatable, or
  // WATCHSTORE_DATABASE_REPLICA (comma-separated); flags replace the variable.
  std::vector<std::string> database_replicas;
  bool database_replicas_from_flags = false;
  absl::Duration replica_max_lag = absl::Seconds(2);  // PostgresReplicaOptions::max_lag
  // After a session's write, its catalog reads go to the primary this long
  // (SessionWritesOptions::window); above the replicas' worst lag.
  absl::Duration read_your_writes_window = absl::Seconds(5);
  // The operations listener (/metrics, /healthz, /readyz); metrics_listen_port
  // -1: none ("off").
  std::string metrics_listen_host = "127.0.0.1";  // WATCHSTORE_METRICS_LISTEN
  int metrics_listen_port = 9090;
  std::string redis_url;                                         // empty: in-process cache only
  absl::Duration redis_request_budget = absl::Milliseconds(10);  // RedisOptions::request_budget
  absl::Duration cache_max_stale = absl::Seconds(10);            // TieredCacheOptions::max_stale
  // The secret sealing cached sessions (AccountsOptions::session_seal_key),
  // from WATCHSTORE_SESSION_SEAL_KEY (>= 32 characters) only, never a flag.
  // Empty: random per process.
  std::string session_seal_key;
  // Payments (PaymentOptions).
  absl::Duration card_reservation = absl::Minutes(30);
  absl::Duration manual_reservation = absl::Hours(72);
  int max_unpaid_per_buyer = 3;
  int max_unpaid_per_address = 10;
  absl::Duration payment_sweep_interval = absl::Minutes(1);
  std::string static_dir = "./frontend";  // the storefront
  bool static_dir_explicit = false;       // set by flag or variable (must exist then)

  // --- Capacity and limits ---
  int threads = 256;      // workers = connections served at once
  int max_queued = 1024;  // accepted connections waiting for a worker
  int db_pool_size = 16;  // PostgreSQL connections
  // PostgresOptions::facet_exact_limit (primary and replicas).
  int64_t facet_exact_limit = 10'000;
  size_t max_body_bytes = 64 << 10;
  size_t max_header_bytes = 32 << 10;
  int max_headers = 100;
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);
  absl::Duration keep_alive_timeout = absl::Seconds(75);  // > the ALB's 60 s
  absl::Duration header_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(15);
  absl::Duration response_timeout = absl::Seconds(30);
  int keep_alive_max_requests = 100000;
  int max_connections = 10000;
  int max_connections_per_address = 64;  // 0: no cap

  // --- Clients behind proxies ---
  std::vector<std::string> trusted_proxies;  // CIDRs; empty: trust no one
  std::string client_address_header = "X-Forwarded-For";
  int trusted_hops = 1;

  // --- Registration limits (per client address, and in total) ---
  std::string register_rate_per_address = "10/1h";
  std::string register_rate_total = "10/1s";

  // --- Behaviour ---
  bool insecure_cookies = false;  // cookies without __Host- and Secure (plain http dev)
  bool trust_tls_proxy = false;   // reached over TLS via a proxy: send HSTS
  std::string access_log = "stderr";
  bool bench_hello = false;  // serve GET /bench/hello for load tests

  // --- E-mail (see docs/DEPLOY.md "E-mail") ---
  std::string smtp_url;  // smtp:// or smtps://; empty: write messages to mail_dir
  std::string smtp_username;
  std::string smtp_password;  // WATCHSTORE_SMTP_PASSWORD only, never a flag
  bool smtp_require_tls = false;
  std::string mail_dir = "./var/mail";
  std::string mail_from = "no-reply@watchstore.invalid";
  std::string store_name = "Watchstore";
  std::string public_url = "http://127.0.0.1:8080";  // links in e-mails
  bool require_verified_email = false;
  absl::Duration outbox_retry_base = absl::Seconds(5);

  // --- Payment provider (see docs/DEPLOY.md "Payments: Stripe") ---
  PaymentsKind payments = PaymentsKind::kManual;  // --payments manual|stripe
  // From the environment only, never a flag; never logged.
  std::string stripe_secret_key;  // WATCHSTORE_STRIPE_SECRET_KEY: sk_... or rk_...
  // WATCHSTORE_STRIPE_WEBHOOK_SECRET: whsec_..., comma-separated (old and new
  // during a rotation).
  std::vector<std::string> stripe_webhook_secrets;
  // WATCHSTORE_STRIPE_PUBLISHABLE_KEY: pk_..., public (the storefront's
  // Stripe.js uses it); from the environment beside the other two.
  std::string stripe_publishable_key;
  // WATCHSTORE_STRIPE_API_BASE, for tests against a stand-in: https://, or
  // http:// on loopback. Empty: Stripe's own.
  std::string stripe_api_base;

  // --- create-admin ---
  std::string admin_email;
  bool promote_existing = false;  // make an existing account an admin
  // --- outbox: "list", "retry ID" or "retry-all" ---
  std::vector<std::string> outbox_args;
  // --- seed-demo ---
  bool seed_force = false;  // seed even when the catalog has products
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The oldest a read from a --database-replica can be with these settings
// (PostgresReplicaOptions::MaxStaleness() of the options the server opens
// its replicas with; defined in backends.cc). Zero without PostgreSQL.
absl::Duration ReplicaMaxStaleness(const ServerConfig& config);

// `args` excludes the program name. InvalidArgument naming the bad flag or
// variable and what it accepts.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const EnvLookup& env);
EnvLookup ProcessEnv();

std::string UsageText();

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_CONFIG_H_
