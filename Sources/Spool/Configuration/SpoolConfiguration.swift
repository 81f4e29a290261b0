import Foundation
import Logging
import SpoolSchema
import SpoolStorage

extension Spool {
    /// How commits reach the disk.
    public enum Durability: String, Sendable, Codable, CaseIterable {
        /// WAL with `synchronous=NORMAL`: an appended event survives a crash of the process (kill -9, a panic), not a
        /// power loss or kernel crash, which may lose the last commits. ~11 µs per append. The default.
        case normal
        /// Every append is fsynced before it returns; survives power loss. One fsync per lone append (~10× `.normal`);
        /// appends from several threads share fsyncs.
        case full
    }

    /// How a spool file is opened. Every field has a default.
    public struct Configuration: Sendable {
        public var durability: Durability = .normal
        /// Event tables whose appends are `.full` while the rest stay at `durability` (e.g. orders and payments
        /// beside `.normal` search events). A commit that holds any of their rows is fsynced, and with it every
        /// commit before it.
        public var fullDurabilityTables: Set<String> = []
        /// A cap on pending (undelivered) rows; nil for none.
        public var maxPendingRows: Int?
        /// A cap on pending payload bytes; nil for none.
        public var maxPendingBytes: Int64?
        /// What `append` does when a cap is reached.
        public var capPolicy: CapPolicy = .reject
        /// The largest row `append` accepts (BigQuery's own limit is 10 MB per row).
        public var maxRowBytes: Int = 10_000_000
        /// A hard limit on the database file's size; appends past it fail with `.diskFull`. nil for none.
        public var maxDatabaseBytes: Int64?
        /// How long a statement waits for another connection's lock.
        public var busyTimeout: Duration = .seconds(5)
        /// The background checkpointer runs once this many bytes have been written to the WAL since its last run.
        /// Nil: half of `walMaxBytes` (32 MiB) when every row is `.normal`, else 4 MiB (`effectiveCheckpointBytes`).
        public var checkpointBytes: Int64?
        /// The WAL's upper bound: past it, the committing connection checkpoints itself. From half of it the
        /// checkpointer briefly holds writers back (about a millisecond) so that the WAL can start over.
        public var walMaxBytes: Int64 = 64 << 20
        /// Table schemas by event table name, for strict mode and for the uploader's local validation.
        public var schemas: [String: TableSchema] = [:]
        /// Validate every row in `append` against its table's schema and throw the verdict (development and tests).
        public var strictSchemas: Bool = false
        /// BigQuery's ignoreUnknownValues: unknown fields are dropped instead of invalidating the row.
        public var ignoreUnknownValues: Bool = false
        /// Open for reading only (status tools). When no process has the file open (no -wal file exists), it is
        /// read with SQLite's `immutable=1`: no locks, and no -wal/-shm files left behind.
        public var readOnly: Bool = false
        /// Whether a missing file is created and an older one migrated (the application, the default), or the file
        /// must already be a spool (`.existingOnly` for operator tools, `.existingAndMigrate` for `spoolctl migrate`).
        public var opening: SpoolOpening = .createOrMigrate
        /// Where the library logs (at info or lower). nil: it stays silent. Spool never creates or bootstraps a logger.
        public var logger: Logger?
        /// Metric labels start with this (`spool_appended_total`, …).
        public var metricsLabelPrefix: String = "spool"
        /// The wall clock, injectable for tests. Unix milliseconds.
        public var now: @Sendable () -> Int64 = WallClock.nowMillis
        /// A registered SQLite VFS to open the file through; nil for SQLite's default (power-loss tests).
        package var vfs: String?

        public init() {}

        func validate() throws(SpoolError) {
            if let rows = maxPendingRows, rows < 1 {
                throw SpoolError(.invalidConfiguration, "maxPendingRows must be at least 1 (got \(rows))")
            }
            if let bytes = maxPendingBytes, bytes < 1 {
                throw SpoolError(.invalidConfiguration, "maxPendingBytes must be at least 1 (got \(bytes))")
            }
            guard maxRowBytes >= 2 else {
                throw SpoolError(.invalidConfiguration, "maxRowBytes must be at least 2 (got \(maxRowBytes))")
            }
            for table in fullDurabilityTables.sorted() {
                do throws(SpoolError) {
                    try TableName.validate(table)
                } catch {
                    throw SpoolError(.invalidConfiguration, "fullDurabilityTables: \(error.message)")
                }
            }
            let checkpointBytes = effectiveCheckpointBytes
            guard checkpointBytes >= 64 << 10, walMaxBytes >= checkpointBytes else {
                throw SpoolError(.invalidConfiguration, "need 64 KiB ≤ checkpointBytes ≤ walMaxBytes (got \(checkpointBytes) and \(walMaxBytes))")
            }
        }
    }
}

extension Spool.Configuration {
    /// `checkpointBytes` as set, else the default for these rows' durability.
    ///
    /// Each checkpoint fsyncs the WAL and the database file, and appends beside those fsyncs are slowed (measured: a
    /// one-thread append's p99.9 250–590 µs with a checkpoint per 4 MiB, 75–85 µs with checkpoints that never
    /// fsync). So with only `.normal` rows the checkpointer runs once per half of `walMaxBytes`, when the WAL is due
    /// to start over anyway: one episode per 32 MiB instead of eight (p99.9 108–260 µs). With `.full` rows it runs
    /// every 4 MiB: their fsyncs are fastest while the WAL, starting over early, is overwritten in place.
    var effectiveCheckpointBytes: Int64 {
        if let checkpointBytes { return checkpointBytes }
        if durability == .full || !fullDurabilityTables.isEmpty { return min(4 << 20, walMaxBytes) }
        return max(64 << 10, walMaxBytes / 2)
    }
}
