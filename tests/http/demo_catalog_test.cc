// The demo catalog: big and varied enough to demo, valid, and idempotent.
#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "demo_catalog.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "watchstore/store.h"

namespace watchstore::http {
namespace {

TEST(DemoCatalogTest, IsVariedAndInvented) {
  const std::vector<ProductDraft> drafts = DemoCatalog();
  EXPECT_GE(drafts.size(), 60u);
  std::set<std::string> brands, collections, skus;
  std::set<Movement> movements;
  int sold_out = 0, low = 0, variants = 0;
  int64_t min_price = INT64_MAX, max_price = 0;
  for (const ProductDraft& d : drafts) {
    brands.insert(d.brand);
    movements.insert(d.attributes.movement);
    EXPECT_GE(d.attributes.case_diameter_mm, 34) << d.model;
    EXPECT_LE(d.attributes.case_diameter_mm, 46) << d.model;
    EXPECT_GE(d.variants.size(), 1u);
    EXPECT_LE(d.variants.size(), 3u);
    EXPECT_GE(d.description.size(), 40u) << d.model;
    for (const auto& c : d.collections) collections.insert(c);
    EXPECT_TRUE(
        std::filesystem::exists(std::string(WATCHSTORE_SOURCE_DIR) + "/frontend" + d.image_url))
        << d.image_url;
    int64_t total = 0;
    for (const VariantDraft& v : d.variants) {
      ++variants;
      EXPECT_TRUE(skus.insert(v.sku).second) << v.sku;
      min_price = std::min(min_price, v.price.minor_units);
      max_price = std::max(max_price, v.price.minor_units);
      total += v.stock;
      if (v.stock > 0 && v.stock <= 3) ++low;
    }
    if (total == 0) ++sold_out;
  }
  EXPECT_GE(brands.size(), 8u);
  EXPECT_EQ(movements.size(), 6u);  // every movement
  for (const char* c : {"Dive", "Dress", "Field", "Pilot", "Chronograph", "GMT", "Everyday"}) {
    EXPECT_TRUE(collections.count(c)) << c;
  }
  EXPECT_LE(min_price, 200'00);
  EXPECT_GE(max_price, 20000'00);
  EXPECT_LE(max_price, 25000'00);
  EXPECT_GE(sold_out, 3);
  EXPECT_GE(low, 5);
  // No real maker's name.
  for (const std::string& b : brands) {
    const std::string l = absl::AsciiStrToLower(b);
    for (const char* real : {"rolex",
                             "omega",
                             "seiko",
                             "casio",
                             "tudor",
                             "cartier",
                             "patek",
                             "audemars",
                             "breitling",
                             "tag heuer",
                             "iwc",
                             "longines",
                             "tissot",
                             "hamilton",
                             "citizen",
                             "zenith",
                             "panerai",
                             "jaeger",
                             "vacheron",
                             "swatch",
                             "timex",
                             "fossil",
                             "bulova",
                             "oris",
                             "sinn",
                             "nomos",
                             "junghans",
                             "stowa",
                             "laco",
                             "glash",
                             "blancpain",
                             "breguet",
                             "hublot",
                             "chopard",
                             "montblanc",
                             "baume",
                             "rado",
                             "certina",
                             "mido",
                             "orient",
                             "bell & ross",
                             "grand seiko",
                             "lange",
                             "tudor",
                             "doxa",
                             "squale",
                             "christopher ward",
                             "farer",
                             "baltic",
                             "marathon",
                             "victorinox"}) {
      EXPECT_FALSE(absl::StrContains(l, real)) << b;
    }
  }
}

TEST(DemoCatalogTest, SeedsOnceIntoAnEmptyCatalog) {
  FakeClock clock;
  auto store = Store::Open(::watchstore::testing::TestStoreOptions(&clock), NewMemoryStorage(),
                           *NewMemoryCache({}));
  ASSERT_TRUE(store.ok());
  auto first = SeedDemoCatalog(**store, /*force=*/false);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->added, static_cast<int>(DemoCatalog().size()));
  auto second = SeedDemoCatalog(**store, /*force=*/false);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->skipped);
  EXPECT_EQ(second->added, 0);
  auto forced = SeedDemoCatalog(**store, /*force=*/true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->added, 0);
  EXPECT_EQ(forced->existing, static_cast<int>(DemoCatalog().size()));
}

}  // namespace
}  // namespace watchstore::http
