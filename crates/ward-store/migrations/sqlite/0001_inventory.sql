-- Ward store, SQLite dialect. Times are nanoseconds since the Unix epoch (ward_model::Timestamp)
-- in INTEGER columns; JSON documents are TEXT. Keep in step with ../postgres/0001_inventory.sql:
-- the same tables, columns and meanings.

CREATE TABLE sensors (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER
);

-- One row per accepted upload: a batch resent after a lost acknowledgement is recognised here
-- and not merged twice.
CREATE TABLE ingest_batches (
    sensor_id   INTEGER NOT NULL REFERENCES sensors(id),
    batch_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    assets      INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    PRIMARY KEY (sensor_id, batch_id)
);

CREATE TABLE assets (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    manufacturer     TEXT,
    model            TEXT,
    software_version TEXT,
    confidence       INTEGER NOT NULL,
    label            TEXT NOT NULL,
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    packets          INTEGER NOT NULL,
    bytes            INTEGER NOT NULL,
    doc              TEXT NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX assets_kind ON assets(kind);
CREATE INDEX assets_last_seen ON assets(last_seen);

-- What identifies an asset across sensors and time; each value belongs to one asset at a time.
-- kind: mac, ip, hostname, dicom_ae.
CREATE TABLE asset_identifiers (
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    asset_id    INTEGER NOT NULL REFERENCES assets(id),
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX asset_identifiers_asset ON asset_identifiers(asset_id);

-- Changes over time: an address that moved, a software version that changed.
CREATE TABLE asset_history (
    id          INTEGER PRIMARY KEY,
    asset_id    INTEGER NOT NULL REFERENCES assets(id),
    at          INTEGER NOT NULL,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    sensor_id   INTEGER REFERENCES sensors(id)
);
CREATE INDEX asset_history_asset ON asset_history(asset_id, at);

-- Findings deduplicated by (kind, asset, peer, protocol), with their lifecycle.
-- status: open, acknowledged, resolved, accepted_risk.
CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    fingerprint    TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    severity_rank  INTEGER NOT NULL,
    asset_id       INTEGER REFERENCES assets(id),
    peer_asset_id  INTEGER REFERENCES assets(id),
    protocol       TEXT,
    title          TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    remediation    TEXT NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    occurrences    INTEGER NOT NULL,
    status         TEXT NOT NULL,
    status_reason  TEXT,
    accepted_until INTEGER,
    assignee       TEXT,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX findings_status ON findings(status, severity_rank);
CREATE INDEX findings_asset ON findings(asset_id);
CREATE INDEX findings_kind ON findings(kind);

-- Every lifecycle step, assignment and comment of a finding, in order.
CREATE TABLE finding_events (
    id          INTEGER PRIMARY KEY,
    finding_id  INTEGER NOT NULL REFERENCES findings(id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX finding_events_finding ON finding_events(finding_id, id);
