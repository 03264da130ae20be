-- API tokens for sensors and automation. Only a SHA-256 of the secret part is kept: the token
-- itself is shown once when it is made. Tokens are 256-bit random, so a fast hash is enough.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    public_id    TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
