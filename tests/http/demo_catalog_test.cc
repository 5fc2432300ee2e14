// The demo catalog: big and varied enough to demo, valid, and idempotent.
#include <algorithm>
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
    EXPECT_GE(d.images.size(), 2u) << d.model;
    for (const ProductImage& image : d.images) {
      EXPECT_TRUE(
          std::filesystem::exists(std::string(WATCHSTORE_SOURCE_DIR) + "/frontend" + image.url))
          << image.url;
      EXPECT_FALSE(image.alt.empty());
    }
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

TEST(DemoCatalogTest, EveryWatchHasItsAttributes) {
  int pre_owned = 0, limited = 0, with_complications = 0;
  for (const ProductDraft& d : DemoCatalog()) {
    const WatchAttributes& a = d.attributes;
    EXPECT_FALSE(a.reference.empty()) << d.model;
    EXPECT_FALSE(a.caliber.empty()) << d.model;
    EXPECT_GT(a.lug_width_mm, 0) << d.model;
    EXPECT_GT(a.case_thickness_tenths, 0) << d.model;
    pre_owned += a.condition == Condition::kPreOwned;
    limited += a.limited_pieces > 0;
    with_complications += a.complications != 0;
  }
  EXPECT_GE(pre_owned, 3);
  EXPECT_GE(limited, 2);
  EXPECT_GE(with_complications, 30);
}

// The acceptance queries against the demo catalog (whose brands are
// invented: a misspelled brand of ours stands for "omgea").
TEST(DemoCatalogTest, TypoAndFragmentSearchesFindTheIntendedWatches) {
  FakeClock clock;
  auto store = Store::Open(::watchstore::testing::TestStoreOptions(&clock), NewMemoryStorage(),
                           *NewMemoryCache({}));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(SeedDemoCatalog(**store, /*force=*/false).ok());
  auto search = [&](const std::string& text) {
    ProductQuery q;
    q.text = text;
    q.limit = 100;
    auto page = (*store)->catalog().ListProducts(q, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> models;
    if (page.ok()) {
      for (const auto& p : page->items) models.push_back(p->model);
    }
    return models;
  };
  EXPECT_EQ(search("5513"), std::vector<std::string>{"Reefline 42"});
  EXPECT_EQ(search("SDK211"), std::vector<std::string>{"Kiri Spring Drive 40"});
  EXPECT_EQ(search("sdk2"), std::vector<std::string>{"Kiri Spring Drive 40"});  // a fragment
  EXPECT_EQ(search("wiesshorn").size(), 7u);   // all of Weisshorn, a swap
  EXPECT_EQ(search("tidewrihgt").size(), 7u);  // all of Tidewright
  EXPECT_EQ(search("corvnae gmt").size(), 5u);
  const std::vector<std::string> gmt2 = search("GMT 2"), gmt = search("gmt");
  EXPECT_FALSE(gmt2.empty());
  const std::vector<std::string> gmt42 = search("gmt 42");
  EXPECT_LT(gmt42.size(), gmt.size());  // every word must match
  EXPECT_NE(std::find(gmt42.begin(), gmt42.end(), "Expedition GMT 42"), gmt42.end());
  EXPECT_NE(std::find(gmt2.begin(), gmt2.end(), "Gipfel GMT 42"), gmt2.end());
  for (const std::string& m : gmt2) {
    EXPECT_NE(std::find(gmt.begin(), gmt.end(), m), gmt.end()) << m;
  }
}

// Every collection a demo watch names has a description, and only those.
TEST(DemoCatalogTest, EveryCollectionIsDescribed) {
  std::set<std::string> named, described;
  for (const ProductDraft& d : DemoCatalog()) {
    for (const std::string& c : d.collections) named.insert(c);
  }
  for (const CollectionInfo& c : DemoCollections()) {
    EXPECT_EQ(c.slug, CollectionSlug(c.name));
    EXPECT_FALSE(c.description.empty()) << c.name;
    described.insert(c.name);
  }
  EXPECT_EQ(named, described);
}

TEST(DemoCatalogTest, SeedsOnceIntoAnEmptyCatalog) {
  FakeClock clock;
  auto store = Store::Open(::watchstore::testing::TestStoreOptions(&clock), NewMemoryStorage(),
                           *NewMemoryCache({}));
  ASSERT_TRUE(store.ok());
  auto first = SeedDemoCatalog(**store, /*force=*/false);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->added, static_cast<int>(DemoCatalog().size()));
  auto collections = (*store)->catalog().ListCollections();
  ASSERT_TRUE(collections.ok()) << collections.status();
  ASSERT_EQ(collections->size(), DemoCollections().size());
  for (const Collection& c : *collections) {
    EXPECT_FALSE(c.description.empty()) << c.slug;
    EXPECT_GT(c.product_count, 0) << c.slug;
  }
  auto second = SeedDemoCatalog(**store, /*force=*/false);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->skipped);
  EXPECT_EQ(second->added, 0);
  auto forced = SeedDemoCatalog(**store, /*force=*/true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->added, 0);
  EXPECT_EQ(forced->existing, static_cast<int>(DemoCatalog().size()));
}

// Seeded watches whose variants differ in dial link a picture of each dial
// to its variant; the cover stays the watch's front.
TEST(DemoCatalogTest, SeededGalleriesLinkDialPicturesToVariants) {
  FakeClock clock;
  auto store = Store::Open(::watchstore::testing::TestStoreOptions(&clock), NewMemoryStorage(),
                           *NewMemoryCache({}));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(SeedDemoCatalog(**store, /*force=*/false).ok());
  WS_ASSERT_OK_AND_ASSIGN(auto reef, (*store)->catalog().GetProductBySku("TDW-REEF42-BLU"));
  EXPECT_EQ(reef->image_url, "/img/watches/w02.svg");
  const Variant* blue = reef->FindVariantBySku("TDW-REEF42-BLU");
  ASSERT_NE(blue, nullptr);
  int linked = 0;
  for (const ProductImage& image : reef->images) {
    if (image.variant_id == 0) continue;
    ++linked;
    EXPECT_TRUE(
        std::filesystem::exists(std::string(WATCHSTORE_SOURCE_DIR) + "/frontend" + image.url))
        << image.url;
    if (image.variant_id == blue->id) {
      EXPECT_EQ(image.url, "/img/dials/blue.svg");
    }
  }
  EXPECT_EQ(linked, 3);  // black, ocean blue and black (on the bracelet)
  int with_dials = 0;
  ProductQuery all;
  all.limit = 100;
  WS_ASSERT_OK_AND_ASSIGN(auto page, (*store)->catalog().ListProducts(all, ""));
  for (const auto& item : page.items) {
    WS_ASSERT_OK_AND_ASSIGN(auto p, (*store)->catalog().GetProduct(item->id));
    with_dials += p->images.size() > 2;
  }
  EXPECT_GE(with_dials, 10);
}

}  // namespace
}  // namespace watchstore::http
