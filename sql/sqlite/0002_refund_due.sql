-- What the store owes a buyer back: an order's total once staff cancel it
-- after it was paid (buyers may cancel only unpaid orders).
ALTER TABLE orders ADD COLUMN refund_due_minor INTEGER NOT NULL DEFAULT 0;
