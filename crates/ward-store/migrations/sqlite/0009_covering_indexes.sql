-- Covering indexes for the filtered list queries that 0004's indexes left slow (bench/server/:
-- 100,000 assets, 1,000,000 findings). Keep in step with ../postgres/0009_covering_indexes.sql.
--
-- A filter combined with a sort that no index leads with (kind + sort by occurrences, status +
-- kind + sort by first seen, assignee + status + sort by last seen, a minimum severity + sort by
-- last seen) made the database walk the sort's index and fetch each table row to test the
-- filter: up to 100,000 row fetches for a page at offset 10,000. Each findings sort index now
-- carries the filter columns after the id (in SQLite the id must be named before them so the
-- index stays in (key, id) order), so the walk tests the filter inside the index and fetches
-- only the page's rows. The same indexes are replaced and one dropped, none added: ingest updates the same
-- indexes as before, each entry about 40 bytes wider.

DROP INDEX findings_severity;
CREATE INDEX findings_severity ON findings(severity_rank, last_seen, id, status, kind, assignee);
DROP INDEX findings_last_seen;
CREATE INDEX findings_last_seen ON findings(last_seen, id, status, kind, severity_rank, assignee);
DROP INDEX findings_first_seen;
CREATE INDEX findings_first_seen ON findings(first_seen, id, status, kind, severity_rank, assignee);
DROP INDEX findings_occurrences;
CREATE INDEX findings_occurrences ON findings(occurrences, id, status, kind, severity_rank, assignee);
-- The filter indexes carry the other filters, so a count of two filters (status and kind, say)
-- is read from one index alone.
DROP INDEX findings_status;
CREATE INDEX findings_status ON findings(status, severity_rank, last_seen, id, kind, assignee);
DROP INDEX findings_kind;
CREATE INDEX findings_kind ON findings(kind, severity_rank, last_seen, id, status, assignee);
-- An assignee's findings with a status, in any order: read from the index alone, then sorted.
DROP INDEX findings_assignee;
CREATE INDEX findings_assignee ON findings(assignee, severity_rank, last_seen, id, status, kind);
-- Redundant now: "open findings, newest first" walks findings_last_seen and tests the status
-- inside it (about 18,000 entries for a page at offset 10,000, no table rows).
DROP INDEX findings_status_last_seen;
