import Dispatch
import Spool
import Synchronization

/// One open spool behind a handle, with the uploader started in this process for it, if any.
final class OpenSpool: Sendable {
    let spool: Spool
    /// The configuration file it was opened from: where `spool_uploader_start` finds the destination.
    let file: SpoolConfigurationFile?
    private let uploader = Mutex<RunningUploader?>(nil)

    private struct RunningUploader: Sendable {
        let uploader: SpoolUploader
        let stopped: DispatchSemaphore
    }

    init(spool: Spool, file: SpoolConfigurationFile?) {
        self.spool = spool
        self.file = file
    }

    func startUploader() throws(CFailure) {
        guard let file else {
            throw CFailure(CCode.number(for: .invalidConfiguration), "the uploader needs a destination: open the spool with spool_open_config")
        }
        guard let destination = file.destination else {
            throw CFailure(CCode.number(for: .invalidConfiguration), "the configuration has no \"destination\" section (or SPOOL_PROJECT/SPOOL_DATASET)")
        }
        try uploader.withLock { (running: inout RunningUploader?) throws(CFailure) in
            guard running == nil else {
                throw CFailure(CCode.number(for: .alreadyRunning), "the uploader of this spool is already running")
            }
            let uploader: SpoolUploader
            do throws(SpoolError) {
                uploader = try SpoolUploader(spool: spool, destination: destination, configuration: file.uploader)
            } catch {
                throw CFailure(error)
            }
            let stopped = DispatchSemaphore(value: 0)
            // The uploader is a swift-service-lifecycle Service; a C caller has no ServiceGroup, so it runs in a task
            // of its own until spool_uploader_stop (or spool_close) asks it to shut down gracefully.
            Task.detached {
                try? await uploader.run()
                stopped.signal()
            }
            running = RunningUploader(uploader: uploader, stopped: stopped)
        }
    }

    /// Stops the uploader after its last drain and waits for it; false when none was running.
    @discardableResult
    func stopUploader() -> Bool {
        guard let running = uploader.withLock({ (running: inout RunningUploader?) in
            defer { running = nil }
            return running
        }) else { return false }
        running.uploader.triggerGracefulShutdown()
        running.stopped.wait()
        return true
    }

    func close() {
        stopUploader()
        spool.close()
    }
}

/// The handles the C side holds: numbers, never reused, so a closed handle is an error and never a dangling pointer.
/// A call looks its spool up under the lock and works outside it, holding a reference: `spool_close` removes the
/// entry and closes the file, and an append already under way finishes or fails with `.closed` (the storage layer
/// serializes close with its connection's use).
enum OpenSpools {
    private static let entries = Mutex<[UInt64: OpenSpool]>([:])
    private static let lastHandle = Atomic<UInt64>(0)

    static func add(_ open: OpenSpool) -> UInt64 {
        let handle = lastHandle.add(1, ordering: .relaxed).newValue
        entries.withLock { $0[handle] = open }
        return handle
    }

    static func get(_ handle: UInt64) throws(CFailure) -> OpenSpool {
        guard let open = entries.withLock({ $0[handle] }) else { throw CFailure.closed(handle) }
        return open
    }

    static func remove(_ handle: UInt64) throws(CFailure) -> OpenSpool {
        guard let open = entries.withLock({ $0.removeValue(forKey: handle) }) else { throw CFailure.closed(handle) }
        return open
    }
}
