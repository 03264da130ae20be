-- Covering indexes for the filtered list queries that 0004's indexes left slow (bench/server/:
-- 100,000 assets, 1,000,000 findings). Keep in step with ../sqlite/0009_covering_indexes.sql.
--
-- A filter combined with a sort that no index leads with (kind + sort by occurrences, status +
-- kind + sort by first seen, assignee + status + sort by last seen) made the database walk the
-- sort's index and fetch each table row to test the filter: up to 100,000 heap fetches for a
-- page at offset 10,000. Each findings sort index now carries the filter columns (INCLUDE), so
-- the walk is an index-only scan that fetches only the page's rows (where the visibility map is
-- current: autovacuum keeps it so). The same indexes are replaced and one dropped, none added; an update of a
-- finding's last_seen is not HOT anyway (indexed column), so ingest touches the same indexes as
-- before, each entry about 40 bytes wider.

DROP INDEX findings_severity;
CREATE INDEX findings_severity ON findings(severity_rank, last_seen, id) INCLUDE (status, kind, assignee);
DROP INDEX findings_last_seen;
CREATE INDEX findings_last_seen ON findings(last_seen, id) INCLUDE (status, kind, severity_rank, assignee);
DROP INDEX findings_first_seen;
CREATE INDEX findings_first_seen ON findings(first_seen, id) INCLUDE (status, kind, severity_rank, assignee);
DROP INDEX findings_occurrences;
CREATE INDEX findings_occurrences ON findings(occurrences, id) INCLUDE (status, kind, severity_rank, assignee);
-- The filter indexes carry the other filters, so a count of two filters (status and kind, say)
-- is read from one index alone.
DROP INDEX findings_status;
CREATE INDEX findings_status ON findings(status, severity_rank, last_seen, id) INCLUDE (kind, assignee);
DROP INDEX findings_kind;
CREATE INDEX findings_kind ON findings(kind, severity_rank, last_seen, id) INCLUDE (status, assignee);
-- An assignee's findings with a status, in any order: read from the index alone, then sorted.
DROP INDEX findings_assignee;
CREATE INDEX findings_assignee ON findings(assignee, severity_rank, last_seen, id) INCLUDE (status, kind);
-- Redundant now: "open findings, newest first" walks findings_last_seen and tests the status
-- inside it (about 18,000 entries for a page at offset 10,000, no table rows).
DROP INDEX findings_status_last_seen;
-- `asset = X` (the asset or the peer) is read as a UNION of the two sides (query.rs): each side
-- an index-only scan carrying the id, the sort keys and the filters, instead of a bitmap heap
-- scan of a busy device's thousands of rows (3,136 rows: 36 ms -> 2 ms, EXPLAIN ANALYZE).
DROP INDEX findings_asset;
CREATE INDEX findings_asset ON findings(asset_id) INCLUDE (id, severity_rank, last_seen, first_seen, occurrences, status, kind, assignee);
DROP INDEX findings_peer;
CREATE INDEX findings_peer ON findings(peer_asset_id) INCLUDE (id, severity_rank, last_seen, first_seen, occurrences, status, kind, assignee);
