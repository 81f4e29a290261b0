import Foundation
import Logging

/// The durable outbox in one SQLite file: appends on one connection, the uploader's and tools' work on another,
/// and WAL checkpoints on a third, in a thread of their own.
///
/// Its work is split by caller, one file each: appending and the cap (`Outbox+Appending.swift`), delivery
/// (`Outbox+Delivery.swift`), inspection (`Outbox+Inspection.swift`), dead letters (`Outbox+DeadLetters.swift`)
/// and the uploader lease (`Outbox+Lease.swift`). Every statement is in `SQL.swift`.
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
    let options: Options
    /// Appends' connection; nil when opened read-only.
    let appender: SQLiteConnection?
    /// Everything else: delivery, inspection, dead letters, the lease.
    let worker: SQLiteConnection
    private let checkpointer: Checkpointer?
    private let walMonitor: WALMonitor?
    let writeGate: WriteGate
    let groupCommit: GroupCommit<PendingAppend>
    /// fsyncs the appender's commits that must be durable (`.full`, or a full-durability table's row).
    let walSync: WALSync?
    let logger: Logger

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
        // A new .full spool gets 4 KiB pages: its appends commit in groups (`GroupCommit`, ~8 rows from 8 threads),
        // and such a commit writes 6 WAL frames with 4 KiB pages where 1 KiB pages take 11, two write calls each.
        // Measured in alternating runs: 8 threads 28,700–30,700 appends/s against 24,800–26,100, one thread 4–8 %
        // faster. (A .normal spool's one-row commits keep the small pages: see `SQLiteConnection.Options.pageSize`.)
        if options.synchronous == .full {
            connectionOptions.pageSize = 4096
        }
        if let bytes = options.maxDatabaseBytes {
            guard bytes >= 64 * 1024 else {
                throw SpoolError(.invalidConfiguration, "maxDatabaseBytes must be at least 64 KiB (got \(bytes))")
            }
            connectionOptions.maxDatabaseBytes = bytes
        }

        if options.opening != .createOrMigrate {
            if options.access == .readWrite {
                try SpoolFile.requireOwner(path)
            }
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
                try database.integer(SQL.pageSize)
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

    // MARK: Checkpoints

    /// Asks the background checkpointer to run now (tools and benchmarks).
    package func checkpoint() {
        checkpointer?.wake()
    }

    /// Checkpoints run so far: by the background checkpointer, and by committing connections because the WAL
    /// reached its upper bound.
    package var checkpointCounts: (background: Int, inline: Int) {
        (checkpointer?.checkpointCount ?? 0, walMonitor?.inlineCheckpointCount ?? 0)
    }

    /// How long the checkpointer held this process's writers back so that the WAL could start over.
    package var checkpointWriterHolds: WriterHolds {
        checkpointer?.writerHoldStatistics ?? WriterHolds()
    }

    // MARK: Shared by the files of this type

    /// The refusal of a write on a spool opened read-only.
    var readOnlyError: SpoolError {
        SpoolError(.readOnly, "the spool at \(path) was opened read-only")
    }

    /// Runs one statement that writes, on the worker connection, behind the write gate.
    func write(_ sql: String, bind: (Statement) throws(SpoolError) -> Void) throws(SpoolError) {
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

    /// Deletes outbox rows (the outbox_totals_delete trigger subtracts them from the running totals), inside the
    /// caller's transaction: delivered and dead-lettered rows, and rows the cap evicts.
    func deleteRows(_ database: Database, ids: [Int64]) throws(SpoolError) {
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
}
