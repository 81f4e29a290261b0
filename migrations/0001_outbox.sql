-- The outbox: one row per appended event, in append order, until BigQuery accepts it or it is dead-lettered.
-- Times in the outbox are Unix epoch milliseconds (cheap to write on the append path).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,       -- append order
    table_name      TEXT    NOT NULL,          -- the event table (mapped to dataset.table by the destination)
    insert_id       TEXT    NOT NULL,          -- sent as insertId on every try, for BigQuery's de-duplication
    payload         TEXT    NOT NULL,          -- the row as a JSON object text
    payload_bytes   INTEGER NOT NULL,          -- UTF-8 size of payload, for batch and cap accounting
    created_at      INTEGER NOT NULL,          -- when it was appended (ms)
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,          -- not sent before this time (ms)
    last_error      TEXT
);

-- Claims read one table's rows in id order.
CREATE INDEX outbox_by_table ON outbox (table_name, id);

-- Rows BigQuery will never accept, kept with everything needed to understand and replay them without the code.
-- Times are ISO-8601 text so that the plain sqlite3 CLI shows them readably.
CREATE TABLE dead_letters (
    id               INTEGER PRIMARY KEY,
    table_name       TEXT    NOT NULL,
    insert_id        TEXT    NOT NULL,
    payload          TEXT    NOT NULL,         -- JSON text: json_extract(payload, '$.user_id') works
    reason           TEXT    NOT NULL,         -- BigQuery's reason (invalid, …) or ours (expired, poison, …)
    location         TEXT    NOT NULL DEFAULT '',
    message          TEXT    NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL,
    created_at       TEXT    NOT NULL,         -- when it was appended
    dead_lettered_at TEXT    NOT NULL
);

CREATE INDEX dead_letters_by_time ON dead_letters (dead_lettered_at);
CREATE INDEX dead_letters_by_table ON dead_letters (table_name, reason);
