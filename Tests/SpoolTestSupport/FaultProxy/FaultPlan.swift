/// What a `FaultProxy` does to the requests it relays: each field is the fraction of requests that get that fault.
/// The fractions are drawn in the order of `Fault.allCases`; what is left over is relayed untouched.
public struct FaultPlan: Sendable {
    /// Answer 503 backendError without relaying.
    public var serviceUnavailable: Double = 0
    /// Answer 500 internalError without relaying.
    public var internalError: Double = 0
    /// Answer 429 with `Retry-After: retryAfterSeconds` without relaying.
    public var tooManyRequests: Double = 0
    public var retryAfterSeconds: Int = 1
    /// Reset the connection before the request reaches the upstream.
    public var resetBeforeRelaying: Double = 0
    /// Relay the request, then reset the connection instead of answering: the upstream stored the rows, the
    /// client never learns it (a retry duplicates them).
    public var resetAfterRelaying: Double = 0
    /// Relay the request, then hold the answer for `delay` (longer than the client's timeout).
    public var delayPastTimeout: Double = 0
    public var delay: Duration = .seconds(3)
    /// Relay the request, then send only half of the answer's body.
    public var truncatedBody: Double = 0
    /// Answer 200 with an HTML page without relaying (a captive portal or a confused proxy).
    public var nonJSONBody: Double = 0
    /// Only requests whose path contains this are subject to faults (others are relayed untouched).
    public var pathFilter: String = "/insertAll"

    public init() {}

    /// No faults: a plain relay.
    public static let none = FaultPlan()

    func fraction(of fault: Fault) -> Double {
        switch fault {
        case .serviceUnavailable: serviceUnavailable
        case .internalError: internalError
        case .tooManyRequests: tooManyRequests
        case .resetBeforeRelaying: resetBeforeRelaying
        case .resetAfterRelaying: resetAfterRelaying
        case .delayPastTimeout: delayPastTimeout
        case .truncatedBody: truncatedBody
        case .nonJSONBody: nonJSONBody
        }
    }
}

/// One kind of fault a `FaultProxy` injects.
public enum Fault: String, CaseIterable, Sendable, Hashable {
    case serviceUnavailable, internalError, tooManyRequests, resetBeforeRelaying, resetAfterRelaying, delayPastTimeout
    case truncatedBody, nonJSONBody

    /// Whether the upstream got (and stored) the request although the client got no usable answer.
    public var relaysUnanswered: Bool {
        switch self {
        case .resetAfterRelaying, .delayPastTimeout, .truncatedBody: true
        default: false
        }
    }
}
