// Orders: checkout, idempotency, ownership, the status machine.
#include "service_fixture.h"

namespace watchstore::testing {
namespace {

class OrdersTest : public ServiceTest {
 protected:
  Orders& orders() { return store_->orders(); }
  void Fill(const Principal& who, VariantId v, int64_t q) {
    WS_ASSERT_OK(store_->carts().AddItem(store_->carts().UserOwner(who), v, q));
  }
};

TEST_F(OrdersTest, ChecksOutTheCart) {
  auto p = AddWatch("AB", 250'00, 5);
  Fill(alice_, p->variants[0].id, 2);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k1")));
  EXPECT_FALSE(r.replayed);
  EXPECT_EQ(r.order.total, Usd(500'00));
  EXPECT_EQ(r.order.status, OrderStatus::kPending);
  EXPECT_EQ(r.order.shipping.name, "Alice Liddell");
  WS_ASSERT_OK_AND_ASSIGN(CartView cart,
                          store_->carts().GetCart(store_->carts().UserOwner(alice_)));
  EXPECT_TRUE(cart.lines.empty());
  // Readers see the stock taken (the cached snapshot was invalidated).
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 3);
  WS_ASSERT_OK_AND_ASSIGN(OrderPage mine, orders().ListMyOrders(alice_, 10, std::nullopt));
  ASSERT_EQ(mine.items.size(), 1u);
  EXPECT_EQ(mine.items[0].id, r.order.id);
}

TEST_F(OrdersTest, SameKeyReplaysOtherRequestIsRefused) {
  auto p = AddWatch("AB", 100, 5);
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult first, orders().Checkout(alice_, Checkout("k1")));
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult again, orders().Checkout(alice_, Checkout("k1")));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.order.id, first.order.id);
  CheckoutRequest other = Checkout("k1");
  other.shipping.city = "Cambridge";
  WS_EXPECT_REASON(orders().Checkout(alice_, other), absl::StatusCode::kFailedPrecondition,
                   reason::kIdempotencyMismatch);
  WS_EXPECT_REASON(orders().Checkout(alice_, Checkout("k2")), absl::StatusCode::kFailedPrecondition,
                   reason::kCartEmpty);
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 4);
}

TEST_F(OrdersTest, ValidatesTheRequest) {
  auto p = AddWatch("AB", 100, 5);
  Fill(alice_, p->variants[0].id, 1);
  EXPECT_EQ(FieldOf(orders().Checkout(alice_, Checkout("")).status()), "Idempotency-Key");
  EXPECT_EQ(FieldOf(orders().Checkout(alice_, Checkout(std::string(256, 'k'))).status()),
            "Idempotency-Key");
  EXPECT_EQ(FieldOf(orders().Checkout(alice_, Checkout("has space")).status()), "Idempotency-Key");
  CheckoutRequest r = Checkout("k");
  r.shipping.country = "gb";
  EXPECT_EQ(FieldOf(orders().Checkout(alice_, r).status()), "shipping.country");
  r = Checkout("k");
  r.shipping.name = "";
  EXPECT_EQ(FieldOf(orders().Checkout(alice_, r).status()), "shipping.name");
  r = Checkout("k");
  r.shipping.city = "bad\ncity";
  EXPECT_EQ(FieldOf(orders().Checkout(alice_, r).status()), "shipping.city");
  WS_EXPECT_CODE(orders().Checkout(Principal{}, Checkout("k")), absl::StatusCode::kUnauthenticated);
  WS_ASSERT_OK_AND_ASSIGN(OrderPage none, orders().ListAllOrders(admin_, OrderQuery{}));
  EXPECT_TRUE(none.items.empty());
}

TEST_F(OrdersTest, CheckoutReadsPricesAndStockFromStorageNotTheCache) {
  auto p = AddWatch("AB", 100'00, 5);
  Fill(alice_, p->variants[0].id, 2);
  WS_ASSERT_OK(store_->catalog().GetProduct(p->id));  // warm the cache
  // Change the price and stock behind the cache's back.
  ProductDraft d = WatchDraft("AB", 130'00);
  d.variants[0].id = p->variants[0].id;
  WS_ASSERT_OK(store_->storage().UpdateProduct(p->id, p->version, d, clock_.Now()));
  WS_ASSERT_OK(store_->storage().AdjustStock(p->variants[0].id, -4, clock_.Now()));
  WS_EXPECT_REASON(orders().Checkout(alice_, Checkout("k1")), absl::StatusCode::kFailedPrecondition,
                   reason::kOutOfStock);
  WS_ASSERT_OK(store_->storage().AdjustStock(p->variants[0].id, 4, clock_.Now()));
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k2")));
  EXPECT_EQ(r.order.total, Usd(260'00));
}

TEST_F(OrdersTest, OtherUsersOrdersDoNotExist) {
  auto p = AddWatch("AB", 100, 5);
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  WS_EXPECT_CODE(orders().GetOrder(bob_, r.order.id), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(orders().CancelOrder(bob_, r.order.id), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(orders().GetOrder(alice_, r.order.id + 1), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(orders().GetOrder(alice_, -1), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(OrderPage bobs, orders().ListMyOrders(bob_, 10, std::nullopt));
  EXPECT_TRUE(bobs.items.empty());
  WS_EXPECT_OK(orders().GetOrder(admin_, r.order.id));
  WS_ASSERT_OK_AND_ASSIGN(Order still, orders().GetOrder(alice_, r.order.id));
  EXPECT_EQ(still.status, OrderStatus::kPending);
  EXPECT_EQ(FieldOf(orders().ListMyOrders(alice_, 0, std::nullopt).status()), "limit");
  EXPECT_EQ(FieldOf(orders().ListMyOrders(alice_, 101, std::nullopt).status()), "limit");
}

TEST_F(OrdersTest, BuyerCancelsAndStockReturns) {
  auto p = AddWatch("AB", 100, 5);
  Fill(alice_, p->variants[0].id, 3);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  WS_ASSERT_OK_AND_ASSIGN(Order cancelled, orders().CancelOrder(alice_, r.order.id));
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 5);
  WS_EXPECT_REASON(orders().CancelOrder(alice_, r.order.id), absl::StatusCode::kFailedPrecondition,
                   reason::kIllegalTransition);
  WS_ASSERT_OK_AND_ASSIGN(after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 5);
}

// A buyer cancels only while unpaid; staff cancel a paid order, which
// records the refund due.
TEST_F(OrdersTest, OnlyStaffCancelAPaidOrderAndARefundIsDue) {
  auto p = AddWatch("AB", 100, 5);
  Fill(alice_, p->variants[0].id, 2);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r, orders().Checkout(alice_, Checkout("k")));
  WS_ASSERT_OK(orders().TransitionOrder(admin_, r.order.id, OrderStatus::kPaid));
  WS_EXPECT_REASON(orders().CancelOrder(alice_, r.order.id), absl::StatusCode::kFailedPrecondition,
                   reason::kOrderPaid);
  WS_ASSERT_OK_AND_ASSIGN(Order still, orders().GetOrder(alice_, r.order.id));
  EXPECT_EQ(still.status, OrderStatus::kPaid);
  WS_ASSERT_OK_AND_ASSIGN(auto held, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(held->variants[0].stock, 3);
  WS_ASSERT_OK_AND_ASSIGN(Order cancelled, orders().CancelOrder(admin_, r.order.id));
  EXPECT_EQ(cancelled.status, OrderStatus::kCancelled);
  // Paid by hand (the manual provider), given back by hand: recorded at once.
  EXPECT_EQ(cancelled.refund_due.minor_units, 0);
  EXPECT_EQ(cancelled.payment.refunded, r.order.total);
  EXPECT_EQ(cancelled.payment.state, PaymentState::kRefunded);
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 5);
  // An unpaid order cancelled owes nothing.
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r2, orders().Checkout(alice_, Checkout("k2")));
  WS_ASSERT_OK_AND_ASSIGN(Order unpaid, orders().CancelOrder(alice_, r2.order.id));
  EXPECT_EQ(unpaid.refund_due.minor_units, 0);
}

TEST_F(OrdersTest, EveryTransitionLegalOrNot) {
  StoreOptions no_caps;
  no_caps.payments.max_unpaid_per_buyer = 0;
  Open(no_caps);
  auto p = AddWatch("AB", 100, 100);
  const OrderStatus all[] = {OrderStatus::kPending, OrderStatus::kPaid, OrderStatus::kShipped,
                             OrderStatus::kDelivered, OrderStatus::kCancelled};
  const std::vector<OrderStatus> path_to[] = {
      {},
      {OrderStatus::kPaid},
      {OrderStatus::kPaid, OrderStatus::kShipped},
      {OrderStatus::kPaid, OrderStatus::kShipped, OrderStatus::kDelivered},
      {OrderStatus::kCancelled}};
  int n = 0;
  for (int from = 0; from < 5; ++from) {
    for (OrderStatus to : all) {
      Fill(alice_, p->variants[0].id, 1);
      WS_ASSERT_OK_AND_ASSIGN(CheckoutResult r,
                              orders().Checkout(alice_, Checkout("k" + std::to_string(n++))));
      for (OrderStatus step : path_to[from])
        WS_ASSERT_OK(orders().TransitionOrder(admin_, r.order.id, step));
      auto moved = orders().TransitionOrder(admin_, r.order.id, to);
      if (IsLegalTransition(all[from], to)) {
        WS_EXPECT_OK(moved);
        EXPECT_EQ(moved->status, to);
      } else {
        WS_EXPECT_REASON(moved, absl::StatusCode::kFailedPrecondition, reason::kIllegalTransition);
        WS_ASSERT_OK_AND_ASSIGN(Order same, orders().GetOrder(admin_, r.order.id));
        EXPECT_EQ(same.status, all[from]);
      }
    }
  }
  // Customers cannot move orders along, even their own.
  Fill(alice_, p->variants[0].id, 1);
  WS_ASSERT_OK_AND_ASSIGN(CheckoutResult mine, orders().Checkout(alice_, Checkout("mine")));
  WS_EXPECT_CODE(orders().TransitionOrder(alice_, mine.order.id, OrderStatus::kPaid),
                 absl::StatusCode::kPermissionDenied);
  WS_EXPECT_CODE(orders().ListAllOrders(alice_, OrderQuery{}), absl::StatusCode::kPermissionDenied);
  // Stock: every order not cancelled keeps its unit.
  int64_t kept = 0;
  OrderQuery q;
  q.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(OrderPage page, orders().ListAllOrders(admin_, q));
  for (const Order& o : page.items) kept += o.status != OrderStatus::kCancelled;
  WS_ASSERT_OK_AND_ASSIGN(auto after, store_->catalog().GetProduct(p->id));
  EXPECT_EQ(after->variants[0].stock, 100 - kept);
}

}  // namespace
}  // namespace watchstore::testing
