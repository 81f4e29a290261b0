-- Exactly-once delivery through BigQuery's Storage Write API (destination.api = storageWrite): each event table has at
-- most one current COMMITTED write stream, and each pending row that was given a place in it keeps that offset until
-- BigQuery acknowledges it, so that every retry (a timeout, a lost answer, a crash, a lease takeover) sends the same
-- rows at the same offsets and BigQuery answers ALREADY_EXISTS for what it has. Unused under insertAll.

-- The current stream per event table. A row exists only while the stream is open; finalizing it (rotation, idle,
-- replacement) deletes the row in the same transaction that settles the rows holding offsets in it.
CREATE TABLE write_streams (
    table_name   TEXT    PRIMARY KEY,          -- the event table
    stream       TEXT    NOT NULL,             -- projects/…/datasets/…/tables/…/streams/…, as CreateWriteStream named it
    next_offset  INTEGER NOT NULL DEFAULT 0,   -- the offset the next row given a place in the stream gets
    created_at   INTEGER NOT NULL,             -- ms
    last_used_at INTEGER NOT NULL              -- ms: when rows were last given offsets in it
) WITHOUT ROWID;

-- The row's offset in its table's current stream; NULL until it is given one (always NULL under insertAll). Adding a
-- nullable column rewrites no row, however long the backlog.
ALTER TABLE outbox ADD COLUMN stream_offset INTEGER;

-- Rows holding offsets, in offset order: a claim re-takes them before it gives new rows offsets. Appends (NULL) write
-- no page of it.
CREATE INDEX outbox_by_stream_offset ON outbox (table_name, stream_offset) WHERE stream_offset IS NOT NULL;
