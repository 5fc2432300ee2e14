-- Issue 12: payments, guest orders, reservations that expire, refunds.
--
-- orders.user_id becomes nullable (a guest order has none until an account
-- claims it) and the status CHECK widens to 0..6 (expired, refunded). SQLite
-- can change neither in place, so the table is rebuilt by SQLite's own
-- procedure (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds
-- Of Table Schema Changes"): the migration runner turns foreign keys off
-- around the transaction and runs PRAGMA foreign_key_check before it
-- commits. Every row is copied; existing orders keep their ids (order_lines
-- and outbox rows refer to them), are user orders, never expire
-- (reserved_until NULL) and have a payment of their total with no provider.

CREATE TABLE orders_new (
  id                  INTEGER PRIMARY KEY,
  user_id             INTEGER REFERENCES users (id),  -- NULL: a guest order
  status              INTEGER NOT NULL CHECK (status BETWEEN 0 AND 6),
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
  refund_due_minor    INTEGER NOT NULL DEFAULT 0 CHECK (refund_due_minor >= 0),
  -- A guest order's buyer, the hash of its order link's token, and the guest
  -- cart it came from (the scope of its idempotency key); '' for user orders.
  guest_email         TEXT    NOT NULL DEFAULT '',
  access_token_hash   TEXT    NOT NULL DEFAULT '',
  guest_cart_hash     TEXT    NOT NULL DEFAULT '',
  placed_from         TEXT    NOT NULL DEFAULT '',  -- the client address key
  reserved_until      INTEGER,                      -- ns; NULL: never expires
  -- The payment (watchstore::Payment); its currency is the order's.
  payment_provider       TEXT    NOT NULL DEFAULT '',
  payment_reference      TEXT    NOT NULL DEFAULT '',
  payment_state          INTEGER NOT NULL DEFAULT 0 CHECK (payment_state BETWEEN 0 AND 5),
  payment_amount_minor   INTEGER NOT NULL CHECK (payment_amount_minor >= 0),
  payment_refunded_minor INTEGER NOT NULL DEFAULT 0 CHECK (payment_refunded_minor >= 0),
  payment_client_secret  TEXT    NOT NULL DEFAULT '',
  CHECK (user_id IS NOT NULL OR guest_cart_hash <> '')
) STRICT;

INSERT INTO orders_new (id, user_id, status, total_minor, currency, ship_name, ship_line1,
    ship_line2, ship_city, ship_postal_code, ship_country, idempotency_key, request_fingerprint,
    created_at, updated_at, refund_due_minor, payment_amount_minor)
  SELECT id, user_id, status, total_minor, currency, ship_name, ship_line1, ship_line2,
    ship_city, ship_postal_code, ship_country, idempotency_key, request_fingerprint, created_at,
    updated_at, refund_due_minor, total_minor
  FROM orders;

DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;

CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_status ON orders (status, id);
-- The same key replays the same order: per user for user orders, per guest
-- cart for guest orders (a claimed guest order keeps its cart's scope).
CREATE UNIQUE INDEX orders_user_key ON orders (user_id, idempotency_key)
  WHERE guest_cart_hash = '';
CREATE UNIQUE INDEX orders_guest_key ON orders (guest_cart_hash, idempotency_key)
  WHERE guest_cart_hash <> '';
CREATE UNIQUE INDEX orders_access_token ON orders (access_token_hash)
  WHERE access_token_hash <> '';
CREATE UNIQUE INDEX orders_payment_reference ON orders (payment_provider, payment_reference)
  WHERE payment_reference <> '';
-- The sweeper: pending orders by reservation end.
CREATE INDEX orders_reservations ON orders (status, reserved_until, id)
  WHERE status = 0 AND reserved_until IS NOT NULL;
-- Guest orders by e-mail (the cap on unpaid orders, claiming at login); the
-- cap per client address.
CREATE INDEX orders_guest_email ON orders (guest_email) WHERE user_id IS NULL;
CREATE INDEX orders_pending_from ON orders (placed_from) WHERE status = 0 AND placed_from <> '';
-- Staff's list of refunds to make.
CREATE INDEX orders_refund_due ON orders (id) WHERE refund_due_minor > 0;

ALTER TABLE order_lines ADD COLUMN refunded_quantity INTEGER NOT NULL DEFAULT 0
  CHECK (refunded_quantity BETWEEN 0 AND quantity);

-- Provider events applied, each once.
CREATE TABLE payment_events (
  provider    TEXT    NOT NULL,
  event_id    TEXT    NOT NULL,
  order_id    INTEGER NOT NULL REFERENCES orders (id),
  received_at INTEGER NOT NULL,
  PRIMARY KEY (provider, event_id)
) STRICT, WITHOUT ROWID;
