-- Per-table delivery state: pauses on misconfiguration, backoff after failed requests, counters for status.
CREATE TABLE table_state (
    table_name           TEXT PRIMARY KEY,
    paused_since         INTEGER,              -- ms; NULL when the table flows
    pause_reason         TEXT,                 -- e.g. accessDenied, notFound
    backoff_until        INTEGER,              -- ms; no request for this table before then
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_error_at        INTEGER,
    last_success_at      INTEGER,
    delivered_rows       INTEGER NOT NULL DEFAULT 0,
    dropped_rows         INTEGER NOT NULL DEFAULT 0, -- evicted by the dropOldest cap policy
    schema_note          TEXT                  -- schema drift seen for this table, if any
) WITHOUT ROWID;

-- Only one uploader drains a spool file at a time; the lease expires when its holder stops renewing it.
CREATE TABLE uploader_lease (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    holder      TEXT    NOT NULL,              -- host:pid:random, as chosen by the holder
    acquired_at INTEGER NOT NULL,              -- ms
    renewed_at  INTEGER NOT NULL,              -- ms
    expires_at  INTEGER NOT NULL               -- ms
);

-- Small key/value settings, e.g. the destination this spool drains to, so that spoolctl needs only credentials.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
