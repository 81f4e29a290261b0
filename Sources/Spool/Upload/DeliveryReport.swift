/// What one or more drain passes did.
public struct DeliveryReport: Sendable, Equatable {
    public var requests = 0
    public var delivered = 0
    public var deadLettered = 0
    /// Rows scheduled for a later try (whole-request failures count each row once).
    public var retried = 0
    /// When the earliest row that is waiting (backoff, retry time, paused table) may be tried, Unix milliseconds.
    public var nextDueAt: Int64?
    /// True when the pass stopped early: a stop was requested, the deadline passed or the lease was lost.
    public var interrupted = false

    public init() {}

    mutating func add(_ other: DeliveryReport) {
        requests += other.requests
        delivered += other.delivered
        deadLettered += other.deadLettered
        retried += other.retried
        nextDueAt = other.nextDueAt
        interrupted = other.interrupted
    }
}
