// Carts: guest carts (by opaque token) and user carts.
#ifndef WATCHSTORE_CART_H_
#define WATCHSTORE_CART_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "watchstore/money.h"
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore {

// Whose cart: a user's, or a guest's identified by the hash of its token.
struct CartOwner {
  UserId user_id = 0;            // set for a user cart
  std::string guest_token_hash;  // set for a guest cart (hex SHA-256)

  static CartOwner ForUser(UserId id) { return CartOwner{id, {}}; }
  static CartOwner ForGuest(std::string token_hash) { return CartOwner{0, std::move(token_hash)}; }
  bool is_user() const { return user_id != 0; }
  friend bool operator==(const CartOwner& a, const CartOwner& b) {
    return a.user_id == b.user_id && a.guest_token_hash == b.guest_token_hash;
  }
};

// A stored cart line.
struct CartItem {
  VariantId variant_id = 0;
  ProductId product_id = 0;  // filled in by Storage::GetCart; ignored on writes
  int64_t quantity = 0;      // > 0
  absl::Time added_at;
};

// A cart line as shown to a shopper: current price and availability.
struct CartLineView {
  VariantId variant_id = 0;
  std::shared_ptr<const Product> product;  // current snapshot
  std::string sku;
  int64_t quantity = 0;
  Money unit_price;
  Money line_total;
  int64_t available = 0;    // current stock
  bool purchasable = true;  // product active and quantity <= available
};

struct CartView {
  std::vector<CartLineView> lines;
  Money subtotal;
  int64_t item_count = 0;
  bool purchasable = true;  // every line purchasable and at least one line
};

// What a merge at login changed, so the caller can tell the shopper.
struct CartMergeChange {
  enum class Kind : uint8_t {
    kAdded = 0,           // guest line moved into the user's cart
    kQuantityRaised = 1,  // guest quantity was larger: kept it
    kKeptExisting = 2,    // user's quantity was larger or equal: kept it
    kCappedByStock = 3,   // merged quantity reduced to the available stock
    kDropped = 4,         // product gone, archived or sold out: line not merged
  };
  Kind kind = Kind::kAdded;
  VariantId variant_id = 0;
  std::string sku;
  int64_t guest_quantity = 0;
  int64_t previous_quantity = 0;  // in the user's cart before the merge
  int64_t final_quantity = 0;
};
absl::string_view CartMergeChangeKindName(CartMergeChange::Kind k);

struct CartMergeReport {
  std::vector<CartMergeChange> changes;  // empty: nothing to merge
};

}  // namespace watchstore

#endif  // WATCHSTORE_CART_H_
