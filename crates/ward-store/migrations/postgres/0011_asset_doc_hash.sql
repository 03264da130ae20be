-- A hash of each asset's stored document without its counters and times (ingest.rs, doc_hash):
-- a report that says nothing new about a device (the same identity, addresses, protocols, peers)
-- leaves the document alone and only adds to the counters. NULL until the next report of the
-- device rewrites its document. Keep in step with ../sqlite/0011_asset_doc_hash.sql.
ALTER TABLE assets ADD COLUMN doc_hash BIGINT;
