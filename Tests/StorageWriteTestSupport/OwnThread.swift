import Foundation

/// Runs a blocking call (the Storage Write client's, which waits for gRPC tasks) on a thread of its own, as the
/// uploader does, and awaits its result without holding one of Swift concurrency's few pool threads.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
