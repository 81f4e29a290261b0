import CSQLite
import Dispatch
import Foundation
import Logging
import Synchronization

/// Runs PASSIVE WAL checkpoints on a thread of its own, so that no append ever pays for one.
///
/// It wakes when a commit pushes the WAL past the soft limit (see `WALMonitor`) and otherwise once per interval.
/// A PASSIVE checkpoint never blocks writers; once it has copied every frame, the next writer starts the WAL over.
final class Checkpointer: Sendable {
    private let connection: SQLiteConnection
    private let interval: Duration
    private let logger: Logger
    private let signal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let state = Mutex<State>(.idle)
    private let completed = Atomic<Int>(0)
    /// Set from a wake until the next checkpoint starts, so commits past the limit do not each signal the thread.
    private let wakePending = Atomic<Bool>(false)

    private enum State {
        case idle, running, stopping, stopped
    }

    init(connection: SQLiteConnection, interval: Duration, logger: Logger) {
        self.connection = connection
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
            runLoop()
            finished.signal()
        }
        thread.name = "spool-checkpointer"
        thread.start()
    }

    /// Asks for a checkpoint now (called from the WAL hook: must not block).
    func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            signal.signal()
        }
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
        signal.signal()
        finished.wait()
        state.withLock { $0 = .stopped }
    }

    private var isRunning: Bool {
        state.withLock { if case .running = $0 { true } else { false } }
    }

    private func runLoop() {
        let timeout = DispatchTimeInterval.milliseconds(Int(interval.inMilliseconds))
        while isRunning {
            _ = signal.wait(timeout: .now() + timeout)
            guard isRunning else { break }
            checkpoint()
        }
        checkpoint()
        connection.close()
    }

    private func checkpoint() {
        wakePending.store(false, ordering: .releasing)
        do {
            try connection.withDatabase { (database: Database) throws(SpoolError) in
                var walPages: Int32 = 0
                var copied: Int32 = 0
                let rc = sqlite3_wal_checkpoint_v2(database.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &walPages, &copied)
                // BUSY only means another checkpoint is running (another process's checkpointer): nothing to do.
                if rc != SQLITE_OK && rc & 0xff != SQLITE_BUSY {
                    throw SQLiteResult.error(rc, database: database.handle, sql: "PRAGMA wal_checkpoint(PASSIVE)")
                }
            }
            completed.add(1, ordering: .relaxed)
        } catch {
            logger.debug("spool checkpoint failed", metadata: ["spool.error": "\(error.message)"])
        }
    }
}
