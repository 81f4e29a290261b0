import Logging

/// What to do when the pending-data cap is reached.
public enum CapPolicy: String, Sendable, Codable, CaseIterable {
    /// `append` throws `.spoolFull`; nothing is written.
    case reject
    /// The oldest pending rows are evicted (and counted per table in status) to make room.
    case dropOldest
}

/// Appending rows, on the appender connection: group commit, the pending-data cap and its eviction.
extension Outbox {
    /// Commits one row. Returns the old rows the `.dropOldest` policy evicted to make room, per table that lost them
    /// (usually none).
    ///
    /// The payload must already be a validated JSON object. Rows appended concurrently are committed together
    /// (`GroupCommit`); each still returns only once its own row is committed, with its own outcome.
    package func append(table: String, insertId: String, payload: String, now: Int64) throws(SpoolError) -> EvictedRows {
        guard let appender else { throw readOnlyError }
        let row = PendingAppend(table: table, insertId: insertId, payload: payload, now: now)
        return try groupCommit.append(row, durable: needsSync(row)) { rows in commit(rows, on: appender) }
    }

    /// Append transactions committed so far (concurrent appends share one).
    package var appendCommitCount: Int { groupCommit.commitCount }

    /// fsyncs of the WAL run so far to make `.full` appends durable (concurrent ones share one).
    package var appendSyncCount: Int { walSync?.syncCount ?? 0 }

    /// Rows committed per transaction at most: bounds how long one commit holds the write lock.
    static let appendsPerTransaction = 64

    /// Rows of `.full` tables commit in transactions of their own, which `GroupCommit` fsyncs (`WALSync`) before
    /// anyone in them returns. That fsync covers every earlier commit too, so a `.normal` row committed before a
    /// `.full` one is never lost while the `.full` one survives.
    private func needsSync(_ row: PendingAppend) -> Bool {
        walSync != nil && (options.synchronous == .full || options.fullSyncTables.contains(row.table))
    }

    /// Commits the rows `arrivals` hands out in one transaction, inserting each as it comes, one outcome per row. A row
    /// the cap refuses fails alone; a failure of the transaction itself (disk full, I/O error) sends every row through
    /// on its own, so each gets its own outcome.
    private func commit(_ arrivals: GroupCommit<PendingAppend>.Arrivals, on appender: SQLiteConnection) -> [Result<EvictedRows, SpoolError>] {
        var rows = arrivals.next() ?? []
        do throws(SpoolError) {
            return try appender.withDatabase { (database: Database) throws(SpoolError) -> [Result<EvictedRows, SpoolError>] in
                try writeGate.withLock { () throws(SpoolError) -> [Result<EvictedRows, SpoolError>] in
                    if rows.count == 1, !arrivals.mayGrow {
                        // A lone row needs no transaction of its own.
                        return [Result { () throws(SpoolError) in try append(rows[0], in: database) }.flatMap { $0 }]
                    }
                    do throws(SpoolError) {
                        return try database.immediateTransaction { (database: Database) throws(SpoolError) in
                            var outcomes = try rows.map { (row: PendingAppend) throws(SpoolError) in try append(row, in: database) }
                            while let more = arrivals.next() {
                                rows += more
                                for row in more { outcomes.append(try append(row, in: database)) }
                            }
                            return outcomes
                        }
                    } catch {
                        // The transaction rolled back: each row goes through on its own, to get its own outcome.
                        rows += arrivals.rest()
                        guard rows.count > 1 else { return [.failure(error)] }
                        return rows.map { (row: PendingAppend) -> Result<EvictedRows, SpoolError> in
                            Result { () throws(SpoolError) in try append(row, in: database) }.flatMap { $0 }
                        }
                    }
                }
            }
        } catch {
            rows += arrivals.rest()
            return rows.map { _ -> Result<EvictedRows, SpoolError> in .failure(error) }
        }
    }

    /// Writes one row: the cap's refusal is the row's outcome; storage errors throw. An eviction and its insert
    /// are one atomic step: a transaction of their own, or a savepoint of the group's transaction.
    private func append(_ row: PendingAppend, in database: Database) throws(SpoolError) -> Result<EvictedRows, SpoolError> {
        var payload = row.payload
        let capped = options.maxPendingRows != nil || options.maxPendingBytes != nil
        let inserted = try payload.withUTF8Bytes { (bytes: UnsafeBufferPointer<UInt8>) throws(SpoolError) -> Bool in
            try insert(database, table: row.table, insertId: row.insertId, payload: bytes, now: row.now, capped: capped)
        }
        if inserted { return .success([:]) }
        switch options.capPolicy {
        case .reject:
            return .failure(spoolFull(adding: payload.utf8.count))
        case .dropOldest:
            return try database.immediateTransaction { (database: Database) throws(SpoolError) in try evictThenInsert(database, row) }
        }
    }

    private func insert(
        _ database: Database, table: String, insertId: String, payload: UnsafeBufferPointer<UInt8>, now: Int64, capped: Bool
    ) throws(SpoolError) -> Bool {
        let statement = try database.statement(capped ? SQL.append : SQL.insertUncapped)
        defer { statement.reset() }
        try statement.bind(1, table)
        try statement.bind(2, insertId)
        try statement.bindNoCopy(3, payload)
        try statement.bind(4, Int64(payload.count))
        try statement.bind(5, now)
        if capped {
            try statement.bind(6, options.maxPendingRows ?? Int64.max)
            try statement.bind(7, options.maxPendingBytes ?? Int64.max)
        }
        try statement.step()
        return statement.changes == 1
    }

    private func spoolFull(adding bytes: Int) -> SpoolError {
        var limits: [String] = []
        if let rows = options.maxPendingRows { limits.append("\(rows) rows") }
        if let maxBytes = options.maxPendingBytes { limits.append("\(maxBytes) bytes") }
        return SpoolError(.spoolFull, "the spool at \(path) holds its maximum of pending data (\(limits.joined(separator: " / "))); a row of \(bytes) bytes was not written. Pending rows leave as the uploader delivers them")
    }

    /// Evicts the oldest pending rows until the new one fits under the cap, then inserts it. Runs inside the
    /// caller's transaction; changes nothing when the row cannot fit at all.
    private func evictThenInsert(_ database: Database, _ row: PendingAppend) throws(SpoolError) -> Result<EvictedRows, SpoolError> {
        let newBytes = Int64(row.payload.utf8.count)
        let maxRows = options.maxPendingRows ?? Int64.max
        let maxBytes = options.maxPendingBytes ?? Int64.max
        guard newBytes <= maxBytes, maxRows > 0 else {
            return .failure(spoolFull(adding: Int(newBytes)))
        }
        guard var (rows, bytes) = try readTotals(database) else {
            throw SpoolError(.corrupt, "the spool at \(path) lacks its pending totals row")
        }

        var victims: [Int64] = []
        var droppedByTable: [String: Int] = [:]
        let oldest = try database.statement(SQL.oldestRows)
        defer { oldest.reset() }
        let columns = try oldest.columns(OldestRowColumns.self)
        try oldest.bind(1, Int64(1024))
        while rows + 1 > maxRows || bytes + newBytes > maxBytes, try oldest.step() {
            victims.append(oldest.int64(columns.id))
            droppedByTable[oldest.text(columns.table), default: 0] += 1
            rows -= 1
            bytes -= oldest.int64(columns.payloadBytes)
        }
        oldest.reset()
        guard rows + 1 <= maxRows, bytes + newBytes <= maxBytes else {
            return .failure(spoolFull(adding: Int(newBytes)))
        }
        try deleteRows(database, ids: victims)
        for (droppedTable, count) in droppedByTable.sorted(by: { $0.key < $1.key }) {
            try dropSpentRequests(database, table: droppedTable)
            let statement = try database.statement(SQL.addDropped)
            try statement.bind(1, droppedTable)
            try statement.bind(2, count)
            try statement.run()
        }
        var payload = row.payload
        _ = try payload.withUTF8Bytes { (bytes: UnsafeBufferPointer<UInt8>) throws(SpoolError) -> Bool in
            try insert(database, table: row.table, insertId: row.insertId, payload: bytes, now: row.now, capped: false)
        }
        logger.info("spool cap reached: evicted the oldest pending rows", metadata: [
            "spool.evicted_rows": "\(victims.count)", "spool.path": "\(path)",
        ])
        return .success(droppedByTable)
    }

    /// Pending rows and bytes from the running totals (what the cap compares against).
    package func pendingTotals() throws(SpoolError) -> (rows: Int64, bytes: Int64) {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> (rows: Int64, bytes: Int64) in
            try readTotals(database) ?? (0, 0)
        }
    }

    private func readTotals(_ database: Database) throws(SpoolError) -> (rows: Int64, bytes: Int64)? {
        let totals = try database.statement(SQL.totals)
        defer { totals.reset() }
        let columns = try totals.columns(TotalsColumns.self)
        guard try totals.step() else { return nil }
        return (totals.int64(columns.rows), totals.int64(columns.bytes))
    }
}

/// `SQL.totals`.
private struct TotalsColumns: ResultColumns {
    let rows: Column
    let bytes: Column

    init(_ statement: Statement) throws(SpoolError) {
        rows = try statement.column("pending_rows")
        bytes = try statement.column("pending_bytes")
    }
}

/// `SQL.oldestRows`: the eviction's candidates.
private struct OldestRowColumns: ResultColumns {
    let id: Column
    let table: Column
    let payloadBytes: Column

    init(_ statement: Statement) throws(SpoolError) {
        id = try statement.column("id")
        table = try statement.column("table_name")
        payloadBytes = try statement.column("payload_bytes")
    }
}

extension String {
    /// `withUTF8` with a typed error (the standard one rethrows as `any Error`).
    fileprivate mutating func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws(SpoolError) -> R) throws(SpoolError) -> R {
        let result = withUTF8 { bytes in Result { () throws(SpoolError) -> R in try body(bytes) } }
        return try result.get()
    }
}
