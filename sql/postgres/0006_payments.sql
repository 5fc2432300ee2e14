-- Issue 12: payments, guest orders, reservations that expire, refunds.
--
-- Existing orders keep every column: they are user orders, never expire
-- (reserved_until_ns NULL) and have a payment of their total with no
-- provider. Every new column has a default or may be NULL, so servers of the
-- previous release, still serving during a rolling deploy, keep placing
-- orders; payment_amount_minor NULL (only theirs) reads as the total.

-- A guest order has no user until an account claims it.
ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL;

ALTER TABLE orders
  -- A guest order's buyer, the hash of its order link's token, and the guest
  -- cart it came from (the scope of its idempotency key); '' for user orders.
  ADD COLUMN guest_email       text NOT NULL DEFAULT '',
  ADD COLUMN access_token_hash text NOT NULL DEFAULT '',
  ADD COLUMN guest_cart_hash   text NOT NULL DEFAULT '',
  ADD COLUMN placed_from       text NOT NULL DEFAULT '',  -- the client address key
  ADD COLUMN reserved_until_ns bigint,                    -- NULL: never expires
  -- The payment (watchstore::Payment); its currency is the order's.
  ADD COLUMN payment_provider       text     NOT NULL DEFAULT '',
  ADD COLUMN payment_reference      text     NOT NULL DEFAULT '',
  ADD COLUMN payment_state          smallint NOT NULL DEFAULT 0,  -- watchstore::PaymentState
  ADD COLUMN payment_amount_minor   bigint,
  ADD COLUMN payment_refunded_minor bigint   NOT NULL DEFAULT 0,
  ADD COLUMN payment_client_secret  text     NOT NULL DEFAULT '';

UPDATE orders SET payment_amount_minor = total_minor;

ALTER TABLE orders
  DROP CONSTRAINT orders_status_check,
  ADD CONSTRAINT orders_status_check CHECK (status BETWEEN 0 AND 6),
  ADD CONSTRAINT orders_buyer_check CHECK (user_id IS NOT NULL OR guest_cart_hash <> ''),
  ADD CONSTRAINT orders_payment_state_check CHECK (payment_state BETWEEN 0 AND 5),
  ADD CONSTRAINT orders_payment_amount_check
    CHECK (payment_amount_minor >= 0 AND payment_refunded_minor >= 0),
  -- Replaced by the two scoped indexes below (the user one keeps the name
  -- the adapter recognizes in a unique violation).
  DROP CONSTRAINT orders_idempotency_key;

-- The same key replays the same order: per user for user orders, per guest
-- cart for guest orders (a claimed guest order keeps its cart's scope).
CREATE UNIQUE INDEX orders_idempotency_key ON orders (user_id, idempotency_key)
  WHERE guest_cart_hash = '';
CREATE UNIQUE INDEX orders_guest_idempotency_key ON orders (guest_cart_hash, idempotency_key)
  WHERE guest_cart_hash <> '';
CREATE UNIQUE INDEX orders_access_token_key ON orders (access_token_hash)
  WHERE access_token_hash <> '';
CREATE UNIQUE INDEX orders_payment_reference_key ON orders (payment_provider, payment_reference)
  WHERE payment_reference <> '';
-- The sweeper: pending orders by reservation end.
CREATE INDEX orders_reservations_idx ON orders (reserved_until_ns, id)
  WHERE status = 0 AND reserved_until_ns IS NOT NULL;
-- Guest orders by e-mail (the cap on unpaid orders, claiming at login); the
-- cap per client address.
CREATE INDEX orders_guest_email_idx ON orders (guest_email) WHERE user_id IS NULL;
CREATE INDEX orders_pending_from_idx ON orders (placed_from)
  WHERE status = 0 AND placed_from <> '';
-- Staff's list of refunds to make.
CREATE INDEX orders_refund_due_idx ON orders (id) WHERE refund_due_minor > 0;

ALTER TABLE order_lines
  ADD COLUMN refunded_quantity bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT order_lines_refunded_check CHECK (refunded_quantity BETWEEN 0 AND quantity);

-- Provider events applied, each once.
CREATE TABLE payment_events (
  provider       text   NOT NULL,
  event_id       text   NOT NULL,
  order_id       bigint NOT NULL,
  received_at_ns bigint NOT NULL,
  PRIMARY KEY (provider, event_id),
  CONSTRAINT payment_events_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);
