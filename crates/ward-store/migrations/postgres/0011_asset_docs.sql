-- Each asset's report document moves to a table of its own, and the asset keeps a hash of it.
-- Keep in step with ../sqlite/0011_asset_docs.sql.
--
-- Every report that sees a device adds to its counters and moves its last_seen: with the
-- document (about 1.5 kB) in the asset's row, each of those updates rewrote the whole row, so a
-- cycle of reports about 100,000 devices rewrote (and logged, and checkpointed) every page of the
-- table, and ingest's reads of the rows went through them too. The narrow rows left are what the
-- lists read and what ingest updates; the document is written only when it changes.
--
-- doc_hash: ingest.rs's hash of the document without its counters and times. A report that says
-- nothing new about a device (the same identity, addresses, protocols, peers) leaves the document
-- alone. NULL until the next report of the device rewrites its document.
CREATE TABLE asset_docs (
    asset_id  BIGINT PRIMARY KEY REFERENCES assets(id),
    doc       TEXT NOT NULL
);
INSERT INTO asset_docs (asset_id, doc) SELECT id, doc FROM assets;
ALTER TABLE assets DROP COLUMN doc;
ALTER TABLE assets ADD COLUMN doc_hash BIGINT;
