// Which storage and cache a configuration names, opened and wired into a
// Store: SQLite (a file path, the default), PostgreSQL (postgres://...) or
// memory (memory:); an in-process cache, or memory L1 + Redis L2 when a Redis
// URL is set.
#ifndef WATCHSTORE_BINDINGS_HTTP_BACKENDS_H_
#define WATCHSTORE_BINDINGS_HTTP_BACKENDS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config.h"
#include "watchstore/clock.h"
#include "watchstore/mail.h"
#include "watchstore/payments.h"
#include "watchstore/storage.h"
#include "watchstore/store.h"

namespace watchstore::http {

enum class DatabaseKind { kSqlite, kPostgres, kMemory };
DatabaseKind DatabaseKindOf(const std::string& url);

// Opens storage and cache and the store over them. SQLite is migrated first
// (the embedded default starts with one command); PostgreSQL only has its
// schema version checked, read-only: FailedPrecondition "database not
// migrated: run `watchstore-server migrate`" until MigrateDatabase ran.
// `clock` may be null (the real clock).
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const ServerConfig& config,
                                                 const Clock* clock = nullptr);
// Applies pending migrations to the configured database.
absl::Status MigrateDatabase(const ServerConfig& config);

// The SMTP mailer for --smtp-url, else a file mailer writing to --mail-dir.
absl::StatusOr<std::unique_ptr<Mailer>> OpenMailer(const ServerConfig& config);
// The payment provider --payments names, and what the storefront needs of it.
struct PaymentSetup {
  // Stripe (watchstore::stripe) from the WATCHSTORE_STRIPE_* variables; null
  // for manual: the store's default provider (the manual one).
  std::unique_ptr<PaymentProvider> provider;
  // Stripe's publishable key for Stripe.js (public); empty for manual.
  std::string publishable_key;
};
// InvalidArgument naming the variable for a bad WATCHSTORE_STRIPE_API_BASE;
// FailedPrecondition when the server was built without the Stripe adapter.
absl::StatusOr<PaymentSetup> OpenPaymentProvider(const ServerConfig& config);
// Prometheus samples about the storage's resources (PostgreSQL pool usage).
void RenderStorageMetrics(Storage& storage, std::string* out);
// watchstore_outbox_{pending,dead,oldest_pending_age_seconds} and
// watchstore_outbox_send_failures_total.
void RenderOutboxMetrics(Storage& storage, const OutboxWorker& worker, absl::Time now,
                         std::string* out);
// `watchstore-server outbox list|retry ID|retry-all`: dead letters.
int RunOutboxCommand(const ServerConfig& config);
// "sqlite ./var/watchstore.db", "postgres db.internal:5432/watchstore": no
// credentials, for logs.
std::string DescribeDatabase(const std::string& url);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_BACKENDS_H_
