// Slug cases of the Storage conformance suite (storage_conformance.h): every
// product gets a unique slug at creation; old slugs keep leading to their
// product and are never given to another one.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage_conformance.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

ProductDraft Named(const std::string& sku, const std::string& brand, const std::string& model,
                   const std::string& reference = "") {
  ProductDraft d = WatchDraft(sku);
  d.brand = brand;
  d.model = model;
  d.attributes.reference = reference;
  return d;
}

TEST_P(StorageConformanceTest, SlugIsDerivedAtCreationAndResolves) {
  WS_ASSERT_OK_AND_ASSIGN(
      Product p, storage_->CreateProduct(Named("AB", "Brévik", "Polar GMT", "SDK-211"), kT0));
  EXPECT_EQ(p.slug, "brevik-polar-gmt-sdk-211");
  WS_ASSERT_OK_AND_ASSIGN(Product read, storage_->GetProduct(p.id));
  EXPECT_EQ(read.slug, p.slug);
  WS_ASSERT_OK_AND_ASSIGN(SlugTarget t, storage_->ResolveSlug(p.slug));
  EXPECT_EQ(t.product_id, p.id);
  EXPECT_EQ(t.current_slug, p.slug);
  WS_EXPECT_CODE(storage_->ResolveSlug("no-such-watch"), absl::StatusCode::kNotFound);
  // Listings carry it too.
  ProductQuery q;
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, storage_->ListProducts(q));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].slug, p.slug);
}

TEST_P(StorageConformanceTest, SlugCollisionsGetASuffixAndStayUnique) {
  std::set<std::string> slugs;
  for (int i = 0; i < 4; ++i) {
    WS_ASSERT_OK_AND_ASSIGN(
        Product p, storage_->CreateProduct(Named(absl::StrCat("CO", i), "Orsa", "Field"), kT0));
    EXPECT_EQ(p.slug, i == 0 ? std::string("orsa-field") : absl::StrCat("orsa-field-", i + 1));
    EXPECT_TRUE(slugs.insert(p.slug).second) << p.slug;
  }
}

TEST_P(StorageConformanceTest, SlugIsStableAcrossRenames) {
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(Named("ST", "Orsa", "Field"), kT0));
  ProductDraft d = Named("ST", "Orsa", "Field Two");
  d.variants[0].id = p.variants[0].id;
  WS_ASSERT_OK_AND_ASSIGN(Product renamed, storage_->UpdateProduct(p.id, p.version, d, kT0));
  EXPECT_EQ(renamed.model, "Field Two");
  EXPECT_EQ(renamed.slug, "orsa-field");
}

TEST_P(StorageConformanceTest, OldSlugLeadsToTheCurrentOneAndIsNeverReused) {
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(Named("OL", "Orsa", "Field"), kT0));
  ProductDraft d = Named("OL", "Orsa", "Field");
  d.variants[0].id = p.variants[0].id;
  d.slug = "orsa-field-chrono";
  WS_ASSERT_OK_AND_ASSIGN(Product moved, storage_->UpdateProduct(p.id, p.version, d, kT0));
  EXPECT_EQ(moved.slug, "orsa-field-chrono");
  WS_ASSERT_OK_AND_ASSIGN(SlugTarget old, storage_->ResolveSlug("orsa-field"));
  EXPECT_EQ(old.product_id, p.id);
  EXPECT_EQ(old.current_slug, "orsa-field-chrono");

  // Another watch of the same name does not get the old slug...
  WS_ASSERT_OK_AND_ASSIGN(Product other,
                          storage_->CreateProduct(Named("OT", "Orsa", "Field"), kT0));
  EXPECT_EQ(other.slug, "orsa-field-2");
  // ...nor can it ask for it, or for the current one; nothing changes.
  ProductDraft take = Named("OT", "Orsa", "Field");
  take.variants[0].id = other.variants[0].id;
  for (const char* slug : {"orsa-field", "orsa-field-chrono"}) {
    take.slug = slug;
    auto taken = storage_->UpdateProduct(other.id, other.version, take, kT0);
    WS_EXPECT_CODE(taken, absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(ReasonOf(taken.status()), reason::kSlugTaken) << slug;
  }
  ProductDraft fresh = Named("NW", "Orsa", "Field");
  fresh.slug = "orsa-field";
  auto created = storage_->CreateProduct(fresh, kT0);
  WS_EXPECT_CODE(created, absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(created.status()), reason::kSlugTaken);
  WS_EXPECT_CODE(storage_->FindProductIdBySku("NW-0"), absl::StatusCode::kNotFound);
  WS_ASSERT_OK_AND_ASSIGN(Product still, storage_->GetProduct(other.id));
  EXPECT_EQ(still.slug, "orsa-field-2");
  EXPECT_EQ(still.version, other.version);

  // The first watch may take its own old slug back; the other one then
  // redirects there.
  d.slug = "orsa-field";
  WS_ASSERT_OK_AND_ASSIGN(Product back, storage_->UpdateProduct(p.id, moved.version, d, kT0));
  EXPECT_EQ(back.slug, "orsa-field");
  WS_ASSERT_OK_AND_ASSIGN(SlugTarget chrono, storage_->ResolveSlug("orsa-field-chrono"));
  EXPECT_EQ(chrono.product_id, p.id);
  EXPECT_EQ(chrono.current_slug, "orsa-field");
}

}  // namespace
}  // namespace watchstore::testing
