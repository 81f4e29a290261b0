import Dispatch
import Synchronization

/// Commits appends that arrive together in one transaction (group commit), leader/follower style.
///
/// The first append to arrive while nothing is committing leads: it commits its own row at once, exactly as a lone
/// append would. Appends arriving meanwhile queue up and wait; when the leader is done, the oldest waiting one leads
/// the next transaction, carrying everything that queued up behind it. So under contention each row costs a share
/// of one commit instead of a whole one, and threads wait on their own semaphore instead of convoying on the
/// connection's lock (which hands ownership to sleeping threads one by one and collapsed throughput at 4 threads).
///
/// A transaction that must reach the disk (`.full`) is committed without an fsync; its leader passes the lead on
/// at once and then waits for a `WALSync` fsync: the next transaction writes while this one's fsync runs, and the
/// transactions committed meanwhile share the next fsync.
final class GroupCommit<Row: Sendable>: Sendable {
    /// Commits rows in one transaction, returning one outcome per row, in order, and — when the transaction must be
    /// made durable before anyone returns — its `WALSync` ticket.
    typealias Commit = ([Row]) -> (outcomes: [Result<EvictedRows, SpoolError>], syncTicket: UInt64?)

    private struct State {
        var queue: [(row: Row, waiter: Waiter)] = []
        var committing = false
    }

    private let state = Mutex(State())
    private let maxRowsPerTransaction: Int
    private let walSync: WALSync?
    private let transactions = Atomic<Int>(0)

    init(maxRowsPerTransaction: Int, walSync: WALSync?) {
        self.maxRowsPerTransaction = max(1, maxRowsPerTransaction)
        self.walSync = walSync
    }

    /// How many commits have run (each carrying one or more rows).
    var commitCount: Int { transactions.load(ordering: .relaxed) }

    /// Returns once `row` is committed (or has failed), with its outcome. Whoever leads a transaction runs its own
    /// `commit`; every caller passes the same one.
    func append(_ row: Row, commit: Commit) throws(SpoolError) -> EvictedRows {
        let waiter = Waiter()
        let leads = state.withLock { state in
            state.queue.append((row, waiter))
            if state.committing { return false }
            state.committing = true
            return true
        }
        if !leads {
            switch waiter.wait() {
            case .done(let result): return try result.get()
            case .lead: break
            }
        }
        return try lead(as: waiter, commit: commit).get()
    }

    /// Commits what has queued up (this waiter's row first among them), hands every other row its outcome, and
    /// passes the lead on to the oldest row still waiting.
    private func lead(as leader: Waiter, commit: Commit) -> Result<EvictedRows, SpoolError> {
        let batch = state.withLock { state in
            let count = min(state.queue.count, maxRowsPerTransaction)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
        var (outcomes, syncTicket) = commit(batch.map(\.row))
        transactions.add(1, ordering: .relaxed)
        if let syncTicket, let walSync {
            passLead()
            do throws(SpoolError) {
                try walSync.waitUntilDurable(syncTicket)
            } catch {
                outcomes = outcomes.map { outcome in outcome.flatMap { _ in .failure(error) } }
            }
            return resolve(batch, outcomes, leader: leader)
        }
        let own = resolve(batch, outcomes, leader: leader)
        passLead()
        return own
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
    private func passLead() {
        let next = state.withLock { state -> Waiter? in
            guard let first = state.queue.first else {
                state.committing = false
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
