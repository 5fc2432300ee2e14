-- Issue 13: watch attributes and the full-text search index.
--
-- New attributes are columns with defaults, so existing products keep their
-- data and read as "not stated" (watchstore::WatchAttributes documents each).
-- watch_condition / grade / crystal are the INTEGER values of the C++ enums;
-- complications is a bit set (bit i: watchstore::Complication i).
ALTER TABLE products ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN caliber TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN complications INTEGER NOT NULL DEFAULT 0
  CHECK (complications BETWEEN 0 AND 1023);
ALTER TABLE products ADD COLUMN lug_width_mm INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN case_thickness_tenths INTEGER NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN crystal INTEGER NOT NULL DEFAULT 0 CHECK (crystal BETWEEN 0 AND 3);
ALTER TABLE products ADD COLUMN watch_condition INTEGER NOT NULL DEFAULT 0
  CHECK (watch_condition IN (0, 1));
ALTER TABLE products ADD COLUMN grade INTEGER NOT NULL DEFAULT 0 CHECK (grade BETWEEN 0 AND 5);
ALTER TABLE products ADD COLUMN box INTEGER NOT NULL DEFAULT 0 CHECK (box IN (0, 1));
ALTER TABLE products ADD COLUMN papers INTEGER NOT NULL DEFAULT 0 CHECK (papers IN (0, 1));
ALTER TABLE products ADD COLUMN limited_pieces INTEGER NOT NULL DEFAULT 0
  CHECK (limited_pieces >= 0);

-- The search index (the rule: watchstore/search.h), written by the adapter in
-- the same transaction as every product insert and update:
--   product_search       the search document, rowid = product id; a trigram
--                        FTS5 table, case-sensitive (the document is already
--                        lower case) so a GLOB '*word*' is answered from the
--                        trigram index with exactly the bytes the reference
--                        compares;
--   product_search_keys  the typo keys of the product's name fields.
-- Products written before this migration are indexed by the adapter right
-- after migrating (those without a product_search row).
CREATE VIRTUAL TABLE product_search USING fts5 (document, tokenize = 'trigram case_sensitive 1');
CREATE TABLE product_search_keys (
  key        TEXT    NOT NULL,
  product_id INTEGER NOT NULL REFERENCES products (id),
  PRIMARY KEY (key, product_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_search_keys_product ON product_search_keys (product_id);
