// Conformance cases for payments, guest orders, reservations that expire and
// refunds (issue 12). Part of the storage_conformance object library (see
// storage_conformance.h); the contract is watchstore/storage.h.
#include <latch>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage_conformance.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

NewUser Buyer(const std::string& email) {
  return NewUser{email, "$argon2id$not-a-real-hash", Role::kCustomer, kT0};
}

// A user order paid by card, holding its stock until `reserved_until`.
NewOrder CardOrder(UserId user, const std::string& key, std::vector<NewOrder::Line> lines,
                   absl::Time reserved_until = absl::InfiniteFuture()) {
  NewOrder o = AnOrder(user, key, std::move(lines));
  o.payment_provider = "stripe";
  o.reserved_until = reserved_until;
  return o;
}

// A guest order from guest cart `cart` (its token hash) by `email`.
NewOrder GuestOrder(const std::string& cart, const std::string& email, const std::string& key,
                    std::vector<NewOrder::Line> lines) {
  NewOrder o = CardOrder(0, key, std::move(lines));
  o.guest_cart_hash = cart;
  o.guest_email = email;
  o.access_token_hash = absl::StrCat("link-", cart, "-", key);
  return o;
}

// What the provider says of `order`'s payment: `state`, for its amount.
PaymentUpdate Told(const Order& order, const std::string& event_id, PaymentState state,
                   const std::string& reference = "pi_1") {
  PaymentUpdate u;
  u.order_id = order.id;
  u.event_id = event_id;
  u.payment.reference = reference;
  u.payment.order_id = order.id;
  u.payment.state = state;
  u.payment.amount = order.payment.amount;
  u.payment.refunded = Money{0, order.payment.amount.currency};
  u.now = kT0 + absl::Minutes(5);
  return u;
}

OutboxDraft PaidMail(const std::string& id) {
  OutboxDraft d;
  d.message_id = absl::StrCat("<", id, "@test>");
  d.kind = "order_paid";
  d.recipient = "a@example.com";
  d.payload = "paid\n";
  d.created_at = kT0;
  return d;
}

int64_t StockOf(Storage& s, ProductId id) {
  auto p = s.GetProduct(id);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? p->variants[0].stock : -1;
}

size_t PendingMail(Storage& s) {
  auto m = s.ListOutbox(OutboxState::kPending, 100);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? m->size() : 0;
}

// --- Guest orders ------------------------------------------------------------

TEST_P(StorageConformanceTest, GuestOrderHasNoUserClearsItsCartAndScopesItsKeyByCart) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 250'00, 10), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK(storage_->SetCartItem(CartOwner::ForGuest("cart-1"), v, 1, kT0));
  WS_ASSERT_OK(storage_->SetCartItem(CartOwner::ForGuest("cart-2"), v, 1, kT0));

  NewOrder first = GuestOrder("cart-1", "g@example.com", "k", {{v, 2}});
  first.reserved_until = kT0 + absl::Minutes(30);
  first.placed_from = "203.0.113.7";
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult r, storage_->PlaceOrder(first));
  EXPECT_FALSE(r.replayed);
  EXPECT_EQ(r.order.user_id, 0);
  EXPECT_EQ(r.order.guest_email, "g@example.com");
  WS_ASSERT_OK_AND_ASSIGN(auto cart1, storage_->GetCart(CartOwner::ForGuest("cart-1")));
  EXPECT_TRUE(cart1.empty());
  WS_ASSERT_OK_AND_ASSIGN(auto cart2, storage_->GetCart(CartOwner::ForGuest("cart-2")));
  EXPECT_EQ(cart2.size(), 1u) << "another guest's cart is left alone";

  // Every new field reads back, by id, by link and in the listing.
  WS_ASSERT_OK_AND_ASSIGN(Order got, storage_->GetOrder(r.order.id));
  EXPECT_EQ(got.user_id, 0);
  EXPECT_EQ(got.guest_email, "g@example.com");
  EXPECT_EQ(got.access_token_hash, "link-cart-1-k");
  EXPECT_EQ(got.status, OrderStatus::kPending);
  EXPECT_EQ(got.reserved_until, kT0 + absl::Minutes(30));
  EXPECT_EQ(got.payment.provider, "stripe");
  EXPECT_EQ(got.payment.state, PaymentState::kRequiresAction);
  EXPECT_EQ(got.payment.amount, Usd(500'00));
  EXPECT_EQ(got.payment.refunded, Usd(0));
  EXPECT_TRUE(got.payment.reference.empty());
  ASSERT_EQ(got.lines.size(), 1u);
  EXPECT_EQ(got.lines[0].refunded_quantity, 0);
  WS_ASSERT_OK_AND_ASSIGN(Order by_link, storage_->GetOrderByAccessToken("link-cart-1-k"));
  EXPECT_EQ(by_link.id, r.order.id);
  EXPECT_EQ(by_link.payment.amount, Usd(500'00));
  WS_EXPECT_CODE(storage_->GetOrderByAccessToken("link-nope"), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->GetOrderByAccessToken(""), absl::StatusCode::kNotFound);
  OrderQuery all;
  all.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage page, storage_->ListOrders(all));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].guest_email, "g@example.com");
  EXPECT_EQ(page.items[0].reserved_until, kT0 + absl::Minutes(30));
  EXPECT_EQ(page.items[0].payment.provider, "stripe");

  // A replay on the same cart replays, even once the cart is empty.
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult again,
                          storage_->PlaceOrder(GuestOrder("cart-1", "g@example.com", "k", {})));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, r.order.id);
  EXPECT_EQ(again.order.guest_email, "g@example.com");
  EXPECT_EQ(again.order.reserved_until, kT0 + absl::Minutes(30));
  // The same key on another guest cart, and on a user, makes other orders.
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult other, storage_->PlaceOrder(GuestOrder(
                                                      "cart-2", "g@example.com", "k", {{v, 1}})));
  EXPECT_FALSE(other.replayed);
  EXPECT_NE(other.order.id, r.order.id);
  WS_ASSERT_OK_AND_ASSIGN(PlaceOrderResult mine,
                          storage_->PlaceOrder(CardOrder(a.id, "k", {{v, 1}})));
  EXPECT_FALSE(mine.replayed);
  EXPECT_EQ(mine.order.user_id, a.id);
  EXPECT_EQ(mine.order.reserved_until, absl::InfiniteFuture());
  WS_ASSERT_OK_AND_ASSIGN(Order mine_read, storage_->GetOrder(mine.order.id));
  EXPECT_EQ(mine_read.reserved_until, absl::InfiniteFuture());
  EXPECT_TRUE(mine_read.guest_email.empty());
  EXPECT_EQ(StockOf(*storage_, p.id), 6);

  // A guest order needs its cart and e-mail.
  WS_EXPECT_CODE(storage_->PlaceOrder(GuestOrder("", "g@example.com", "k2", {{v, 1}})),
                 absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->PlaceOrder(GuestOrder("cart-3", "", "k2", {{v, 1}})),
                 absl::StatusCode::kNotFound);
  EXPECT_EQ(StockOf(*storage_, p.id), 6);
}

TEST_P(StorageConformanceTest, ClaimGuestOrdersGivesOnlyThatEmailsGuestOrders) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("g@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(Buyer("b@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 10), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(auto g1,
                          storage_->PlaceOrder(GuestOrder("c1", "g@example.com", "k", {{v, 1}})));
  WS_ASSERT_OK_AND_ASSIGN(auto g2,
                          storage_->PlaceOrder(GuestOrder("c2", "g@example.com", "k", {{v, 1}})));
  WS_ASSERT_OK_AND_ASSIGN(auto other,
                          storage_->PlaceOrder(GuestOrder("c3", "o@example.com", "k", {{v, 1}})));
  WS_ASSERT_OK_AND_ASSIGN(auto bs, storage_->PlaceOrder(AnOrder(b.id, "k", {{v, 1}})));

  WS_EXPECT_CODE(storage_->ClaimGuestOrders("g@example.com", 999999), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(int64_t claimed, storage_->ClaimGuestOrders("g@example.com", a.id));
  EXPECT_EQ(claimed, 2);
  OrderQuery q;
  q.user_id = a.id;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage history, storage_->ListOrders(q));
  ASSERT_EQ(history.items.size(), 2u);
  EXPECT_EQ(history.items[0].id, g2.order.id);
  EXPECT_EQ(history.items[1].id, g1.order.id);
  EXPECT_EQ(history.items[0].guest_email, "g@example.com");
  WS_ASSERT_OK_AND_ASSIGN(Order untouched, storage_->GetOrder(other.order.id));
  EXPECT_EQ(untouched.user_id, 0);
  WS_ASSERT_OK_AND_ASSIGN(Order theirs, storage_->GetOrder(bs.order.id));
  EXPECT_EQ(theirs.user_id, b.id);
  WS_ASSERT_OK_AND_ASSIGN(claimed, storage_->ClaimGuestOrders("g@example.com", a.id));
  EXPECT_EQ(claimed, 0);
  WS_ASSERT_OK_AND_ASSIGN(claimed, storage_->ClaimGuestOrders("", a.id));
  EXPECT_EQ(claimed, 0);
  // A claimed order still replays on its guest cart's key.
  WS_ASSERT_OK_AND_ASSIGN(auto replay,
                          storage_->PlaceOrder(GuestOrder("c1", "g@example.com", "k", {})));
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.order.id, g1.order.id);
}

// --- Payment records ---------------------------------------------------------

TEST_P(StorageConformanceTest, AttachPaymentOnceAndFindByReference) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 10), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(auto r, storage_->PlaceOrder(CardOrder(a.id, "k1", {{v, 1}})));
  WS_ASSERT_OK_AND_ASSIGN(auto r2, storage_->PlaceOrder(CardOrder(a.id, "k2", {{v, 1}})));
  ProviderPayment pi;
  pi.reference = "pi_1";
  pi.order_id = r.order.id;
  pi.amount = Usd(100'00);
  pi.client_secret = "pi_1_secret_x";
  WS_ASSERT_OK_AND_ASSIGN(Order attached, storage_->AttachPayment(r.order.id, pi));
  EXPECT_EQ(attached.payment.reference, "pi_1");
  EXPECT_EQ(attached.payment.client_secret, "pi_1_secret_x");
  // Again with the same reference: OK, unchanged.
  ProviderPayment same = pi;
  same.client_secret = "other";
  WS_ASSERT_OK_AND_ASSIGN(Order again, storage_->AttachPayment(r.order.id, same));
  EXPECT_EQ(again.payment.client_secret, "pi_1_secret_x");
  WS_ASSERT_OK_AND_ASSIGN(Order stored, storage_->GetOrder(r.order.id));
  EXPECT_EQ(stored.payment.reference, "pi_1");
  EXPECT_EQ(stored.payment.client_secret, "pi_1_secret_x");
  EXPECT_EQ(stored.payment.state, PaymentState::kRequiresAction);
  // Another reference, another amount, another currency, no reference.
  ProviderPayment other = pi;
  other.reference = "pi_2";
  WS_EXPECT_REASON(storage_->AttachPayment(r.order.id, other),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  ProviderPayment cheaper = pi;
  cheaper.amount = Usd(99'99);
  WS_EXPECT_REASON(storage_->AttachPayment(r2.order.id, cheaper),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  ProviderPayment euros = pi;
  euros.reference = "pi_3";
  euros.amount = Money{100'00, *Currency::FromCode("EUR")};
  WS_EXPECT_REASON(storage_->AttachPayment(r2.order.id, euros),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  ProviderPayment none = pi;
  none.reference.clear();
  WS_EXPECT_REASON(storage_->AttachPayment(r2.order.id, none),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  WS_ASSERT_OK_AND_ASSIGN(Order untouched, storage_->GetOrder(r2.order.id));
  EXPECT_TRUE(untouched.payment.reference.empty());
  WS_EXPECT_CODE(storage_->AttachPayment(r.order.id + 1000, pi), absl::StatusCode::kNotFound);

  // A reference belongs to one order of its provider, whether attached or
  // told by a payment update.
  WS_EXPECT_REASON(storage_->AttachPayment(r2.order.id, pi), absl::StatusCode::kFailedPrecondition,
                   reason::kPaymentMismatch);
  PaymentUpdate stolen = Told(r2.order, "evt_stolen", PaymentState::kCaptured, "pi_1");
  WS_EXPECT_REASON(storage_->ApplyPaymentUpdate(stolen), absl::StatusCode::kFailedPrecondition,
                   reason::kPaymentMismatch);
  WS_ASSERT_OK_AND_ASSIGN(Order not_paid, storage_->GetOrder(r2.order.id));
  EXPECT_EQ(not_paid.status, OrderStatus::kPending);
  EXPECT_TRUE(not_paid.payment.reference.empty());
  WS_ASSERT_OK_AND_ASSIGN(Order by_ref, storage_->GetOrderByPaymentReference("stripe", "pi_1"));
  EXPECT_EQ(by_ref.id, r.order.id);
  EXPECT_EQ(by_ref.payment.client_secret, "pi_1_secret_x");
  WS_EXPECT_CODE(storage_->GetOrderByPaymentReference("manual", "pi_1"),
                 absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->GetOrderByPaymentReference("stripe", "pi_2"),
                 absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(storage_->GetOrderByPaymentReference("stripe", ""), absl::StatusCode::kNotFound);
}

// --- Payment updates ---------------------------------------------------------

TEST_P(StorageConformanceTest, PaymentEventPaysThePendingOrderOnce) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 10), kT0));
  WS_ASSERT_OK_AND_ASSIGN(auto r, storage_->PlaceOrder(CardOrder(a.id, "k", {{p.variants[0].id, 2}},
                                                                 kT0 + absl::Minutes(30))));
  PaymentUpdate paid = Told(r.order, "evt_2", PaymentState::kCaptured);
  paid.outbox_if_paid.push_back(PaidMail("paid-1"));
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult done, storage_->ApplyPaymentUpdate(paid));
  EXPECT_FALSE(done.duplicate);
  EXPECT_TRUE(done.changed);
  EXPECT_TRUE(done.stock_changes.empty());
  EXPECT_EQ(done.order.status, OrderStatus::kPaid);
  EXPECT_EQ(done.order.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(done.order.payment.reference, "pi_1");
  EXPECT_EQ(done.order.updated_at, paid.now);
  WS_ASSERT_OK_AND_ASSIGN(Order stored, storage_->GetOrder(r.order.id));
  EXPECT_EQ(stored.status, OrderStatus::kPaid);
  EXPECT_EQ(stored.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(stored.payment.reference, "pi_1");
  WS_ASSERT_OK_AND_ASSIGN(auto mail, storage_->ListOutbox(OutboxState::kPending, 10));
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].draft.order_id, r.order.id);
  EXPECT_EQ(mail[0].draft.kind, "order_paid");
  EXPECT_EQ(StockOf(*storage_, p.id), 8);

  // The same event again: a duplicate, nothing written.
  PaymentUpdate replay = paid;
  replay.now = kT0 + absl::Minutes(9);
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult dup, storage_->ApplyPaymentUpdate(replay));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_FALSE(dup.changed);
  EXPECT_EQ(dup.order.status, OrderStatus::kPaid);
  EXPECT_EQ(PendingMail(*storage_), 1u);
  // An older state arriving late changes nothing (and is recorded).
  PaymentUpdate older = Told(r.order, "evt_1", PaymentState::kAuthorized);
  older.outbox_if_paid.push_back(PaidMail("paid-2"));
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult late, storage_->ApplyPaymentUpdate(older));
  EXPECT_FALSE(late.duplicate);
  EXPECT_FALSE(late.changed);
  EXPECT_EQ(late.order.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(late.order.status, OrderStatus::kPaid);
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult late_again, storage_->ApplyPaymentUpdate(older));
  EXPECT_TRUE(late_again.duplicate);
  WS_ASSERT_OK_AND_ASSIGN(stored, storage_->GetOrder(r.order.id));
  EXPECT_EQ(stored.updated_at, paid.now);
  EXPECT_EQ(PendingMail(*storage_), 1u);
  EXPECT_EQ(StockOf(*storage_, p.id), 8);
  // A paid order is no longer a reservation.
  WS_ASSERT_OK_AND_ASSIGN(auto expired, storage_->ExpireReservations(kT0 + absl::Hours(1), 10));
  EXPECT_TRUE(expired.empty());
  Order missing = r.order;
  missing.id += 1000;
  WS_EXPECT_CODE(storage_->ApplyPaymentUpdate(Told(missing, "evt_x", PaymentState::kCaptured)),
                 absl::StatusCode::kNotFound);
}

TEST_P(StorageConformanceTest, MismatchedPaymentWritesNothingNotEvenItsEventId) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 10), kT0));
  WS_ASSERT_OK_AND_ASSIGN(auto r,
                          storage_->PlaceOrder(CardOrder(a.id, "k", {{p.variants[0].id, 1}})));
  ProviderPayment pi;
  pi.reference = "pi_1";
  pi.amount = r.order.payment.amount;
  WS_ASSERT_OK(storage_->AttachPayment(r.order.id, pi));

  PaymentUpdate cheaper = Told(r.order, "evt_1", PaymentState::kCaptured);
  cheaper.payment.amount = Usd(1);
  PaymentUpdate euros = Told(r.order, "evt_1", PaymentState::kCaptured);
  euros.payment.amount = Money{100'00, *Currency::FromCode("EUR")};
  PaymentUpdate elsewhere = Told(r.order, "evt_1", PaymentState::kCaptured, "pi_other");
  for (const PaymentUpdate& bad : {cheaper, euros, elsewhere}) {
    WS_EXPECT_REASON(storage_->ApplyPaymentUpdate(bad), absl::StatusCode::kFailedPrecondition,
                     reason::kPaymentMismatch);
  }
  WS_ASSERT_OK_AND_ASSIGN(Order stored, storage_->GetOrder(r.order.id));
  EXPECT_EQ(stored.status, OrderStatus::kPending);
  EXPECT_EQ(stored.payment.state, PaymentState::kRequiresAction);
  EXPECT_EQ(stored.updated_at, r.order.updated_at);
  EXPECT_EQ(PendingMail(*storage_), 0u);
  // The event id was not recorded: the right payment under it applies.
  WS_ASSERT_OK_AND_ASSIGN(
      auto good, storage_->ApplyPaymentUpdate(Told(r.order, "evt_1", PaymentState::kCaptured)));
  EXPECT_FALSE(good.duplicate);
  EXPECT_EQ(good.order.status, OrderStatus::kPaid);
}

TEST_P(StorageConformanceTest, LatePaymentRevivesAnExpiredOrderWhileStockLasts) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 3), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(
      auto revived, storage_->PlaceOrder(CardOrder(a.id, "k1", {{v, 2}}, kT0 + absl::Minutes(1))));
  WS_ASSERT_OK_AND_ASSIGN(auto expired, storage_->ExpireReservations(kT0 + absl::Minutes(2), 10));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(StockOf(*storage_, p.id), 3);

  PaymentUpdate late = Told(revived.order, "evt_1", PaymentState::kCaptured);
  late.outbox_if_paid.push_back(PaidMail("paid-1"));
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult r, storage_->ApplyPaymentUpdate(late));
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.order.status, OrderStatus::kPaid);
  EXPECT_EQ(r.order.refund_due.minor_units, 0);
  ASSERT_EQ(r.stock_changes.size(), 1u);
  EXPECT_EQ(r.stock_changes[0].stock_before, 3);
  EXPECT_EQ(r.stock_changes[0].stock_after, 1);
  EXPECT_EQ(StockOf(*storage_, p.id), 1);
  EXPECT_EQ(PendingMail(*storage_), 1u);
}

TEST_P(StorageConformanceTest, LatePaymentWithoutStockLeavesTheOrderExpiredAndOwesTheMoney) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(Buyer("b@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 3), kT0));
  const VariantId v = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(
      auto lost, storage_->PlaceOrder(CardOrder(a.id, "k1", {{v, 2}}, kT0 + absl::Minutes(1))));
  WS_ASSERT_OK(storage_->ExpireReservations(kT0 + absl::Minutes(2), 10));
  // Someone else buys the units the expired order gave back.
  WS_ASSERT_OK(storage_->PlaceOrder(CardOrder(b.id, "k2", {{v, 2}})));
  EXPECT_EQ(StockOf(*storage_, p.id), 1);

  PaymentUpdate late = Told(lost.order, "evt_1", PaymentState::kCaptured);
  late.outbox_if_paid.push_back(PaidMail("paid-1"));
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult r, storage_->ApplyPaymentUpdate(late));
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.order.status, OrderStatus::kExpired);
  EXPECT_EQ(r.order.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(r.order.refund_due, Usd(200'00));
  EXPECT_TRUE(r.stock_changes.empty());
  EXPECT_EQ(StockOf(*storage_, p.id), 1);
  EXPECT_EQ(PendingMail(*storage_), 0u);
  WS_ASSERT_OK_AND_ASSIGN(Order stored, storage_->GetOrder(lost.order.id));
  EXPECT_EQ(stored.status, OrderStatus::kExpired);
  EXPECT_EQ(stored.refund_due, Usd(200'00));
  EXPECT_EQ(stored.payment.state, PaymentState::kCaptured);
}

TEST_P(StorageConformanceTest, PaymentForACancelledOrderIsOwedBack) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 3), kT0));
  WS_ASSERT_OK_AND_ASSIGN(auto r,
                          storage_->PlaceOrder(CardOrder(a.id, "k1", {{p.variants[0].id, 1}})));
  WS_ASSERT_OK(
      storage_->TransitionOrder(r.order.id, OrderStatus::kPending, OrderStatus::kCancelled, kT0));
  EXPECT_EQ(StockOf(*storage_, p.id), 3);
  WS_ASSERT_OK_AND_ASSIGN(
      auto paid, storage_->ApplyPaymentUpdate(Told(r.order, "evt_1", PaymentState::kCaptured)));
  EXPECT_EQ(paid.order.status, OrderStatus::kCancelled);
  EXPECT_EQ(paid.order.refund_due, Usd(100'00));
  EXPECT_EQ(StockOf(*storage_, p.id), 3);
  OrderQuery due;
  due.refund_due_only = true;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage page, storage_->ListOrders(due));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, r.order.id);
}

// --- Reservations ------------------------------------------------------------

TEST_P(StorageConformanceTest, ExpiresOnlyDuePendingOrdersOldestFirstAndRestocksOnce) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 20), kT0));
  const VariantId v = p.variants[0].id;
  auto place = [&](const std::string& key, absl::Time until) {
    auto r = storage_->PlaceOrder(CardOrder(a.id, key, {{v, 1}}, until));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->order.id : OrderId{0};
  };
  // Placed out of reservation order: the sweeper goes by reserved_until.
  const OrderId third = place("c", kT0 + absl::Minutes(3));
  const OrderId first = place("a", kT0 + absl::Minutes(1));
  const OrderId second = place("b", kT0 + absl::Minutes(2));
  const OrderId later = place("d", kT0 + absl::Minutes(10));
  const OrderId never = place("e", absl::InfiniteFuture());
  const OrderId paid = place("f", kT0 + absl::Minutes(1));
  WS_ASSERT_OK(storage_->TransitionOrder(paid, OrderStatus::kPending, OrderStatus::kPaid, kT0));
  EXPECT_EQ(StockOf(*storage_, p.id), 14);

  const absl::Time now = kT0 + absl::Minutes(3);  // reserved_until <= now is due
  WS_ASSERT_OK_AND_ASSIGN(auto one, storage_->ExpireReservations(now, 1));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].order.id, first);
  EXPECT_EQ(one[0].order.status, OrderStatus::kExpired);
  EXPECT_EQ(one[0].order.updated_at, now);
  ASSERT_EQ(one[0].stock_changes.size(), 1u);
  EXPECT_EQ(one[0].stock_changes[0].stock_after - one[0].stock_changes[0].stock_before, 1);
  EXPECT_EQ(StockOf(*storage_, p.id), 15);
  WS_ASSERT_OK_AND_ASSIGN(auto rest, storage_->ExpireReservations(now, 10));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].order.id, second);
  EXPECT_EQ(rest[1].order.id, third);
  EXPECT_EQ(StockOf(*storage_, p.id), 17);
  WS_ASSERT_OK_AND_ASSIGN(auto none, storage_->ExpireReservations(now, 10));
  EXPECT_TRUE(none.empty());
  WS_ASSERT_OK_AND_ASSIGN(auto zero, storage_->ExpireReservations(kT0 + absl::Hours(1), 0));
  EXPECT_TRUE(zero.empty());
  EXPECT_EQ(StockOf(*storage_, p.id), 17);
  for (OrderId id : {later, never}) {
    WS_ASSERT_OK_AND_ASSIGN(Order o, storage_->GetOrder(id));
    EXPECT_EQ(o.status, OrderStatus::kPending);
  }
  WS_ASSERT_OK_AND_ASSIGN(Order p_order, storage_->GetOrder(paid));
  EXPECT_EQ(p_order.status, OrderStatus::kPaid);
  WS_ASSERT_OK_AND_ASSIGN(Order gone, storage_->GetOrder(first));
  EXPECT_EQ(gone.status, OrderStatus::kExpired);
  // An expired order cannot be cancelled (its stock is back already).
  WS_EXPECT_REASON(
      storage_->TransitionOrder(first, OrderStatus::kExpired, OrderStatus::kCancelled, now),
      absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  WS_EXPECT_REASON(
      storage_->TransitionOrder(first, OrderStatus::kPending, OrderStatus::kCancelled, now),
      absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  EXPECT_EQ(StockOf(*storage_, p.id), 17);
  OrderQuery q;
  q.status = OrderStatus::kExpired;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage expired, storage_->ListOrders(q));
  EXPECT_EQ(expired.items.size(), 3u);
}

// Sweepers running at once (threads here; processes or server instances in
// production) expire each due order once and return its stock once.
TEST_P(StorageConformanceTest, ConcurrentSweepersExpireEachOrderOnce) {
  constexpr int kOrders = 40;
  constexpr int kSweepers = 8;
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p,
                          storage_->CreateProduct(WatchDraft("AB", 100, kOrders + 5), kT0));
  const VariantId v = p.variants[0].id;
  std::set<OrderId> placed;
  for (int i = 0; i < kOrders; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(
        auto r, storage_->PlaceOrder(
                    CardOrder(a.id, absl::StrCat("k", i), {{v, 1}}, kT0 + absl::Seconds(i))));
    placed.insert(r.order.id);
  }
  EXPECT_EQ(StockOf(*storage_, p.id), 5);
  std::vector<std::vector<OrderId>> swept(kSweepers);
  std::vector<absl::Status> errors(kSweepers);
  std::latch start(kSweepers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kSweepers; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int guard = 0; guard < 100; ++guard) {
        auto r = storage_->ExpireReservations(kT0 + absl::Hours(1), 3);
        if (!r.ok()) {
          errors[t] = r.status();
          return;
        }
        if (r->empty()) return;
        for (const TransitionResult& e : *r) swept[t].push_back(e.order.id);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::multiset<OrderId> all;
  for (int t = 0; t < kSweepers; ++t) {
    WS_EXPECT_OK(errors[t]);
    all.insert(swept[t].begin(), swept[t].end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kOrders)) << "each order expired exactly once";
  EXPECT_EQ(std::set<OrderId>(all.begin(), all.end()), placed);
  EXPECT_EQ(StockOf(*storage_, p.id), kOrders + 5);
  WS_ASSERT_OK_AND_ASSIGN(auto none, storage_->ExpireReservations(kT0 + absl::Hours(1), 100));
  EXPECT_TRUE(none.empty());
}

// The sweeper and late payments racing over the same orders: whoever wins
// each order, a paid order holds its stock, an expired one does not, and a
// payment that found no stock is owed back; stock is never lost or doubled.
TEST_P(StorageConformanceTest, SweeperRacingPaymentsNeverLeavesAPaidOrderWithoutStock) {
  constexpr int kOrders = 24;
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, kOrders), kT0));
  const VariantId v = p.variants[0].id;
  std::vector<Order> orders;
  for (int i = 0; i < kOrders; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(
        auto r, storage_->PlaceOrder(
                    CardOrder(a.id, absl::StrCat("k", i), {{v, 1}}, kT0 + absl::Seconds(i))));
    orders.push_back(r.order);
  }
  // Half the units go to someone else once expired orders give them back.
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(Buyer("b@example.com")));
  std::latch start(3);
  std::vector<absl::Status> errors(3);
  std::thread sweeper([&] {
    start.arrive_and_wait();
    for (int guard = 0; guard < 100; ++guard) {
      auto r = storage_->ExpireReservations(kT0 + absl::Hours(1), 2);
      if (!r.ok()) errors[0] = r.status();
      if (!r.ok() || r->empty()) return;
    }
  });
  std::thread payer([&] {
    start.arrive_and_wait();
    for (int i = kOrders - 1; i >= 0; i -= 2) {  // every other order pays
      auto r = storage_->ApplyPaymentUpdate(Told(orders[i], absl::StrCat("evt_", i),
                                                 PaymentState::kCaptured, absl::StrCat("pi_", i)));
      if (!r.ok()) errors[1] = r.status();
    }
  });
  std::thread rival([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kOrders / 2; ++i) {
      auto r = storage_->PlaceOrder(AnOrder(b.id, absl::StrCat("b", i), {{v, 1}}));
      if (!r.ok() && ReasonOf(r.status()) != reason::kOutOfStock) errors[2] = r.status();
    }
  });
  sweeper.join();
  payer.join();
  rival.join();
  for (const absl::Status& e : errors) WS_EXPECT_OK(e);
  WS_ASSERT_OK(storage_->ExpireReservations(kT0 + absl::Hours(1), 100));

  OrderQuery all;
  all.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage page, storage_->ListOrders(all));
  int64_t held = 0;
  for (const Order& o : page.items) {
    const bool captured = o.payment.state == PaymentState::kCaptured;
    switch (o.status) {
      case OrderStatus::kPaid:
        EXPECT_TRUE(captured) << o.number;
        EXPECT_EQ(o.refund_due.minor_units, 0) << o.number;
        held += o.lines[0].quantity;
        break;
      case OrderStatus::kPending:  // b's orders (never expire)
        EXPECT_EQ(o.user_id, b.id) << o.number;
        held += o.lines[0].quantity;
        break;
      case OrderStatus::kExpired:
        EXPECT_EQ(o.refund_due, captured ? o.total : Usd(0)) << o.number;
        break;
      default:
        ADD_FAILURE() << o.number << " is " << OrderStatusName(o.status);
    }
  }
  EXPECT_EQ(StockOf(*storage_, p.id) + held, kOrders) << "every unit is on a shelf or in one order";
}

// One buyer (or one client address) firing checkouts at once gets no more
// unpaid orders than the cap: the count and the insert are one decision.
TEST_P(StorageConformanceTest, ConcurrentCheckoutsOfOneBuyerRespectTheCap) {
  constexpr int kRacers = 8;
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 50), kT0));
  const VariantId v = p.variants[0].id;
  for (bool by_address : {false, true}) {
    std::vector<absl::StatusOr<PlaceOrderResult>> results(kRacers, absl::UnknownError("not run"));
    std::latch start(kRacers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kRacers; ++i) {
      threads.emplace_back([&, i] {
        NewOrder o = by_address ? GuestOrder(absl::StrCat("cart", i), absl::StrCat("g", i, "@x.io"),
                                             "k", {{v, 1}})
                                : CardOrder(a.id, absl::StrCat("k", i), {{v, 1}});
        o.max_unpaid_per_buyer = 2;
        o.max_unpaid_per_address = 3;
        o.placed_from = by_address ? "192.0.2.9" : "";
        start.arrive_and_wait();
        results[i] = storage_->PlaceOrder(o);
      });
    }
    for (std::thread& t : threads) t.join();
    int placed = 0;
    for (const auto& r : results) {
      if (r.ok()) {
        ++placed;
      } else {
        EXPECT_EQ(ReasonOf(r.status()), reason::kTooManyUnpaidOrders) << r.status();
      }
    }
    EXPECT_EQ(placed, by_address ? 3 : 2) << (by_address ? "per address" : "per buyer");
  }
  EXPECT_EQ(StockOf(*storage_, p.id), 45);
}

// A provider retrying one event while it is being applied: applied once.
TEST_P(StorageConformanceTest, ConcurrentDeliveriesOfOneEventApplyItOnce) {
  constexpr int kDeliveries = 8;
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 5), kT0));
  WS_ASSERT_OK_AND_ASSIGN(auto placed,
                          storage_->PlaceOrder(CardOrder(a.id, "k", {{p.variants[0].id, 1}})));
  PaymentUpdate u = Told(placed.order, "evt_1", PaymentState::kCaptured);
  u.outbox_if_paid.push_back(PaidMail("paid"));
  std::vector<absl::StatusOr<PaymentUpdateResult>> results(kDeliveries,
                                                           absl::UnknownError("not run"));
  std::latch start(kDeliveries);
  std::vector<std::thread> threads;
  for (int i = 0; i < kDeliveries; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = storage_->ApplyPaymentUpdate(u);
    });
  }
  for (std::thread& t : threads) t.join();
  int applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    applied += !r->duplicate;
    EXPECT_EQ(r->order.status, OrderStatus::kPaid) << "a duplicate waits for the first";
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(PendingMail(*storage_), 1u);
}

// A guest's checkout retried at once under one key: one order.
TEST_P(StorageConformanceTest, ConcurrentGuestRetriesMakeOneOrder) {
  constexpr int kRetries = 8;
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 50), kT0));
  std::vector<absl::StatusOr<PlaceOrderResult>> results(kRetries, absl::UnknownError("not run"));
  std::latch start(kRetries);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRetries; ++i) {
    threads.emplace_back([&, i] {
      const NewOrder o = GuestOrder("cart", "g@example.com", "once", {{p.variants[0].id, 2}});
      start.arrive_and_wait();
      results[i] = storage_->PlaceOrder(o);
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<OrderId> ids;
  int fresh = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    ids.insert(r->order.id);
    fresh += !r->replayed;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(fresh, 1);
  EXPECT_EQ(StockOf(*storage_, p.id), 48);
}

// --- Caps on unpaid orders ---------------------------------------------------

TEST_P(StorageConformanceTest, CapsUnpaidOrdersPerBuyerGuestEmailAndAddress) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(User b, storage_->CreateUser(Buyer("b@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100, 50), kT0));
  const VariantId v = p.variants[0].id;
  auto capped = [&](NewOrder o, const std::string& from) {
    o.max_unpaid_per_buyer = 2;
    o.max_unpaid_per_address = 3;
    o.placed_from = from;
    return o;
  };
  // Per user.
  WS_ASSERT_OK_AND_ASSIGN(auto a1,
                          storage_->PlaceOrder(capped(CardOrder(a.id, "a1", {{v, 1}}), "")));
  WS_ASSERT_OK(storage_->PlaceOrder(capped(CardOrder(a.id, "a2", {{v, 1}}), "")));
  WS_EXPECT_REASON(storage_->PlaceOrder(capped(CardOrder(a.id, "a3", {{v, 1}}), "")),
                   absl::StatusCode::kResourceExhausted, reason::kTooManyUnpaidOrders);
  EXPECT_EQ(StockOf(*storage_, p.id), 48);
  // A replay is not a new unpaid order.
  WS_ASSERT_OK_AND_ASSIGN(auto replay,
                          storage_->PlaceOrder(capped(CardOrder(a.id, "a1", {{v, 1}}), "")));
  EXPECT_TRUE(replay.replayed);
  // A paid order no longer counts.
  WS_ASSERT_OK(storage_->ApplyPaymentUpdate(Told(a1.order, "evt_a1", PaymentState::kCaptured)));
  WS_ASSERT_OK(storage_->PlaceOrder(capped(CardOrder(a.id, "a3", {{v, 1}}), "")));

  // Per guest e-mail, across guest carts; another e-mail is not counted.
  WS_ASSERT_OK(storage_->PlaceOrder(capped(GuestOrder("c1", "g@example.com", "k", {{v, 1}}), "")));
  WS_ASSERT_OK(storage_->PlaceOrder(capped(GuestOrder("c2", "g@example.com", "k", {{v, 1}}), "")));
  WS_EXPECT_REASON(
      storage_->PlaceOrder(capped(GuestOrder("c3", "g@example.com", "k", {{v, 1}}), "")),
      absl::StatusCode::kResourceExhausted, reason::kTooManyUnpaidOrders);
  WS_ASSERT_OK(storage_->PlaceOrder(capped(GuestOrder("c3", "h@example.com", "k", {{v, 1}}), "")));

  // Per client address, whoever the buyer; expired orders no longer count.
  WS_ASSERT_OK(storage_->PlaceOrder(
      capped(CardOrder(b.id, "b1", {{v, 1}}, kT0 + absl::Minutes(1)), "198.51.100.1")));
  WS_ASSERT_OK(storage_->PlaceOrder(
      capped(GuestOrder("c4", "i@example.com", "k", {{v, 1}}), "198.51.100.1")));
  WS_ASSERT_OK(storage_->PlaceOrder(
      capped(GuestOrder("c5", "j@example.com", "k", {{v, 1}}), "198.51.100.1")));
  const int64_t before = StockOf(*storage_, p.id);
  WS_EXPECT_REASON(storage_->PlaceOrder(
                       capped(GuestOrder("c6", "k@example.com", "k", {{v, 1}}), "198.51.100.1")),
                   absl::StatusCode::kResourceExhausted, reason::kTooManyUnpaidOrders);
  WS_ASSERT_OK(storage_->PlaceOrder(
      capped(GuestOrder("c6", "k@example.com", "k", {{v, 1}}), "198.51.100.2")));
  EXPECT_EQ(StockOf(*storage_, p.id), before - 1);
  WS_ASSERT_OK_AND_ASSIGN(auto expired, storage_->ExpireReservations(kT0 + absl::Minutes(1), 10));
  ASSERT_EQ(expired.size(), 1u);
  WS_ASSERT_OK(storage_->PlaceOrder(
      capped(GuestOrder("c7", "k@example.com", "k", {{v, 1}}), "198.51.100.1")));
  // No caps: no limit.
  for (int i = 0; i < 3; ++i) {
    WS_ASSERT_OK(storage_->PlaceOrder(CardOrder(b.id, absl::StrCat("free", i), {{v, 1}})));
  }
}

// --- Refunds -----------------------------------------------------------------

TEST_P(StorageConformanceTest, RefundsLinesRestocksAndCompletes) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 10), kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product q, storage_->CreateProduct(WatchDraft("CD", 30'00, 10), kT0));
  const VariantId vp = p.variants[0].id, vq = q.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(auto r, storage_->PlaceOrder(CardOrder(a.id, "k", {{vp, 3}, {vq, 1}})));
  const OrderId id = r.order.id;
  const absl::Time t1 = kT0 + absl::Minutes(1);
  RefundRequest early;
  early.order_id = id;
  early.now = t1;
  WS_EXPECT_REASON(storage_->RefundOrder(early), absl::StatusCode::kFailedPrecondition,
                   reason::kIllegalTransition);  // pending: cancel instead
  WS_ASSERT_OK(storage_->ApplyPaymentUpdate(Told(r.order, "evt_1", PaymentState::kCaptured)));
  EXPECT_EQ(StockOf(*storage_, p.id), 7);

  // One of three of p, restocked.
  RefundRequest one;
  one.order_id = id;
  one.lines = {{vp, 1}};
  one.now = t1;
  one.outbox.push_back(PaidMail("refund-1"));
  WS_ASSERT_OK_AND_ASSIGN(TransitionResult partial, storage_->RefundOrder(one));
  EXPECT_EQ(partial.order.status, OrderStatus::kPaid);
  EXPECT_EQ(partial.order.refund_due, Usd(100'00));
  EXPECT_EQ(partial.order.updated_at, t1);
  ASSERT_EQ(partial.stock_changes.size(), 1u);
  EXPECT_EQ(partial.stock_changes[0].variant_id, vp);
  EXPECT_EQ(partial.stock_changes[0].stock_before, 7);
  EXPECT_EQ(partial.stock_changes[0].stock_after, 8);
  EXPECT_EQ(StockOf(*storage_, p.id), 8);
  EXPECT_EQ(PendingMail(*storage_), 1u);
  WS_ASSERT_OK_AND_ASSIGN(Order stored, storage_->GetOrder(id));
  EXPECT_EQ(stored.refund_due, Usd(100'00));
  std::map<VariantId, int64_t> refunded;
  for (const OrderLine& l : stored.lines) refunded[l.variant_id] = l.refunded_quantity;
  EXPECT_EQ(refunded, (std::map<VariantId, int64_t>{{vp, 1}, {vq, 0}}));

  // Too many, a line it does not have, a zero quantity: nothing changes.
  RefundRequest too_many = one;
  too_many.lines = {{vp, 3}};
  WS_EXPECT_CODE(storage_->RefundOrder(too_many), absl::StatusCode::kInvalidArgument);
  RefundRequest stranger = one;
  stranger.lines = {{vq + 1000, 1}};
  WS_EXPECT_CODE(storage_->RefundOrder(stranger), absl::StatusCode::kInvalidArgument);
  RefundRequest nothing = one;
  nothing.lines = {{vp, 0}};
  WS_EXPECT_CODE(storage_->RefundOrder(nothing), absl::StatusCode::kInvalidArgument);
  WS_ASSERT_OK_AND_ASSIGN(stored, storage_->GetOrder(id));
  EXPECT_EQ(stored.refund_due, Usd(100'00));
  EXPECT_EQ(StockOf(*storage_, p.id), 8);
  EXPECT_EQ(PendingMail(*storage_), 1u);

  // A partly refunded order cannot be cancelled (stock and money would go
  // back twice): the rest is refunded instead.
  WS_EXPECT_REASON(storage_->TransitionOrder(id, OrderStatus::kPaid, OrderStatus::kCancelled, t1),
                   absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  EXPECT_EQ(StockOf(*storage_, p.id), 8);

  // Ship it; the rest comes back unsellable: refunded, not restocked.
  WS_ASSERT_OK(storage_->TransitionOrder(id, OrderStatus::kPaid, OrderStatus::kShipped, t1));
  RefundRequest rest;
  rest.order_id = id;
  rest.restock = false;
  rest.now = t1 + absl::Minutes(1);
  WS_ASSERT_OK_AND_ASSIGN(TransitionResult full, storage_->RefundOrder(rest));
  EXPECT_EQ(full.order.status, OrderStatus::kRefunded);
  EXPECT_TRUE(full.stock_changes.empty());
  EXPECT_EQ(full.order.refund_due, r.order.total);
  for (const OrderLine& l : full.order.lines) EXPECT_EQ(l.refunded_quantity, l.quantity);
  EXPECT_EQ(StockOf(*storage_, p.id), 8);
  EXPECT_EQ(StockOf(*storage_, q.id), 9);
  WS_ASSERT_OK_AND_ASSIGN(stored, storage_->GetOrder(id));
  EXPECT_EQ(stored.status, OrderStatus::kRefunded);
  EXPECT_EQ(stored.refund_due, r.order.total);
  WS_EXPECT_REASON(storage_->RefundOrder(rest), absl::StatusCode::kFailedPrecondition,
                   reason::kIllegalTransition);
  RefundRequest missing = rest;
  missing.order_id = id + 1000;
  WS_EXPECT_CODE(storage_->RefundOrder(missing), absl::StatusCode::kNotFound);

  // A cancelled order is not refunded line by line.
  WS_ASSERT_OK_AND_ASSIGN(auto c, storage_->PlaceOrder(CardOrder(a.id, "k2", {{vp, 1}})));
  WS_ASSERT_OK(
      storage_->TransitionOrder(c.order.id, OrderStatus::kPending, OrderStatus::kCancelled, t1));
  RefundRequest cancelled;
  cancelled.order_id = c.order.id;
  cancelled.now = t1;
  WS_EXPECT_REASON(storage_->RefundOrder(cancelled), absl::StatusCode::kFailedPrecondition,
                   reason::kIllegalTransition);
}

TEST_P(StorageConformanceTest, SettlesRefundsAsTheProviderConfirmsThem) {
  WS_ASSERT_OK_AND_ASSIGN(User a, storage_->CreateUser(Buyer("a@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("AB", 100'00, 10), kT0));
  WS_ASSERT_OK_AND_ASSIGN(auto r,
                          storage_->PlaceOrder(CardOrder(a.id, "k", {{p.variants[0].id, 2}})));
  const OrderId id = r.order.id;
  WS_ASSERT_OK(storage_->PlaceOrder(CardOrder(a.id, "k2", {{p.variants[0].id, 1}})));
  WS_ASSERT_OK(storage_->ApplyPaymentUpdate(Told(r.order, "evt_1", PaymentState::kCaptured)));
  WS_ASSERT_OK_AND_ASSIGN(auto cancelled, storage_->TransitionOrder(id, OrderStatus::kPaid,
                                                                    OrderStatus::kCancelled, kT0));
  EXPECT_EQ(cancelled.order.refund_due, Usd(200'00));
  OrderQuery due;
  due.refund_due_only = true;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage page, storage_->ListOrders(due));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, id);

  const absl::Time t1 = kT0 + absl::Minutes(7);
  WS_ASSERT_OK_AND_ASSIGN(Order part, storage_->SettleRefund(id, Usd(50'00), t1));
  EXPECT_EQ(part.refund_due, Usd(150'00));
  EXPECT_EQ(part.payment.refunded, Usd(50'00));
  EXPECT_EQ(part.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(part.updated_at, t1);
  WS_EXPECT_REASON(storage_->SettleRefund(id, Usd(150'01), t1),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  WS_EXPECT_REASON(storage_->SettleRefund(id, Money{10'00, *Currency::FromCode("EUR")}, t1),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  WS_EXPECT_REASON(storage_->SettleRefund(id, Usd(0), t1), absl::StatusCode::kFailedPrecondition,
                   reason::kPaymentMismatch);
  WS_ASSERT_OK_AND_ASSIGN(Order settled, storage_->SettleRefund(id, Usd(150'00), t1));
  EXPECT_EQ(settled.refund_due, Usd(0));
  EXPECT_EQ(settled.payment.refunded, Usd(200'00));
  EXPECT_EQ(settled.payment.state, PaymentState::kRefunded);
  WS_ASSERT_OK_AND_ASSIGN(Order stored, storage_->GetOrder(id));
  EXPECT_EQ(stored.refund_due, Usd(0));
  EXPECT_EQ(stored.payment.refunded, Usd(200'00));
  EXPECT_EQ(stored.payment.state, PaymentState::kRefunded);
  WS_ASSERT_OK_AND_ASSIGN(page, storage_->ListOrders(due));
  EXPECT_TRUE(page.items.empty());
  WS_EXPECT_CODE(storage_->SettleRefund(id + 1000, Usd(1), t1), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace watchstore::testing
