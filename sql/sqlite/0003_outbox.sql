-- E-mail: verified addresses, single-use account tokens and the
-- transactional outbox (see docs/DESIGN.md "Outbox and e-mail").

ALTER TABLE users ADD COLUMN email_verified_at INTEGER;  -- NULL until verified

-- Tokens sent by e-mail; only the hash of the token is stored.
CREATE TABLE account_tokens (
  token_hash TEXT    PRIMARY KEY,                     -- hex SHA-256 of the token
  purpose    INTEGER NOT NULL CHECK (purpose IN (0, 1, 2)),  -- TokenPurpose
  user_id    INTEGER NOT NULL REFERENCES users (id),
  email      TEXT    NOT NULL,                        -- where the link was sent
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER                                  -- NULL until redeemed
) STRICT, WITHOUT ROWID;
CREATE INDEX account_tokens_user ON account_tokens (user_id);

-- Messages written in the same transaction as their cause, delivered at
-- least once by the outbox worker. message_id is the RFC 5322 Message-ID.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  message_id      TEXT    NOT NULL UNIQUE,
  kind            TEXT    NOT NULL,
  recipient       TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  order_id        INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  state           INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),  -- OutboxState
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT    NOT NULL DEFAULT '',
  sent_at         INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);
