import BigQueryREST
import SpoolStorage

/// BigQuery's insertAll answers in the uploader's terms, after Google's documentation:
///
/// | answer | action |
/// |---|---|
/// | HTTP 200, no insertErrors | delete the batch's rows |
/// | 200, row `invalid` | that row → dead_letters with reason/location/message |
/// | 200, row `stopped` | re-send as-is (it was valid; another row in the batch was not) |
/// | 200, row `timeout`/`backendError` | retry that row |
/// | 400 `invalid` for the whole request (too large, no rows, malformed) | bisect the batch; a single row → dead letter |
/// | 401 | refresh the token once (the client does), then retry |
/// | 403 `rateLimitExceeded` | backoff and retry |
/// | 403 `quotaExceeded` | long backoff (≥ 10 min) |
/// | 403 `accessDenied`, 404 `notFound` | pause that table: never dead-letter, never drop; other tables flow |
/// | 408, 429, 5xx, network error, timeout | backoff with full jitter, honour Retry-After |
/// | same batch fails with 500 repeatedly | bisect to isolate a poison row (the emulator answers bad data with 500) |
///
/// `Tests/SpoolTests/AnswerJudgeTests.swift` checks each row.
enum InsertAllAnswers {
    /// The outcome of a request of `rowCount` rows.
    static func outcome(of result: InsertAllResult, rowCount: Int) -> TransportOutcome {
        switch result {
        case .response(_, let insertErrors):
            return .answered(rowOutcomes(insertErrors, rowCount: rowCount))
        case .failed(let failure):
            return .failed(transportFailure(failure))
        }
    }

    /// Per-row verdicts of a 2xx answer. Rows without an entry were stored; an `invalid` entry refuses the row for
    /// good; a row whose every entry is `stopped` was valid but not stored because another row was invalid; any
    /// other reason (`timeout`, `backendError` …) is passing.
    static func rowOutcomes(_ insertErrors: [InsertErrorEntry], rowCount: Int) -> [RowOutcome] {
        var errorsByIndex: [Int: [ErrorProto]] = [:]
        for entry in insertErrors { errorsByIndex[entry.index, default: []] += entry.errors }
        return (0..<rowCount).map { index in
            guard let errors = errorsByIndex[index], !errors.isEmpty else { return .accepted }
            if let invalid = errors.first(where: { $0.reason == "invalid" }) {
                return .invalid(DeadLetterReason(reason: invalid.reason, location: invalid.location, message: invalid.message))
            }
            if errors.allSatisfy({ $0.reason == "stopped" }) {
                return .resend
            }
            return .retry(error: "row \(errors[0].reason): \(errors[0].message)")
        }
    }

    static func transportFailure(_ failure: RequestFailure) -> TransportFailure {
        TransportFailure(
            action: action(failure), reason: failure.errorReason, message: failure.message,
            status: "HTTP \(failure.httpStatus ?? 0)", retryAfter: failure.retryAfter, description: "\(failure)"
        )
    }

    /// What to do about a request that got no row-level answer.
    static func action(_ failure: RequestFailure) -> FailureAction {
        switch failure.kind {
        case .transport, .garbage, .credentials:
            return .retry
        case .invalidRequest:
            return .pause(reason: "invalidRequest")
        case .httpError:
            return action(status: failure.httpStatus ?? 0, reason: failure.errorReason)
        }
    }

    /// 403 is told apart by `reason`, not status: rate limits and quotas are not misconfiguration. A request over
    /// BigQuery's size limit is 400 `Request payload size exceeds the limit` (413 from a proxy): bisected like any
    /// request refused as a whole. 401 arrives here only after the client refreshed its token once.
    static func action(status: Int, reason: String?) -> FailureAction {
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
            // Usually transient, but the emulator (and some proxies) answer a bad row with 500 for the whole batch.
            return .serverError
        case (500..., _):
            return .retry
        default:
            // Unexpected 3xx/4xx (a proxy's answer, 409 …): nothing says the rows are at fault.
            return .retry
        }
    }
}
