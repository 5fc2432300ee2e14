// The in-memory Storage: the reference implementation. One mutex guards all
// state, so every method is trivially atomic; simplicity over speed.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/listing.h"
#include "sync.h"
#include "watchstore/errors.h"
#include "watchstore/order_rules.h"
#include "watchstore/search.h"
#include "watchstore/status_macros.h"
#include "watchstore/storage.h"

namespace watchstore {
namespace {

std::string OwnerKey(const CartOwner& o) {
  return o.is_user() ? absl::StrCat("u:", o.user_id) : absl::StrCat("g:", o.guest_token_hash);
}

class MemoryStorage final : public Storage {
 public:
  // --- Users ---
  absl::StatusOr<User> CreateUser(const NewUser& u) override {
    internal::MutexLock lock(&mu_);
    if (user_by_email_.contains(u.email)) {
      return MakeError(absl::StatusCode::kAlreadyExists, reason::kEmailTaken,
                       "email already registered", "email");
    }
    User user{next_user_id_++, u.email, u.password_hash, u.role, u.created_at, std::nullopt};
    for (AccountToken t : u.tokens) {
      if (tokens_.contains(t.token_hash)) return absl::AlreadyExistsError("token exists");
    }
    user_by_email_[user.email] = user.id;
    users_[user.id] = user;
    for (AccountToken t : u.tokens) {
      t.user_id = user.id;
      tokens_[t.token_hash] = t;
    }
    for (const OutboxDraft& d : u.outbox) Enqueue(d);
    return user;
  }
  absl::StatusOr<User> GetUserById(UserId id) override {
    internal::MutexLock lock(&mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    return it->second;
  }
  absl::StatusOr<User> GetUserByEmail(absl::string_view email) override {
    internal::MutexLock lock(&mu_);
    auto it = user_by_email_.find(email);
    if (it == user_by_email_.end()) return absl::NotFoundError("no such user");
    return users_.at(it->second);
  }
  absl::Status UpdatePasswordHash(UserId id, absl::string_view hash) override {
    internal::MutexLock lock(&mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    it->second.password_hash = std::string(hash);
    return absl::OkStatus();
  }
  absl::Status SetUserRole(UserId id, Role role) override {
    internal::MutexLock lock(&mu_);
    auto it = users_.find(id);
    if (it == users_.end()) return absl::NotFoundError("no such user");
    it->second.role = role;
    return absl::OkStatus();
  }

  // --- Sessions ---
  absl::Status CreateSession(const SessionRecord& s) override {
    internal::MutexLock lock(&mu_);
    if (!users_.contains(s.user_id)) return absl::NotFoundError("no such user");
    if (!sessions_.emplace(s.token_hash, s).second) {
      return absl::AlreadyExistsError("session exists");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<SessionRecord> GetSession(absl::string_view token_hash) override {
    internal::MutexLock lock(&mu_);
    auto it = sessions_.find(token_hash);
    if (it == sessions_.end()) return absl::NotFoundError("no such session");
    return it->second;
  }
  absl::Status TouchSession(absl::string_view token_hash, absl::Time t) override {
    internal::MutexLock lock(&mu_);
    auto it = sessions_.find(token_hash);
    if (it == sessions_.end()) return absl::NotFoundError("no such session");
    it->second.last_seen_at = t;
    return absl::OkStatus();
  }
  absl::Status DeleteSession(absl::string_view token_hash) override {
    internal::MutexLock lock(&mu_);
    auto it = sessions_.find(token_hash);
    if (it != sessions_.end()) sessions_.erase(it);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> DeleteUserSessions(
      UserId user_id, absl::string_view keep_token_hash) override {
    internal::MutexLock lock(&mu_);
    return DropSessionsOf(user_id, keep_token_hash);
  }

  // --- Account tokens ---
  absl::Status IssueAccountToken(const AccountToken& token,
                                 const std::vector<OutboxDraft>& mail) override {
    internal::MutexLock lock(&mu_);
    if (!users_.contains(token.user_id)) return absl::NotFoundError("no such user");
    if (!tokens_.emplace(token.token_hash, token).second) {
      return absl::AlreadyExistsError("token exists");
    }
    for (const OutboxDraft& d : mail) Enqueue(d);
    return absl::OkStatus();
  }
  absl::StatusOr<AccountToken> GetAccountToken(absl::string_view token_hash) override {
    internal::MutexLock lock(&mu_);
    auto it = tokens_.find(token_hash);
    if (it == tokens_.end()) return absl::NotFoundError("no such token");
    return it->second;
  }
  absl::StatusOr<RedeemResult> RedeemAccountToken(const TokenRedemption& r) override {
    internal::MutexLock lock(&mu_);
    auto it = tokens_.find(r.token_hash);
    if (it == tokens_.end()) return absl::NotFoundError("no such token");
    AccountToken& token = it->second;
    WS_RETURN_IF_ERROR(CheckRedeemable(token, r.purpose, r.now));
    auto uit = users_.find(token.user_id);
    if (uit == users_.end()) return absl::NotFoundError("no such user");
    User& user = uit->second;
    RedeemResult result;
    switch (r.purpose) {
      case TokenPurpose::kVerifyEmail:
        if (user.email != token.email) {
          return MakeError(absl::StatusCode::kFailedPrecondition, reason::kTokenInvalid,
                           "the account's email address has changed since");
        }
        user.email_verified_at = r.now;
        break;
      case TokenPurpose::kResetPassword:
        user.password_hash = r.new_password_hash;
        result.revoked_session_hashes = DropSessionsOf(user.id, "");
        break;
      case TokenPurpose::kChangeEmail:
        if (user_by_email_.contains(token.email)) {
          return MakeError(absl::StatusCode::kAlreadyExists, reason::kEmailTaken,
                           "email already registered", "email");
        }
        user_by_email_.erase(user.email);
        user.email = token.email;
        user_by_email_[user.email] = user.id;
        user.email_verified_at = r.now;
        break;
    }
    token.used_at = r.now;
    for (const OutboxDraft& d : r.outbox) Enqueue(d);
    result.user = user;
    return result;
  }

  // --- Outbox ---
  absl::StatusOr<std::vector<OutboxMessage>> ClaimOutbox(absl::Time now, int limit,
                                                         absl::Duration lease) override {
    internal::MutexLock lock(&mu_);
    std::vector<OutboxMessage> claimed;
    for (auto& [id, m] : outbox_) {
      if (static_cast<int>(claimed.size()) >= limit) break;
      if (m.state != OutboxState::kPending || m.next_attempt_at > now) continue;
      ++m.attempts;
      m.next_attempt_at = now + lease;
      claimed.push_back(m);
    }
    return claimed;
  }
  absl::Status MarkOutboxSent(OutboxId id, absl::Time) override {
    internal::MutexLock lock(&mu_);
    auto it = outbox_.find(id);
    if (it == outbox_.end()) return absl::NotFoundError("no such message");
    it->second.state = OutboxState::kSent;
    it->second.last_error.clear();
    return absl::OkStatus();
  }
  absl::Status MarkOutboxFailed(OutboxId id, absl::Time retry_at, absl::string_view error,
                                bool dead) override {
    internal::MutexLock lock(&mu_);
    auto it = outbox_.find(id);
    if (it == outbox_.end()) return absl::NotFoundError("no such message");
    if (it->second.state == OutboxState::kSent) return absl::OkStatus();
    it->second.state = dead ? OutboxState::kDead : OutboxState::kPending;
    it->second.next_attempt_at = retry_at;
    it->second.last_error = std::string(error);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<OutboxMessage>> ListOutbox(OutboxState state, int limit) override {
    internal::MutexLock lock(&mu_);
    std::vector<OutboxMessage> out;
    for (const auto& [id, m] : outbox_) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (m.state == state) out.push_back(m);
    }
    return out;
  }
  absl::Status RequeueOutbox(OutboxId id, absl::Time now) override {
    internal::MutexLock lock(&mu_);
    auto it = outbox_.find(id);
    if (it == outbox_.end() || it->second.state != OutboxState::kDead) {
      return absl::NotFoundError("no such dead message");
    }
    it->second.state = OutboxState::kPending;
    it->second.attempts = 0;
    it->second.next_attempt_at = now;
    return absl::OkStatus();
  }
  absl::StatusOr<OutboxStats> GetOutboxStats() override {
    internal::MutexLock lock(&mu_);
    OutboxStats stats;
    for (const auto& [id, m] : outbox_) {
      if (m.state == OutboxState::kDead) ++stats.dead;
      if (m.state != OutboxState::kPending) continue;
      ++stats.pending;
      if (!stats.oldest_pending_created_at || m.draft.created_at < *stats.oldest_pending_created_at)
        stats.oldest_pending_created_at = m.draft.created_at;
    }
    return stats;
  }

  absl::StatusOr<int64_t> DeleteExpiredSessions(absl::Time created_before,
                                                absl::Time idle_before) override {
    internal::MutexLock lock(&mu_);
    int64_t n = 0;
    absl::erase_if(sessions_, [&](const auto& kv) {
      bool dead = kv.second.created_at < created_before || kv.second.last_seen_at < idle_before;
      n += dead;
      return dead;
    });
    return n;
  }

  // --- Products ---
  absl::StatusOr<Product> CreateProduct(const ProductDraft& d, absl::Time now) override {
    internal::MutexLock lock(&mu_);
    WS_RETURN_IF_ERROR(CheckSkusFree(d, 0));
    for (const VariantDraft& vd : d.variants) {
      if (vd.id != 0) return InvalidField("variants", "a new product's variants have no id");
    }
    WS_ASSIGN_OR_RETURN(std::string slug, ChooseSlug(d, 0, "", SlugOwner()));
    Product p;
    p.id = next_product_id_++;
    ApplyDraft(d, &p);
    p.slug = std::move(slug);
    product_of_slug_[p.slug] = p.id;
    p.version = 1;
    p.created_at = p.updated_at = now;
    for (const VariantDraft& vd : d.variants) p.variants.push_back(NewVariant(vd, p.id));
    Index(p);
    products_[p.id] = p;
    return p;
  }

  absl::StatusOr<Product> UpdateProduct(ProductId id, int64_t expected_version,
                                        const ProductDraft& d, absl::Time now) override {
    internal::MutexLock lock(&mu_);
    auto it = products_.find(id);
    if (it == products_.end()) return absl::NotFoundError("no such product");
    Product p = it->second;
    if (p.version != expected_version) {
      return MakeError(absl::StatusCode::kAborted, reason::kVersionConflict,
                       absl::StrCat("product changed (version ", p.version, ")"), "version");
    }
    for (const VariantDraft& vd : d.variants) {
      if (vd.id != 0 && p.FindVariant(vd.id) == nullptr) {
        return InvalidField("variants", absl::StrCat("variant ", vd.id, " is not of this product"));
      }
    }
    WS_RETURN_IF_ERROR(CheckSkusFree(d, id));
    WS_ASSIGN_OR_RETURN(std::string slug, ChooseSlug(d, id, p.slug, SlugOwner()));
    Unindex(p);
    ApplyDraft(d, &p);
    p.slug = std::move(slug);
    product_of_slug_[p.slug] = id;
    for (const VariantDraft& vd : d.variants) {
      if (vd.id == 0) {
        p.variants.push_back(NewVariant(vd, p.id));
        continue;
      }
      for (Variant& v : p.variants) {
        if (v.id != vd.id) continue;
        v.sku = vd.sku;
        v.dial_color = vd.dial_color;
        v.strap = vd.strap;
        v.size = vd.size;
        v.price = vd.price;
      }
    }
    ++p.version;
    p.updated_at = now;
    Index(p);
    it->second = p;
    return p;
  }

  absl::StatusOr<Product> AdjustStock(VariantId variant_id, int64_t delta,
                                      absl::Time now) override {
    internal::MutexLock lock(&mu_);
    auto vit = product_of_variant_.find(variant_id);
    if (vit == product_of_variant_.end()) return absl::NotFoundError("no such variant");
    Product& p = products_.at(vit->second);
    for (Variant& v : p.variants) {
      if (v.id != variant_id) continue;
      int64_t after = 0;
      if (__builtin_add_overflow(v.stock, delta, &after) || after < 0) {
        return MakeError(absl::StatusCode::kFailedPrecondition, reason::kOutOfStock,
                         absl::StrCat("stock of ", v.sku, " cannot go below zero"), "delta");
      }
      v.stock = after;
    }
    ++p.version;
    p.updated_at = now;
    return p;
  }

  absl::StatusOr<Product> GetProduct(ProductId id) override {
    internal::MutexLock lock(&mu_);
    auto it = products_.find(id);
    if (it == products_.end()) return absl::NotFoundError("no such product");
    return it->second;
  }

  absl::StatusOr<ProductId> FindProductIdBySku(absl::string_view sku) override {
    internal::MutexLock lock(&mu_);
    auto it = variant_by_sku_.find(sku);
    if (it == variant_by_sku_.end()) return absl::NotFoundError("no such SKU");
    return product_of_variant_.at(it->second);
  }

  absl::StatusOr<ProductId> FindProductIdByVariant(VariantId variant_id) override {
    internal::MutexLock lock(&mu_);
    auto it = product_of_variant_.find(variant_id);
    if (it == product_of_variant_.end()) return absl::NotFoundError("no such variant");
    return it->second;
  }

  absl::StatusOr<SlugTarget> ResolveSlug(absl::string_view slug) override {
    internal::MutexLock lock(&mu_);
    auto it = product_of_slug_.find(slug);
    if (it == product_of_slug_.end()) return absl::NotFoundError("no such slug");
    return SlugTarget{it->second, products_.at(it->second).slug};
  }

  absl::Status PutCollection(const CollectionInfo& c) override {
    internal::MutexLock lock(&mu_);
    collections_[c.slug] = c;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<CollectionInfo>> ListCollections() override {
    internal::MutexLock lock(&mu_);
    std::vector<CollectionInfo> out;
    for (const auto& [slug, c] : collections_) out.push_back(c);
    return out;
  }

  absl::StatusOr<ProductPage> ListProducts(const ProductQuery& q) override {
    WS_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseSearchQuery(q.text));
    internal::MutexLock lock(&mu_);
    std::vector<std::pair<ProductCursor, const Product*>> hits;
    for (const auto& [id, p] : products_) {
      if (!internal::MatchesFilters(p, q)) continue;
      ProductCursor key = internal::CursorAfter(p, words);
      if (q.after && !internal::KeySortsBefore(*q.after, key, q.sort)) continue;
      hits.emplace_back(std::move(key), &p);
    }
    const size_t limit = static_cast<size_t>(std::max(q.limit, 1));
    const size_t keep = std::min(hits.size(), limit + 1);
    std::partial_sort(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(keep), hits.end(),
                      [&](const auto& a, const auto& b) {
                        return internal::KeySortsBefore(a.first, b.first, q.sort);
                      });
    ProductPage page;
    page.has_more = hits.size() > limit;
    for (size_t i = 0; i < std::min(hits.size(), limit); ++i) {
      page.items.push_back(*hits[i].second);
      page.items.back().images.clear();  // as the SQL adapters: cards need only image_url
    }
    return page;
  }

  absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& q) override {
    WS_RETURN_IF_ERROR(ParseSearchQuery(q.text).status());
    internal::MutexLock lock(&mu_);
    std::vector<const Product*> all;
    all.reserve(products_.size());
    for (const auto& [id, p] : products_) all.push_back(&p);
    return internal::CountFacetsOf(all, q);
  }

  // --- Carts ---
  absl::StatusOr<std::vector<CartItem>> GetCart(const CartOwner& owner) override {
    internal::MutexLock lock(&mu_);
    auto it = carts_.find(OwnerKey(owner));
    if (it == carts_.end()) return std::vector<CartItem>{};
    std::vector<CartItem> items = it->second;
    for (CartItem& c : items) c.product_id = product_of_variant_.at(c.variant_id);
    return items;
  }
  absl::Status SetCartItem(const CartOwner& owner, VariantId variant_id, int64_t quantity,
                           absl::Time now) override {
    internal::MutexLock lock(&mu_);
    if (!product_of_variant_.contains(variant_id)) return absl::NotFoundError("no such variant");
    auto& items = carts_[OwnerKey(owner)];
    auto it = std::find_if(items.begin(), items.end(),
                           [&](const CartItem& c) { return c.variant_id == variant_id; });
    if (quantity <= 0) {
      if (it != items.end()) items.erase(it);
    } else if (it != items.end()) {
      it->quantity = quantity;
    } else {
      items.push_back(CartItem{variant_id, 0, quantity, now});
    }
    if (items.empty()) carts_.erase(OwnerKey(owner));
    return absl::OkStatus();
  }
  absl::Status ReplaceCart(const CartOwner& owner, const std::vector<CartItem>& items) override {
    internal::MutexLock lock(&mu_);
    for (const CartItem& c : items) {
      if (!product_of_variant_.contains(c.variant_id))
        return absl::NotFoundError("no such variant");
    }
    std::vector<CartItem> sorted = items;
    std::stable_sort(sorted.begin(), sorted.end(), [](const CartItem& a, const CartItem& b) {
      return std::tie(a.added_at, a.variant_id) < std::tie(b.added_at, b.variant_id);
    });
    if (sorted.empty()) {
      carts_.erase(OwnerKey(owner));
    } else {
      carts_[OwnerKey(owner)] = std::move(sorted);
    }
    return absl::OkStatus();
  }
  absl::Status DeleteCart(const CartOwner& owner) override {
    internal::MutexLock lock(&mu_);
    carts_.erase(OwnerKey(owner));
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> DeleteExpiredGuestCarts(absl::Time added_before) override {
    internal::MutexLock lock(&mu_);
    const std::string guest = OwnerKey(CartOwner::ForGuest(""));
    int64_t n = 0;
    absl::erase_if(carts_, [&](const auto& kv) {
      if (!absl::StartsWith(kv.first, guest)) return false;
      const bool expired = std::all_of(kv.second.begin(), kv.second.end(), [&](const CartItem& i) {
        return i.added_at < added_before;
      });
      n += expired;
      return expired;
    });
    return n;
  }

  // --- Orders ---
  absl::StatusOr<PlaceOrderResult> PlaceOrder(const NewOrder& o) override {
    internal::MutexLock lock(&mu_);
    const bool guest = o.user_id == 0;
    const std::string scope = guest ? absl::StrCat("g:", o.guest_cart_hash) : std::string();
    auto key = std::make_tuple(o.user_id, scope, o.idempotency_key);
    if (auto it = order_by_key_.find(key); it != order_by_key_.end()) {
      return ReplayOrder(orders_.at(it->second), o);
    }
    if (guest ? o.guest_cart_hash.empty() || o.guest_email.empty() : !users_.contains(o.user_id)) {
      return absl::NotFoundError("no such user");
    }
    if (o.max_unpaid_per_buyer > 0 || o.max_unpaid_per_address > 0) {
      int64_t by_buyer = 0, by_address = 0;
      for (const auto& [id, other] : orders_) {
        if (other.status != OrderStatus::kPending) continue;
        if (guest ? other.user_id == 0 && other.guest_email == o.guest_email
                  : other.user_id == o.user_id) {
          ++by_buyer;
        }
        if (!o.placed_from.empty() && placed_from_[id] == o.placed_from) ++by_address;
      }
      WS_RETURN_IF_ERROR(CheckUnpaidOrderCaps(o, by_buyer, by_address));
    }
    WS_ASSIGN_OR_RETURN(OrderPlan plan, PlanOrder(o, ReadVariants()));
    // Every check passed: take the stock. Nothing below can fail.
    WriteStock(plan.stock_changes, o.now);
    Order& order = plan.order;
    order.id = next_order_id_++;
    order.number = OrderNumberFor(order.id);
    orders_[order.id] = order;
    order_by_key_[key] = order.id;
    placed_from_[order.id] = o.placed_from;
    if (o.clear_user_cart) {
      carts_.erase(
          OwnerKey(guest ? CartOwner::ForGuest(o.guest_cart_hash) : CartOwner::ForUser(o.user_id)));
    }
    for (OutboxDraft d : o.outbox) {
      d.order_id = order.id;
      Enqueue(d);
    }
    return PlaceOrderResult{std::move(order), false, std::move(plan.stock_changes)};
  }

  absl::StatusOr<Order> GetOrder(OrderId id) override {
    internal::MutexLock lock(&mu_);
    auto it = orders_.find(id);
    if (it == orders_.end()) return absl::NotFoundError("no such order");
    return it->second;
  }

  absl::StatusOr<OrderPage> ListOrders(const OrderQuery& q) override {
    internal::MutexLock lock(&mu_);
    OrderPage page;
    auto it = q.before_id ? orders_.lower_bound(*q.before_id) : orders_.end();
    const size_t limit = static_cast<size_t>(std::max(q.limit, 1));
    while (it != orders_.begin()) {
      --it;
      const Order& o = it->second;
      if (q.user_id && o.user_id != *q.user_id) continue;
      if (q.status && o.status != *q.status) continue;
      if (q.refund_due_only && o.refund_due.minor_units <= 0) continue;
      if (page.items.size() == limit) {
        page.has_more = true;
        break;
      }
      page.items.push_back(o);
    }
    return page;
  }

  absl::StatusOr<TransitionResult> TransitionOrder(
      OrderId id, OrderStatus from, OrderStatus to, absl::Time now,
      const std::vector<OutboxDraft>& outbox) override {
    internal::MutexLock lock(&mu_);
    auto it = orders_.find(id);
    if (it == orders_.end()) return absl::NotFoundError("no such order");
    Order& o = it->second;
    WS_RETURN_IF_ERROR(CheckTransition(o, from, to));
    TransitionResult result;
    if (to == OrderStatus::kCancelled || to == OrderStatus::kExpired) {
      result.stock_changes = Restock(o, now);
    }
    if (from == OrderStatus::kPaid && to == OrderStatus::kCancelled) o.refund_due = o.total;
    o.status = to;
    o.updated_at = now;
    for (const OutboxDraft& d : outbox) Enqueue(d);
    result.order = o;
    return result;
  }

  absl::StatusOr<Order> GetOrderByAccessToken(absl::string_view token_hash) override {
    internal::MutexLock lock(&mu_);
    for (const auto& [id, o] : orders_) {
      if (!token_hash.empty() && o.access_token_hash == token_hash) return o;
    }
    return absl::NotFoundError("no such order");
  }

  absl::StatusOr<Order> GetOrderByPaymentReference(absl::string_view provider,
                                                   absl::string_view reference) override {
    internal::MutexLock lock(&mu_);
    for (const auto& [id, o] : orders_) {
      if (!reference.empty() && o.payment.provider == provider &&
          o.payment.reference == reference) {
        return o;
      }
    }
    return absl::NotFoundError("no such order");
  }

  absl::StatusOr<int64_t> ClaimGuestOrders(absl::string_view email, UserId user_id) override {
    internal::MutexLock lock(&mu_);
    if (!users_.contains(user_id)) return absl::NotFoundError("no such user");
    int64_t n = 0;
    for (auto& [id, o] : orders_) {
      if (o.user_id != 0 || email.empty() || o.guest_email != email) continue;
      o.user_id = user_id;
      ++n;
    }
    return n;
  }

  absl::StatusOr<Order> AttachPayment(OrderId id, const ProviderPayment& payment) override {
    internal::MutexLock lock(&mu_);
    auto it = orders_.find(id);
    if (it == orders_.end()) return absl::NotFoundError("no such order");
    WS_ASSIGN_OR_RETURN(Order attached, PlanAttachPayment(it->second, payment));
    WS_RETURN_IF_ERROR(CheckReferenceFree(it->second, attached));
    it->second = attached;
    return it->second;
  }

  absl::StatusOr<PaymentUpdateResult> ApplyPaymentUpdate(const PaymentUpdate& u) override {
    internal::MutexLock lock(&mu_);
    auto it = orders_.find(u.order_id);
    if (it == orders_.end()) return absl::NotFoundError("no such order");
    Order& o = it->second;
    PaymentUpdateResult result;
    const auto event = std::make_pair(o.payment.provider, u.event_id);
    if (!u.event_id.empty() && payment_events_.contains(event)) {
      result.order = o;
      result.duplicate = true;
      return result;
    }
    WS_ASSIGN_OR_RETURN(PaymentPlan plan, PlanPaymentUpdate(o, u, ReadVariants()));
    WS_RETURN_IF_ERROR(CheckReferenceFree(o, plan.order));
    WriteStock(plan.stock_changes, u.now);
    if (!u.event_id.empty()) payment_events_.insert(event);
    if (plan.became_paid) {
      for (OutboxDraft d : u.outbox_if_paid) {
        d.order_id = o.id;
        Enqueue(d);
      }
    }
    o = plan.order;
    result.order = o;
    result.changed = plan.changed;
    result.stock_changes = std::move(plan.stock_changes);
    return result;
  }

  absl::StatusOr<std::vector<TransitionResult>> ExpireReservations(absl::Time now,
                                                                   int limit) override {
    internal::MutexLock lock(&mu_);
    std::vector<Order*> due;
    for (auto& [id, o] : orders_) {
      if (o.status == OrderStatus::kPending && o.reserved_until <= now) due.push_back(&o);
    }
    std::sort(due.begin(), due.end(), [](const Order* a, const Order* b) {
      return std::tie(a->reserved_until, a->id) < std::tie(b->reserved_until, b->id);
    });
    if (due.size() > static_cast<size_t>(std::max(limit, 0))) due.resize(std::max(limit, 0));
    std::vector<TransitionResult> expired;
    for (Order* o : due) {
      TransitionResult r;
      r.stock_changes = Restock(*o, now);
      o->status = OrderStatus::kExpired;
      o->updated_at = now;
      r.order = *o;
      expired.push_back(std::move(r));
    }
    return expired;
  }

  absl::StatusOr<TransitionResult> RefundOrder(const RefundRequest& request) override {
    internal::MutexLock lock(&mu_);
    auto it = orders_.find(request.order_id);
    if (it == orders_.end()) return absl::NotFoundError("no such order");
    WS_ASSIGN_OR_RETURN(RefundPlan plan, PlanRefund(it->second, request, ReadVariants()));
    WriteStock(plan.stock_changes, request.now);
    it->second = plan.order;
    for (const OutboxDraft& d : request.outbox) Enqueue(d);
    return TransitionResult{it->second, std::move(plan.stock_changes)};
  }

  absl::StatusOr<Order> SettleRefund(OrderId id, const Money& amount, absl::Time now) override {
    internal::MutexLock lock(&mu_);
    auto it = orders_.find(id);
    if (it == orders_.end()) return absl::NotFoundError("no such order");
    WS_ASSIGN_OR_RETURN(Order settled, PlanSettleRefund(it->second, amount, now));
    it->second = settled;
    return settled;
  }

  absl::Status Ping() override { return absl::OkStatus(); }
  absl::string_view Kind() const override { return "memory"; }

 private:
  // FailedPrecondition (payment_mismatch) if `after` records a payment
  // reference that another order of its provider holds.
  absl::Status CheckReferenceFree(const Order& before, const Order& after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (after.payment.reference == before.payment.reference) return absl::OkStatus();
    for (const auto& [id, other] : orders_) {
      if (id != after.id && other.payment.provider == after.payment.provider &&
          other.payment.reference == after.payment.reference) {
        return MakeError(absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch,
                         "the payment reference belongs to another order");
      }
    }
    return absl::OkStatus();
  }
  // The order rules' view of variants, read under mu_ (held by the caller).
  std::function<absl::Status(absl::Span<const VariantId>, std::vector<LockedVariant>*)>
  ReadVariants() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return [this](absl::Span<const VariantId> ids, std::vector<LockedVariant>* out)
               ABSL_NO_THREAD_SAFETY_ANALYSIS {  // mu_ is held by the caller
                 for (VariantId id : ids) {
                   auto vit = product_of_variant_.find(id);
                   if (vit == product_of_variant_.end()) continue;
                   const Product& p = products_.at(vit->second);
                   out->push_back(LockedVariant{*p.FindVariant(id), p.active, p.brand, p.model});
                 }
                 return absl::OkStatus();
               };
  }
  void WriteStock(const std::vector<StockChange>& changes, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const StockChange& c : changes) {
      Product& p = products_.at(c.product_id);
      for (Variant& v : p.variants) {
        if (v.id == c.variant_id) v.stock = c.stock_after;
      }
      ++p.version;
      p.updated_at = now;
    }
  }
  // Returns every line's quantity to stock (a cancelled or expired order).
  std::vector<StockChange> Restock(const Order& o, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<StockChange> changes;
    for (const OrderLine& l : o.lines) {
      auto vit = product_of_variant_.find(l.variant_id);
      if (vit == product_of_variant_.end()) continue;
      const Variant* v = products_.at(vit->second).FindVariant(l.variant_id);
      changes.push_back(StockChange{v->product_id, v->id, v->stock + l.quantity, v->stock});
      WriteStock({changes.back()}, now);
    }
    return changes;
  }
  void Enqueue(const OutboxDraft& d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    OutboxMessage m;
    m.id = next_outbox_id_++;
    m.draft = d;
    m.next_attempt_at = d.created_at;
    outbox_[m.id] = std::move(m);
  }
  std::vector<std::string> DropSessionsOf(UserId user_id, absl::string_view keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> dropped;
    absl::erase_if(sessions_, [&](const auto& kv) {
      bool drop = kv.second.user_id == user_id && kv.first != keep;
      if (drop) dropped.push_back(kv.first);
      return drop;
    });
    return dropped;
  }
  // Who holds or held a slug (ChooseSlug's `owner`). Called under mu_.
  std::function<absl::StatusOr<ProductId>(absl::string_view)> SlugOwner()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return [this](absl::string_view slug) ABSL_NO_THREAD_SAFETY_ANALYSIS {
      auto it = product_of_slug_.find(slug);
      return absl::StatusOr<ProductId>(it == product_of_slug_.end() ? 0 : it->second);
    };
  }
  void ApplyDraft(const ProductDraft& d, Product* p) {
    p->brand = d.brand;
    p->model = d.model;
    p->description = d.description;
    p->attributes = d.attributes;
    p->collections = d.collections;
    p->images = d.images;
    p->image_url = CoverImageUrl(d.images);
    p->active = d.active;
  }
  Variant NewVariant(const VariantDraft& vd, ProductId pid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return Variant{next_variant_id_++, pid,     vd.sku,   vd.dial_color,
                   vd.strap,           vd.size, vd.price, vd.stock};
  }
  // SKUs of `d` must be unique among themselves and not used by another product.
  absl::Status CheckSkusFree(const ProductDraft& d, ProductId self)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    absl::flat_hash_map<std::string, int> seen;
    for (const VariantDraft& vd : d.variants) {
      auto it = variant_by_sku_.find(vd.sku);
      const bool used_elsewhere =
          it != variant_by_sku_.end() &&
          (product_of_variant_.at(it->second) != self || it->second != vd.id);
      if (++seen[vd.sku] > 1 || used_elsewhere) {
        return MakeError(absl::StatusCode::kAlreadyExists, reason::kSkuTaken,
                         absl::StrCat("SKU ", vd.sku, " is already used"), "sku");
      }
    }
    return absl::OkStatus();
  }
  void Index(const Product& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const Variant& v : p.variants) {
      variant_by_sku_[v.sku] = v.id;
      product_of_variant_[v.id] = p.id;
    }
  }
  void Unindex(const Product& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const Variant& v : p.variants) variant_by_sku_.erase(v.sku);
  }

  internal::Mutex mu_;
  UserId next_user_id_ ABSL_GUARDED_BY(mu_) = 1;
  ProductId next_product_id_ ABSL_GUARDED_BY(mu_) = 1;
  VariantId next_variant_id_ ABSL_GUARDED_BY(mu_) = 1;
  OrderId next_order_id_ ABSL_GUARDED_BY(mu_) = 1;
  OutboxId next_outbox_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<OutboxId, OutboxMessage> outbox_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, AccountToken> tokens_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<UserId, User> users_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, UserId> user_by_email_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, SessionRecord> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<ProductId, Product> products_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<VariantId, ProductId> product_of_variant_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, VariantId> variant_by_sku_ ABSL_GUARDED_BY(mu_);
  // Every slug any product ever had: the product it leads to.
  absl::flat_hash_map<std::string, ProductId> product_of_slug_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, CollectionInfo> collections_ ABSL_GUARDED_BY(mu_);  // by slug
  absl::flat_hash_map<std::string, std::vector<CartItem>> carts_ ABSL_GUARDED_BY(mu_);
  std::map<OrderId, Order> orders_ ABSL_GUARDED_BY(mu_);
  // (user, guest cart scope, key): a guest order's key is scoped by its cart.
  std::map<std::tuple<UserId, std::string, std::string>, OrderId> order_by_key_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<OrderId, std::string> placed_from_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::pair<std::string, std::string>> payment_events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Storage> NewMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace watchstore
