-- watchstore PostgreSQL schema, version 1.
--
-- Forward-only: never edit a migration once released; add the next number.
-- Applied by the adapter (NewPostgresStorage / MigratePostgres) in one
-- transaction per file, under an advisory lock, recorded in schema_migrations.
--
-- Conventions
--   * Times are int8 nanoseconds since the Unix epoch (*_ns): absl::Time
--     round-trips exactly. Read them with to_timestamp(x / 1e9).
--   * Money is int8 minor units beside an ISO 4217 code; never floating point.
--   * Enums are smallint codes of the C++ enums (watchstore/*.h).
--   * Constraint names are part of the adapter's error mapping
--     (src/storage/postgres/pg_errors.cc): rename them together.

CREATE TABLE users (
  id            bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text     NOT NULL,  -- normalized by the services
  password_hash text     NOT NULL,
  role          smallint NOT NULL,  -- 0 customer, 1 admin
  created_at_ns bigint   NOT NULL,
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_role_check CHECK (role IN (0, 1))
);

CREATE TABLE sessions (
  token_hash      text   PRIMARY KEY,  -- hex SHA-256 of the client's token
  user_id         bigint NOT NULL,
  created_at_ns   bigint NOT NULL,
  last_seen_at_ns bigint NOT NULL,
  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_created_idx ON sessions (created_at_ns);
CREATE INDEX sessions_last_seen_idx ON sessions (last_seen_at_ns);

CREATE TABLE products (
  id                 bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  brand              text     NOT NULL,
  model              text     NOT NULL,
  description        text     NOT NULL,
  movement           smallint NOT NULL,  -- watchstore::Movement
  case_diameter_mm   integer  NOT NULL,
  case_material      text     NOT NULL,
  water_resistance_m integer  NOT NULL,
  strap              text     NOT NULL,
  collections        text[]   NOT NULL,
  image_url          text     NOT NULL,
  active             boolean  NOT NULL,
  version            bigint   NOT NULL,
  created_at_ns      bigint   NOT NULL,
  updated_at_ns      bigint   NOT NULL,
  -- What listing filters and sorts on, denormalized. Written by the adapter
  -- in the same transaction as every change to the product or its variants.
  --   name_key        watchstore::ProductNameKey(brand, model), compared bytewise
  --   brand_key       ASCII lower case of brand (case-insensitive brand filter)
  --   model_key       ASCII lower case of model (text search)
  --   collection_keys ASCII lower case of collections
  --   min_price       lowest variant price_minor (0 without variants)
  --   in_stock        some variant has stock > 0
  name_key           text COLLATE "C" NOT NULL,
  brand_key          text COLLATE "C" NOT NULL,
  model_key          text COLLATE "C" NOT NULL,
  collection_keys    text[]   NOT NULL,
  min_price          bigint   NOT NULL,
  in_stock           boolean  NOT NULL,
  CONSTRAINT products_movement_check CHECK (movement BETWEEN 0 AND 5),
  CONSTRAINT products_version_check CHECK (version >= 1),
  CONSTRAINT products_min_price_check CHECK (min_price >= 0)
)
-- Room on each page for the updates every checkout makes (version,
-- updated_at_ns, in_stock: no indexed column), so they stay HOT and touch
-- none of the listing indexes.
WITH (fillfactor = 85);

CREATE TABLE variants (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  product_id  bigint NOT NULL,
  sku         text   NOT NULL,
  dial_color  text   NOT NULL,
  strap       text   NOT NULL,
  size        text   NOT NULL,
  price_minor bigint NOT NULL,
  currency    text   NOT NULL,
  stock       bigint NOT NULL,
  CONSTRAINT variants_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT variants_sku_key UNIQUE (sku),
  CONSTRAINT variants_stock_check CHECK (stock >= 0),
  CONSTRAINT variants_price_check CHECK (price_minor >= 0),
  CONSTRAINT variants_currency_check CHECK (currency ~ '^[A-Z]{3}$')
)
WITH (fillfactor = 85);  -- stock updates stay HOT, as above
CREATE INDEX variants_product_idx ON variants (product_id, id);

-- A cart line belongs to a user or to a guest (by the hash of its token).
CREATE TABLE cart_items (
  user_id          bigint,
  guest_token_hash text,
  variant_id       bigint NOT NULL,
  quantity         bigint NOT NULL,
  added_at_ns      bigint NOT NULL,
  CONSTRAINT cart_items_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT cart_items_variant_fk FOREIGN KEY (variant_id) REFERENCES variants (id),
  CONSTRAINT cart_items_owner_check CHECK ((user_id IS NULL) <> (guest_token_hash IS NULL)),
  CONSTRAINT cart_items_quantity_check CHECK (quantity > 0)
);
CREATE UNIQUE INDEX cart_items_user_key
  ON cart_items (user_id, variant_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX cart_items_guest_key
  ON cart_items (guest_token_hash, variant_id) WHERE guest_token_hash IS NOT NULL;
CREATE INDEX cart_items_variant_idx ON cart_items (variant_id);

CREATE TABLE orders (
  id                  bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id             bigint   NOT NULL,
  status              smallint NOT NULL,  -- watchstore::OrderStatus
  total_minor         bigint   NOT NULL,
  currency            text     NOT NULL,
  ship_name           text     NOT NULL,
  ship_line1          text     NOT NULL,
  ship_line2          text     NOT NULL,
  ship_city           text     NOT NULL,
  ship_postal_code    text     NOT NULL,
  ship_country        text     NOT NULL,
  idempotency_key     text     NOT NULL,
  request_fingerprint text     NOT NULL,
  created_at_ns       bigint   NOT NULL,
  updated_at_ns       bigint   NOT NULL,
  CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
  -- The same key replays the same order: enforced here, not only in code.
  CONSTRAINT orders_idempotency_key UNIQUE (user_id, idempotency_key),
  CONSTRAINT orders_status_check CHECK (status BETWEEN 0 AND 4),
  CONSTRAINT orders_total_check CHECK (total_minor >= 0),
  CONSTRAINT orders_currency_check CHECK (currency ~ '^[A-Z]{3}$')
);
CREATE INDEX orders_user_idx ON orders (user_id, id);
CREATE INDEX orders_status_idx ON orders (status, id);

-- Order lines keep the price, SKU and title captured at checkout.
CREATE TABLE order_lines (
  order_id         bigint  NOT NULL,
  line_no          integer NOT NULL,
  variant_id       bigint  NOT NULL,
  product_id       bigint  NOT NULL,
  sku              text    NOT NULL,
  title            text    NOT NULL,
  quantity         bigint  NOT NULL,
  unit_price_minor bigint  NOT NULL,
  line_total_minor bigint  NOT NULL,
  currency         text    NOT NULL,
  PRIMARY KEY (order_id, line_no),
  CONSTRAINT order_lines_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
  CONSTRAINT order_lines_variant_fk FOREIGN KEY (variant_id) REFERENCES variants (id),
  CONSTRAINT order_lines_product_fk FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT order_lines_quantity_check CHECK (quantity > 0),
  CONSTRAINT order_lines_price_check CHECK (unit_price_minor >= 0 AND line_total_minor >= 0)
);
CREATE INDEX order_lines_variant_idx ON order_lines (variant_id);
