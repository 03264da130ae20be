-- Deferred counters of a burst of sensor uploads. Keep in step with ../postgres/0012_ingest_journal.sql.
--
-- Every sighting of a device moves its last_seen and adds to its packets and bytes, and every
-- finding seen again moves its last_seen and occurrences: columns the lists sort by, so each of
-- those updates also moves the row's entries in up to seven sort indexes, and every identifier
-- the report names has its last_seen rewritten. Under a burst (sensors flushing their spools,
-- many uploading at once) ingest.rs keeps these per-sighting changes in the writer's memory,
-- summed per device, finding and identifier, and writes each committed group's share here, in
-- the same transaction as the rest of the group, before acknowledging it: one appended row
-- instead of hundreds of thousands of index updates. Every few seconds (and when the burst ends,
-- and when the store closes) the sums are folded into assets, findings and asset_identifiers and
-- these rows deleted, in one transaction. After a crash, Store::open folds whatever is here
-- before anything reads the store: nothing acknowledged is lost.
--
-- deltas: JSON {"a": [[asset id, first seen, last seen, packets, bytes], ...],
--               "f": [[finding id, first seen, last seen, occurrences], ...],
--               "i": [[kind, value, last seen], ...]}; packets, bytes and occurrences are
-- amounts to add, first and last seen the earliest and latest of the group.
CREATE TABLE ingest_journal (
    id      INTEGER PRIMARY KEY,
    deltas  TEXT NOT NULL
);

-- Counts the writers' transactions. The SQLite writer keeps every identifier in memory instead of
-- reading thousands back per batch; it adds one here in each of its transactions and trusts its
-- memory only while the count is the one it left (another process ingesting into the same file
-- changes it, and the writer reads the identifiers again).
CREATE TABLE ingest_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  INTEGER NOT NULL
);
INSERT INTO ingest_state (id, epoch) VALUES (1, 0);
