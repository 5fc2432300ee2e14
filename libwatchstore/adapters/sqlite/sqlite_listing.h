// The SQL of Storage::ListProducts on SQLite: the semantics of
// storage/listing.h (filters, sort, keyset position) as one or two SELECTs.
// The texts are assembled from fixed fragments chosen by the sort and by
// which filters are set; every value is a bound parameter. Internal.
#ifndef WATCHSTORE_ADAPTERS_SQLITE_SQLITE_LISTING_H_
#define WATCHSTORE_ADAPTERS_SQLITE_SQLITE_LISTING_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "watchstore/facets.h"
#include "watchstore/product.h"

namespace watchstore::sqlite {

// The product columns every product query selects, in this order, from
// `products p`. ReadProductRow in sqlite_storage.cc reads them by position.
// A macro so that fixed statements can be literal concatenations.
#define WATCHSTORE_SQLITE_PRODUCT_COLUMNS                                   \
  "p.id, p.brand, p.model, p.description, p.movement, p.case_diameter_mm, " \
  "p.case_material, p.water_resistance_m, p.strap, p.image_url, p.active, " \
  "p.version, p.created_at, p.updated_at, p.reference, p.caliber, "         \
  "p.complications, p.lug_width_mm, p.case_thickness_tenths, p.crystal, "   \
  "p.watch_condition, p.grade, p.box, p.papers, p.limited_pieces, p.slug"

// One SELECT of a page: `SELECT <product columns> FROM products p WHERE ...
// ORDER BY ... LIMIT ?`. `params` are the values of every ? but the last;
// the caller binds the LIMIT (how many rows it still wants) after them.
struct ListingPart {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;
};

// The SELECTs of one page, to run in order in one read transaction, each
// for the rows still missing, until limit + 1 rows are read (the extra row
// tells whether another page follows). Their results concatenated are the
// page, in order.
//
// A position after (price, id) is two ranges of the sort index: the rest of
// the products at that very price (price = ? AND id > ?), then every higher
// price (price > ?). Each is an exact index seek; a single row-value range
// (price, id) > (?, ?) is not, in SQLite 3.40, when id is the rowid: it
// seeks to the price and filters the ties one by one.
struct ListingSql {
  std::vector<ListingPart> parts;
};
// InvalidArgument if ParseSearchQuery refuses query.text.
absl::StatusOr<ListingSql> BuildListingSql(const ProductQuery& query);

// The SELECTs of the facet counts of `query`, one per facet in Facet order,
// to run in one read transaction. Each returns rows (value TEXT, count),
// NULL values to be skipped. InvalidArgument as BuildListingSql.
struct FacetSql {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;
};
absl::StatusOr<std::vector<FacetSql>> BuildFacetSql(const ProductQuery& query);

}  // namespace watchstore::sqlite

#endif  // WATCHSTORE_ADAPTERS_SQLITE_SQLITE_LISTING_H_
