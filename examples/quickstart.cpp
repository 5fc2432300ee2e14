// Embeds libwatchstore: registers a shopper, lists watches, fills a cart,
// checks out and prints the order. In-memory storage and cache, so it runs
// anywhere; swap in NewSqliteStorage / NewPostgresStorage for durability.
#include <cstdio>
#include <memory>
#include <string>

#include "watchstore/errors.h"
#include "watchstore/store.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  return 1;
}

}  // namespace

int main() {
  using namespace watchstore;

  auto cache = NewMemoryCache(MemoryCacheOptions{});
  if (!cache.ok()) return Fail("cache", cache.status());
  auto opened = Store::Open(StoreOptions{}, NewMemoryStorage(), std::move(*cache));
  if (!opened.ok()) return Fail("open", opened.status());
  Store& store = **opened;

  // An operator creates the first admin, who stocks two watches.
  auto admin_user =
      store.accounts().CreateUser("owner@example.com", "a long admin passphrase", Role::kAdmin);
  if (!admin_user.ok()) return Fail("create admin", admin_user.status());
  const Principal admin{admin_user->id, admin_user->role, admin_user->email};
  for (const auto& [brand, model, sku, price] :
       {std::tuple{"Aldenmark", "Tidewater 300", "ALD-TW300-BLK", int64_t{1'450'00}},
        std::tuple{"Brevik", "Polar GMT", "BRV-PGMT-WHT", int64_t{2'890'00}}}) {
    ProductDraft d;
    d.brand = brand;
    d.model = model;
    d.description = "An example watch.";
    d.attributes = WatchAttributes{Movement::kAutomatic, 40, "steel", 300, "bracelet"};
    d.collections = {"Dive"};
    d.variants.push_back(
        VariantDraft{0, sku, "black", "bracelet", "", Money{price, Currency()}, 5});
    if (auto p = store.catalog().CreateProduct(admin, d); !p.ok())
      return Fail("create product", p.status());
  }

  // A shopper registers and logs in.
  const std::string email = "ada@example.com", password = "correct horse battery staple";
  if (auto r = store.accounts().Register(email, password); !r.ok())
    return Fail("register", r.status());
  auto login = store.accounts().Login(email, password, "127.0.0.1");
  if (!login.ok()) return Fail("login", login.status());
  auto me = store.accounts().Authenticate(login->token);
  if (!me.ok()) return Fail("authenticate", me.status());

  // Browse: every in-stock watch, cheapest first.
  ProductQuery query;
  query.sort = ProductSort::kPriceAsc;
  query.in_stock_only = true;
  auto listing = store.catalog().ListProducts(query, /*cursor=*/"");
  if (!listing.ok()) return Fail("list", listing.status());
  std::printf("Watches in stock:\n");
  for (const auto& p : listing->items) {
    std::printf("  %-10s %-16s from %s\n", p->brand.c_str(), p->model.c_str(),
                FormatMoney(p->MinPrice()).c_str());
  }

  // Cart: one of each.
  const CartOwner cart = store.carts().UserOwner(*me);
  for (const auto& p : listing->items) {
    if (auto c = store.carts().AddItem(cart, p->variants[0].id, 1); !c.ok())
      return Fail("add", c.status());
  }
  auto view = store.carts().GetCart(cart);
  if (!view.ok()) return Fail("cart", view.status());
  std::printf("Cart: %lld items, subtotal %s\n", static_cast<long long>(view->item_count),
              FormatMoney(view->subtotal).c_str());

  // Checkout, with an idempotency key: retrying it never makes two orders.
  CheckoutRequest request;
  request.idempotency_key = "quickstart-order-1";
  request.shipping =
      ShippingAddress{"Ada Lovelace", "12 St James's Square", "", "London", "SW1Y 4JH", "GB"};
  auto placed = store.orders().Checkout(*me, request);
  if (!placed.ok()) return Fail("checkout", placed.status());
  const Order& order = placed->order;
  std::printf("Order %s (%s)\n", order.number.c_str(),
              std::string(OrderStatusName(order.status)).c_str());
  for (const OrderLine& line : order.lines) {
    std::printf("  %lld x %-40s %s\n", static_cast<long long>(line.quantity), line.title.c_str(),
                FormatMoney(line.line_total).c_str());
  }
  std::printf("  total %s\n", FormatMoney(order.total).c_str());
  std::printf("Order completed.\n");
  return 0;
}
