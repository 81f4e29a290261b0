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
/// Before it starts an fsync, the syncer waits a little for the appends already on their way to commit and for as
/// many rows as the last fsync released plus those committed during it (the appenders likely to be back), so that
/// the fsync covers them too. Without it, threads settle into two cohorts that alternate fsyncs, each covering
/// half of them; a lone thread never waits, since its own row is all there is. The wait is at most half the last
/// fsync's duration (between 50 µs and 1 ms): it costs a share of what an fsync costs anyway.
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
        /// The syncer, while it waits for rows to commit.
        var gatherer: DispatchSemaphore?
        /// Rows of committed transactions so far, and how many of them an fsync has covered.
        var rowsCommitted = 0
        var rowsSynced = 0
        /// How many rows the syncer waits for: those the last fsync released plus those committed while it ran.
        var appenders = 1
        var lastSyncNanoseconds: UInt64 = 0
    }

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
            if committed {
                state.committed += 1
                state.rowsCommitted += rows
            }
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
                let rowsThrough: Int
                (through, rowsThrough) = gather(from: through)
                let started = DispatchTime.now().uptimeNanoseconds
                let result = Result { () throws(SpoolError) in try sync() }
                let waiters = state.withLock { state in
                    state.syncing = false
                    if case .success = result {
                        state.synced = max(state.synced, through)
                        state.appenders = max(1, rowsThrough - state.rowsSynced + state.rowsCommitted - rowsThrough)
                        state.rowsSynced = max(state.rowsSynced, rowsThrough)
                        state.lastSyncNanoseconds = DispatchTime.now().uptimeNanoseconds - started
                    }
                    defer { state.waiters.removeAll() }
                    return state.waiters
                }
                for waiter in waiters { waiter.signal() }
                try result.get()
            }
        }
    }

    /// Waits (briefly) for the rows likely to commit next; returns the transactions and rows the fsync will cover.
    private func gather(from committed: UInt64) -> (transactions: UInt64, rows: Int) {
        let window = state.withLock { min(1_000_000, max(50_000, $0.lastSyncNanoseconds / 2)) }
        let deadline = DispatchTime.now() + .nanoseconds(Int(window))
        while true {
            let gatherer = state.withLock { state -> DispatchSemaphore? in
                guard state.rowsOnTheirWay > 0 || state.rowsCommitted - state.rowsSynced < state.appenders else { return nil }
                let semaphore = DispatchSemaphore(value: 0)
                state.gatherer = semaphore
                return semaphore
            }
            guard let gatherer, gatherer.wait(timeout: deadline) == .success else { break }
        }
        return state.withLock { state in
            state.gatherer = nil
            return (max(committed, state.committed), state.rowsCommitted)
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
                _ = try database.integer(SQL.schemaVersion)
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
