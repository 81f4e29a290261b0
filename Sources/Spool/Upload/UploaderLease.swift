import Foundation
import SpoolStorage

/// Holds the spool file's uploader lease for one uploader: only one process drains a file at a time, and a holder
/// that dies (kill -9) stops renewing, so another takes over once the lease expires.
final class LeaseHolder {
    let holder: String
    private let outbox: Outbox
    private let duration: Duration
    private let now: @Sendable () -> Int64
    private var renewedAt: Int64?
    private(set) var lastRefusal: UploaderLease?

    init(outbox: Outbox, duration: Duration, now: @escaping @Sendable () -> Int64) {
        self.outbox = outbox
        self.duration = duration
        self.now = now
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        holder = "\(hostName):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// True while this uploader holds the lease; renews it once a third of its lifetime has passed.
    func hold() throws(SpoolError) -> Bool {
        let current = now()
        if let renewedAt, current - renewedAt < duration.inMilliseconds / 3 {
            return true
        }
        switch try outbox.acquireLease(holder: holder, now: current, ttl: duration) {
        case .acquired:
            renewedAt = current
            lastRefusal = nil
            return true
        case .heldByOther(let lease):
            renewedAt = nil
            lastRefusal = lease
            return false
        }
    }

    func release() {
        guard renewedAt != nil else { return }
        renewedAt = nil
        try? outbox.releaseLease(holder: holder)
    }
}
