// Search is never stale: a case run on every durable adapter (SQLite and
// PostgreSQL test programs call it with a fresh storage).
#ifndef WATCHSTORE_TESTS_SEARCH_FRESHNESS_H_
#define WATCHSTORE_TESTS_SEARCH_FRESHNESS_H_

#include <memory>

#include "watchstore/storage.h"

namespace watchstore::testing {

// Opens a Store (with the in-memory cache, so listing pages are cached and
// filled through the cache's fill protocol) over `storage`, then for
// `seconds` one writer creates, archives and re-prices watches while 16
// readers search the catalog. Every search result is checked against the
// writes that had returned before the search began: an archived watch never
// appears, a price is never older than the last committed one, and a watch
// created before and not archived during the search always appears (with and
// without a price filter). Fails the current test on any contradiction.
void ExpectSearchNeverStale(std::unique_ptr<Storage> storage, double seconds);

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_SEARCH_FRESHNESS_H_
