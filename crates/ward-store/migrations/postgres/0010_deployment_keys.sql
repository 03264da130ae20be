-- What the server replicas sharing this database agree on about their keys, so that a replica
-- started with other keys refuses to start instead of writing what the others cannot read or
-- verify: the audit ledger's public (verifier) key, and check values of the keys under DATA/keys
-- (HMAC-SHA256 of a fixed label under the key: it tells whether two keys are the same, never the
-- key). Written once, by the first server to start; never a secret.
CREATE TABLE deployment_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    pinned_at BIGINT NOT NULL
);
