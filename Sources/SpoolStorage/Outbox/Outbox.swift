import Foundation
import Logging
import Synchronization

/// What to do when the pending-data cap is reached.
public enum CapPolicy: String, Sendable, Codable, CaseIterable {
    /// `append` throws `.spoolFull`; nothing is written.
    case reject
    /// The oldest pending rows are evicted (and counted per table in status) to make room.
    case dropOldest
}

/// The durable outbox in one SQLite file: appends on one connection, the uploader's and tools' work on another,
/// and WAL checkpoints on a third, in a thread of their own.
package final class Outbox: Sendable {
    package struct Options: Sendable {
        package var access: SQLiteConnection.Access = .readWrite
        package var synchronous: SQLiteConnection.Synchronous = .normal
        /// Event tables whose appends are fsynced before they return (as under `.full`) even when `synchronous` is
        /// `.normal`.
        package var fullSyncTables: Set<String> = []
        package var busyTimeout: Duration = .seconds(5)
        package var maxPendingRows: Int64?
        package var maxPendingBytes: Int64?
        package var capPolicy: CapPolicy = .reject
        /// A hard limit on the database file (rounded down to whole pages).
        package var maxDatabaseBytes: Int64?
        /// The background checkpointer wakes once this much has been written to the WAL since its last checkpoint.
        package var checkpointBytes: Int64 = 4 << 20
        /// The WAL's upper bound: past it the committing connection checkpoints itself. From half of it, the
        /// checkpointer lets the WAL start over.
        package var walMaxBytes: Int64 = 64 << 20
        package var checkpointInterval: Duration = .seconds(1)
        package var logger: Logger?
        /// Whether the file must already be a spool, and whether it may be migrated.
        package var opening: SpoolOpening = .createOrMigrate
        /// A registered SQLite VFS to open the file through (see `SQLiteConnection.Options.vfs`).
        package var vfs: String?

        package init() {}
    }

    package let path: String
    private let options: Options
    private let appender: SQLiteConnection?
    /// The uploader's and tools' connection (also used by `WriteStreams.swift`).
    let worker: SQLiteConnection
    private let checkpointer: Checkpointer?
    private let walMonitor: WALMonitor?
    private let writeGate: WriteGate
    private let groupCommit: GroupCommit<PendingAppend>
    /// fsyncs the appender's commits that must be durable (`.full`, or a full-durability table's row).
    private let walSync: WALSync?
    private let logger: Logger

    package init(path: String, options: Options) throws(SpoolError) {
        self.path = path
        self.options = options
        let writeGate = WriteGate()
        self.writeGate = writeGate
        self.logger = options.logger ?? Logger(label: "spool", factory: { _ in SwiftLogNoOpLogHandler() })

        var connectionOptions = SQLiteConnection.Options()
        connectionOptions.access = options.access
        connectionOptions.synchronous = options.synchronous
        connectionOptions.busyTimeout = options.busyTimeout
        connectionOptions.maxSchemaVersion = Migrator.latestVersion
        connectionOptions.vfs = options.vfs
        connectionOptions.journalSizeLimit = options.walMaxBytes
        if let bytes = options.maxDatabaseBytes {
            guard bytes >= 64 * 1024 else {
                throw SpoolError(.invalidConfiguration, "maxDatabaseBytes must be at least 64 KiB (got \(bytes))")
            }
            connectionOptions.maxDatabaseBytes = bytes
        }

        if options.opening != .createOrMigrate {
            let version = try SpoolFile.schemaVersion(of: path)
            if options.opening == .existingOnly || options.access == .readOnly {
                try Migrator.requireCurrent(version: version, path: path)
            }
        }

        switch options.access {
        case .readOnly:
            worker = try SpoolFile.openForLook(path, options: connectionOptions)
            try worker.withDatabase { (database: Database) throws(SpoolError) in
                try Migrator.requireCurrent(database, path: path)
            }
            appender = nil
            checkpointer = nil
            walMonitor = nil
            walSync = nil
            groupCommit = GroupCommit(maxRowsPerTransaction: Outbox.appendsPerTransaction, walSync: nil)

        case .readWrite:
            let checkpointConnection = try SQLiteConnection(path: path, options: connectionOptions)
            // Created first, so it also creates a new file: the WAL limits are in frames of the file's page size.
            let pageSize = try checkpointConnection.withDatabase { (database: Database) throws(SpoolError) in
                try database.integer("PRAGMA page_size")
            }
            let monitor = WALMonitor(
                checkpointBytes: options.checkpointBytes, walMaxBytes: options.walMaxBytes, pageSize: pageSize,
                restartEarly: options.synchronous == .full
            )
            let checkpointer = Checkpointer(
                connection: checkpointConnection, monitor: monitor, writeGate: writeGate,
                interval: options.checkpointInterval, logger: logger
            )
            connectionOptions.walMonitor = monitor
            let worker = try SQLiteConnection(path: path, options: connectionOptions)
            try worker.withDatabase { (database: Database) throws(SpoolError) in
                // The running totals need no recount here: triggers keep them, even for rows deleted by hand, and
                // recounting would read the whole outbox at every start (`spoolctl doctor` checks them instead).
                try Migrator.migrate(database, path: path)
            }
            self.worker = worker
            var walSync: WALSync?
            if options.synchronous == .full || !options.fullSyncTables.isEmpty {
                var syncOptions = connectionOptions
                syncOptions.walMonitor = nil
                walSync = WALSync(connection: try SQLiteConnection(path: path, options: syncOptions))
                // The appender's commits are fsynced by `walSync`, after the write lock is released.
                connectionOptions.synchronous = .normal
            }
            self.walSync = walSync
            self.appender = try SQLiteConnection(path: path, options: connectionOptions)
            groupCommit = GroupCommit(maxRowsPerTransaction: Outbox.appendsPerTransaction, walSync: walSync)
            self.checkpointer = checkpointer
            self.walMonitor = monitor
            checkpointer.start()
        }
    }

    deinit {
        close()
    }

    /// Stops the checkpointer (after a last checkpoint) and closes every connection. Safe to call twice.
    package func close() {
        appender?.close()
        walSync?.close()
        worker.close()
        checkpointer?.stop()
    }

    // MARK: Append

    /// Commits one row. Returns the old rows the `.dropOldest` policy evicted to make room, per table that lost them
    /// (usually none).
    ///
    /// The payload must already be a validated JSON object. Rows appended concurrently are committed together
    /// (`GroupCommit`); each still returns only once its own row is committed, with its own outcome.
    package func append(table: String, insertId: String, payload: String, now: Int64) throws(SpoolError) -> EvictedRows {
        guard let appender else {
            throw SpoolError(.readOnly, "the spool at \(path) was opened read-only")
        }
        let row = PendingAppend(table: table, insertId: insertId, payload: payload, now: now)
        if needsSync(row) { walSync?.willCommit() }
        return try groupCommit.append(row) { rows in commit(rows, on: appender) }
    }

    /// Append transactions committed so far (concurrent appends share one).
    package var appendCommitCount: Int { groupCommit.commitCount }

    /// fsyncs of the WAL run so far to make `.full` appends durable (concurrent ones share one).
    package var appendSyncCount: Int { walSync?.syncCount ?? 0 }

    /// Rows committed per transaction at most: bounds how long one commit holds the write lock.
    static let appendsPerTransaction = 64

    /// Commits rows in one transaction, one outcome per row. A row the cap refuses fails alone; a failure of the
    /// transaction itself (disk full, I/O error) sends every row through on its own, so each gets its own outcome.
    ///
    /// A commit holding a `.full` row gets a `walSync` ticket: nobody returns before an fsync of the WAL covers it.
    /// That fsync covers every earlier commit too, so a `.normal` row committed before a `.full` one is never lost
    /// while the `.full` one survives.
    private func commit(_ rows: [PendingAppend], on appender: SQLiteConnection) -> (outcomes: [Result<EvictedRows, SpoolError>], syncTicket: UInt64?) {
        let outcomes = commitUnsynced(rows, on: appender)
        let syncing = rows.count(where: needsSync)
        guard let walSync, syncing > 0 else { return (outcomes, nil) }
        let committed = outcomes.contains { if case .success = $0 { true } else { false } }
        return (outcomes, walSync.didCommit(rows: syncing, committed: committed))
    }

    private func needsSync(_ row: PendingAppend) -> Bool {
        walSync != nil && (options.synchronous == .full || options.fullSyncTables.contains(row.table))
    }

    private func commitUnsynced(_ rows: [PendingAppend], on appender: SQLiteConnection) -> [Result<EvictedRows, SpoolError>] {
        do throws(SpoolError) {
            return try appender.withDatabase { (database: Database) throws(SpoolError) -> [Result<EvictedRows, SpoolError>] in
                try writeGate.withLock { () throws(SpoolError) -> [Result<EvictedRows, SpoolError>] in
                    if rows.count > 1, let outcomes = try? database.immediateTransaction({ (database: Database) throws(SpoolError) in
                        try rows.map { (row: PendingAppend) throws(SpoolError) in try append(row, in: database, transaction: true) }
                    }) {
                        return outcomes
                    }
                    return rows.map { (row: PendingAppend) -> Result<EvictedRows, SpoolError> in
                        do throws(SpoolError) {
                            return try append(row, in: database, transaction: false)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
            }
        } catch {
            return rows.map { _ -> Result<EvictedRows, SpoolError> in .failure(error) }
        }
    }

    /// Writes one row: the cap's refusal is the row's outcome; storage errors throw. Outside a transaction, an
    /// eviction and its insert get one of their own.
    private func append(_ row: PendingAppend, in database: Database, transaction: Bool) throws(SpoolError) -> Result<EvictedRows, SpoolError> {
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
            if transaction { return try evictThenInsert(database, row) }
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
        let totals = try database.statement(SQL.totals)
        defer { totals.reset() }
        guard try totals.step() else { throw SpoolError(.corrupt, "the spool at \(path) lacks its pending totals row") }
        var rows = totals.int64(0)
        var bytes = totals.int64(1)
        totals.reset()

        var victims: [Int64] = []
        var droppedByTable: [String: Int] = [:]
        let oldest = try database.statement(SQL.oldestRows)
        defer { oldest.reset() }
        try oldest.bind(1, Int64(1024))
        while rows + 1 > maxRows || bytes + newBytes > maxBytes, try oldest.step() {
            victims.append(oldest.int64(0))
            droppedByTable[oldest.text(1), default: 0] += 1
            rows -= 1
            bytes -= oldest.int64(2)
        }
        oldest.reset()
        guard rows + 1 <= maxRows, bytes + newBytes <= maxBytes else {
            return .failure(spoolFull(adding: Int(newBytes)))
        }
        try deleteRows(database, ids: victims)
        for (droppedTable, count) in droppedByTable.sorted(by: { $0.key < $1.key }) {
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

    /// Deletes outbox rows (the outbox_totals_delete trigger subtracts them from the running totals); must run
    /// inside a transaction.
    private func deleteRows(_ database: Database, ids: [Int64]) throws(SpoolError) {
        guard !ids.isEmpty else { return }
        let delete = try database.statement(SQL.deleteGroup)
        for start in stride(from: 0, to: ids.count, by: SQL.deletionGroup) {
            let group = ids[start..<min(start + SQL.deletionGroup, ids.count)]
            for slot in 0..<SQL.deletionGroup {
                let id = slot < group.count ? group[group.startIndex + slot] : group[group.startIndex]
                try delete.bind(Int32(slot + 1), id)
            }
            try delete.run()
        }
    }

    // MARK: Drain side

    /// Tables that have pending rows, due or not.
    package func tablesWithRows() throws(SpoolError) -> [String] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [String] in
            let statement = try database.statement(SQL.tablesWithRows)
            defer { statement.reset() }
            var names: [String] = []
            while try statement.step() { names.append(statement.text(0)) }
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
            try statement.bind(1, table)
            try statement.bind(2, now)
            try statement.bind(3, maxRows)
            var rows: [OutboxRow] = []
            rows.reserveCapacity(min(maxRows, 1024))
            var bytes = 0
            while try statement.step() {
                let size = statement.int(3)
                if !rows.isEmpty && bytes + size > maxBytes { break }
                bytes += size
                rows.append(OutboxRow(
                    id: statement.int64(0), table: table, insertId: statement.text(1), payload: statement.text(2),
                    payloadBytes: size, createdAt: statement.int64(4), attempts: statement.int(5)
                ))
            }
            return rows
        }
    }

    /// The earliest retry time among a table's pending rows, nil when it has none. With `offsetsFirst`, the time of
    /// the rows holding stream offsets, when there are any (nothing else is claimed before them).
    package func nextAttempt(table: String, offsetsFirst: Bool = false) throws(SpoolError) -> Int64? {
        if offsetsFirst, let held = try heldRowsDue(table: table) {
            return held
        }
        return try worker.withDatabase { (database: Database) throws(SpoolError) -> Int64? in
            let statement = try database.statement(SQL.nextAttempt)
            defer { statement.reset() }
            try statement.bind(1, table)
            return try statement.step() ? statement.optionalInt64(0) : nil
        }
    }

    /// Rows changed per transaction when a batch's verdicts are applied. Every transaction holds the write lock,
    /// and an append arriving meanwhile waits for it: 16 rows take ~90 µs (p90 150 µs), 32 twice that, 500 several
    /// milliseconds.
    static let rowsPerTransaction = 16

    /// Applies a batch's verdicts: dead letters moved, deliveries deleted, retries rescheduled, the table's state
    /// updated. They go in transactions of `rowsPerTransaction` rows — the first one also records the table's
    /// outcome — so appends never wait long for the write lock, on a good day (500 deliveries) or during an
    /// outage (500 reschedules). Each row's change is atomic (a dead letter is moved and deleted together); a crash
    /// between transactions leaves the later rows as they were: delivered rows are sent again with the same insert
    /// id (exactly as after a crash between BigQuery's answer and the first transaction), rows not yet rescheduled
    /// or dead-lettered are judged again, and the table's backoff, recorded first, still holds them back.
    package func apply(_ resolution: BatchResolution, table: String, now: Int64) throws(SpoolError) {
        guard !resolution.isEmpty else { return }
        let chunks = resolution.chunks(of: Self.rowsPerTransaction)
        try worker.withDatabase { (database: Database) throws(SpoolError) in
            for (index, chunk) in chunks.enumerated() {
                if index > 0 {
                    // Appends in this process waiting at the write gate get it now. A yield gives one in another
                    // process, polling in its busy handler, a chance too.
                    sched_yield()
                }
                try writeTransaction(database) { (database: Database) throws(SpoolError) in
                    try moveToDeadLetters(database, chunk.deadLettered, now: now)
                    try deleteRows(database, ids: chunk.delivered + chunk.deadLettered.map(\.id))
                    try reschedule(database, chunk.retried)
                    if let outcome = chunk.tableOutcome {
                        try record(database, outcome, table: table, delivered: resolution.delivered.count, now: now)
                    }
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

    private static func readTableStates(_ database: Database) throws(SpoolError) -> [String: TableStatus] {
        let statement = try database.statement(SQL.tableStates)
        defer { statement.reset() }
        var states: [String: TableStatus] = [:]
        while try statement.step() {
            var state = TableStatus(table: statement.text(0))
            state.pausedSince = statement.optionalInt64(1)
            state.pauseReason = statement.optionalText(2)
            state.backoffUntil = statement.optionalInt64(3)
            state.consecutiveFailures = statement.int(4)
            state.lastError = statement.optionalText(5)
            state.lastErrorAt = statement.optionalInt64(6)
            state.lastSuccessAt = statement.optionalInt64(7)
            state.deliveredRows = statement.int64(8)
            state.droppedRows = statement.int64(9)
            state.schemaNote = statement.optionalText(10)
            states[state.table] = state
        }
        return states
    }

    // MARK: Status

    /// Everything `spoolctl status` shows, read in one snapshot.
    package func status() throws(SpoolError) -> SpoolStatus {
        var status = try worker.withDatabase { (database: Database) throws(SpoolError) -> SpoolStatus in
            try database.readTransaction { (database: Database) throws(SpoolError) -> SpoolStatus in
                var tables = try Self.readTableStates(database)
                let pending = try database.statement(SQL.pendingByTable)
                defer { pending.reset() }
                while try pending.step() {
                    let name = pending.text(0)
                    var table = tables[name] ?? TableStatus(table: name)
                    table.pendingRows = pending.int(1)
                    table.pendingBytes = pending.int64(2)
                    table.oldestCreatedAt = pending.optionalInt64(4)
                    // Rows never tried are due since they were written; the others at their own retry time.
                    let neverTried = pending.int64(3) < pending.int64(1)
                    let retriesDue = pending.optionalInt64(5)
                    let rowsDue = neverTried ? [retriesDue, table.oldestCreatedAt].compactMap { $0 }.min() : retriesDue
                    table.nextAttemptAt = [rowsDue, table.backoffUntil].compactMap { $0 }.max()
                    table.maxAttempts = pending.optionalInt64(6).map(Int.init) ?? 0
                    tables[name] = table
                }
                pending.reset()
                var deadLetterRows = 0
                let letters = try database.statement(SQL.deadLettersByReason)
                defer { letters.reset() }
                while try letters.step() {
                    let name = letters.text(0)
                    var table = tables[name] ?? TableStatus(table: name)
                    let count = letters.int(2)
                    table.deadLetters[letters.text(1), default: 0] += count
                    let newest = letters.optionalText(3)
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
                    schemaVersion: try database.integer("PRAGMA user_version")
                )
            }
        }
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber
        status.walBytes = wal?.int64Value ?? 0
        return status
    }

    /// Pending rows and bytes from the running totals (what the cap compares against).
    package func pendingTotals() throws(SpoolError) -> (rows: Int64, bytes: Int64) {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> (rows: Int64, bytes: Int64) in
            let statement = try database.statement(SQL.totals)
            defer { statement.reset() }
            guard try statement.step() else { return (0, 0) }
            return (statement.int64(0), statement.int64(1))
        }
    }

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
        guard options.access == .readWrite else {
            throw SpoolError(.readOnly, "the spool at \(path) was opened read-only")
        }
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

    private static func drift(_ database: Database) throws(SpoolError) -> [TotalsDrift] {
        /// Rows of (table, [reason], figures…) keyed by table and reason.
        func read(_ sql: String, keyColumns: Int32, figures: Int32) throws(SpoolError) -> [[String]: [Int64]] {
            let statement = try database.statement(sql)
            defer { statement.reset() }
            var rows: [[String]: [Int64]] = [:]
            while try statement.step() {
                let key = (0..<keyColumns).map { statement.text($0) }
                rows[key] = (keyColumns..<keyColumns + figures).map { statement.int64($0) }
            }
            return rows
        }
        var drift: [TotalsDrift] = []
        func compare(_ recorded: [[String]: [Int64]], _ counted: [[String]: [Int64]], figures: [String]) {
            for key in Set(recorded.keys).union(counted.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                for (index, figure) in figures.enumerated() {
                    let kept = recorded[key]?[index] ?? 0
                    let actual = counted[key]?[index] ?? 0
                    guard kept != actual else { continue }
                    let name = key.count > 1 ? "\(figure) (\(key[1]))" : figure
                    drift.append(TotalsDrift(table: key[0], figure: name, recorded: kept, counted: actual))
                }
            }
        }
        compare(
            try read(SQL.recordedPending, keyColumns: 1, figures: 3), try read(SQL.countedPending, keyColumns: 1, figures: 3),
            figures: ["pending rows", "pending bytes", "retrying rows"]
        )
        compare(
            try read(SQL.recordedDeadLetters, keyColumns: 2, figures: 1), try read(SQL.countedDeadLetters, keyColumns: 2, figures: 1),
            figures: ["dead letters"]
        )
        return drift
    }

    /// `PRAGMA quick_check` (or the full integrity_check): ["ok"] when the file is sound.
    package func check(full: Bool = false) throws(SpoolError) -> [String] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [String] in
            let statement = try Statement(database: database.handle, sql: full ? "PRAGMA integrity_check" : "PRAGMA quick_check", persistent: false)
            var lines: [String] = []
            while try statement.step() { lines.append(statement.text(0)) }
            return lines
        }
    }

    /// Asks the background checkpointer to run now (tools and benchmarks).
    package func checkpoint() {
        checkpointer?.wake()
    }

    /// Checkpoints run so far: by the background checkpointer, and by committing connections because the WAL
    /// reached its upper bound.
    package var checkpointCounts: (background: Int, inline: Int) {
        (checkpointer?.checkpointCount ?? 0, walMonitor?.inlineCheckpointCount ?? 0)
    }

    // MARK: Lease

    /// Takes or renews the uploader lease for `holder`, unless another holder's lease is still unexpired.
    package func acquireLease(holder: String, now: Int64, ttl: Duration) throws(SpoolError) -> LeaseAttempt {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> LeaseAttempt in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> LeaseAttempt in
                if let current = try Self.readLease(database), current.holder != holder, current.expiresAt > now {
                    return .heldByOther(current)
                }
                let write = try database.statement(SQL.writeLease)
                try write.bind(1, holder)
                try write.bind(2, now)
                try write.bind(3, now + ttl.inMilliseconds)
                try write.run()
                guard let lease = try Self.readLease(database) else {
                    throw SpoolError(.storage, "the uploader lease of \(path) vanished while it was written")
                }
                return .acquired(lease)
            }
        }
    }

    /// Gives the lease up, if `holder` has it.
    package func releaseLease(holder: String) throws(SpoolError) {
        try write(SQL.releaseLease) { (statement: Statement) throws(SpoolError) in try statement.bind(1, holder) }
    }

    package func lease() throws(SpoolError) -> UploaderLease? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> UploaderLease? in try Self.readLease(database) }
    }

    private static func readLease(_ database: Database) throws(SpoolError) -> UploaderLease? {
        let statement = try database.statement(SQL.readLease)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return UploaderLease(holder: statement.text(0), acquiredAt: statement.int64(1), renewedAt: statement.int64(2), expiresAt: statement.int64(3))
    }

    // MARK: Settings

    package func setting(_ key: String) throws(SpoolError) -> String? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> String? in
            let statement = try database.statement(SQL.readSetting)
            defer { statement.reset() }
            try statement.bind(1, key)
            return try statement.step() ? statement.text(0) : nil
        }
    }

    package func setSetting(_ key: String, to value: String) throws(SpoolError) {
        try write(SQL.writeSetting) { (statement: Statement) throws(SpoolError) in
            try statement.bind(1, key)
            try statement.bind(2, value)
        }
    }

    // MARK: Dead letters

    package func deadLetters(matching filter: DeadLetterFilter) throws(SpoolError) -> [DeadLetter] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [DeadLetter] in
            let statement = try database.statement(SQL.listDeadLetters)
            defer { statement.reset() }
            try statement.bind(1, filter.table)
            try statement.bind(2, filter.reason)
            try statement.bind(3, filter.since)
            try statement.bind(4, filter.limit)
            var letters: [DeadLetter] = []
            while try statement.step() { letters.append(Self.deadLetter(from: statement)) }
            return letters
        }
    }

    package func deadLetter(id: Int64) throws(SpoolError) -> DeadLetter? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> DeadLetter? in
            let statement = try database.statement(SQL.deadLetterByID)
            defer { statement.reset() }
            try statement.bind(1, id)
            return try statement.step() ? Self.deadLetter(from: statement) : nil
        }
    }

    private static func deadLetter(from statement: Statement) -> DeadLetter {
        DeadLetter(
            id: statement.int64(0), table: statement.text(1), insertId: statement.text(2), reason: statement.text(3),
            location: statement.text(4), message: statement.text(5), attempts: statement.int(6),
            createdAt: statement.text(7), deadLetteredAt: statement.text(8), payload: statement.text(9)
        )
    }

    /// Moves dead letters back to the outbox with their original insert id, due now. Returns how many moved.
    package func requeueDeadLetters(ids: [Int64], now: Int64) throws(SpoolError) -> Int {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Int in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int in
                let requeue = try database.statement(SQL.requeue)
                let delete = try database.statement(SQL.deleteDeadLetter)
                var moved = 0
                for id in ids {
                    try requeue.bind(1, id)
                    try requeue.bind(2, now)
                    try requeue.run()
                    guard requeue.changes == 1 else { continue }
                    try delete.bind(1, id)
                    try delete.run()
                    moved += 1
                }
                return moved
            }
        }
    }

    /// Deletes dead letters for good. Returns how many were removed.
    package func purgeDeadLetters(ids: [Int64]) throws(SpoolError) -> Int {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Int in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int in
                let delete = try database.statement(SQL.deleteDeadLetter)
                var removed = 0
                for id in ids {
                    try delete.bind(1, id)
                    try delete.run()
                    removed += delete.changes
                }
                return removed
            }
        }
    }

    // MARK: Helpers

    private func write(_ sql: String, bind: (Statement) throws(SpoolError) -> Void) throws(SpoolError) {
        try worker.withDatabase { (database: Database) throws(SpoolError) in
            try writeGate.withLock { () throws(SpoolError) in
                let statement = try database.statement(sql)
                defer { statement.reset() }
                try bind(statement)
                try statement.run()
            }
        }
    }

    /// An IMMEDIATE transaction behind the write gate.
    func writeTransaction<R>(_ database: Database, _ body: (Database) throws(SpoolError) -> R) throws(SpoolError) -> R {
        try writeGate.withLock { () throws(SpoolError) -> R in try database.immediateTransaction(body) }
    }
}

extension String {
    /// `withUTF8` with a typed error (the standard one rethrows as `any Error`).
    fileprivate mutating func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws(SpoolError) -> R) throws(SpoolError) -> R {
        let result = withUTF8 { bytes in Result { () throws(SpoolError) -> R in try body(bytes) } }
        return try result.get()
    }
}
