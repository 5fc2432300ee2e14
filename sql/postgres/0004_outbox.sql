-- E-mail: verified addresses, single-use account tokens and the
-- transactional outbox (see docs/DESIGN.md "Outbox and e-mail").

ALTER TABLE users ADD COLUMN email_verified_at_ns bigint;  -- NULL until verified

-- Tokens sent by e-mail; only the hash of the token is stored.
CREATE TABLE account_tokens (
  token_hash    text     PRIMARY KEY,  -- hex SHA-256 of the token
  purpose       smallint NOT NULL,     -- TokenPurpose
  user_id       bigint   NOT NULL,
  email         text     NOT NULL,     -- where the link was sent
  created_at_ns bigint   NOT NULL,
  expires_at_ns bigint   NOT NULL,
  used_at_ns    bigint,                -- NULL until redeemed
  CONSTRAINT account_tokens_purpose_check CHECK (purpose IN (0, 1, 2)),
  CONSTRAINT account_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id);

-- Messages written in the same transaction as their cause, delivered at
-- least once by the outbox workers (claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE outbox (
  id                 bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id         text     NOT NULL,
  kind               text     NOT NULL,
  recipient          text     NOT NULL,
  payload            text     NOT NULL,
  order_id           bigint   NOT NULL DEFAULT 0,
  created_at_ns      bigint   NOT NULL,
  state              smallint NOT NULL DEFAULT 0,  -- OutboxState
  attempts           integer  NOT NULL DEFAULT 0,
  next_attempt_at_ns bigint   NOT NULL,
  last_error         text     NOT NULL DEFAULT '',
  sent_at_ns         bigint,
  CONSTRAINT outbox_message_id_key UNIQUE (message_id),
  CONSTRAINT outbox_state_check CHECK (state IN (0, 1, 2)),
  CONSTRAINT outbox_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at_ns, id) WHERE state = 0;
