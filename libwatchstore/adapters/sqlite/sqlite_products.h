// Products and variants on SQLite: reads and the bodies of the catalog's
// write transactions. Each function runs on the connection it is given,
// inside a transaction the caller opened (sqlite_db.h). Internal.
#ifndef WATCHSTORE_ADAPTERS_SQLITE_SQLITE_PRODUCTS_H_
#define WATCHSTORE_ADAPTERS_SQLITE_SQLITE_PRODUCTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sqlite/sqlite_db.h"
#include "watchstore/product.h"
#include "watchstore/storage.h"

namespace watchstore::sqlite {

// Reads (one snapshot: call inside a read or write transaction).
absl::StatusOr<Product> LoadProduct(Connection& c, ProductId id);
absl::StatusOr<ProductPage> ListProductsIn(Connection& c, const ProductQuery& q);
absl::StatusOr<FacetCounts> CountFacetsIn(Connection& c, const ProductQuery& q);
// NotFound if no variant has it.
absl::StatusOr<ProductId> ProductOfSku(Connection& c, absl::string_view sku);
absl::StatusOr<ProductId> ProductOfVariant(Connection& c, VariantId variant_id);
// NotFound if no product ever had the slug.
absl::StatusOr<SlugTarget> ResolveSlugIn(Connection& c, absl::string_view slug);

// Write bodies, with the semantics and errors of Storage's methods.
absl::StatusOr<Product> CreateProductIn(Connection& c, const ProductDraft& d, absl::Time now);
absl::StatusOr<Product> UpdateProductIn(Connection& c, ProductId id, int64_t expected_version,
                                        const ProductDraft& d, absl::Time now);
absl::StatusOr<Product> AdjustStockIn(Connection& c, VariantId variant_id, int64_t delta,
                                      absl::Time now);
// A variant from a row whose columns, from `first`, are id, sku,
// dial_color, strap, size, price_minor, currency, stock.
absl::StatusOr<Variant> ReadVariant(const Statement& s, int first, ProductId product_id);
// Writes the search index of every product that has none (those written
// before migration 0004). Run in a write transaction.
absl::Status IndexUnindexedProducts(Connection& c);
// Collections (Storage::PutCollection / ListCollections).
absl::Status PutCollectionIn(Connection& c, const CollectionInfo& info);
absl::StatusOr<std::vector<CollectionInfo>> ListCollectionsIn(Connection& c);
// Gives every product without a slug (those written before migration 0007)
// its derived slug. Run in a write transaction.
absl::Status SlugUnsluggedProducts(Connection& c);
// Bumps the product's version and updated_at (after a stock change).
absl::Status BumpProduct(Connection& c, ProductId id, absl::Time now);

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_PRODUCTS_H_
