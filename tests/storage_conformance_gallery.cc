// Conformance cases for product galleries (issue 13 item 4): the ordered
// pictures of a product, kept with it through every write. Part of the
// storage_conformance object library (see storage_conformance.h).
#include <string>
#include <vector>

#include "storage_conformance.h"
#include "test_util.h"

namespace watchstore::testing {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::vector<ProductImage> Gallery() {
  return {{"/img/watches/w01.svg", "The watch from the front", 0},
          {"https://cdn.example/w01-back.jpg", "The case back, with its engraving", 0},
          {"/img/watches/w01-wrist.svg", "On the wrist", 0}};
}

// The draft that updates `p` to `images`, naming each of p's variants.
ProductDraft EditOf(const Product& p, const std::string& prefix, std::vector<ProductImage> images) {
  ProductDraft d = WatchDraft(prefix, 100'00, 5, static_cast<int>(p.variants.size()));
  for (size_t i = 0; i < p.variants.size(); ++i) d.variants[i].id = p.variants[i].id;
  d.images = std::move(images);
  return d;
}

TEST_P(StorageConformanceTest, GalleryRoundTripsInOrder) {
  ProductDraft d = WatchDraft("GL", 100'00, 5, 2);
  d.images = Gallery();
  WS_ASSERT_OK_AND_ASSIGN(Product created, storage_->CreateProduct(d, kT0));
  EXPECT_EQ(created.images, d.images);
  EXPECT_EQ(created.image_url, "/img/watches/w01.svg");
  WS_ASSERT_OK_AND_ASSIGN(Product got, storage_->GetProduct(created.id));
  EXPECT_EQ(got.images, d.images);
  EXPECT_EQ(got.image_url, "/img/watches/w01.svg");

  // A listing's cards carry the cover, not the gallery.
  WS_ASSERT_OK_AND_ASSIGN(ProductPage page, storage_->ListProducts(ProductQuery{}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].image_url, "/img/watches/w01.svg");
  EXPECT_TRUE(page.items[0].images.empty());

  // No pictures: no cover.
  ProductDraft bare = WatchDraft("GN");
  bare.images.clear();
  WS_ASSERT_OK_AND_ASSIGN(Product none, storage_->CreateProduct(bare, kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product none_got, storage_->GetProduct(none.id));
  EXPECT_TRUE(none_got.images.empty());
  EXPECT_EQ(none_got.image_url, "");
}

TEST_P(StorageConformanceTest, GalleryReordersAndRemoves) {
  ProductDraft d = WatchDraft("GR");
  d.images = Gallery();
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(d, kT0));

  // Reorder: the last picture first; the cover follows.
  std::vector<ProductImage> reordered = {d.images[2], d.images[0], d.images[1]};
  WS_ASSERT_OK_AND_ASSIGN(
      Product r, storage_->UpdateProduct(p.id, p.version, EditOf(p, "GR", reordered), kT0));
  EXPECT_EQ(r.images, reordered);
  EXPECT_EQ(r.image_url, "/img/watches/w01-wrist.svg");
  WS_ASSERT_OK_AND_ASSIGN(Product r_got, storage_->GetProduct(p.id));
  EXPECT_EQ(r_got.images, reordered);
  EXPECT_EQ(r_got.image_url, "/img/watches/w01-wrist.svg");

  // Remove the middle one, then all.
  std::vector<ProductImage> fewer = {reordered[0], reordered[2]};
  WS_ASSERT_OK_AND_ASSIGN(Product f,
                          storage_->UpdateProduct(p.id, r.version, EditOf(p, "GR", fewer), kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product f_got, storage_->GetProduct(p.id));
  EXPECT_EQ(f_got.images, fewer);
  WS_ASSERT_OK_AND_ASSIGN(Product e,
                          storage_->UpdateProduct(p.id, f.version, EditOf(p, "GR", {}), kT0));
  WS_ASSERT_OK_AND_ASSIGN(Product e_got, storage_->GetProduct(p.id));
  EXPECT_TRUE(e_got.images.empty());
  EXPECT_EQ(e_got.image_url, "");

  // A refused update (stale version) leaves the gallery as it was.
  WS_EXPECT_CODE(storage_->UpdateProduct(p.id, r.version, EditOf(p, "GR", Gallery()), kT0),
                 absl::StatusCode::kAborted);
  WS_ASSERT_OK_AND_ASSIGN(Product still, storage_->GetProduct(p.id));
  EXPECT_TRUE(still.images.empty());
  EXPECT_EQ(still.version, e.version);
}

TEST_P(StorageConformanceTest, GalleryLinksVariantsAndArchiveKeepsIt) {
  WS_ASSERT_OK_AND_ASSIGN(Product p, storage_->CreateProduct(WatchDraft("GV", 100'00, 5, 2), kT0));
  // The blue dial's own picture first: the cover stays the first whole-watch one.
  std::vector<ProductImage> images = {
      {"/img/watches/w01-blue.svg", "The blue dial", p.variants[1].id},
      {"/img/watches/w01.svg", "The watch from the front", 0},
      {"/img/watches/w01-black.svg", "The black dial", p.variants[0].id}};
  WS_ASSERT_OK_AND_ASSIGN(Product linked,
                          storage_->UpdateProduct(p.id, p.version, EditOf(p, "GV", images), kT0));
  EXPECT_EQ(linked.images, images);
  EXPECT_EQ(linked.image_url, "/img/watches/w01.svg");
  WS_ASSERT_OK_AND_ASSIGN(Product got, storage_->GetProduct(p.id));
  EXPECT_EQ(got.images, images);

  // Archived as the catalog does it: the fields of the product, no variants.
  ProductDraft archive;
  archive.brand = got.brand;
  archive.model = got.model;
  archive.description = got.description;
  archive.attributes = got.attributes;
  archive.collections = got.collections;
  archive.images = got.images;
  archive.active = false;
  WS_ASSERT_OK_AND_ASSIGN(Product archived,
                          storage_->UpdateProduct(p.id, got.version, archive, kT0));
  EXPECT_FALSE(archived.active);
  WS_ASSERT_OK_AND_ASSIGN(Product archived_got, storage_->GetProduct(p.id));
  EXPECT_FALSE(archived_got.active);
  EXPECT_EQ(archived_got.images, images);
  EXPECT_EQ(archived_got.image_url, "/img/watches/w01.svg");
}

}  // namespace
}  // namespace watchstore::testing
