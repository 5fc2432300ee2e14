// Carts: bounds, availability, guest carts and the merge at login.
#include "service_fixture.h"

namespace watchstore::testing {
namespace {

class CartsTest : public ServiceTest {
 protected:
  Carts& carts() { return store_->carts(); }
  CartOwner Alice() { return carts().UserOwner(alice_); }
};

TEST_F(CartsTest, AddsSetsAndRemovesLines) {
  auto p = AddWatch("AB", 250'00, 5);
  auto q = AddWatch("CD", 99'99, 5);
  WS_ASSERT_OK_AND_ASSIGN(CartView v, carts().AddItem(Alice(), p->variants[0].id, 2));
  WS_ASSERT_OK_AND_ASSIGN(v, carts().AddItem(Alice(), q->variants[0].id, 1));
  WS_ASSERT_OK_AND_ASSIGN(v, carts().AddItem(Alice(), p->variants[0].id, 1));  // adds up
  ASSERT_EQ(v.lines.size(), 2u);
  EXPECT_EQ(v.lines[0].quantity, 3);
  EXPECT_EQ(v.lines[0].line_total, Usd(750'00));
  EXPECT_EQ(v.subtotal, Usd(750'00 + 99'99));
  EXPECT_EQ(v.item_count, 4);
  EXPECT_TRUE(v.purchasable);
  WS_ASSERT_OK_AND_ASSIGN(v, carts().SetQuantity(Alice(), p->variants[0].id, 1));
  EXPECT_EQ(v.lines[0].quantity, 1);
  WS_ASSERT_OK_AND_ASSIGN(v, carts().RemoveItem(Alice(), q->variants[0].id));
  ASSERT_EQ(v.lines.size(), 1u);
  WS_ASSERT_OK_AND_ASSIGN(v, carts().SetQuantity(Alice(), p->variants[0].id, 0));
  EXPECT_TRUE(v.lines.empty());
  EXPECT_FALSE(v.purchasable);
}

TEST_F(CartsTest, RefusesBadQuantitiesAndUnavailableWatches) {
  auto p = AddWatch("AB", 100, 3);
  auto sold_out = AddWatch("SO", 100, 0);
  auto archived = AddWatch("AR", 100, 3);
  WS_ASSERT_OK(store_->catalog().ArchiveProduct(admin_, archived->id, archived->version));
  const VariantId v = p->variants[0].id;
  for (int64_t bad : {int64_t{0}, int64_t{-1}, int64_t{11}, std::numeric_limits<int64_t>::max(),
                      std::numeric_limits<int64_t>::min()}) {
    EXPECT_EQ(FieldOf(carts().AddItem(Alice(), v, bad).status()), "quantity") << bad;
  }
  EXPECT_EQ(FieldOf(carts().SetQuantity(Alice(), v, -1).status()), "quantity");
  WS_EXPECT_REASON(carts().AddItem(Alice(), v, 4), absl::StatusCode::kFailedPrecondition,
                   reason::kOutOfStock);
  WS_EXPECT_REASON(carts().AddItem(Alice(), sold_out->variants[0].id, 1),
                   absl::StatusCode::kFailedPrecondition, reason::kOutOfStock);
  WS_EXPECT_REASON(carts().AddItem(Alice(), archived->variants[0].id, 1),
                   absl::StatusCode::kFailedPrecondition, reason::kNotPurchasable);
  WS_EXPECT_CODE(carts().AddItem(Alice(), 987654, 1), absl::StatusCode::kNotFound);
  WS_EXPECT_CODE(carts().AddItem(Alice(), -5, 1), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(CartView v2, carts().GetCart(Alice()));
  EXPECT_TRUE(v2.lines.empty());
}

TEST_F(CartsTest, ShowsCurrentPriceAndAvailability) {
  auto p = AddWatch("AB", 100'00, 3);
  WS_ASSERT_OK(carts().AddItem(Alice(), p->variants[0].id, 2));
  ProductDraft d = WatchDraft("AB", 80'00);
  d.variants[0].id = p->variants[0].id;
  WS_ASSERT_OK(store_->catalog().UpdateProduct(admin_, p->id, p->version, d));
  WS_ASSERT_OK(store_->catalog().AdjustStock(admin_, p->variants[0].id, -2));
  WS_ASSERT_OK_AND_ASSIGN(CartView v, carts().GetCart(Alice()));
  ASSERT_EQ(v.lines.size(), 1u);
  EXPECT_EQ(v.lines[0].unit_price, Usd(80'00));
  EXPECT_EQ(v.lines[0].available, 1);
  EXPECT_FALSE(v.lines[0].purchasable);
  EXPECT_FALSE(v.purchasable);
}

TEST_F(CartsTest, GuestTokensAreValidated) {
  const std::string token = carts().NewGuestToken();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_NE(token, carts().NewGuestToken());
  WS_EXPECT_OK(carts().GuestOwner(token));
  EXPECT_EQ(FieldOf(carts().GuestOwner("short").status()), "cart_token");
  EXPECT_EQ(FieldOf(carts().GuestOwner(std::string(43, '!')).status()), "cart_token");
}

TEST_F(CartsTest, GuestCartsExpireAfterTheirTtlAndUserCartsDoNot) {
  auto p = AddWatch("AB", 100, 5);
  WS_ASSERT_OK_AND_ASSIGN(CartOwner guest, carts().GuestOwner(carts().NewGuestToken()));
  WS_ASSERT_OK(carts().AddItem(guest, p->variants[0].id, 1));
  WS_ASSERT_OK(carts().AddItem(Alice(), p->variants[0].id, 1));
  clock_.Advance(store_->options().carts.guest_cart_ttl - absl::Seconds(1));
  WS_ASSERT_OK_AND_ASSIGN(int64_t purged, carts().PurgeExpiredGuestCarts());
  EXPECT_EQ(purged, 0);
  clock_.Advance(absl::Seconds(2));
  WS_ASSERT_OK_AND_ASSIGN(purged, carts().PurgeExpiredGuestCarts());
  EXPECT_EQ(purged, 1);
  WS_ASSERT_OK_AND_ASSIGN(CartView gone, carts().GetCart(guest));
  EXPECT_TRUE(gone.lines.empty());
  WS_ASSERT_OK_AND_ASSIGN(CartView kept, carts().GetCart(Alice()));
  EXPECT_EQ(kept.lines.size(), 1u);
}

TEST_F(CartsTest, MergeKeepsLargerQuantityCappedByStockAndReportsEachLine) {
  auto added = AddWatch("AD", 100, 5);
  auto raised = AddWatch("RA", 100, 5);
  auto kept = AddWatch("KE", 100, 5);
  auto capped = AddWatch("CA", 100, 2);
  auto dropped = AddWatch("DR", 100, 1);
  const std::string token = carts().NewGuestToken();
  WS_ASSERT_OK_AND_ASSIGN(CartOwner guest, carts().GuestOwner(token));
  WS_ASSERT_OK(carts().AddItem(guest, added->variants[0].id, 2));
  WS_ASSERT_OK(carts().AddItem(guest, raised->variants[0].id, 4));
  WS_ASSERT_OK(carts().AddItem(guest, kept->variants[0].id, 1));
  WS_ASSERT_OK(carts().AddItem(guest, capped->variants[0].id, 2));
  WS_ASSERT_OK(carts().AddItem(guest, dropped->variants[0].id, 1));
  WS_ASSERT_OK(carts().AddItem(Alice(), raised->variants[0].id, 1));
  WS_ASSERT_OK(carts().AddItem(Alice(), kept->variants[0].id, 3));
  // Stock moves after the guest filled the cart.
  WS_ASSERT_OK(store_->catalog().AdjustStock(admin_, capped->variants[0].id, -1));
  WS_ASSERT_OK(store_->catalog().AdjustStock(admin_, dropped->variants[0].id, -1));

  WS_ASSERT_OK_AND_ASSIGN(CartMergeReport report, carts().MergeGuestCart(token, alice_));
  ASSERT_EQ(report.changes.size(), 5u);
  std::map<std::string, CartMergeChange> by_sku;
  for (const auto& c : report.changes) by_sku[c.sku] = c;
  EXPECT_EQ(by_sku["AD-0"].kind, CartMergeChange::Kind::kAdded);
  EXPECT_EQ(by_sku["AD-0"].final_quantity, 2);
  EXPECT_EQ(by_sku["RA-0"].kind, CartMergeChange::Kind::kQuantityRaised);
  EXPECT_EQ(by_sku["RA-0"].previous_quantity, 1);
  EXPECT_EQ(by_sku["RA-0"].final_quantity, 4);
  EXPECT_EQ(by_sku["KE-0"].kind, CartMergeChange::Kind::kKeptExisting);
  EXPECT_EQ(by_sku["KE-0"].final_quantity, 3);
  EXPECT_EQ(by_sku["CA-0"].kind, CartMergeChange::Kind::kCappedByStock);
  EXPECT_EQ(by_sku["CA-0"].final_quantity, 1);
  EXPECT_EQ(by_sku["DR-0"].kind, CartMergeChange::Kind::kDropped);

  WS_ASSERT_OK_AND_ASSIGN(CartView mine, carts().GetCart(Alice()));
  EXPECT_EQ(mine.lines.size(), 4u);
  EXPECT_EQ(mine.item_count, 2 + 4 + 3 + 1);
  WS_ASSERT_OK_AND_ASSIGN(CartView gone, carts().GetCart(guest));
  EXPECT_TRUE(gone.lines.empty());
  // Merging again is a no-op.
  WS_ASSERT_OK_AND_ASSIGN(CartMergeReport none, carts().MergeGuestCart(token, alice_));
  EXPECT_TRUE(none.changes.empty());
}

}  // namespace
}  // namespace watchstore::testing
