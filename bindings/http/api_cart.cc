// /api/v1/cart: the user's cart when logged in, else the guest cart named by
// the cart cookie or the X-Cart-Token header (created on the first add).
#include "absl/strings/str_cat.h"
#include "api.h"
#include "api_internal.h"
#include "render.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::http {
namespace {

constexpr int64_t kGuestCartMaxAge = 30 * 24 * 3600;

struct LineInput {
  int64_t variant_id = 0;
  int64_t quantity = 0;
};

}  // namespace

// Whose cart a request is about. `create`: mint a guest cart if there is none
// (and tell the client its token); otherwise nullopt means "no cart yet".
struct CartTarget {
  std::optional<CartOwner> owner;
};

namespace {

absl::StatusOr<CartTarget> ResolveCart(Store* store, const std::optional<Principal>& user,
                                       std::optional<absl::string_view> header_token,
                                       std::optional<absl::string_view> cookie_token, bool create,
                                       std::string* minted) {
  if (user.has_value()) return CartTarget{store->carts().UserOwner(*user)};
  if (header_token.has_value()) {
    // An explicit token that is malformed is the client's error.
    WS_ASSIGN_OR_RETURN(CartOwner owner, store->carts().GuestOwner(*header_token));
    return CartTarget{owner};
  }
  if (cookie_token.has_value()) {
    auto owner = store->carts().GuestOwner(*cookie_token);
    if (owner.ok()) return CartTarget{*owner};
    // A mangled cookie: start over below.
  }
  if (!create) return CartTarget{};
  *minted = store->carts().NewGuestToken();
  WS_ASSIGN_OR_RETURN(CartOwner owner, store->carts().GuestOwner(*minted));
  return CartTarget{owner};
}

absl::StatusOr<LineInput> ReadLine(const JsonDocument& doc, bool with_variant) {
  ObjectReader r(doc, "");
  LineInput in;
  if (with_variant) {
    r.Int64("variant_id", &in.variant_id, ObjectReader::kRequired, 1,
            std::numeric_limits<int64_t>::max());
  }
  r.Int64("quantity", &in.quantity, ObjectReader::kRequired);
  WS_RETURN_IF_ERROR(r.Finish());
  return in;
}

}  // namespace

CartView Api::EmptyCart() const {
  CartView view;
  view.subtotal = Money{0, store_->options().currency};
  view.purchasable = false;
  return view;
}

absl::Status Api::RenderCart(Call& call, const CartView& view, absl::string_view new_guest_token) {
  if (!new_guest_token.empty()) {
    // A new guest cart: the browser keeps it in a cookie, API clients read
    // the token from X-Cart-Token.
    SetCookie(call, options_.cookies.cart_name, new_guest_token, /*http_only=*/true,
              kGuestCartMaxAge);
    call.res->AddHeader("X-Cart-Token", std::string(new_guest_token));
  }
  JsonOut out;
  WriteCart(out, view);
  RenderJson(call, 200, out.Take());
  return absl::OkStatus();
}

absl::Status Api::GetCart(Call& call) {
  WS_RETURN_IF_ERROR(QueryReader(call.req).Finish());
  std::string minted;
  WS_ASSIGN_OR_RETURN(CartTarget target,
                      ResolveCart(store_, OptionalUser(call), call.req.header("X-Cart-Token"),
                                  call.cart_cookie, /*create=*/false, &minted));
  CartView view = EmptyCart();
  if (target.owner.has_value()) {
    WS_ASSIGN_OR_RETURN(view, store_->carts().GetCart(*target.owner));
  }
  return RenderCart(call, view, /*new_guest_token=*/"");
}

absl::Status Api::AddCartItem(Call& call) {
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  WS_ASSIGN_OR_RETURN(LineInput in, ReadLine(*doc, /*with_variant=*/true));
  std::string minted;
  WS_ASSIGN_OR_RETURN(CartTarget target,
                      ResolveCart(store_, OptionalUser(call), call.req.header("X-Cart-Token"),
                                  call.cart_cookie, /*create=*/true, &minted));
  WS_ASSIGN_OR_RETURN(CartView view,
                      store_->carts().AddItem(*target.owner, in.variant_id, in.quantity));
  return RenderCart(call, view, minted);
}

absl::Status Api::SetCartItem(Call& call) {
  WS_ASSIGN_OR_RETURN(int64_t variant_id, PathId(call.match.params[0], "variant_id"));
  WS_ASSIGN_OR_RETURN(auto doc, JsonBody(call));
  WS_ASSIGN_OR_RETURN(LineInput in, ReadLine(*doc, /*with_variant=*/false));
  std::string minted;
  WS_ASSIGN_OR_RETURN(CartTarget target,
                      ResolveCart(store_, OptionalUser(call), call.req.header("X-Cart-Token"),
                                  call.cart_cookie, /*create=*/true, &minted));
  WS_ASSIGN_OR_RETURN(CartView view,
                      store_->carts().SetQuantity(*target.owner, variant_id, in.quantity));
  // Setting a quantity of 0 in a cart that did not exist keeps no cart.
  return RenderCart(call, view, view.lines.empty() ? "" : minted);
}

absl::Status Api::RemoveCartItem(Call& call) {
  WS_ASSIGN_OR_RETURN(int64_t variant_id, PathId(call.match.params[0], "variant_id"));
  WS_RETURN_IF_ERROR(NoBody(call));
  std::string minted;
  WS_ASSIGN_OR_RETURN(CartTarget target,
                      ResolveCart(store_, OptionalUser(call), call.req.header("X-Cart-Token"),
                                  call.cart_cookie, /*create=*/false, &minted));
  CartView view = EmptyCart();
  if (target.owner.has_value()) {
    WS_ASSIGN_OR_RETURN(view, store_->carts().RemoveItem(*target.owner, variant_id));
  }
  return RenderCart(call, view, /*new_guest_token=*/"");
}

}  // namespace watchstore::http
