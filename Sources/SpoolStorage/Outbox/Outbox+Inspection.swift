import Foundation

/// What status, doctor and the tools read, on the worker connection: the status snapshot, the running totals'
/// recount and repair, the integrity check, and the settings.
extension Outbox {
    /// Everything `spoolctl status` shows, read in one snapshot.
    package func status() throws(SpoolError) -> SpoolStatus {
        var status = try worker.withDatabase { (database: Database) throws(SpoolError) -> SpoolStatus in
            try database.readTransaction { (database: Database) throws(SpoolError) -> SpoolStatus in
                var tables = try Self.readTableStates(database)
                let pending = try database.statement(SQL.pendingByTable)
                defer { pending.reset() }
                let columns = try pending.columns(PendingColumns.self)
                while try pending.step() {
                    let name = pending.text(columns.table)
                    var table = tables[name] ?? TableStatus(table: name)
                    table.pendingRows = pending.int(columns.rows)
                    table.pendingBytes = pending.int64(columns.bytes)
                    table.oldestCreatedAt = pending.optionalInt64(columns.oldestCreatedAt)
                    // Rows never tried are due since they were written; the others at their own retry time.
                    let neverTried = pending.int64(columns.retryingRows) < pending.int64(columns.rows)
                    let retriesDue = pending.optionalInt64(columns.retriesDueAt)
                    let rowsDue = neverTried ? [retriesDue, table.oldestCreatedAt].compactMap { $0 }.min() : retriesDue
                    table.nextAttemptAt = [rowsDue, table.backoffUntil].compactMap { $0 }.max()
                    table.maxAttempts = pending.optionalInt64(columns.maxAttempts).map(Int.init) ?? 0
                    tables[name] = table
                }
                pending.reset()
                var deadLetterRows = 0
                let letters = try database.statement(SQL.deadLettersByReason)
                defer { letters.reset() }
                let letterColumns = try letters.columns(DeadLetterCountColumns.self)
                while try letters.step() {
                    let name = letters.text(letterColumns.table)
                    var table = tables[name] ?? TableStatus(table: name)
                    let count = letters.int(letterColumns.letters)
                    table.deadLetters[letters.text(letterColumns.reason), default: 0] += count
                    let newest = letters.optionalText(letterColumns.newest)
                    if let newest, newest > (table.newestDeadLetterAt ?? "") { table.newestDeadLetterAt = newest }
                    deadLetterRows += count
                    tables[name] = table
                }
                letters.reset()
                let sorted = tables.values.sorted { $0.table < $1.table }
                let pageSize = try database.integer(SQL.pageSize)
                return SpoolStatus(
                    tables: sorted,
                    pendingRows: sorted.reduce(0) { $0 + $1.pendingRows },
                    pendingBytes: sorted.reduce(0) { $0 + $1.pendingBytes },
                    deadLetterRows: deadLetterRows,
                    databaseBytes: try database.integer(SQL.pageCount) * pageSize,
                    walBytes: 0,
                    lease: try Self.readLease(database),
                    lastSuccessAt: sorted.compactMap(\.lastSuccessAt).max(),
                    schemaVersion: try database.integer(SQL.userVersion)
                )
            }
        }
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber
        status.walBytes = wal?.int64Value ?? 0
        return status
    }

    // MARK: The running totals

    /// Recounts the per-table bookkeeping (pending rows, bytes and retrying rows; dead letters by reason) from the
    /// rows and returns every figure that differs. Reads the whole outbox: for `spoolctl doctor`, not for status.
    package func totalsDrift() throws(SpoolError) -> [TotalsDrift] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [TotalsDrift] in
            try database.readTransaction { (database: Database) throws(SpoolError) -> [TotalsDrift] in
                try Self.drift(database)
            }
        }
    }

    /// Rewrites the bookkeeping from the rows, in one write transaction (appends from every process wait for it),
    /// and returns the drift it corrected.
    package func repairTotals() throws(SpoolError) -> [TotalsDrift] {
        guard options.access == .readWrite else { throw readOnlyError }
        return try worker.withDatabase { (database: Database) throws(SpoolError) -> [TotalsDrift] in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> [TotalsDrift] in
                let drift = try Self.drift(database)
                if !drift.isEmpty {
                    try database.execute(SQL.rewritePending)
                    try database.execute(SQL.rewriteDeadLetterCounts)
                }
                return drift
            }
        }
    }

    /// The figures of the pending bookkeeping and of the dead letters' counts, recorded against counted.
    private static func drift(_ database: Database) throws(SpoolError) -> [TotalsDrift] {
        /// The rows of `sql`, keyed by the text of `keys`, each with the integers of `figures`.
        func read(_ sql: String, keys: [String], figures: [String]) throws(SpoolError) -> [[String]: [Int64]] {
            let statement = try database.statement(sql)
            defer { statement.reset() }
            var keyColumns: [Column] = []
            for name in keys { keyColumns.append(try statement.column(name)) }
            var figureColumns: [Column] = []
            for name in figures { figureColumns.append(try statement.column(name)) }
            var rows: [[String]: [Int64]] = [:]
            while try statement.step() {
                rows[keyColumns.map { statement.text($0) }] = figureColumns.map { statement.int64($0) }
            }
            return rows
        }
        var drift: [TotalsDrift] = []
        func compare(recorded: String, counted: String, keys: [String], figures: [(column: String, name: String)]) throws(SpoolError) {
            let columns = figures.map(\.column)
            let recorded = try read(recorded, keys: keys, figures: columns)
            let counted = try read(counted, keys: keys, figures: columns)
            for key in Set(recorded.keys).union(counted.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                for (index, figure) in figures.enumerated() {
                    let kept = recorded[key]?[index] ?? 0
                    let actual = counted[key]?[index] ?? 0
                    guard kept != actual else { continue }
                    let name = key.count > 1 ? "\(figure.name) (\(key[1]))" : figure.name
                    drift.append(TotalsDrift(table: key[0], figure: name, recorded: kept, counted: actual))
                }
            }
        }
        try compare(
            recorded: SQL.recordedPending, counted: SQL.countedPending, keys: ["table_name"],
            figures: [("pending_rows", "pending rows"), ("pending_bytes", "pending bytes"), ("retrying_rows", "retrying rows")]
        )
        try compare(
            recorded: SQL.recordedDeadLetters, counted: SQL.countedDeadLetters, keys: ["table_name", "reason"],
            figures: [("letters", "dead letters")]
        )
        return drift
    }

    // MARK: The file

    /// `PRAGMA quick_check` (or the full integrity_check): ["ok"] when the file is sound.
    package func check(full: Bool = false) throws(SpoolError) -> [String] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [String] in
            let statement = try Statement(database: database.handle, sql: full ? SQL.integrityCheck : SQL.quickCheck, persistent: false)
            let line = try statement.column(full ? "integrity_check" : "quick_check")
            var lines: [String] = []
            while try statement.step() { lines.append(statement.text(line)) }
            return lines
        }
    }

    // MARK: Settings

    package func setting(_ key: String) throws(SpoolError) -> String? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> String? in
            let statement = try database.statement(SQL.readSetting)
            defer { statement.reset() }
            let value = try statement.column("value")
            try statement.bind(1, key)
            return try statement.step() ? statement.text(value) : nil
        }
    }

    package func setSetting(_ key: String, to value: String) throws(SpoolError) {
        try write(SQL.writeSetting) { (statement: Statement) throws(SpoolError) in
            try statement.bind(1, key)
            try statement.bind(2, value)
        }
    }
}

/// `SQL.pendingByTable`: one table's running totals and its rows' times.
private struct PendingColumns: ResultColumns {
    let table: Column
    let rows: Column
    let bytes: Column
    let retryingRows: Column
    let oldestCreatedAt: Column
    let retriesDueAt: Column
    let maxAttempts: Column

    init(_ statement: Statement) throws(SpoolError) {
        table = try statement.column("table_name")
        rows = try statement.column("pending_rows")
        bytes = try statement.column("pending_bytes")
        retryingRows = try statement.column("retrying_rows")
        oldestCreatedAt = try statement.column("oldest_created_at")
        retriesDueAt = try statement.column("retries_due_at")
        maxAttempts = try statement.column("max_attempts")
    }
}

/// `SQL.deadLettersByReason`: one table's dead letters of one reason.
private struct DeadLetterCountColumns: ResultColumns {
    let table: Column
    let reason: Column
    let letters: Column
    let newest: Column

    init(_ statement: Statement) throws(SpoolError) {
        table = try statement.column("table_name")
        reason = try statement.column("reason")
        letters = try statement.column("letters")
        newest = try statement.column("newest_dead_lettered_at")
    }
}
