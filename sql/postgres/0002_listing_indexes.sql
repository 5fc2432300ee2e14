-- Indexes serving the catalog listing: each sort is a keyset walk of one
-- btree in (sort key, id) order, so page N costs what page 1 costs.
--   newest      products_pkey, scanned backwards
--   price_asc   products_price_idx
--   price_desc  products_price_idx, scanned backwards
--   name_asc    products_name_idx (name_key is COLLATE "C": bytewise, like
--               the std::string comparison of the reference implementation)
-- A brand filter (the most selective common one) has its own pair; a
-- collection filter can use the GIN index when the collection is rare.
CREATE INDEX products_price_idx ON products (min_price, id);
CREATE INDEX products_name_idx ON products (name_key, id);
CREATE INDEX products_brand_idx ON products (brand_key, id);
CREATE INDEX products_brand_price_idx ON products (brand_key, min_price, id);
CREATE INDEX products_collections_idx ON products USING gin (collection_keys);
