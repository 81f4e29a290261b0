/// Every statement the storage layer runs, in one place: the outbox's, the PRAGMAs that set up and inspect a
/// connection, and transaction control. The schema itself lives in migrations/.
/// Values are bound parameters; the few PRAGMAs that take a value (SQLite binds none there) are built from integers
/// and names of the configuration and the migrations, never from data. Rows are read by column name
/// (`Statement.column(_:)`): an expression's column is named with `AS`.
enum SQL {
    // MARK: Append path

    /// Inserts one row unless the pending-row or pending-byte cap would be exceeded (then no row changes).
    static let append = """
        INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?5
         WHERE (SELECT coalesce(sum(pending_rows), 0) < ?6 AND coalesce(sum(pending_bytes), 0) + ?4 <= ?7 FROM pending_by_table)
        """
    static let insertUncapped = """
        INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?5)
        """
    static let oldestRows = "SELECT id, table_name, payload_bytes FROM outbox ORDER BY id LIMIT ?1"
    static let totals = """
        SELECT coalesce(sum(pending_rows), 0) AS pending_rows, coalesce(sum(pending_bytes), 0) AS pending_bytes
          FROM pending_by_table
        """

    // MARK: Removing rows (the outbox_totals_delete trigger subtracts each from the running totals)

    /// Rows are deleted `deletionGroup` ids per statement (a short group is padded by repeating an id): one
    /// statement per group instead of one per row, which shortens how long a deletion holds the write lock.
    static let deletionGroup = 16
    private static let groupPlaceholders = (1...deletionGroup).map { "?\($0)" }.joined(separator: ", ")
    static let deleteGroup = "DELETE FROM outbox WHERE id IN (\(groupPlaceholders))"

    // MARK: Drain path

    /// Distinct table names through the (table_name, id) index: one index seek per table, not a scan of the outbox.
    static let tablesWithRows = """
        WITH RECURSIVE names(name) AS (
            SELECT min(table_name) FROM outbox
            UNION ALL
            SELECT (SELECT min(table_name) FROM outbox WHERE table_name > names.name) FROM names WHERE names.name IS NOT NULL
        )
        SELECT name FROM names WHERE name IS NOT NULL
        """
    static let claim = """
        SELECT id, insert_id, payload, payload_bytes, created_at, attempts FROM outbox
         WHERE table_name = ?1 AND next_attempt_at <= ?2
         ORDER BY id LIMIT ?3
        """
    static let nextAttempt = "SELECT min(next_attempt_at) AS next_attempt_at FROM outbox WHERE table_name = ?1"
    static let reschedule = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1"
    static let deadLetter = """
        INSERT INTO dead_letters
            (table_name, insert_id, payload, reason, location, message, attempts, created_at, dead_lettered_at)
        SELECT table_name, insert_id, payload, ?2, ?3, ?4, attempts + 1,
               strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000.0, 'unixepoch'),
               strftime('%Y-%m-%dT%H:%M:%fZ', ?5 / 1000.0, 'unixepoch')
          FROM outbox WHERE id = ?1
        """

    // MARK: Per-table state

    static let recordSuccess = """
        INSERT INTO table_state (table_name, last_success_at, delivered_rows) VALUES (?1, ?2, ?3)
        ON CONFLICT (table_name) DO UPDATE
           SET last_success_at = excluded.last_success_at,
               delivered_rows = delivered_rows + excluded.delivered_rows,
               consecutive_failures = 0, backoff_until = NULL, paused_since = NULL, pause_reason = NULL
        """
    static let recordFailure = """
        INSERT INTO table_state (table_name, consecutive_failures, backoff_until, last_error, last_error_at)
        VALUES (?1, 1, ?2, ?3, ?4)
        ON CONFLICT (table_name) DO UPDATE
           SET consecutive_failures = consecutive_failures + 1, backoff_until = excluded.backoff_until,
               last_error = excluded.last_error, last_error_at = excluded.last_error_at
        """
    static let pause = """
        INSERT INTO table_state (table_name, paused_since, pause_reason, last_error, last_error_at, backoff_until)
        VALUES (?1, ?2, ?3, ?4, ?2, ?5)
        ON CONFLICT (table_name) DO UPDATE
           SET paused_since = coalesce(paused_since, excluded.paused_since), pause_reason = excluded.pause_reason,
               last_error = excluded.last_error, last_error_at = excluded.last_error_at,
               backoff_until = excluded.backoff_until
        """
    static let resume = """
        UPDATE table_state SET paused_since = NULL, pause_reason = NULL, backoff_until = NULL, consecutive_failures = 0
         WHERE table_name = ?1
        """
    static let addDropped = """
        INSERT INTO table_state (table_name, dropped_rows) VALUES (?1, ?2)
        ON CONFLICT (table_name) DO UPDATE SET dropped_rows = dropped_rows + excluded.dropped_rows
        """
    static let setSchemaNote = """
        INSERT INTO table_state (table_name, schema_note) VALUES (?1, ?2)
        ON CONFLICT (table_name) DO UPDATE SET schema_note = excluded.schema_note
        """
    static let tableStates = """
        SELECT table_name, paused_since, pause_reason, backoff_until, consecutive_failures, last_error, last_error_at,
               last_success_at, delivered_rows, dropped_rows, schema_note
          FROM table_state
        """

    // MARK: Status

    /// How many of the tables every spool has had since its first migration exist: 2 in a spool.
    static let spoolTableCount = """
        SELECT count(*) AS tables FROM sqlite_master WHERE type = 'table' AND name IN ('outbox', 'dead_letters')
        """

    /// Per-table figures from the bookkeeping of migrations/0004_per_table_totals.sql: the running totals, the
    /// table's first row in append order, and its retrying rows' earliest due time and most tries (two partial
    /// indexes). A few index seeks per table, however long the backlog.
    static let pendingByTable = """
        SELECT t.table_name AS table_name, t.pending_rows AS pending_rows, t.pending_bytes AS pending_bytes,
               t.retrying_rows AS retrying_rows,
               (SELECT created_at FROM outbox o WHERE o.table_name = t.table_name ORDER BY o.id LIMIT 1) AS oldest_created_at,
               (SELECT min(next_attempt_at) FROM outbox o WHERE o.table_name = t.table_name AND o.attempts > 0) AS retries_due_at,
               (SELECT max(attempts) FROM outbox o WHERE o.table_name = t.table_name AND o.attempts > 0) AS max_attempts
          FROM pending_by_table t WHERE t.pending_rows > 0
        """
    static let deadLettersByReason = """
        SELECT c.table_name AS table_name, c.reason AS reason, c.letters AS letters,
               (SELECT max(dead_lettered_at) FROM dead_letters d WHERE d.table_name = c.table_name AND d.reason = c.reason)
                   AS newest_dead_lettered_at
          FROM dead_letter_counts c WHERE c.letters > 0
        """

    // MARK: Recounting the bookkeeping (full scans: doctor and repair only)

    static let recordedPending = "SELECT table_name, pending_rows, pending_bytes, retrying_rows FROM pending_by_table"
    static let countedPending = "SELECT table_name, pending_rows, pending_bytes, retrying_rows FROM pending_by_table_counted"
    static let recordedDeadLetters = "SELECT table_name, reason, letters FROM dead_letter_counts"
    static let countedDeadLetters = "SELECT table_name, reason, letters FROM dead_letter_counts_counted"
    static let rewritePending = """
        DELETE FROM pending_by_table;
        INSERT INTO pending_by_table SELECT * FROM pending_by_table_counted;
        """
    static let rewriteDeadLetterCounts = """
        DELETE FROM dead_letter_counts;
        INSERT INTO dead_letter_counts SELECT * FROM dead_letter_counts_counted;
        """

    // MARK: Lease

    static let readLease = "SELECT holder, acquired_at, renewed_at, expires_at FROM uploader_lease WHERE singleton = 1"
    static let writeLease = """
        INSERT INTO uploader_lease (singleton, holder, acquired_at, renewed_at, expires_at) VALUES (1, ?1, ?2, ?2, ?3)
        ON CONFLICT (singleton) DO UPDATE
           SET acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at ELSE excluded.acquired_at END,
               holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
        """
    static let releaseLease = "DELETE FROM uploader_lease WHERE singleton = 1 AND holder = ?1"

    // MARK: Settings

    static let readSetting = "SELECT value FROM settings WHERE key = ?1"
    static let writeSetting = """
        INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value
        """

    // MARK: Dead letters

    /// Filters: ?1 table, ?2 reason, ?3 dead-lettered at or after (ISO-8601), each NULL for "any"; ?4 limit.
    static let listDeadLetters = """
        SELECT id, table_name, insert_id, reason, location, message, attempts, created_at, dead_lettered_at, payload
          FROM dead_letters
         WHERE (?1 IS NULL OR table_name = ?1) AND (?2 IS NULL OR reason = ?2) AND (?3 IS NULL OR dead_lettered_at >= ?3)
         ORDER BY id DESC LIMIT ?4
        """
    static let deadLetterByID = """
        SELECT id, table_name, insert_id, reason, location, message, attempts, created_at, dead_lettered_at, payload
          FROM dead_letters WHERE id = ?1
        """
    /// Back to the outbox with its original insert id and append time, due now.
    static let requeue = """
        INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at)
        SELECT table_name, insert_id, payload, length(CAST(payload AS BLOB)),
               coalesce(CAST((julianday(created_at) - 2440587.5) * 86400000.0 AS INTEGER), ?2), ?2
          FROM dead_letters WHERE id = ?1
        """
    static let deleteDeadLetter = "DELETE FROM dead_letters WHERE id = ?1"

    // MARK: Transactions

    static let begin = "BEGIN"
    static let beginImmediate = "BEGIN IMMEDIATE"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"
    /// Nested work inside a transaction (`Database.immediateTransaction`); savepoints of one name nest.
    static let savepoint = "SAVEPOINT nested"
    static let releaseSavepoint = "RELEASE nested"
    static let rollbackToSavepoint = "ROLLBACK TO nested"

    // MARK: PRAGMAs: setting up a connection

    static let journalModeWAL = "PRAGMA journal_mode=WAL"
    static let queryOnly = "PRAGMA query_only=ON"
    static func setPageSize(_ bytes: Int) -> String { "PRAGMA page_size=\(bytes)" }
    static func synchronous(_ mode: SQLiteConnection.Synchronous) -> String { "PRAGMA synchronous=\(mode.rawValue)" }
    static func journalSizeLimit(_ bytes: Int64) -> String { "PRAGMA journal_size_limit=\(bytes)" }
    static let secureDeleteFast = "PRAGMA secure_delete=FAST"
    static func maxPageCount(_ pages: Int64) -> String { "PRAGMA max_page_count=\(pages)" }

    // MARK: PRAGMAs: a file's state

    /// A cheap first read: it fails on a file that is not a database, and opens the WAL for a new connection.
    static let schemaVersion = "PRAGMA schema_version"
    /// The last migration applied (migrations/); the migrator sets it.
    static let userVersion = "PRAGMA user_version"
    static func setUserVersion(_ version: Int64) -> String { "PRAGMA user_version = \(version)" }
    static let pageSize = "PRAGMA page_size"
    static let pageCount = "PRAGMA page_count"
    /// Answers "ok", or one line per problem found.
    static let quickCheck = "PRAGMA quick_check"
    static let integrityCheck = "PRAGMA integrity_check"
    /// What a failed checkpoint reports as its SQL (checkpoints run through `sqlite3_wal_checkpoint_v2`).
    static let checkpointPassive = "PRAGMA wal_checkpoint(PASSIVE)"
    static let checkpointFull = "PRAGMA wal_checkpoint(FULL)"
}
