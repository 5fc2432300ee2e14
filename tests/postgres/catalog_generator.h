// A synthetic catalog of N watches made inside PostgreSQL in two
// INSERT ... SELECT generate_series statements (100k products in a few
// seconds), for the EXPLAIN test and the listing benchmarks. Each product
// has two variants; its denormalized listing columns are written
// consistently (min_price = the cheaper variant, in_stock, name_key =
// lower(brand || ' ' || model), which equals ProductNameKey for ASCII).
// Shared by tests/postgres and bench/postgres. Header-only.
#ifndef WATCHSTORE_TESTS_POSTGRES_CATALOG_GENERATOR_H_
#define WATCHSTORE_TESTS_POSTGRES_CATALOG_GENERATOR_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace watchstore::testing {

// Brands cycle through five names, collections through four, movements
// through all six; 1 in 50 products is archived, 1 in 10 sold out; prices
// spread over 100.00 .. 5,100.00 USD.
inline std::string GenerateCatalogSql(int64_t products) {
  return absl::StrCat(
      "INSERT INTO products (brand, model, description, movement, case_diameter_mm,"
      " case_material, water_resistance_m, strap, collections, image_url, active, version,"
      " created_at_ns, updated_at_ns, name_key, brand_key, model_key, collection_keys,"
      " min_price, in_stock)"
      " SELECT b.brand, 'Model ' || g, 'A generated watch.', (g % 6)::smallint, 34 + g % 12,"
      "  'steel', 100, 'leather', ARRAY[c.coll], '', g % 50 <> 0, 1,"
      "  1800000000000000000 + g, 1800000000000000000 + g,"
      "  lower(b.brand || ' Model ' || g), lower(b.brand), lower('Model ' || g),"
      "  ARRAY[lower(c.coll)], 10000 + (g::bigint * 7919) % 500000, g % 10 <> 0"
      " FROM generate_series(1, ",
      products,
      ") AS g,"
      "  LATERAL (SELECT (ARRAY['Aldenmark','Brevik','Corvane','Dunmore','Elstree'])"
      "           [1 + g % 5] AS brand) AS b,"
      "  LATERAL (SELECT (ARRAY['Dive','Dress','Field','Pilot'])[1 + g % 4] AS coll) AS c;"
      "INSERT INTO variants (product_id, sku, dial_color, strap, size, price_minor, currency,"
      " stock)"
      " SELECT p.id, 'G-' || p.id || '-' || k, CASE k WHEN 0 THEN 'black' ELSE 'blue' END,"
      "  'leather', '', p.min_price + k * 1000, 'USD', CASE WHEN p.in_stock THEN 100000 ELSE 0 END"
      " FROM products p, generate_series(0, 1) AS k"
      " WHERE NOT EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id)"
      " ORDER BY p.id, k;"
      "ANALYZE products; ANALYZE variants;");
}

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_POSTGRES_CATALOG_GENERATOR_H_
