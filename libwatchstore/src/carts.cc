#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto.h"
#include "services.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::internal {

CartsImpl::CartsImpl(const Context& ctx, CatalogImpl* catalog) : ctx_(ctx), catalog_(catalog) {}

std::string CartsImpl::NewGuestToken() { return NewRandomToken(); }

absl::StatusOr<CartOwner> CartsImpl::GuestOwner(absl::string_view token) {
  if (!IsWellFormedToken(token)) return InvalidField("cart_token", "is not a cart token");
  return CartOwner::ForGuest(Sha256Hex(token));
}

CartOwner CartsImpl::UserOwner(const Principal& user) { return CartOwner::ForUser(user.user_id); }

absl::StatusOr<CartView> CartsImpl::View(const std::vector<CartItem>& items) {
  CartView view;
  view.subtotal = Money{0, ctx_.options->currency};
  for (const CartItem& item : items) {
    auto product = catalog_->Load(item.product_id);
    if (!product.ok()) {
      if (absl::IsNotFound(product.status())) continue;  // deleted under us: not shown
      return product.status();
    }
    const Variant* v = (*product)->FindVariant(item.variant_id);
    if (v == nullptr) continue;
    CartLineView line;
    line.variant_id = v->id;
    line.product = *product;
    line.sku = v->sku;
    line.quantity = item.quantity;
    line.unit_price = v->price;
    WS_ASSIGN_OR_RETURN(line.line_total, Multiply(v->price, item.quantity));
    line.available = v->stock;
    line.purchasable = (*product)->active && item.quantity <= v->stock &&
                       v->price.currency == ctx_.options->currency;
    if (line.purchasable) {
      WS_ASSIGN_OR_RETURN(view.subtotal, Add(view.subtotal, line.line_total));
    }
    view.item_count += item.quantity;
    view.purchasable = view.purchasable && line.purchasable;
    view.lines.push_back(std::move(line));
  }
  view.purchasable = view.purchasable && !view.lines.empty();
  return view;
}

absl::StatusOr<CartView> CartsImpl::GetCart(const CartOwner& owner) {
  WS_ASSIGN_OR_RETURN(auto items, ctx_.storage->GetCart(owner));
  return View(items);
}

absl::StatusOr<CartView> CartsImpl::SetLine(const CartOwner& owner, VariantId variant_id,
                                            int64_t quantity, bool add) {
  const int64_t max = ctx_.options->carts.max_line_quantity;
  if (add ? (quantity < 1 || quantity > max) : (quantity < 0 || quantity > max)) {
    return InvalidField("quantity", absl::StrCat("must be between ", add ? 1 : 0, " and ", max));
  }
  WS_ASSIGN_OR_RETURN(auto items, ctx_.storage->GetCart(owner));
  auto existing = std::find_if(items.begin(), items.end(),
                               [&](const CartItem& c) { return c.variant_id == variant_id; });
  int64_t target = quantity;
  if (add && existing != items.end()) target += existing->quantity;
  if (target > max) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kCartLimit,
                     absl::StrCat("at most ", max, " of one watch per order"), "quantity");
  }
  if (target > 0) {
    WS_ASSIGN_OR_RETURN(auto product, catalog_->LoadByVariant(variant_id));
    const Variant* v = product->FindVariant(variant_id);
    if (!product->active || v == nullptr) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kNotPurchasable,
                       "this watch is no longer sold", "variant_id");
    }
    if (v->stock == 0) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                       absl::StrCat(v->sku, " is sold out"), "variant_id");
    }
    if (target > v->stock) {
      return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                       absl::StrCat("only ", v->stock, " of ", v->sku, " available"), "quantity");
    }
    if (existing == items.end() &&
        static_cast<int64_t>(items.size()) >= ctx_.options->carts.max_lines) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kCartLimit,
                       absl::StrCat("a cart holds at most ", ctx_.options->carts.max_lines,
                                    " different watches"),
                       "variant_id");
    }
  } else if (existing == items.end()) {
    return View(items);  // removing what is not there: nothing to do
  }
  auto st = ctx_.storage->SetCartItem(owner, variant_id, target, ctx_.clock->Now());
  if (absl::IsNotFound(st)) {
    return MakeError(absl::StatusCode::kNotFound, reason::kNotFound, "no such variant",
                     "variant_id");
  }
  WS_RETURN_IF_ERROR(st);
  return GetCart(owner);
}

absl::StatusOr<CartView> CartsImpl::AddItem(const CartOwner& owner, VariantId variant_id,
                                            int64_t quantity) {
  return SetLine(owner, variant_id, quantity, /*add=*/true);
}

absl::StatusOr<CartView> CartsImpl::SetQuantity(const CartOwner& owner, VariantId variant_id,
                                                int64_t quantity) {
  return SetLine(owner, variant_id, quantity, /*add=*/false);
}

absl::StatusOr<CartView> CartsImpl::RemoveItem(const CartOwner& owner, VariantId variant_id) {
  return SetLine(owner, variant_id, 0, /*add=*/false);
}

absl::StatusOr<CartMergeReport> CartsImpl::MergeGuestCart(absl::string_view guest_token,
                                                          const Principal& user) {
  WS_ASSIGN_OR_RETURN(CartOwner guest, GuestOwner(guest_token));
  const CartOwner mine = UserOwner(user);
  WS_ASSIGN_OR_RETURN(auto guest_items, ctx_.storage->GetCart(guest));
  CartMergeReport report;
  if (guest_items.empty()) return report;
  WS_ASSIGN_OR_RETURN(auto merged, ctx_.storage->GetCart(mine));
  const int64_t max = ctx_.options->carts.max_line_quantity;
  for (const CartItem& g : guest_items) {
    CartMergeChange change;
    change.variant_id = g.variant_id;
    change.guest_quantity = g.quantity;
    auto mine_it = std::find_if(merged.begin(), merged.end(),
                                [&](const CartItem& c) { return c.variant_id == g.variant_id; });
    change.previous_quantity = mine_it == merged.end() ? 0 : mine_it->quantity;
    auto product = catalog_->Load(g.product_id);
    const Variant* v = product.ok() ? (*product)->FindVariant(g.variant_id) : nullptr;
    if (v != nullptr) change.sku = v->sku;
    const bool new_line = mine_it == merged.end();
    if (v == nullptr || !(*product)->active || v->stock == 0 ||
        (new_line && static_cast<int64_t>(merged.size()) >= ctx_.options->carts.max_lines)) {
      change.kind = CartMergeChange::Kind::kDropped;
      change.final_quantity = change.previous_quantity;
      report.changes.push_back(std::move(change));
      continue;
    }
    const int64_t wanted = std::max(g.quantity, change.previous_quantity);
    const int64_t cap = std::min(v->stock, max);
    change.final_quantity = std::min(wanted, cap);
    if (wanted > cap) {
      change.kind = CartMergeChange::Kind::kCappedByStock;
    } else if (new_line) {
      change.kind = CartMergeChange::Kind::kAdded;
    } else if (g.quantity > change.previous_quantity) {
      change.kind = CartMergeChange::Kind::kQuantityRaised;
    } else {
      change.kind = CartMergeChange::Kind::kKeptExisting;
    }
    if (new_line) {
      merged.push_back(CartItem{g.variant_id, g.product_id, change.final_quantity, g.added_at});
    } else {
      mine_it->quantity = change.final_quantity;
    }
    report.changes.push_back(std::move(change));
  }
  WS_RETURN_IF_ERROR(ctx_.storage->ReplaceCart(mine, merged));
  WS_RETURN_IF_ERROR(ctx_.storage->DeleteCart(guest));
  return report;
}

absl::StatusOr<int64_t> CartsImpl::PurgeExpiredGuestCarts() {
  return ctx_.storage->DeleteExpiredGuestCarts(ctx_.clock->Now() -
                                               ctx_.options->carts.guest_cart_ttl);
}
}  // namespace watchstore::internal
