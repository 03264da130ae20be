-- Indexes and a search table for the list queries of query.rs, sized by bench/server/ (100,000
-- assets, 1,000,000 findings). Keep in step with ../postgres/0004_query_indexes.sql.
--
-- Every sort key of AssetSort and FindingSort gets an index that ends with the id (in SQLite
-- every index ends with the rowid, which `id` is), so a page is read in order and the scan stops
-- at LIMIT + OFFSET rows instead of sorting the table. The price: each finding merged by ingest
-- updates last_seen and occurrences, and now also these indexes.

CREATE INDEX assets_label ON assets(label);
CREATE INDEX assets_manufacturer ON assets(COALESCE(manufacturer, ''));
CREATE INDEX assets_bytes ON assets(bytes);
CREATE INDEX assets_kind_last_seen ON assets(kind, last_seen);
-- With a kind filter, each order again (assets_kind serves the kind order itself).
CREATE INDEX assets_kind_label ON assets(kind, label);
CREATE INDEX assets_kind_manufacturer ON assets(kind, COALESCE(manufacturer, ''));
CREATE INDEX assets_kind_bytes ON assets(kind, bytes);

CREATE INDEX findings_severity ON findings(severity_rank, last_seen);
CREATE INDEX findings_last_seen ON findings(last_seen);
CREATE INDEX findings_first_seen ON findings(first_seen);
CREATE INDEX findings_occurrences ON findings(occurrences);
-- `asset = X` matches the asset or the peer: both sides need an index.
CREATE INDEX findings_peer ON findings(peer_asset_id);
-- The filters, followed by the default order (severity, then last seen).
DROP INDEX findings_status;
CREATE INDEX findings_status ON findings(status, severity_rank, last_seen);
-- "Open findings, newest first" is the triage view.
CREATE INDEX findings_status_last_seen ON findings(status, last_seen);
DROP INDEX findings_kind;
CREATE INDEX findings_kind ON findings(kind, severity_rank, last_seen);
CREATE INDEX findings_assignee ON findings(assignee, severity_rank, last_seen);

-- What the asset search looks through, lowercased, one narrow row per asset: the label,
-- manufacturer, model and every identifier, joined by the unit separator (U+001F) so a search
-- cannot match across two fields. A substring search (LIKE '%x%') must read every row; reading
-- 100,000 short rows is several times cheaper than reading the assets (with their documents) and
-- probing asset_identifiers for each. Kept up to date by ingest (refresh_search).
CREATE TABLE asset_search (
    asset_id  INTEGER PRIMARY KEY REFERENCES assets(id),
    haystack  TEXT NOT NULL
);
INSERT INTO asset_search (asset_id, haystack)
SELECT a.id, LOWER(a.label || char(31) || COALESCE(a.manufacturer, '') || char(31) || COALESCE(a.model, '') || char(31)
       || COALESCE((SELECT group_concat(i.value, char(31)) FROM asset_identifiers i WHERE i.asset_id = a.id), ''))
FROM assets a;
