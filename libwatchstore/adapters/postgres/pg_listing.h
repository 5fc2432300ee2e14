// The SQL of product reads and of catalog and order listings. A listing's text depends only on
// its shape (sort, which filters are set, whether a cursor is), never on a
// value: each shape is one prepared statement, every value a parameter.
// Internal; tests use it to EXPLAIN exactly what the adapter runs.
#ifndef WATCHSTORE_ADAPTERS_POSTGRES_PG_LISTING_H_
#define WATCHSTORE_ADAPTERS_POSTGRES_PG_LISTING_H_

#include <cstdint>
#include <string>

#include "postgres/pg_connection.h"
#include "watchstore/order.h"
#include "watchstore/product.h"

namespace watchstore::internal::pg {

// Columns every product read selects, in this order, product then variant
// (variant columns NULL for a product without variants).
inline constexpr int kProductColumnCount = 27;
inline constexpr int kVariantColumnCount = 8;
#define WS_PG_PRODUCT_COLUMNS                                                    \
  "p.id, p.brand, p.model, p.description, p.movement, p.case_diameter_mm, "      \
  "p.case_material, p.water_resistance_m, p.strap, p.collections, p.image_url, " \
  "p.active, p.version, p.created_at_ns, p.updated_at_ns, p.reference, "         \
  "p.caliber, p.complications, p.lug_width_mm, p.case_thickness_tenths, "        \
  "p.crystal, p.watch_condition, p.grade, p.box, p.papers, p.limited_pieces, "   \
  "p.slug, "                                                                     \
  "v.id, v.sku, v.dial_color, v.strap, v.size, v.price_minor, v.currency, v.stock"

// A product, its variants and its gallery by product id ($1), in one round
// trip (one snapshot): WS_PG_PRODUCT_COLUMNS, then the gallery as three
// arrays in display order (url, alt, variant id or 0), the same on every row,
// aggregated once per product by one index scan of product_images (three
// ARRAY subqueries, one per column and variant row, made a read 3x the
// point select). Products and variants: index scans in a nested loop, no
// Sort node; readers order the variants by id themselves.
inline constexpr int kGalleryColumn = kProductColumnCount + kVariantColumnCount;
inline constexpr char kGetProductSql[] =
    "SELECT " WS_PG_PRODUCT_COLUMNS
    ", g.urls, g.alts, g.variant_ids"
    " FROM products p CROSS JOIN LATERAL (SELECT"
    "   coalesce(array_agg(i.url ORDER BY i.position), '{}') AS urls,"
    "   coalesce(array_agg(i.alt ORDER BY i.position), '{}') AS alts,"
    "   coalesce(array_agg(coalesce(i.variant_id, 0) ORDER BY i.position), '{}') AS variant_ids"
    "   FROM product_images i WHERE i.product_id = p.id) g"
    " LEFT JOIN variants v ON v.product_id = p.id"
    " WHERE p.id = $1";

// Columns every order read selects, order then line.
inline constexpr int kOrderColumnCount = 25;
#define WS_PG_ORDER_COLUMNS                                                                 \
  "o.id, o.user_id, o.status, o.total_minor, o.currency, o.ship_name, o.ship_line1, "       \
  "o.ship_line2, o.ship_city, o.ship_postal_code, o.ship_country, o.idempotency_key, "      \
  "o.request_fingerprint, o.created_at_ns, o.updated_at_ns, o.refund_due_minor, "           \
  "o.guest_email, o.access_token_hash, o.reserved_until_ns, o.payment_provider, "           \
  "o.payment_reference, o.payment_state, coalesce(o.payment_amount_minor, o.total_minor), " \
  "o.payment_refunded_minor, "                                                              \
  "o.payment_client_secret, "                                                               \
  "l.variant_id, l.product_id, l.sku, l.title, l.quantity, l.unit_price_minor, "            \
  "l.line_total_minor, l.currency, l.refunded_quantity"

// A listing query's shape: sort, filters present, number of search words,
// cursor present.
uint64_t ProductListingShape(const ProductQuery& q);
// The statement name and SQL of a shape. Its rows: WS_PG_PRODUCT_COLUMNS of
// at most limit + 1 products in listing order, each product's variants by id.
std::string ProductListingName(uint64_t shape);
// True if the shape has search words.
bool ListingHasWords(uint64_t shape);
std::string ProductListingSql(uint64_t shape);
// The parameters of `q`, in the order its shape's SQL numbers them.
// InvalidArgument if ParseSearchQuery refuses q.text (the shape then counts
// no words: check this first).
absl::Status BindProductListing(const ProductQuery& q, Params* params);

// The facet counts of a query (watchstore/facets.h) in one statement: rows
// (facet index, value text or NULL, count). Its text depends only on the
// query's filter shape (and the limit), like the listing's. With
// `exact_limit` > 0, a query matching more products than that is counted
// over a sample and a last row (-1, the sample's percentage, 0) says so.
std::string ProductFacetsName(const ProductQuery& q, int64_t exact_limit);
std::string ProductFacetsSql(const ProductQuery& q, int64_t exact_limit);
absl::Status BindProductFacets(const ProductQuery& q, Params* params);

uint32_t OrderListingShape(const OrderQuery& q);
std::string OrderListingName(uint32_t shape);
// Rows: WS_PG_ORDER_COLUMNS of at most limit + 1 orders, newest first, each
// order's lines by line number.
std::string OrderListingSql(uint32_t shape);
void BindOrderListing(const OrderQuery& q, Params* params);

}  // namespace watchstore::internal::pg

#endif  // WATCHSTORE_ADAPTERS_POSTGRES_PG_LISTING_H_
