// A synthetic catalog of N watches made inside PostgreSQL in two
// INSERT ... SELECT generate_series statements (100k products in a few
// seconds), for the EXPLAIN test and the listing benchmarks. Each product
// has two variants; its denormalized listing columns are written
// consistently (min_price = the cheaper variant, in_stock, name_key =
// lower(brand || ' ' || model), which equals ProductNameKey for ASCII), and
// so is its search index (reference "R<n>", caliber "Tourbillon" for 1 in
// 1000, watchstore/search.h), and so is its slug (watchstore::DeriveSlug).
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
      // The typo keys of one word (watchstore::TypoKeys; the generated
      // words are ASCII letters and digits).
      "CREATE FUNCTION pg_temp.ws_typo_keys(w text) RETURNS text[] LANGUAGE sql IMMUTABLE AS"
      " $$ SELECT CASE WHEN length(w) BETWEEN 4 AND 24 AND w ~ '^[a-z]+$' THEN ARRAY(SELECT "
      "DISTINCT k FROM"
      " (SELECT w AS k UNION ALL SELECT overlay(w PLACING '' FROM i FOR 1)"
      "  FROM generate_series(1, length(w)) AS i) s ORDER BY k) ELSE '{}'::text[] END $$;"
      "INSERT INTO products (brand, model, description, movement, case_diameter_mm,"
      " case_material, water_resistance_m, strap, collections, image_url, active, version,"
      " created_at_ns, updated_at_ns, name_key, brand_key, model_key, collection_keys,"
      " min_price, in_stock, reference, caliber, complications, search_text, search_keys, slug)"
      " SELECT b.brand, 'Model ' || g, 'A generated watch.', (g % 6)::smallint, 34 + g % 12,"
      "  'steel', 100, 'leather', ARRAY[c.coll], '', g % 50 <> 0, 1,"
      "  1800000000000000000 + g, 1800000000000000000 + g,"
      "  lower(b.brand || ' Model ' || g), lower(b.brand), lower('Model ' || g),"
      "  ARRAY[lower(c.coll)], 10000 + (g::bigint * 7919) % 500000, g % 10 <> 0,"
      "  'R' || g, CASE WHEN g % 1000 = 0 THEN 'Tourbillon' ELSE '' END,"
      "  (1 << (g % 10)) * (g % 3 = 0)::int,"
      // The search document and typo keys: watchstore::IndexProduct of the
      // same fields (brand, model, reference, collection, description).
      "  ' ' || lower(b.brand) || ' model ' || g || ' r' || g"
      "   || CASE WHEN g % 1000 = 0 THEN ' tourbillon' ELSE '' END || ' ' || lower(c.coll)"
      "   || ' | a generated watch ',"
      "  pg_temp.ws_typo_keys(lower(b.brand)) || pg_temp.ws_typo_keys('model')"
      "   || pg_temp.ws_typo_keys(g::text) || pg_temp.ws_typo_keys('r' || g)"
      "   || CASE WHEN g % 1000 = 0 THEN pg_temp.ws_typo_keys('tourbillon') ELSE '{}' END"
      "   || pg_temp.ws_typo_keys(lower(c.coll)),"
      // The slug: watchstore::DeriveSlug(brand, model, reference), unique.
      "  lower(b.brand) || '-model-' || g || '-r' || g"
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
      "INSERT INTO product_slugs (slug, product_id) SELECT p.slug, p.id FROM products p"
      " WHERE p.slug IS NOT NULL ON CONFLICT DO NOTHING;"
      "ANALYZE products; ANALYZE variants;");
}

}  // namespace watchstore::testing

#endif  // WATCHSTORE_TESTS_POSTGRES_CATALOG_GENERATOR_H_
