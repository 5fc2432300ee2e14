#include "backends.h"

#include "watchstore/smtp_mailer.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "metrics.h"
#include "watchstore/cache.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

#if WATCHSTORE_HTTP_WITH_SQLITE
#include "watchstore/sqlite_storage.h"
#endif
#if WATCHSTORE_HTTP_WITH_POSTGRES
#include "watchstore/postgres_storage.h"
#endif
#if WATCHSTORE_HTTP_WITH_STRIPE
#include "watchstore/stripe_provider.h"
#endif
#if WATCHSTORE_HTTP_WITH_REDIS
#include "watchstore/redis_cache.h"
#include "watchstore/redis_login_limiter.h"
#include "watchstore/tiered_cache.h"
#endif

namespace watchstore::http {
namespace {

[[maybe_unused]] absl::Status NotBuiltIn(absl::string_view what, absl::string_view option) {
  return absl::FailedPreconditionError(absl::StrCat(
      what, " support is not built into this server (configure with -D", option, "=ON)"));
}

#if WATCHSTORE_HTTP_WITH_SQLITE
SqliteOptions SqliteOptionsFor(const ServerConfig& config) {
  SqliteOptions o;
  o.path = absl::StartsWith(config.database_url, "sqlite:") ? config.database_url.substr(7)
                                                            : config.database_url;
  return o;
}

// The default database lives in ./var: create that directory (one level,
// never a whole path) so a fresh checkout runs.
absl::Status EnsureParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return absl::OkStatus();
  const std::string dir = path.substr(0, slash);
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return absl::OkStatus();
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the database directory ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}
#endif

#if WATCHSTORE_HTTP_WITH_POSTGRES
// Only `migrate` changes the schema (MigratePostgres); every other
// subcommand checks read-only that it is current, so the server's role needs
// no DDL rights.
PostgresOptions PostgresOptionsFor(const ServerConfig& config) {
  PostgresOptions o;
  o.url = config.database_url;
  o.pool_size = config.db_pool_size;
  o.facet_exact_limit = config.facet_exact_limit;
  o.apply_migrations = false;
  return o;
}
#endif

#if WATCHSTORE_HTTP_WITH_POSTGRES
PostgresReplicaOptions ReplicaOptionsFor(const ServerConfig& config) {
  PostgresReplicaOptions o;
  o.urls = config.database_replicas;
  o.max_lag = config.replica_max_lag;
  o.poll_interval = absl::Milliseconds(500);
  o.pool_size = config.db_pool_size;
  o.facet_exact_limit = config.facet_exact_limit;
  return o;
}
#endif

}  // namespace

absl::Duration ReplicaMaxStaleness(const ServerConfig& config) {
#if WATCHSTORE_HTTP_WITH_POSTGRES
  return ReplicaOptionsFor(config).MaxStaleness();
#else
  (void)config;
  return absl::ZeroDuration();  // no replicas without PostgreSQL
#endif
}

namespace {

absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(const ServerConfig& config) {
  switch (DatabaseKindOf(config.database_url)) {
    case DatabaseKind::kMemory:
      return NewMemoryStorage();
    case DatabaseKind::kPostgres:
#if WATCHSTORE_HTTP_WITH_POSTGRES
    {
      const PostgresOptions primary_options = PostgresOptionsFor(config);
      WS_ASSIGN_OR_RETURN(std::unique_ptr<Storage> primary, NewPostgresStorage(primary_options));
      if (config.database_replicas.empty()) return primary;
      return NewPostgresReplicaRouter(std::move(primary), primary_options,
                                      ReplicaOptionsFor(config));
    }
#else
      return NotBuiltIn("PostgreSQL", "WATCHSTORE_WITH_POSTGRES");
#endif
    case DatabaseKind::kSqlite:
#if WATCHSTORE_HTTP_WITH_SQLITE
    {
      const SqliteOptions o = SqliteOptionsFor(config);
      WS_RETURN_IF_ERROR(EnsureParentDirectory(o.path));
      return NewSqliteStorage(o);
    }
#else
      return NotBuiltIn("SQLite", "WATCHSTORE_WITH_SQLITE");
#endif
  }
  return absl::InternalError("unknown database kind");
}

#if WATCHSTORE_HTTP_WITH_REDIS
RedisOptions RedisOptionsFor(const ServerConfig& config) {
  RedisOptions redis;
  redis.url = config.redis_url;
  redis.request_budget = config.redis_request_budget;
  redis.breaker_slow_call = config.redis_request_budget;
  return redis;
}
#endif

absl::StatusOr<std::unique_ptr<Cache>> OpenCache(const ServerConfig& config, const Clock* clock) {
  MemoryCacheOptions l1;
  l1.clock = clock;
  if (config.redis_url.empty()) return NewMemoryCache(l1);
#if WATCHSTORE_HTTP_WITH_REDIS
  const RedisOptions redis = RedisOptionsFor(config);
  TieredCacheOptions tiered;
  tiered.clock = clock;
  tiered.max_stale = config.cache_max_stale;
  return NewTieredRedisCache(redis, l1, tiered);
#else
  (void)clock;
  return NotBuiltIn("Redis", "WATCHSTORE_WITH_REDIS");
#endif
}

}  // namespace

DatabaseKind DatabaseKindOf(const std::string& url) {
  if (absl::StartsWith(url, "postgres://") || absl::StartsWith(url, "postgresql://")) {
    return DatabaseKind::kPostgres;
  }
  if (url == "memory:") return DatabaseKind::kMemory;
  return DatabaseKind::kSqlite;
}

std::string DescribeDatabase(const std::string& url) {
  switch (DatabaseKindOf(url)) {
    case DatabaseKind::kMemory:
      return "memory (nothing is kept after exit)";
    case DatabaseKind::kSqlite:
      return absl::StrCat("sqlite ", url);
    case DatabaseKind::kPostgres: {
      // postgres://user:pass@host:port/db?params -> postgres host:port/db
      std::string rest = url.substr(url.find("://") + 3);
      if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
      if (const size_t q = rest.find('?'); q != std::string::npos) rest.resize(q);
      return absl::StrCat("postgres ", rest);
    }
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const ServerConfig& config, const Clock* clock) {
  WS_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage, OpenStorage(config));
  WS_ASSIGN_OR_RETURN(std::unique_ptr<Cache> cache, OpenCache(config, clock));
  StoreOptions options;
  options.clock = clock;
  options.accounts.session_seal_key = config.session_seal_key;
#if WATCHSTORE_HTTP_WITH_REDIS
  // With Redis, every instance counts login attempts together.
  if (!config.redis_url.empty()) {
    WS_ASSIGN_OR_RETURN(options.login_limiter, NewRedisLoginLimiter(RedisOptionsFor(config)));
  }
#endif
  options.mail.store_name = config.store_name;
  options.mail.public_base_url = config.public_url;
  options.mail.from_address = config.mail_from;
  options.mail.require_verified_email_for_checkout = config.require_verified_email;
  options.payments.card_reservation = config.card_reservation;
  options.payments.manual_reservation = config.manual_reservation;
  options.payments.max_unpaid_per_buyer = config.max_unpaid_per_buyer;
  options.payments.max_unpaid_per_address = config.max_unpaid_per_address;
  WS_ASSIGN_OR_RETURN(PaymentSetup payments, OpenPaymentProvider(config));
  options.payments.provider = std::move(payments.provider);  // null: manual
  return Store::Open(options, std::move(storage), std::move(cache));
}

absl::StatusOr<std::unique_ptr<Mailer>> OpenMailer(const ServerConfig& config) {
  if (config.smtp_url.empty()) return NewFileMailer(config.mail_dir);
  SmtpOptions o;
  o.url = config.smtp_url;
  o.username = config.smtp_username;
  o.password = config.smtp_password;
  o.require_tls = config.smtp_require_tls;
  return NewSmtpMailer(o);
}

absl::StatusOr<PaymentSetup> OpenPaymentProvider(const ServerConfig& config) {
  PaymentSetup setup;
  if (config.payments == PaymentsKind::kManual) return setup;
#if WATCHSTORE_HTTP_WITH_STRIPE
  StripeOptions o;
  o.secret_key = config.stripe_secret_key;
  o.webhook_secrets = config.stripe_webhook_secrets;
  if (!config.stripe_api_base.empty()) o.api_base = config.stripe_api_base;
  absl::StatusOr<std::unique_ptr<PaymentProvider>> provider = NewStripePaymentProvider(o);
  if (!provider.ok()) {
    // The adapter names its option; the operator sets a variable.
    const std::string field = FieldOf(provider.status());
    const char* variable = field == "stripe_api_base"         ? "WATCHSTORE_STRIPE_API_BASE"
                           : field == "stripe_webhook_secret" ? "WATCHSTORE_STRIPE_WEBHOOK_SECRET"
                           : field == "stripe_secret_key"     ? "WATCHSTORE_STRIPE_SECRET_KEY"
                                                              : "--payments=stripe";
    return absl::Status(provider.status().code(),
                        absl::StrCat(variable, ": ", provider.status().message()));
  }
  setup.provider = *std::move(provider);
  setup.publishable_key = config.stripe_publishable_key;
  return setup;
#else
  return NotBuiltIn("Stripe", "WATCHSTORE_WITH_STRIPE");
#endif
}

absl::Status MigrateDatabase(const ServerConfig& config) {
  switch (DatabaseKindOf(config.database_url)) {
    case DatabaseKind::kMemory:
      return absl::OkStatus();
    case DatabaseKind::kPostgres:
#if WATCHSTORE_HTTP_WITH_POSTGRES
      return MigratePostgres(PostgresOptionsFor(config));
#else
      return NotBuiltIn("PostgreSQL", "WATCHSTORE_WITH_POSTGRES");
#endif
    case DatabaseKind::kSqlite:
#if WATCHSTORE_HTTP_WITH_SQLITE
    {
      const SqliteOptions o = SqliteOptionsFor(config);
      WS_RETURN_IF_ERROR(EnsureParentDirectory(o.path));
      return MigrateSqlite(o);
    }
#else
      return NotBuiltIn("SQLite", "WATCHSTORE_WITH_SQLITE");
#endif
  }
  return absl::InternalError("unknown database kind");
}

void RenderOutboxMetrics(Storage& storage, const OutboxWorker& worker, absl::Time now,
                         std::string* out) {
  HttpMetrics::AppendSample(out, "watchstore_outbox_send_failures_total", "counter",
                            "E-mail sends that failed in this process (each is retried).",
                            worker.failures());
  auto stats = storage.GetOutboxStats();
  if (!stats.ok()) return;  // the storage is down: /readyz says so
  HttpMetrics::AppendSample(out, "watchstore_outbox_pending", "gauge",
                            "E-mails waiting to be sent (all instances).", stats->pending);
  HttpMetrics::AppendSample(out, "watchstore_outbox_dead", "gauge",
                            "E-mails that gave up (see `watchstore-server outbox list`).",
                            stats->dead);
  const int64_t age = stats->oldest_pending_created_at
                          ? absl::ToInt64Seconds(now - *stats->oldest_pending_created_at)
                          : 0;
  HttpMetrics::AppendSample(out, "watchstore_outbox_oldest_pending_age_seconds", "gauge",
                            "Age of the oldest e-mail waiting (0 when none).", age);
}

int RunOutboxCommand(const ServerConfig& config) {
  auto store = OpenStore(config);
  if (!store.ok()) {
    std::cerr << "watchstore-server: opening the database: " << store.status().message() << "\n";
    return 1;
  }
  Storage& storage = (*store)->storage();
  const std::string& verb = config.outbox_args[0];
  auto dead = storage.ListOutbox(OutboxState::kDead, 1000);
  if (!dead.ok()) {
    std::cerr << "watchstore-server: " << dead.status().message() << "\n";
    return 1;
  }
  if (verb == "list") {
    for (const OutboxMessage& m : *dead) {
      std::cout << m.id << "\t" << m.draft.kind << "\t" << m.draft.recipient << "\t"
                << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", m.draft.created_at, absl::UTCTimeZone())
                << "\tattempts=" << m.attempts << "\t" << m.last_error << "\n";
    }
    std::cout << dead->size() << " dead e-mail(s)\n";
    return 0;
  }
  std::vector<OutboxId> ids;
  if (verb == "retry-all") {
    for (const OutboxMessage& m : *dead) ids.push_back(m.id);
  } else {
    OutboxId id = 0;
    if (!absl::SimpleAtoi(config.outbox_args[1], &id) || id <= 0) {
      std::cerr << "watchstore-server: outbox retry: ID must be a positive integer\n";
      return 2;
    }
    ids.push_back(id);
  }
  for (OutboxId id : ids) {
    if (absl::Status st = storage.RequeueOutbox(id, absl::Now()); !st.ok()) {
      std::cerr << "watchstore-server: outbox retry " << id << ": " << st.message() << "\n";
      return 1;
    }
  }
  std::cout << ids.size() << " e-mail(s) queued again; a running server sends them\n";
  return 0;
}

void RenderStorageMetrics(Storage& storage, std::string* out) {
#if WATCHSTORE_HTTP_WITH_POSTGRES
  if (auto stats = PostgresPoolStatsOf(storage)) {
    HttpMetrics::AppendSample(out, "watchstore_db_pool_size", "gauge",
                              "PostgreSQL connections the pool may open.", stats->size);
    HttpMetrics::AppendSample(out, "watchstore_db_pool_open", "gauge",
                              "PostgreSQL connections open.", stats->open);
    HttpMetrics::AppendSample(out, "watchstore_db_pool_in_use", "gauge",
                              "PostgreSQL connections in use.", stats->in_use);
    HttpMetrics::AppendSample(out, "watchstore_db_pool_reconnects_total", "counter",
                              "PostgreSQL connections reopened after a failure.",
                              stats->reconnects);
  }
#endif
#if WATCHSTORE_HTTP_WITH_POSTGRES
  if (auto replicas = PostgresReplicaStatsOf(storage)) {
    HttpMetrics::AppendSample(out, "watchstore_db_replica_reads_total", "counter",
                              "Catalog reads served by a read replica.", replicas->replica_reads);
    HttpMetrics::AppendSample(out, "watchstore_db_replica_primary_reads_total", "counter",
                              "Catalog reads sent to the primary (read-your-writes, a recent "
                              "product write, or no replica in rotation).",
                              replicas->primary_reads);
    HttpMetrics::AppendSample(out, "watchstore_db_replica_fallbacks_total", "counter",
                              "Replica reads that failed or found nothing and were run again on "
                              "the primary.",
                              replicas->fallbacks);
    // One header per metric, one sample per replica.
    struct PerReplica {
      const char* name;
      const char* type;
      const char* help;
      int64_t (*value)(const PostgresReplicaStats::Replica&);
    };
    static constexpr PerReplica kPerReplica[] = {
        {"watchstore_db_replica_in_rotation", "gauge", "1 while the replica serves reads.",
         [](const PostgresReplicaStats::Replica& r) -> int64_t { return r.in_rotation ? 1 : 0; }},
        {"watchstore_db_replica_lag_milliseconds", "gauge",
         "The replica's lag at its last good check (-1: none yet).",
         [](const PostgresReplicaStats::Replica& r) -> int64_t {
           return r.lag_seconds < 0 ? -1 : static_cast<int64_t>(r.lag_seconds * 1000);
         }},
        {"watchstore_db_replica_removals_total", "counter", "Times the replica left the rotation.",
         [](const PostgresReplicaStats::Replica& r) -> int64_t { return r.removals; }},
    };
    for (const PerReplica& m : kPerReplica) {
      absl::StrAppend(out, "# HELP ", m.name, " ", m.help, "\n# TYPE ", m.name, " ", m.type, "\n");
      for (const auto& r : replicas->replicas) {
        absl::StrAppend(out, m.name, "{replica=\"", r.name, "\"} ", m.value(r), "\n");
      }
    }
  }
#endif
  HttpMetrics::AppendSample(out, "watchstore_storage_info", "gauge", "The storage backend.", 1,
                            absl::StrCat("kind=\"", storage.Kind(), "\""));
}

}  // namespace watchstore::http
