// The listing semantics every Storage adapter implements, written once as
// plain functions: the memory adapter uses them directly, and they are the
// reference the SQL adapters are tested against. Internal.
#ifndef WATCHSTORE_SRC_STORAGE_LISTING_H_
#define WATCHSTORE_SRC_STORAGE_LISTING_H_

#include "watchstore/product.h"

namespace watchstore::internal {

// True if `p` passes every filter of `q` (not the keyset position).
bool MatchesFilters(const Product& p, const ProductQuery& q);
// True if `a` comes before `b` in the order of `sort`.
bool SortsBefore(const Product& a, const Product& b, ProductSort sort);
// True if `p` comes after the cursor position in the order of `sort`.
bool IsAfterCursor(const Product& p, const ProductCursor& c, ProductSort sort);
// The cursor that points just past `p`.
ProductCursor CursorAfter(const Product& p);

}  // namespace watchstore::internal

#endif  // WATCHSTORE_SRC_STORAGE_LISTING_H_
