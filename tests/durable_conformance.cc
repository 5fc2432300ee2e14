// The cases every durable Storage adapter must pass. See durable_conformance.h.
#include "durable_conformance.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

// --- Data survives a reopen ----------------------------------------------------

TEST_P(DurableStorageConformanceTest, DataSurvivesReopen) {
  UserId user_id = 0;
  ProductId product_id = 0;
  VariantId sold_variant = 0;
  OrderId order_id = 0;
  const CartOwner guest = CartOwner::ForGuest(std::string(64, 'e'));
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    WS_ASSERT_OK_AND_ASSIGN(User u,
                            s->CreateUser(NewUser{"keep@example.com", "hash", Role::kAdmin, kT0}));
    user_id = u.id;
    WS_ASSERT_OK(s->CreateSession({std::string(64, 's'), u.id, kT0, kT0 + absl::Minutes(1)}));
    ProductDraft d = WatchDraft("KEEP", 123'45, 9, 2);
    d.collections = {"Dive", "Tool"};
    WS_ASSERT_OK_AND_ASSIGN(Product p, s->CreateProduct(d, kT0));
    product_id = p.id;
    sold_variant = p.variants[1].id;
    WS_ASSERT_OK(s->SetCartItem(guest, p.variants[0].id, 2, kT0));
    WS_ASSERT_OK(s->SetCartItem(CartOwner::ForUser(u.id), sold_variant, 1, kT0));
    WS_ASSERT_OK_AND_ASSIGN(auto r, s->PlaceOrder(AnOrder(u.id, "k1", {{sold_variant, 4}})));
    order_id = r.order.id;
  }  // closed
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(User u, s->GetUserByEmail("keep@example.com"));
  EXPECT_EQ(u.id, user_id);
  EXPECT_EQ(u.role, Role::kAdmin);
  EXPECT_EQ(u.password_hash, "hash");
  EXPECT_EQ(u.created_at, kT0);
  WS_ASSERT_OK_AND_ASSIGN(SessionRecord session, s->GetSession(std::string(64, 's')));
  EXPECT_EQ(session.user_id, user_id);
  EXPECT_EQ(session.created_at, kT0);
  EXPECT_EQ(session.last_seen_at, kT0 + absl::Minutes(1));
  WS_ASSERT_OK_AND_ASSIGN(Product p, s->GetProduct(product_id));
  EXPECT_EQ(p.collections, (std::vector<std::string>{"Dive", "Tool"}));
  ASSERT_EQ(p.variants.size(), 2u);
  EXPECT_EQ(p.variants[0].stock, 9);
  EXPECT_EQ(p.variants[1].stock, 5);
  EXPECT_EQ(p.variants[1].price, Usd(133'45));
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.created_at, kT0);
  WS_ASSERT_OK_AND_ASSIGN(ProductId by_sku, s->FindProductIdBySku("KEEP-1"));
  EXPECT_EQ(by_sku, product_id);
  WS_ASSERT_OK_AND_ASSIGN(auto cart, s->GetCart(guest));
  ASSERT_EQ(cart.size(), 1u);
  EXPECT_EQ(cart[0].quantity, 2);
  EXPECT_EQ(cart[0].product_id, product_id);
  EXPECT_EQ(cart[0].added_at, kT0);
  WS_ASSERT_OK_AND_ASSIGN(auto user_cart, s->GetCart(CartOwner::ForUser(user_id)));
  EXPECT_TRUE(user_cart.empty()) << "the order emptied it before the restart";
  WS_ASSERT_OK_AND_ASSIGN(Order o, s->GetOrder(order_id));
  EXPECT_EQ(o.user_id, user_id);
  EXPECT_EQ(o.status, OrderStatus::kPending);
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].unit_price, Usd(133'45));
  EXPECT_EQ(o.lines[0].sku, "KEEP-1");
  EXPECT_EQ(o.total, Usd(4 * 133'45));
  EXPECT_EQ(o.shipping.city, "London");
  EXPECT_EQ(o.request_fingerprint, "fp-k1");
  EXPECT_EQ(o.created_at, kT0 + absl::Seconds(10));
  // The same key still replays after a restart, and still refuses another
  // fingerprint.
  WS_ASSERT_OK_AND_ASSIGN(auto again, s->PlaceOrder(AnOrder(user_id, "k1", {{sold_variant, 4}})));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, order_id);
  NewOrder other = AnOrder(user_id, "k1", {{sold_variant, 1}});
  other.request_fingerprint = "another request";
  WS_EXPECT_REASON(s->PlaceOrder(other), absl::StatusCode::kFailedPrecondition,
                   reason::kIdempotencyMismatch);
  // Unique keys still hold.
  WS_EXPECT_REASON(s->CreateUser(NewUser{"keep@example.com", "h", Role::kCustomer, kT0}),
                   absl::StatusCode::kAlreadyExists, reason::kEmailTaken);
  WS_EXPECT_REASON(s->CreateProduct(WatchDraft("KEEP"), kT0), absl::StatusCode::kAlreadyExists,
                   reason::kSkuTaken);
}

TEST_P(DurableStorageConformanceTest, IdsKeepIncreasingAfterReopen) {
  User u1;
  Product p1;
  PlaceOrderResult o1;
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    u1 = MakeUser(*s, "one@example.com");
    WS_ASSERT_OK_AND_ASSIGN(p1, s->CreateProduct(WatchDraft("ONE", 100, 5, 2), kT0));
    WS_ASSERT_OK_AND_ASSIGN(o1, s->PlaceOrder(AnOrder(u1.id, "k", {{p1.variants[0].id, 1}})));
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const User u2 = MakeUser(*s, "two@example.com");
  EXPECT_GT(u2.id, u1.id);
  WS_ASSERT_OK_AND_ASSIGN(Product p2, s->CreateProduct(WatchDraft("TWO"), kT0));
  EXPECT_GT(p2.id, p1.id);
  EXPECT_GT(p2.variants[0].id, p1.variants[1].id);
  WS_ASSERT_OK_AND_ASSIGN(auto o2, s->PlaceOrder(AnOrder(u2.id, "k", {{p2.variants[0].id, 1}})));
  EXPECT_GT(o2.order.id, o1.order.id);
  EXPECT_NE(o2.order.number, o1.order.number);
}

TEST_P(DurableStorageConformanceTest, TimesKeepNanosecondsAcrossReopen) {
  const absl::Time t = kT0 + absl::Nanoseconds(123'456'789);
  UserId user_id = 0;
  ProductId product_id = 0;
  OrderId order_id = 0;
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    WS_ASSERT_OK_AND_ASSIGN(User u,
                            s->CreateUser(NewUser{"t@example.com", "h", Role::kCustomer, t}));
    EXPECT_EQ(u.created_at, t);
    user_id = u.id;
    WS_ASSERT_OK(s->CreateSession({std::string(64, 't'), u.id, t, t + absl::Nanoseconds(1)}));
    WS_ASSERT_OK_AND_ASSIGN(Product p, s->CreateProduct(WatchDraft("NS"), t));
    product_id = p.id;
    WS_ASSERT_OK(s->AdjustStock(p.variants[0].id, 1, t + absl::Nanoseconds(7)));
    WS_ASSERT_OK(s->SetCartItem(CartOwner::ForGuest("g"), p.variants[0].id, 1, t));
    NewOrder order = AnOrder(u.id, "k", {{p.variants[0].id, 1}});
    order.now = t + absl::Nanoseconds(999);
    WS_ASSERT_OK_AND_ASSIGN(auto r, s->PlaceOrder(order));
    order_id = r.order.id;
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(User u, s->GetUserById(user_id));
  EXPECT_EQ(u.created_at, t);
  WS_ASSERT_OK_AND_ASSIGN(SessionRecord session, s->GetSession(std::string(64, 't')));
  EXPECT_EQ(session.created_at, t);
  EXPECT_EQ(session.last_seen_at, t + absl::Nanoseconds(1));
  WS_ASSERT_OK_AND_ASSIGN(Product p, s->GetProduct(product_id));
  EXPECT_EQ(p.created_at, t);
  EXPECT_EQ(p.updated_at, t + absl::Nanoseconds(999));  // the order's stock change
  WS_ASSERT_OK_AND_ASSIGN(auto cart, s->GetCart(CartOwner::ForGuest("g")));
  ASSERT_EQ(cart.size(), 1u);
  EXPECT_EQ(cart[0].added_at, t);
  WS_ASSERT_OK_AND_ASSIGN(Order o, s->GetOrder(order_id));
  EXPECT_EQ(o.created_at, t + absl::Nanoseconds(999));
  EXPECT_EQ(o.updated_at, t + absl::Nanoseconds(999));
}

TEST_P(DurableStorageConformanceTest, StatusAndStockChangesSurviveReopen) {
  OrderId order_id = 0;
  ProductId product_id = 0;
  ProductId archived_id = 0;
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    const User u = MakeUser(*s, "a@example.com");
    WS_ASSERT_OK_AND_ASSIGN(Product p, s->CreateProduct(WatchDraft("AB", 100, 5), kT0));
    product_id = p.id;
    WS_ASSERT_OK_AND_ASSIGN(auto r, s->PlaceOrder(AnOrder(u.id, "k", {{p.variants[0].id, 3}})));
    order_id = r.order.id;
    WS_ASSERT_OK(s->TransitionOrder(order_id, OrderStatus::kPending, OrderStatus::kPaid, kT0));
    WS_ASSERT_OK_AND_ASSIGN(Product q, s->CreateProduct(WatchDraft("ARCH"), kT0));
    archived_id = q.id;
    ProductDraft d = WatchDraft("ARCH");
    d.variants[0].id = q.variants[0].id;
    d.active = false;
    WS_ASSERT_OK(s->UpdateProduct(q.id, 1, d, kT0));
  }
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    WS_ASSERT_OK_AND_ASSIGN(Order o, s->GetOrder(order_id));
    EXPECT_EQ(o.status, OrderStatus::kPaid);
    WS_EXPECT_REASON(s->TransitionOrder(order_id, OrderStatus::kPending, OrderStatus::kPaid, kT0),
                     absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
    WS_ASSERT_OK_AND_ASSIGN(Product archived, s->GetProduct(archived_id));
    EXPECT_FALSE(archived.active);
    WS_ASSERT_OK_AND_ASSIGN(ProductPage page, s->ListProducts(ProductQuery{}));
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].id, product_id);
    EXPECT_EQ(page.items[0].variants[0].stock, 2);
    WS_ASSERT_OK(s->TransitionOrder(order_id, OrderStatus::kPaid, OrderStatus::kCancelled, kT0));
  }
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product p, s->GetProduct(product_id));
  EXPECT_EQ(p.variants[0].stock, 5) << "the cancel restocked durably";
  WS_ASSERT_OK_AND_ASSIGN(Order o, s->GetOrder(order_id));
  EXPECT_EQ(o.status, OrderStatus::kCancelled);
}

// --- Migrations ----------------------------------------------------------------

TEST_P(DurableStorageConformanceTest, MigrationTwiceIsANoOp) {
  WS_ASSERT_OK(db_->Migrate());
  const std::string before = db_->SchemaFingerprint();
  EXPECT_FALSE(before.empty());
  WS_ASSERT_OK(db_->Migrate());
  EXPECT_EQ(db_->SchemaFingerprint(), before);
  {
    auto s = Open();  // opening migrates too
    ASSERT_NE(s, nullptr);
    WS_ASSERT_OK(s->CreateProduct(WatchDraft("AB"), kT0));
  }
  WS_ASSERT_OK(db_->Migrate());
  EXPECT_EQ(db_->SchemaFingerprint(), before);
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_EXPECT_OK(s->FindProductIdBySku("AB-0"));
}

TEST_P(DurableStorageConformanceTest, RefusesASchemaNewerThanTheBuild) {
  WS_ASSERT_OK(db_->Migrate());
  db_->AddFutureMigration();
  auto s = db_->Open();
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_EQ(db_->Migrate().code(), absl::StatusCode::kFailedPrecondition);
}

// --- Two handles on one database, as two processes would have ---------------------

TEST_P(DurableStorageConformanceTest, AWriteIsVisibleToReadsStartedAfterIt) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product p, a->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  for (int i = 1; i <= 20; ++i) {
    WS_ASSERT_OK((i % 2 ? a : b)->AdjustStock(p.variants[0].id, 1, kT0));
    WS_ASSERT_OK_AND_ASSIGN(Product mine, a->GetProduct(p.id));
    WS_ASSERT_OK_AND_ASSIGN(Product theirs, b->GetProduct(p.id));
    EXPECT_EQ(mine.variants[0].stock, 5 + i);
    EXPECT_EQ(theirs.variants[0].stock, 5 + i);
  }
}

TEST_P(DurableStorageConformanceTest, TwoHandlesNeverOversell) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(Product p, a->CreateProduct(WatchDraft("AB", 100, 30), kT0));
  std::vector<UserId> users;
  for (int i = 0; i < 8; ++i)
    users.push_back(MakeUser(*a, absl::StrCat("u", i, "@example.com")).id);
  std::atomic<int> sold{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Storage& s = t % 2 ? *a : *b;
      for (int k = 0; k < 10; ++k) {
        auto r = s.PlaceOrder(AnOrder(users[t], absl::StrCat("k", k), {{p.variants[0].id, 1}}));
        if (r.ok()) {
          ++sold;
        } else {
          EXPECT_EQ(ReasonOf(r.status()), reason::kOutOfStock) << r.status();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sold.load(), 30);
  WS_ASSERT_OK_AND_ASSIGN(Product after, b->GetProduct(p.id));
  EXPECT_EQ(after.variants[0].stock, 0);
}

// A message written with its cause survives a restart; one claimed by a
// process that died before recording the send is claimed again once its
// lease ends (the one duplicate the outbox allows, with the same Message-ID).
TEST_P(DurableStorageConformanceTest, OutboxSurvivesRestartAndAbandonedClaims) {
  const absl::Duration lease = absl::Minutes(2);
  {
    auto s = Open();
    ASSERT_NE(s, nullptr);
    NewUser u{"mail@example.com", "hash", Role::kCustomer, kT0};
    OutboxDraft d;
    d.message_id = "<durable@test>";
    d.kind = "welcome";
    d.recipient = u.email;
    d.payload = "token=x\n";
    d.created_at = kT0;
    u.outbox.push_back(d);
    WS_ASSERT_OK(s->CreateUser(u));
    WS_ASSERT_OK_AND_ASSIGN(auto claimed, s->ClaimOutbox(kT0, 10, lease));
    ASSERT_EQ(claimed.size(), 1u);
  }  // "crashed" after the claim, before MarkOutboxSent
  auto s = Open();
  ASSERT_NE(s, nullptr);
  WS_ASSERT_OK_AND_ASSIGN(auto early, s->ClaimOutbox(kT0 + absl::Minutes(1), 10, lease));
  EXPECT_TRUE(early.empty()) << "still leased";
  WS_ASSERT_OK_AND_ASSIGN(auto again, s->ClaimOutbox(kT0 + lease, 10, lease));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].draft.message_id, "<durable@test>");
  EXPECT_EQ(again[0].attempts, 2);
  WS_ASSERT_OK(s->MarkOutboxSent(again[0].id, kT0 + lease));
  WS_ASSERT_OK_AND_ASSIGN(OutboxStats stats, s->GetOutboxStats());
  EXPECT_EQ(stats.pending, 0);
}

}  // namespace
}  // namespace watchstore::testing
