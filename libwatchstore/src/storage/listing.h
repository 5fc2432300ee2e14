// The listing semantics every Storage adapter implements, written once as
// plain functions: the memory adapter uses them directly, and they are the
// reference the SQL adapters are tested against. Internal.
#ifndef WATCHSTORE_SRC_STORAGE_LISTING_H_
#define WATCHSTORE_SRC_STORAGE_LISTING_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "watchstore/facets.h"
#include "watchstore/product.h"

namespace watchstore::internal {

// True if `p` passes every filter of `q` (not the keyset position).
bool MatchesFilters(const Product& p, const ProductQuery& q);
// A product's position in a listing's order: its sort key, which is also the
// cursor that points just past it. `words` are the query's
// (ParseSearchQuery), for the relevance rank.
ProductCursor CursorAfter(const Product& p, const std::vector<std::string>& words);
ProductCursor CursorAfter(const Product& p, const ProductQuery& q);  // parses q.text
// True if key `a` comes before key `b` in the order of `sort`.
bool KeySortsBefore(const ProductCursor& a, const ProductCursor& b, ProductSort sort);
// True if `a` comes before `b` in the order of `q`.
bool SortsBefore(const Product& a, const Product& b, const ProductQuery& q);
// The facet counts of `q` over `products` (watchstore/facets.h): the
// reference the SQL adapters are tested against.
FacetCounts CountFacetsOf(const std::vector<const Product*>& products, const ProductQuery& q);

// SQL both SQL adapters use for facet values (standard SQL; names and bounds
// from facets.h, so each bucket is defined once):
// CASE WHEN column BETWEEN min AND max THEN 'name' ... END (NULL outside).
std::string BucketCaseSql(absl::string_view column, absl::Span<const FacetBucket> buckets);
// CASE column WHEN 0 THEN 'automatic' ... END, for movement and condition.
std::string MovementNameSql(absl::string_view column);
std::string ConditionNameSql(absl::string_view column);
// A relation (bit, name) of the complications: (SELECT 0 AS bit, 'date' AS
// name UNION ALL ...).
std::string ComplicationTableSql();

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_STORAGE_LISTING_H_
