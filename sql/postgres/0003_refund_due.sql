-- What the store owes a buyer back: an order's total once staff cancel it
-- after it was paid (buyers may cancel only unpaid orders).
ALTER TABLE orders ADD COLUMN refund_due_minor bigint NOT NULL DEFAULT 0
  CONSTRAINT orders_refund_due_check CHECK (refund_due_minor >= 0);
