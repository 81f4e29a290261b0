import Foundation

/// A thread of its own on which tasks run (as their executor preference): the Storage Write client's gRPC tasks, so
/// that calls are answered even while every thread of Swift concurrency's shared pool is busy or blocked by the
/// host process (2 threads on a 2-core machine), and the test server's. NIO's event loops do the I/O; this thread
/// runs grpc-swift's async code.
package final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // `jobs` and `stopped` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    package init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Ends the thread once the queued jobs have run. Call it when the work that runs here has ended: a job
    /// enqueued later never runs.
    package func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
