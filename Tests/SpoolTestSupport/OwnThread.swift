import Foundation

/// Runs `body` on a thread of its own and returns what it returns. A test that blocks for long (sleeps, paced
/// appends, waits on child processes) must not hold one of the few threads of Swift's concurrency pool (two on a
/// 2-core machine): while two such tests run, every other test and every uploader task in the process stalls.
/// Record expectations after the await, in the test itself: `#expect` attributes issues through the test's task.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
