// Store: the engine. Owns the storage, the cache and the services over them.
//
//   auto store = watchstore::Store::Open(options, watchstore::NewMemoryStorage(),
//                                        *watchstore::NewMemoryCache({}));
//   auto listing = (*store)->catalog().ListProducts({}, "");
#ifndef WATCHSTORE_STORE_H_
#define WATCHSTORE_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "watchstore/accounts.h"
#include "watchstore/cache.h"
#include "watchstore/carts.h"
#include "watchstore/catalog.h"
#include "watchstore/clock.h"
#include "watchstore/login_limiter.h"
#include "watchstore/mail.h"
#include "watchstore/money.h"
#include "watchstore/orders.h"
#include "watchstore/storage.h"

namespace watchstore {

struct StoreOptions {
  // Every price in the store is in this currency.
  Currency currency;
  AccountsOptions accounts;
  CatalogOptions catalog;
  CartOptions carts;
  MailOptions mail;
  PaymentOptions payments;
  // Time source. Not owned; must outlive the store. null: RealClock().
  const Clock* clock = nullptr;
  // Login throttling shared by every instance (e.g. NewRedisLoginLimiter),
  // with AccountsOptions' throttle policy. null: in-process only. While it is
  // Unavailable, logins are counted by the in-process limiter instead.
  std::shared_ptr<LoginLimiter> login_limiter;
};

// Thread-safe: every service may be called from any thread.
class Store {
 public:
  // InvalidArgument for a bad option. Takes ownership of storage and cache.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options,
                                                     std::unique_ptr<Storage> storage,
                                                     std::unique_ptr<Cache> cache);
  virtual ~Store() = default;

  virtual Accounts& accounts() = 0;
  virtual Catalog& catalog() = 0;
  virtual Carts& carts() = 0;
  virtual Orders& orders() = 0;
  // The adapters, for health checks and metrics. Owned by the store.
  virtual Storage& storage() = 0;
  virtual Cache& cache() = 0;
  virtual const StoreOptions& options() const = 0;
};

}  // namespace watchstore

#endif  // WATCHSTORE_STORE_H_
