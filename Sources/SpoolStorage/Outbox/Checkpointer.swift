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
/// FULL one, which holds writers back only while it copies the few frames written since the PASSIVE passes.
final class Checkpointer: Sendable {
    private let connection: SQLiteConnection
    private let monitor: WALMonitor
    private let writeGate: WriteGate
    private let interval: Duration
    private let logger: Logger
    private let finished = DispatchSemaphore(value: 0)
    private let state = Mutex<State>(.idle)
    private let completed = Atomic<Int>(0)

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
                var progress = try Self.run(SQLITE_CHECKPOINT_PASSIVE, database)
                if progress.walFrames >= monitor.restartPages {
                    // What the writers added while the first pass copied, then the last few frames with writers held.
                    progress = try Self.run(SQLITE_CHECKPOINT_PASSIVE, database)
                    // Behind the write gate, this process's appenders wait on a futex instead of polling SQLite's lock.
                    progress = try writeGate.withLock { () throws(SpoolError) in try Self.run(SQLITE_CHECKPOINT_FULL, database) }
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

    /// One checkpoint: the WAL's size and how far it has been copied, in frames (-1 when unknown).
    private static func run(_ mode: Int32, _ database: Database) throws(SpoolError) -> (walFrames: Int32, copiedFrames: Int32) {
        var walFrames: Int32 = -1
        var copiedFrames: Int32 = -1
        let rc = sqlite3_wal_checkpoint_v2(database.handle, nil, mode, &walFrames, &copiedFrames)
        // BUSY: another checkpoint is running (another process's checkpointer), or a FULL checkpoint could not get
        // the writers' lock within the busy timeout. Either way there is nothing to do now.
        if rc != SQLITE_OK && rc & 0xff != SQLITE_BUSY {
            let sql = mode == SQLITE_CHECKPOINT_FULL ? SQL.checkpointFull : SQL.checkpointPassive
            throw SQLiteResult.error(rc, database: database.handle, sql: sql)
        }
        return (walFrames, copiedFrames)
    }
}


