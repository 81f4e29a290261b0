-- Running totals of pending rows and bytes, so that the append path can enforce the disk cap without counting.
-- Appends add through the trigger; the storage layer subtracts in the same transaction as each delete.
CREATE TABLE pending_totals (
    singleton     INTEGER PRIMARY KEY CHECK (singleton = 1),
    pending_rows  INTEGER NOT NULL,
    pending_bytes INTEGER NOT NULL
);

INSERT INTO pending_totals (singleton, pending_rows, pending_bytes)
SELECT 1, count(*), coalesce(sum(payload_bytes), 0) FROM outbox;

CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox
BEGIN
    UPDATE pending_totals
       SET pending_rows = pending_rows + 1,
           pending_bytes = pending_bytes + NEW.payload_bytes
     WHERE singleton = 1;
END;
