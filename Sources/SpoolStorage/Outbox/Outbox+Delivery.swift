import Foundation

/// The uploader's side, on the worker connection: which tables have rows, claiming a batch, applying its verdicts,
/// and the per-table delivery state (pause, backoff, schema notes).
extension Outbox {
    /// Tables that have pending rows, due or not.
    package func tablesWithRows() throws(SpoolError) -> [String] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [String] in
            let statement = try database.statement(SQL.tablesWithRows)
            defer { statement.reset() }
            let name = try statement.column("name")
            var names: [String] = []
            while try statement.step() { names.append(statement.text(name)) }
            return names
        }
    }

    /// The oldest due rows of one table in id order, at most `maxRows` and — beyond the first row — `maxBytes`.
    /// With `offsetsFirst` (the Storage Write API), rows that hold stream offsets are re-taken first, and alone
    /// (`claimHeld` in WriteStreams.swift).
    package func claim(table: String, now: Int64, maxRows: Int, maxBytes: Int, offsetsFirst: Bool = false) throws(SpoolError) -> [OutboxRow] {
        if offsetsFirst, let held = try claimHeld(table: table, now: now, maxRows: maxRows, maxBytes: maxBytes) {
            return held
        }
        return try worker.withDatabase { (database: Database) throws(SpoolError) -> [OutboxRow] in
            let statement = try database.statement(SQL.claim)
            defer { statement.reset() }
            let columns = try statement.columns(ClaimColumns.self)
            try statement.bind(1, table)
            try statement.bind(2, now)
            try statement.bind(3, maxRows)
            var rows: [OutboxRow] = []
            rows.reserveCapacity(min(maxRows, 1024))
            var bytes = 0
            while try statement.step() {
                let size = statement.int(columns.payloadBytes)
                if !rows.isEmpty && bytes + size > maxBytes { break }
                bytes += size
                rows.append(columns.row(statement, table: table))
            }
            return rows
        }
    }

    /// The earliest retry time among a table's pending rows, nil when it has none.
    /// With `offsetsFirst`, the time of the rows holding stream offsets, when there are any (nothing else is claimed
    /// before them).
    package func nextAttempt(table: String, offsetsFirst: Bool = false) throws(SpoolError) -> Int64? {
        if offsetsFirst, let held = try heldRowsDue(table: table) {
            return held
        }
        return try worker.withDatabase { (database: Database) throws(SpoolError) -> Int64? in
            let statement = try database.statement(SQL.nextAttempt)
            defer { statement.reset() }
            let due = try statement.column("next_attempt_at")
            try statement.bind(1, table)
            return try statement.step() ? statement.optionalInt64(due) : nil
        }
    }

    /// Rows changed per step when a batch's verdicts are applied: the unit a transaction grows by (~35 µs).
    static let rowsPerStep = 16

    /// How long one transaction of `apply` may hold the write lock while nobody in this process waits for it.
    /// A commit costs ~40 µs whatever its size (about nine WAL frames: the tree's inner pages, the totals, page 1),
    /// so 16 rows per commit spent half of the uploader's CPU on commits; ~200 µs fit ~100 rows. A writer in another
    /// process, which polls SQLite's lock every ~100 µs, still gets in well under a millisecond.
    static let transactionBudgetNanoseconds: UInt64 = 200_000

    /// Applies a batch's verdicts: dead letters moved, deliveries deleted, retries rescheduled, the table's state
    /// updated. They go in steps of `rowsPerStep` rows — the first one also records the table's outcome — and a
    /// transaction takes another step only while no other writer of this process waits at the write gate and the
    /// step should end within `transactionBudgetNanoseconds`: appends never wait long for the write lock,
    /// on a good day (500 deliveries) or during an outage (500 reschedules), and an uploader alone commits rarely.
    /// Each row's change is atomic (a dead letter is moved and deleted together); a crash between transactions
    /// leaves the later rows as they were: delivered rows are sent again with the same insert id (exactly as after
    /// a crash between BigQuery's answer and the first transaction), rows not yet rescheduled or dead-lettered are
    /// judged again, and the table's backoff, recorded first, still holds them back. The last transaction also
    /// drops the Storage Write requests whose rows are all gone now (`dropSpentRequests`).
    package func apply(_ resolution: BatchResolution, table: String, now: Int64) throws(SpoolError) {
        guard !resolution.isEmpty else { return }
        let steps = resolution.chunks(of: Self.rowsPerStep)
        try worker.withDatabase { (database: Database) throws(SpoolError) in
            var next = 0
            while next < steps.count {
                if next > 0 {
                    // Appends in this process waiting at the write gate get it now. A yield gives one in another
                    // process, polling in its busy handler, a chance too.
                    sched_yield()
                }
                next = try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int in
                    let started = DispatchTime.now().uptimeNanoseconds
                    var index = next
                    while true {
                        let step = steps[index]
                        try moveToDeadLetters(database, step.deadLettered, now: now)
                        try deleteRows(database, ids: step.delivered + step.deadLettered.map(\.id))
                        try reschedule(database, step.retried)
                        if let outcome = step.tableOutcome {
                            try record(database, outcome, table: table, delivered: resolution.delivered.count, now: now)
                        }
                        index += 1
                        // Another step only if it should end within the budget, at the pace of the steps so far.
                        let elapsed = DispatchTime.now().uptimeNanoseconds - started
                        let pace = elapsed / UInt64(index - next)
                        if index == steps.count || writeGate.hasWaiters || elapsed + pace > Self.transactionBudgetNanoseconds {
                            break
                        }
                    }
                    if index == steps.count && !(resolution.delivered.isEmpty && resolution.deadLettered.isEmpty) {
                        try dropSpentRequests(database, table: table)
                    }
                    return index
                }
            }
        }
    }

    private func moveToDeadLetters(_ database: Database, _ letters: [BatchResolution.DeadLetter], now: Int64) throws(SpoolError) {
        guard !letters.isEmpty else { return }
        let move = try database.statement(SQL.deadLetter)
        for letter in letters {
            try move.bind(1, letter.id)
            try move.bind(2, letter.reason.reason)
            try move.bind(3, letter.reason.location)
            try move.bind(4, letter.reason.message)
            try move.bind(5, now)
            try move.run()
        }
    }

    private func reschedule(_ database: Database, _ retries: [BatchResolution.Retry]) throws(SpoolError) {
        guard !retries.isEmpty else { return }
        let reschedule = try database.statement(SQL.reschedule)
        for retry in retries {
            try reschedule.bind(1, retry.id)
            try reschedule.bind(2, retry.notBefore)
            try reschedule.bind(3, retry.error)
            try reschedule.run()
        }
    }

    private func record(
        _ database: Database, _ outcome: BatchResolution.TableOutcome, table: String, delivered: Int, now: Int64
    ) throws(SpoolError) {
        switch outcome {
        case .succeeded:
            let statement = try database.statement(SQL.recordSuccess)
            try statement.bind(1, table)
            try statement.bind(2, now)
            try statement.bind(3, delivered)
            try statement.run()
        case .failed(let backoffUntil, let error):
            let statement = try database.statement(SQL.recordFailure)
            try statement.bind(1, table)
            try statement.bind(2, backoffUntil)
            try statement.bind(3, error)
            try statement.bind(4, now)
            try statement.run()
        case .paused(let reason, let error, let recheckAt):
            let statement = try database.statement(SQL.pause)
            try statement.bind(1, table)
            try statement.bind(2, now)
            try statement.bind(3, reason)
            try statement.bind(4, error)
            try statement.bind(5, recheckAt)
            try statement.run()
        }
    }

    /// Clears a table's pause and backoff (an operator's or a successful re-check's decision).
    package func resume(table: String) throws(SpoolError) {
        try write(SQL.resume) { (statement: Statement) throws(SpoolError) in try statement.bind(1, table) }
    }

    /// Records (or clears, with nil) a note about schema drift for a table, shown in status.
    package func setSchemaNote(_ note: String?, table: String) throws(SpoolError) {
        try write(SQL.setSchemaNote) { (statement: Statement) throws(SpoolError) in
            try statement.bind(1, table)
            try statement.bind(2, note)
        }
    }

    /// Per-table delivery state (pause, backoff, counters), without counting the outbox.
    package func tableStates() throws(SpoolError) -> [String: TableStatus] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [String: TableStatus] in
            try Self.readTableStates(database)
        }
    }

    /// Every row of table_state (status reads them too, in its snapshot).
    static func readTableStates(_ database: Database) throws(SpoolError) -> [String: TableStatus] {
        let statement = try database.statement(SQL.tableStates)
        defer { statement.reset() }
        let columns = try statement.columns(TableStateColumns.self)
        var states: [String: TableStatus] = [:]
        while try statement.step() {
            var state = TableStatus(table: statement.text(columns.table))
            state.pausedSince = statement.optionalInt64(columns.pausedSince)
            state.pauseReason = statement.optionalText(columns.pauseReason)
            state.backoffUntil = statement.optionalInt64(columns.backoffUntil)
            state.consecutiveFailures = statement.int(columns.consecutiveFailures)
            state.lastError = statement.optionalText(columns.lastError)
            state.lastErrorAt = statement.optionalInt64(columns.lastErrorAt)
            state.lastSuccessAt = statement.optionalInt64(columns.lastSuccessAt)
            state.deliveredRows = statement.int64(columns.deliveredRows)
            state.droppedRows = statement.int64(columns.droppedRows)
            state.schemaNote = statement.optionalText(columns.schemaNote)
            states[state.table] = state
        }
        return states
    }
}

/// `SQL.claim` (and `WriteStreamSQL.heldRows`): one pending row.
struct ClaimColumns: ResultColumns {
    let id: Column
    let insertId: Column
    let payload: Column
    let payloadBytes: Column
    let createdAt: Column
    let attempts: Column

    init(_ statement: Statement) throws(SpoolError) {
        id = try statement.column("id")
        insertId = try statement.column("insert_id")
        payload = try statement.column("payload")
        payloadBytes = try statement.column("payload_bytes")
        createdAt = try statement.column("created_at")
        attempts = try statement.column("attempts")
    }

    /// The row `statement` stands on, of `table`.
    func row(_ statement: Statement, table: String) -> OutboxRow {
        OutboxRow(
            id: statement.int64(id), table: table, insertId: statement.text(insertId), payload: statement.text(payload),
            payloadBytes: statement.int(payloadBytes), createdAt: statement.int64(createdAt), attempts: statement.int(attempts)
        )
    }
}

/// `SQL.tableStates`: one row of table_state.
private struct TableStateColumns: ResultColumns {
    let table: Column
    let pausedSince: Column
    let pauseReason: Column
    let backoffUntil: Column
    let consecutiveFailures: Column
    let lastError: Column
    let lastErrorAt: Column
    let lastSuccessAt: Column
    let deliveredRows: Column
    let droppedRows: Column
    let schemaNote: Column

    init(_ statement: Statement) throws(SpoolError) {
        table = try statement.column("table_name")
        pausedSince = try statement.column("paused_since")
        pauseReason = try statement.column("pause_reason")
        backoffUntil = try statement.column("backoff_until")
        consecutiveFailures = try statement.column("consecutive_failures")
        lastError = try statement.column("last_error")
        lastErrorAt = try statement.column("last_error_at")
        lastSuccessAt = try statement.column("last_success_at")
        deliveredRows = try statement.column("delivered_rows")
        droppedRows = try statement.column("dropped_rows")
        schemaNote = try statement.column("schema_note")
    }
}
