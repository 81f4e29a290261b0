/// When a drain may go on, for the delivery engine: the uploader lease, and the caller's stop conditions. Given to
/// the engine when it is made; the background loop and `drain` differ only in the conditions they pass.
struct DeliveryControl {
    let lease: LeaseHolder
    /// True once no further batch may start (a stop was requested, or a graceful shutdown's deadline passed).
    let stopRequested: () -> Bool
    /// True once the lease was given up for good (`SpoolUploader.releaseLeaseNow()`): no request is sent any more.
    let leaseGivenUp: () -> Bool

    /// Before each request (a bisection sends several per batch): false when the lease was lost, since another
    /// uploader may hold these rows now.
    func maySend() -> Bool {
        !leaseGivenUp() && ((try? lease.hold()) ?? false)
    }

    /// Between batches.
    func mayStartBatch() -> Bool {
        !stopRequested() && maySend()
    }
}
