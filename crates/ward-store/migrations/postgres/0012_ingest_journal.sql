-- Deferred counters of a burst of sensor uploads. Keep in step with ../sqlite/0012_ingest_journal.sql,
-- which explains the table. On PostgreSQL, where several replicas write, ingest.rs folds every
-- group's counters in the group's own transaction and never defers them; the table exists so the
-- two schemas stay the same.
CREATE TABLE ingest_journal (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deltas  TEXT NOT NULL
);

-- Counts the writers' transactions (see the SQLite file; on PostgreSQL the writers read the
-- identifiers from the database).
CREATE TABLE ingest_state (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    epoch  BIGINT NOT NULL
);
INSERT INTO ingest_state (id, epoch) VALUES (1, 0);
