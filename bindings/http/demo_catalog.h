// The demo catalog: 66 watches of ten invented brands, written for this
// project (no real brand or model names), with every movement, cases from 34
// to 46 mm, prices from $150 to $24,500, one to three variants each, and
// stock from plenty to sold out. Deterministic: the same drafts every time.
#ifndef WATCHSTORE_BINDINGS_HTTP_DEMO_CATALOG_H_
#define WATCHSTORE_BINDINGS_HTTP_DEMO_CATALOG_H_

#include <vector>

#include "absl/status/statusor.h"
#include "watchstore/product.h"
#include "watchstore/store.h"

namespace watchstore::http {

// The demo watches, in the order they are added (the last is the newest).
// Prices are in USD.
std::vector<ProductDraft> DemoCatalog();

// The demo catalog's collections with their descriptions (invented text),
// one for every collection name its watches carry.
std::vector<CollectionInfo> DemoCollections();
// The gallery of a demo product once created: its own pictures, then, when
// its variants differ in dial, a picture of each variant's dial linked to
// that variant (frontend/img/dials/; a variant gets an id only when created,
// so SeedDemoCatalog adds these with an update).
std::vector<ProductImage> DemoGallery(const Product& p);

struct SeedResult {
  bool skipped = false;  // the catalog already had products
  int added = 0;         // products created
  int existing = 0;      // products skipped because a SKU was taken (force)
};

// Adds the demo catalog through the catalog service (validated like any
// admin edit), then describes its collections (DemoCollections; they are
// rewritten each time the watches are added). Unless `force`, does nothing when the catalog already
// holds a product, archived ones included, so running it twice is harmless.
absl::StatusOr<SeedResult> SeedDemoCatalog(Store& store, bool force);

}  // namespace watchstore::http

#endif  // WATCHSTORE_BINDINGS_HTTP_DEMO_CATALOG_H_
