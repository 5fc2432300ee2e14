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
