#include "test_util.h"

#include "absl/strings/str_cat.h"

namespace watchstore::testing {

Money Usd(int64_t minor) { return Money{minor, Currency()}; }

ProductDraft WatchDraft(const std::string& sku_prefix, int64_t price_minor, int64_t stock,
                        int variants) {
  ProductDraft d;
  d.brand = "Aldenmark";
  d.model = absl::StrCat("Tidewater ", sku_prefix);
  d.description = "A steel diver with a ceramic bezel.";
  d.attributes.movement = Movement::kAutomatic;
  d.attributes.case_diameter_mm = 40;
  d.attributes.case_material = "steel";
  d.attributes.water_resistance_m = 200;
  d.attributes.strap = "steel bracelet";
  d.collections = {"Dive"};
  d.images = {{"/img/watches/w01.svg", "The watch from the front", 0}};
  for (int i = 0; i < variants; ++i) {
    VariantDraft v;
    v.sku = absl::StrCat(sku_prefix, "-", i);
    v.dial_color = i == 0 ? "black" : "blue";
    v.strap = "bracelet";
    v.price = Usd(price_minor + i * 1000);
    v.stock = stock;
    d.variants.push_back(v);
  }
  return d;
}

NewOrder AnOrder(UserId user, const std::string& key, std::vector<NewOrder::Line> lines) {
  NewOrder o;
  o.user_id = user;
  o.idempotency_key = key;
  o.request_fingerprint = "fp-" + key;
  o.lines = std::move(lines);
  o.shipping = ShippingAddress{"Ada Lovelace", "1 Main St", "", "London", "N1", "GB"};
  o.now = absl::FromUnixSeconds(1'800'000'010);
  return o;
}

User MakeUser(Storage& storage, const std::string& email, Role role) {
  auto u = storage.CreateUser(
      NewUser{email, "$argon2id$not-a-real-hash", role, absl::FromUnixSeconds(1'800'000'000)});
  EXPECT_TRUE(u.ok()) << u.status();
  return u.ok() ? *u : User{};
}

Principal PrincipalOf(const User& u) { return Principal{u.id, u.role, u.email}; }

StoreOptions TestStoreOptions(const Clock* clock) {
  StoreOptions o;
  o.clock = clock;
  return o;
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

}  // namespace watchstore::testing
