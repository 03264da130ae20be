-- People who sign in, their second factor, their sessions, and the one-time setup token of the
-- first administrator. Times are nanoseconds since the epoch, like every other table.
-- Secrets are never stored in the clear: passwords as Argon2id PHC strings, TOTP secrets sealed
-- with the server's key (AES-256-GCM, key in the data directory), recovery codes and session ids
-- and setup tokens as SHA-256.
CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE,
    role                  TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    totp_sealed           TEXT,
    totp_enrolled         INTEGER NOT NULL DEFAULT 0,
    totp_last_step        INTEGER,
    throttle              TEXT NOT NULL DEFAULT '{}',
    disabled              INTEGER NOT NULL DEFAULT 0,
    care_unit             TEXT,
    created_at            INTEGER NOT NULL,
    password_changed_at   INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- stage: 'password' (first factor done, second pending) or 'full'.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    last_auth_at  INTEGER NOT NULL,
    source        TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
