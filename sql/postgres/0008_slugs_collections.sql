-- Issue 13 item 5: readable product URLs (/watches/<slug>).
--
-- products.slug     the product's current slug (watchstore::Product::slug);
--                   unique. NULL only for products written before this
--                   migration, until `migrate` gives them theirs right after
--                   applying this file (by watchstore::DeriveSlug, the one
--                   rule, which SQL cannot spell: transliteration, length cut,
--                   collision suffixes).
-- product_slugs     every slug any product ever had (its current one too) and
--                   the product it leads to: an old slug redirects to the
--                   product's current one for ever and is never given to
--                   another product. Written in the transaction of the
--                   product write that gives the slug, under a transaction
--                   advisory lock ('watchstore.product_slugs') so that two
--                   writers never pick the same free slug.
ALTER TABLE products
  ADD COLUMN slug text COLLATE "C",
  ADD CONSTRAINT products_slug_key UNIQUE (slug),
  ADD CONSTRAINT products_slug_check CHECK (slug IS NULL OR length(slug) BETWEEN 1 AND 80);

CREATE TABLE product_slugs (
  slug       text   COLLATE "C" NOT NULL,
  product_id bigint NOT NULL,
  CONSTRAINT product_slugs_pkey PRIMARY KEY (slug),
  CONSTRAINT product_slugs_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT product_slugs_slug_check CHECK (length(slug) BETWEEN 1 AND 80)
);
CREATE INDEX product_slugs_product ON product_slugs (product_id);

-- Issue 13 item 6: collections (the names on products) get their own words.
-- slug is watchstore::CollectionSlug(name): products keep naming collections
-- by name (products.collections); this table only describes them. Counts are
-- computed from the products, never stored.
CREATE TABLE collections (
  slug        text COLLATE "C" NOT NULL,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  CONSTRAINT collections_pkey PRIMARY KEY (slug),
  CONSTRAINT collections_slug_check CHECK (length(slug) BETWEEN 1 AND 80),
  CONSTRAINT collections_name_check CHECK (length(name) BETWEEN 1 AND 40),
  CONSTRAINT collections_description_check CHECK (length(description) <= 2000)
);
