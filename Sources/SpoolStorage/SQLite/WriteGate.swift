import Synchronization

/// Serializes one process's write transactions on a spool file before SQLite's write lock does.
///
/// A writer that finds SQLite's lock taken polls from its busy handler, and a 50 µs sleep lasts ~100 µs with Linux's
/// timer slack; a writer waiting here sleeps on a futex and is handed the gate the moment it is released (Linux's
/// priority-inheritance futex passes ownership straight to a waiter). Writers in other processes still meet at
/// SQLite's lock. Always taken inside a connection's own lock, never around one, so the two cannot deadlock.
package final class WriteGate: Sendable {
    private let mutex = Mutex<Void>(())
    private let waiting = Atomic<Int>(0)

    package init() {}

    /// Whether a writer of this process is waiting for the gate now: a long transaction (applying a batch's
    /// verdicts) commits early to let it in.
    package var hasWaiters: Bool { waiting.load(ordering: .relaxed) > 0 }

    package func withLock<R>(_ body: () throws(SpoolError) -> R) throws(SpoolError) -> R {
        waiting.add(1, ordering: .relaxed)
        let result: Result<R, SpoolError> = mutex.withLock { _ in
            waiting.subtract(1, ordering: .relaxed)
            do throws(SpoolError) {
                return .success(try body())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
