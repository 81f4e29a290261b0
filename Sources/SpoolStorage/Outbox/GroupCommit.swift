import Dispatch
import Glibc
import Synchronization

/// Commits appends that arrive together in one transaction (group commit), leader/follower style.
///
/// Appends queue up in batches, one batch per transaction. The first append of a batch leads it: when nothing is
/// committing it commits at once, exactly as a lone append would; otherwise it waits until the batch before is done.
/// Appends arriving meanwhile join the open batch and wait. So under contention each row costs a share of one commit
/// instead of a whole one, and threads wait on their batch instead of convoying on the connection's lock (which hands
/// ownership to sleeping threads one by one and collapsed throughput at 4 threads). The leader hands the whole batch
/// its outcomes at once (`BatchSignals`): one wake-up call for all of them, rather than one per row.
///
/// Rows that must reach the disk (`.full`) take a lane of their own, so that rows needing no fsync never wait for
/// one. There the leader keeps its batch open until as many rows have joined as the last batch carried — their
/// appenders, just released, are likely back within microseconds — or `gatherWindow` has passed, inserting rows as
/// they join (`Arrivals`); then it commits, fsyncs the WAL (`WALSync`), passes the lead on and hands out the
/// outcomes: each batch costs one transaction and one fsync. (Committing the next batch while this one's fsync runs
/// measured no faster: every appender of a full batch waits for its fsync, so the next batch held only the few that
/// missed it.)
final class GroupCommit<Row: Sendable>: Sendable {
    /// Commits the rows `Arrivals` hands out, in one transaction where it can: takes every row (`next` until nil)
    /// and returns one outcome per row, in order.
    typealias Commit = (Arrivals) -> [Result<EvictedRows, SpoolError>]

    /// One lane's batches and whether a leader is committing.
    fileprivate final class Lane: Sendable {
        struct Batch {
            var rows: [Row] = []
            /// Set once the leader took its last row: later appends start the next batch.
            var closed = false
            let signals = BatchSignals()
        }

        struct State {
            /// Oldest first; while `committing`, the first is the one being committed.
            var batches: [Batch] = []
            var committing = false
            /// Durable lane: the rows the last batch carried (their appenders are likely to be back).
            var expected = 1
        }

        let state = Mutex(State())
    }

    private let plain = Lane()
    private let durable = Lane()
    private let maxRowsPerTransaction: Int
    private let walSync: WALSync?
    private let transactions = Atomic<Int>(0)

    /// How long a durable batch's leader keeps it open at most for the last batch's appenders: about one fsync of a
    /// fast disk, so that waiting for a straggler never costs the batch more than a second fsync would cost the
    /// straggler.
    private static var gatherWindow: DispatchTimeInterval { .microseconds(100) }

    init(maxRowsPerTransaction: Int, walSync: WALSync?) {
        self.maxRowsPerTransaction = max(1, maxRowsPerTransaction)
        self.walSync = walSync
    }

    /// How many commits have run (each carrying one or more rows).
    var commitCount: Int { transactions.load(ordering: .relaxed) }

    /// Returns once `row` is committed (or has failed) — and when `durable`, fsynced — with its outcome. Whoever
    /// leads a transaction runs its own `commit`; every caller passes the same one.
    func append(_ row: Row, durable isDurable: Bool, commit: Commit) throws(SpoolError) -> EvictedRows {
        let lane = isDurable && walSync != nil ? durable : plain
        let limit = maxRowsPerTransaction
        let (signals, index, leads) = lane.state.withLock { state in
            if state.batches.last.map({ $0.closed || $0.rows.count >= limit }) ?? true {
                state.batches.append(Lane.Batch())
            }
            let last = state.batches.count - 1
            state.batches[last].rows.append(row)
            let leads = !state.committing
            state.committing = true
            return (state.batches[last].signals, state.batches[last].rows.count - 1, leads)
        }
        if !leads {
            guard index == 0 else { return try signals.outcome(at: index).get() }
            signals.waitForLead()
        }
        return try lead(lane, signals, commit: commit).get()
    }

    /// Commits the lane's first batch (the caller's own row first in it) — and in the durable lane fsyncs it —,
    /// passes the lead on to the next batch, and hands every other row its outcome.
    private func lead(_ lane: Lane, _ signals: BatchSignals, commit: Commit) -> Result<EvictedRows, SpoolError> {
        let walSync = lane === durable ? walSync : nil
        let gathering = walSync.map { _ in
            (expected: lane.state.withLock { $0.expected }, deadline: DispatchTime.now() + Self.gatherWindow)
        }
        let arrivals = Arrivals(lane, limit: maxRowsPerTransaction, gathering: gathering)
        var outcomes = commit(arrivals)
        let taken = arrivals.finish()
        transactions.add(1, ordering: .relaxed)
        if outcomes.count < taken {
            outcomes += Array(repeating: .failure(notCommitted), count: taken - outcomes.count)
        }
        if let walSync {
            lane.state.withLock { $0.expected = taken }
            if outcomes.contains(where: { if case .success = $0 { true } else { false } }) {
                do throws(SpoolError) {
                    try walSync.sync()
                } catch {
                    outcomes = outcomes.map { outcome in outcome.flatMap { _ in .failure(error) } }
                }
            }
        }
        passLead(lane)
        signals.publish(outcomes)
        return outcomes[0]
    }

    /// Done with the first batch: wakes the leader of the next one, or marks that nothing is committing.
    private func passLead(_ lane: Lane) {
        let next = lane.state.withLock { state -> BatchSignals? in
            state.batches.removeFirst()
            guard let next = state.batches.first else {
                state.committing = false
                return nil
            }
            return next.signals
        }
        next?.passLead()
    }
}

extension GroupCommit {
    /// The rows of the batch being committed, handed to its leader's `Commit` as they join: first what has joined so
    /// far (the leader's own row first), then, in the durable lane, whatever joins while the transaction is open,
    /// until as many rows as the last batch carried are in or `gatherWindow` has passed. Inserting the early rows while
    /// the others' appenders are still on their way takes those inserts off the batch's critical path.
    final class Arrivals {
        private let lane: Lane
        private let limit: Int
        private let gathering: (expected: Int, deadline: DispatchTime)?
        private var taken = 0
        private var closed = false

        fileprivate init(_ lane: Lane, limit: Int, gathering: (expected: Int, deadline: DispatchTime)?) {
            self.lane = lane
            self.limit = limit
            self.gathering = gathering
        }

        /// Whether `next` may still return rows.
        var mayGrow: Bool { !closed }

        /// The next rows of the batch; nil once the batch is closed and every row was handed out. In the durable lane,
        /// waits for them (yielding, not sleeping: the wait is short, and the appenders it waits for need the CPU
        /// more than it does).
        func next() -> [Row]? {
            while !closed {
                let late = gathering.map { DispatchTime.now() >= $0.deadline } ?? true
                let rows = take(closingAt: late ? 0 : min(gathering?.expected ?? 0, limit))
                if !rows.isEmpty { return rows }
                if !closed { sched_yield() }
            }
            return nil
        }

        /// Every row `next` has still to hand out, waiting for them as it does.
        func rest() -> [Row] {
            var rows: [Row] = []
            while let more = next() { rows += more }
            return rows
        }

        /// Closes the batch if `next` has not; returns how many rows it holds.
        fileprivate func finish() -> Int {
            if !closed { _ = take(closingAt: 0) }
            return taken
        }

        /// The batch's rows not taken yet; closes it once it holds `closingAt` rows.
        private func take(closingAt: Int) -> [Row] {
            let (rows, closes) = lane.state.withLock { state in
                let rows = Array(state.batches[0].rows[taken...])
                let closes = state.batches[0].rows.count >= closingAt
                if closes { state.batches[0].closed = true }
                return (rows, closes)
            }
            taken += rows.count
            closed = closes
            return rows
        }
    }
}

/// How a batch's appenders learn their outcomes, and how its first appender learns that its turn to lead has come.
///
/// Outcomes go out with one `DispatchGroup.leave`, which wakes every waiting appender with one futex call: waking
/// each on a semaphore of its own cost the leader ~10 µs per row on these VMs (an inter-processor interrupt each),
/// on the batch's critical path.
private final class BatchSignals: @unchecked Sendable {
    private let committed = DispatchGroup()
    private let turn = DispatchSemaphore(value: 0)
    /// Written once, before `committed.leave()`; read only after `committed.wait()`, which orders the two. (A lock
    /// here would have every appender of the batch, woken at once, queue for it.)
    private var outcomes: [Result<EvictedRows, SpoolError>] = []

    init() {
        committed.enter()
    }

    /// Called once per batch, by its leader.
    func publish(_ outcomes: [Result<EvictedRows, SpoolError>]) {
        self.outcomes = outcomes
        committed.leave()
    }

    func outcome(at index: Int) -> Result<EvictedRows, SpoolError> {
        committed.wait()
        return index < outcomes.count ? outcomes[index] : .failure(notCommitted)
    }

    func passLead() {
        turn.signal()
    }

    func waitForLead() {
        turn.wait()
    }
}

/// The outcome of a row its batch's `Commit` left without one (a bug, not a storage error).
private let notCommitted = SpoolError(.storage, "an append was not committed")

/// A row on its way into the outbox.
struct PendingAppend: Sendable {
    let table: String
    let insertId: String
    let payload: String
    let now: Int64
}

/// Pending rows the `.dropOldest` cap evicted to make room for an append, counted per table that lost them.
package typealias EvictedRows = [String: Int]
