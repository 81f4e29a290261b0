import BigQueryREST

/// What to do about an insertAll request that got no row-level answer: DESIGN.md's table of BigQuery answers.
enum FailureAction: Equatable {
    /// The request as a whole is invalid (400, 413): split the batch until the bad row stands alone.
    case bisect
    /// HTTP 500: usually transient, but some servers answer a bad row this way; repeated, it is bisected.
    case serverError
    /// Transient (408, 429, other 5xx, network, timeouts, unreadable answers, 401 after a refresh): back off.
    case retry
    /// `quotaExceeded`: back off for a long time.
    case quota
    /// Misconfiguration (`accessDenied`, `notFound`, an impossible id): pause the table, keep its rows.
    case pause(reason: String)

    init(_ failure: RequestFailure) {
        switch failure.kind {
        case .transport, .garbage, .credentials:
            self = .retry
        case .invalidRequest:
            self = .pause(reason: "invalidRequest")
        case .httpError:
            self = Self.classify(status: failure.httpStatus ?? 0, reason: failure.errorReason)
        }
    }

    /// 403 is told apart by `reason`, not status: rate limits and quotas are not misconfiguration.
    private static func classify(status: Int, reason: String?) -> FailureAction {
        switch (status, reason) {
        case (403, "rateLimitExceeded"), (429, _), (408, _), (401, _):
            return .retry
        case (403, "quotaExceeded"):
            return .quota
        case (403, let reason):
            return .pause(reason: reason ?? "accessDenied")
        case (404, _):
            return .pause(reason: reason ?? "notFound")
        case (400, "rateLimitExceeded"):
            return .retry
        case (400, _), (413, _):
            return .bisect
        case (500, _):
            return .serverError
        case (500..., _):
            return .retry
        default:
            // Unexpected 3xx/4xx (a proxy's answer, 409 …): nothing says the rows are at fault.
            return .retry
        }
    }
}
