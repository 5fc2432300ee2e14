// Catalog: listing, filtering and detail of watches; admin edits.
#ifndef WATCHSTORE_CATALOG_H_
#define WATCHSTORE_CATALOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "watchstore/facets.h"
#include "watchstore/product.h"
#include "watchstore/user.h"

namespace watchstore {

struct CatalogOptions {
  // How long a product detail stays cached (writes erase it at once).
  absl::Duration product_ttl = absl::Minutes(10);
  // How long a listing page stays cached. A write that changes what a listing
  // shows (price, archive, new product, a variant selling out or coming back)
  // invalidates every page at once; this is the bound otherwise.
  absl::Duration listing_ttl = absl::Seconds(30);
  // Largest page a caller may ask for.
  int max_page_size = 100;
};

struct ProductListing {
  std::vector<std::shared_ptr<const Product>> items;
  // Opaque; pass back as `cursor` for the next page. Empty on the last page.
  std::string next_cursor;
};

// A collection as shoppers see it.
struct Collection {
  std::string slug;
  std::string name;
  std::string description;    // empty until staff write one
  int64_t product_count = 0;  // listed (active) watches in it
};

// Thread-safe. Readers get immutable shared snapshots: holding one never
// blocks a writer, and a write publishes a new snapshot.
class Catalog {
 public:
  virtual ~Catalog() = default;

  // NotFound for an unknown id, and for an archived product unless `viewer`
  // is an admin. `viewer` may be null (anonymous).
  virtual absl::StatusOr<std::shared_ptr<const Product>> GetProduct(
      ProductId id, const Principal* viewer = nullptr) = 0;
  virtual absl::StatusOr<std::shared_ptr<const Product>> GetProductBySku(
      absl::string_view sku, const Principal* viewer = nullptr) = 0;
  // The product a slug leads to: its current slug or one it had before
  // (product->slug is the current one; a caller that asked with an old slug
  // redirects there). NotFound for a malformed or unknown slug, and as
  // GetProduct for an archived product. Which product a slug leads to never
  // changes, so that answer is cached (product_ttl) and the product comes
  // from the product cache: never stale.
  virtual absl::StatusOr<std::shared_ptr<const Product>> GetProductBySlug(
      absl::string_view slug, const Principal* viewer = nullptr) = 0;
  // `query.after` is ignored: the position comes from `cursor` (empty: first
  // page). InvalidArgument naming the field for a bad limit, range or cursor.
  // include_archived needs an admin viewer (PermissionDenied otherwise).
  virtual absl::StatusOr<ProductListing> ListProducts(const ProductQuery& query,
                                                      absl::string_view cursor,
                                                      const Principal* viewer = nullptr) = 0;
  // The facet counts of `query` (watchstore/facets.h): per facet, how many
  // listed watches each value has, ignoring that facet's own filter. Checked
  // like ListProducts (cursor, sort and limit do not matter); cached with
  // the listing pages and invalidated with them.
  virtual absl::StatusOr<FacetCounts> CountFacets(const ProductQuery& query,
                                                  const Principal* viewer = nullptr) = 0;

  // The collections that hold a listed watch, by slug, with their
  // descriptions. Counts are the listing's collection facet (CountFacets),
  // cached and invalidated with the listing pages, so never stale after a
  // product write; descriptions are read from Storage (a small table).
  virtual absl::StatusOr<std::vector<Collection>> ListCollections() = 0;
  // One of them, or a described collection without listed watches (count
  // 0). NotFound otherwise, and for a malformed slug.
  virtual absl::StatusOr<Collection> GetCollection(absl::string_view slug) = 0;
  // Admin only. Describes the collection at `slug`: `name` (1..40 bytes on
  // one line, the name whose CollectionSlug is `slug`), `description` (0..2000
  // bytes). InvalidArgument naming the field.
  virtual absl::StatusOr<Collection> PutCollection(const Principal& actor, absl::string_view slug,
                                                   absl::string_view name,
                                                   absl::string_view description) = 0;

  // Admin only (PermissionDenied otherwise). Drafts are validated
  // (InvalidArgument naming the field); prices must be in the store currency.
  virtual absl::StatusOr<std::shared_ptr<const Product>> CreateProduct(
      const Principal& actor, const ProductDraft& draft) = 0;
  // Aborted (reason version_conflict) if expected_version is stale.
  virtual absl::StatusOr<std::shared_ptr<const Product>> UpdateProduct(
      const Principal& actor, ProductId id, int64_t expected_version,
      const ProductDraft& draft) = 0;
  // Sets active = false. Archived products leave listings and cannot be
  // bought; orders keep them.
  virtual absl::StatusOr<std::shared_ptr<const Product>> ArchiveProduct(
      const Principal& actor, ProductId id, int64_t expected_version) = 0;
  // Adds `delta` (may be negative) to a variant's stock; FailedPrecondition if
  // it would go below zero.
  virtual absl::StatusOr<std::shared_ptr<const Product>> AdjustStock(const Principal& actor,
                                                                     VariantId variant_id,
                                                                     int64_t delta) = 0;
};

}  // namespace watchstore

#endif  // WATCHSTORE_CATALOG_H_
