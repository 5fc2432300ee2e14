-- Issue 13: watch attributes and the full-text search index.
--
-- New attributes are columns with defaults, so existing products keep their
-- data and read as "not stated" (watchstore::WatchAttributes documents each).
-- crystal / watch_condition / grade are the values of the C++ enums;
-- complications is a bit set (bit i: watchstore::Complication i).
ALTER TABLE products
  ADD COLUMN reference             text     NOT NULL DEFAULT '',
  ADD COLUMN caliber               text     NOT NULL DEFAULT '',
  ADD COLUMN complications         integer  NOT NULL DEFAULT 0,
  ADD COLUMN lug_width_mm          integer  NOT NULL DEFAULT 0,
  ADD COLUMN case_thickness_tenths integer  NOT NULL DEFAULT 0,
  ADD COLUMN crystal               smallint NOT NULL DEFAULT 0,
  ADD COLUMN watch_condition       smallint NOT NULL DEFAULT 0,
  ADD COLUMN grade                 smallint NOT NULL DEFAULT 0,
  ADD COLUMN box                   boolean  NOT NULL DEFAULT false,
  ADD COLUMN papers                boolean  NOT NULL DEFAULT false,
  ADD COLUMN limited_pieces        integer  NOT NULL DEFAULT 0,
  -- The search index (the rule: watchstore/search.h), written by the adapter
  -- in the same statement as every product insert and update:
  --   search_text  the search document; NULL until indexed (products from
  --                before this migration are indexed by `migrate` right
  --                after it applies this file);
  --   search_keys  the typo keys of the name fields.
  ADD COLUMN search_text           text COLLATE "C",
  ADD COLUMN search_keys           text[]   NOT NULL DEFAULT '{}',
  ADD CONSTRAINT products_complications_check CHECK (complications BETWEEN 0 AND 1023),
  ADD CONSTRAINT products_crystal_check CHECK (crystal BETWEEN 0 AND 3),
  ADD CONSTRAINT products_condition_check CHECK (watch_condition IN (0, 1)),
  ADD CONSTRAINT products_grade_check CHECK (grade BETWEEN 0 AND 5),
  ADD CONSTRAINT products_limited_check CHECK (limited_pieces >= 0);

-- A word is a fragment of search_text (LIKE '%word%', answered by the
-- trigram index) or shares a typo key (search_keys && keys, by the GIN
-- array index); the listing's other filters and sorts apply as before.
--
-- pg_trgm is a trusted contrib extension, but creating it needs CREATE on
-- the database: deploy/db-roles.sql creates it as the administrator, so this
-- is a no-op for the migrator role there. One creator at a time across
-- schemas (tests migrate many schemas of one database concurrently). The
-- operator class is looked up where the extension lives, which need not be
-- on the migrator's search_path.
SELECT pg_advisory_xact_lock(hashtextextended('watchstore.pg_trgm', 0));
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
DO $$
DECLARE
  ext_schema text;
BEGIN
  SELECT n.nspname INTO STRICT ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX products_search_trgm_idx ON products'
                 ' USING gin (search_text %I.gin_trgm_ops)', ext_schema);
END
$$;
CREATE INDEX products_search_keys_idx ON products USING gin (search_keys);
