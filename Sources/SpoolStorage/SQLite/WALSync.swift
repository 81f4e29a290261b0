import CSQLite
import Dispatch
import Synchronization

/// Makes commits durable with one fsync of the WAL for every commit that finished before that fsync began.
///
/// The appender commits with `synchronous=NORMAL` (its frames reach the WAL file, not yet the disk) and then waits
/// here. Whoever arrives while no fsync runs starts one, covering every commit counted so far; whoever arrives while
/// one runs waits for it and then, if it did not cover them, for the next. So the next transaction writes its frames
/// while the previous one's fsync runs, and all the commits that arrive meanwhile share the next fsync — the way
/// `synchronous=FULL` cannot, since it syncs inside the commit, holding the write lock.
///
/// Before it starts an fsync, the syncer waits (at most `gatherWindow`) for the appends already on their way to
/// commit, so that the fsync covers them too. Two threads appending in turn would otherwise settle into one fsync
/// each, back to back; a lone thread never waits, since its own append is the only one.
///
/// The fsync goes through a connection of its own, used for nothing else, so that it never waits for a commit.
final class WALSync: Sendable {
    private struct State {
        /// Commits counted so far, and how many of them an fsync has covered.
        var committed: UInt64 = 0
        var synced: UInt64 = 0
        var syncing = false
        var waiters: [DispatchSemaphore] = []
        /// Rows that will need an fsync, from `willCommit` until their transaction ended.
        var rowsOnTheirWay = 0
        /// The syncer, while it waits for `rowsOnTheirWay` to commit.
        var gatherer: DispatchSemaphore?
    }

    /// How long an fsync waits at most for appends on their way: about the time a few commits take.
    static let gatherWindow = DispatchTimeInterval.microseconds(200)

    private let connection: SQLiteConnection
    private let state = Mutex(State())
    private let syncs = Atomic<Int>(0)

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// fsyncs run so far.
    var syncCount: Int { syncs.load(ordering: .relaxed) }

    /// Announces a row that will need an fsync once committed; call `didCommit` when its transaction has ended.
    func willCommit() {
        state.withLock { $0.rowsOnTheirWay += 1 }
    }

    /// Counts a transaction that ended, holding `rows` announced rows; when it committed, returns the ticket to pass
    /// to `waitUntilDurable`.
    func didCommit(rows: Int, committed: Bool) -> UInt64? {
        let (ticket, gatherer) = state.withLock { state -> (UInt64?, DispatchSemaphore?) in
            state.rowsOnTheirWay -= rows
            if committed { state.committed += 1 }
            defer { state.gatherer = nil }
            return (committed ? state.committed : nil, state.gatherer)
        }
        gatherer?.signal()
        return ticket
    }

    /// Returns once an fsync that began after commit `ticket` finished has succeeded; throws when the fsync this
    /// caller ran failed (the commit is then in the WAL, but perhaps not on disk).
    func waitUntilDurable(_ ticket: UInt64) throws(SpoolError) {
        enum Step {
            case done
            case wait(DispatchSemaphore)
            case sync(through: UInt64)
        }
        while true {
            let step = state.withLock { state -> Step in
                if state.synced >= ticket { return .done }
                if !state.syncing {
                    state.syncing = true
                    return .sync(through: state.committed)
                }
                let semaphore = DispatchSemaphore(value: 0)
                state.waiters.append(semaphore)
                return .wait(semaphore)
            }
            switch step {
            case .done:
                return
            case .wait(let semaphore):
                semaphore.wait()
            case .sync(var through):
                through = gather(from: through)
                let result = Result { () throws(SpoolError) in try sync() }
                let waiters = state.withLock { state in
                    state.syncing = false
                    if case .success = result { state.synced = max(state.synced, through) }
                    defer { state.waiters.removeAll() }
                    return state.waiters
                }
                for waiter in waiters { waiter.signal() }
                try result.get()
            }
        }
    }

    /// Waits up to `gatherWindow` for rows on their way to commit; returns the commits the fsync will cover.
    private func gather(from committed: UInt64) -> UInt64 {
        let deadline = DispatchTime.now() + Self.gatherWindow
        while true {
            let gatherer = state.withLock { state -> DispatchSemaphore? in
                guard state.rowsOnTheirWay > 0 else { return nil }
                let semaphore = DispatchSemaphore(value: 0)
                state.gatherer = semaphore
                return semaphore
            }
            guard let gatherer, gatherer.wait(timeout: deadline) == .success else { break }
        }
        return state.withLock { state in
            state.gatherer = nil
            return max(committed, state.committed)
        }
    }

    func close() {
        connection.close()
    }

    private func sync() throws(SpoolError) {
        try connection.withDatabase { (database: Database) throws(SpoolError) in
            var rc = spool_sqlite3_sync_wal(database.handle)
            if rc == SQLITE_CANTOPEN {
                // The connection has not opened the WAL yet: a read opens it.
                _ = try database.integer("PRAGMA schema_version")
                rc = spool_sqlite3_sync_wal(database.handle)
            }
            guard rc == SQLITE_OK else {
                let error = SQLiteResult.error(rc, database: nil, sql: nil)
                throw SpoolError(error.code, "a commit reached the WAL but could not be made durable, the fsync failed: \(error.message)", sqliteCode: error.sqliteCode)
            }
        }
        syncs.add(1, ordering: .relaxed)
    }
}
