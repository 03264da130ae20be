-- Security keys and passkeys (WebAuthn), a second factor beside TOTP. A passkey row holds the
-- credential's public key and signature counter as webauthn-rs serialises them: nothing secret,
-- the private key never leaves the authenticator. The user handle the authenticator sees is 16
-- random bytes (hex), never the user name.
CREATE TABLE passkeys (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id  TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    passkey        TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_id);

ALTER TABLE users ADD COLUMN webauthn_handle TEXT;

-- The state of a WebAuthn ceremony begun on this session (its challenge): kept server-side only,
-- taken once by the step that finishes it.
ALTER TABLE sessions ADD COLUMN ceremony TEXT;
