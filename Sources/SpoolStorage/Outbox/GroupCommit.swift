import Dispatch
import Glibc
import Synchronization

/// Commits appends that arrive together in one transaction (group commit), leader/follower style.
///
/// The first append to arrive while nothing is committing leads: it commits its own row at once, exactly as a lone
/// append would. Appends arriving meanwhile queue up and wait; when the leader is done, the oldest waiting one leads
/// the next transaction, carrying everything that queued up behind it. So under contention each row costs a share
/// of one commit instead of a whole one, and threads wait on their own semaphore instead of convoying on the
/// connection's lock (which hands ownership to sleeping threads one by one and collapsed throughput at 4 threads).
///
/// Rows that must reach the disk (`.full`) take a lane of their own, so that rows needing no fsync never wait for
/// one. There the leader first waits (at most `gatherWindow`) until as many rows have queued as the last group
/// carried — their appenders, just released, are likely back within microseconds — then commits them in one
/// transaction, fsyncs the WAL (`WALSync`), passes the lead on and hands out the outcomes: each group costs one
/// transaction and one fsync. (Committing the next group while this one's fsync runs measured no faster: every
/// appender of a full group waits for its fsync, so the next group held only the few that missed it.)
final class GroupCommit<Row: Sendable>: Sendable {
    /// Commits rows in one transaction, returning one outcome per row, in order.
    typealias Commit = ([Row]) -> [Result<EvictedRows, SpoolError>]

    /// One queue of appends and whether a leader is committing from it.
    private final class Lane: Sendable {
        struct State {
            var queue: [(row: Row, waiter: Waiter)] = []
            var committing = false
            /// Durable lane: the rows the last group carried (their appenders are likely to be back).
            var expected = 1
        }

        let state = Mutex(State())
    }

    private let plain = Lane()
    private let durable = Lane()
    private let maxRowsPerTransaction: Int
    private let walSync: WALSync?
    private let transactions = Atomic<Int>(0)

    /// How long a durable group's leader waits at most for the last group's appenders: about one fsync of a fast
    /// disk, so that waiting for a straggler never costs the group more than a second fsync would cost the straggler.
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
        let waiter = Waiter()
        let leads = lane.state.withLock { lane in
            lane.queue.append((row, waiter))
            if lane.committing { return false }
            lane.committing = true
            return true
        }
        if !leads {
            switch waiter.wait() {
            case .done(let result): return try result.get()
            case .lead: break
            }
        }
        if lane === durable, let walSync {
            return try leadDurable(lane, as: waiter, commit: commit, walSync: walSync).get()
        }
        return try lead(lane, as: waiter, commit: commit).get()
    }

    /// Commits what has queued up (this waiter's row first among them), hands every other row its outcome, and
    /// passes the lead on to the oldest row still waiting.
    private func lead(_ lane: Lane, as leader: Waiter, commit: Commit) -> Result<EvictedRows, SpoolError> {
        let batch = take(lane)
        let outcomes = commit(batch.map(\.row))
        transactions.add(1, ordering: .relaxed)
        let own = resolve(batch, outcomes, leader: leader)
        passLead(lane)
        return own
    }

    /// `lead` for the durable lane: waits briefly for the appenders of the last group, commits, fsyncs, passes the
    /// lead on, then hands out the outcomes.
    private func leadDurable(_ lane: Lane, as leader: Waiter, commit: Commit, walSync: WALSync) -> Result<EvictedRows, SpoolError> {
        gather(lane)
        let batch = take(lane)
        lane.state.withLock { $0.expected = batch.count }
        var outcomes = commit(batch.map(\.row))
        transactions.add(1, ordering: .relaxed)
        if outcomes.contains(where: { if case .success = $0 { true } else { false } }) {
            do throws(SpoolError) {
                try walSync.sync()
            } catch {
                outcomes = outcomes.map { outcome in outcome.flatMap { _ in .failure(error) } }
            }
        }
        passLead(lane)
        return resolve(batch, outcomes, leader: leader)
    }

    /// Waits until as many rows have queued as the last group carried, at most `gatherWindow`. It yields rather than
    /// sleeps: the wait is short, the appenders it waits for need the CPU more than it does, and a sleeping leader
    /// would take a wake-up of its own (measured: 8 threads 24,500 → 25,900 appends/s, 2 threads 9,860 → 10,600).
    private func gather(_ lane: Lane) {
        let deadline = DispatchTime.now() + Self.gatherWindow
        while lane.state.withLock({ $0.queue.count < $0.expected }), DispatchTime.now() < deadline {
            sched_yield()
        }
    }

    private func take(_ lane: Lane) -> [(row: Row, waiter: Waiter)] {
        lane.state.withLock { lane in
            let count = min(lane.queue.count, maxRowsPerTransaction)
            let batch = Array(lane.queue.prefix(count))
            lane.queue.removeFirst(count)
            return batch
        }
    }

    /// Hands every other row of the batch its outcome; returns the leader's own.
    private func resolve(_ batch: [(row: Row, waiter: Waiter)], _ outcomes: [Result<EvictedRows, SpoolError>], leader: Waiter) -> Result<EvictedRows, SpoolError> {
        var own: Result<EvictedRows, SpoolError> = .failure(SpoolError(.storage, "an append was not committed"))
        for (entry, outcome) in zip(batch, outcomes) {
            if entry.waiter === leader {
                own = outcome
            } else {
                entry.waiter.resolve(.done(outcome))
            }
        }
        return own
    }

    /// Wakes the oldest waiting append to lead the next transaction, or marks that nothing is committing.
    private func passLead(_ lane: Lane) {
        let next = lane.state.withLock { lane -> Waiter? in
            guard let first = lane.queue.first else {
                lane.committing = false
                return nil
            }
            return first.waiter
        }
        next?.resolve(.lead)
    }
}
/// One waiting append: woken with its outcome, or told to lead the next transaction.
private final class Waiter: Sendable {
    enum Outcome: Sendable {
        case done(Result<EvictedRows, SpoolError>)
        case lead
    }

    private let semaphore = DispatchSemaphore(value: 0)
    private let outcome = Mutex<Outcome?>(nil)

    func resolve(_ value: Outcome) {
        outcome.withLock { $0 = value }
        semaphore.signal()
    }

    func wait() -> Outcome {
        semaphore.wait()
        return outcome.withLock { $0 } ?? .done(.failure(SpoolError(.storage, "an append was woken without an outcome")))
    }
}

/// A row on its way into the outbox.
struct PendingAppend: Sendable {
    let table: String
    let insertId: String
    let payload: String
    let now: Int64
}

/// Pending rows the `.dropOldest` cap evicted to make room for an append, counted per table that lost them.
package typealias EvictedRows = [String: Int]
