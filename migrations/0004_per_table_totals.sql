-- Per-table bookkeeping, so that status, the pending gauges, doctor and drain's progress read a few rows instead
-- of counting the outbox (a backlog of millions of rows costs them nothing more than an empty spool).
-- Triggers keep it in the same transaction as every change of the rows: appends, deliveries, dead letters,
-- evictions, requeues, purges — and rows deleted by hand with the sqlite3 CLI. `spoolctl doctor` recounts it from
-- the rows (the views below) and `spoolctl doctor --repair-totals` rewrites it.

-- Pending rows per event table; the cap compares the sums with maxPendingRows / maxPendingBytes.
CREATE TABLE pending_by_table (
    table_name    TEXT    PRIMARY KEY,
    pending_rows  INTEGER NOT NULL,
    pending_bytes INTEGER NOT NULL,
    retrying_rows INTEGER NOT NULL          -- pending rows tried at least once (attempts > 0)
) WITHOUT ROWID;

-- Dead letters per event table and reason.
CREATE TABLE dead_letter_counts (
    table_name TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    letters    INTEGER NOT NULL,
    PRIMARY KEY (table_name, reason)
) WITHOUT ROWID;

-- What the bookkeeping must equal, counted from the rows (a full scan: for the migration, doctor and repair only).
CREATE VIEW pending_by_table_counted AS
SELECT table_name, count(*) AS pending_rows, sum(payload_bytes) AS pending_bytes, sum(attempts > 0) AS retrying_rows
  FROM outbox GROUP BY table_name;

CREATE VIEW dead_letter_counts_counted AS
SELECT table_name, reason, count(*) AS letters FROM dead_letters GROUP BY table_name, reason;

INSERT INTO pending_by_table SELECT * FROM pending_by_table_counted;
INSERT INTO dead_letter_counts SELECT * FROM dead_letter_counts_counted;

-- The global totals of 0003 become the sums of pending_by_table: one row written per append, as before.
DROP TRIGGER outbox_counts_insert;
DROP TABLE pending_totals;

CREATE TRIGGER outbox_totals_insert AFTER INSERT ON outbox
BEGIN
    INSERT INTO pending_by_table (table_name, pending_rows, pending_bytes, retrying_rows)
    VALUES (NEW.table_name, 1, NEW.payload_bytes, NEW.attempts > 0)
    ON CONFLICT (table_name) DO UPDATE
       SET pending_rows = pending_rows + 1,
           pending_bytes = pending_bytes + excluded.pending_bytes,
           retrying_rows = retrying_rows + excluded.retrying_rows;
END;

CREATE TRIGGER outbox_totals_delete AFTER DELETE ON outbox
BEGIN
    UPDATE pending_by_table
       SET pending_rows = pending_rows - 1,
           pending_bytes = pending_bytes - OLD.payload_bytes,
           retrying_rows = retrying_rows - (OLD.attempts > 0)
     WHERE table_name = OLD.table_name;
END;

CREATE TRIGGER outbox_totals_retry AFTER UPDATE OF attempts ON outbox
WHEN (OLD.attempts > 0) <> (NEW.attempts > 0)
BEGIN
    UPDATE pending_by_table
       SET retrying_rows = retrying_rows + (NEW.attempts > 0) - (OLD.attempts > 0)
     WHERE table_name = NEW.table_name;
END;

CREATE TRIGGER dead_letter_counts_insert AFTER INSERT ON dead_letters
BEGIN
    INSERT INTO dead_letter_counts (table_name, reason, letters) VALUES (NEW.table_name, NEW.reason, 1)
    ON CONFLICT (table_name, reason) DO UPDATE SET letters = letters + 1;
END;

CREATE TRIGGER dead_letter_counts_delete AFTER DELETE ON dead_letters
BEGIN
    UPDATE dead_letter_counts SET letters = letters - 1 WHERE table_name = OLD.table_name AND reason = OLD.reason;
END;

-- The earliest retry and the most tries per table, in O(log n). Only rows that failed at least once are indexed,
-- so an append (attempts = 0) writes no page of them; rows never tried are due at once.
CREATE INDEX outbox_retries_by_due ON outbox (table_name, next_attempt_at) WHERE attempts > 0;
CREATE INDEX outbox_retries_by_attempts ON outbox (table_name, attempts) WHERE attempts > 0;

-- The newest dead letter per table and reason, in O(log n).
DROP INDEX dead_letters_by_table;
CREATE INDEX dead_letters_by_table ON dead_letters (table_name, reason, dead_lettered_at);
