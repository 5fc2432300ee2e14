-- Issue 13 item 5: readable product URLs (/watches/<slug>).
--
-- products.slug     the product's current slug (watchstore::Product::slug);
--                   unique. NULL only for products written before this
--                   migration, until the adapter gives them theirs right after
--                   migrating (by watchstore::DeriveSlug, the one rule, which
--                   SQL cannot spell: transliteration, length cut, suffixes).
-- product_slugs     every slug any product ever had (its current one too) and
--                   the product it leads to: an old slug redirects to the
--                   product's current one for ever and is never given to
--                   another product. Written in the transaction of the
--                   product write that gives the slug.
ALTER TABLE products ADD COLUMN slug TEXT CHECK (slug IS NULL OR length(slug) BETWEEN 1 AND 80);
CREATE UNIQUE INDEX products_slug ON products (slug);
CREATE TABLE product_slugs (
  slug       TEXT    NOT NULL PRIMARY KEY CHECK (length(slug) BETWEEN 1 AND 80),
  product_id INTEGER NOT NULL REFERENCES products (id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_slugs_product ON product_slugs (product_id);

-- Issue 13 item 6: collections (the names on products) get their own words.
-- slug is watchstore::CollectionSlug(name): products keep naming collections
-- by name (product_collections.name_key, lower case); this table only
-- describes them. Counts are computed from the products, never stored.
CREATE TABLE collections (
  slug        TEXT NOT NULL PRIMARY KEY CHECK (length(slug) BETWEEN 1 AND 80),
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
  description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000)
) STRICT, WITHOUT ROWID;
