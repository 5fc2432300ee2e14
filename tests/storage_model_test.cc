// The randomized model test. See storage_model_test.h.
//
// Both storages start empty and get the same calls. Ids are the one thing
// that may legitimately differ: each side assigns its own, and a
// PostgreSQL sequence keeps the values a failed insert took. Both assign
// increasing ids, so the test maps the tested side's ids onto the
// reference's as entities are created, translates ids on the way in, and
// writes both results in the reference's ids before comparing them.
// Times are compared to the nanosecond: every adapter keeps them exactly.
#include "storage_model_test.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "storage/listing.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  int64_t n = 0;
  if (v != nullptr && absl::SimpleAtoi(v, &n) && n > 0) return n;
  return fallback;
}

// Ids that neither side ever assigns: a reference to nothing.
constexpr int64_t kMissingBase = 900'000'000;

// The reference's ids <-> the tested storage's ids, one kind of entity.
class IdMap {
 public:
  // False if either id is already paired with another.
  bool Learn(int64_t ref, int64_t tested) {
    auto a = to_tested_.emplace(ref, tested).first;
    auto b = to_ref_.emplace(tested, ref).first;
    return a->second == tested && b->second == ref;
  }
  // Ids the reference never assigned (kMissingBase + n) pass unchanged.
  int64_t ToTested(int64_t ref) const {
    auto it = to_tested_.find(ref);
    return it == to_tested_.end() ? ref : it->second;
  }
  std::string Ref(int64_t tested) const {
    auto it = to_ref_.find(tested);
    if (it != to_ref_.end()) return absl::StrCat(it->second);
    return tested >= kMissingBase ? absl::StrCat(tested) : absl::StrCat("unmapped#", tested);
  }

 private:
  std::map<int64_t, int64_t> to_tested_, to_ref_;
};

struct Ids {
  IdMap users, products, variants, orders;
};

// The result of FindProductIdBy*, printed as a product id.
struct FoundProductId {
  ProductId id = 0;
};
absl::StatusOr<FoundProductId> Found(const absl::StatusOr<ProductId>& r) {
  if (!r.ok()) return r.status();
  return FoundProductId{*r};
}

// Writes values in the reference's ids: `ids` is null for the reference's
// own results, the map for the tested storage's.
class Printer {
 public:
  explicit Printer(const Ids* ids) : ids_(ids) {}

  std::string U(UserId id) const {
    if (id == 0) return "guest";
    return ids_ ? ids_->users.Ref(id) : absl::StrCat(id);
  }
  std::string P(ProductId id) const { return ids_ ? ids_->products.Ref(id) : absl::StrCat(id); }
  std::string V(VariantId id) const { return ids_ ? ids_->variants.Ref(id) : absl::StrCat(id); }
  std::string O(OrderId id) const { return ids_ ? ids_->orders.Ref(id) : absl::StrCat(id); }

  static std::string T(absl::Time t) { return absl::StrCat(absl::ToUnixNanos(t)); }
  static std::string M(const Money& m) {
    return absl::StrCat(m.minor_units, " ", m.currency.code());
  }

  std::string Of(const absl::Status& s) const {
    if (s.ok()) return "OK";
    return absl::StrCat("ERROR ", absl::StatusCodeToString(s.code()), " reason=", ReasonOf(s));
  }
  std::string Of(const User& u) const {
    return absl::StrCat("user{", U(u.id), " ", u.email, " ", u.password_hash, " ", RoleName(u.role),
                        " ", T(u.created_at), "}");
  }
  std::string Of(const SessionRecord& s) const {
    return absl::StrCat("session{", s.token_hash, " ", U(s.user_id), " ", T(s.created_at), " ",
                        T(s.last_seen_at), "}");
  }
  std::string GalleryOf(const Product& p) const {
    std::string out = "gallery{";
    for (const ProductImage& i : p.images) {
      absl::StrAppend(&out, i.url, "|", i.alt, "|", i.variant_id == 0 ? "0" : V(i.variant_id), " ");
    }
    return out + "}";
  }
  std::string Of(const Product& p) const {
    std::string out =
        absl::StrCat("product{", P(p.id), " ", p.brand, "|", p.model, "|", p.description, "|",
                     static_cast<int>(p.attributes.movement), " ", p.attributes.case_diameter_mm,
                     " ", p.attributes.case_material, " ", p.attributes.water_resistance_m, " ",
                     p.attributes.strap, " [", absl::StrJoin(p.collections, ","), "] ", p.image_url,
                     " ", GalleryOf(p), p.active ? " active" : " archived", " v", p.version, " ",
                     T(p.created_at), " ", T(p.updated_at));
    for (const Variant& v : p.variants) {
      absl::StrAppend(&out, " variant{", V(v.id), " of ", P(v.product_id), " ", v.sku, "|",
                      v.dial_color, "|", v.strap, "|", v.size, " ", M(v.price), " stock ", v.stock,
                      "}");
    }
    return out + "}";
  }
  std::string Of(const FoundProductId& f) const { return absl::StrCat("product id ", P(f.id)); }
  std::string Of(int64_t n) const { return absl::StrCat(n); }
  std::string Of(const ProductPage& page) const {
    return absl::StrCat(All(page.items), page.has_more ? " more" : " end");
  }
  std::string Of(const OrderPage& page) const {
    return absl::StrCat(All(page.items), page.has_more ? " more" : " end");
  }
  std::string Of(const CartItem& c) const {
    return absl::StrCat("item{", V(c.variant_id), " of ", P(c.product_id), " x", c.quantity, " ",
                        T(c.added_at), "}");
  }
  std::string Of(const Order& o) const {
    const bool number_ok = o.number == OrderNumberFor(o.id);
    std::string out = absl::StrCat(
        "order{", O(o.id), number_ok ? "" : absl::StrCat(" bad number ", o.number), " by ",
        U(o.user_id), " ", OrderStatusName(o.status), " total ", M(o.total), " ship ",
        o.shipping.name, "|", o.shipping.line1, "|", o.shipping.line2, "|", o.shipping.city, "|",
        o.shipping.postal_code, "|", o.shipping.country, " key ", o.idempotency_key, " fp ",
        o.request_fingerprint, " ", T(o.created_at), " ", T(o.updated_at), " due ", M(o.refund_due),
        " guest ", o.guest_email, " link ", o.access_token_hash, " until ",
        o.reserved_until == absl::InfiniteFuture() ? "never" : T(o.reserved_until), " pay{",
        o.payment.provider, " ", o.payment.reference, " ", PaymentStateName(o.payment.state), " ",
        M(o.payment.amount), " back ", M(o.payment.refunded), " ", o.payment.client_secret, "}");
    for (const OrderLine& l : o.lines) {
      absl::StrAppend(&out, " line{", V(l.variant_id), " of ", P(l.product_id), " ", l.sku, " ",
                      l.title, " x", l.quantity, " at ", M(l.unit_price), " = ", M(l.line_total),
                      " refunded ", l.refunded_quantity, "}");
    }
    return out + "}";
  }
  std::string Of(const StockChange& c) const {
    return absl::StrCat("stock{", P(c.product_id), "/", V(c.variant_id), " ", c.stock_before, "->",
                        c.stock_after, "}");
  }
  std::string Of(const PlaceOrderResult& r) const {
    return absl::StrCat(Of(r.order), r.replayed ? " replayed" : "", " ", All(r.stock_changes));
  }
  std::string Of(const TransitionResult& r) const {
    return absl::StrCat(Of(r.order), " ", All(r.stock_changes));
  }
  std::string Of(const PaymentUpdateResult& r) const {
    return absl::StrCat(Of(r.order), r.duplicate ? " duplicate" : "", r.changed ? " changed" : "",
                        " ", All(r.stock_changes));
  }
  template <typename T>
  std::string All(const std::vector<T>& items) const {
    std::string out = "[";
    for (const T& item : items) absl::StrAppend(&out, Of(item), "\n  ");
    return out + "]";
  }
  template <typename T>
  std::string Of(const std::vector<T>& items) const {
    return All(items);
  }
  template <typename T>
  std::string Of(const absl::StatusOr<T>& r) const {
    return r.ok() ? Of(*r) : Of(r.status());
  }

 private:
  const Ids* ids_;
};

class Model {
 public:
  Model(Storage& ref, Storage& tested, uint64_t seed) : ref_(ref), tested_(tested), rng_(seed) {}

  // Runs `ops` random operations; stops at the first disagreement, which it
  // reports. Returns false then.
  bool Run(int64_t ops) {
    for (op_ = 0; op_ < ops && ok_; ++op_) {
      now_ += absl::Nanoseconds(1 + Rand(2'000'000'000));
      Step();
    }
    return ok_;
  }

  // "Operation ok/refused ..." for every kind of operation run: the
  // sequence must exercise both outcomes.
  std::string Tally() const {
    std::string out;
    for (const auto& [name, counts] : tally_) {
      absl::StrAppend(&out, name, " ", counts.first, "/", counts.second, "  ");
    }
    return out;
  }

 private:
  int64_t Rand(int64_t n) { return static_cast<int64_t>(rng_() % static_cast<uint64_t>(n)); }
  bool Chance(int percent) { return Rand(100) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Rand(static_cast<int64_t>(v.size())))];
  }
  int64_t Missing() { return kMissingBase + Rand(1000); }

  // Compares the two results of one operation; reports the first difference.
  template <typename T>
  bool Same(const std::string& what, const T& r, const T& t) {
    const std::string a = Printer(nullptr).Of(r);
    const std::string b = Printer(&ids_).Of(t);
    const std::string name = what.substr(0, what.find(' '));
    ++(absl::StartsWith(a, "ERROR") ? tally_[name].second : tally_[name].first);
    if (a == b) return true;
    ok_ = false;
    ADD_FAILURE() << "storages disagree at operation " << op_ << ": " << what
                  << "\n  reference: " << a << "\n  tested:    " << b;
    return false;
  }

  // --- Picking what exists (in the reference's ids) --------------------------
  UserId AUser() { return users_.empty() || Chance(3) ? Missing() : Pick(users_); }
  ProductId AProduct() { return products_.empty() || Chance(3) ? Missing() : Pick(products_); }
  VariantId AVariant() { return variants_.empty() || Chance(4) ? Missing() : Pick(variants_); }
  OrderId AnOrderId() { return orders_.empty() || Chance(3) ? Missing() : Pick(orders_); }
  CartOwner AnOwner() {
    if (users_.empty() || Chance(40)) return CartOwner::ForGuest(absl::StrCat("guest-", Rand(4)));
    return CartOwner::ForUser(Pick(users_));
  }
  CartOwner ToTested(const CartOwner& o) const {
    return o.is_user() ? CartOwner::ForUser(ids_.users.ToTested(o.user_id)) : o;
  }
  std::string Sku() {
    if (!skus_.empty() && Chance(5)) return Pick(skus_);  // taken
    return absl::StrCat("S", next_sku_++);
  }
  Money Price(bool euro) {
    Money m = Usd(50'00 + Rand(20) * 10'00);
    if (euro) m.currency = *Currency::FromCode("EUR");
    return m;
  }
  ProductDraft RandomDraft() {
    static const char* kBrands[] = {"Aldenmark", "Brevik", "Corvane", "aldenmark", "Ålden"};
    static const char* kCollections[] = {"Dive", "Dress", "Field", "Pilot"};
    ProductDraft d;
    d.brand = kBrands[Rand(5)];
    d.model =
        absl::StrCat(Chance(30) ? "Sea Hunter " : "Field ", Rand(12), Chance(5) ? " 100%" : "");
    d.description = Chance(50) ? "A steel diver." : "";
    d.attributes.movement = static_cast<Movement>(Rand(6));
    d.attributes.case_diameter_mm = static_cast<int32_t>(34 + Rand(12));
    d.attributes.case_material = Chance(50) ? "steel" : "titanium";
    d.attributes.water_resistance_m = static_cast<int32_t>(Rand(4) * 100);
    d.attributes.strap = "bracelet";
    for (const char* c : kCollections) {
      if (Chance(30)) d.collections.push_back(c);
    }
    if (Chance(50)) d.images.push_back({"/img/w.svg", "front", 0});
    if (Chance(30)) d.images.push_back({"/img/w2.svg", "back", 0});
    const bool euro = Chance(4);
    const int n = 1 + static_cast<int>(Rand(3));
    for (int i = 0; i < n; ++i) {
      VariantDraft v;
      v.sku = Sku();
      v.dial_color = Chance(50) ? "black" : "blue";
      v.strap = Chance(50) ? "leather" : "";
      v.size = Chance(20) ? "40 mm" : "";
      v.price = Price(euro);
      v.stock = Rand(6);
      d.variants.push_back(v);
    }
    return d;
  }
  ProductDraft ToTested(ProductDraft d) const {
    for (VariantDraft& v : d.variants) {
      if (v.id != 0) v.id = ids_.variants.ToTested(v.id);
    }
    return d;
  }
  // Pairs the ids of a product both sides just wrote (variants by position:
  // both order them by id).
  void LearnProduct(const Product& r, const Product& t) {
    bool fine = ids_.products.Learn(r.id, t.id) && r.variants.size() == t.variants.size();
    for (size_t i = 0; fine && i < r.variants.size(); ++i) {
      fine = ids_.variants.Learn(r.variants[i].id, t.variants[i].id);
    }
    if (std::find(products_.begin(), products_.end(), r.id) == products_.end()) {
      products_.push_back(r.id);
    }
    for (const Variant& v : r.variants) {
      if (std::find(variants_.begin(), variants_.end(), v.id) == variants_.end()) {
        variants_.push_back(v.id);
        skus_.push_back(v.sku);
      }
    }
    if (!fine) {
      ok_ = false;
      ADD_FAILURE() << "operation " << op_
                    << ": cannot pair the ids of\n  reference: " << Printer(nullptr).Of(r)
                    << "\n  tested:    " << Printer(&ids_).Of(t);
    }
  }

  // --- The operations ----------------------------------------------------------
  void Step() {
    const int64_t dice = Rand(100);
    if (dice < 4) return CreateUser();
    if (dice < 7) return ReadUser();
    if (dice < 9) return ChangeUser();
    if (dice < 16) return Sessions();
    if (dice < 24) return CreateProduct();
    if (dice < 31) return UpdateProduct();
    if (dice < 38) return AdjustStock();
    if (dice < 45) return ReadProduct();
    if (dice < 52) return ListProducts();
    if (dice < 66) return Carts();
    if (dice < 80) return PlaceOrder();
    if (dice < 85) return ReadOrders();
    if (dice < 89) return Transition();
    if (dice < 93) return Pay();
    if (dice < 95) return Expire();
    if (dice < 97) return Refund();
    if (dice < 98) return Settle();
    if (dice < 99) return GuestOrders();
    return Attach();
  }

  void CreateUser() {
    NewUser u{absl::StrCat("u", Rand(40), "@example.com"), absl::StrCat("$hash", Rand(3)),
              Chance(20) ? Role::kAdmin : Role::kCustomer, now_};
    auto r = ref_.CreateUser(u);
    auto t = tested_.CreateUser(u);
    if (r.ok() && t.ok()) {
      ids_.users.Learn(r->id, t->id);
      users_.push_back(r->id);
    }
    Same("CreateUser " + u.email, r, t);
  }
  void ReadUser() {
    if (Chance(50)) {
      const UserId id = AUser();
      Same(absl::StrCat("GetUserById ", id), ref_.GetUserById(id),
           tested_.GetUserById(ids_.users.ToTested(id)));
    } else {
      const std::string email = absl::StrCat("u", Rand(40), "@example.com");
      Same("GetUserByEmail " + email, ref_.GetUserByEmail(email), tested_.GetUserByEmail(email));
    }
  }
  void ChangeUser() {
    const UserId id = AUser();
    if (Chance(50)) {
      const std::string hash = absl::StrCat("$new", Rand(100));
      Same(absl::StrCat("UpdatePasswordHash ", id), ref_.UpdatePasswordHash(id, hash),
           tested_.UpdatePasswordHash(ids_.users.ToTested(id), hash));
    } else {
      const Role role = Chance(50) ? Role::kAdmin : Role::kCustomer;
      Same(absl::StrCat("SetUserRole ", id), ref_.SetUserRole(id, role),
           tested_.SetUserRole(ids_.users.ToTested(id), role));
    }
    Same(absl::StrCat("GetUserById after change ", id), ref_.GetUserById(id),
         tested_.GetUserById(ids_.users.ToTested(id)));
  }
  void Sessions() {
    const std::string token = absl::StrCat(std::string(60, 'a'), 1000 + Rand(16));
    switch (Rand(6)) {
      case 0:
      case 1: {
        const UserId user = AUser();  // sometimes one that does not exist
        // A user that does not exist gets a token never used: when the user
        // is missing AND the token is taken, memory and SQLite answer
        // NotFound, PostgreSQL AlreadyExists (reason internal); the
        // contract does not say which check comes first (seed 1, op 3414).
        const std::string t = users_.empty() || user >= kMissingBase
                                  ? absl::StrCat("orphan-", Rand(1'000'000))
                                  : token;
        SessionRecord s{t, user, now_ - absl::Minutes(Rand(60 * 24)), now_};
        SessionRecord st = s;
        st.user_id = ids_.users.ToTested(user);
        Same("CreateSession " + t, ref_.CreateSession(s), tested_.CreateSession(st));
        break;
      }
      case 2:
        Same("GetSession " + token, ref_.GetSession(token), tested_.GetSession(token));
        break;
      case 3:
        Same("TouchSession " + token, ref_.TouchSession(token, now_),
             tested_.TouchSession(token, now_));
        Same("GetSession after touch " + token, ref_.GetSession(token), tested_.GetSession(token));
        break;
      case 4:
        Same("DeleteSession " + token, ref_.DeleteSession(token), tested_.DeleteSession(token));
        break;
      case 5: {
        const absl::Time created = now_ - absl::Minutes(Rand(60 * 24));
        const absl::Time idle = now_ - absl::Minutes(Rand(60));
        Same("DeleteExpiredSessions", ref_.DeleteExpiredSessions(created, idle),
             tested_.DeleteExpiredSessions(created, idle));
        break;
      }
    }
  }
  void CreateProduct() {
    const ProductDraft d = RandomDraft();
    auto r = ref_.CreateProduct(d, now_);
    auto t = tested_.CreateProduct(d, now_);
    if (r.ok() && t.ok()) LearnProduct(*r, *t);
    Same("CreateProduct " + d.variants[0].sku, r, t);
  }
  void UpdateProduct() {
    const ProductId id = AProduct();
    auto current = ref_.GetProduct(id);
    ProductDraft d = RandomDraft();
    int64_t version = 1 + Rand(3);
    if (current.ok()) {
      d.brand = Chance(70) ? current->brand : d.brand;
      d.collections = Chance(70) ? current->collections : d.collections;
      d.active = Chance(15) ? !current->active : current->active;
      version = Chance(90) ? current->version : current->version + (Chance(50) ? 1 : -1);
      std::vector<VariantDraft> vs;
      for (const Variant& v : current->variants) {
        if (Chance(20)) continue;  // not named: kept
        VariantDraft vd;
        vd.id = v.id;
        vd.sku = Chance(5) ? Sku() : v.sku;
        vd.dial_color = v.dial_color;
        vd.strap = v.strap;
        vd.size = v.size;
        vd.price = Chance(30) ? Price(v.price.currency.code() == "EUR") : v.price;
        vd.stock = 99;  // ignored for existing variants
        vs.push_back(vd);
      }
      if (Chance(20)) vs.push_back(d.variants[0]);  // a new one
      if (Chance(3) && !variants_.empty()) {        // another product's
        VariantDraft foreign = d.variants[0];
        foreign.id = Pick(variants_);
        vs.push_back(foreign);
      }
      d.variants = vs;
    }
    auto r = ref_.UpdateProduct(id, version, d, now_);
    auto t = tested_.UpdateProduct(ids_.products.ToTested(id), version, ToTested(d), now_);
    if (r.ok() && t.ok()) LearnProduct(*r, *t);
    Same(absl::StrCat("UpdateProduct ", id, " v", version), r, t);
  }
  void AdjustStock() {
    const VariantId v = AVariant();
    const int64_t delta = Rand(9) - 4;
    Same(absl::StrCat("AdjustStock ", v, " by ", delta), ref_.AdjustStock(v, delta, now_),
         tested_.AdjustStock(ids_.variants.ToTested(v), delta, now_));
  }
  void ReadProduct() {
    switch (Rand(3)) {
      case 0: {
        const ProductId id = AProduct();
        Same(absl::StrCat("GetProduct ", id), ref_.GetProduct(id),
             tested_.GetProduct(ids_.products.ToTested(id)));
        break;
      }
      case 1: {
        const std::string sku = skus_.empty() || Chance(10) ? "NO-SUCH" : Pick(skus_);
        Same("FindProductIdBySku " + sku, Found(ref_.FindProductIdBySku(sku)),
             Found(tested_.FindProductIdBySku(sku)));
        break;
      }
      case 2: {
        const VariantId v = AVariant();
        Same(absl::StrCat("FindProductIdByVariant ", v), Found(ref_.FindProductIdByVariant(v)),
             Found(tested_.FindProductIdByVariant(ids_.variants.ToTested(v))));
        break;
      }
    }
  }
  void ListProducts() {
    static const char* kText[] = {"sea h", "ALDEN", "%", "field 1", "ik", "Å", "100%"};
    static const char* kBrands[] = {"ALDENMARK", "brevik", "Corvane", "ålden", "none"};
    static const char* kCollections[] = {"dive", "DRESS", "Pilot", "none"};
    ProductQuery q;
    if (Chance(20)) q.brand = kBrands[Rand(5)];
    if (Chance(20)) q.movement = static_cast<Movement>(Rand(6));
    if (Chance(20)) q.collection = kCollections[Rand(4)];
    if (Chance(20)) q.min_price_minor = 50'00 + Rand(20) * 10'00;
    if (Chance(20)) q.max_price_minor = 100'00 + Rand(20) * 10'00;
    if (Chance(15)) q.min_case_mm = static_cast<int32_t>(34 + Rand(12));
    if (Chance(15)) q.max_case_mm = static_cast<int32_t>(38 + Rand(12));
    q.in_stock_only = Chance(30);
    if (Chance(20)) q.text = kText[Rand(7)];
    q.include_archived = Chance(30);
    q.sort = static_cast<ProductSort>(Rand(5));
    q.limit = static_cast<int>(1 + Rand(Chance(20) ? 100 : 12));
    const std::string what = absl::StrCat(
        "ListProducts sort=", ProductSortName(q.sort), " limit=", q.limit,
        " brand=", q.brand.value_or("-"),
        " movement=", q.movement ? static_cast<int>(*q.movement) : -1,
        " collection=", q.collection.value_or("-"), " price=", q.min_price_minor.value_or(-1), "..",
        q.max_price_minor.value_or(-1), " case=", q.min_case_mm.value_or(-1), "..",
        q.max_case_mm.value_or(-1), " in_stock=", q.in_stock_only, " text='", q.text,
        "' archived=", q.include_archived);
    ProductQuery qt = q;
    for (int page = 0; page < 3; ++page) {
      auto r = ref_.ListProducts(q);
      auto t = tested_.ListProducts(qt);
      if (!Same(absl::StrCat(what, " page ", page), r, t) || !r.ok()) return;
      if (!r->has_more || r->items.empty()) return;
      q.after = internal::CursorAfter(r->items.back(), q);
      qt.after = internal::CursorAfter(t->items.back(), qt);
    }
  }
  void Carts() {
    const CartOwner owner = AnOwner();
    const std::string who =
        owner.is_user() ? absl::StrCat("user ", owner.user_id) : owner.guest_token_hash;
    switch (Rand(5)) {
      case 0:
      case 1: {
        const VariantId v = AVariant();
        const int64_t quantity = Rand(4);
        Same(absl::StrCat("SetCartItem ", who, " ", v, " x", quantity),
             ref_.SetCartItem(owner, v, quantity, now_),
             tested_.SetCartItem(ToTested(owner), ids_.variants.ToTested(v), quantity, now_));
        break;
      }
      case 2: {
        std::vector<CartItem> items, tested_items;
        std::vector<VariantId> chosen;
        const int n = static_cast<int>(Rand(4));
        for (int i = 0; i < n; ++i) {
          const VariantId v = AVariant();
          if (std::find(chosen.begin(), chosen.end(), v) != chosen.end()) continue;
          chosen.push_back(v);
          items.push_back(CartItem{v, 0, 1 + Rand(3), now_ + absl::Nanoseconds(i)});
          tested_items.push_back(items.back());
          tested_items.back().variant_id = ids_.variants.ToTested(v);
        }
        Same(absl::StrCat("ReplaceCart ", who, " with ", items.size()),
             ref_.ReplaceCart(owner, items), tested_.ReplaceCart(ToTested(owner), tested_items));
        break;
      }
      case 3:
        Same("DeleteCart " + who, ref_.DeleteCart(owner), tested_.DeleteCart(ToTested(owner)));
        break;
      case 4:
        break;
    }
    Same("GetCart " + who, ref_.GetCart(owner), tested_.GetCart(ToTested(owner)));
  }
  void PlaceOrder() {
    const bool guest = Chance(25);
    const UserId user = guest ? 0 : AUser();
    const std::string key = absl::StrCat("k", Rand(6));
    NewOrder o = AnOrder(user, key, {});
    if (guest) {
      o.guest_cart_hash = Chance(3) ? "" : absl::StrCat("guest-", Rand(4));
      o.guest_email = absl::StrCat("g", Rand(3), "@example.com");
      o.access_token_hash = absl::StrCat("link-", next_link_++);
    }
    o.payment_provider = Chance(50) ? "stripe" : "manual";
    if (Chance(70)) o.reserved_until = now_ + absl::Minutes(Rand(60));
    o.placed_from = Chance(20) ? "" : absl::StrCat("ip", Rand(3));
    if (Chance(30)) {
      o.max_unpaid_per_buyer = static_cast<int>(1 + Rand(3));
      o.max_unpaid_per_address = static_cast<int>(1 + Rand(5));
    }
    if (Chance(8)) o.request_fingerprint = "fp-other";
    o.now = now_;
    o.clear_user_cart = Chance(70);
    if (Chance(4)) o.currency = *Currency::FromCode("EUR");
    o.shipping.city = Chance(50) ? "London" : "Geneva";
    auto cart =
        ref_.GetCart(guest ? CartOwner::ForGuest(o.guest_cart_hash) : CartOwner::ForUser(user));
    if (cart.ok() && !cart->empty() && Chance(50)) {  // as a checkout does
      for (const CartItem& c : *cart) o.lines.push_back({c.variant_id, c.quantity});
    } else {
      const int n = static_cast<int>(Rand(4));
      for (int i = 0; i < n; ++i) o.lines.push_back({AVariant(), 1 + Rand(3)});
    }
    std::sort(o.lines.begin(), o.lines.end(),
              [](const auto& a, const auto& b) { return a.variant_id < b.variant_id; });
    if (!o.lines.empty() && Chance(3)) o.lines[0].quantity = -Rand(2);  // 0 or -1
    std::string what =
        absl::StrCat("PlaceOrder user ", user, " ", o.guest_cart_hash, " ", o.guest_email, " key ",
                     key, " fp ", o.request_fingerprint, " ", o.currency.code(), " lines");
    for (const auto& l : o.lines) absl::StrAppend(&what, " ", l.variant_id, "x", l.quantity);
    NewOrder ot = o;
    ot.user_id = ids_.users.ToTested(user);
    for (auto& l : ot.lines) l.variant_id = ids_.variants.ToTested(l.variant_id);
    auto r = ref_.PlaceOrder(o);
    auto t = tested_.PlaceOrder(ot);
    if (r.ok() && t.ok() && !r->replayed) {
      ids_.orders.Learn(r->order.id, t->order.id);
      orders_.push_back(r->order.id);
    }
    Same(what, r, t);
  }
  void ReadOrders() {
    if (Chance(40)) {
      const OrderId id = AnOrderId();
      Same(absl::StrCat("GetOrder ", id), ref_.GetOrder(id),
           tested_.GetOrder(ids_.orders.ToTested(id)));
      return;
    }
    OrderQuery q;
    if (Chance(60)) q.user_id = AUser();
    if (Chance(30)) q.status = static_cast<OrderStatus>(Rand(7));
    q.refund_due_only = Chance(10);
    q.limit = static_cast<int>(1 + Rand(10));
    OrderQuery qt = q;
    if (q.user_id) qt.user_id = ids_.users.ToTested(*q.user_id);
    const std::string what = absl::StrCat("ListOrders user ", q.user_id.value_or(0), " status ",
                                          q.status ? OrderStatusName(*q.status) : "-", " limit ",
                                          q.limit, q.refund_due_only ? " refund due" : "");
    for (int page = 0; page < 3; ++page) {
      auto r = ref_.ListOrders(q);
      auto t = tested_.ListOrders(qt);
      if (!Same(absl::StrCat(what, " page ", page), r, t) || !r.ok()) return;
      if (!r->has_more || r->items.empty()) return;
      q.before_id = r->items.back().id;
      qt.before_id = t->items.back().id;
    }
  }
  void Transition() {
    const OrderId id = AnOrderId();
    auto current = ref_.GetOrder(id);
    const OrderStatus from =
        current.ok() && Chance(75) ? current->status : static_cast<OrderStatus>(Rand(7));
    OrderStatus to = static_cast<OrderStatus>(Rand(7));
    const bool legal = Chance(60);
    for (int tries = 0; legal && tries < 8 && !IsLegalTransition(from, to); ++tries) {
      to = static_cast<OrderStatus>(Rand(7));  // mostly legal moves
    }
    Same(
        absl::StrCat("TransitionOrder ", id, " ", OrderStatusName(from), "->", OrderStatusName(to)),
        ref_.TransitionOrder(id, from, to, now_),
        tested_.TransitionOrder(ids_.orders.ToTested(id), from, to, now_));
  }

  // A provider's word on a payment: mostly the order's own, sometimes wrong.
  void Pay() {
    const OrderId id = AnOrderId();
    auto current = ref_.GetOrder(id);
    PaymentUpdate u;
    u.order_id = id;
    u.event_id = Chance(85) ? absl::StrCat("evt", Rand(40)) : "";
    // The order's own reference; another only where one is recorded (a
    // reference is unique per provider, and the provider never mixes them).
    u.payment.reference = absl::StrCat("pi-", id);
    if (current.ok() && !current->payment.reference.empty() && Chance(5)) {
      u.payment.reference = "pi-wrong";
    }
    u.payment.state = static_cast<PaymentState>(Rand(6));
    u.payment.amount = current.ok() ? current->payment.amount : Usd(100);
    if (Chance(5)) u.payment.amount.minor_units += 1;
    u.payment.refunded = Money{0, u.payment.amount.currency};
    if (Chance(10)) u.payment.refunded.minor_units = Rand(u.payment.amount.minor_units + 2);
    u.now = now_;
    OutboxDraft mail;
    mail.message_id = absl::StrCat("<paid-", op_, "@model>");
    mail.kind = "order_paid";
    mail.recipient = "a@example.com";
    mail.created_at = now_;
    u.outbox_if_paid.push_back(mail);
    PaymentUpdate ut = u;
    ut.order_id = ids_.orders.ToTested(id);
    Same(absl::StrCat("ApplyPaymentUpdate ", id, " ", u.event_id, " ", u.payment.reference, " ",
                      PaymentStateName(u.payment.state), " ", Printer::M(u.payment.amount)),
         ref_.ApplyPaymentUpdate(u), tested_.ApplyPaymentUpdate(ut));
  }
  void Expire() {
    const int limit = static_cast<int>(Rand(4));
    Same(absl::StrCat("ExpireReservations limit ", limit), ref_.ExpireReservations(now_, limit),
         tested_.ExpireReservations(now_, limit));
  }
  void Refund() {
    const OrderId id = AnOrderId();
    auto current = ref_.GetOrder(id);
    RefundRequest r;
    r.order_id = id;
    if (current.ok() && !current->lines.empty() && Chance(60)) {
      const OrderLine& l = Pick(current->lines);
      r.lines.push_back({l.variant_id, Rand(l.quantity + 1)});
    } else if (Chance(20)) {
      r.lines.push_back({AVariant(), 1});
    }
    r.restock = Chance(70);
    r.now = now_;
    OutboxDraft mail;
    mail.message_id = absl::StrCat("<refund-", op_, "@model>");
    mail.kind = "order_refunded";
    mail.recipient = "a@example.com";
    mail.created_at = now_;
    r.outbox.push_back(mail);
    RefundRequest rt = r;
    rt.order_id = ids_.orders.ToTested(id);
    for (auto& l : rt.lines) l.variant_id = ids_.variants.ToTested(l.variant_id);
    std::string what = absl::StrCat("RefundOrder ", id, r.restock ? " restock" : "");
    for (const auto& l : r.lines) absl::StrAppend(&what, " ", l.variant_id, "x", l.quantity);
    Same(what, ref_.RefundOrder(r), tested_.RefundOrder(rt));
  }
  void Settle() {
    const OrderId id = AnOrderId();
    auto current = ref_.GetOrder(id);
    Money amount = current.ok() ? current->refund_due : Usd(1);
    amount.minor_units = Rand(amount.minor_units + 2);
    Same(absl::StrCat("SettleRefund ", id, " ", Printer::M(amount)),
         ref_.SettleRefund(id, amount, now_),
         tested_.SettleRefund(ids_.orders.ToTested(id), amount, now_));
  }
  void GuestOrders() {
    switch (Rand(3)) {
      case 0: {
        const std::string email = absl::StrCat("g", Rand(3), "@example.com");
        const UserId user = AUser();
        Same(absl::StrCat("ClaimGuestOrders ", email, " ", user),
             ref_.ClaimGuestOrders(email, user),
             tested_.ClaimGuestOrders(email, ids_.users.ToTested(user)));
        break;
      }
      case 1: {
        const std::string link = absl::StrCat("link-", Rand(next_link_ + 1));
        Same("GetOrderByAccessToken " + link, ref_.GetOrderByAccessToken(link),
             tested_.GetOrderByAccessToken(link));
        break;
      }
      case 2: {
        const std::string reference = absl::StrCat("pi-", AnOrderId());
        const std::string provider = Chance(50) ? "stripe" : "manual";
        Same("GetOrderByPaymentReference " + provider + " " + reference,
             ref_.GetOrderByPaymentReference(provider, reference),
             tested_.GetOrderByPaymentReference(provider, reference));
        break;
      }
    }
  }
  void Attach() {
    const OrderId id = AnOrderId();
    auto current = ref_.GetOrder(id);
    ProviderPayment p;
    p.reference = absl::StrCat("pi-", id);
    if (Chance(10)) p.reference = Chance(50) ? "" : absl::StrCat("pi-", AnOrderId());
    p.amount = current.ok() ? current->payment.amount : Usd(100);
    if (Chance(5)) p.amount.minor_units += 1;
    p.client_secret = absl::StrCat("secret-", Rand(3));
    Same(absl::StrCat("AttachPayment ", id, " ", p.reference), ref_.AttachPayment(id, p),
         tested_.AttachPayment(ids_.orders.ToTested(id), p));
  }

  Storage& ref_;
  Storage& tested_;
  std::mt19937_64 rng_;
  Ids ids_;
  int64_t op_ = 0;
  bool ok_ = true;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  int64_t next_sku_ = 0;
  int64_t next_link_ = 0;
  std::vector<UserId> users_;
  std::vector<ProductId> products_;
  std::vector<VariantId> variants_;
  std::vector<std::string> skus_;
  std::vector<OrderId> orders_;
  std::map<std::string, std::pair<int, int>> tally_;  // ok, refused
};

TEST_P(StorageModelTest, RandomOperationsMatchTheMemoryReference) {
  const uint64_t seed = static_cast<uint64_t>(EnvInt("WATCHSTORE_MODEL_SEED", 1));
  const int64_t ops = EnvInt("WATCHSTORE_MODEL_OPS", 10'000);
  SCOPED_TRACE(absl::StrCat("WATCHSTORE_MODEL_SEED=", seed, " WATCHSTORE_MODEL_OPS=", ops));
  const absl::Time start = absl::Now();
  Model model(*reference_, *tested_, seed);
  EXPECT_TRUE(model.Run(ops));
  std::cout << GetParam().name << ": " << ops << " operations in " << absl::Now() - start
            << "\nresults ok/refused: " << model.Tally() << "\n";
}

}  // namespace
}  // namespace watchstore::testing
