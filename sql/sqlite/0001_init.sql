-- watchstore on SQLite, schema version 1.
--
-- Conventions: STRICT tables; times are INTEGER unix nanoseconds; money is
-- INTEGER minor units beside a three-letter ISO 4217 code; enums are the
-- INTEGER values of the C++ enums (Role, Movement, OrderStatus). Every
-- invariant the adapter relies on is a constraint here, so a writer that
-- bypasses the adapter cannot break it either.
--
-- Applied by the adapter inside one transaction, which also records the
-- version in schema_migrations. Forward only: never edit a released file,
-- add 0002_... instead.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  email         TEXT    NOT NULL UNIQUE,            -- normalized by the services
  password_hash TEXT    NOT NULL,
  role          INTEGER NOT NULL CHECK (role IN (0, 1)),
  created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  token_hash   TEXT    PRIMARY KEY,                 -- hex SHA-256 of the token
  user_id      INTEGER NOT NULL REFERENCES users (id),
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- A watch. min_price, total_stock and name_key are denormalized for the
-- listing: min_price and total_stock are kept by the triggers on variants
-- below, in the same transaction as every variant change; name_key is
-- watchstore::ProductNameKey(brand, model), written by the adapter with
-- brand and model.
CREATE TABLE products (
  id                 INTEGER PRIMARY KEY,
  brand              TEXT    NOT NULL,
  model              TEXT    NOT NULL,
  description        TEXT    NOT NULL,
  movement           INTEGER NOT NULL CHECK (movement BETWEEN 0 AND 5),
  case_diameter_mm   INTEGER NOT NULL,
  case_material      TEXT    NOT NULL,
  water_resistance_m INTEGER NOT NULL,
  strap              TEXT    NOT NULL,
  image_url          TEXT    NOT NULL,
  active             INTEGER NOT NULL CHECK (active IN (0, 1)),
  version            INTEGER NOT NULL CHECK (version >= 1),
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  name_key           TEXT    NOT NULL,              -- BINARY collation: byte order, as in C++
  min_price          INTEGER NOT NULL DEFAULT 0 CHECK (min_price >= 0),
  total_stock        INTEGER NOT NULL DEFAULT 0 CHECK (total_stock >= 0)
) STRICT;
-- Listing: one index per sort, each ending in id for keyset pagination.
CREATE INDEX products_active_id ON products (active, id);
CREATE INDEX products_active_price ON products (active, min_price, id);
CREATE INDEX products_active_name ON products (active, name_key, id);

-- A product's collections, in the order given. name_key is the ASCII
-- lower-cased name, for the case-insensitive exact filter.
CREATE TABLE product_collections (
  product_id INTEGER NOT NULL REFERENCES products (id),
  position   INTEGER NOT NULL CHECK (position >= 0),
  name       TEXT    NOT NULL,
  name_key   TEXT    NOT NULL,
  PRIMARY KEY (product_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_collections_name ON product_collections (name_key, product_id);

CREATE TABLE variants (
  id          INTEGER PRIMARY KEY,
  product_id  INTEGER NOT NULL REFERENCES products (id),
  sku         TEXT    NOT NULL UNIQUE,
  dial_color  TEXT    NOT NULL,
  strap       TEXT    NOT NULL,
  size        TEXT    NOT NULL,
  price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
  currency    TEXT    NOT NULL CHECK (length(currency) = 3),
  stock       INTEGER NOT NULL CHECK (stock >= 0)
) STRICT;
CREATE INDEX variants_product ON variants (product_id, id);

CREATE TRIGGER variants_after_insert AFTER INSERT ON variants
BEGIN
  UPDATE products
     SET total_stock = total_stock + NEW.stock,
         min_price = (SELECT min(price_minor) FROM variants WHERE product_id = NEW.product_id)
   WHERE id = NEW.product_id;
END;

CREATE TRIGGER variants_after_stock AFTER UPDATE OF stock ON variants
WHEN NEW.stock IS NOT OLD.stock
BEGIN
  UPDATE products SET total_stock = total_stock - OLD.stock + NEW.stock
   WHERE id = NEW.product_id;
END;

CREATE TRIGGER variants_after_price AFTER UPDATE OF price_minor ON variants
WHEN NEW.price_minor IS NOT OLD.price_minor
BEGIN
  UPDATE products
     SET min_price = (SELECT min(price_minor) FROM variants WHERE product_id = NEW.product_id)
   WHERE id = NEW.product_id;
END;

CREATE TRIGGER variants_keep_product BEFORE UPDATE OF product_id ON variants
WHEN NEW.product_id IS NOT OLD.product_id
BEGIN
  SELECT RAISE(ABORT, 'a variant cannot move to another product');
END;

CREATE TRIGGER variants_after_delete AFTER DELETE ON variants
BEGIN
  UPDATE products
     SET total_stock = total_stock - OLD.stock,
         min_price = coalesce((SELECT min(price_minor) FROM variants
                                WHERE product_id = OLD.product_id), 0)
   WHERE id = OLD.product_id;
END;

-- Cart lines. owner is 'u:<user id>' or 'g:<guest token hash>'.
CREATE TABLE cart_items (
  owner      TEXT    NOT NULL,
  variant_id INTEGER NOT NULL REFERENCES variants (id),
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  added_at   INTEGER NOT NULL,
  PRIMARY KEY (owner, variant_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX cart_items_variant ON cart_items (variant_id);

-- Orders; the number ("WS-000042") is derived from id.
CREATE TABLE orders (
  id                  INTEGER PRIMARY KEY,
  user_id             INTEGER NOT NULL REFERENCES users (id),
  status              INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4),
  total_minor         INTEGER NOT NULL CHECK (total_minor >= 0),
  currency            TEXT    NOT NULL CHECK (length(currency) = 3),
  ship_name           TEXT    NOT NULL,
  ship_line1          TEXT    NOT NULL,
  ship_line2          TEXT    NOT NULL,
  ship_city           TEXT    NOT NULL,
  ship_postal_code    TEXT    NOT NULL,
  ship_country        TEXT    NOT NULL,
  idempotency_key     TEXT    NOT NULL,
  request_fingerprint TEXT    NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  UNIQUE (user_id, idempotency_key)
) STRICT;
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_status ON orders (status, id);

-- Order lines with the price captured at checkout.
CREATE TABLE order_lines (
  order_id         INTEGER NOT NULL REFERENCES orders (id),
  line_no          INTEGER NOT NULL,
  variant_id       INTEGER NOT NULL REFERENCES variants (id),
  product_id       INTEGER NOT NULL REFERENCES products (id),
  sku              TEXT    NOT NULL,
  title            TEXT    NOT NULL,
  quantity         INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
  currency         TEXT    NOT NULL CHECK (length(currency) = 3),
  line_total_minor INTEGER NOT NULL CHECK (line_total_minor >= 0),
  PRIMARY KEY (order_id, line_no)
) STRICT, WITHOUT ROWID;
