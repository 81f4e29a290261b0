import CSQLite
import Dispatch
import Foundation
import Logging
import Synchronization

/// Runs WAL checkpoints on a thread of its own, so that no append pays for copying pages.
///
/// It wakes when the `WALMonitor` sees enough new frames, and otherwise once per interval. PASSIVE checkpoints
/// copy the bulk without blocking anyone; but against a continuous writer they never quite finish, and the WAL only
/// starts over once a checkpoint has copied every frame. So once the WAL is large, a checkpoint ends with a short
/// FULL one, which holds writers back only while it copies and syncs the few frames written since the PASSIVE passes.
final class Checkpointer: Sendable {
    private let connection: SQLiteConnection
    private let monitor: WALMonitor
    private let writeGate: WriteGate
    private let interval: Duration
    private let logger: Logger
    private let finished = DispatchSemaphore(value: 0)
    private let state = Mutex<State>(.idle)
    private let completed = Atomic<Int>(0)
    private let writerHolds = Mutex(WriterHolds())

    private enum State {
        case idle, running, stopping, stopped
    }

    init(connection: SQLiteConnection, monitor: WALMonitor, writeGate: WriteGate, interval: Duration, logger: Logger) {
        self.connection = connection
        self.monitor = monitor
        self.writeGate = writeGate
        self.interval = interval
        self.logger = logger
    }

    /// Checkpoints completed so far.
    var checkpointCount: Int { completed.load(ordering: .relaxed) }

    /// The writer-blocking steps so far: how many, and how long they held this process's appenders.
    var writerHoldStatistics: WriterHolds { writerHolds.withLock { $0 } }

    func start() {
        let shouldStart = state.withLock { state in
            guard case .idle = state else { return false }
            state = .running
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            // Named from inside: Linux takes a thread's name only from the thread itself (≤ 15 bytes).
            Thread.current.name = "spool-checkpt"
            runLoop()
            finished.signal()
        }
        thread.start()
    }

    /// Asks for a checkpoint now. Never blocks.
    func wake() {
        monitor.wake()
    }

    /// Stops the thread after its current checkpoint and waits for it. Safe to call more than once.
    func stop() {
        let wasRunning = state.withLock { state -> Bool in
            switch state {
            case .running:
                state = .stopping
                return true
            case .idle:
                state = .stopped
                return false
            case .stopping, .stopped:
                return false
            }
        }
        guard wasRunning else { return }
        monitor.wake()
        finished.wait()
        state.withLock { $0 = .stopped }
    }

    private var isRunning: Bool {
        state.withLock { if case .running = $0 { true } else { false } }
    }

    private func runLoop() {
        // Only the FULL step ever waits (PASSIVE never calls the busy handler), and it waits while holding writers
        // back: for another process's writer, or a reader on an old snapshot (a sqlite3 shell left inside a
        // transaction). Rather than stall appends for the busy timeout, it gives up after a few dozen yields; the
        // next run tries again, and the WAL's upper bound holds meanwhile.
        _ = try? connection.withDatabase { (database: Database) throws(SpoolError) in
            spool_sqlite3_install_short_busy_handler(database.handle, 64)
        }
        let timeout = DispatchTimeInterval.milliseconds(Int(interval.inMilliseconds))
        while isRunning {
            monitor.waitForWake(timeout: timeout)
            guard isRunning else { break }
            checkpoint()
        }
        checkpoint()
        connection.close()
    }

    private func checkpoint() {
        do {
            try connection.withDatabase { (database: Database) throws(SpoolError) in
                let files = Files(database)
                // Each pass begins with an fsync of the WAL: most of the WAL is written back before, in small requests.
                files.writeBackWAL()
                var progress = try Self.run(SQLITE_CHECKPOINT_PASSIVE, database)
                if progress.walFrames >= monitor.restartPages {
                    progress = try copyTheRestWithWritersHeld(database, files)
                }
                if progress.copiedFrames >= 0 {
                    monitor.didCheckpoint(upTo: progress.copiedFrames)
                }
            }
            completed.add(1, ordering: .relaxed)
        } catch {
            logger.debug("spool checkpoint failed", metadata: ["spool.error": "\(error.message)"])
        }
    }

    /// Beside a running writer no PASSIVE pass ever copies the last frames (each reports the WAL as it began as
    /// copied): a FULL step, with writers held, does, so that the next commit can start the WAL over.
    private func copyTheRestWithWritersHeld(_ database: Database, _ files: Files) throws(SpoolError) -> Progress {
        var retries = 0
        while true {
            // A pass that ends behind a writer leaves the database file unsynced, and the FULL step would then write
            // back every page the passes copied (~4.5 ms with a 32 MiB WAL). Syncing before each catch-up pass does
            // that while writers run, and each pass copies what the writers added during the one before, so the FULL
            // step is left with a few frames (~0.6–0.9 ms).
            var progress = Progress(walFrames: -1, copiedFrames: -1, busy: false)
            for _ in 0..<Self.catchUpPasses {
                try files.syncDatabaseFile()
                files.writeBackWAL()
                progress = try Self.run(SQLITE_CHECKPOINT_PASSIVE, database)
                // Another process's checkpointer is at it.
                if progress.busy { return progress }
            }
            // A pass that stopped short of the WAL it began with was held back by a reader on an older snapshot (an
            // uploader's claim): FULL would wait for that reader with writers held, then give up.
            if progress.copiedFrames >= progress.walFrames {
                try files.syncDatabaseFile()
                files.writeBackWAL()
                // Behind the write gate, this process's appenders wait on a futex instead of polling SQLite's lock.
                let started = ContinuousClock.now
                progress = try writeGate.withLock { () throws(SpoolError) in try Self.run(SQLITE_CHECKPOINT_FULL, database) }
                writerHolds.withLock { $0.record(ContinuousClock.now - started) }
                if !progress.busy { return progress }
            }
            // Left to the next run, the WAL would grow to its hard limit, where every commit checkpoints itself:
            // appends stalled 4–28 ms in the outage benchmark, whose drainer's claims read for tens of milliseconds.
            retries += 1
            guard retries <= Self.fullStepRetries, isRunning else { return progress }
            usleep(Self.fullStepRetryPauseMicroseconds)
        }
    }

    /// PASSIVE passes before the FULL step, each after a sync of the database file.
    private static let catchUpPasses = 2
    /// How often the catch-up passes and FULL step are tried again when a reader kept them from finishing, and the
    /// pause before each try: up to about a quarter of a second in all.
    private static let fullStepRetries = 100
    private static let fullStepRetryPauseMicroseconds: UInt32 = 2_000

    /// The checkpointed connection's files, and the writeback that keeps its fsyncs from reaching the disk in bursts.
    private struct Files {
        let database: Database
        let databasePath: sqlite3_filename?
        let walPath: UnsafePointer<CChar>?

        /// Bytes per writeback request, as PostgreSQL's checkpoint_flush_after default. One thread's appends slower
        /// than 150 µs, out of 100,000 beside 32 MiB checkpoints: 238–411 without, 51–77 with 256 KiB requests,
        /// 36–122 with 64 KiB ones (README "Checkpoints").
        static let writebackChunkBytes: Int64 = 256 << 10

        init(_ database: Database) {
            self.database = database
            databasePath = sqlite3_db_filename(database.handle, "main")
            walPath = databasePath.flatMap { sqlite3_filename_wal($0) }
        }

        /// Writes back the WAL's dirty pages in small requests (see `spool_write_back_in_chunks`). Best effort: a file
        /// that is not a plain file (another VFS) is simply left to the fsync.
        func writeBackWAL() {
            if let walPath { _ = spool_write_back_in_chunks(walPath, Self.writebackChunkBytes) }
        }

        /// Writes the database file back in small requests, then fsyncs it through the VFS, as a checkpoint that
        /// copies the whole WAL does itself.
        func syncDatabaseFile() throws(SpoolError) {
            if let databasePath { _ = spool_write_back_in_chunks(databasePath, Self.writebackChunkBytes) }
            let rc = spool_sqlite3_sync_file(database.handle, SQLITE_FCNTL_FILE_POINTER)
            guard rc == SQLITE_OK else {
                let error = SQLiteResult.error(rc, database: nil, sql: nil)
                throw SpoolError(error.code, "the checkpoint could not fsync the database file: \(error.message)", sqliteCode: error.sqliteCode)
            }
        }
    }

    /// What a checkpoint pass reports: the WAL's size as the pass began and how far it has been copied, in frames
    /// (-1 when unknown), and whether it stopped short: another process's checkpoint was running, or a FULL step did
    /// not get the writers' lock or a reader's snapshot within its short busy budget.
    private struct Progress {
        var walFrames: Int32
        var copiedFrames: Int32
        var busy: Bool
    }

    /// One checkpoint pass.
    private static func run(_ mode: Int32, _ database: Database) throws(SpoolError) -> Progress {
        var walFrames: Int32 = -1
        var copiedFrames: Int32 = -1
        let rc = sqlite3_wal_checkpoint_v2(database.handle, nil, mode, &walFrames, &copiedFrames)
        let busy = rc & 0xff == SQLITE_BUSY
        if rc != SQLITE_OK && !busy {
            let sql = mode == SQLITE_CHECKPOINT_FULL ? SQL.checkpointFull : SQL.checkpointPassive
            throw SQLiteResult.error(rc, database: database.handle, sql: sql)
        }
        return Progress(walFrames: walFrames, copiedFrames: copiedFrames, busy: busy)
    }
}

/// How long the checkpointer's FULL steps held writers back.
package struct WriterHolds: Sendable {
    package private(set) var count = 0
    package private(set) var total: Duration = .zero
    package private(set) var longest: Duration = .zero

    mutating func record(_ held: Duration) {
        count += 1
        total += held
        longest = max(longest, held)
    }
}
