// Payments in the Orders service: guest checkout and its order link, manual
// payments, a card provider's notifications (in any order, each once), late
// payments after a reservation expired, refunds and the unpaid-order caps.
// The provider here is a recording fake; the Stripe adapter is tested against
// its stand-in server in tests/payments/.
#include <thread>

#include "fake_payment_provider.h"
#include "service_fixture.h"
#include "watchstore/errors.h"
#include "watchstore/tokens.h"

namespace watchstore::testing {
namespace {

class PaymentsTest : public ServiceTest {
 protected:
  void OpenWith(std::shared_ptr<PaymentProvider> provider, int per_buyer = 3) {
    StoreOptions o;
    o.payments.provider = std::move(provider);
    o.payments.max_unpaid_per_buyer = per_buyer;
    Open(o);
  }
  Orders& orders() { return store_->orders(); }
  void Fill(const Principal& who, VariantId v, int64_t q) {
    WS_ASSERT_OK(store_->carts().AddItem(store_->carts().UserOwner(who), v, q));
  }
  // A guest cart holding `q` of `v`; returns its token.
  std::string GuestCart(VariantId v, int64_t q) {
    std::string token = store_->carts().NewGuestToken();
    auto owner = store_->carts().GuestOwner(token);
    EXPECT_TRUE(owner.ok());
    EXPECT_TRUE(store_->carts().AddItem(*owner, v, q).ok());
    return token;
  }
  CheckoutRequest GuestCheckout(const std::string& key, const std::string& cart,
                                const std::string& email) {
    CheckoutRequest r = Checkout(key);
    r.guest_cart_token = cart;
    r.guest_email = email;
    return r;
  }
  int64_t StockOf(ProductId id) {
    auto p = store_->storage().GetProduct(id);
    EXPECT_TRUE(p.ok());
    return p.ok() ? p->variants[0].stock : -1;
  }
  int OutboxOfKind(absl::string_view kind) {
    auto pending = store_->storage().ListOutbox(OutboxState::kPending, 1000);
    EXPECT_TRUE(pending.ok());
    int n = 0;
    for (const OutboxMessage& m : *pending) n += m.draft.kind == kind;
    return n;
  }
};

TEST_F(PaymentsTest, GuestChecksOutWithALinkThatReplaysAndOnlyItsHashIsStored) {
  auto p = AddWatch("G1", 300'00, 5);
  const std::string cart = GuestCart(p->variants[0].id, 2);
  WS_ASSERT_OK_AND_ASSIGN(
      CheckoutResult r,
      orders().Checkout(Principal{}, GuestCheckout("k", cart, "Guest@Example.com")));
  EXPECT_EQ(r.order.user_id, 0);
  EXPECT_EQ(r.order.guest_email, "guest@example.com");
  EXPECT_TRUE(IsWellFormedToken(r.access_token));
  EXPECT_EQ(r.order.access_token_hash, Sha256Hex(r.access_token));
  EXPECT_EQ(r.order.payment.provider, "manual");
  EXPECT_EQ(r.order.payment.reference, r.order.number);
  EXPECT_EQ(StockOf(p->id), 3);
  // The guest cart is gone; a replay gives the same order and link.
  WS_ASSERT_OK_AND_ASSIGN(auto owner, store_->carts().GuestOwner(cart));
  WS_ASSERT_OK_AND_ASSIGN(CartView left, store_->carts().GetCart(owner));
  EXPECT_TRUE(left.lines.empty());
  WS_ASSERT_OK_AND_ASSIGN(
      CheckoutResult again,
      orders().Checkout(Principal{}, GuestCheckout("k", cart, "guest@example.com")));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, r.order.id);
  EXPECT_EQ(again.access_token, r.access_token);
  // The link finds it; anything else does not.
  WS_ASSERT_OK_AND_ASSIGN(Order linked, orders().GetOrderByLink(r.access_token));
  EXPECT_EQ(linked.id, r.order.id);
  WS_EXPECT_CODE(orders().GetOrderByLink(NewRandomToken()), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(orders().GetOrderByLink("short"), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(orders().GetOrder(alice_, r.order.id), absl::StatusCode::kNotFound);
  // Without a cart or an address there is no guest checkout.
  WS_EXPECT_CODE(orders().Checkout(Principal{}, Checkout("k2")),
                 absl::StatusCode::kUnauthenticated);
  WS_EXPECT_CODE(orders().Checkout(Principal{}, GuestCheckout("k2", cart, "not-an-address")),
                 absl::StatusCode::kInvalidArgument);
  // The confirmation e-mail carries the link.
  auto pending = store_->storage().ListOutbox(OutboxState::kPending, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().draft.recipient, "guest@example.com");
  EXPECT_NE(pending->front().draft.payload.find(r.access_token), std::string::npos);
  // The buyer cancels through the link; stock returns.
  WS_ASSERT_OK_AND_ASSIGN(Order cancelled, orders().CancelOrderByLink(r.access_token));
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_EQ(StockOf(p->id), 5);
}

TEST_F(PaymentsTest, AVerifiedAccountClaimsItsGuestOrders) {
  auto p = AddWatch("G2", 100'00, 5);
  WS_ASSERT_OK_AND_ASSIGN(
      CheckoutResult r,
      orders().Checkout(Principal{},
                        GuestCheckout("k", GuestCart(p->variants[0].id, 1), "carol@example.com")));
  WS_ASSERT_OK_AND_ASSIGN(
      CheckoutResult other,
      orders().Checkout(Principal{},
                        GuestCheckout("k", GuestCart(p->variants[0].id, 1), "dave@example.com")));
  User carol = MakeUser(store_->storage(), "carol@example.com");
  WS_ASSERT_OK_AND_ASSIGN(int64_t claimed,
                          store_->storage().ClaimGuestOrders("carol@example.com", carol.id));
  EXPECT_EQ(claimed, 1);
  WS_ASSERT_OK_AND_ASSIGN(OrderPage mine,
                          orders().ListMyOrders(PrincipalOf(carol), 10, std::nullopt));
  ASSERT_EQ(mine.items.size(), 1u);
  EXPECT_EQ(mine.items[0].id, r.order.id);
  // The link keeps working after the claim.
  WS_EXPECT_OK(orders().GetOrderByLink(r.access_token));
  WS_ASSERT_OK_AND_ASSIGN(Order still_guest, orders().GetOrderByLink(other.access_token));
  EXPECT_EQ(still_guest.user_id, 0);
}

TEST_F(PaymentsTest, StaffRecordAManualPaymentAndTheBuyerIsTold) {
  auto p = AddWatch("M1", 100'00, 5);
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  EXPECT_EQ(r.order.reserved_until, clock_.Now() + absl::Hours(72));
  EXPECT_EQ(r.order.payment.state, PaymentState::kRequiresAction);
  WS_EXPECT_CODE(orders().RecordPayment(alice_, r.order.id), absl::StatusCode::kPermissionDenied);
  WS_ASSERT_OK_AND_ASSIGN(Order paid, orders().RecordPayment(admin_, r.order.id));
  EXPECT_EQ(paid.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(OutboxOfKind(mail_kind::kOrderPaid), 1);
  WS_EXPECT_REASON(orders().RecordPayment(admin_, r.order.id),
                   absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  EXPECT_EQ(OutboxOfKind(mail_kind::kOrderPaid), 1);
}

TEST_F(PaymentsTest, ExpiredReservationsReturnTheirStockOnce) {
  auto p = AddWatch("E1", 100'00, 5);
  Fill(alice_, p->variants[0].id, 2);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  EXPECT_EQ(StockOf(p->id), 3);
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport early, orders().RunPaymentMaintenance());
  EXPECT_EQ(early.expired, 0);
  clock_.Advance(absl::Hours(72));
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport swept, orders().RunPaymentMaintenance());
  EXPECT_EQ(swept.expired, 1);
  EXPECT_EQ(StockOf(p->id), 5);
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport again, orders().RunPaymentMaintenance());
  EXPECT_EQ(again.expired, 0);
  EXPECT_EQ(StockOf(p->id), 5);
  WS_ASSERT_OK_AND_ASSIGN(Order expired, orders().GetOrder(alice_, r.order.id));
  EXPECT_EQ(expired.status, OrderStatus::kExpired);
  // Staff can still take a late bank transfer while the stock is there.
  WS_ASSERT_OK_AND_ASSIGN(Order revived, orders().RecordPayment(admin_, r.order.id));
  EXPECT_EQ(revived.status, OrderStatus::kPaid);
  EXPECT_EQ(StockOf(p->id), 3);
}

TEST_F(PaymentsTest, ACardPaymentIsMadeOnceAndTheOrderIsPaidOnlyByTheProvider) {
  auto card = std::make_shared<FakeCardProvider>();
  OpenWith(card);
  auto p = AddWatch("C1", 250'00, 5);
  Fill(alice_, p->variants[0].id, 1);
  // 20 concurrent tries with one key: one order, one payment.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      auto r = orders().Checkout(alice_, Checkout("same"));
      ok += r.ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(ok.load(), 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("same")));
  EXPECT_TRUE(r.replayed);
  EXPECT_EQ(card->intents.load(), 1);
  EXPECT_EQ(r.order.payment.reference, "pi_1");
  EXPECT_EQ(r.order.payment.client_secret, "pi_1_secret");
  EXPECT_EQ(r.order.reserved_until, clock_.Now() + absl::Minutes(30));
  EXPECT_EQ(StockOf(p->id), 4);
  // Staff cannot mark a card order paid; the buyer's word does not count.
  WS_EXPECT_REASON(orders().TransitionOrder(admin_, r.order.id, OrderStatus::kPaid),
                   absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
  WS_ASSERT_OK_AND_ASSIGN(Order unpaid, orders().RefreshPayment(alice_, r.order.id, ""));
  EXPECT_EQ(unpaid.status, OrderStatus::kPending);
  // The provider says so: paid, and told once.
  card->Capture("pi_1");
  WS_ASSERT_OK_AND_ASSIGN(Order paid, orders().RefreshPayment(alice_, r.order.id, ""));
  EXPECT_EQ(paid.status, OrderStatus::kPaid);
  EXPECT_EQ(paid.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(OutboxOfKind(mail_kind::kOrderPaid), 1);
}

TEST_F(PaymentsTest, NotificationsApplyOnceInAnyOrderAndMismatchesChangeNothing) {
  auto card = std::make_shared<FakeCardProvider>();
  OpenWith(card);
  auto p = AddWatch("C2", 250'00, 5);
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  const Order& o = r.order;
  // Not signed, or about no order of ours.
  WS_EXPECT_CODE(orders().HandlePaymentNotification(
                     FakeCardProvider::Event("e0", o, PaymentState::kCaptured), "bad"),
                 absl::StatusCode::kUnauthenticated);
  Order stranger = o;
  stranger.payment.reference = "pi_999";
  WS_EXPECT_CODE(orders().HandlePaymentNotification(
                     FakeCardProvider::Event("e0", stranger, PaymentState::kCaptured), "good"),
                 absl::StatusCode::kNotFound);
  // The wrong amount: refused, nothing recorded (the right one still applies).
  Order cheaper = o;
  cheaper.payment.amount.minor_units = 1;
  WS_EXPECT_REASON(orders().HandlePaymentNotification(
                       FakeCardProvider::Event("e1", cheaper, PaymentState::kCaptured), "good"),
                   absl::StatusCode::kFailedPrecondition, reason::kPaymentMismatch);
  WS_ASSERT_OK_AND_ASSIGN(Order same, orders().GetOrder(alice_, o.id));
  EXPECT_EQ(same.status, OrderStatus::kPending);
  // A failure, then the success, then the failure again late: paid.
  WS_ASSERT_OK(orders().HandlePaymentNotification(
      FakeCardProvider::Event("e2", o, PaymentState::kFailed), "good"));
  for (int i = 0; i < 10; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult applied,
                            orders().HandlePaymentNotification(
                                FakeCardProvider::Event("e3", o, PaymentState::kCaptured), "good"));
    EXPECT_EQ(applied.duplicate, i > 0);
    EXPECT_EQ(applied.order.status, OrderStatus::kPaid);
  }
  WS_ASSERT_OK_AND_ASSIGN(PaymentUpdateResult late,
                          orders().HandlePaymentNotification(
                              FakeCardProvider::Event("e4", o, PaymentState::kFailed), "good"));
  EXPECT_FALSE(late.changed);
  EXPECT_EQ(late.order.status, OrderStatus::kPaid);
  EXPECT_EQ(late.order.payment.state, PaymentState::kCaptured);
  EXPECT_EQ(OutboxOfKind(mail_kind::kOrderPaid), 1);
  EXPECT_EQ(StockOf(p->id), 4);
}

TEST_F(PaymentsTest, ALatePaymentRevivesTheOrderOrIsRefundedNeverPaidWithoutStock) {
  auto card = std::make_shared<FakeCardProvider>();
  OpenWith(card);
  auto p = AddWatch("L1", 100'00, 1);
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult first, orders().Checkout(alice_, Checkout("a")));
  clock_.Advance(absl::Minutes(31));
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport swept, orders().RunPaymentMaintenance());
  EXPECT_EQ(swept.expired, 1);
  EXPECT_EQ(card->cancel_calls.load(), 1);
  EXPECT_EQ(StockOf(p->id), 1);
  // The stock is still there: a late payment revives the order.
  WS_ASSERT_OK_AND_ASSIGN(
      PaymentUpdateResult revived,
      orders().HandlePaymentNotification(
          FakeCardProvider::Event("late1", first.order, PaymentState::kCaptured), "good"));
  EXPECT_EQ(revived.order.status, OrderStatus::kPaid);
  EXPECT_EQ(StockOf(p->id), 0);
  // Bob's order expires and the last unit is gone: his late payment goes back.
  WS_ASSERT_OK(store_->catalog().AdjustStock(admin_, p->variants[0].id, 1));
  Fill(bob_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult second, orders().Checkout(bob_, Checkout("b")));
  clock_.Advance(absl::Minutes(31));
  WS_ASSERT_OK(orders().RunPaymentMaintenance());
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK(orders().Checkout(alice_, Checkout("c")));  // takes the unit back
  EXPECT_EQ(StockOf(p->id), 0);
  WS_ASSERT_OK_AND_ASSIGN(
      PaymentUpdateResult refunded,
      orders().HandlePaymentNotification(
          FakeCardProvider::Event("late2", second.order, PaymentState::kCaptured), "good"));
  EXPECT_EQ(refunded.order.status, OrderStatus::kExpired);
  EXPECT_EQ(refunded.order.refund_due.minor_units, 0);  // given back at once
  EXPECT_EQ(refunded.order.payment.refunded, second.order.payment.amount);
  EXPECT_EQ(refunded.order.payment.state, PaymentState::kRefunded);
  EXPECT_EQ(card->refunded_total.load(), 100'00);
  EXPECT_EQ(StockOf(p->id), 0);
}

TEST_F(PaymentsTest, RefundsRestockAndReachTheProviderOnceEvenWhenItWasDown) {
  auto card = std::make_shared<FakeCardProvider>();
  OpenWith(card);
  auto p = AddWatch("R1", 100'00, 10);
  Fill(alice_, p->variants[0].id, 3);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  card->Capture(r.order.payment.reference);
  WS_ASSERT_OK(orders().RefreshPayment(alice_, r.order.id, ""));
  EXPECT_EQ(StockOf(p->id), 7);
  RefundRequest one;
  one.order_id = r.order.id;
  one.lines.push_back({p->variants[0].id, 1});
  WS_EXPECT_CODE(orders().RefundOrder(alice_, one), absl::StatusCode::kPermissionDenied);
  WS_ASSERT_OK_AND_ASSIGN(Order partial, orders().RefundOrder(admin_, one));
  EXPECT_EQ(partial.status, OrderStatus::kPaid);
  EXPECT_EQ(partial.lines[0].refunded_quantity, 1);
  EXPECT_EQ(partial.payment.refunded.minor_units, 100'00);
  EXPECT_EQ(partial.refund_due.minor_units, 0);
  EXPECT_EQ(StockOf(p->id), 8);
  // More than is left: refused, nothing changes.
  one.lines[0].quantity = 3;
  WS_EXPECT_CODE(orders().RefundOrder(admin_, one), absl::StatusCode::kInvalidArgument);
  // A paid order with refunds is refunded, not cancelled.
  WS_EXPECT_REASON(orders().CancelOrder(admin_, r.order.id), absl::StatusCode::kFailedPrecondition,
                   reason::kIllegalTransition);
  // The provider is down: the refund is recorded and paid later, once.
  card->down = true;
  RefundRequest rest;
  rest.order_id = r.order.id;
  rest.restock = false;
  WS_ASSERT_OK_AND_ASSIGN(Order owed, orders().RefundOrder(admin_, rest));
  EXPECT_EQ(owed.status, OrderStatus::kRefunded);
  EXPECT_EQ(owed.refund_due.minor_units, 200'00);
  EXPECT_EQ(StockOf(p->id), 8);
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport failed, orders().RunPaymentMaintenance());
  EXPECT_EQ(failed.errors, 1);
  card->down = false;
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport settled, orders().RunPaymentMaintenance());
  EXPECT_EQ(settled.refunds_settled, 1);
  WS_ASSERT_OK_AND_ASSIGN(Order done, orders().GetOrder(admin_, r.order.id));
  EXPECT_EQ(done.refund_due.minor_units, 0);
  EXPECT_EQ(done.payment.state, PaymentState::kRefunded);
  EXPECT_EQ(card->refunded_total.load(), 300'00);
  WS_ASSERT_OK_AND_ASSIGN(PaymentMaintenanceReport idle, orders().RunPaymentMaintenance());
  EXPECT_EQ(idle.refunds_settled, 0);
  EXPECT_EQ(card->refunded_total.load(), 300'00);
}

// One line named twice adds up; more lines than units left is refused.
TEST_F(PaymentsTest, ARefundMayNameALineTwiceButNeverRefundsMoreThanIsLeft) {
  auto card = std::make_shared<FakeCardProvider>();
  OpenWith(card);
  auto p = AddWatch("D1", 100'00, 10);
  Fill(alice_, p->variants[0].id, 2);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  card->Capture(r.order.payment.reference);
  WS_ASSERT_OK(orders().RefreshPayment(alice_, r.order.id, ""));
  RefundRequest request;
  request.order_id = r.order.id;
  request.lines = {{p->variants[0].id, 1}, {p->variants[0].id, 1}, {p->variants[0].id, 1}};
  WS_EXPECT_CODE(orders().RefundOrder(admin_, request), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StockOf(p->id), 8);
  request.lines.pop_back();
  WS_ASSERT_OK_AND_ASSIGN(Order refunded, orders().RefundOrder(admin_, request));
  EXPECT_EQ(refunded.status, OrderStatus::kRefunded);
  EXPECT_EQ(refunded.lines[0].refunded_quantity, 2);
  EXPECT_EQ(StockOf(p->id), 10);
  EXPECT_EQ(card->refunded_total.load(), 200'00);
}

TEST_F(PaymentsTest, UnpaidOrdersAreCappedPerBuyerAndPerGuestAddress) {
  OpenWith(nullptr, /*per_buyer=*/2);
  auto p = AddWatch("U1", 100'00, 100);
  for (const char* key : {"a", "b"}) {
    Fill(alice_, p->variants[0].id, 1);
    WS_ASSERT_OK(orders().Checkout(alice_, Checkout(key)));
  }
  Fill(alice_, p->variants[0].id, 1);
  WS_EXPECT_REASON(orders().Checkout(alice_, Checkout("c")), absl::StatusCode::kResourceExhausted,
                   reason::kTooManyUnpaidOrders);
  // Paying one frees a place.
  WS_ASSERT_OK_AND_ASSIGN(OrderPage mine, orders().ListMyOrders(alice_, 10, std::nullopt));
  WS_ASSERT_OK(orders().RecordPayment(admin_, mine.items[0].id));
  WS_ASSERT_OK(orders().Checkout(alice_, Checkout("c")));
  // Guests are counted by e-mail, whatever the cart.
  for (const char* key : {"a", "b"}) {
    WS_ASSERT_OK(orders().Checkout(
        Principal{}, GuestCheckout(key, GuestCart(p->variants[0].id, 1), "eve@example.com")));
  }
  WS_EXPECT_REASON(
      orders().Checkout(Principal{},
                        GuestCheckout("c", GuestCart(p->variants[0].id, 1), "eve@example.com")),
      absl::StatusCode::kResourceExhausted, reason::kTooManyUnpaidOrders);
  WS_ASSERT_OK(orders().Checkout(
      Principal{}, GuestCheckout("c", GuestCart(p->variants[0].id, 1), "frank@example.com")));
}

TEST_F(PaymentsTest, AProviderThatDoesNotAnswerLeavesARetryableOrder) {
  auto card = std::make_shared<FakeCardProvider>();
  OpenWith(card);
  auto p = AddWatch("D1", 100'00, 5);
  Fill(alice_, p->variants[0].id, 1);
  card->down = true;
  WS_EXPECT_REASON(orders().Checkout(alice_, Checkout("k")), absl::StatusCode::kUnavailable,
                   reason::kPaymentUnavailable);
  card->down = false;
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  EXPECT_TRUE(r.replayed);
  EXPECT_EQ(r.order.payment.reference, "pi_1");
  EXPECT_EQ(card->intents.load(), 1);
  EXPECT_EQ(StockOf(p->id), 4);
}

}  // namespace
}  // namespace watchstore::testing
