/// Every statement the outbox runs, in one place. The schema itself lives in migrations/.
/// All values are bound parameters: no statement is ever built from data.
enum SQL {
    // MARK: Append path

    /// Inserts one row unless the pending-row or pending-byte cap would be exceeded (then no row changes).
    static let append = """
        INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?5
         WHERE (SELECT pending_rows < ?6 AND pending_bytes + ?4 <= ?7 FROM pending_totals WHERE singleton = 1)
        """
    static let insertUncapped = """
        INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?5)
        """
    static let oldestRows = "SELECT id, table_name, payload_bytes FROM outbox ORDER BY id LIMIT ?1"
    static let totals = "SELECT pending_rows, pending_bytes FROM pending_totals WHERE singleton = 1"

    // MARK: Removing rows (each delete subtracts from the running totals in the same transaction)

    /// Rows are deleted `deletionGroup` ids per statement (a short group is padded by repeating an id): two
    /// statements per group instead of one per row, which halves how long a deletion holds the write lock.
    static let deletionGroup = 16
    private static let groupPlaceholders = (1...deletionGroup).map { "?\($0)" }.joined(separator: ", ")
    static let pendingInGroup = "SELECT count(*), coalesce(sum(payload_bytes), 0) FROM outbox WHERE id IN (\(groupPlaceholders))"
    static let deleteGroup = "DELETE FROM outbox WHERE id IN (\(groupPlaceholders))"
    static let subtractTotals = """
        UPDATE pending_totals SET pending_rows = pending_rows - ?1, pending_bytes = pending_bytes - ?2
         WHERE singleton = 1
        """
    static let recountTotals = """
        UPDATE pending_totals
           SET pending_rows = (SELECT count(*) FROM outbox),
               pending_bytes = (SELECT coalesce(sum(payload_bytes), 0) FROM outbox)
         WHERE singleton = 1
        """

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
    static let nextAttempt = "SELECT min(next_attempt_at) FROM outbox WHERE table_name = ?1"
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

    static let pendingByTable = """
        SELECT table_name, count(*), coalesce(sum(payload_bytes), 0), min(created_at), min(next_attempt_at), max(attempts)
          FROM outbox GROUP BY table_name
        """
    static let deadLettersByReason = """
        SELECT table_name, reason, count(*), max(dead_lettered_at) FROM dead_letters GROUP BY table_name, reason
        """
    static let pageCount = "PRAGMA page_count"
    static let freelistCount = "PRAGMA freelist_count"
    static let pageSize = "PRAGMA page_size"

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
}
