// The JSON shapes of the API contract (/tmp/api-contract.md, docs/openapi.yaml).
#ifndef WATCHSTORE_BINDINGS_HTTP_RENDER_H_
#define WATCHSTORE_BINDINGS_HTTP_RENDER_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

#include "absl/time/time.h"
#include "json.h"
#include "watchstore/cart.h"
#include "watchstore/money.h"
#include "watchstore/order.h"
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore::http {

// RFC 3339 UTC with milliseconds, as JavaScript's toISOString():
// "2027-01-15T08:00:00.000Z".
std::string Rfc3339(absl::Time t);

void WriteMoney(JsonOut& out, const Money& m);
void WriteUser(JsonOut& out, const User& u);
void WriteProduct(JsonOut& out, const Product& p);
void WriteCart(JsonOut& out, const CartView& cart);
void WriteMergeReport(JsonOut& out, const CartMergeReport& report);
// `for_buyer`: the payment's client secret is included (while the order is
// pending), for the buyer's own browser only.
void WriteOrder(JsonOut& out, const Order& o, bool for_buyer = false);

// A product as a standalone JSON document.
std::string ProductJson(const Product& p);

// ProductJson() remembered per product snapshot. The catalog hands out the
// same immutable snapshot while it is cached, so a warm product detail costs
// a lookup instead of a rendering. A changed product is a new snapshot (a new
// object), never confused with the old one. Thread-safe; bounded.
class ProductJsonCache {
 public:
  ProductJsonCache() = default;
  ProductJsonCache(const ProductJsonCache&) = delete;
  ProductJsonCache& operator=(const ProductJsonCache&) = delete;

  std::shared_ptr<const std::string> Get(const std::shared_ptr<const Product>& product);

 private:
  static constexpr int kShards = 16;
  static constexpr size_t kMaxPerShard = 1024;
  struct Entry {
    std::weak_ptr<const Product> snapshot;
    std::shared_ptr<const std::string> json;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<ProductId, Entry> entries ABSL_GUARDED_BY(mu);
  };
  Shard shards_[kShards];
};

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_RENDER_H_
