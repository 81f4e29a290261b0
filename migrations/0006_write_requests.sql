-- Storage Write offsets per AppendRows request instead of per row: giving a batch its offsets inserts one row per
-- request here instead of rewriting every outbox row it carries (that rewrite was a third of the uploader's CPU per
-- row), and a resend repeats the requests exactly as first sent. A request is applied by BigQuery whole or not at
-- all, so ALREADY_EXISTS on a resend vouches for every row of it only if the resend is never larger than the
-- original: keeping the original requests makes that hold whatever the batch settings are after a restart.

-- The requests sent and not yet settled, per event table, in its current stream (write_streams). A request none of
-- whose rows is pending any more is deleted in the transaction that removed its last row: outbox ids are reused once
-- every row above them is gone, and a request left behind would take a new row for one it sent.
CREATE TABLE write_requests (
    table_name   TEXT    NOT NULL,             -- the event table
    first_offset INTEGER NOT NULL,             -- the offset of the request's first row in the table's current stream
    row_ids      TEXT    NOT NULL,             -- JSON array of outbox ids in offset order: the i-th is at first_offset + i
    PRIMARY KEY (table_name, first_offset)
) WITHOUT ROWID;

-- Rows holding offsets under version 5 become one request each: a resend of one row of a request BigQuery applied is
-- answered ALREADY_EXISTS correctly, whereas rows of two requests sent as one could not be.
INSERT INTO write_requests (table_name, first_offset, row_ids)
    SELECT table_name, stream_offset, json_array(id) FROM outbox WHERE stream_offset IS NOT NULL;

-- outbox.stream_offset stays, always NULL from now on: dropping a column rewrites every row of a backlog.
UPDATE outbox SET stream_offset = NULL WHERE stream_offset IS NOT NULL;
DROP INDEX outbox_by_stream_offset;
