// Carts: guest and user carts, and the merge at login.
#ifndef WATCHSTORE_CARTS_H_
#define WATCHSTORE_CARTS_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/cart.h"
#include "watchstore/user.h"

namespace watchstore {

struct CartOptions {
  // Largest quantity of one variant in a cart. >= 1.
  int64_t max_line_quantity = 10;
  // Most distinct variants in a cart. >= 1.
  int max_lines = 50;
  // A guest cart is deleted this long after its newest line was added (by
  // PurgeExpiredGuestCarts; the server runs it every ten minutes). > 0.
  absl::Duration guest_cart_ttl = absl::Hours(24 * 14);
};

// Thread-safe. Quantities are bounded (1..max_line_quantity, 0 removes);
// adding a sold-out, archived or unknown variant is refused. Prices and
// availability shown are current; checkout reads them again from Storage.
//
// Merge policy at login: each guest line is merged into the user's cart
// keeping the larger of the two quantities, capped by current stock and by
// max_line_quantity; lines whose product is archived or sold out are
// dropped. Every line's outcome is reported, and the guest cart is deleted.
class Carts {
 public:
  virtual ~Carts() = default;

  // A new guest cart token (32 random bytes, base64url). Nothing is stored
  // until the first line is added.
  virtual std::string NewGuestToken() = 0;
  // The owner for a guest token; InvalidArgument (field "cart_token") if the
  // token is malformed.
  virtual absl::StatusOr<CartOwner> GuestOwner(absl::string_view token) = 0;
  virtual CartOwner UserOwner(const Principal& user) = 0;

  virtual absl::StatusOr<CartView> GetCart(const CartOwner& owner) = 0;
  // Adds `quantity` to the variant's line (creating it).
  virtual absl::StatusOr<CartView> AddItem(const CartOwner& owner, VariantId variant_id,
                                           int64_t quantity) = 0;
  // Sets the line's quantity; 0 removes it.
  virtual absl::StatusOr<CartView> SetQuantity(const CartOwner& owner, VariantId variant_id,
                                               int64_t quantity) = 0;
  virtual absl::StatusOr<CartView> RemoveItem(const CartOwner& owner, VariantId variant_id) = 0;
  // Merges the guest cart into the user's (policy above) and deletes it.
  virtual absl::StatusOr<CartMergeReport> MergeGuestCart(absl::string_view guest_token,
                                                         const Principal& user) = 0;
  // Deletes guest carts past guest_cart_ttl; returns how many.
  virtual absl::StatusOr<int64_t> PurgeExpiredGuestCarts() = 0;
};

}  // namespace watchstore

#endif  // WATCHSTORE_CARTS_H_
