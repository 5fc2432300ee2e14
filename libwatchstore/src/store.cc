#include "watchstore/store.h"

#include <memory>

#include "crypto.h"
#include "services.h"

namespace watchstore {
namespace {

constexpr uint64_t kMinOpsLimit = 2;                   // crypto_pwhash_OPSLIMIT_INTERACTIVE
constexpr uint64_t kMinMemLimit = uint64_t{64} << 20;  // crypto_pwhash_MEMLIMIT_INTERACTIVE

absl::Status Validate(const StoreOptions& o) {
  const AccountsOptions& a = o.accounts;
  if (a.session_idle_timeout <= absl::ZeroDuration() ||
      a.session_absolute_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("session timeouts must be positive");
  }
  if (a.session_touch_interval <= absl::ZeroDuration() ||
      a.session_touch_interval >= a.session_idle_timeout) {
    return absl::InvalidArgumentError(
        "session_touch_interval must be positive and below session_idle_timeout");
  }
  if (a.session_cache_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("session_cache_ttl must be positive");
  }
  if (!a.session_seal_key.empty() && a.session_seal_key.size() < internal::kSealKeyBytes) {
    return absl::InvalidArgumentError("session_seal_key must be at least 32 bytes (or empty)");
  }
  if (a.pwhash_opslimit < kMinOpsLimit || a.pwhash_memlimit_bytes < kMinMemLimit) {
    return absl::InvalidArgumentError(
        "password hashing limits must not be below libsodium's INTERACTIVE ones");
  }
  if (a.max_concurrent_hashes < 1) {
    return absl::InvalidArgumentError("max_concurrent_hashes must be >= 1");
  }
  if (a.throttle_free_failures < 0 || a.throttle_base_delay <= absl::ZeroDuration() ||
      a.throttle_max_delay < a.throttle_base_delay ||
      a.throttle_forget_after <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("bad login throttle options");
  }
  if (o.catalog.product_ttl <= absl::ZeroDuration() ||
      o.catalog.listing_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("catalog TTLs must be positive");
  }
  if (o.catalog.max_page_size < 1 || o.catalog.max_page_size > 100) {
    return absl::InvalidArgumentError("max_page_size must be in [1, 100]");
  }
  if (o.mail.reset_requests_per_account < 1 || o.mail.reset_requests_per_address < 1 ||
      o.mail.reset_window <= absl::ZeroDuration() || o.mail.token_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("mail limits and token_ttl must be positive");
  }
  if (o.carts.max_line_quantity < 1 || o.carts.max_lines < 1) {
    return absl::InvalidArgumentError("cart limits must be >= 1");
  }
  if (o.carts.guest_cart_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("guest_cart_ttl must be positive");
  }
  return absl::OkStatus();
}

class StoreImpl final : public Store {
 public:
  StoreImpl(const StoreOptions& options, std::unique_ptr<Storage> storage,
            std::unique_ptr<Cache> cache)
      : options_(options),
        storage_(std::move(storage)),
        cache_(std::move(cache)),
        ctx_{storage_.get(), cache_.get(), options_.clock ? options_.clock : RealClock(),
             &options_},
        catalog_(ctx_),
        accounts_(ctx_),
        carts_(ctx_, &catalog_),
        orders_(ctx_, &catalog_) {}

  Accounts& accounts() override { return accounts_; }
  Catalog& catalog() override { return catalog_; }
  Carts& carts() override { return carts_; }
  Orders& orders() override { return orders_; }
  Storage& storage() override { return *storage_; }
  Cache& cache() override { return *cache_; }
  const StoreOptions& options() const override { return options_; }

 private:
  const StoreOptions options_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Cache> cache_;
  internal::Context ctx_;
  internal::CatalogImpl catalog_;
  internal::AccountsImpl accounts_;
  internal::CartsImpl carts_;
  internal::OrdersImpl orders_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options,
                                                   std::unique_ptr<Storage> storage,
                                                   std::unique_ptr<Cache> cache) {
  if (storage == nullptr || cache == nullptr) {
    return absl::InvalidArgumentError("Store::Open needs a storage and a cache");
  }
  if (absl::Status st = Validate(options); !st.ok()) return st;
  return std::unique_ptr<Store>(new StoreImpl(options, std::move(storage), std::move(cache)));
}

}  // namespace watchstore
